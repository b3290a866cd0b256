//! Blocking data tables and DuckLake (feature `http`): the async builders of
//! [`crate::datatable`] / [`crate::ducklake`] with blocking runs.
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wmill_core::Result;
use wmill_http::{ResultCollection, SqlPreview};

use super::block_on;

/// A blocking wrapper around the builder `wmill_http::$name` (the same value; its runs block),
/// and its `From`.
macro_rules! wrapper {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(wmill_http::$name);

        impl From<wmill_http::$name> for $name {
            fn from(inner: wmill_http::$name) -> Self {
                $name(inner)
            }
        }
    };
}

/// `name`, `schema` and `query` of a blocking data table or DuckLake (`wmill_http::$name`).
macro_rules! sql_source {
    ($name:ident) => {
        #[doc = concat!("[`wmill_http::", stringify!($name), "::name`].")]
        pub fn name(&self) -> &str {
            self.0.name()
        }

        #[doc = concat!("[`wmill_http::", stringify!($name), "::schema`].")]
        pub fn schema(&self) -> Option<&str> {
            self.0.schema()
        }

        #[doc = concat!("[`wmill_http::", stringify!($name), "::query`].")]
        pub fn query(&self, sql: impl Into<String>) -> SqlQuery {
            SqlQuery(self.0.query(sql))
        }
    };
}

/// Blocking [`crate::datatable`]: the same builder, whose queries run without `async`.
///
/// ```no_run
/// fn main() -> wmill::Result<()> {
///     let n: Option<i64> = wmill::blocking::datatable("main")
///         .query("SELECT count(*) FROM friend WHERE age >= $1")
///         .bind(18)
///         .fetch_scalar()?;
///     println!("{n:?} adults");
///     Ok(())
/// }
/// ```
pub fn datatable(name: &str) -> DataTable {
    DataTable(crate::datatable(name))
}

/// Blocking [`crate::ducklake`]: the same builder, whose queries run without `async`.
///
/// ```no_run
/// fn main() -> wmill::Result<()> {
///     wmill::blocking::ducklake("main")
///         .append_partition("events", "SELECT * FROM staging")
///         .partition("2026-06-19")
///         .execute()
/// }
/// ```
pub fn ducklake(name: &str) -> DuckLake {
    DuckLake(crate::ducklake(name))
}

wrapper! {
    /// Blocking [`wmill_http::DataTable`].
    DataTable
}

impl DataTable {
    /// [`wmill_http::DataTable::role`].
    #[must_use]
    pub fn role(self, role: &str) -> Self {
        DataTable(self.0.role(role))
    }

    sql_source!(DataTable);
}

wrapper! {
    /// Blocking [`wmill_http::SqlQuery`]: the same binding, blocking runs.
    SqlQuery
}

impl SqlQuery {
    /// [`wmill_http::SqlQuery::bind`].
    #[must_use]
    pub fn bind<T: Serialize>(self, value: T) -> Self {
        SqlQuery(self.0.bind(value))
    }

    /// [`wmill_http::SqlQuery::bind_as`].
    #[must_use]
    pub fn bind_as<T: Serialize>(self, value: T, sql_type: &str) -> Self {
        SqlQuery(self.0.bind_as(value, sql_type))
    }

    /// [`wmill_http::SqlQuery::bind_named`].
    #[must_use]
    pub fn bind_named<T: Serialize>(self, name: &str, value: T) -> Self {
        SqlQuery(self.0.bind_named(name, value))
    }

    /// [`wmill_http::SqlQuery::bind_named_as`].
    #[must_use]
    pub fn bind_named_as<T: Serialize>(self, name: &str, value: T, sql_type: &str) -> Self {
        SqlQuery(self.0.bind_named_as(name, value, sql_type))
    }

    /// [`wmill_http::SqlQuery::sql`].
    pub fn sql(&self) -> &str {
        self.0.sql()
    }

    /// [`wmill_http::SqlQuery::to_preview`].
    pub fn to_preview(&self, collection: Option<ResultCollection>) -> Result<SqlPreview> {
        self.0.to_preview(collection)
    }

    /// Blocking [`wmill_http::SqlQuery::fetch_collection`].
    pub fn fetch_collection(&self, collection: Option<ResultCollection>) -> Result<Value> {
        block_on(self.0.fetch_collection(collection))
    }

    /// Blocking [`wmill_http::SqlQuery::fetch`].
    pub fn fetch<T: DeserializeOwned + Send>(&self) -> Result<Vec<T>> {
        block_on(self.0.fetch())
    }

    /// Blocking [`wmill_http::SqlQuery::fetch_one`].
    pub fn fetch_one<T: DeserializeOwned + Send>(&self) -> Result<Option<T>> {
        block_on(self.0.fetch_one())
    }

    /// Blocking [`wmill_http::SqlQuery::fetch_scalar`].
    pub fn fetch_scalar<T: DeserializeOwned + Send>(&self) -> Result<Option<T>> {
        block_on(self.0.fetch_scalar())
    }

    /// Blocking [`wmill_http::SqlQuery::execute`].
    pub fn execute(&self) -> Result<()> {
        block_on(self.0.execute())
    }
}

wrapper! {
    /// Blocking [`wmill_http::DuckLake`].
    DuckLake
}

impl DuckLake {
    /// [`wmill_http::DuckLake::pipeline`].
    #[must_use]
    pub fn pipeline(self, record: bool) -> Self {
        DuckLake(self.0.pipeline(record))
    }

    sql_source!(DuckLake);

    /// [`wmill_http::DuckLake::read`].
    pub fn read(&self, table: &str, partition: Option<&str>) -> SqlQuery {
        SqlQuery(self.0.read(table, partition))
    }

    /// [`wmill_http::DuckLake::upsert_partition`].
    pub fn upsert_partition(&self, table: &str, select_sql: &str) -> Materialize {
        Materialize(self.0.upsert_partition(table, select_sql))
    }

    /// [`wmill_http::DuckLake::append_partition`].
    pub fn append_partition(&self, table: &str, select_sql: &str) -> Materialize {
        Materialize(self.0.append_partition(table, select_sql))
    }
}

wrapper! {
    /// Blocking [`wmill_http::Materialize`].
    Materialize
}

impl Materialize {
    /// [`wmill_http::Materialize::partition`].
    #[must_use]
    pub fn partition(self, partition: impl Into<String>) -> Self {
        Materialize(self.0.partition(partition))
    }

    /// [`wmill_http::Materialize::unique_key`].
    #[must_use]
    pub fn unique_key(self, column: &str) -> Self {
        Materialize(self.0.unique_key(column))
    }

    /// [`wmill_http::Materialize::partition_col`].
    #[must_use]
    pub fn partition_col(self, column: &str) -> Self {
        Materialize(self.0.partition_col(column))
    }

    /// [`wmill_http::Materialize::statement`].
    pub fn statement(&self) -> SqlQuery {
        SqlQuery(self.0.statement())
    }

    /// Blocking [`wmill_http::Materialize::execute`].
    pub fn execute(&self) -> Result<()> {
        block_on(self.0.execute())
    }
}
