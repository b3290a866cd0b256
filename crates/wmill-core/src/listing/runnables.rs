//! Script and flow listings: [`ListRunnables`], [`ScriptSummary`], [`FlowSummary`].

use serde::{Deserialize, Deserializer, Serialize};

use crate::{ItemPath, Result};

use super::job_summary::lenient;
use super::pagination::{validate_filter, validate_paging};

/// Filters and paging of script and flow listings (`scripts/list`, `flows/list`).
///
/// ```
/// use wmill_core::ListRunnables;
///
/// let q = ListRunnables::new().path_start("f/etl/").per_page(200);
/// assert!(q.validate().is_ok());
/// assert!(ListRunnables::new().per_page(20_000).validate().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListRunnables {
    /// Only paths starting with this prefix (`path_start`).
    pub path_start: Option<String>,
    /// Only the item at this exact path (`path_exact`).
    pub path_exact: Option<ItemPath>,
    /// Only items created by this user (`created_by`).
    pub created_by: Option<String>,
    /// The page, from 1 (streams start there).
    pub page: Option<u32>,
    /// Items per page (server default 1000, maximum 10000).
    pub per_page: Option<u32>,
}

impl ListRunnables {
    /// No filter, the server's default page.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// Only paths starting with `prefix`.
        path_start(prefix: impl Into<String>) => path_start = prefix.into();
        /// Only the item at `path`.
        path_exact(path: ItemPath) => path_exact = path;
        /// Only items created by `user`.
        created_by(user: impl Into<String>) => created_by = user.into();
        /// The page (from 1).
        page(page: u32) => page = page;
        /// Items per page (1 to 10000).
        per_page(per_page: u32) => per_page = per_page;
    }

    /// Checks paging and filters ([`Error::InvalidInput`](crate::Error::InvalidInput)).
    pub fn validate(&self) -> Result<()> {
        validate_paging(self.page, self.per_page)?;
        if let Some(p) = &self.path_start {
            validate_filter("path prefix", p)?;
        }
        if let Some(u) = &self.created_by {
            validate_filter("created_by", u)?;
        }
        Ok(())
    }
}

/// Declares a row of `scripts/list` or `flows/list`: the fields both have (`path`, `summary`
/// and `description` first, the `archived`, `draft_only` and `starred` flags last) around the
/// row's own fields, each an `Option<String>`. Every field but `path` is decoded tolerantly
/// (missing or of another type: `None` / `false`).
macro_rules! runnable_summary {
    (
        $(#[$attr:meta])*
        $name:ident { $(#[$path_doc:meta])* path, $($(#[$doc:meta])* $field:ident,)* }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[non_exhaustive]
        pub struct $name {
            $(#[$path_doc])*
            pub path: String,
            /// Its summary.
            #[serde(default, deserialize_with = "lenient")]
            pub summary: Option<String>,
            /// Its description (when the server sends it).
            #[serde(default, deserialize_with = "lenient")]
            pub description: Option<String>,
            $(
                $(#[$doc])*
                #[serde(default, deserialize_with = "lenient")]
                pub $field: Option<String>,
            )*
            /// Whether it is archived.
            #[serde(default, deserialize_with = "lenient_bool")]
            pub archived: bool,
            /// Whether only a draft exists.
            #[serde(default, deserialize_with = "lenient_bool")]
            pub draft_only: bool,
            /// Whether the caller starred it.
            #[serde(default, deserialize_with = "lenient_bool")]
            pub starred: bool,
        }
    };
}

runnable_summary! {
    /// A script as `scripts/list` returns it: the server's short rows (no content, no schema),
    /// decoded tolerantly (missing or odd fields are `None`).
    ///
    /// ```
    /// let row: wmill_core::ScriptSummary = serde_json::from_value(serde_json::json!({
    ///     "hash": "0123456789abcdef", "path": "f/etl/load", "summary": "Load",
    ///     "created_at": "2024-05-06T07:08:09Z", "language": "python3", "kind": "script",
    ///     "archived": false, "starred": true, "extra_perms": {}
    /// }))?;
    /// assert_eq!(row.path, "f/etl/load");
    /// assert!(row.starred);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    ScriptSummary {
        /// The script's path.
        path,
        /// The hash of the listed version.
        hash,
        /// Who created this version (older servers send it).
        created_by,
        /// When this version was created (RFC 3339, as sent).
        created_at,
        /// The language (`python3`, `deno`, `bun`, ...).
        language,
        /// The kind (`script`, `trigger`, `failure`, `approval`, ...).
        kind,
        /// The worker tag.
        tag,
    }
}

runnable_summary! {
    /// A flow as `flows/list` returns it: the server's short rows (no flow value, no schema),
    /// decoded tolerantly.
    ///
    /// ```
    /// let row: wmill_core::FlowSummary = serde_json::from_value(serde_json::json!({
    ///     "workspace_id": "ws", "path": "f/etl/nightly", "summary": "Nightly",
    ///     "edited_by": "ada", "edited_at": "2024-05-06T07:08:09Z", "archived": false,
    ///     "extra_perms": {}, "starred": false, "has_draft": false
    /// }))?;
    /// assert_eq!(row.edited_by.as_deref(), Some("ada"));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    FlowSummary {
        /// The flow's path.
        path,
        /// Who last edited it.
        edited_by,
        /// When it was last edited (RFC 3339, as sent).
        edited_at,
    }
}

fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
    Ok(lenient::<D, bool>(d)?.unwrap_or(false))
}
