//! Plugging your own storage under the S3 functions: a local directory for the default storage
//! and an in-memory store for a storage named "scratch". No server needed; the same code runs
//! against Windmill's storages when the client comes from the environment.
//!
//! ```sh
//! cargo run -p wmill-examples --example custom_s3_backend
//! ```

use std::sync::Arc;

use bytes::Bytes;
use wmill::s3::object_store::ObjectStore;
use wmill::s3::{StaticResolver, stores};
use wmill::{Client, InMemory, S3Client, S3Object, WriteOptions};

#[tokio::main]
async fn main() -> wmill::Result<()> {
    let dir = std::env::temp_dir().join(format!("wmill-custom-s3-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?; // an I/O error converts into wmill::Error (Error::Io)

    // Storage name -> any object_store backend (local FS, memory, GCS, Azure, another S3 ...).
    let local: Arc<dyn ObjectStore> = stores::local_directory(&dir)?;
    let scratch: Arc<dyn ObjectStore> = stores::in_memory();
    let resolver = StaticResolver::new(local).with_storage("scratch", scratch);
    wmill::set_client(Client::new(InMemory::new()).with_s3(S3Client::new(resolver)));

    // The default storage: files land in the directory.
    let notes = S3Object::new("notes/today.txt")?;
    wmill::write_s3_file(
        Some(&notes),
        Bytes::from_static(b"buy milk"),
        &WriteOptions::new(),
    )
    .await?;
    let on_disk = dir.join("notes/today.txt");
    println!(
        "{notes} -> {} ({} bytes on disk)",
        on_disk.display(),
        std::fs::metadata(&on_disk).map(|m| m.len()).unwrap_or(0)
    );

    // A named storage: `s3://scratch/...`.
    let tmp = wmill::parse_s3_object("s3://scratch/cache/result.json")?;
    wmill::write_s3_file(
        Some(&tmp),
        Bytes::from_static(br#"{"ok":true}"#),
        &WriteOptions::new(),
    )
    .await?;
    println!(
        "{tmp} -> {:?}",
        String::from_utf8_lossy(&wmill::load_s3_file(&tmp).await?)
    );

    // A storage nobody configured is a typed error, not a panic.
    match wmill::load_s3_file("s3://archive/old.bin").await {
        Err(e) => println!("s3://archive/old.bin -> {e}"),
        Ok(_) => println!("unexpected success"),
    }

    wmill::delete_s3_object(&notes).await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
