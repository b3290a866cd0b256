//! [`ResourceStore`] for [`InMemory`].

use async_trait::async_trait;
use serde_json::Value;

use crate::{Error, ItemKind, ItemPath, ListResources, ResourceInfo, ResourceStore, Result};

use super::in_memory::{InMemory, Resource};
use super::interpolation::interpolate;
use super::items;

impl InMemory {
    /// The raw (not interpolated) value of the resource at `path`, if this backend holds it.
    pub(crate) fn raw_resource(&self, path: &ItemPath) -> Option<Value> {
        self.inner
            .data
            .lock()
            .resources
            .get(path)
            .map(|r| r.value.clone())
    }

    pub(super) fn put_resource(
        &self,
        path: &ItemPath,
        value: Value,
        resource_type: &str,
    ) -> Result<()> {
        self.mutate(|data| {
            match data.resources.get_mut(path) {
                // As on the server: an update keeps the type (and needs none).
                Some(r) => r.value = value,
                None if resource_type.is_empty() => {
                    return Err(Error::invalid(
                        "resource type",
                        format!("creating {path} needs a resource type, and it is empty"),
                    ));
                }
                None => {
                    data.resources.insert(
                        path.clone(),
                        Resource {
                            value,
                            resource_type: resource_type.to_owned(),
                        },
                    );
                }
            }
            Ok(())
        })
    }
}

#[async_trait]
impl ResourceStore for InMemory {
    async fn get_resource(&self, path: &ItemPath) -> Result<Value> {
        let raw = self
            .raw_resource(path)
            .ok_or_else(|| Error::not_found(ItemKind::Resource, path.as_str()))?;
        interpolate(self, raw).await
    }

    async fn set_resource(
        &self,
        path: &ItemPath,
        value: &Value,
        resource_type: &str,
    ) -> Result<()> {
        self.put_resource(path, value.clone(), resource_type)
    }

    async fn delete_resource(&self, path: &ItemPath) -> Result<()> {
        self.mutate(|data| items::remove(&mut data.resources, ItemKind::Resource, path))
    }

    async fn list_resources(&self, options: &ListResources) -> Result<Vec<ResourceInfo>> {
        let data = self.inner.data.lock();
        let types: Option<Vec<&str>> = options
            .resource_type
            .as_deref()
            .map(|t| t.split(',').map(str::trim).collect());
        let selected = |r: &Resource| {
            let rt = r.resource_type.as_str();
            types.as_ref().is_none_or(|ts| ts.contains(&rt))
        };
        let start = options.path_start.as_deref();
        let pages = (options.page, options.per_page);
        items::list(&data.resources, start, pages, |p, r| {
            selected(r).then(|| ResourceInfo {
                path: p.clone(),
                resource_type: r.resource_type.clone(),
                description: None,
                value: Some(r.value.clone()),
            })
        })
    }
}
