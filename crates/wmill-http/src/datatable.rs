//! Data tables: the workspace's PostgreSQL databases, addressed by name
//! (`datatable://<name>`), queried with bound values through inline previews.

use crate::client::Windmill;
use crate::sql::{Engine, Invalid, Target};
use crate::sql_named::Named;
use crate::sql_names::is_plain_name;
use crate::sql_query::SqlQuery;
use wmill_core::Result;

/// A workspace data table (Python's `wmill.datatable(name, role=None)`, TypeScript's
/// `wmill.datatable(name)`): [`query`](Self::query) gives a [`SqlQuery`] to bind values to and
/// run.
///
/// Each query runs as one inline preview in `postgresql` with `args`
/// `{database: "datatable://<name>", arg1, arg2, ...}` (`POST jobs/run_inline/preview` on the
/// worker's internal server, `POST jobs/run_wait_result/preview` elsewhere, see
/// [`Windmill::run_inline_script_preview`]). Its content is the header, then your SQL as
/// written:
///
/// ```text
/// -- result_collection=last_statement_all_rows     (the typed fetches)
/// -- role <role>                                    (with a role)
/// -- $1 arg1 (BIGINT)                               (one line per bound value)
/// -- $2 arg2 (TEXT)
/// SET search_path TO "<schema>";                    (for "<name>:<schema>")
/// SELECT ... WHERE id = $1 AND name = $2
/// ```
///
/// The name is `name` or `name:schema` (an empty name is `main`); both parts, and the role,
/// are 1-63 characters of ASCII letters, digits, `_` and `-`. Anything else is
/// [`Error::InvalidInput`](wmill_core::Error::InvalidInput), returned by the query's first
/// fetch before any request.
///
/// Cheap to clone; build as many queries from one as you like.
///
/// ```no_run
/// # async fn demo(wm: wmill_http::Windmill) -> wmill_core::Result<()> {
/// #[derive(serde::Deserialize)]
/// struct Friend { name: String, age: i64 }
///
/// let db = wm.datatable("main");
/// db.query("CREATE TABLE IF NOT EXISTS friend (name TEXT, age BIGINT)").execute().await?;
/// db.query("INSERT INTO friend VALUES ($1, $2)").bind("Robin").bind(21).execute().await?;
/// let robin: Option<Friend> = db
///     .query("SELECT name, age FROM friend WHERE name = $1")
///     .bind("Robin")
///     .fetch_one()
///     .await?;
/// let count: Option<i64> = db.query("SELECT count(*) FROM friend").fetch_scalar().await?;
/// # let _ = (robin, count); Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DataTable {
    named: Named,
    role: Option<String>,
}

impl DataTable {
    fn with_target(target: Target, name: &str) -> Self {
        DataTable {
            named: Named::new(target, "data table name", name),
            role: None,
        }
    }

    /// The data table `name` of a client that `resolve` gives when a query runs (how the `wmill`
    /// crate's `wmill::datatable(name)` uses its global client): an error of `resolve` is the
    /// query's error.
    ///
    /// ```
    /// let db = wmill_http::DataTable::resolved_by("main", || {
    ///     wmill_http::Windmill::builder()
    ///         .with_base_url("http://localhost:8000").with_token("t").with_workspace("demo").build()
    /// });
    /// assert_eq!(db.name(), "main");
    /// ```
    pub fn resolved_by(name: &str, resolve: fn() -> Result<Windmill>) -> Self {
        Self::with_target(Target::Resolve(resolve), name)
    }

    /// Runs the queries as the PostgreSQL role `role` (the `-- role <role>` header; Python's
    /// `datatable(name, role=...)`). The role is 1-63 characters of ASCII letters, digits, `_`
    /// and `-`.
    ///
    /// ```
    /// # let wm = wmill_http::Windmill::builder()
    /// #     .with_base_url("http://localhost:8000").with_token("t").with_workspace("demo").build()?;
    /// let q = wm.datatable("main").role("reader").query("SELECT 1");
    /// assert_eq!(q.to_preview(None)?.content, "-- role reader\nSELECT 1");
    /// assert!(wm.datatable("main").role("x; DROP").query("SELECT 1").to_preview(None).is_err());
    /// # Ok::<(), wmill_core::Error>(())
    /// ```
    #[must_use]
    pub fn role(mut self, role: &str) -> Self {
        if is_plain_name(role, 63) {
            self.role = Some(role.to_owned());
        } else if self.named.invalid.is_none() {
            self.named.invalid = Some(Invalid::new(
                "data table role",
                format!("{role:?} must match ^[A-Za-z0-9_-]{{1,63}}$"),
            ));
        }
        self
    }

    /// The data table's name (`main` for an empty one).
    pub fn name(&self) -> &str {
        &self.named.name
    }

    /// The schema of `name:schema`, set as the search path of each query.
    pub fn schema(&self) -> Option<&str> {
        self.named.schema.as_deref()
    }

    /// A query: `sql` with `$1`, `$2`... where bound values go
    /// ([`SqlQuery::bind`]). The SQL is sent as written, after the header.
    pub fn query(&self, sql: impl Into<String>) -> SqlQuery {
        let role = self.role.clone();
        let engine = |name, schema| Engine::DataTable { name, schema, role };
        self.named.query(engine, sql.into(), None)
    }
}

impl Windmill {
    /// The workspace data table `name` (`name:schema` sets the search path; `""` is `main`).
    /// See [`DataTable`].
    ///
    /// ```
    /// let wm = wmill_http::Windmill::builder()
    ///     .with_base_url("http://localhost:8000").with_token("t").with_workspace("demo").build()?;
    /// let preview = wm
    ///     .datatable("main:sales")
    ///     .query("SELECT * FROM orders WHERE paid = $1")
    ///     .bind(true)
    ///     .to_preview(Some(wmill_http::ResultCollection::LastStatementAllRows))?;
    /// assert_eq!(
    ///     preview.content,
    ///     "-- result_collection=last_statement_all_rows\n-- $1 arg1 (BOOLEAN)\n\
    ///      SET search_path TO \"sales\";\nSELECT * FROM orders WHERE paid = $1"
    /// );
    /// # Ok::<(), wmill_core::Error>(())
    /// ```
    pub fn datatable(&self, name: &str) -> DataTable {
        DataTable::with_target(Target::Client(self.clone()), name)
    }
}
