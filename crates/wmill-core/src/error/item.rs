//! What a not-found error is about: [`ItemKind`] and [`ItemLocation`].

use std::fmt;

/// The kind of item an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ItemKind {
    /// A variable (`variables/...`).
    Variable,
    /// A resource (`resources/...`).
    Resource,
    /// A state resource (`resources/...` of type `state`).
    State,
    /// A script, by path or by hash.
    Script,
    /// A flow.
    Flow,
    /// A job (queued, running or completed).
    Job,
    /// An object in S3 storage.
    Object,
    /// A storage (a workspace S3 storage, by name).
    Storage,
    /// Anything else the server reported as missing.
    Other,
}

impl fmt::Display for ItemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ItemKind::Variable => "variable",
            ItemKind::Resource => "resource",
            ItemKind::State => "state",
            ItemKind::Script => "script",
            ItemKind::Flow => "flow",
            ItemKind::Job => "job",
            ItemKind::Object => "object",
            ItemKind::Storage => "storage",
            ItemKind::Other => "item",
        })
    }
}

/// Where a missing item was looked for: its path (or id, or key) and, when the backend knows
/// it, the workspace. The `path` of [`Error::NotFound`](crate::Error::NotFound).
///
/// It reads as the path: it compares with strings (`path == "u/alice/x"`), dereferences to
/// `str`, and displays as the path alone; the workspace is [`ItemLocation::workspace`].
///
/// ```
/// use wmill_core::{Error, ItemKind};
///
/// let err = Error::not_found(ItemKind::Variable, "f/bench/var1").in_workspace("tset");
/// assert_eq!(err.to_string(), r#"variable not found: f/bench/var1 (in workspace "tset")"#);
/// match &err {
///     Error::NotFound { kind: ItemKind::Variable, path } => {
///         assert_eq!(path, "f/bench/var1");
///         assert_eq!(path.workspace(), Some("tset"));
///     }
///     other => panic!("{other}"),
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ItemLocation {
    path: String,
    workspace: Option<String>,
}

impl ItemLocation {
    /// A location without a workspace.
    pub fn new(path: impl Into<String>) -> Self {
        ItemLocation {
            path: path.into(),
            workspace: None,
        }
    }

    setters! {
        /// The same location in `workspace`.
        in_workspace(workspace: impl Into<String>) => workspace = workspace.into();
    }

    /// The path, id or key.
    pub fn as_str(&self) -> &str {
        &self.path
    }

    /// The workspace the item was looked for in, when the backend said.
    pub fn workspace(&self) -> Option<&str> {
        self.workspace.as_deref()
    }

    /// The path, id or key, as a `String`.
    pub fn into_string(self) -> String {
        self.path
    }
}

impl fmt::Display for ItemLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)
    }
}

impl std::ops::Deref for ItemLocation {
    type Target = str;
    fn deref(&self) -> &str {
        &self.path
    }
}

impl AsRef<str> for ItemLocation {
    fn as_ref(&self) -> &str {
        &self.path
    }
}

impl From<String> for ItemLocation {
    fn from(path: String) -> Self {
        ItemLocation::new(path)
    }
}

impl From<&str> for ItemLocation {
    fn from(path: &str) -> Self {
        ItemLocation::new(path)
    }
}

impl From<&String> for ItemLocation {
    fn from(path: &String) -> Self {
        ItemLocation::new(path.as_str())
    }
}

impl From<ItemLocation> for String {
    fn from(location: ItemLocation) -> String {
        location.path
    }
}

impl PartialEq<str> for ItemLocation {
    fn eq(&self, other: &str) -> bool {
        self.path == other
    }
}

impl PartialEq<&str> for ItemLocation {
    fn eq(&self, other: &&str) -> bool {
        self.path == *other
    }
}

impl PartialEq<String> for ItemLocation {
    fn eq(&self, other: &String) -> bool {
        &self.path == other
    }
}

impl PartialEq<ItemLocation> for str {
    fn eq(&self, other: &ItemLocation) -> bool {
        self == other.path
    }
}

impl PartialEq<ItemLocation> for &str {
    fn eq(&self, other: &ItemLocation) -> bool {
        *self == other.path
    }
}

impl PartialEq<ItemLocation> for String {
    fn eq(&self, other: &ItemLocation) -> bool {
        *self == other.path
    }
}

/// ` (in workspace "…")` when the location names one.
pub(super) fn in_workspace(location: &ItemLocation) -> String {
    match location.workspace() {
        Some(ws) => format!(" (in workspace {ws:?})"),
        None => String::new(),
    }
}
