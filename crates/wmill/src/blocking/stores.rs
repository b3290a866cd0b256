//! Blocking variables, resources and state.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wmill_core::{ListResources, ListVariables, ResourceInfo, Result, VariableInfo};

blocking! {
    /// Blocking [`crate::get_variable`].
    pub fn get_variable(path: &str) -> Result<String>;

    /// Blocking [`crate::set_variable`].
    pub fn set_variable(path: &str, value: &str, is_secret: bool) -> Result<()>;

    /// Blocking [`crate::delete_variable`].
    pub fn delete_variable(path: &str) -> Result<()>;

    /// Blocking [`crate::list_variables`].
    pub fn list_variables(options: &ListVariables) -> Result<Vec<VariableInfo>>;

    /// Blocking [`crate::get_resource`].
    pub fn get_resource(path: &str) -> Result<Value>;

    /// Blocking [`crate::database_url_from_resource`].
    pub fn database_url_from_resource(path: &str) -> Result<String>;

    /// Blocking [`crate::get_resource_as`].
    pub fn get_resource_as<T: DeserializeOwned + Send>(path: &str) -> Result<T>;

    /// Blocking [`crate::get_resource_opt`].
    pub fn get_resource_opt(path: &str) -> Result<Option<Value>>;

    /// Blocking [`crate::set_resource`].
    pub fn set_resource<T: ?Sized + Serialize + Sync>(
        path: &str,
        value: &T,
        resource_type: &str,
    ) -> Result<()>;

    /// Blocking [`crate::delete_resource`].
    pub fn delete_resource(path: &str) -> Result<()>;

    /// Blocking [`crate::list_resources`].
    pub fn list_resources(resource_type: Option<&str>) -> Result<Vec<ResourceInfo>>;

    /// Blocking [`crate::list_resources_with`].
    pub fn list_resources_with(options: &ListResources) -> Result<Vec<ResourceInfo>>;

    /// Blocking [`crate::get_state`].
    pub fn get_state() -> Result<Option<Value>>;

    /// Blocking [`crate::get_state_as`].
    pub fn get_state_as<T: DeserializeOwned + Send>() -> Result<Option<T>>;

    /// Blocking [`crate::set_state`].
    pub fn set_state<T: ?Sized + Serialize + Sync>(value: &T) -> Result<()>;

    /// Blocking [`crate::get_state_at`].
    pub fn get_state_at(path: &str) -> Result<Option<Value>>;

    /// Blocking [`crate::set_state_at`].
    pub fn set_state_at<T: ?Sized + Serialize + Sync>(path: &str, value: &T) -> Result<()>;
}
