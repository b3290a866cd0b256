//! Variables, resources and state.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wmill_core::{
    Error, ItemKind, ItemPath, ListResources, ListVariables, ResourceInfo, Result,
    SetVariableOptions, VariableInfo,
};

use super::to_json;
use crate::global::client;

// ---------------------------------------------------------------- variables

/// The value of a variable (`var://` prefix accepted). Python: `wmill.get_variable(path)`.
pub async fn get_variable(path: &str) -> Result<String> {
    let p = ItemPath::parse_variable_ref(path)?;
    client()?.variables()?.get_variable(&p).await
}

/// Creates or updates a variable; `is_secret` applies on creation.
/// Python: `wmill.set_variable(path, value, is_secret=False)`.
pub async fn set_variable(path: &str, value: &str, is_secret: bool) -> Result<()> {
    let p = ItemPath::parse_variable_ref(path)?;
    client()?
        .variables()?
        .set_variable(&p, value, &SetVariableOptions::new().secret(is_secret))
        .await
}

/// Deletes a variable.
pub async fn delete_variable(path: &str) -> Result<()> {
    let p = ItemPath::parse_variable_ref(path)?;
    client()?.variables()?.delete_variable(&p).await
}

/// Lists variables (one page).
pub async fn list_variables(options: &ListVariables) -> Result<Vec<VariableInfo>> {
    client()?.variables()?.list_variables(options).await
}

// ---------------------------------------------------------------- resources

/// The interpolated value of a resource (`$res:` / `res://` prefixes accepted).
/// Python: `wmill.get_resource(path)`.
pub async fn get_resource(path: &str) -> Result<Value> {
    let p = ItemPath::parse_resource_ref(path)?;
    client()?.resources()?.get_resource(&p).await
}

/// A resource deserialized into `T`.
pub async fn get_resource_as<T: DeserializeOwned>(path: &str) -> Result<T> {
    let value = get_resource(path).await?;
    T::deserialize(&value).map_err(|e| Error::decode_secret(format!("resource {path}"), &value, e))
}

/// A resource, or `None` when it does not exist. Python: `get_resource(path, none_if_undefined=True)`
/// (which also hid other errors; this returns them, including a missing variable or resource
/// that the resource refers to, when the backend tells them apart).
pub async fn get_resource_opt(path: &str) -> Result<Option<Value>> {
    match get_resource(path).await {
        Ok(v) => Ok(Some(v)),
        Err(Error::NotFound {
            kind: ItemKind::Resource,
            ..
        }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A `postgresql://` connection URL built from the PostgreSQL resource at `path` (`$res:` /
/// `res://` prefixes accepted). TypeScript: `databaseUrlFromResource(path)`; the URL is built
/// by [`database_url`](crate::database_url), which percent-encodes the user and password.
///
/// ```no_run
/// # async fn f() -> wmill::Result<()> {
/// let url = wmill::database_url_from_resource("f/db/main").await?;
/// # Ok(()) }
/// ```
pub async fn database_url_from_resource(path: &str) -> Result<String> {
    wmill_core::database_url(&get_resource(path).await?)
}

/// Creates or updates a resource. Python: `wmill.set_resource(path, value, resource_type="any")`.
pub async fn set_resource<T: Serialize + ?Sized + Sync>(
    path: &str,
    value: &T,
    resource_type: &str,
) -> Result<()> {
    let p = ItemPath::parse_resource_ref(path)?;
    let value = to_json(value, "resource value")?;
    client()?
        .resources()?
        .set_resource(&p, &value, resource_type)
        .await
}

/// Deletes a resource.
pub async fn delete_resource(path: &str) -> Result<()> {
    let p = ItemPath::parse_resource_ref(path)?;
    client()?.resources()?.delete_resource(&p).await
}

/// Lists resources, optionally of one type (one page). Python: `wmill.list_resources(resource_type)`.
pub async fn list_resources(resource_type: Option<&str>) -> Result<Vec<ResourceInfo>> {
    let mut options = ListResources::new();
    if let Some(t) = resource_type {
        options = options.resource_type(t);
    }
    list_resources_with(&options).await
}

/// Lists resources with filters and paging.
pub async fn list_resources_with(options: &ListResources) -> Result<Vec<ResourceInfo>> {
    client()?.resources()?.list_resources(options).await
}

// ---------------------------------------------------------------- state

/// The script's state, `None` on the first run. Python: `wmill.get_state()`.
pub async fn get_state() -> Result<Option<Value>> {
    client()?.state()?.get_state().await
}

/// The script's state deserialized into `T`, `None` on the first run.
pub async fn get_state_as<T: DeserializeOwned>() -> Result<Option<T>> {
    match get_state().await? {
        None => Ok(None),
        Some(v) => T::deserialize(&v)
            .map(Some)
            .map_err(|e| Error::decode_secret("state", &v, e)),
    }
}

/// Replaces the script's state. Python: `wmill.set_state(value)`.
pub async fn set_state<T: Serialize + ?Sized + Sync>(value: &T) -> Result<()> {
    let value = to_json(value, "state")?;
    client()?.state()?.set_state(&value).await
}

/// The state at an explicit path. Python: `wmill.get_state(path)`.
pub async fn get_state_at(path: &str) -> Result<Option<Value>> {
    let p = ItemPath::parse_resource_ref(path)?;
    client()?.state()?.get_state_at(&p).await
}

/// Replaces the state at an explicit path. Python: `wmill.set_state(value, path)` (note the
/// order: path first here, like every other function of this crate).
pub async fn set_state_at<T: Serialize + ?Sized + Sync>(path: &str, value: &T) -> Result<()> {
    let p = ItemPath::parse_resource_ref(path)?;
    let value = to_json(value, "state")?;
    client()?.state()?.set_state_at(&p, &value).await
}

/// The path `get_state` and `set_state` use (Python: `wmill.get_state_path()`): on a Windmill
/// server `WM_STATE_PATH_NEW`, else `WM_STATE_PATH` (Windmill sets them inside a job, or
/// `WindmillBuilder::with_state_path`); with `WM_MOCKED_API_FILE` the same, else the mock's
/// (`u/local/state`); on [`InMemory`](crate::InMemory) its own. Synchronous.
///
/// ```
/// use wmill::{Client, InMemory};
///
/// wmill::set_client(Client::new(InMemory::new().with_state_path("u/me/trigger_state")?));
/// assert_eq!(wmill::get_state_path()?.as_str(), "u/me/trigger_state");
/// # Ok::<(), wmill::Error>(())
/// ```
///
/// # Errors
/// [`Error::NotConfigured`] when the state store has no default path (a server outside a job
/// with no state path set): name one with [`get_state_at`] / [`set_state_at`].
pub fn get_state_path() -> Result<ItemPath> {
    client()?.state()?.default_state_path()
}
