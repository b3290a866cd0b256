//! The Windmill endpoints behind storage settings, S3 proxy credentials and signing: typed
//! calls on [`WindmillConnection`] returning the types of `settings.rs`.

use serde_json::{Value, json};
use wmill_core::{Error, ItemKind, Result};
use wmill_http::reqwest::Method;

use super::WindmillConnection;
use super::connection::{call_span, send_secret_json, unexpected_answer};
use super::settings::{
    Boto3Settings, DuckdbSettings, PolarsSettings, ProxyCredentials, S3ResourceInfo,
};
use crate::S3Object;
use tracing::Instrument;

fn resource_body(s3_resource_path: Option<&str>) -> Value {
    // An empty path would name a resource "": leave it out instead.
    match s3_resource_path.filter(|p| !p.is_empty()) {
        Some(p) => json!({ "s3_resource_path": p }),
        None => json!({}),
    }
}

/// A settings method of [`WindmillConnection`]: `name` answers for the default storage or
/// `s3_resource_path`, through the private method `helper` and its other arguments.
macro_rules! settings_endpoint {
    ($(#[doc = $doc:literal])* $name:ident -> $out:ty = $helper:ident($($arg:expr),* $(,)?)) => {
        $(#[doc = $doc])*
        pub async fn $name(&self, s3_resource_path: Option<&str>) -> Result<$out> {
            let span = call_span!(
                stringify!($name),
                workspace = self.workspace(),
                resource = s3_resource_path
            );
            self.$helper(s3_resource_path, $($arg),*).instrument(span).await
        }
    };
}

impl WindmillConnection {
    /// `POST {path}` with the resource body: the settings endpoints (read-only, so retried).
    async fn settings<T: serde::de::DeserializeOwned>(
        &self,
        s3_resource_path: Option<&str>,
        path: &str,
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

    settings_endpoint! {
        /// `POST /w/{ws}/job_helpers/v2/s3_resource_info`, body `{}` (the workspace's default
        /// storage) or `{"s3_resource_path": path}`.
        s3_resource_info -> S3ResourceInfo = settings("job_helpers/v2/s3_resource_info")
    }

    /// `GET /w/{ws}/job_helpers/v2/s3_proxy_bucket[?storage=name]`: the bucket S3 clients use
    /// through the proxy, `None` when the storage is not S3.
    pub async fn s3_proxy_bucket(&self, storage: Option<&str>) -> Result<Option<String>> {
        let span = call_span!(
            "s3_proxy_bucket",
            workspace = self.workspace(),
            storage = storage
        );
        async move {
            let answer: Value = self
                .read_request("job_helpers/v2/s3_proxy_bucket", &[("storage", storage)])
                .not_found(ItemKind::Storage, storage.unwrap_or("_default_"))
                .send_json()
                .await?;
            // `{"bucket": null}` is "not S3"; an answer without the key is not that answer.
            match answer.get("bucket") {
                Some(Value::Null) => Ok(None),
                Some(Value::String(bucket)) => Ok(Some(bucket.clone())),
                _ => Err(unexpected_answer(
                    "GET /job_helpers/v2/s3_proxy_bucket",
                    answer.to_string().as_bytes(),
                    "expected {\"bucket\": string or null}",
                )),
            }
        }
        .instrument(span)
        .await
    }

    /// S3 proxy credentials for `storage` (section "S3 proxy" of the Windmill docs).
    ///
    /// # Errors
    /// [`Error::Unsupported`] when the token is not server-signed or the storage is not S3.
    pub async fn s3_proxy_credentials(&self, storage: Option<&str>) -> Result<ProxyCredentials> {
        let span = call_span!(
            "s3_proxy_credentials",
            workspace = self.workspace(),
            storage = storage
        );
        async move {
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
            let endpoint = self.s3_proxy_url(
                "base URL",
                self.base_url(),
                ["_wm_bucket_", storage.unwrap_or("_default_")],
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
        .instrument(span)
        .await
    }

    /// `POST /w/{ws}/apps/sign_s3_objects` body `{"s3_objects": [...], "expiry_secs"?: n}`
    /// (`expiry_secs` left out when `None`; the server defaults to 43200 and clamps to
    /// [60, 604800]).
    pub async fn sign_s3_objects(
        &self,
        objects: &[S3Object],
        expiry_secs: Option<u64>,
    ) -> Result<Vec<S3Object>> {
        let span = call_span!(
            "sign_s3_objects",
            workspace = self.workspace(),
            count = objects.len()
        );
        async move {
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
        .instrument(span)
        .await
    }

    settings_endpoint! {
        /// `POST /w/{ws}/job_helpers/v2/polars_connection_settings`.
        polars_connection_settings_direct -> PolarsSettings =
            settings("job_helpers/v2/polars_connection_settings")
    }

    settings_endpoint! {
        /// `POST /w/{ws}/job_helpers/v2/duckdb_connection_settings`.
        duckdb_connection_settings_direct -> DuckdbSettings =
            settings("job_helpers/v2/duckdb_connection_settings")
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
        let span = call_span!(
            "boto3_connection_settings",
            workspace = self.workspace(),
            resource = s3_resource_path
        );
        async move {
            if let Some(p) = self.proxy_for_settings(s3_resource_path).await? {
                tracing::debug!("boto3 settings: S3 proxy");
                return Ok(Boto3Settings::from_proxy(p));
            }
            tracing::debug!("boto3 settings: direct (s3_resource_info)");
            Boto3Settings::from_resource_info(self.s3_resource_info(s3_resource_path).await?)
        }
        .instrument(span)
        .await
    }

    settings_endpoint! {
        /// Polars settings: derived from S3 proxy credentials when available, else
        /// `job_helpers/v2/polars_connection_settings`.
        polars_connection_settings -> PolarsSettings = proxy_or_direct(
            "polars",
            PolarsSettings::from_proxy,
            "job_helpers/v2/polars_connection_settings"
        )
    }

    settings_endpoint! {
        /// DuckDB settings: `SET s3_...` statements from S3 proxy credentials when available,
        /// else `job_helpers/v2/duckdb_connection_settings`.
        duckdb_connection_settings -> DuckdbSettings = proxy_or_direct(
            "duckdb",
            DuckdbSettings::from_proxy,
            "job_helpers/v2/duckdb_connection_settings"
        )
    }

    /// Settings derived by `from_proxy` from S3 proxy credentials when the Python client would
    /// use them, else the server's answer at `direct_path`; `what` names them in the logs.
    async fn proxy_or_direct<T: serde::de::DeserializeOwned>(
        &self,
        s3_resource_path: Option<&str>,
        what: &str,
        from_proxy: fn(ProxyCredentials) -> T,
        direct_path: &str,
    ) -> Result<T> {
        if let Some(p) = self.proxy_for_settings(s3_resource_path).await? {
            tracing::debug!("{what} settings: S3 proxy");
            return Ok(from_proxy(p));
        }
        tracing::debug!("{what} settings: direct");
        self.settings(s3_resource_path, direct_path).await
    }
}
