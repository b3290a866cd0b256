//! [`ResourceStore`] for [`Windmill`].

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};
use wmill_core::{ItemKind, ItemPath, ListResources, ResourceInfo, ResourceStore, Result};

use crate::client::Windmill;

/// A resource as `resources/list` returns it (unknown fields ignored).
#[derive(Debug, Deserialize)]
struct ListableResource {
    path: String,
    #[serde(default)]
    resource_type: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    value: Option<Value>,
}

impl Windmill {
    /// The raw (not interpolated) value of a resource: `$var:` / `$res:` references are left as
    /// they are (`GET resources/get_value/{path}`; Python's `get_resource(interpolated=False)`).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = path.as_str()))]
    pub async fn get_resource_raw(&self, path: &ItemPath) -> Result<Value> {
        self.get_item(ItemKind::Resource, ["resources", "get_value"], path)
            .await
    }

    /// The interpolated value of the resource named by a reference: a plain path, `$res:<path>`
    /// or `res://<path>`.
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = reference))]
    pub async fn get_resource_ref(&self, reference: &str) -> Result<Value> {
        let path = ItemPath::parse_resource_ref(reference)?;
        ResourceStore::get_resource(self, &path).await
    }

    /// The value of the variable named by a reference: a plain path, `var://<path>` or
    /// `$var:<path>`.
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = reference))]
    pub async fn get_variable_ref(&self, reference: &str) -> Result<String> {
        let path = ItemPath::parse_variable_ref(reference)?;
        wmill_core::VariableStore::get_variable(self, &path).await
    }

    /// Whether the resource exists (`GET resources/exists/{path}`).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = path.as_str()))]
    pub async fn resource_exists(&self, path: &ItemPath) -> Result<bool> {
        self.item_exists("resources", path).await
    }
}

/// Resources over `resources/*`.
///
/// - `get_resource`: `GET resources/get_value_interpolated/{path}`.
/// - `set_resource`: `GET resources/exists/{path}`, then `POST resources/update_value/{path}`
///   `{value}` (the type is kept) or `POST resources/create` `{path, value, resource_type}`.
/// - `delete_resource`: `DELETE resources/delete/{path}`.
/// - `list_resources`: `GET resources/list?resource_type&path_start&page&per_page`.
#[async_trait]
impl ResourceStore for Windmill {
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = path.as_str()))]
    async fn get_resource(&self, path: &ItemPath) -> Result<Value> {
        let route = ["resources", "get_value_interpolated"];
        self.get_item(ItemKind::Resource, route, path).await
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = path.as_str(), resource_type = resource_type))]
    async fn set_resource(
        &self,
        path: &ItemPath,
        value: &Value,
        resource_type: &str,
    ) -> Result<()> {
        let exists = self.resource_exists(path).await?;
        let route = ["resources", "update_value"];
        let fields = [("resource_type", json!(resource_type))];
        self.set_item(exists, ItemKind::Resource, route, path, value, fields)
            .await
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = path.as_str()))]
    async fn delete_resource(&self, path: &ItemPath) -> Result<()> {
        self.delete_item(ItemKind::Resource, "resources", path)
            .await
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), resource_type = options.resource_type.as_deref(), path_start = options.path_start.as_deref()))]
    async fn list_resources(&self, options: &ListResources) -> Result<Vec<ResourceInfo>> {
        let filters = [
            ("resource_type", options.resource_type.as_deref()),
            ("path_start", options.path_start.as_deref()),
        ];
        let resp = self
            .list_call("resources", &filters, options.page, options.per_page)?
            .send()
            .await?;
        let rows: Vec<ListableResource> = resp.json()?;
        rows.into_iter()
            .map(|r| {
                let mut info = ResourceInfo::new(
                    ItemPath::parse(&r.path)?,
                    r.resource_type.unwrap_or_default(),
                );
                info.description = r.description.filter(|d| !d.is_empty());
                info.value = r.value;
                Ok(info)
            })
            .collect()
    }
}
