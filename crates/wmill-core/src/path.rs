//! Validated item paths and workspace ids.

use std::borrow::Borrow;

use crate::{Error, Result};

crate::validated::string_newtype! {
    /// The path of a Windmill item: a variable, resource, script, flow or state.
    ///
    /// Windmill paths are `/`-separated and start with the owner kind:
    /// `u/<user>/<name...>` (a user's item), `f/<folder>/<name...>` (a folder's item),
    /// `g/<group>/<name...>` (a group's item, older workspaces) or `hub/<id>/...` (hub scripts,
    /// runnable by path). Parsing enforces:
    ///
    /// - the first segment is `u`, `f`, `g` or `hub`; `u`/`f`/`g` paths have at least three segments,
    ///   `hub` paths at least two;
    /// - no empty segment (no leading, trailing or doubled `/`), no `.` or `..` segment;
    /// - no control characters, no `?` or `#` (they cannot be part of an item path on the server);
    /// - at most 255 bytes.
    ///
    /// Anything else the server accepts is accepted (unicode, spaces, `.` inside names); the HTTP
    /// backend percent-encodes each segment when it builds a URL.
    ///
    /// ```
    /// use wmill_core::ItemPath;
    ///
    /// let path: ItemPath = "f/billing/stripe_key".parse()?;
    /// assert_eq!(path.as_str(), "f/billing/stripe_key");
    /// assert_eq!(path.owner_kind(), "f");
    /// assert_eq!(path.name(), "stripe_key");
    ///
    /// assert!(ItemPath::parse("billing/stripe_key").is_err()); // no owner kind
    /// assert!(ItemPath::parse("u/alice/../bob/x").is_err()); // `..` segment
    /// assert!(ItemPath::parse("u/alice/").is_err()); // empty name
    ///
    /// // Python-style references: `$res:` / `res://` for resources, `var://` for variables.
    /// assert_eq!(ItemPath::parse_resource_ref("$res:u/alice/db")?.as_str(), "u/alice/db");
    /// assert_eq!(ItemPath::parse_variable_ref("var://u/alice/key")?.as_str(), "u/alice/key");
    /// # Ok::<(), wmill_core::Error>(())
    /// ```
    pub struct ItemPath;
}

/// The longest path accepted, in bytes.
const MAX_PATH_LEN: usize = 255;

impl ItemPath {
    /// Parses and validates a path. The error is [`Error::InvalidInput`] naming the broken rule.
    pub fn parse(path: impl AsRef<str>) -> Result<Self> {
        let raw = path.as_ref();
        validate(raw)?;
        Ok(ItemPath {
            raw: raw.to_owned(),
        })
    }

    /// Parses a resource reference: a plain path, `$res:<path>` or `res://<path>`.
    pub fn parse_resource_ref(reference: impl AsRef<str>) -> Result<Self> {
        Self::parse_ref(reference.as_ref(), ["$res:", "res://"])
    }

    /// Parses a variable reference: a plain path, `var://<path>` or `$var:<path>`.
    pub fn parse_variable_ref(reference: impl AsRef<str>) -> Result<Self> {
        Self::parse_ref(reference.as_ref(), ["var://", "$var:"])
    }

    /// Parses `reference` without the first of `prefixes` it starts with.
    fn parse_ref(reference: &str, prefixes: [&str; 2]) -> Result<Self> {
        let path = prefixes
            .iter()
            .find_map(|p| reference.strip_prefix(p))
            .unwrap_or(reference);
        Self::parse(path)
    }

    /// A path known to be valid (constants of this crate).
    pub(crate) fn from_trusted(raw: &str) -> Self {
        debug_assert!(validate(raw).is_ok(), "{raw}");
        ItemPath {
            raw: raw.to_owned(),
        }
    }

    /// The path as a string.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The owner kind: `u`, `f`, `g` or `hub`.
    pub fn owner_kind(&self) -> &str {
        self.segments().next().unwrap_or_default()
    }

    /// The owner: the user, folder or group name (the second segment).
    pub fn owner(&self) -> &str {
        self.segments().nth(1).unwrap_or_default()
    }

    /// The last segment.
    pub fn name(&self) -> &str {
        self.segments().next_back().unwrap_or_default()
    }

    /// The `/`-separated segments.
    pub fn segments(&self) -> std::str::Split<'_, char> {
        self.raw.split('/')
    }

    /// Consumes the path, returning the string.
    pub fn into_string(self) -> String {
        self.raw
    }
}

fn validate(raw: &str) -> Result<()> {
    let bad = |reason: String| Err(Error::invalid("item path", reason));
    if raw.is_empty() {
        return bad("the path is empty; expected u/<user>/<name> or f/<folder>/<name>".into());
    }
    if raw.len() > MAX_PATH_LEN {
        return bad(format!(
            "the path is {} bytes long, the limit is {MAX_PATH_LEN}",
            raw.len()
        ));
    }
    if let Some(c) = raw.chars().find(|c| c.is_control()) {
        return bad(format!(
            "{raw:?} contains a control character (U+{:04X})",
            c as u32
        ));
    }
    if let Some(c) = raw.chars().find(|c| matches!(c, '?' | '#')) {
        return bad(format!("{raw:?} contains {c:?}, which a path cannot hold"));
    }
    let segments: Vec<&str> = raw.split('/').collect();
    if let Some(i) = segments.iter().position(|s| s.is_empty()) {
        let why = if i == 0 {
            "starts with `/`"
        } else if i == segments.len() - 1 {
            "ends with `/`"
        } else {
            "has an empty segment (`//`)"
        };
        return bad(format!("{raw:?} {why}"));
    }
    if segments.iter().any(|s| *s == "." || *s == "..") {
        return bad(format!("{raw:?} has a `.` or `..` segment"));
    }
    let (min, shape) = match segments[0] {
        "u" => (3, "u/<user>/<name>"),
        "f" => (3, "f/<folder>/<name>"),
        "g" => (3, "g/<group>/<name>"),
        "hub" => (2, "hub/<id>/<name>"),
        _ => {
            // `alice/key` for `u/alice/key`, `billing/key` for `f/billing/key`: say so.
            let hint = if segments.len() >= 2 {
                format!("; did you mean \"u/{raw}\" or \"f/{raw}\"?")
            } else {
                String::new()
            };
            return bad(format!(
                "{raw:?} does not start with an owner: paths look like u/<user>/<name>, \
                 f/<folder>/<name>, g/<group>/<name> or hub/<id>/<name>{hint}"
            ));
        }
    };
    if segments.len() < min {
        return bad(format!("{raw:?} has no name: paths look like {shape}"));
    }
    Ok(())
}

impl Borrow<str> for ItemPath {
    fn borrow(&self) -> &str {
        &self.raw
    }
}

/// Anything that names an item path: an [`ItemPath`], or a string parsed when the call starts
/// (a bad one is [`Error::InvalidInput`] before the backend is called). What the extension
/// traits ([`ResourceStoreExt`](crate::ResourceStoreExt), [`JobRunnerExt`](crate::JobRunnerExt),
/// ...) take, so code written against the traits can pass `"f/billing/key"` as it is.
///
/// ```
/// use wmill_core::{AsItemPath, ItemPath};
///
/// assert_eq!(AsItemPath::as_item_path("u/alice/key")?.as_str(), "u/alice/key");
/// let path = ItemPath::parse("f/billing/key")?;
/// assert_eq!(path.as_item_path()?.as_str(), "f/billing/key");
/// assert!(AsItemPath::as_item_path("alice/key").is_err());
/// # Ok::<(), wmill_core::Error>(())
/// ```
pub trait AsItemPath {
    /// The path, validated (borrowed when it already is an [`ItemPath`]).
    fn as_item_path(&self) -> Result<std::borrow::Cow<'_, ItemPath>>;
}

impl AsItemPath for ItemPath {
    fn as_item_path(&self) -> Result<std::borrow::Cow<'_, ItemPath>> {
        Ok(std::borrow::Cow::Borrowed(self))
    }
}

impl AsItemPath for str {
    fn as_item_path(&self) -> Result<std::borrow::Cow<'_, ItemPath>> {
        ItemPath::parse(self).map(std::borrow::Cow::Owned)
    }
}

impl AsItemPath for String {
    fn as_item_path(&self) -> Result<std::borrow::Cow<'_, ItemPath>> {
        self.as_str().as_item_path()
    }
}

impl<T: AsItemPath + ?Sized> AsItemPath for &T {
    fn as_item_path(&self) -> Result<std::borrow::Cow<'_, ItemPath>> {
        (**self).as_item_path()
    }
}

crate::validated::string_newtype! {
    /// A workspace id, as it appears in `/api/w/{workspace}/...`.
    ///
    /// Workspace ids are ASCII letters, digits, `-` and `_`, at most 50 characters.
    ///
    /// ```
    /// use wmill_core::Workspace;
    ///
    /// assert_eq!(Workspace::parse("demo-team")?.as_str(), "demo-team");
    /// assert!(Workspace::parse("demo team").is_err());
    /// assert!(Workspace::parse("").is_err());
    /// # Ok::<(), wmill_core::Error>(())
    /// ```
    pub struct Workspace;
}

impl Workspace {
    /// Parses and validates a workspace id.
    pub fn parse(id: impl AsRef<str>) -> Result<Self> {
        let raw = id.as_ref();
        let bad = |reason: String| Err(Error::invalid("workspace id", reason));
        if raw.is_empty() {
            return bad("the workspace id is empty".into());
        }
        if raw.len() > 50 {
            return bad(format!("{raw:?} is longer than 50 characters"));
        }
        if let Some(c) = raw
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return bad(format!(
                "{raw:?} contains {c:?}; only ASCII letters, digits, `-` and `_` are allowed"
            ));
        }
        Ok(Workspace {
            raw: raw.to_owned(),
        })
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

#[cfg(test)]
mod tests;
