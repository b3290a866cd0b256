//! The partition helpers of a [`DuckLake`]: [`Materialize`] writes a `SELECT` into a lake table
//! (upsert, replace or append, for one partition or the whole table) and, in a data pipeline,
//! records the materialization.

use reqwest::Method;
use serde_json::{Value, json};
use wmill_core::Result;

use crate::ducklake::{DEFAULT_PARTITION_COLUMN, DuckLake};
use crate::sql::Invalid;
use crate::sql_names::{check_ident, check_table};
use crate::sql_query::SqlQuery;
use crate::urls::Seg;

/// The environment variable that marks a data pipeline run: when it is `true`, the partition
/// helpers record their materializations.
pub const PIPELINE_VAR: &str = "WM_PIPELINE";

impl DuckLake {
    /// Idempotently materializes `select_sql` into lake table `table` (Python's
    /// `upsert_partition`, TypeScript's `upsertPartition`): for one partition
    /// ([`Materialize::partition`]) or the whole table. With a [`Materialize::unique_key`] it
    /// upserts (deletes the rows whose key the `SELECT` returns, then inserts them), else it
    /// replaces (the partition's rows, or the whole table with `CREATE OR REPLACE TABLE`). Safe
    /// to run again for the same partition. Run it with [`Materialize::execute`].
    ///
    /// `table` (`table` or `schema.table`), the partition column and the unique key are
    /// identifiers, checked; `select_sql` is your SQL, written in as it is; the partition value
    /// is bound, never written into the SQL.
    pub fn upsert_partition(&self, table: &str, select_sql: &str) -> Materialize {
        Materialize::new(self.clone(), Strategy::Upsert, table, select_sql)
    }

    /// Inserts the rows of `select_sql` into lake table `table` (Python's `append_partition`,
    /// TypeScript's `appendPartition`): no dedup and no replace, for append-only sources;
    /// running it twice for a partition inserts its rows twice. A unique key is
    /// [`Error::InvalidInput`](wmill_core::Error::InvalidInput) here.
    pub fn append_partition(&self, table: &str, select_sql: &str) -> Materialize {
        Materialize::new(self.clone(), Strategy::Append, table, select_sql)
    }
}
/// How [`Materialize`] writes its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strategy {
    Upsert,
    Append,
}

/// A materialization of a `SELECT` into a lake table, from [`DuckLake::upsert_partition`] or
/// [`DuckLake::append_partition`]; nothing runs before [`execute`](Self::execute).
///
/// The statements are those of the official clients. For an upsert of partition `p` with
/// unique key `id` into `orders` (`P` is the partition column, `S` your `SELECT`):
///
/// ```text
/// -- $arg1 (TEXT)
/// -- $arg2 (TEXT)
/// ATTACH 'ducklake://main' AS dl;USE dl;
/// CREATE TABLE IF NOT EXISTS dl.orders AS SELECT *, CAST(NULL AS VARCHAR) AS P FROM (S) WHERE false;
/// ALTER TABLE dl.orders SET PARTITIONED BY (P);
/// BEGIN TRANSACTION;
/// DELETE FROM dl.orders WHERE P = $arg1 AND id IN (SELECT id FROM (S));
/// INSERT INTO dl.orders SELECT *, $arg2 AS P FROM (S);
/// COMMIT;
/// ```
///
/// (`arg1` and `arg2` both hold `p`.) Without a unique key the `DELETE` removes the whole
/// partition; without a partition there is no partition column, and a replace is
/// `CREATE OR REPLACE TABLE dl.orders AS SELECT * FROM (S);`. An append is the `CREATE` and
/// `ALTER` lines then the `INSERT`.
///
/// In a data pipeline ([`DuckLake::pipeline`], `WM_PIPELINE=true`) `execute` also records the
/// materialization, as the official clients do: after the statements it reads the slice's row
/// count and the lake's latest snapshot (best effort), then sends `POST assets/record_materialization`
/// `{asset_kind: "ducklake", asset_path: "<lake>/<table>" (or "<lake>/<schema>.<table>"),
/// partition (""for a whole table), status: "materialized" | "failed", snapshot_id, row_count,
/// job_id (WM_JOB_ID), error}`. That record is best effort: its failure is logged at `debug`
/// and never fails the materialization. Unlike the TypeScript client, the row count query binds
/// the partition value rather than writing it into the SQL.
///
/// ```
/// # let wm = wmill_http::Windmill::builder()
/// #     .with_base_url("http://localhost:8000").with_token("t").with_workspace("demo").build()?;
/// let m = wm
///     .ducklake("main")
///     .append_partition("events", "SELECT * FROM staging")
///     .partition("2026-06-19");
/// let p = m.statement().to_preview(None)?;
/// assert_eq!(
///     p.content,
///     "-- $arg1 (TEXT)\nATTACH 'ducklake://main' AS dl;USE dl;\n\
///      CREATE TABLE IF NOT EXISTS dl.events AS SELECT *, CAST(NULL AS VARCHAR) AS _wm_partition FROM (SELECT * FROM staging) WHERE false;\n\
///      ALTER TABLE dl.events SET PARTITIONED BY (_wm_partition);\n\
///      INSERT INTO dl.events SELECT *, $arg1 AS _wm_partition FROM (SELECT * FROM staging);"
/// );
/// # Ok::<(), wmill_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Materialize {
    lake: DuckLake,
    strategy: Strategy,
    table: String,
    select_sql: String,
    partition: Option<String>,
    unique_key: Option<String>,
    partition_column: String,
}

impl Materialize {
    fn new(lake: DuckLake, strategy: Strategy, table: &str, select_sql: &str) -> Self {
        Materialize {
            lake,
            strategy,
            table: table.to_owned(),
            select_sql: select_sql.to_owned(),
            partition: None,
            unique_key: None,
            partition_column: DEFAULT_PARTITION_COLUMN.to_owned(),
        }
    }

    setters! {
        #![must_use]
        /// Materializes this partition only (bound as a `TEXT` argument, stored in the partition
        /// column). Without it the whole table is materialized.
        partition(partition: impl Into<String>) => partition = partition.into();
        /// Upserts by this column (an identifier) instead of replacing: an upsert only.
        unique_key(column: &str) => unique_key = column.to_owned();
        /// The partition column (an identifier; default [`DEFAULT_PARTITION_COLUMN`]).
        partition_col(column: &str) => partition_column: column.to_owned();
    }

    fn check(&self) -> std::result::Result<(), Invalid> {
        check_table(&self.table)?;
        check_ident("partition column", &self.partition_column)?;
        if let Some(k) = &self.unique_key {
            if self.strategy == Strategy::Append {
                return Err(Invalid::new(
                    "unique key",
                    "append_partition inserts only; use upsert_partition to dedup by a key",
                ));
            }
            check_ident("unique key", k)?;
        }
        if self.select_sql.trim().is_empty() {
            return Err(Invalid::new("select SQL", "the SELECT is empty"));
        }
        Ok(())
    }

    /// The statements this materialization runs, as a query (its preview shows exactly what
    /// is sent).
    pub fn statement(&self) -> SqlQuery {
        let t = format!("dl.{}", self.table);
        let b = &self.select_sql;
        let p = &self.partition_column;
        let create_partitioned = format!(
            "CREATE TABLE IF NOT EXISTS {t} AS SELECT *, CAST(NULL AS VARCHAR) AS {p} FROM ({b}) WHERE false;\n\
             ALTER TABLE {t} SET PARTITIONED BY ({p});\n"
        );
        let mut binds = 0;
        let sql = match (self.strategy, &self.partition, &self.unique_key) {
            (Strategy::Upsert, None, Some(k)) => format!(
                "CREATE TABLE IF NOT EXISTS {t} AS SELECT * FROM ({b}) WHERE false;\n\
                 BEGIN TRANSACTION;\n\
                 DELETE FROM {t} WHERE {k} IN (SELECT {k} FROM ({b}));\n\
                 INSERT INTO {t} SELECT * FROM ({b});\n\
                 COMMIT;"
            ),
            (Strategy::Upsert, None, None) => {
                format!("CREATE OR REPLACE TABLE {t} AS SELECT * FROM ({b});")
            }
            (Strategy::Upsert, Some(_), Some(k)) => {
                binds = 2;
                format!(
                    "{create_partitioned}BEGIN TRANSACTION;\n\
                     DELETE FROM {t} WHERE {p} = $arg1 AND {k} IN (SELECT {k} FROM ({b}));\n\
                     INSERT INTO {t} SELECT *, $arg2 AS {p} FROM ({b});\n\
                     COMMIT;"
                )
            }
            (Strategy::Upsert, Some(_), None) => {
                binds = 2;
                format!(
                    "{create_partitioned}BEGIN TRANSACTION;\n\
                     DELETE FROM {t} WHERE {p} = $arg1;\n\
                     INSERT INTO {t} SELECT *, $arg2 AS {p} FROM ({b});\n\
                     COMMIT;"
                )
            }
            (Strategy::Append, None, _) => format!(
                "CREATE TABLE IF NOT EXISTS {t} AS SELECT * FROM ({b}) WHERE false;\n\
                 INSERT INTO {t} SELECT * FROM ({b});"
            ),
            (Strategy::Append, Some(_), _) => {
                binds = 1;
                format!("{create_partitioned}INSERT INTO {t} SELECT *, $arg1 AS {p} FROM ({b});")
            }
        };
        let mut q = self.lake.query_with(sql, self.check().err());
        if let Some(part) = &self.partition {
            for _ in 0..binds {
                q = q.bind(part.as_str());
            }
        }
        q
    }

    /// The query that reads back what a materialization wrote: the slice's row count and the
    /// lake's latest snapshot, as one row `{rows, snapshot_id}`.
    fn summary(&self) -> SqlQuery {
        let t = format!("dl.{}", self.table);
        let filter = if self.partition.is_some() {
            format!(" WHERE {} = $arg1", self.partition_column)
        } else {
            String::new()
        };
        let q = self.lake.query_with(
            format!(
                "SELECT (SELECT count(*) FROM {t}{filter}) AS rows, \
                 (SELECT max(snapshot_id) FROM ducklake_snapshots('dl')) AS snapshot_id"
            ),
            self.check().err(),
        );
        match &self.partition {
            Some(p) => q.bind(p.as_str()),
            None => q,
        }
    }

    /// Runs the statements (and, in a data pipeline, records the materialization).
    ///
    /// # Errors
    /// [`Error::InvalidInput`](wmill_core::Error::InvalidInput) before any request for a bad
    /// name, table, column or key; otherwise what the statements' preview returns (see
    /// [`SqlQuery::execute`]). A failed record never fails this call.
    ///
    /// Runs in a `tracing` span named `materialize` (fields `workspace`, `database`, `table`),
    /// the statements' `execute` span and the record's request inside it.
    #[tracing::instrument(name = "materialize", skip_all, fields(workspace = tracing::field::Empty, database = %format!("ducklake://{}", self.lake.named.name), table = self.table.as_str()))]
    pub async fn execute(&self) -> Result<()> {
        if let Ok(wm) = self.lake.named.target.client() {
            tracing::Span::current().record("workspace", wm.workspace().as_str());
        }
        let statement = self.statement();
        // Inputs are checked before anything is sent, pipeline or not.
        statement.to_preview(None)?;
        let record = self
            .lake
            .pipeline
            .unwrap_or_else(|| pipeline_enabled(std::env::var(PIPELINE_VAR).ok().as_deref()));
        if !record {
            return statement.execute().await;
        }
        if let Err(e) = statement.execute().await {
            self.record("failed", None, None, Some(e.to_string())).await;
            return Err(e);
        }
        let (rows, snapshot) = match self.summary().fetch_one::<Value>().await {
            Ok(Some(row)) => (
                row.get("rows").cloned().filter(|v| !v.is_null()),
                row.get("snapshot_id").cloned().filter(|v| !v.is_null()),
            ),
            Ok(None) => (None, None),
            Err(e) => {
                tracing::debug!(error = %e, "ducklake materialization summary failed");
                (None, None)
            }
        };
        self.record("materialized", snapshot, rows, None).await;
        Ok(())
    }

    /// `POST assets/record_materialization`, best effort.
    async fn record(
        &self,
        status: &str,
        snapshot_id: Option<Value>,
        row_count: Option<Value>,
        error: Option<String>,
    ) {
        let wm = match self.lake.named.target.client() {
            Ok(wm) => wm,
            Err(e) => {
                tracing::debug!(error = %e, "ducklake materialization not recorded");
                return;
            }
        };
        let asset_path = match &self.lake.named.schema {
            Some(s) => format!("{}/{s}.{}", self.lake.named.name, self.table),
            None => format!("{}/{}", self.lake.named.name, self.table),
        };
        let body = json!({
            "asset_kind": "ducklake",
            "asset_path": asset_path,
            "partition": self.partition.clone().unwrap_or_default(),
            "status": status,
            "snapshot_id": snapshot_id,
            "row_count": row_count,
            "job_id": wm.inner.job_id.map(|id| id.to_string()),
            "error": error,
        });
        let sent = match wm
            .call(
                Method::POST,
                &[
                    Seg::Ws,
                    Seg::Lit("assets"),
                    Seg::Lit("record_materialization"),
                ],
            )
            .json(&body)
        {
            Ok(req) => req.send().await.map(drop),
            Err(e) => Err(e),
        };
        if let Err(e) = sent {
            tracing::debug!(error = %e, asset_path = %asset_path, "ducklake materialization not recorded");
        }
    }
}

/// Whether a `WM_PIPELINE` value marks a pipeline run: exactly `true`, as the official clients
/// read it.
fn pipeline_enabled(value: Option<&str>) -> bool {
    value == Some("true")
}

#[cfg(test)]
mod tests;
