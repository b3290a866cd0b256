//! The storage settings the server hands out, typed: a storage's S3 settings
//! ([`S3ResourceInfo`]), S3 proxy credentials ([`ProxyCredentials`]) and the connection
//! settings of boto3, Polars and DuckDB, with how each is derived from proxy credentials. Their
//! `Debug` never shows a secret.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use wmill_core::{Error, Result};

/// `Debug` of a settings type, field by field in declaration order: `name` shows the value,
/// `name: secret` shows `"***"`, `name: secret_opt` shows `Some("***")` or `None`, and
/// `name = f` shows `f(&value)`.
macro_rules! debug_hiding {
    ($ty:ident { $($field:ident $(: $how:ident)? $(= $via:path)?),* $(,)? }) => {
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($field), &debug_hiding!(@show self.$field $(, $how)? $(; $via)?)))*
                    .finish()
            }
        }
    };
    (@show $v:expr) => { $v };
    (@show $v:expr, secret) => { "***" };
    (@show $v:expr, secret_opt) => { $v.as_ref().map(|_| "***") };
    (@show $v:expr; $via:path) => { $via(&$v) };
}

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

debug_hiding!(S3ResourceInfo {
    bucket,
    region,
    end_point,
    use_ssl,
    access_key,
    secret_key: secret_opt,
    path_style,
    port,
    token: secret_opt,
    expiration,
});

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
        wmill_core::timestamp_from_rfc3339(raw).filter(|at| *at >= UNIX_EPOCH)
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

// Through the S3 proxy the key id is the job token without its signature: hidden too.
debug_hiding!(Boto3Settings {
    endpoint_url,
    region_name,
    use_ssl,
    aws_access_key_id: secret,
    aws_secret_access_key: secret,
    aws_session_token: secret_opt,
    bucket,
});

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

debug_hiding!(PolarsSettings {
    s3fs_args = shown,
    storage_options = shown,
    s3_bucket,
});

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

debug_hiding!(DuckdbSettings {
    connection_settings_str: secret,
    s3_bucket,
    azure_container_path,
});

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

debug_hiding!(ProxyCredentials {
    endpoint_url,
    bucket,
    access_key: secret,
    secret_key: secret,
    region,
    use_ssl,
});

// How each settings type is derived, as the Python client derives it.

impl Boto3Settings {
    /// The settings of S3 proxy credentials.
    pub(crate) fn from_proxy(p: ProxyCredentials) -> Self {
        Boto3Settings {
            endpoint_url: p.endpoint_url,
            region_name: p.region,
            use_ssl: p.use_ssl,
            aws_access_key_id: p.access_key,
            aws_secret_access_key: p.secret_key,
            aws_session_token: None,
            bucket: Some(p.bucket),
        }
    }

    /// The settings of a storage's own static keys.
    ///
    /// # Errors
    /// [`Error::NotConfigured`] when the storage has no static keys (instance roles).
    pub(crate) fn from_resource_info(info: S3ResourceInfo) -> Result<Self> {
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
}

impl PolarsSettings {
    /// s3fs arguments and object_store options of S3 proxy credentials.
    pub(crate) fn from_proxy(p: ProxyCredentials) -> Self {
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
        PolarsSettings {
            s3fs_args: object(s3fs_args),
            storage_options: object(storage_options),
            s3_bucket: Some(p.bucket),
        }
    }
}

impl DuckdbSettings {
    /// `SET s3_...` statements of S3 proxy credentials.
    pub(crate) fn from_proxy(p: ProxyCredentials) -> Self {
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
        DuckdbSettings {
            connection_settings_str: stmts.join(";\n") + ";",
            s3_bucket: Some(p.bucket),
            azure_container_path: None,
        }
    }
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests;
