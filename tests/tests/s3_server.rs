//! The in-process S3 server (`wmill_tests::s3_server`): SigV4 is checked, multipart uploads are
//! visible while pending and gone once aborted or completed.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use wmill_tests::s3_server::S3TestServer;

#[tokio::test]
async fn put_get_and_pending_multipart_uploads() {
    let server = S3TestServer::start().await.unwrap();
    let store = server.object_store().unwrap();
    store.put(&"a/b.txt".into(), "hi".into()).await.unwrap();
    let got = store
        .get(&"a/b.txt".into())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(got, "hi");
    assert!(server.object_path(&server.bucket, "a/b.txt").exists());

    let mut upload = store.put_multipart(&"big.bin".into()).await.unwrap();
    upload
        .put_part(PutPayload::from(vec![1u8; 5 << 20]))
        .await
        .unwrap();
    assert_eq!(server.pending_multipart_uploads().unwrap().len(), 1);
    assert_eq!(server.pending_parts().unwrap().len(), 1);
    upload.abort().await.unwrap();
    assert!(server.pending_multipart_uploads().unwrap().is_empty());
    assert!(server.pending_parts().unwrap().is_empty());

    let mut upload = store.put_multipart(&"done.bin".into()).await.unwrap();
    upload
        .put_part(PutPayload::from(vec![2u8; 1024]))
        .await
        .unwrap();
    upload.complete().await.unwrap();
    assert!(server.pending_multipart_uploads().unwrap().is_empty());
    assert_eq!(store.head(&"done.bin".into()).await.unwrap().size, 1024);
}

#[tokio::test]
async fn a_wrong_secret_is_refused() {
    let server = S3TestServer::start().await.unwrap();
    let store = server
        .builder()
        .with_secret_access_key("wrong")
        .build()
        .unwrap();
    let err = store.put(&"x".into(), "x".into()).await.unwrap_err();
    assert!(
        matches!(err, object_store::Error::PermissionDenied { .. }),
        "{err:?}"
    );
    let _: &dyn ObjectStore = &store;
}
