//! A real S3-compatible server in process: [`s3s`] over an [`s3s_fs::FileSystem`] in a temporary
//! directory, with SigV4 authentication really verified ([`s3s::auth::SimpleAuth`]), served by
//! hyper's HTTP/1 connection builder on `127.0.0.1:0`.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use object_store::ObjectStoreExt;
//!
//! let server = wmill_tests::s3_server::S3TestServer::start().await?;
//! let store = server.object_store().expect("valid builder");
//! store.put(&"a/b.txt".into(), "hi".into()).await.expect("put");
//! assert!(server.pending_multipart_uploads()?.is_empty());
//! # Ok(()) }
//! ```
//!
//! Each bucket is a sub-directory of [`S3TestServer::root`]; pending multipart uploads are the
//! `.upload-<id>.json` files s3s-fs keeps at the root until the upload completes or is aborted.
//! The server stops when the [`S3TestServer`] is dropped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use hyper_util::rt::TokioIo;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The access key every server accepts.
pub const ACCESS_KEY: &str = "wmill-test-access";
/// The secret key every server accepts.
pub const SECRET_KEY: &str = "wmill-test-secret-key";
/// The bucket created at start.
pub const BUCKET: &str = "wmill-test-bucket";
/// The region clients should sign for.
pub const REGION: &str = "us-east-1";

/// A running in-process S3 server; stops on drop.
#[derive(Debug)]
pub struct S3TestServer {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// The address the server listens on.
    pub addr: SocketAddr,
    /// The bucket created at start (more buckets appear when a client writes to them).
    pub bucket: String,
    /// The access key the server accepts.
    pub access_key: String,
    /// The secret key the server accepts.
    pub secret_key: String,
    dir: tempfile::TempDir,
    task: JoinHandle<()>,
}

impl S3TestServer {
    /// Starts a server over a fresh temporary directory, with [`BUCKET`] created.
    pub async fn start() -> std::io::Result<Self> {
        let dir = tempfile::tempdir()?;
        std::fs::create_dir_all(dir.path().join(BUCKET))?;
        let fs = s3s_fs::FileSystem::new(dir.path())
            .map_err(|e| std::io::Error::other(format!("s3s-fs: {e:?}")))?;
        let service = {
            let mut builder = S3ServiceBuilder::new(fs);
            builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
            builder.build()
        };
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let service = service.clone();
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                });
            }
        });
        Ok(Self {
            endpoint: format!("http://{addr}"),
            addr,
            bucket: BUCKET.to_owned(),
            access_key: ACCESS_KEY.to_owned(),
            secret_key: SECRET_KEY.to_owned(),
            dir,
            task,
        })
    }

    /// The server's root directory (each bucket is a sub-directory).
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Where the object `key` of `bucket` is stored on disk.
    pub fn object_path(&self, bucket: &str, key: &str) -> PathBuf {
        self.dir.path().join(bucket).join(key)
    }

    /// An [`AmazonS3Builder`] configured for this server and [`Self::bucket`]: endpoint, plain
    /// HTTP, path-style requests, region `us-east-1`, the server's keys.
    /// Installs rustls' `ring` provider first (as `wmill_http::install_crypto_provider` does):
    /// the workspace's reqwest has no provider of its own.
    pub fn builder(&self) -> AmazonS3Builder {
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        AmazonS3Builder::new()
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_virtual_hosted_style_request(false)
            .with_region(REGION)
            .with_bucket_name(&self.bucket)
            .with_access_key_id(&self.access_key)
            .with_secret_access_key(&self.secret_key)
    }

    /// An [`AmazonS3`] client for this server and [`Self::bucket`].
    pub fn object_store(&self) -> object_store::Result<AmazonS3> {
        self.builder().build()
    }

    /// The ids of the multipart uploads started and neither completed nor aborted.
    pub fn pending_multipart_uploads(&self) -> std::io::Result<Vec<String>> {
        let mut ids = Vec::new();
        for entry in std::fs::read_dir(self.dir.path())? {
            let name = entry?.file_name();
            let name = name.to_string_lossy();
            if let Some(id) = name
                .strip_prefix(".upload-")
                .and_then(|rest| rest.strip_suffix(".json"))
            {
                ids.push(id.to_owned());
            }
        }
        Ok(ids)
    }

    /// Files of uploaded parts still on disk (`.upload_id-<id>.part-<n>`).
    pub fn pending_parts(&self) -> std::io::Result<Vec<String>> {
        let mut parts = Vec::new();
        for entry in std::fs::read_dir(self.dir.path())? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if name.starts_with(".upload_id-") {
                parts.push(name);
            }
        }
        Ok(parts)
    }
}

impl Drop for S3TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
