//! [`Named`]: a data table or lake by name, the client its queries are sent with, and the
//! [`SqlQuery`] each of its queries starts as (shared by `DataTable` and `DuckLake`).

use crate::sql::{Engine, Invalid, Target};
use crate::sql_names::parse_name;
use crate::sql_query::SqlQuery;

/// A data table or lake by name: the client its queries are sent with, its name and schema
/// (`name:schema`, validated by [`parse_name`]) and the first input rejected while it was set
/// up.
#[derive(Debug, Clone)]
pub(crate) struct Named {
    pub(crate) target: Target,
    pub(crate) name: String,
    pub(crate) schema: Option<String>,
    pub(crate) invalid: Option<Invalid>,
}

impl Named {
    /// `spec` (`name` or `name:schema`) of `target`; `what` names it in errors.
    pub(crate) fn new(target: Target, what: &'static str, spec: &str) -> Self {
        let (name, schema, invalid) = parse_name(what, spec);
        Named {
            target,
            name,
            schema,
            invalid,
        }
    }

    /// A query of `sql` on this database, in the engine that `engine` makes of its name and
    /// schema; `invalid`: an input of the query itself rejected while it was built (reported
    /// after this database's own).
    pub(crate) fn query(
        &self,
        engine: impl FnOnce(String, Option<String>) -> Engine,
        sql: String,
        invalid: Option<Invalid>,
    ) -> SqlQuery {
        SqlQuery::new(
            self.target.clone(),
            engine(self.name.clone(), self.schema.clone()),
            sql,
            self.invalid.clone().or(invalid),
        )
    }
}
