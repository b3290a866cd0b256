//! [`StateStore`] for [`InMemory`].

use async_trait::async_trait;
use serde_json::Value;

use crate::{ItemPath, Result, STATE_RESOURCE_TYPE, StateStore};

use super::in_memory::InMemory;
use super::interpolation::interpolate;

#[async_trait]
impl StateStore for InMemory {
    async fn get_state(&self) -> Result<Option<Value>> {
        self.get_state_at(&self.state_path()).await
    }

    async fn set_state(&self, value: &Value) -> Result<()> {
        self.set_state_at(&self.state_path(), value).await
    }

    async fn get_state_at(&self, path: &ItemPath) -> Result<Option<Value>> {
        // Read as the server reads it: interpolated (`$var:` / `$res:` references resolved).
        match self.raw_resource(path) {
            Some(raw) => interpolate(self, raw).await.map(Some),
            None => Ok(None),
        }
    }

    async fn set_state_at(&self, path: &ItemPath, value: &Value) -> Result<()> {
        self.put_resource(path, value.clone(), STATE_RESOURCE_TYPE)
    }

    fn default_state_path(&self) -> Result<ItemPath> {
        Ok(self.state_path())
    }
}
