//! DuckLake: the workspace's lakes (DuckDB over object storage), addressed by name
//! (`ducklake://<name>`) and queried with bound values through inline previews; the partition
//! helpers that write into them are in `materialize.rs`.

use wmill_core::Result;

use crate::client::Windmill;
use crate::sql::{Engine, Invalid, Target};
use crate::sql_named::Named;
use crate::sql_names::check_table;
use crate::sql_query::SqlQuery;

/// The partition column the helpers use unless told otherwise (as the official clients and
/// the server's `// materialize` engine).
pub const DEFAULT_PARTITION_COLUMN: &str = "_wm_partition";

/// A workspace DuckLake (Python's `wmill.ducklake(name)`, TypeScript's `wmill.ducklake(name)`):
/// [`query`](Self::query) gives a [`SqlQuery`] to bind values to and run, and
/// [`upsert_partition`](Self::upsert_partition), [`append_partition`](Self::append_partition)
/// and [`read`](Self::read) move rows in and out of lake tables.
///
/// Each query runs as one inline preview in `duckdb` (endpoint as for
/// [`Windmill::run_inline_script_preview`]) whose content is:
///
/// ```text
/// -- result_collection=last_statement_all_rows     (the typed fetches)
/// -- $arg1 (BIGINT)                                 (one line per bound value)
/// -- $since (TEXT)                                  (named: bind_named("since", ..))
/// ATTACH 'ducklake://<name>' AS dl;USE dl;          (USE dl."<schema>" for "<name>:<schema>")
/// SELECT ... WHERE id = $arg1 AND day >= $since
/// ```
///
/// and whose `args` are the bound values by name (`arg1`, `since`). The name is `name` or
/// `name:schema` (empty: `main`), both 1-63 characters of ASCII letters, digits, `_` and `-`, so
/// it cannot leave the quoted `ATTACH` literal; anything else is
/// [`Error::InvalidInput`](wmill_core::Error::InvalidInput) before any request.
///
/// ```no_run
/// # async fn demo(wm: wmill_http::Windmill) -> wmill_core::Result<()> {
/// let lake = wm.ducklake("main");
/// lake.query("CREATE TABLE IF NOT EXISTS friend (name TEXT, age BIGINT)").execute().await?;
/// lake.query("INSERT INTO friend VALUES ($name, $age)")
///     .bind_named("name", "Robin")
///     .bind_named("age", 21)
///     .execute()
///     .await?;
/// let adults: Vec<serde_json::Value> =
///     lake.query("SELECT * FROM friend WHERE age >= $arg1").bind(18).fetch().await?;
/// # let _ = adults; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DuckLake {
    pub(crate) named: Named,
    pub(crate) pipeline: Option<bool>,
}

impl DuckLake {
    fn with_target(target: Target, name: &str) -> Self {
        DuckLake {
            named: Named::new(target, "ducklake name", name),
            pipeline: None,
        }
    }

    /// The DuckLake `name` of a client that `resolve` gives when a query runs (how the `wmill`
    /// crate's `wmill::ducklake(name)` uses its global client).
    ///
    /// ```
    /// let lake = wmill_http::DuckLake::resolved_by("", || {
    ///     wmill_http::Windmill::builder()
    ///         .with_base_url("http://localhost:8000").with_token("t").with_workspace("demo").build()
    /// });
    /// assert_eq!(lake.name(), "main");
    /// ```
    pub fn resolved_by(name: &str, resolve: fn() -> Result<Windmill>) -> Self {
        Self::with_target(Target::Resolve(resolve), name)
    }

    /// Whether the partition helpers record their materializations
    /// (`POST assets/record_materialization`). Default: whether `WM_PIPELINE` is `true` when
    /// a helper runs (Windmill sets it in data pipeline runs).
    #[must_use]
    pub fn pipeline(mut self, record: bool) -> Self {
        self.pipeline = Some(record);
        self
    }

    /// The lake's name (`main` for an empty one).
    pub fn name(&self) -> &str {
        &self.named.name
    }

    /// The schema of `name:schema`, made current by `USE dl."<schema>"`.
    pub fn schema(&self) -> Option<&str> {
        self.named.schema.as_deref()
    }

    /// A query: `sql` (DuckDB) with `$arg1`, `$arg2`... for positional values
    /// ([`SqlQuery::bind`]) and `$name` for named ones ([`SqlQuery::bind_named`]). The lake is
    /// attached as `dl` and made current, so `friend` and `dl.friend` are the same table.
    pub fn query(&self, sql: impl Into<String>) -> SqlQuery {
        self.query_with(sql.into(), None)
    }

    pub(crate) fn query_with(&self, sql: String, invalid: Option<Invalid>) -> SqlQuery {
        let engine = |name, schema| Engine::DuckLake { name, schema };
        self.named.query(engine, sql, invalid)
    }

    /// The rows of lake table `table` (`table` or `schema.table`), those of one partition when
    /// `partition` is given (bound, compared with the [`DEFAULT_PARTITION_COLUMN`] that the
    /// partition helpers write): `SELECT * FROM dl.<table>[ WHERE _wm_partition = $arg1]`. Run it
    /// with [`SqlQuery::fetch`].
    ///
    /// ```
    /// # let wm = wmill_http::Windmill::builder()
    /// #     .with_base_url("http://localhost:8000").with_token("t").with_workspace("demo").build()?;
    /// let p = wm.ducklake("main").read("orders_daily", Some("2026-06-19")).to_preview(None)?;
    /// assert_eq!(
    ///     p.content,
    ///     "-- $arg1 (TEXT)\nATTACH 'ducklake://main' AS dl;USE dl;\n\
    ///      SELECT * FROM dl.orders_daily WHERE _wm_partition = $arg1"
    /// );
    /// # Ok::<(), wmill_core::Error>(())
    /// ```
    pub fn read(&self, table: &str, partition: Option<&str>) -> SqlQuery {
        let invalid = check_table(table).err();
        let mut sql = format!("SELECT * FROM dl.{table}");
        if partition.is_some() {
            sql.push_str(&format!(" WHERE {DEFAULT_PARTITION_COLUMN} = $arg1"));
        }
        let q = self.query_with(sql, invalid);
        match partition {
            Some(p) => q.bind(p),
            None => q,
        }
    }
}

impl Windmill {
    /// The workspace DuckLake `name` (`name:schema` makes the schema current; `""` is `main`).
    /// See [`DuckLake`].
    ///
    /// ```
    /// let wm = wmill_http::Windmill::builder()
    ///     .with_base_url("http://localhost:8000").with_token("t").with_workspace("demo").build()?;
    /// let p = wm
    ///     .ducklake("lake:analytics")
    ///     .query("SELECT * FROM events WHERE day = $day")
    ///     .bind_named("day", "2026-06-19")
    ///     .to_preview(None)?;
    /// assert_eq!(p.language, "duckdb");
    /// assert_eq!(
    ///     p.content,
    ///     "-- $day (TEXT)\nATTACH 'ducklake://lake' AS dl;USE dl.\"analytics\";\n\
    ///      SELECT * FROM events WHERE day = $day"
    /// );
    /// # Ok::<(), wmill_core::Error>(())
    /// ```
    pub fn ducklake(&self, name: &str) -> DuckLake {
        DuckLake::with_target(Target::Client(self.clone()), name)
    }
}
