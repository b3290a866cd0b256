//! [`StateStore`] for [`Windmill`]: state is a resource of type `state`.

use async_trait::async_trait;
use serde_json::Value;
use wmill_core::{Error, ItemPath, ResourceStore, Result, STATE_RESOURCE_TYPE, StateStore};

use crate::client::Windmill;

impl Windmill {
    /// The state path `get_state` and `set_state` use: `WM_STATE_PATH_NEW`, else
    /// `WM_STATE_PATH`, or [`WindmillBuilder::with_state_path`](crate::WindmillBuilder::with_state_path).
    ///
    /// # Errors
    /// [`Error::NotConfigured`] when none is set; [`Error::InvalidInput`] when the one set is
    /// not a valid path (the rest of the client works regardless).
    pub fn default_state_path(&self) -> Result<&ItemPath> {
        match &self.inner.state_path {
            Ok(Some(path)) => Ok(path),
            Ok(None) => Err(Error::NotConfigured {
                what: "state path",
                hint: "set WM_STATE_PATH_NEW (or WM_STATE_PATH), call WindmillBuilder::with_state_path, or use get_state_at/set_state_at".into(),
            }),
            Err(reason) => Err(Error::invalid(
                "state path",
                format!("the configured state path is not valid ({reason}); name one with get_state_at/set_state_at"),
            )),
        }
    }
}

/// State over resources: get = `GET resources/get_value_interpolated/{path}` (404 = `None`),
/// set = the resource upsert with type `state`. The default path is `WM_STATE_PATH_NEW`, else
/// `WM_STATE_PATH` (or [`WindmillBuilder::with_state_path`](crate::WindmillBuilder::with_state_path)).
#[async_trait]
impl StateStore for Windmill {
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = self.default_state_path().ok().map(ItemPath::as_str)))]
    async fn get_state(&self) -> Result<Option<Value>> {
        let path = self.default_state_path()?.clone();
        self.get_state_at(&path).await
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = self.default_state_path().ok().map(ItemPath::as_str)))]
    async fn set_state(&self, value: &Value) -> Result<()> {
        let path = self.default_state_path()?.clone();
        self.set_state_at(&path, value).await
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = path.as_str()))]
    async fn get_state_at(&self, path: &ItemPath) -> Result<Option<Value>> {
        match self.get_resource(path).await {
            Ok(v) => Ok(Some(v)),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = path.as_str()))]
    async fn set_state_at(&self, path: &ItemPath, value: &Value) -> Result<()> {
        self.set_resource(path, value, STATE_RESOURCE_TYPE).await
    }

    fn default_state_path(&self) -> Result<ItemPath> {
        Windmill::default_state_path(self).cloned()
    }
}
