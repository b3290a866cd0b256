//! Mapping object_store errors to [`wmill_core::Error`], naming the storage and the key.

use wmill_core::{Error, ItemKind};

/// `s3://<storage>/<key>` for messages.
pub(crate) fn location(storage: Option<&str>, key: &str) -> String {
    format!("s3://{}/{}", storage.unwrap_or(""), key)
}

/// Maps an object_store error of `operation` on `storage`/`key`.
///
/// - `NotFound` -> [`Error::NotFound`] (kind object, the `s3://` location);
/// - `PermissionDenied` / `Unauthenticated` -> [`Error::Unauthorized`] (403 / 401), `request` is
///   `"<operation> s3://storage/key"`, `body` the store's message;
/// - `InvalidPath` -> [`Error::InvalidInput`];
/// - `NotImplemented` / `NotSupported` -> [`Error::Storage`] (source kept);
/// - everything else -> [`Error::Storage`] with `operation` = `"<operation> s3://storage/key"` and
///   the object_store error as the source.
pub(crate) fn map_store_error(
    err: object_store::Error,
    operation: &str,
    storage: Option<&str>,
    key: &str,
) -> Error {
    let loc = location(storage, key);
    match err {
        object_store::Error::NotFound { .. } => Error::NotFound {
            kind: ItemKind::Object,
            path: loc.into(),
        },
        object_store::Error::PermissionDenied { .. } => Error::from_status(
            403,
            format!("{operation} {loc}"),
            err.to_string().as_bytes(),
        ),
        object_store::Error::Unauthenticated { .. } => Error::from_status(
            401,
            format!("{operation} {loc}"),
            err.to_string().as_bytes(),
        ),
        object_store::Error::InvalidPath { source } => Error::InvalidInput {
            what: "S3 object key",
            reason: format!("{loc}: {source}"),
        },
        // Our own Windmill-backed store wraps wmill errors: give them back unchanged.
        object_store::Error::Generic { store, source } => {
            match source.downcast::<WrappedWmillError>() {
                Ok(wrapped) => wrapped.0,
                Err(source) => storage_error(
                    format!("{operation} {loc}"),
                    object_store::Error::Generic { store, source },
                ),
            }
        }
        other => storage_error(format!("{operation} {loc}"), other),
    }
}

/// [`Error::Storage`] with the store's error as source; a request that timed out says so
/// through [`Error::is_timeout`] (an I/O error of kind `TimedOut` around the store's error).
fn storage_error(operation: String, err: object_store::Error) -> Error {
    let source: wmill_core::BoxError = if timed_out(&err) {
        Box::new(std::io::Error::new(std::io::ErrorKind::TimedOut, err))
    } else {
        Box::new(err)
    };
    Error::Storage { operation, source }
}

/// Whether the store's error chain holds an HTTP request that timed out.
fn timed_out(err: &object_store::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(http) = e.downcast_ref::<object_store::client::HttpError>()
            && matches!(http.kind(), object_store::client::HttpErrorKind::Timeout)
        {
            return true;
        }
        source = e.source();
    }
    false
}

/// A [`wmill_core::Error`] travelling through an `object_store::Error::Generic`, so an
/// `ObjectStore` built on Windmill's HTTP endpoints keeps typed errors (status, request) all the
/// way to the caller.
#[derive(Debug)]
pub(crate) struct WrappedWmillError(pub(crate) Error);

impl std::fmt::Display for WrappedWmillError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for WrappedWmillError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Wraps a wmill error for an object_store API (`store` names the backend).
#[cfg_attr(not(feature = "windmill"), allow(dead_code))]
pub(crate) fn to_store_error(err: Error, store: &'static str) -> object_store::Error {
    match err {
        // Only a missing object is object_store's NotFound: a missing storage or S3 resource
        // must not read as "no such key" (and `exists` as false).
        Error::NotFound {
            path,
            kind: ItemKind::Object,
        } => object_store::Error::NotFound {
            path: path.as_str().to_owned(),
            source: Box::new(WrappedWmillError(Error::NotFound {
                kind: ItemKind::Object,
                path,
            })),
        },
        other => object_store::Error::Generic {
            store,
            source: Box::new(WrappedWmillError(other)),
        },
    }
}

/// An error and its sources, `: `-separated (errors never carry secrets).
#[cfg_attr(not(feature = "windmill"), allow(dead_code))]
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let more = inner.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = inner.source();
    }
    text
}

#[cfg(test)]
mod tests;
