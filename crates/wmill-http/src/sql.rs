//! What the SQL of data tables ([`DataTable`](crate::DataTable), PostgreSQL) and DuckLake
//! ([`DuckLake`](crate::DuckLake), DuckDB) shares: the shape of an answer
//! ([`ResultCollection`]), the preview a query sends ([`SqlPreview`]), the client it is sent
//! with, its engine, and the inputs rejected while it was built.
//!
//! A query is sent as the official clients send it: one inline preview
//! ([`Windmill::run_inline_script_preview`]) whose `content` is the SQL text after a block of
//! header comments, and whose `args` carry every bound value. The header declares each argument
//! with its SQL type (the worker binds the values by these declarations) and, for the typed
//! fetches, the `-- result_collection=...` line that selects the shape of the answer. Values
//! never enter the SQL text: the only things written into it are validated names (data table,
//! schema, role, SQL types, table and column names of the DuckLake helpers) and the SQL you wrote.

use std::fmt;

use wmill_core::{Args, Error, Result};

use crate::client::Windmill;

/// The shape of a SQL preview's answer, selected by the `-- result_collection=<name>` header
/// (the names are the worker's).
///
/// ```
/// use wmill_http::ResultCollection;
///
/// assert_eq!(ResultCollection::LastStatementFirstRowScalar.as_str(), "last_statement_first_row_scalar");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResultCollection {
    /// Every row of the last statement: `[row, ...]` (what [`SqlQuery::fetch`](crate::SqlQuery::fetch) asks for).
    LastStatementAllRows,
    /// The first row of the last statement, or `null` ([`SqlQuery::fetch_one`](crate::SqlQuery::fetch_one)).
    LastStatementFirstRow,
    /// The first column of every row of the last statement: `[value, ...]`.
    LastStatementAllRowsScalar,
    /// The first column of the first row of the last statement, or `null`
    /// ([`SqlQuery::fetch_scalar`](crate::SqlQuery::fetch_scalar)).
    LastStatementFirstRowScalar,
    /// Every row of every statement: `[[row, ...], ...]`.
    AllStatementsAllRows,
    /// The first row of every statement: `[row, ...]`.
    AllStatementsFirstRow,
    /// The first column of every row of every statement: `[[value, ...], ...]`.
    AllStatementsAllRowsScalar,
    /// The first column of the first row of every statement: `[value, ...]`.
    AllStatementsFirstRowScalar,
    /// The worker's historical shape.
    Legacy,
}

impl ResultCollection {
    /// The name the worker reads in the header.
    pub fn as_str(&self) -> &'static str {
        match self {
            ResultCollection::LastStatementAllRows => "last_statement_all_rows",
            ResultCollection::LastStatementFirstRow => "last_statement_first_row",
            ResultCollection::LastStatementAllRowsScalar => "last_statement_all_rows_scalar",
            ResultCollection::LastStatementFirstRowScalar => "last_statement_first_row_scalar",
            ResultCollection::AllStatementsAllRows => "all_statements_all_rows",
            ResultCollection::AllStatementsFirstRow => "all_statements_first_row",
            ResultCollection::AllStatementsAllRowsScalar => "all_statements_all_rows_scalar",
            ResultCollection::AllStatementsFirstRowScalar => "all_statements_first_row_scalar",
            ResultCollection::Legacy => "legacy",
        }
    }
}

impl fmt::Display for ResultCollection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Exactly what a [`SqlQuery`](crate::SqlQuery) sends: the body of the inline preview.
///
/// ```
/// use serde_json::json;
///
/// let wm = wmill_http::Windmill::builder()
///     .with_base_url("http://localhost:8000").with_token("t").with_workspace("demo").build()?;
/// let preview = wm
///     .datatable("main")
///     .query("SELECT * FROM friend WHERE id = $1")
///     .bind(7)
///     .to_preview(None)?;
/// assert_eq!(preview.language, "postgresql");
/// assert_eq!(preview.content, "-- $1 arg1 (BIGINT)\nSELECT * FROM friend WHERE id = $1");
/// assert_eq!(json!(preview.args), json!({"arg1": 7, "database": "datatable://main"}));
/// # Ok::<(), wmill_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SqlPreview {
    /// The SQL text with its header comments.
    pub content: String,
    /// `"postgresql"` (data tables) or `"duckdb"` (DuckLake).
    pub language: &'static str,
    /// The preview's arguments: every bound value, and for data tables `database`.
    pub args: Args,
}

/// Where a query is sent: a client, or one resolved when the query runs (the global client of
/// the `wmill` crate).
#[derive(Clone)]
pub(crate) enum Target {
    Client(Windmill),
    Resolve(fn() -> Result<Windmill>),
}

impl Target {
    pub(crate) fn client(&self) -> Result<Windmill> {
        match self {
            Target::Client(wm) => Ok(wm.clone()),
            Target::Resolve(resolve) => resolve(),
        }
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Client(wm) => fmt::Debug::fmt(wm, f),
            Target::Resolve(_) => f.write_str("<client resolved when the query runs>"),
        }
    }
}

/// An input rejected while a query was being built; reported as [`Error::InvalidInput`] when
/// the query runs (or is previewed), before any request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    what: &'static str,
    reason: String,
}

impl Invalid {
    pub(crate) fn new(what: &'static str, reason: impl Into<String>) -> Self {
        Invalid {
            what,
            reason: reason.into(),
        }
    }

    pub(crate) fn to_error(&self) -> Error {
        Error::invalid(self.what, self.reason.clone())
    }
}

/// The SQL engine of a query and what its header needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Engine {
    /// A data table: PostgreSQL, `database: datatable://<name>`.
    DataTable {
        name: String,
        schema: Option<String>,
        role: Option<String>,
    },
    /// A DuckLake: DuckDB, `ATTACH 'ducklake://<name>' AS dl;USE dl;`.
    DuckLake {
        name: String,
        schema: Option<String>,
    },
}
