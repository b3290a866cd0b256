//! Variables: [`VariableStore`] and its options.

use std::fmt::Debug;
use std::future::Future;
use std::str::FromStr;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{AsItemPath, ItemPath, Result};

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

    setters! {
        /// Sets the description.
        description(description: impl Into<String>) => description = description.into();
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

    setters! {
        /// Only paths starting with `prefix`.
        path_start(prefix: impl Into<String>) => path_start = prefix.into();
    }

    page_and_size!();
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

/// Conveniences over any [`VariableStore`]: string paths, parsed values, default options.
///
/// Implemented for every `VariableStore` (including `dyn VariableStore`, `dyn Backend` and
/// mocks). You MUST NOT implement this trait yourself.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use wmill_core::{InMemory, VariableStore, VariableStoreExt};
///
/// async fn retries(vars: &dyn VariableStore) -> wmill_core::Result<u32> {
///     vars.get_variable_as("f/app/retries").await
/// }
///
/// let vars = InMemory::new();
/// vars.set_variable_from("f/app/retries", &3).await?;
/// assert_eq!(retries(&vars).await?, 3);
/// let name: String = vars.get_variable_as("f/app/retries").await?;
/// assert_eq!(name, "3");
/// # Ok(()) }
/// ```
pub trait VariableStoreExt: VariableStore {
    /// [`VariableStore::get_variable`] at a path given as a string or an [`ItemPath`], the
    /// value parsed into `T` with [`FromStr`](std::str::FromStr) (`String` takes it as it is).
    /// A bad path is [`Error::InvalidInput`](crate::Error::InvalidInput) before the store is
    /// asked; a value `T` does not parse is [`Error::Decode`](crate::Error::Decode) naming the
    /// variable, without the value (it may be a secret).
    fn get_variable_as<T>(
        &self,
        path: &(impl AsItemPath + ?Sized),
    ) -> impl Future<Output = Result<T>> + Send
    where
        T: FromStr,
    {
        let path = path.as_item_path();
        async move {
            let path = path?;
            let value = self.get_variable(&path).await?;
            // The parser's message may quote the value: only the type is named.
            value.parse::<T>().map_err(|_| crate::Error::Decode {
                request: format!("variable {path}"),
                body_excerpt: String::new(),
                source: format!(
                    "the value is not a valid {} (not shown: it may be a secret)",
                    std::any::type_name::<T>()
                )
                .into(),
            })
        }
    }

    /// [`VariableStore::set_variable`] with default options (not secret when created), the
    /// value written with [`Display`](std::fmt::Display), at a path given as a string or an
    /// [`ItemPath`].
    fn set_variable_from<T: std::fmt::Display + ?Sized + Sync>(
        &self,
        path: &(impl AsItemPath + ?Sized),
        value: &T,
    ) -> impl Future<Output = Result<()>> + Send {
        let path = path.as_item_path();
        let value = value.to_string();
        async move {
            self.set_variable(&*path?, &value, &SetVariableOptions::new())
                .await
        }
    }
}

impl<T: VariableStore + ?Sized> VariableStoreExt for T {}
