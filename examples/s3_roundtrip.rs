//! Writing and reading workspace files (S3): bytes, a stream of chunks with bounded memory,
//! metadata, public URLs, delete.
//!
//! With a Windmill server configured it uses the workspace's storage (resolved through the
//! server); otherwise an embedded object store in memory.
//!
//! ```sh
//! cargo run -p wmill-examples --example s3_roundtrip
//! ```

#[path = "support/mod.rs"]
mod support;

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use wmill::{Client, InMemory, S3Client, S3Object, WriteOptions};

#[tokio::main]
async fn main() -> wmill::Result<()> {
    if support::server_configured() {
        println!("Using the Windmill server configured in the environment.");
        wmill::set_client(Client::from_env()?);
    } else {
        println!("No Windmill server configured: using an in-memory object store.");
        let store = Arc::new(wmill::s3::object_store::memory::InMemory::new());
        wmill::set_client(Client::new(InMemory::new()).with_s3(S3Client::from_store(store)));
    }

    // Small files: bytes in, bytes out. `s3:///key` is the workspace's default storage;
    // writes and reads take the same things (a URI, an S3Object, a reference to one).
    let report = wmill::write_s3_file(
        "s3:///examples/report.csv",
        Bytes::from_static(b"city,visits\nParis,3\nLima,5\n"),
        &WriteOptions::new().content_type("text/csv"),
    )
    .await?;
    let content = wmill::load_s3_file(&report).await?;
    println!(
        "{report}: {} bytes: {:?}",
        content.len(),
        String::from_utf8_lossy(&content)
    );

    // JSON both ways in one call.
    let summary = wmill::write_s3_json(
        "s3:///examples/summary.json",
        &serde_json::json!({"cities": 2, "visits": 8}),
    )
    .await?;
    let back: serde_json::Value = wmill::load_s3_json(&summary).await?;
    println!("{summary}: {back}");

    // Large files: a stream of chunks goes up as a multipart upload (memory stays bounded),
    // and comes back as a stream. Here 20 MiB, generated on the fly.
    let chunks = (0..20u8).map(|i| Ok::<_, std::io::Error>(Bytes::from(vec![i; 1 << 20])));
    let big = wmill::write_s3_file_stream(
        None,
        futures::stream::iter(chunks),
        &WriteOptions::new().file_extension("bin"),
    )
    .await?;
    println!("wrote {big} (generated key)");
    let mut stream = wmill::load_s3_file_stream(&big).await?;
    let (mut bytes, mut checksum) = (0usize, 0u64);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        bytes += chunk.len();
        checksum = chunk.iter().fold(checksum, |acc, b| {
            acc.wrapping_mul(31).wrapping_add(u64::from(*b))
        });
    }
    println!("read back {bytes} bytes (checksum {checksum:x})");
    assert_eq!(bytes, 20 << 20);

    // An S3Object is what scripts take and return: it serializes to Windmill's JSON form.
    println!(
        "as a script result: {}",
        serde_json::to_string(&report).unwrap_or_default()
    );

    // Public URLs need a Windmill server (it signs them).
    if support::server_configured() {
        let url = wmill::get_presigned_s3_public_url(&report, &Default::default()).await?;
        println!("public URL: {url}");
    }

    wmill::delete_s3_object(&report).await?;
    wmill::delete_s3_object(&summary).await?;
    wmill::delete_s3_object(&big).await?;
    match wmill::load_s3_file(&report).await {
        Err(e) if e.is_not_found() => println!("deleted: {report} is gone"),
        other => println!("unexpected: {other:?}"),
    }
    let _ = S3Object::new("unused")?; // keys are validated: S3Object::new("a/../b") is an error
    Ok(())
}
