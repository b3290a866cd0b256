//! Variables, resources and state of a [`MockOverlay`]: the file first, then the server.

use std::collections::BTreeMap;
use std::future::Future;

use async_trait::async_trait;
use serde_json::Value;

use crate::memory::{interpolate, page};
use crate::{
    Backend, Error, ItemKind, ItemPath, ListResources, ListVariables, ResourceInfo, ResourceStore,
    Result, SetVariableOptions, StateStore, VariableInfo, VariableStore,
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
        let in_mock = self.mock.variable_value(path).is_some();
        let delete = self.mock.delete_variable(path);
        delete_in_mock(
            in_mock,
            delete,
            self.base.get_variable(path),
            ItemKind::Variable,
            path,
        )
        .await
    }

    async fn list_variables(&self, options: &ListVariables) -> Result<Vec<VariableInfo>> {
        let pages = (options.page, options.per_page);
        let key = |v: &VariableInfo| v.path.clone();
        self.merged_page(pages, key, |store, n| {
            let q = options.clone().page(n, LIST_BATCH);
            async move { store.list_variables(&q).await }
        })
        .await
    }
}

#[async_trait]
#[deny(clippy::missing_trait_methods)]
impl ResourceStore for MockOverlay {
    async fn get_resource(&self, path: &ItemPath) -> Result<Value> {
        match self.mock.raw_resource(path) {
            Some(raw) => interpolate(self, raw).await,
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
        let in_mock = self.mock.raw_resource(path).is_some();
        let delete = self.mock.delete_resource(path);
        delete_in_mock(
            in_mock,
            delete,
            self.base.get_resource(path),
            ItemKind::Resource,
            path,
        )
        .await
    }

    async fn list_resources(&self, options: &ListResources) -> Result<Vec<ResourceInfo>> {
        let pages = (options.page, options.per_page);
        let key = |r: &ResourceInfo| r.path.clone();
        self.merged_page(pages, key, |store, n| {
            let q = options.clone().page(n, LIST_BATCH);
            async move { store.list_resources(&q).await }
        })
        .await
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
            Some(raw) => interpolate(self, raw).await.map(Some),
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

impl MockOverlay {
    /// One page (`pages`: page number and size) of the items of the backend and the mock (which
    /// wins on a shared path), each read in full with `fetch(store, page_no)`.
    async fn merged_page<'s, T, Fut>(
        &'s self,
        pages: (Option<u32>, Option<u32>),
        key: impl Fn(&T) -> ItemPath + Copy + Send,
        fetch: impl Fn(&'s dyn Backend, u32) -> Fut + Send + Sync,
    ) -> Result<Vec<T>>
    where
        T: Send,
        Fut: Future<Output = Result<Vec<T>>> + Send,
    {
        let stores: [&dyn Backend; 2] = [&*self.base, &self.mock];
        let mut all = BTreeMap::new();
        for store in stores {
            all.extend(read_all(|n| fetch(store, n), key).await?);
        }
        Ok(page(all.into_values(), pages.0, pages.1))
    }
}

/// Deletes an item the mock holds (`in_mock`: run `delete`); an item only the backend holds
/// (`in_base` finds it) is refused, and a missing one is [`Error::NotFound`].
async fn delete_in_mock<T>(
    in_mock: bool,
    delete: impl Future<Output = Result<()>> + Send,
    in_base: impl Future<Output = Result<T>> + Send,
    kind: ItemKind,
    path: &ItemPath,
) -> Result<()> {
    if in_mock {
        return delete.await;
    }
    Err(MockOverlay::refuse_delete(
        exists(in_base.await),
        kind,
        path,
    ))
}
