//! The object stores a `WindmillResolver` builds for each
//! `StorageAccess` mode (direct, S3 proxy, helper endpoints), and the
//! probe that tells whether a store answers.

use std::sync::Arc;
use std::time::Duration;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use wmill_core::{Error, Result};

use super::credentials::WindmillCredentials;
use super::{S3ResourceInfo, WindmillConnection, WindmillHelperStore};

/// Whether `store` answers within `timeout` (a `HEAD` of a key that does not exist: "not
/// found" is success).
pub(super) async fn probe(store: &Arc<dyn ObjectStore>, timeout: Duration) -> Result<()> {
    let key = object_store::path::Path::from(".wmill-s3-probe");
    let head = store.get_opts(
        &key,
        object_store::GetOptions {
            head: true,
            ..Default::default()
        },
    );
    match tokio::time::timeout(timeout, head).await {
        Err(_) => Err(Error::Timeout {
            job_id: None,
            after: timeout,
        }),
        Ok(Ok(_)) | Ok(Err(object_store::Error::NotFound { .. })) => Ok(()),
        Ok(Err(e)) => Err(Error::Storage {
            operation: format!("probe {store}"),
            source: Box::new(e),
        }),
    }
}

/// A store straight to the bucket of the S3 resource `resource` (`None`: the default storage),
/// with credentials from `s3_resource_info` refreshed after `ttl` (or before the expiry the
/// server announces). With `require_keys`, a storage without static keys is an error.
pub(super) async fn direct_store(
    conn: &WindmillConnection,
    resource: Option<String>,
    ttl: Duration,
    require_keys: bool,
) -> Result<Arc<dyn ObjectStore>> {
    let info = conn.s3_resource_info(resource.as_deref()).await?;
    if require_keys && info.access_key.is_none() {
        return Err(Error::NotConfigured {
            what: "storage access keys",
            hint: "the storage has no static keys".into(),
        });
    }
    build_direct(conn, resource, info, ttl)
}

/// A store through Windmill's S3 proxy, signed with credentials derived from the job token.
pub(super) async fn proxy_store(
    conn: &WindmillConnection,
    storage: Option<&str>,
) -> Result<Arc<dyn ObjectStore>> {
    let creds = conn.s3_proxy_credentials(storage).await?;
    wmill_http::install_crypto_provider();
    let store = AmazonS3Builder::new()
        .with_endpoint(&creds.endpoint_url)
        .with_bucket_name(&creds.bucket)
        .with_region(&creds.region)
        .with_virtual_hosted_style_request(false)
        .with_allow_http(!creds.use_ssl)
        .with_access_key_id(&creds.access_key)
        .with_secret_access_key(&creds.secret_key)
        .build()
        .map_err(|e| Error::Storage {
            operation: "configure the S3 proxy store".into(),
            source: Box::new(e),
        })?;
    Ok(Arc::new(store))
}

/// A store over the server's `job_helpers` endpoints.
pub(super) fn helper_store(
    conn: &WindmillConnection,
    storage: Option<&str>,
) -> Arc<dyn ObjectStore> {
    Arc::new(WindmillHelperStore::new(conn.clone(), storage))
}

/// An `AmazonS3` store for a storage's settings, with credentials that refresh.
fn build_direct(
    conn: &WindmillConnection,
    resource: Option<String>,
    info: S3ResourceInfo,
    ttl: Duration,
) -> Result<Arc<dyn ObjectStore>> {
    let endpoint = info.endpoint_url();
    let endpoint = if info.path_style {
        endpoint
    } else {
        // virtual-hosted: object_store expects the bucket in the endpoint
        match endpoint.split_once("://") {
            Some((scheme, host)) => format!("{scheme}://{}.{host}", info.bucket),
            None => endpoint,
        }
    };
    let region = if info.region.is_empty() {
        "us-east-1".to_owned()
    } else {
        info.region.clone()
    };
    wmill_http::install_crypto_provider();
    let mut builder = AmazonS3Builder::new()
        .with_endpoint(endpoint)
        .with_bucket_name(&info.bucket)
        .with_region(region)
        .with_virtual_hosted_style_request(!info.path_style)
        .with_allow_http(!info.use_ssl);
    if info.access_key.is_some() && info.secret_key.is_some() {
        builder = builder.with_credentials(Arc::new(WindmillCredentials::new(
            conn.clone(),
            resource,
            ttl,
            Some(info),
        )));
    }
    let store = builder.build().map_err(|e| Error::Storage {
        operation: "configure the direct S3 store".into(),
        source: Box::new(e),
    })?;
    Ok(Arc::new(store))
}
