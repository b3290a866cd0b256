//! Blocking variables, resources and state.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wmill_core::{ListResources, ListVariables, ResourceInfo, Result, VariableInfo};

use super::block_on;

/// Blocking [`crate::get_variable`].
pub fn get_variable(path: &str) -> Result<String> {
    block_on(crate::get_variable(path))
}

/// Blocking [`crate::set_variable`].
pub fn set_variable(path: &str, value: &str, is_secret: bool) -> Result<()> {
    block_on(crate::set_variable(path, value, is_secret))
}

/// Blocking [`crate::delete_variable`].
pub fn delete_variable(path: &str) -> Result<()> {
    block_on(crate::delete_variable(path))
}

/// Blocking [`crate::list_variables`].
pub fn list_variables(options: &ListVariables) -> Result<Vec<VariableInfo>> {
    block_on(crate::list_variables(options))
}

/// Blocking [`crate::get_resource`].
pub fn get_resource(path: &str) -> Result<Value> {
    block_on(crate::get_resource(path))
}

/// Blocking [`crate::database_url_from_resource`].
pub fn database_url_from_resource(path: &str) -> Result<String> {
    block_on(crate::database_url_from_resource(path))
}

/// Blocking [`crate::get_resource_as`].
pub fn get_resource_as<T: DeserializeOwned + Send>(path: &str) -> Result<T> {
    block_on(crate::get_resource_as(path))
}

/// Blocking [`crate::get_resource_opt`].
pub fn get_resource_opt(path: &str) -> Result<Option<Value>> {
    block_on(crate::get_resource_opt(path))
}

/// Blocking [`crate::set_resource`].
pub fn set_resource<T: Serialize + ?Sized + Sync>(
    path: &str,
    value: &T,
    resource_type: &str,
) -> Result<()> {
    block_on(crate::set_resource(path, value, resource_type))
}

/// Blocking [`crate::delete_resource`].
pub fn delete_resource(path: &str) -> Result<()> {
    block_on(crate::delete_resource(path))
}

/// Blocking [`crate::list_resources`].
pub fn list_resources(resource_type: Option<&str>) -> Result<Vec<ResourceInfo>> {
    block_on(crate::list_resources(resource_type))
}

/// Blocking [`crate::list_resources_with`].
pub fn list_resources_with(options: &ListResources) -> Result<Vec<ResourceInfo>> {
    block_on(crate::list_resources_with(options))
}

/// Blocking [`crate::get_state`].
pub fn get_state() -> Result<Option<Value>> {
    block_on(crate::get_state())
}

/// Blocking [`crate::get_state_as`].
pub fn get_state_as<T: DeserializeOwned + Send>() -> Result<Option<T>> {
    block_on(crate::get_state_as())
}

/// Blocking [`crate::set_state`].
pub fn set_state<T: Serialize + ?Sized + Sync>(value: &T) -> Result<()> {
    block_on(crate::set_state(value))
}

/// Blocking [`crate::get_state_at`].
pub fn get_state_at(path: &str) -> Result<Option<Value>> {
    block_on(crate::get_state_at(path))
}

/// Blocking [`crate::set_state_at`].
pub fn set_state_at<T: Serialize + ?Sized + Sync>(path: &str, value: &T) -> Result<()> {
    block_on(crate::set_state_at(path, value))
}
