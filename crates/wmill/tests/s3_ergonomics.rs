//! S3 reads and writes take the same things (an `S3Object`, a reference to one, an
//! `s3://storage/key` URI; writes also `None` for a generated key), and JSON goes both ways
//! in one call. Against the real S3 protocol: the in-process S3 server of the tests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;
use wmill::bytes::Bytes;
use wmill::s3::object_store::{self, Attribute, ObjectStoreExt};
use wmill::{Client, Error, InMemory, S3Client, S3Object, WriteOptions};
use wmill_tests::s3_server::S3TestServer;

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Report {
    month: String,
    invoices: u32,
    total: f64,
}

fn report() -> Report {
    Report {
        month: "2026-11".into(),
        invoices: 42,
        total: 1234.5,
    }
}

async fn started() -> (S3TestServer, Client) {
    let server = S3TestServer::start().await.unwrap();
    let s3 = S3Client::from_store(Arc::new(server.object_store().unwrap()));
    (server, Client::new(InMemory::new()).with_s3(s3))
}

async fn content_type(server: &S3TestServer, key: &str) -> Option<String> {
    let store = server.object_store().unwrap();
    let got = store
        .get(&object_store::path::Path::from(key))
        .await
        .unwrap();
    got.attributes
        .get(&Attribute::ContentType)
        .map(|v| v.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_take_what_reads_take() {
    let (_server, client) = started().await;
    wmill::with_client(client, async {
        let opts = WriteOptions::new();
        let obj = S3Object::new("forms/by-object.txt").unwrap();
        // A URI string, a reference, an owned object, `Some(&obj)`, `None`: all accepted.
        let a = wmill::write_s3_file("s3:///forms/by-uri.txt", "uri", &opts)
            .await
            .unwrap();
        assert_eq!(a.to_string(), "s3:///forms/by-uri.txt");
        let b = wmill::write_s3_file(&obj, "ref", &opts).await.unwrap();
        let c = wmill::write_s3_file(obj.clone(), "owned", &opts)
            .await
            .unwrap();
        let d = wmill::write_s3_file(Some(&obj), "some", &opts)
            .await
            .unwrap();
        let e = wmill::write_s3_file(None, "generated", &opts)
            .await
            .unwrap();
        assert_eq!((&b, &c, &d), (&obj, &obj, &obj));
        assert_ne!(e.key(), obj.key());
        // And read back the same ways.
        assert_eq!(
            wmill::load_s3_file("s3:///forms/by-uri.txt").await.unwrap(),
            "uri"
        );
        assert_eq!(wmill::load_s3_file(&obj).await.unwrap(), "some");
        assert_eq!(wmill::load_s3_file(e.clone()).await.unwrap(), "generated");
        assert_eq!(
            wmill::load_s3_file(e.to_string()).await.unwrap(),
            "generated"
        );

        // Streams too.
        let chunks = futures::stream::iter(
            (0..3u8).map(|i| Ok::<_, std::io::Error>(Bytes::from(vec![i; 100]))),
        );
        let streamed = wmill::write_s3_file_stream("s3:///forms/streamed.bin", chunks, &opts)
            .await
            .unwrap();
        assert_eq!(wmill::load_s3_file(&streamed).await.unwrap().len(), 300);

        // A malformed URI is rejected before anything is written.
        let err = wmill::write_s3_file("forms/no-scheme.txt", "x", &opts)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_reports_go_both_ways() {
    let (server, client) = started().await;
    wmill::with_client(client, async {
        let written = wmill::write_s3_json("s3:///reports/2026-11.json", &report())
            .await
            .unwrap();
        assert_eq!(written.key(), "reports/2026-11.json");
        let back: Report = wmill::load_s3_json("s3:///reports/2026-11.json").await.unwrap();
        assert_eq!(back, report());
        let raw = wmill::load_s3_file(&written).await.unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&raw).unwrap(),
            json!({"month": "2026-11", "invoices": 42, "total": 1234.5})
        );
        // A generated key ends with .json.
        let generated = wmill::write_s3_json(None, &report()).await.unwrap();
        assert!(generated.key().ends_with(".json"), "{generated}");
        assert_eq!(wmill::load_s3_json::<Report>(&generated).await.unwrap(), report());

        // Not the expected JSON: a decode error naming the object, without its bytes.
        wmill::write_s3_file("s3:///reports/notes.txt", "password: hunter2", &WriteOptions::new())
            .await
            .unwrap();
        let err = wmill::load_s3_json::<Report>("s3:///reports/notes.txt")
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "could not decode the JSON of s3:///reports/notes.txt: expected value at line 1 column 1"
        );
        assert!(!format!("{err:?}").contains("hunter2"));
        let err = wmill::load_s3_json::<u32>(&written).await.unwrap_err();
        assert!(err.to_string().contains("expected u32"), "{err}");
    })
    .await;
    assert_eq!(
        content_type(&server, "reports/2026-11.json")
            .await
            .as_deref(),
        Some("application/json")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blocking_twins_take_the_same() {
    let (_server, client) = started().await;
    tokio::task::spawn_blocking(move || {
        wmill::blocking::with_client(client, || {
            let obj = S3Object::new("sync/a.txt").unwrap();
            wmill::blocking::write_s3_file("s3:///sync/a.txt", "a", &WriteOptions::new()).unwrap();
            assert_eq!(wmill::blocking::load_s3_file(&obj).unwrap(), "a");
            wmill::blocking::write_s3_file(&obj, "b", &WriteOptions::new()).unwrap();
            let generated =
                wmill::blocking::write_s3_file(None, "c", &WriteOptions::new()).unwrap();
            assert_eq!(wmill::blocking::load_s3_file(&generated).unwrap(), "c");
            let streamed = wmill::blocking::write_s3_file_stream(
                "s3:///sync/stream.bin",
                std::io::Cursor::new(vec![1u8; 1000]),
                &WriteOptions::new(),
            )
            .unwrap();
            assert_eq!(wmill::blocking::load_s3_file(streamed).unwrap().len(), 1000);
            let written = wmill::blocking::write_s3_json("s3:///sync/r.json", &report()).unwrap();
            let back: Report = wmill::blocking::load_s3_json(&written).unwrap();
            assert_eq!(back, report());
        })
    })
    .await
    .unwrap();
}
