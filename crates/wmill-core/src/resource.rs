//! Resources: [`ResourceStore`], [`ResourceStoreExt`] and their options.

use std::fmt::Debug;
use std::future::Future;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{AsItemPath, Error, ItemPath, Result};

/// Filters and paging of [`ResourceStore::list_resources`].
///
/// ```
/// use wmill_core::ListResources;
///
/// let q = ListResources::new().resource_type("postgresql").page(2, 50);
/// assert_eq!(q.per_page, Some(50));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListResources {
    /// Only resources of this type (a comma-separated list is accepted by the server).
    pub resource_type: Option<String>,
    /// Only paths starting with this prefix.
    pub path_start: Option<String>,
    /// The page, from 1.
    pub page: Option<u32>,
    /// Items per page, 1 to 10000 (server default 1000).
    pub per_page: Option<u32>,
}

impl ListResources {
    /// No filter, the server's default page.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// Only resources of `resource_type`.
        resource_type(resource_type: impl Into<String>) => resource_type = resource_type.into();
        /// Only paths starting with `prefix`.
        path_start(prefix: impl Into<String>) => path_start = prefix.into();
    }

    page_and_size!();
}

/// A resource as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResourceInfo {
    /// The resource's path.
    pub path: ItemPath,
    /// Its resource type (`postgresql`, `s3`, `state`, ...).
    pub resource_type: String,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// Its raw (not interpolated) value, when the backend lists values.
    #[serde(default)]
    pub value: Option<Value>,
}

impl ResourceInfo {
    /// A listing entry.
    pub fn new(path: ItemPath, resource_type: impl Into<String>) -> Self {
        ResourceInfo {
            path,
            resource_type: resource_type.into(),
            description: None,
            value: None,
        }
    }
}

/// Reading and writing workspace resources.
///
/// # Contract
/// - [`get_resource`](ResourceStore::get_resource) returns the value with `$var:` / `$res:`
///   references resolved (the server's "interpolated" value), or
///   [`Error::NotFound`] with [`ItemKind::Resource`](crate::ItemKind::Resource).
/// - [`set_resource`](ResourceStore::set_resource) creates the resource with `resource_type`
///   when it is missing and otherwise replaces its value (the type of an existing resource is
///   kept).
/// - [`list_resources`](ResourceStore::list_resources) returns one page.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ResourceStore: Debug + Send + Sync + 'static {
    /// The (interpolated) value of the resource at `path`.
    async fn get_resource(&self, path: &ItemPath) -> Result<Value>;

    /// Creates or updates the resource at `path`.
    async fn set_resource(&self, path: &ItemPath, value: &Value, resource_type: &str)
    -> Result<()>;

    /// Deletes the resource at `path`.
    async fn delete_resource(&self, path: &ItemPath) -> Result<()>;

    /// Lists resources (one page; every page as a stream:
    /// [`ResourceStoreListExt::stream_resources`](crate::ResourceStoreListExt::stream_resources)).
    /// A page of 0 or a page size of 0 or above 10000 is [`Error::InvalidInput`].
    async fn list_resources(&self, options: &ListResources) -> Result<Vec<ResourceInfo>>;
}

/// Typed helpers over any [`ResourceStore`].
///
/// Implemented for every `ResourceStore` (including `dyn ResourceStore` and mocks). You MUST
/// NOT implement this trait yourself.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use serde::{Deserialize, Serialize};
/// use wmill_core::{InMemory, ItemPath, ResourceStoreExt};
///
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// struct Postgres { host: String, port: u16 }
///
/// let store = InMemory::new();
/// let path = ItemPath::parse("f/db/main")?;
/// store.set_resource_from(&path, &Postgres { host: "db".into(), port: 5432 }, "postgresql").await?;
/// let pg: Postgres = store.get_resource_as(&path).await?;
/// assert_eq!(pg.port, 5432);
/// // A string is parsed first (a bad one is `Error::InvalidInput`, before the store is asked).
/// let pg: Postgres = store.get_resource_as("f/db/main").await?;
/// assert_eq!(pg.host, "db");
/// # Ok(()) }
/// ```
pub trait ResourceStoreExt: ResourceStore {
    /// [`ResourceStore::get_resource`], deserialized into `T`. A value that does not fit `T` is
    /// [`Error::Decode`]. `path` is an [`ItemPath`] or a string (`"f/db/main"`).
    fn get_resource_as<T: DeserializeOwned>(
        &self,
        path: &(impl AsItemPath + ?Sized),
    ) -> impl Future<Output = Result<T>> + Send {
        let path = path.as_item_path();
        async move {
            let path = path?;
            let value = self.get_resource(&path).await?;
            decode_value(value, "resource", &path)
        }
    }

    /// [`ResourceStore::get_resource`], with a missing resource as `None`.
    fn get_resource_opt(
        &self,
        path: &(impl AsItemPath + ?Sized),
    ) -> impl Future<Output = Result<Option<Value>>> + Send {
        let path = path.as_item_path();
        async move {
            match self.get_resource(&*path?).await {
                Ok(v) => Ok(Some(v)),
                Err(Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        }
    }

    /// [`ResourceStore::set_resource`] from any serializable value.
    fn set_resource_from<T: Serialize + ?Sized + Sync>(
        &self,
        path: &(impl AsItemPath + ?Sized),
        value: &T,
        resource_type: &str,
    ) -> impl Future<Output = Result<()>> + Send {
        let path = path.as_item_path();
        let value = crate::to_json(value, "resource value");
        async move {
            let path = path?;
            let value = value?;
            self.set_resource(&path, &value, resource_type).await
        }
    }
}

impl<T: ResourceStore + ?Sized> ResourceStoreExt for T {}

pub(crate) fn decode_value<T: DeserializeOwned>(
    value: Value,
    what: &str,
    path: &ItemPath,
) -> Result<T> {
    // A resource may hold passwords: the error shows its shape, not its values.
    T::deserialize(&value).map_err(|e| Error::decode_secret(format!("{what} {path}"), &value, e))
}
