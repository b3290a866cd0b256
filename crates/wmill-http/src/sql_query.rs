//! [`SqlQuery`]: a SQL statement with its bound values, previewed as the inline script it sends
//! and run with the typed fetches (`fetch`, `fetch_one`, `fetch_scalar`, `execute`).

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wmill_core::{Args, Error, Result};

use crate::sql::{Engine, Invalid, ResultCollection, SqlPreview, Target};
use crate::sql_names::{infer_sql_type, validate_arg_name, validate_sql_type};

/// A bound value: its name (DuckDB named arguments), value and declared SQL type. `Debug`
/// leaves the value out (a bound value may be a secret).
#[derive(Clone, PartialEq)]
struct Bound {
    name: Option<String>,
    value: Value,
    sql_type: String,
}

impl fmt::Debug for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bound")
            .field("name", &self.name)
            .field("sql_type", &self.sql_type)
            .finish_non_exhaustive()
    }
}

/// A SQL statement (or several, `;`-separated) with its bound values, ready to run against a
/// data table ([`DataTable::query`](crate::DataTable::query)) or a DuckLake
/// ([`DuckLake::query`](crate::DuckLake::query)).
///
/// Values are bound with [`bind`](Self::bind) (positional: `$1`, `$2`... in a data table's
/// SQL, `$arg1`, `$arg2`... in DuckDB), [`bind_as`](Self::bind_as) (an explicit SQL type) or
/// [`bind_named`](Self::bind_named) (DuckDB's `$name`). Each is declared in the header with the
/// SQL type its JSON form implies:
///
/// | value | SQL type |
/// |---|---|
/// | `bool` | `BOOLEAN` |
/// | integer (up to `i64::MAX`) | `BIGINT` |
/// | float | `FLOAT8` |
/// | string, `None` / null | `TEXT` |
/// | sequence, map, struct | `JSON` |
///
/// An integer above `i64::MAX` is [`Error::InvalidInput`]; a float NaN or infinity serializes
/// as JSON `null` (bind the text `"NaN"` with `bind_as(.., "FLOAT8")` to store one). A value
/// never enters the SQL text: it travels in the preview's `args` only.
///
/// Building never fails: a rejected input (a bad name, role, type, a value that does not
/// serialize) is kept and returned as [`Error::InvalidInput`] by the first fetch, before any
/// request is sent.
///
/// Each run is a `tracing` span named after its method (`fetch`, `fetch_one`, `fetch_scalar`,
/// `fetch_collection`, `execute`) with the `workspace` and the `database`
/// (`datatable://<name>` or `ducklake://<name>`) as fields; the preview request is a child span.
/// Neither the SQL text nor a bound value is a field.
///
/// ```no_run
/// # async fn demo(wm: wmill_http::Windmill) -> wmill_core::Result<()> {
/// #[derive(serde::Deserialize)]
/// struct Friend { name: String, age: i64 }
///
/// let friends: Vec<Friend> = wm
///     .datatable("main")
///     .query("SELECT name, age FROM friend WHERE age >= $1 AND name <> $2")
///     .bind(18)
///     .bind("Robin")
///     .fetch()
///     .await?;
/// # let _ = friends; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SqlQuery {
    target: Target,
    engine: Engine,
    sql: String,
    args: Vec<Bound>,
    invalid: Option<Invalid>,
}

impl SqlQuery {
    pub(crate) fn new(
        target: Target,
        engine: Engine,
        sql: String,
        invalid: Option<Invalid>,
    ) -> Self {
        let invalid = invalid.or_else(|| {
            sql.trim()
                .is_empty()
                .then(|| Invalid::new("SQL query", "the query is empty"))
        });
        SqlQuery {
            target,
            engine,
            sql,
            args: Vec::new(),
            invalid,
        }
    }

    /// Binds the next positional value: `$1`, `$2`... in a data table's SQL, `$arg1`,
    /// `$arg2`... in DuckDB (counting positional values only). Its SQL type is inferred from its
    /// JSON form (see the table above).
    #[must_use]
    pub fn bind<T: Serialize>(self, value: T) -> Self {
        self.push(None, value, None)
    }

    /// Binds the next positional value declared with `sql_type` (`INT4`, `UUID`, `TIMESTAMPTZ`,
    /// `TEXT[]`, ...), for a column whose type the JSON form does not say. The type is letters,
    /// digits, `_` and `[]` (what the worker's header parser reads), at most 63 characters.
    #[must_use]
    pub fn bind_as<T: Serialize>(self, value: T, sql_type: &str) -> Self {
        self.push(None, value, Some(sql_type))
    }

    /// Binds a DuckDB named argument, used as `$name` in the SQL (Python's
    /// `ducklake.query(sql, name=value)`). DuckLake only: on a data table this is
    /// [`Error::InvalidInput`]. `name` is an identifier (`[A-Za-z_][A-Za-z0-9_]*`), not used twice.
    #[must_use]
    pub fn bind_named<T: Serialize>(self, name: &str, value: T) -> Self {
        self.push(Some(name), value, None)
    }

    /// [`bind_named`](Self::bind_named) with an explicit SQL type.
    #[must_use]
    pub fn bind_named_as<T: Serialize>(self, name: &str, value: T, sql_type: &str) -> Self {
        self.push(Some(name), value, Some(sql_type))
    }

    fn push<T: Serialize>(mut self, name: Option<&str>, value: T, sql_type: Option<&str>) -> Self {
        if self.invalid.is_some() {
            return self;
        }
        match self.bound(name, value, sql_type) {
            Ok(b) => self.args.push(b),
            Err(e) => self.invalid = Some(e),
        }
        self
    }

    fn bound<T: Serialize>(
        &self,
        name: Option<&str>,
        value: T,
        sql_type: Option<&str>,
    ) -> std::result::Result<Bound, Invalid> {
        let value = serde_json::to_value(value).map_err(|e| {
            Invalid::new(
                "SQL argument",
                format!("could not serialize the value: {e}"),
            )
        })?;
        let sql_type = match sql_type {
            Some(t) => validate_sql_type(t)?.to_owned(),
            None => infer_sql_type(&value)?.to_owned(),
        };
        let name = match name {
            None => None,
            Some(n) => {
                if matches!(self.engine, Engine::DataTable { .. }) {
                    return Err(Invalid::new(
                        "SQL argument",
                        "named arguments are DuckDB's: a data table binds positional values ($1, $2, ...)",
                    ));
                }
                validate_arg_name(n)?;
                Some(n.to_owned())
            }
        };
        Ok(Bound {
            name,
            value,
            sql_type,
        })
    }

    /// The SQL text as written (without the header).
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The body this query sends: the SQL text with its header (the
    /// `-- result_collection=<collection>` line first when one is given) and the arguments.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for any input rejected while the query was built.
    pub fn to_preview(&self, collection: Option<ResultCollection>) -> Result<SqlPreview> {
        if let Some(invalid) = &self.invalid {
            return Err(invalid.to_error());
        }
        let mut content = String::new();
        if let Some(c) = collection {
            content.push_str("-- result_collection=");
            content.push_str(c.as_str());
            content.push('\n');
        }
        let mut args = Args::new();
        let language = match &self.engine {
            Engine::DataTable { name, schema, role } => {
                if let Some(role) = role {
                    content.push_str("-- role ");
                    content.push_str(role);
                    content.push('\n');
                }
                for (i, b) in self.args.iter().enumerate() {
                    let n = i + 1;
                    content.push_str(&format!("-- ${n} arg{n} ({})\n", b.sql_type));
                    args.insert(format!("arg{n}"), b.value.clone());
                }
                if let Some(schema) = schema {
                    content.push_str(&format!("SET search_path TO \"{schema}\";\n"));
                }
                args.insert(
                    "database".into(),
                    Value::String(format!("datatable://{name}")),
                );
                "postgresql"
            }
            Engine::DuckLake { name, schema } => {
                let mut positional = 0;
                for b in &self.args {
                    let arg = match &b.name {
                        Some(n) => n.clone(),
                        None => {
                            positional += 1;
                            format!("arg{positional}")
                        }
                    };
                    if args.contains_key(&arg) {
                        return Err(Error::invalid(
                            "SQL argument",
                            format!("${arg} is bound twice"),
                        ));
                    }
                    content.push_str(&format!("-- ${arg} ({})\n", b.sql_type));
                    args.insert(arg, b.value.clone());
                }
                content.push_str(&format!("ATTACH 'ducklake://{name}' AS dl;USE dl"));
                if let Some(schema) = schema {
                    content.push_str(&format!(".\"{schema}\""));
                }
                content.push_str(";\n");
                "duckdb"
            }
        };
        content.push_str(&self.sql);
        Ok(SqlPreview {
            content,
            language,
            args,
        })
    }

    /// Runs the query with the answer in `collection`'s shape (or the worker's default shape
    /// when `None`, as the official clients' `fetch()` does), as the server returns it.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] before any request for a rejected input; what the preview
    /// returns otherwise: [`Error::Api`] with the status and body for a query the database
    /// refused (500 from `run_inline/preview`, 422 from `run_wait_result/preview`).
    #[tracing::instrument(skip_all, fields(workspace = tracing::field::Empty, database = %self.database(), collection = collection.map(|c| c.as_str())))]
    pub async fn fetch_collection(&self, collection: Option<ResultCollection>) -> Result<Value> {
        self.run(collection).await
    }

    /// Sends the query (in the caller's span, whose `workspace` field it fills).
    async fn run(&self, collection: Option<ResultCollection>) -> Result<Value> {
        let preview = self.to_preview(collection)?;
        let wm = self.target.client()?;
        tracing::Span::current().record("workspace", wm.workspace().as_str());
        wm.run_inline_script_preview(&preview.content, preview.language, preview.args)
            .await
    }

    /// The database the query runs against: `datatable://<name>` or `ducklake://<name>` (the
    /// `database` field of the calls' spans).
    pub(crate) fn database(&self) -> String {
        match &self.engine {
            Engine::DataTable { name, .. } => format!("datatable://{name}"),
            Engine::DuckLake { name, .. } => format!("ducklake://{name}"),
        }
    }

    /// Every row of the last statement, each deserialized into `T` (a struct with the column
    /// names as fields, a map, or `serde_json::Value`). Sends
    /// `-- result_collection=last_statement_all_rows`.
    ///
    /// # Errors
    /// As [`fetch_collection`](Self::fetch_collection), and [`Error::Decode`] when the answer
    /// is not a list of rows that fit `T` (the excerpt shows the answer's outline, no value).
    #[tracing::instrument(skip_all, fields(workspace = tracing::field::Empty, database = %self.database()))]
    pub async fn fetch<T: DeserializeOwned>(&self) -> Result<Vec<T>> {
        let v = self
            .run(Some(ResultCollection::LastStatementAllRows))
            .await?;
        match v {
            Value::Array(rows) => rows
                .into_iter()
                .map(|row| decode(self.what(), row))
                .collect(),
            other => Err(Error::decode_secret(
                self.what(),
                &other,
                "expected a list of rows",
            )),
        }
    }

    /// The first row of the last statement, `None` when there is none. Sends
    /// `-- result_collection=last_statement_first_row`.
    ///
    /// # Errors
    /// As [`fetch`](Self::fetch).
    #[tracing::instrument(skip_all, fields(workspace = tracing::field::Empty, database = %self.database()))]
    pub async fn fetch_one<T: DeserializeOwned>(&self) -> Result<Option<T>> {
        self.fetch_optional(ResultCollection::LastStatementFirstRow)
            .await
    }

    /// The first column of the first row of the last statement, `None` when there is no row
    /// or the value is NULL. Sends `-- result_collection=last_statement_first_row_scalar`.
    ///
    /// # Errors
    /// As [`fetch`](Self::fetch).
    #[tracing::instrument(skip_all, fields(workspace = tracing::field::Empty, database = %self.database()))]
    pub async fn fetch_scalar<T: DeserializeOwned>(&self) -> Result<Option<T>> {
        self.fetch_optional(ResultCollection::LastStatementFirstRowScalar)
            .await
    }

    /// Runs the statements and discards their answer (no `result_collection` header, as the
    /// official clients' `execute()`).
    ///
    /// # Errors
    /// As [`fetch_collection`](Self::fetch_collection).
    #[tracing::instrument(skip_all, fields(workspace = tracing::field::Empty, database = %self.database()))]
    pub async fn execute(&self) -> Result<()> {
        self.run(None).await.map(drop)
    }

    /// The answer in `collection`'s shape deserialized into `T`, `None` when it is NULL.
    async fn fetch_optional<T: DeserializeOwned>(
        &self,
        collection: ResultCollection,
    ) -> Result<Option<T>> {
        match self.run(Some(collection)).await? {
            Value::Null => Ok(None),
            value => decode(self.what(), value).map(Some),
        }
    }

    /// What decode errors name: `datatable <name>` or `ducklake <name>`.
    fn what(&self) -> String {
        match &self.engine {
            Engine::DataTable { name, .. } => format!("datatable {name} query"),
            Engine::DuckLake { name, .. } => format!("ducklake {name} query"),
        }
    }
}

/// Decodes a row or value of a query answer; the error shows its outline, no value (rows may
/// hold anything).
fn decode<T: DeserializeOwned>(what: String, value: Value) -> Result<T> {
    T::deserialize(&value).map_err(|e| Error::decode_secret(what, &value, e))
}

#[cfg(test)]
mod tests;
