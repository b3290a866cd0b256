//! Variables: [`VariableStore`] and its options.

use std::fmt::Debug;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{ItemPath, Result};

/// Options of [`VariableStore::set_variable`]. They apply when the variable is created; an
/// update changes only the value (as on the server).
///
/// ```
/// use wmill_core::SetVariableOptions;
///
/// let opts = SetVariableOptions::new().secret(true).description("Stripe API key");
/// assert!(opts.is_secret);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SetVariableOptions {
    /// Store the variable as a secret (encrypted, hidden in the UI and the logs).
    pub is_secret: bool,
    /// A description for a new variable.
    pub description: Option<String>,
}

impl SetVariableOptions {
    /// A plain (non-secret) variable with no description.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the secret flag.
    #[must_use]
    pub fn secret(mut self, is_secret: bool) -> Self {
        self.is_secret = is_secret;
        self
    }

    /// Sets the description.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// Filters and paging of [`VariableStore::list_variables`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListVariables {
    /// Only paths starting with this prefix (`path_start`).
    pub path_start: Option<String>,
    /// The page, from 1.
    pub page: Option<u32>,
    /// Items per page, 1 to 10000 (the server's default is 1000).
    pub per_page: Option<u32>,
}

impl ListVariables {
    /// No filter, the server's default page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only paths starting with `prefix`.
    #[must_use]
    pub fn path_start(mut self, prefix: impl Into<String>) -> Self {
        self.path_start = Some(prefix.into());
        self
    }

    /// The page (from 1) and its size.
    #[must_use]
    pub fn page(mut self, page: u32, per_page: u32) -> Self {
        self.page = Some(page);
        self.per_page = Some(per_page);
        self
    }
}

/// A variable as listed (secret values are not included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VariableInfo {
    /// The variable's path.
    pub path: ItemPath,
    /// Whether it is a secret.
    #[serde(default)]
    pub is_secret: bool,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// The value, for non-secret variables when the backend lists values.
    #[serde(default)]
    pub value: Option<String>,
}

impl VariableInfo {
    /// A listing entry.
    pub fn new(path: ItemPath, is_secret: bool) -> Self {
        VariableInfo {
            path,
            is_secret,
            description: None,
            value: None,
        }
    }
}

/// Reading and writing workspace variables.
///
/// # Contract
/// - [`get_variable`](VariableStore::get_variable) returns the (decrypted) value, or
///   [`Error::NotFound`](crate::Error::NotFound) with [`ItemKind::Variable`](crate::ItemKind::Variable).
/// - [`set_variable`](VariableStore::set_variable) creates the variable when it is missing
///   (with the options' secret flag and description) and otherwise updates its value only.
/// - [`delete_variable`](VariableStore::delete_variable) on a missing variable is `NotFound`.
///
/// # Example: unit-testing code that reads a variable
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use wmill_core::{InMemory, ItemPath, SetVariableOptions, VariableStore};
///
/// async fn greeting(vars: &dyn VariableStore) -> wmill_core::Result<String> {
///     let name = vars.get_variable(&ItemPath::parse("u/alice/name")?).await?;
///     Ok(format!("hello {name}"))
/// }
///
/// let store = InMemory::new();
/// store.set_variable(&ItemPath::parse("u/alice/name")?, "Alice", &SetVariableOptions::new()).await?;
/// assert_eq!(greeting(&store).await?, "hello Alice");
/// # Ok(()) }
/// ```
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait VariableStore: Debug + Send + Sync + 'static {
    /// The value of the variable at `path`.
    async fn get_variable(&self, path: &ItemPath) -> Result<String>;

    /// Creates or updates the variable at `path`.
    async fn set_variable(
        &self,
        path: &ItemPath,
        value: &str,
        options: &SetVariableOptions,
    ) -> Result<()>;

    /// Deletes the variable at `path`.
    async fn delete_variable(&self, path: &ItemPath) -> Result<()>;

    /// Lists variables (one page; every page as a stream:
    /// [`VariableStoreListExt::stream_variables`](crate::VariableStoreListExt::stream_variables)).
    /// A page of 0 or a page size of 0 or above 10000 is
    /// [`Error::InvalidInput`](crate::Error::InvalidInput).
    async fn list_variables(&self, options: &ListVariables) -> Result<Vec<VariableInfo>>;
}
