//! Variables, resources and state of a [`MockOverlay`]: the file first, then the server.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde_json::Value;

use crate::memory::page;
use crate::{
    Error, ItemKind, ItemPath, ListResources, ListVariables, ResourceInfo, ResourceStore, Result,
    SetVariableOptions, StateStore, VariableInfo, VariableStore,
};

use super::mock_overlay::{LIST_BATCH, MockOverlay, exists, read_all};

#[async_trait]
#[deny(clippy::missing_trait_methods)]
impl VariableStore for MockOverlay {
    async fn get_variable(&self, path: &ItemPath) -> Result<String> {
        match self.mock.variable_value(path) {
            Some(v) => Ok(v),
            None => self.base.get_variable(path).await,
        }
    }

    async fn set_variable(
        &self,
        path: &ItemPath,
        value: &str,
        options: &SetVariableOptions,
    ) -> Result<()> {
        self.mock.set_variable(path, value, options).await
    }

    async fn delete_variable(&self, path: &ItemPath) -> Result<()> {
        if self.mock.variable_value(path).is_some() {
            return self.mock.delete_variable(path).await;
        }
        let in_base = exists(self.base.get_variable(path).await);
        Err(Self::refuse_delete(in_base, ItemKind::Variable, path))
    }

    async fn list_variables(&self, options: &ListVariables) -> Result<Vec<VariableInfo>> {
        let mut all = every_variable(&self.base, options).await?;
        all.extend(every_variable(&self.mock, options).await?);
        Ok(page(all.into_values(), options.page, options.per_page))
    }
}

#[async_trait]
#[deny(clippy::missing_trait_methods)]
impl ResourceStore for MockOverlay {
    async fn get_resource(&self, path: &ItemPath) -> Result<Value> {
        match self.mock.raw_resource(path) {
            Some(raw) => self.resolved(raw).await,
            None => self.base.get_resource(path).await,
        }
    }

    async fn set_resource(
        &self,
        path: &ItemPath,
        value: &Value,
        resource_type: &str,
    ) -> Result<()> {
        self.mock.set_resource(path, value, resource_type).await
    }

    async fn delete_resource(&self, path: &ItemPath) -> Result<()> {
        if self.mock.raw_resource(path).is_some() {
            return self.mock.delete_resource(path).await;
        }
        let in_base = exists(self.base.get_resource(path).await);
        Err(Self::refuse_delete(in_base, ItemKind::Resource, path))
    }

    async fn list_resources(&self, options: &ListResources) -> Result<Vec<ResourceInfo>> {
        let mut all = every_resource(&self.base, options).await?;
        all.extend(every_resource(&self.mock, options).await?);
        Ok(page(all.into_values(), options.page, options.per_page))
    }
}

#[async_trait]
#[deny(clippy::missing_trait_methods)]
impl StateStore for MockOverlay {
    async fn get_state(&self) -> Result<Option<Value>> {
        let path = self.default_state_path()?;
        self.get_state_at(&path).await
    }

    async fn set_state(&self, value: &Value) -> Result<()> {
        let path = self.default_state_path()?;
        self.set_state_at(&path, value).await
    }

    async fn get_state_at(&self, path: &ItemPath) -> Result<Option<Value>> {
        match self.mock.raw_resource(path) {
            Some(raw) => self.resolved(raw).await.map(Some),
            None => self.base.get_state_at(path).await,
        }
    }

    async fn set_state_at(&self, path: &ItemPath, value: &Value) -> Result<()> {
        self.mock.set_state_at(path, value).await
    }

    fn default_state_path(&self) -> Result<ItemPath> {
        if let Some(p) = &self.state_path {
            return Ok(p.clone());
        }
        match self.base.default_state_path() {
            Ok(p) => Ok(p),
            Err(Error::NotConfigured { .. }) => self.mock.default_state_path(),
            Err(e) => Err(e),
        }
    }
}

/// Every variable of `store` that `options`' prefix selects, by path.
async fn every_variable(
    store: &dyn VariableStore,
    options: &ListVariables,
) -> Result<BTreeMap<ItemPath, VariableInfo>> {
    let query = |page_no| ListVariables {
        path_start: options.path_start.clone(),
        page: Some(page_no),
        per_page: Some(LIST_BATCH),
    };
    read_all(
        |page_no| {
            let q = query(page_no);
            async move { store.list_variables(&q).await }
        },
        |v: &VariableInfo| v.path.clone(),
    )
    .await
}

/// Every resource of `store` that `options`' prefix and type select, by path.
async fn every_resource(
    store: &dyn ResourceStore,
    options: &ListResources,
) -> Result<BTreeMap<ItemPath, ResourceInfo>> {
    let query = |page_no| ListResources {
        resource_type: options.resource_type.clone(),
        path_start: options.path_start.clone(),
        page: Some(page_no),
        per_page: Some(LIST_BATCH),
    };
    read_all(
        |page_no| {
            let q = query(page_no);
            async move { store.list_resources(&q).await }
        },
        |r: &ResourceInfo| r.path.clone(),
    )
    .await
}
