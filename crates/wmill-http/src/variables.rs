//! [`VariableStore`] for [`Windmill`].

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;
use wmill_core::{
    ItemKind, ItemPath, ListVariables, Result, SetVariableOptions, VariableInfo, VariableStore,
};

use crate::client::Windmill;

/// A variable as `variables/list` returns it (unknown fields ignored).
#[derive(Debug, Deserialize)]
struct ListableVariable {
    path: String,
    #[serde(default)]
    is_secret: Option<bool>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    value: Option<String>,
}

impl Windmill {
    /// Whether the variable exists (`GET variables/exists/{path}`).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = path.as_str()))]
    pub async fn variable_exists(&self, path: &ItemPath) -> Result<bool> {
        self.item_exists("variables", path).await
    }
}

/// Variables over `variables/*`.
///
/// - `get_variable`: `GET variables/get_value/{path}` (a JSON string, unescaped).
/// - `set_variable`: `GET variables/exists/{path}`, then `POST variables/update/{path}`
///   `{value}` or `POST variables/create` `{path, value, is_secret, description}` (a create that
///   races with another writer falls back to an update).
/// - `delete_variable`: `DELETE variables/delete/{path}`.
/// - `list_variables`: `GET variables/list?path_start&page&per_page` (secret values are never
///   returned in the listing).
#[async_trait]
impl VariableStore for Windmill {
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = path.as_str()))]
    async fn get_variable(&self, path: &ItemPath) -> Result<String> {
        self.get_item(ItemKind::Variable, ["variables", "get_value"], path)
            .await
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = path.as_str()))]
    async fn set_variable(
        &self,
        path: &ItemPath,
        value: &str,
        options: &SetVariableOptions,
    ) -> Result<()> {
        let exists = self.variable_exists(path).await?;
        let route = ["variables", "update"];
        let description = options.description.as_deref().unwrap_or("");
        let fields = [
            ("is_secret", json!(options.is_secret)),
            ("description", json!(description)),
        ];
        self.set_item(exists, ItemKind::Variable, route, path, value, fields)
            .await
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = path.as_str()))]
    async fn delete_variable(&self, path: &ItemPath) -> Result<()> {
        self.delete_item(ItemKind::Variable, "variables", path)
            .await
    }

    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path_start = options.path_start.as_deref()))]
    async fn list_variables(&self, options: &ListVariables) -> Result<Vec<VariableInfo>> {
        let filters = [("path_start", options.path_start.as_deref())];
        let resp = self
            .list_call("variables", &filters, options.page, options.per_page)?
            .send()
            .await?;
        let rows: Vec<ListableVariable> = resp.json()?;
        rows.into_iter()
            .map(|v| {
                let path = ItemPath::parse(&v.path)?;
                let is_secret = v.is_secret.unwrap_or(false);
                let mut info = VariableInfo::new(path, is_secret);
                info.description = v.description.filter(|d| !d.is_empty());
                info.value = if is_secret { None } else { v.value };
                Ok(info)
            })
            .collect()
    }
}
