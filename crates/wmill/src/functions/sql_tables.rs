//! Parameterized SQL on the workspace's data tables and lakes, on the global client (feature
//! `http`).

use wmill_http::{DataTable, DuckLake, Windmill};

/// The global client's Windmill server, resolved when a query runs.
fn global_windmill() -> wmill_core::Result<Windmill> {
    Ok(crate::global::client()?.http()?.clone())
}

/// The workspace data table `name` (PostgreSQL; `"main"` is the default one, `name:schema`
/// sets the search path), on the global client. Python: `wmill.datatable(name="main")`;
/// the role (Python's `role=`) is [`DataTable::role`].
///
/// Queries bind their values ([`SqlQuery::bind`](wmill_http::SqlQuery::bind)), which never
/// enter the SQL text, and run as one inline preview each. The client is resolved when a
/// query runs: without a Windmill server (the embedded [`InMemory`](crate::InMemory)
/// backend has no SQL) that is [`Error::Unsupported`](crate::Error::Unsupported). See
/// [`DataTable`] for the exact request.
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill::Result<()> {
/// #[derive(serde::Deserialize)]
/// struct Friend { name: String, age: i64 }
///
/// let db = wmill::datatable("main");
/// let adults: Vec<Friend> = db
///     .query("SELECT name, age FROM friend WHERE age >= $1")
///     .bind(18)
///     .fetch()
///     .await?;
/// let count: Option<i64> = db.query("SELECT count(*) FROM friend").fetch_scalar().await?;
/// # let _ = (adults, count); Ok(()) }
/// ```
pub fn datatable(name: &str) -> DataTable {
    DataTable::resolved_by(name, global_windmill)
}

/// The workspace DuckLake `name` (DuckDB; `"main"` is the default one, `name:schema` makes
/// the schema current), on the global client. Python: `wmill.ducklake(name="main")`, with
/// `query`, `upsert_partition`, `append_partition` and `read`. The client is resolved when
/// a query runs, as for [`datatable`]. See [`DuckLake`] for the exact request.
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill::Result<()> {
/// let lake = wmill::ducklake("main");
/// let friend: Option<serde_json::Value> = lake
///     .query("SELECT * FROM friend WHERE id = $id")
///     .bind_named("id", 7)
///     .fetch_one()
///     .await?;
/// lake.upsert_partition("friends_daily", "SELECT * FROM friend")
///     .partition("2026-06-19")
///     .execute()
///     .await?;
/// # let _ = friend; Ok(()) }
/// ```
pub fn ducklake(name: &str) -> DuckLake {
    DuckLake::resolved_by(name, global_windmill)
}
