//! The suite over Windmill's `job_helpers` endpoints (`WindmillHelperStore`), served by a
//! stateful wiremock responder that answers as the server does (text/plain `Not found: ...`
//! errors, `{file_key}` on upload, paged one-level listings).
#![cfg(feature = "windmill")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;
use serde_json::json;
use wiremock::matchers::{bearer_token, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};
use wmill_s3::object_store::ObjectStore;
use wmill_s3::{StorageAccess, WindmillConnection, WindmillHelperStore, WindmillResolver};

const TOKEN: &str = "helper-token";

#[derive(Clone)]
struct Stored {
    body: Vec<u8>,
    content_type: Option<String>,
}

/// `(storage, key) -> file`, behind the helper endpoints.
#[derive(Clone, Default)]
struct FakeHelpers {
    files: Arc<Mutex<BTreeMap<(String, String), Stored>>>,
    /// page size of list_stored_files_paged (small, to exercise page tokens)
    page: usize,
}

fn q(req: &Request, name: &str) -> Option<String> {
    req.url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn not_found(what: &str) -> ResponseTemplate {
    ResponseTemplate::new(404)
        .insert_header("content-type", "text/plain")
        .set_body_string(format!("Not found: {what}"))
}

impl Respond for FakeHelpers {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let storage = q(req, "storage").unwrap_or_else(|| "_default_".into());
        let op = req
            .url
            .path()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let mut files = self.files.lock();
        match (req.method.as_str(), op.as_str()) {
            ("POST", "upload_s3_file") => {
                let Some(key) = q(req, "file_key") else {
                    return ResponseTemplate::new(400).set_body_string("Bad request: file_key");
                };
                files.insert(
                    (storage, key.clone()),
                    Stored {
                        body: req.body.clone(),
                        content_type: q(req, "content_type"),
                    },
                );
                ResponseTemplate::new(200).set_body_json(json!({ "file_key": key }))
            }
            ("GET", "download_s3_file") => {
                let key = q(req, "file_key").unwrap_or_default();
                match files.get(&(storage, key.clone())) {
                    Some(f) => ResponseTemplate::new(200)
                        .insert_header(
                            "content-type",
                            f.content_type
                                .as_deref()
                                .unwrap_or("application/octet-stream"),
                        )
                        .set_body_bytes(f.body.clone()),
                    None => not_found(&format!("file {key}")),
                }
            }
            ("GET", "load_file_metadata") => {
                let key = q(req, "file_key").unwrap_or_default();
                match files.get(&(storage, key.clone())) {
                    Some(f) => ResponseTemplate::new(200).set_body_json(json!({
                        "mime_type": f.content_type,
                        "size_in_bytes": f.body.len(),
                        "last_modified": "2025-01-02T03:04:05Z",
                    })),
                    None => not_found(&format!("file {key}")),
                }
            }
            // As the server: the exact byte range of text files, strict UTF-8, at most 8 MiB.
            ("GET", "load_file_preview") => {
                let key = q(req, "file_key").unwrap_or_default();
                let Some(f) = files.get(&(storage, key.clone())) else {
                    return not_found(&format!("file {key}"));
                };
                let num = |name| q(req, name).and_then(|v| v.parse::<usize>().ok());
                let from = num("read_bytes_from").unwrap_or(0);
                let length = num("read_bytes_length").unwrap_or(0);
                if length > 8 << 20 {
                    return ResponseTemplate::new(400)
                        .set_body_string("Bad request: Cannot load file bigger than 8MB");
                }
                let lower = key.to_lowercase();
                if ![".json", ".yaml", ".yml", ".xml", ".txt", ".log"]
                    .iter()
                    .any(|ext| lower.ends_with(ext))
                {
                    return ResponseTemplate::new(200).set_body_json(json!({
                        "content": null, "content_type": "Unknown",
                        "msg": "Preview is not available. Content type is unknown or not supported"
                    }));
                }
                let end = (from + length).min(f.body.len());
                let chunk = f.body.get(from.min(end)..end).unwrap_or_default().to_vec();
                match String::from_utf8(chunk) {
                    Ok(text) => ResponseTemplate::new(200).set_body_json(
                        json!({"content": text, "content_type": "RawText", "msg": null}),
                    ),
                    Err(_) => ResponseTemplate::new(200).set_body_json(json!({
                        "content": null, "content_type": "RawText",
                        "msg": "File encoding is not supported"
                    })),
                }
            }
            ("DELETE", "delete_s3_file") => {
                let key = q(req, "file_key").unwrap_or_default();
                files.remove(&(storage, key));
                ResponseTemplate::new(200).set_body_json(json!({}))
            }
            ("GET", "move_s3_file") => {
                let src = q(req, "src_file_key").unwrap_or_default();
                let dst = q(req, "dest_file_key").unwrap_or_default();
                match files.remove(&(storage.clone(), src.clone())) {
                    Some(f) => {
                        files.insert((storage, dst), f);
                        ResponseTemplate::new(200).set_body_json(json!({}))
                    }
                    None => not_found(&format!("file {src}")),
                }
            }
            ("GET", "list_stored_files_paged") => {
                let prefix = q(req, "prefix").unwrap_or_default();
                let mut entries: Vec<(bool, String, usize)> = Vec::new(); // (is_folder, name, size)
                for ((st, key), f) in files.iter() {
                    if *st != storage {
                        continue;
                    }
                    let Some(rest) = key.strip_prefix(&prefix) else {
                        continue;
                    };
                    match rest.split_once('/') {
                        Some((folder, _)) => {
                            let p = format!("{prefix}{folder}/");
                            if !entries.iter().any(|(d, n, _)| *d && *n == p) {
                                entries.push((true, p, 0));
                            }
                        }
                        None => entries.push((false, key.clone(), f.body.len())),
                    }
                }
                let start: usize = q(req, "page_token")
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0);
                let end = (start + self.page).min(entries.len());
                let page = &entries[start.min(end)..end];
                let folders: Vec<_> = page
                    .iter()
                    .filter(|e| e.0)
                    .map(|(_, p, _)| json!({"prefix": p, "name": p.trim_end_matches('/').rsplit('/').next()}))
                    .collect();
                let list: Vec<_> = page
                    .iter()
                    .filter(|e| !e.0)
                    .map(|(_, k, size)| json!({"key": k, "name": k.rsplit('/').next(), "size": size, "last_modified": "2025-01-02T03:04:05Z"}))
                    .collect();
                let mut body =
                    json!({"folders": folders, "files": list, "restricted_access": false});
                if end < entries.len() {
                    body["next_page_token"] = json!(end.to_string());
                }
                ResponseTemplate::new(200).set_body_json(body)
            }
            _ => ResponseTemplate::new(500)
                .set_body_string(format!("no fake route for {} {}", req.method, req.url)),
        }
    }
}

async fn fake_server() -> (MockServer, FakeHelpers) {
    let server = MockServer::start().await;
    let fake = FakeHelpers {
        page: 2,
        ..FakeHelpers::default()
    };
    Mock::given(path_regex("^/api/w/ws/job_helpers/"))
        .and(bearer_token(TOKEN))
        .respond_with(fake.clone())
        .mount(&server)
        .await;
    (server, fake)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suite_over_helper_endpoints_default_storage() {
    let (server, fake) = fake_server().await;
    let conn = WindmillConnection::new(&server.uri(), "ws", TOKEN).unwrap();
    let store: Arc<dyn ObjectStore> = Arc::new(WindmillHelperStore::new(conn, None));
    let (client, counters) = support::counting_client(store, None);
    support::run_all(&client, &counters, None).await;
    assert!(
        fake.files.lock().is_empty(),
        "every test file was deleted, nothing half-written stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suite_over_helper_endpoints_named_storage() {
    let (server, fake) = fake_server().await;
    let conn = WindmillConnection::new(&server.uri(), "ws", TOKEN).unwrap();
    let store: Arc<dyn ObjectStore> = Arc::new(WindmillHelperStore::new(conn, Some("cold")));
    let (client, counters) = support::counting_client(store, Some("cold"));
    support::run_all(&client, &counters, Some("cold")).await;
    assert!(fake.files.lock().is_empty());
}

#[tokio::test]
async fn helpers_mode_resolver_uses_the_helper_store() {
    let (server, fake) = fake_server().await;
    let conn = WindmillConnection::new(&server.uri(), "ws", TOKEN).unwrap();
    let resolver = Arc::new(WindmillResolver::new(conn.clone(), StorageAccess::Helpers));
    let client = wmill_s3::S3Client::new(resolver.clone()).with_windmill(conn);
    let obj = wmill_s3::S3Object::parse("s3://st/x.txt").unwrap();
    client
        .write_s3_file(Some(&obj), "via helpers", &Default::default())
        .await
        .unwrap();
    assert_eq!(client.load_s3_file(&obj).await.unwrap(), "via helpers");
    assert_eq!(
        resolver.resolved_access(Some("st")),
        Some(StorageAccess::Helpers)
    );
    assert!(
        fake.files
            .lock()
            .contains_key(&("st".to_owned(), "x.txt".to_owned()))
    );

    // rename goes through move_s3_file
    let store = client.object_store(Some("st")).await.unwrap();
    store
        .rename_opts(&"x.txt".into(), &"y.txt".into(), Default::default())
        .await
        .unwrap();
    assert_eq!(
        client
            .load_s3_file(&wmill_s3::S3Object::parse("s3://st/y.txt").unwrap())
            .await
            .unwrap(),
        "via helpers"
    );
}

/// The upload endpoint keeps a content type but no user metadata: a checksummed write keeps its
/// content type and is verified by downloading it back once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checksummed_writes_through_the_helpers_keep_the_content_type_and_read_back() {
    let (server, fake) = fake_server().await;
    let conn = WindmillConnection::new(&server.uri(), "ws", TOKEN).unwrap();
    let client = wmill_s3::S3Client::from_store(Arc::new(WindmillHelperStore::new(conn, None)));
    let obj = wmill_s3::S3Object::new("sums/r.csv").unwrap();
    client
        .write_s3_file(
            Some(&obj),
            "a,b\n",
            &wmill_s3::WriteOptions::new()
                .content_type("text/csv")
                .checksum(true),
        )
        .await
        .unwrap();
    let stored = fake.files.lock()[&("_default_".to_owned(), "sums/r.csv".to_owned())].clone();
    assert_eq!(stored.content_type.as_deref(), Some("text/csv"));
    let ops: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r.method,
                r.url.path().rsplit('/').next().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(ops, ["POST upload_s3_file", "GET download_s3_file"]);
}
