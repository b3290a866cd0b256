//! Bad input is rejected before any request is sent: every call below goes through the same
//! parse-then-call path as the umbrella's `&str` functions, against a `FaultServer` (Windmill)
//! or an S3 store pointed at one, and the server must have seen zero requests (and zero
//! connections).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use wmill_core::{
    Error, ItemPath, JobId, JobRunner, JobRunnerExt, ResourceStore, Result, RunOptions, ScriptHash,
    VariableStore, Workspace,
};
use wmill_http::{RetryConfig, Windmill};
use wmill_s3::{S3Client, S3Object, WriteOptions};
use wmill_tests::faults::{FaultServer, Reply};

const TOKEN: &str = "tok-badinput-91ab";

async fn server() -> FaultServer {
    let s = FaultServer::start().await;
    // Anything that reached the server would be answered (and counted).
    s.set_fallback(Reply::json(200, &json!({})));
    s
}

fn client(server: &FaultServer) -> Windmill {
    Windmill::builder()
        .with_base_url(server.base_url())
        .with_token(TOKEN)
        .with_workspace("ws")
        .with_request_timeout(Duration::from_secs(2))
        .with_retry(RetryConfig::disabled())
        .build()
        .unwrap()
}

fn assert_invalid<T: std::fmt::Debug>(what: &str, r: Result<T>) -> Error {
    let err = r.expect_err(what);
    assert!(matches!(err, Error::InvalidInput { .. }), "{what}: {err:?}");
    assert!(!err.to_string().contains(TOKEN));
    err
}

fn assert_untouched(server: &FaultServer) {
    assert_eq!(
        server.total(),
        0,
        "requests were sent: {:?}",
        server.requests()
    );
    assert_eq!(server.connections(), 0, "a connection was opened");
}

const BAD_PATHS: &[&str] = &[
    "",
    "x",
    "u/alice",
    "/u/alice/x",
    "u/alice/x/",
    "u//x",
    "u/alice/../admin/x",
    "f/./x",
    "u/alice/x?y=1",
    "u/alice/x#frag",
    "u/alice/a\nb",
    "u/alice/a\u{0}b",
    "z/alice/x",
];

#[tokio::test]
async fn invalid_item_paths_send_nothing() {
    let server = server().await;
    let wm = client(&server);
    for raw in BAD_PATHS {
        let r: Result<String> = async { wm.get_variable(&ItemPath::parse(raw)?).await }.await;
        assert_invalid(raw, r);
        let r: Result<Value> = async { wm.get_resource(&ItemPath::parse(raw)?).await }.await;
        assert_invalid(raw, r);
        let r: Result<JobId> = async {
            wm.run_script_by_path_async(
                &ItemPath::parse(raw)?,
                Default::default(),
                &RunOptions::new(),
            )
            .await
        }
        .await;
        assert_invalid(raw, r);
    }
    for raw in ["$var:u/alice/../x", "var://", "$res:", "$res:f//x"] {
        assert_invalid(
            raw,
            ItemPath::parse_variable_ref(raw).and(ItemPath::parse_resource_ref(raw)),
        );
    }
    assert_invalid(
        "long",
        ItemPath::parse(format!("u/alice/{}", "x".repeat(10_000))),
    );
    assert_untouched(&server);
}

#[tokio::test]
async fn invalid_job_ids_and_hashes_send_nothing() {
    let server = server().await;
    let wm = client(&server);
    for raw in [
        "",
        "not-a-uuid",
        "1234",
        "0192c6d0-0000-0000-0000",
        "../../etc/passwd",
    ] {
        let r: Result<Value> = async { wm.get_result(&JobId::parse(raw)?).await }.await;
        assert_invalid(raw, r);
    }
    for raw in [
        "",
        "xyz!",
        "abc/def",
        "a b",
        "../x",
        "abc123",
        "0123456789abcdef0",
    ] {
        let r: Result<JobId> = async {
            wm.run_script_by_hash_async(
                &ScriptHash::parse(raw)?,
                Default::default(),
                &RunOptions::new(),
            )
            .await
        }
        .await;
        assert_invalid(raw, r);
    }
    assert_untouched(&server);
}

#[tokio::test]
async fn job_args_that_are_not_an_object_send_nothing() {
    let server = server().await;
    let wm = client(&server);
    let path = ItemPath::parse("u/alice/job").unwrap();
    // (`null` / `()` mean "no arguments", as in the Python client: not listed here.)
    for args in [
        json!([1, 2]),
        json!("text"),
        json!(42),
        json!(true),
        json!([{"a": 1}]),
    ] {
        let r = wm
            .run_script_by_path_as::<_, Value>(&path, &args, &RunOptions::new())
            .await;
        assert_invalid("args", r);
        let r = wm
            .run_script_by_path_async_with(&path, &args, &RunOptions::new())
            .await;
        assert_invalid("args", r);
        let r = wm
            .run_flow_as::<_, Value>(&path, &args, &RunOptions::new())
            .await;
        assert_invalid("args", r);
    }
    // Arguments that cannot become JSON at all (a map with non-string keys).
    let unserializable: std::collections::BTreeMap<Vec<u8>, i32> = [(vec![1u8], 1)].into();
    let r = wm
        .run_script_by_path_async_with(&path, &unserializable, &RunOptions::new())
        .await;
    assert_invalid("unserializable args", r);
    assert_untouched(&server);
}

#[tokio::test]
async fn unknown_script_languages_send_nothing() {
    let server = server().await;
    let wm = client(&server);
    for language in ["", "python", "Python3", "typescript", "sql", "python3 "] {
        let r = wm
            .run_inline_script_preview("print(1)", language, Default::default())
            .await;
        let e = assert_invalid("script language", r);
        assert!(
            e.to_string().contains("python3"),
            "lists the valid ones: {e}"
        );
    }
    assert_untouched(&server);
}

fn s3_client(server: &FaultServer) -> S3Client {
    wmill_http::install_crypto_provider();
    let store = object_store::aws::AmazonS3Builder::new()
        .with_endpoint(server.base_url())
        .with_allow_http(true)
        .with_virtual_hosted_style_request(false)
        .with_region("us-east-1")
        .with_bucket_name("b")
        .with_access_key_id("ak")
        .with_secret_access_key("sk")
        .build()
        .unwrap();
    S3Client::from_store(Arc::new(store))
}

const BAD_KEYS: &[&str] = &[
    "",
    "..",
    "../x",
    "a/../b",
    "a/./b",
    // a leading '/' and empty segments are accepted (dropped, as the server does): only a key
    // with nothing left is refused
    "/",
    "//",
    "/../x",
    "dir/",
    "a\nb",
    "a\rb",
    "a\u{0}b",
    "a\u{7f}b",
    "a\u{1b}[31mb",
];

#[tokio::test]
async fn bad_s3_keys_send_nothing() {
    let server = server().await;
    let s3 = s3_client(&server);
    for key in BAD_KEYS {
        assert_invalid(key, S3Object::new(*key));
        for uri in [format!("s3:///{key}"), format!("s3://st/{key}")] {
            let r: Result<bytes::Bytes> =
                async { s3.load_s3_file(&S3Object::parse(&uri)?).await }.await;
            assert_invalid(&uri, r);
            let r: Result<S3Object> = async {
                s3.write_s3_file(Some(&S3Object::parse(&uri)?), "x", &WriteOptions::new())
                    .await
            }
            .await;
            assert_invalid(&uri, r);
        }
        // The JSON form (a script argument) is checked too.
        let r = serde_json::from_value::<S3Object>(json!({ "s3": key }));
        assert!(r.is_err(), "{key:?} accepted from JSON");
    }
    for prefix in ["a/../b", "..", "a//b"] {
        let r = s3.list_s3_folder(None, Some(prefix)).await;
        assert_invalid(prefix, r);
        let r = s3.list_s3_objects(None, Some(prefix)).await.map(drop);
        assert_invalid(prefix, r);
    }
    assert_invalid(
        "empty range",
        s3.load_s3_file_range(&S3Object::new("k").unwrap(), 5..5)
            .await,
    );
    assert_untouched(&server);
}

const BAD_STORAGES: &[&str] = &["a/b", "a\\b", ".", "..", " st", "st ", "s\nt", "s\u{0}t"];

#[tokio::test]
async fn bad_s3_storage_names_send_nothing() {
    let server = server().await;
    let s3 = s3_client(&server);
    for storage in BAD_STORAGES {
        let obj = S3Object::new("k").unwrap().with_storage(*storage);
        assert_invalid(storage, obj.validate());
        assert_invalid(storage, s3.load_s3_file(&obj).await);
        assert_invalid(
            storage,
            s3.write_s3_file(Some(&obj), "x", &WriteOptions::new())
                .await,
        );
        assert_invalid(storage, s3.delete_s3_object(&obj).await);
        assert_invalid(storage, s3.object_store(Some(storage)).await.map(drop));
        assert_invalid(
            storage,
            s3.list_s3_objects(Some(storage), None).await.map(drop),
        );
        let r = serde_json::from_value::<S3Object>(json!({ "s3": "k", "storage": storage }));
        assert!(r.is_err(), "{storage:?} accepted from JSON");
        if !storage.contains('/') {
            // (A '/' splits a URI at the storage: "s3://a/b/k" is storage "a", key "b/k".)
            assert_invalid(storage, S3Object::parse(&format!("s3://{storage}/k")));
        }
    }
    // Good names pass, and the empty name is the default storage.
    for storage in ["archive", "my-storage_2", "Storage.v2", ""] {
        S3Object::new("k")
            .unwrap()
            .with_storage(storage)
            .validate()
            .unwrap();
    }
    assert_untouched(&server);
}

#[test]
fn base_urls_that_are_not_http_are_refused() {
    for url in [
        "ftp://example.com",
        "file:///etc/passwd",
        "localhost:8000",
        "javascript:alert(1)",
        "mailto:a@b.c",
        "not a url",
        "http://h:8000/?q=1",
        "http://h:8000/#f",
        "data:text/plain,x",
        "https://admin:hunter2@windmill.example.com",
        "https://admin@windmill.example.com",
    ] {
        let r = Windmill::builder()
            .with_base_url(url)
            .with_token(TOKEN)
            .with_workspace("ws")
            .build();
        let err = r.expect_err(url);
        assert!(matches!(err, Error::InvalidInput { .. }), "{url}: {err:?}");
        assert!(!err.to_string().contains(TOKEN));
        assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");
    }
    let err = Windmill::builder()
        .with_base_url("")
        .with_token(TOKEN)
        .with_workspace("ws")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::NotConfigured { .. }), "{err:?}");
}

#[test]
fn empty_and_unsendable_tokens_are_refused() {
    for token in ["", " ", "\t\n"] {
        let err = Windmill::builder()
            .with_base_url("http://127.0.0.1:1")
            .with_token(token)
            .with_workspace("ws")
            .build()
            .unwrap_err();
        assert!(
            matches!(err, Error::NotConfigured { what: "token", .. }),
            "{token:?}: {err:?}"
        );
    }
    let secret = "tok-with\nnewline-77aa";
    let err = Windmill::builder()
        .with_base_url("http://127.0.0.1:1")
        .with_token(secret)
        .with_workspace("ws")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(!text.contains("newline-77aa"), "{text}");
}

#[test]
fn workspace_names_the_server_rejects_are_refused() {
    for ws in [
        "my ws",
        "a/b",
        "../x",
        "ws?x=1",
        "wé",
        "w\n",
        "x".repeat(51).as_str(),
    ] {
        assert_invalid(ws, Workspace::parse(ws));
        let err = Windmill::builder()
            .with_base_url("http://127.0.0.1:1")
            .with_token(TOKEN)
            .with_workspace(ws)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{ws:?}: {err:?}");
    }
    assert!(Workspace::parse("my-ws_2").is_ok());
}
