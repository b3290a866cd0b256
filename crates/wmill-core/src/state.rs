//! Script state: [`StateStore`] and [`StateStoreExt`].

use std::fmt::Debug;
use std::future::Future;

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{AsItemPath, Error, ItemPath, Result};

/// The resource type Windmill gives state resources.
pub const STATE_RESOURCE_TYPE: &str = "state";

/// Persistent state of a script (per script and trigger), stored by Windmill as a resource of
/// type `state`.
///
/// # Contract
/// - The state is `None` until it is first set; reading it never fails because it is missing.
/// - [`get_state`](StateStore::get_state) / [`set_state`](StateStore::set_state) use the
///   backend's default state path (inside a job: `WM_STATE_PATH_NEW`, else `WM_STATE_PATH`); a
///   backend without one returns [`Error::NotConfigured`].
/// - The `_at` variants use an explicit path; state set at a path is the resource at that path.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait StateStore: Debug + Send + Sync + 'static {
    /// The state at the default state path, `None` before the first set.
    async fn get_state(&self) -> Result<Option<Value>>;

    /// Replaces the state at the default state path.
    async fn set_state(&self, value: &Value) -> Result<()>;

    /// The state at `path`, `None` before the first set.
    async fn get_state_at(&self, path: &ItemPath) -> Result<Option<Value>>;

    /// Replaces the state at `path`.
    async fn set_state_at(&self, path: &ItemPath, value: &Value) -> Result<()>;

    /// The path [`get_state`](StateStore::get_state) and [`set_state`](StateStore::set_state)
    /// use (Python's `get_state_path()`).
    ///
    /// The default implementation returns [`Error::NotConfigured`], so backends written before
    /// this method keep compiling; [`InMemory`](crate::InMemory), the HTTP backend and
    /// [`MockOverlay`](crate::MockOverlay) implement it.
    ///
    /// ```
    /// use wmill_core::{InMemory, StateStore};
    ///
    /// let store = InMemory::new().with_state_path("u/me/my_state")?;
    /// assert_eq!(store.default_state_path()?.as_str(), "u/me/my_state");
    /// # Ok::<(), wmill_core::Error>(())
    /// ```
    fn default_state_path(&self) -> Result<ItemPath> {
        Err(Error::NotConfigured {
            what: "state path",
            hint: "this state store has no default state path; use get_state_at/set_state_at"
                .to_owned(),
        })
    }
}

/// Typed helpers over any [`StateStore`]. You MUST NOT implement this trait yourself.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use wmill_core::{InMemory, StateStoreExt};
///
/// let store = InMemory::new();
/// let last: Option<u64> = store.get_state_as().await?;
/// assert_eq!(last, None); // first run
/// store.set_state_from(&42u64).await?;
/// assert_eq!(store.get_state_as::<u64>().await?, Some(42));
/// # Ok(()) }
/// ```
pub trait StateStoreExt: StateStore {
    /// [`StateStore::get_state`], deserialized into `T`.
    fn get_state_as<T: DeserializeOwned>(&self) -> impl Future<Output = Result<Option<T>>> + Send {
        async move {
            match self.get_state().await? {
                None => Ok(None),
                Some(v) => decode_state(v, "state").map(Some),
            }
        }
    }

    /// [`StateStore::get_state_at`], deserialized into `T`. `path` is an [`ItemPath`] or a
    /// string.
    fn get_state_at_as<T: DeserializeOwned>(
        &self,
        path: &(impl AsItemPath + ?Sized),
    ) -> impl Future<Output = Result<Option<T>>> + Send {
        let path = path.as_item_path();
        async move {
            let path = path?;
            match self.get_state_at(&path).await? {
                None => Ok(None),
                Some(v) => decode_state(v, path.as_str()).map(Some),
            }
        }
    }

    /// [`StateStore::set_state`] from any serializable value.
    fn set_state_from<T: Serialize + ?Sized + Sync>(
        &self,
        value: &T,
    ) -> impl Future<Output = Result<()>> + Send {
        let value = encode_state(value);
        async move { self.set_state(&value?).await }
    }

    /// [`StateStore::set_state_at`] from any serializable value. `path` is an [`ItemPath`] or
    /// a string.
    fn set_state_at_from<T: Serialize + ?Sized + Sync>(
        &self,
        path: &(impl AsItemPath + ?Sized),
        value: &T,
    ) -> impl Future<Output = Result<()>> + Send {
        let path = path.as_item_path();
        let value = encode_state(value);
        async move { self.set_state_at(&*path?, &value?).await }
    }
}

impl<T: StateStore + ?Sized> StateStoreExt for T {}

fn encode_state<T: Serialize + ?Sized>(value: &T) -> Result<Value> {
    crate::to_json(value, "state value")
}

fn decode_state<T: DeserializeOwned>(value: Value, what: &str) -> Result<T> {
    T::deserialize(&value).map_err(|e| Error::decode_secret(format!("state {what}"), &value, e))
}
