//! The Windmill endpoints behind storage resolution, signing and connection settings, and
//! their typed answers.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use wmill_core::{Error, ItemKind, Result};

use wmill_http::reqwest::Method;

use super::WindmillConnection;
use super::connection::send_secret_json;
use crate::S3Object;

/// A workspace storage's S3 settings as `job_helpers/v2/s3_resource_info` returns them
/// (Windmill's `S3Resource`, plus the `port`, STS `token` and `expiration` the server also
/// sends). `Debug` hides the secret key and the session token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct S3ResourceInfo {
    /// Bucket name.
    pub bucket: String,
    /// Region (may be empty for S3-compatible servers).
    #[serde(default)]
    pub region: String,
    /// Host (and optionally `:port`) of the S3 endpoint, without scheme.
    #[serde(rename = "endPoint")]
    pub end_point: String,
    /// HTTPS (`true`) or plain HTTP.
    #[serde(rename = "useSSL", default)]
    pub use_ssl: bool,
    /// Static access key id, absent for instance-role storages.
    #[serde(rename = "accessKey", default, skip_serializing_if = "Option::is_none")]
    pub access_key: Option<String>,
    /// Static secret key.
    #[serde(rename = "secretKey", default, skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<String>,
    /// Path-style (`endpoint/bucket/key`) rather than virtual-hosted requests.
    #[serde(rename = "pathStyle", default)]
    pub path_style: bool,
    /// Port, when not part of `endPoint`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// STS session token, for temporary credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// When temporary (STS) credentials expire, as the server sent it; absent for static keys.
    ///
    /// Windmill's `S3Resource` (`backend/windmill-types/src/s3.rs`, earlier
    /// `backend/windmill-common/src/s3_helpers.rs`) has an optional `expiration`
    /// (`DateTime<Utc>`, serialized as RFC 3339, left out when absent), set when the server
    /// derived the credentials from a role (AWS OIDC). The OpenAPI spec does not list it. Kept
    /// as text: a number is kept as its digits, any other JSON value reads as absent, so an
    /// unexpected shape never fails the whole answer. [`S3ResourceInfo::expires_at`] decodes it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_text"
    )]
    pub expiration: Option<String>,
}

/// A string as is, a number as its digits, anything else (null, bool, array, object) as `None`.
fn lenient_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

impl fmt::Debug for S3ResourceInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3ResourceInfo")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("end_point", &self.end_point)
            .field("use_ssl", &self.use_ssl)
            .field("access_key", &self.access_key)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "***"))
            .field("path_style", &self.path_style)
            .field("port", &self.port)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("expiration", &self.expiration)
            .finish()
    }
}

impl S3ResourceInfo {
    /// When the credentials expire, decoded from [`S3ResourceInfo::expiration`]: an RFC 3339
    /// date (what the server sends, e.g. `2025-01-02T03:04:05Z`) or a number of seconds since
    /// the Unix epoch. `None` when absent or in any other format.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    ///
    /// let info: wmill_s3::S3ResourceInfo = serde_json::from_value(serde_json::json!({
    ///     "bucket": "b", "endPoint": "s3.amazonaws.com", "useSSL": true, "pathStyle": false,
    ///     "expiration": "2025-01-02T03:04:05Z"
    /// }))?;
    /// assert_eq!(info.expires_at(), Some(UNIX_EPOCH + Duration::from_secs(1_735_787_045)));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn expires_at(&self) -> Option<SystemTime> {
        let raw = self.expiration.as_deref()?.trim();
        if let Ok(secs) = raw.parse::<u64>() {
            return UNIX_EPOCH.checked_add(Duration::from_secs(secs));
        }
        let at = chrono::DateTime::parse_from_rfc3339(raw).ok()?;
        let secs = u64::try_from(at.timestamp()).ok()?;
        UNIX_EPOCH.checked_add(Duration::new(secs, at.timestamp_subsec_nanos()))
    }

    /// `http(s)://endPoint[:port]`, as the Python client builds it (an `endPoint` that already
    /// has a scheme is kept).
    ///
    /// ```
    /// let info: wmill_s3::S3ResourceInfo = serde_json::from_value(serde_json::json!({
    ///     "bucket": "b", "region": "eu", "endPoint": "minio:9000", "useSSL": false, "pathStyle": true
    /// }))?;
    /// assert_eq!(info.endpoint_url(), "http://minio:9000");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn endpoint_url(&self) -> String {
        let base = if self.end_point.contains("://") {
            self.end_point.trim_end_matches('/').to_owned()
        } else {
            let scheme = if self.use_ssl { "https" } else { "http" };
            format!("{scheme}://{}", self.end_point.trim_end_matches('/'))
        };
        match self.port {
            Some(port) if !has_port(&base) => format!("{base}:{port}"),
            _ => base,
        }
    }
}

fn has_port(url: &str) -> bool {
    url.split("://").nth(1).is_some_and(|host| {
        host.rsplit_once(':')
            .is_some_and(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
    })
}

/// boto3-style settings (`boto3.client("s3", **settings)` in Python), as the Python client's
/// `get_boto3_connection_settings` builds them. `Debug` hides secrets.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Boto3Settings {
    /// `http(s)://host[:port]`.
    pub endpoint_url: String,
    /// Region.
    pub region_name: String,
    /// HTTPS or not.
    pub use_ssl: bool,
    /// Access key id.
    pub aws_access_key_id: String,
    /// Secret key.
    pub aws_secret_access_key: String,
    /// STS session token, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_session_token: Option<String>,
    /// The bucket to use (not part of Python's dict, handy for Rust clients).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
}

impl fmt::Debug for Boto3Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Boto3Settings")
            .field("endpoint_url", &self.endpoint_url)
            .field("region_name", &self.region_name)
            .field("use_ssl", &self.use_ssl)
            // Through the S3 proxy the key id is the job token without its signature: hidden too.
            .field("aws_access_key_id", &"***")
            .field("aws_secret_access_key", &"***")
            .field(
                "aws_session_token",
                &self.aws_session_token.as_ref().map(|_| "***"),
            )
            .field("bucket", &self.bucket)
            .finish()
    }
}

/// Polars / s3fs settings (`job_helpers/v2/polars_connection_settings`, or derived for the S3
/// proxy). Unknown fields are kept in `extra`. `Debug` hides secrets.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PolarsSettings {
    /// Arguments of `s3fs.S3FileSystem(**s3fs_args)`.
    pub s3fs_args: Map<String, Value>,
    /// `storage_options` of `pl.read_*` / `scan_*` (object_store keys).
    pub storage_options: Map<String, Value>,
    /// The bucket, in proxy mode (`None` in direct mode, as in Python).
    #[serde(default)]
    pub s3_bucket: Option<String>,
}

impl fmt::Debug for PolarsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolarsSettings")
            .field("s3fs_args", &shown(&self.s3fs_args))
            .field("storage_options", &shown(&self.storage_options))
            .field("s3_bucket", &self.s3_bucket)
            .finish()
    }
}

/// Keys of connection settings whose values are not secret: every other value is `***` in
/// `Debug` (through the S3 proxy, the access key is the job token's header and payload).
const PLAIN_SETTINGS: &[&str] = &[
    "endpoint_url",
    "aws_endpoint_url",
    "region_name",
    "aws_region",
    "use_ssl",
    "aws_allow_http",
    "aws_virtual_hosted_style_request",
    "cache_regions",
    "addressing_style",
    "client_kwargs",
    "config_kwargs",
    "s3",
];

/// `m` with the values of every key not in [`PLAIN_SETTINGS`] replaced by `***` (nested
/// objects too).
fn shown(m: &Map<String, Value>) -> Map<String, Value> {
    m.iter()
        .map(|(k, v)| {
            let v = match v {
                _ if !PLAIN_SETTINGS.contains(&k.as_str()) => Value::from("***"),
                Value::Object(inner) => Value::Object(shown(inner)),
                Value::String(_) | Value::Bool(_) | Value::Number(_) | Value::Null => v.clone(),
                Value::Array(_) => Value::from("***"),
            };
            (k.clone(), v)
        })
        .collect()
}

/// DuckDB settings: SQL statements to run before reading `s3://` paths. `Debug` hides them
/// (they contain the secret key).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DuckdbSettings {
    /// `SET s3_...` statements, `;`-separated.
    pub connection_settings_str: String,
    /// The bucket, in proxy mode.
    #[serde(default)]
    pub s3_bucket: Option<String>,
    /// Azure container path, for Azure storages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_container_path: Option<String>,
}

impl fmt::Debug for DuckdbSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DuckdbSettings")
            .field("connection_settings_str", &"***")
            .field("s3_bucket", &self.s3_bucket)
            .field("azure_container_path", &self.azure_container_path)
            .finish()
    }
}

/// Credentials for Windmill's S3 proxy, derived from a job token the server signed (`jwt_...`):
/// the access key is the token up to its last `.`, the secret the part after it.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProxyCredentials {
    /// `{base}/api/w/{ws}/s3_proxy/_wm_bucket_/{storage or _default_}`.
    pub endpoint_url: String,
    /// The bucket name to use in requests.
    pub bucket: String,
    /// Access key (JWT header and payload).
    pub access_key: String,
    /// Secret key (JWT signature).
    pub secret_key: String,
    /// Always `us-east-1` (the proxy checks whatever region the client signed for).
    pub region: String,
    /// Whether the base URL is HTTPS.
    pub use_ssl: bool,
}

impl fmt::Debug for ProxyCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyCredentials")
            .field("endpoint_url", &self.endpoint_url)
            .field("bucket", &self.bucket)
            .field("access_key", &"***")
            .field("secret_key", &"***")
            .field("region", &self.region)
            .field("use_ssl", &self.use_ssl)
            .finish()
    }
}

fn resource_body(s3_resource_path: Option<&str>) -> Value {
    // An empty path would name a resource "": leave it out instead.
    match s3_resource_path.filter(|p| !p.is_empty()) {
        Some(p) => json!({ "s3_resource_path": p }),
        None => json!({}),
    }
}

impl WindmillConnection {
    /// `POST {path}` with the resource body: the settings endpoints (read-only, so retried).
    async fn settings<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        s3_resource_path: Option<&str>,
    ) -> Result<T> {
        let item = s3_resource_path.unwrap_or("workspace default storage");
        let req = self
            .request(Method::POST, path, &[])
            .json(&resource_body(s3_resource_path))?
            .idempotent()
            .not_found(ItemKind::Storage, item);
        send_secret_json(req, "POST").await
    }

    /// Whether the token is one the server signed itself (`jwt_`, not `jwt_ext_` / `jwt_agent_`),
    /// the condition for S3 proxy credentials.
    pub fn has_server_signed_token(&self) -> bool {
        let t = self.token();
        t.starts_with("jwt_")
            && !t.starts_with("jwt_ext_")
            && !t.starts_with("jwt_agent_")
            && t.rfind('.').is_some_and(|i| i > 4 && i + 1 < t.len())
    }

    /// `POST /w/{ws}/job_helpers/v2/s3_resource_info`, body `{}` (the workspace's default
    /// storage) or `{"s3_resource_path": path}`.
    pub async fn s3_resource_info(&self, s3_resource_path: Option<&str>) -> Result<S3ResourceInfo> {
        let item = s3_resource_path.unwrap_or("workspace default storage");
        let req = self
            .request(Method::POST, "job_helpers/v2/s3_resource_info", &[])
            .json(&resource_body(s3_resource_path))?
            .idempotent()
            .not_found(ItemKind::Storage, item);
        send_secret_json(req, "POST").await
    }

    /// `GET /w/{ws}/job_helpers/v2/s3_proxy_bucket[?storage=name]`: the bucket S3 clients use
    /// through the proxy, `None` when the storage is not S3.
    pub async fn s3_proxy_bucket(&self, storage: Option<&str>) -> Result<Option<String>> {
        let answer: Value = self
            .request(
                Method::GET,
                "job_helpers/v2/s3_proxy_bucket",
                &[("storage", storage)],
            )
            .idempotent()
            .not_found(ItemKind::Storage, storage.unwrap_or("_default_"))
            .send_json()
            .await?;
        // `{"bucket": null}` is "not S3"; an answer without the key is not that answer.
        match answer.get("bucket") {
            Some(Value::Null) => Ok(None),
            Some(Value::String(bucket)) => Ok(Some(bucket.clone())),
            _ => Err(Error::Decode {
                request: "GET /job_helpers/v2/s3_proxy_bucket".into(),
                body_excerpt: wmill_core::excerpt(
                    answer.to_string().as_bytes(),
                    wmill_core::MAX_DECODE_EXCERPT,
                ),
                source: "expected {\"bucket\": string or null}".into(),
            }),
        }
    }

    /// S3 proxy credentials for `storage` (section "S3 proxy" of the Windmill docs).
    ///
    /// # Errors
    /// [`Error::Unsupported`] when the token is not server-signed or the storage is not S3.
    pub async fn s3_proxy_credentials(&self, storage: Option<&str>) -> Result<ProxyCredentials> {
        if !self.has_server_signed_token() {
            return Err(Error::Unsupported {
                operation: "S3 proxy credentials",
                backend: "a token the server did not sign (not jwt_...)",
            });
        }
        let bucket = self
            .s3_proxy_bucket(storage)
            .await?
            .ok_or(Error::Unsupported {
                operation: "S3 proxy",
                backend: "a storage that is not S3",
            })?;
        let token = self.token();
        let (access_key, secret_key) = token.rsplit_once('.').ok_or(Error::Unsupported {
            operation: "S3 proxy credentials",
            backend: "a token without a signature",
        })?;
        let endpoint = wmill_http::url_with_segments(
            self.base_url(),
            [
                "api",
                "w",
                self.workspace(),
                "s3_proxy",
                "_wm_bucket_",
                storage.unwrap_or("_default_"),
            ],
        )?;
        Ok(ProxyCredentials {
            endpoint_url: endpoint.to_string(),
            bucket,
            access_key: access_key.to_owned(),
            secret_key: secret_key.to_owned(),
            region: "us-east-1".to_owned(),
            use_ssl: self.base_url().scheme() == "https",
        })
    }

    /// `POST /w/{ws}/apps/sign_s3_objects` body `{"s3_objects": [...], "expiry_secs"?: n}`
    /// (`expiry_secs` left out when `None`; the server defaults to 43200 and clamps to
    /// [60, 604800]).
    pub async fn sign_s3_objects(
        &self,
        objects: &[S3Object],
        expiry_secs: Option<u64>,
    ) -> Result<Vec<S3Object>> {
        let mut body = json!({ "s3_objects": objects });
        if let (Some(secs), Some(map)) = (expiry_secs, body.as_object_mut()) {
            map.insert("expiry_secs".into(), json!(secs));
        }
        let first = objects.first().map(ToString::to_string).unwrap_or_default();
        // Signing has no effect on the server: safe to repeat.
        let req = self
            .request(Method::POST, "apps/sign_s3_objects", &[])
            .json(&body)?
            .idempotent()
            .not_found(ItemKind::Object, first);
        send_secret_json(req, "POST").await
    }

    /// `POST /w/{ws}/job_helpers/v2/polars_connection_settings`.
    pub async fn polars_connection_settings_direct(
        &self,
        s3_resource_path: Option<&str>,
    ) -> Result<PolarsSettings> {
        self.settings(
            "job_helpers/v2/polars_connection_settings",
            s3_resource_path,
        )
        .await
    }

    /// `POST /w/{ws}/job_helpers/v2/duckdb_connection_settings`.
    pub async fn duckdb_connection_settings_direct(
        &self,
        s3_resource_path: Option<&str>,
    ) -> Result<DuckdbSettings> {
        self.settings(
            "job_helpers/v2/duckdb_connection_settings",
            s3_resource_path,
        )
        .await
    }

    /// Proxy credentials when the Python client would use them (no resource path, server-signed
    /// token, an S3 default storage), else `None`.
    async fn proxy_for_settings(
        &self,
        s3_resource_path: Option<&str>,
    ) -> Result<Option<ProxyCredentials>> {
        if s3_resource_path.is_some_and(|p| !p.is_empty()) || !self.has_server_signed_token() {
            return Ok(None);
        }
        match self.s3_proxy_bucket(None).await {
            Ok(Some(_)) => self.s3_proxy_credentials(None).await.map(Some),
            Ok(None) => Ok(None),
            Err(e) => {
                tracing::debug!(error = %e, "S3 proxy unavailable: using the storage's own credentials");
                Ok(None)
            }
        }
    }

    /// boto3-style settings: S3 proxy credentials when available (server-signed token, no
    /// resource path, S3 storage), else the storage's own (`s3_resource_info`).
    ///
    /// # Errors
    /// [`Error::NotConfigured`] when the storage has no static keys (instance roles).
    pub async fn boto3_connection_settings(
        &self,
        s3_resource_path: Option<&str>,
    ) -> Result<Boto3Settings> {
        if let Some(p) = self.proxy_for_settings(s3_resource_path).await? {
            tracing::debug!("boto3 settings: S3 proxy");
            return Ok(Boto3Settings {
                endpoint_url: p.endpoint_url,
                region_name: p.region,
                use_ssl: p.use_ssl,
                aws_access_key_id: p.access_key,
                aws_secret_access_key: p.secret_key,
                aws_session_token: None,
                bucket: Some(p.bucket),
            });
        }
        tracing::debug!("boto3 settings: direct (s3_resource_info)");
        let info = self.s3_resource_info(s3_resource_path).await?;
        let (Some(key), Some(secret)) = (info.access_key.clone(), info.secret_key.clone()) else {
            return Err(Error::NotConfigured {
                what: "storage access keys",
                hint: "the storage has no static access key (instance role?): use the S3 proxy or the helper endpoints".into(),
            });
        };
        Ok(Boto3Settings {
            endpoint_url: info.endpoint_url(),
            region_name: info.region.clone(),
            use_ssl: info.use_ssl,
            aws_access_key_id: key,
            aws_secret_access_key: secret,
            aws_session_token: info.token.clone(),
            bucket: Some(info.bucket),
        })
    }

    /// Polars settings: derived from S3 proxy credentials when available, else
    /// `job_helpers/v2/polars_connection_settings`.
    pub async fn polars_connection_settings(
        &self,
        s3_resource_path: Option<&str>,
    ) -> Result<PolarsSettings> {
        if let Some(p) = self.proxy_for_settings(s3_resource_path).await? {
            tracing::debug!("polars settings: S3 proxy");
            let s3fs_args = json!({
                "endpoint_url": p.endpoint_url,
                "key": p.access_key,
                "secret": p.secret_key,
                "use_ssl": p.use_ssl,
                "cache_regions": false,
                "client_kwargs": { "region_name": p.region },
                "config_kwargs": { "s3": { "addressing_style": "path" } },
            });
            let storage_options = json!({
                "aws_endpoint_url": p.endpoint_url,
                "aws_access_key_id": p.access_key,
                "aws_secret_access_key": p.secret_key,
                "aws_region": p.region,
                "aws_allow_http": if p.use_ssl { "false" } else { "true" },
                "aws_virtual_hosted_style_request": "false",
            });
            return Ok(PolarsSettings {
                s3fs_args: object(s3fs_args),
                storage_options: object(storage_options),
                s3_bucket: Some(p.bucket),
            });
        }
        tracing::debug!("polars settings: direct");
        self.polars_connection_settings_direct(s3_resource_path)
            .await
    }

    /// DuckDB settings: `SET s3_...` statements from S3 proxy credentials when available, else
    /// `job_helpers/v2/duckdb_connection_settings`.
    pub async fn duckdb_connection_settings(
        &self,
        s3_resource_path: Option<&str>,
    ) -> Result<DuckdbSettings> {
        if let Some(p) = self.proxy_for_settings(s3_resource_path).await? {
            tracing::debug!("duckdb settings: S3 proxy");
            let endpoint = p
                .endpoint_url
                .split_once("://")
                .map_or(p.endpoint_url.as_str(), |(_, rest)| rest);
            // Values are SQL string literals: a quote inside one is doubled, so no value can
            // end its literal and add a statement.
            let lit = |v: &str| v.replace('\'', "''");
            let mut stmts = vec![
                "SET home_directory='./'".to_owned(),
                "INSTALL 'httpfs'".to_owned(),
                "SET s3_url_style='path'".to_owned(),
                format!("SET s3_region='{}'", lit(&p.region)),
                format!("SET s3_endpoint='{}'", lit(endpoint)),
                format!("SET s3_access_key_id='{}'", lit(&p.access_key)),
                format!("SET s3_secret_access_key='{}'", lit(&p.secret_key)),
            ];
            if !p.use_ssl {
                stmts.push("SET s3_use_ssl=0".to_owned());
            }
            return Ok(DuckdbSettings {
                connection_settings_str: stmts.join(";\n") + ";",
                s3_bucket: Some(p.bucket),
                azure_container_path: None,
            });
        }
        tracing::debug!("duckdb settings: direct");
        self.duckdb_connection_settings_direct(s3_resource_path)
            .await
    }
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Through the S3 proxy the access key is the job token's header and payload and the
    /// secret its signature: `Debug` shows neither, at any depth, nor any key it does not know.
    #[test]
    fn polars_settings_debug_hides_every_credential() {
        let settings = PolarsSettings {
            s3fs_args: object(json!({
                "endpoint_url": "http://wm/api/w/ws/s3_proxy",
                "key": "jwt_HEADER.PAYLOAD",
                "secret": "SIGNATURE",
                "use_ssl": false,
                "client_kwargs": {"region_name": "us-east-1", "aws_session_token": "STS"},
                "unknown_field": "MAYBE-SECRET",
            })),
            storage_options: object(json!({
                "aws_endpoint_url": "http://wm/api/w/ws/s3_proxy",
                "aws_access_key_id": "jwt_HEADER.PAYLOAD",
                "aws_secret_access_key": "SIGNATURE",
                "aws_region": "us-east-1",
                "aws_allow_http": "true",
            })),
            s3_bucket: Some("bucket".into()),
        };
        let text = format!("{settings:?} {settings:#?}");
        for secret in ["HEADER", "PAYLOAD", "SIGNATURE", "STS", "MAYBE-SECRET"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        for shown in [
            "http://wm/api/w/ws/s3_proxy",
            "us-east-1",
            "bucket",
            "aws_access_key_id",
        ] {
            assert!(text.contains(shown), "{shown} missing from {text}");
        }
    }
}
