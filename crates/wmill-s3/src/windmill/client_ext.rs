//! [`S3Client`] methods that need the Windmill server: construction from the environment,
//! signing, presigned public URLs and connection settings.

use wmill_core::{Error, Result};

use super::{
    Boto3Settings, DuckdbSettings, PolarsSettings, S3ResourceInfo, StorageAccess,
    WindmillConnection, WindmillResolver,
};
use crate::{S3Client, S3Object};

/// Options of [`S3Client::get_presigned_s3_public_urls`].
///
/// ```
/// let opts = wmill_s3::PresignOptions::new().base_url("https://windmill.example.com").expiry_secs(3600);
/// assert_eq!(opts.expiry_secs, Some(3600));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PresignOptions {
    /// Public root of the links (default: the connection's public base URL, i.e. `WM_BASE_URL`).
    pub base_url: Option<String>,
    /// Validity of new signatures in seconds (server default 43200, clamped to [60, 604800]).
    pub expiry_secs: Option<u64>,
}

impl PresignOptions {
    /// Defaults.
    pub fn new() -> Self {
        PresignOptions::default()
    }
    wmill_core::__setters! { #![must_use]
        /// Sets the public root of the links.
        base_url(url: impl Into<String>) => base_url = url.into();
        /// Sets the validity of new signatures.
        expiry_secs(secs: u64) => expiry_secs = secs;
    }
}

/// A settings call of [`S3Client`]: `name` forwards to the connection's `call` for the default
/// storage or `s3_resource_path`, in a span with the workspace and the resource.
macro_rules! settings_call {
    ($(#[doc = $doc:literal])* $name:ident => $call:ident -> $out:ty) => {
        $(#[doc = $doc])*
        #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), resource = s3_resource_path))]
        pub async fn $name(&self, s3_resource_path: Option<&str>) -> Result<$out> {
            self.conn()?.$call(s3_resource_path).await
        }
    };
}

/// A call of [`S3Client`] that is the same call on its [`WindmillConnection`], in a span with
/// the workspace and the listed fields.
macro_rules! conn_call {
    ($(
        $(#[doc = $doc:literal])*
        fn $name:ident($($arg:ident: $ty:ty),*) -> $out:ty $(, $field:ident = $value:expr)*;
    )*) => {$(
        $(#[doc = $doc])*
        #[tracing::instrument(skip_all, fields(workspace = self.span_workspace() $(, $field = $value)*))]
        pub async fn $name(&self, $($arg: $ty),*) -> Result<$out> {
            self.conn()?.$name($($arg),*).await
        }
    )*};
}

impl S3Client {
    /// A client for a Windmill job: [`WindmillConnection::from_env`] and a
    /// [`WindmillResolver`] in [`StorageAccess::Auto`] mode.
    ///
    /// # Errors
    /// [`Error::NotConfigured`] naming the missing variable.
    pub fn from_env() -> Result<Self> {
        let conn = WindmillConnection::from_env()?;
        Ok(Self::from_windmill(conn, StorageAccess::Auto))
    }

    /// A client resolving storages through `conn` with `access`, and signing through it.
    pub fn from_windmill(conn: WindmillConnection, access: StorageAccess) -> Self {
        S3Client::new(WindmillResolver::new(conn.clone(), access)).with_windmill(conn)
    }

    /// Uses `conn` for signing, presigned URLs and connection settings (whatever resolves
    /// storages).
    pub fn with_windmill(mut self, conn: WindmillConnection) -> Self {
        self.windmill = Some(conn);
        self
    }

    /// The Windmill connection, if any.
    pub fn windmill(&self) -> Option<&WindmillConnection> {
        self.windmill.as_ref()
    }

    /// A client for an S3 resource that is not one of the workspace's storages (the Python
    /// client's `s3_resource_path` argument of `load_s3_file`, `write_s3_file` and
    /// `delete_s3_object`): every object goes through Windmill's file helpers with
    /// `s3_resource_path=<path>`, whatever its storage. `$res:` / `res://` prefixes accepted;
    /// same transfer options and Windmill connection as this client.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
    /// let client = wmill_s3::S3Client::from_env()?;
    /// let other = client.for_s3_resource("f/buckets/partner_exports")?;
    /// let csv = other.load_s3_file(&wmill_s3::S3Object::new("daily.csv")?).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad path; [`Error::NotConfigured`] for a client without a
    /// Windmill connection.
    pub fn for_s3_resource(&self, s3_resource_path: &str) -> Result<S3Client> {
        let path = wmill_core::ItemPath::parse_resource_ref(s3_resource_path)?;
        let conn = self.conn()?.clone();
        let store = super::WindmillHelperStore::for_resource(conn.clone(), path.as_str());
        Ok(S3Client::from_store(std::sync::Arc::new(store))
            .with_transfer_options(*self.transfer_options())
            .with_windmill(conn))
    }

    fn conn(&self) -> Result<&WindmillConnection> {
        self.windmill.as_ref().ok_or(Error::NotConfigured {
            what: "Windmill connection",
            hint: "build the client with S3Client::from_env() or .with_windmill(WindmillConnection::new(..))".into(),
        })
    }

    conn_call! {
        /// A preview of a file, optionally of a byte range: see
        /// [`WindmillConnection::load_file_preview`].
        ///
        /// # Errors
        /// [`Error::NotConfigured`] for a client without a Windmill connection; the errors of
        /// [`WindmillConnection::load_file_preview`].
        fn load_file_preview(obj: &S3Object, options: &super::PreviewOptions) -> super::FilePreview,
            storage = obj.storage(), key = obj.key();

        /// Whether a folder exists in the default storage: see
        /// [`WindmillConnection::check_s3_folder_exists`].
        fn check_s3_folder_exists(folder: &str, marker_file: Option<&str>) -> super::FolderCheck,
            folder = folder;

        /// A Parquet file converted to CSV by the server: see
        /// [`WindmillConnection::download_s3_parquet_file_as_csv`].
        fn download_s3_parquet_file_as_csv(obj: &S3Object, s3_resource_path: Option<&str>) -> bytes::Bytes,
            storage = obj.storage(), key = obj.key(), resource = s3_resource_path;

        /// Whether the server reaches a storage: see [`WindmillConnection::test_connection`].
        fn test_connection(storage: Option<&str>) -> serde_json::Value, storage = storage;

        /// Bytes stored per storage: see [`WindmillConnection::storage_usage`].
        fn storage_usage(refresh: bool) -> super::StorageUsage;
    }

    /// Signs `objects` for anonymous access (`POST /w/{ws}/apps/sign_s3_objects`); the
    /// returned objects carry `presigned`. The caller needs read access to each key.
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), count = objects.len()))]
    pub async fn sign_s3_objects(
        &self,
        objects: &[S3Object],
        expiry_secs: Option<u64>,
    ) -> Result<Vec<S3Object>> {
        if objects.is_empty() {
            return Ok(Vec::new());
        }
        for obj in objects {
            obj.validate()?;
        }
        self.conn()?.sign_s3_objects(objects, expiry_secs).await
    }

    /// Signs one object; see [`S3Client::sign_s3_objects`].
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), storage = object.storage(), key = object.key()))]
    pub async fn sign_s3_object(
        &self,
        object: &S3Object,
        expiry_secs: Option<u64>,
    ) -> Result<S3Object> {
        self.sign_s3_objects(std::slice::from_ref(object), expiry_secs)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::Decode {
                request: "POST /apps/sign_s3_objects".into(),
                body_excerpt: "[]".into(),
                source: "the server returned no signed object".into(),
            })
    }

    /// Public links `{base}/api/w/{ws}/s3_proxy/{storage or _default_}/{key}?{presigned}`;
    /// objects without `presigned` are signed first, in one request.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
    /// let client = wmill_s3::S3Client::from_env()?;
    /// let obj = wmill_s3::S3Object::parse("s3:///report.pdf")?;
    /// let urls = client.get_presigned_s3_public_urls(&[obj], &Default::default()).await?;
    /// # Ok(()) }
    /// ```
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), count = objects.len()))]
    pub async fn get_presigned_s3_public_urls(
        &self,
        objects: &[S3Object],
        opts: &PresignOptions,
    ) -> Result<Vec<String>> {
        for obj in objects {
            obj.validate()?;
        }
        let conn = self.conn()?;
        let base = match &opts.base_url {
            Some(b) => url::Url::parse(b)
                .map_err(|e| Error::invalid("public base URL", format!("{b:?}: {e}")))?,
            None => conn.public_base_url().clone(),
        };
        let unsigned: Vec<S3Object> = objects
            .iter()
            .filter(|o| o.presigned().is_none())
            .cloned()
            .collect();
        let mut signed = self
            .sign_s3_objects(&unsigned, opts.expiry_secs)
            .await?
            .into_iter();
        let mut urls = Vec::with_capacity(objects.len());
        for obj in objects {
            let presigned = match obj.presigned() {
                Some(p) => p.to_owned(),
                None => signed
                    .next()
                    .and_then(|s| s.presigned().map(str::to_owned))
                    .ok_or_else(|| Error::Decode {
                        request: "POST /apps/sign_s3_objects".into(),
                        body_excerpt: String::new(),
                        source: format!("no presigned value for {obj}").into(),
                    })?,
            };
            let segments = std::iter::once(obj.storage_segment()).chain(obj.key().split('/'));
            let mut url = conn.s3_proxy_url("public base URL", &base, segments)?;
            url.set_query(Some(&presigned));
            urls.push(url.to_string());
        }
        Ok(urls)
    }

    /// One public link; see [`S3Client::get_presigned_s3_public_urls`].
    #[tracing::instrument(skip_all, fields(workspace = self.span_workspace(), storage = object.storage(), key = object.key()))]
    pub async fn get_presigned_s3_public_url(
        &self,
        object: &S3Object,
        opts: &PresignOptions,
    ) -> Result<String> {
        self.get_presigned_s3_public_urls(std::slice::from_ref(object), opts)
            .await?
            .pop()
            .ok_or_else(|| Error::invalid("S3 object", "no URL built"))
    }

    settings_call! {
        /// The raw S3 settings of the default storage or of `s3_resource_path`
        /// (`job_helpers/v2/s3_resource_info`; what TS calls `denoS3LightClientSettings`).
        s3_resource_info => s3_resource_info -> S3ResourceInfo
    }

    settings_call! {
        /// boto3-style settings (S3 proxy credentials when available, else the storage's own).
        get_boto3_connection_settings => boto3_connection_settings -> Boto3Settings
    }

    settings_call! {
        /// Polars / s3fs settings (proxy-derived when available, else the server's).
        get_polars_connection_settings => polars_connection_settings -> PolarsSettings
    }

    settings_call! {
        /// DuckDB `SET s3_...` statements (proxy-derived when available, else the server's).
        get_duckdb_connection_settings => duckdb_connection_settings -> DuckdbSettings
    }
}
