//! A tiny SQL evaluator behind the fake Windmill server's data table (`postgresql` with
//! `database: datatable://<name>`) and DuckLake (`duckdb` with `ATTACH 'ducklake://<name>'`)
//! inline previews, so that examples and tests can create, fill and read tables.
//!
//! It reads the request as the worker does: the leading header comments declare the arguments
//! (`-- $1 arg1 (TYPE)` in PostgreSQL, `-- $name (TYPE)` in DuckDB: a `$` placeholder without a
//! declaration, or a declaration whose argument is missing, is an error) and select the answer's
//! shape (`-- result_collection=...`); `SET search_path TO "s"` and `USE dl."s"` set the schema.
//! Statements understood (anything else is an error naming the statement):
//!
//! - `CREATE TABLE [IF NOT EXISTS] t (col type ..., ...)`, `DROP TABLE [IF EXISTS] t`
//! - `INSERT INTO t [(cols)] VALUES (e, ...)[, (...)]`
//! - `SELECT items [FROM t [WHERE c] [ORDER BY col [ASC|DESC]] [LIMIT n]]`, items `*`, columns,
//!   values, `count(*)`, each `[AS alias]`
//! - `UPDATE t SET col = e[, ...] [WHERE c]`, `DELETE FROM t [WHERE c]`
//! - `BEGIN [TRANSACTION]`, `COMMIT`, `ATTACH`, `USE`, `SET search_path`
//!
//! where values are literals, NULL, TRUE/FALSE, bound arguments (with optional `::TYPE`), and
//! conditions are comparisons (`=`, `<>`, `!=`, `<`, `<=`, `>`, `>=`, `IS [NOT] NULL`) joined by
//! `AND`. Tables live per database (`datatable://x`, `ducklake://x`) and schema.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

/// The tables of every database the previews touched.
#[derive(Debug, Default)]
pub(crate) struct SqlStore {
    tables: HashMap<(String, String), Table>,
}

#[derive(Debug, Clone, Default)]
struct Table {
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
}

type Row = Vec<(String, Value)>;

/// Evaluates a data table or DuckLake preview; `None` when the preview is neither.
pub(crate) fn sql_preview(
    store: &mut SqlStore,
    language: &str,
    content: &str,
    args: &Map<String, Value>,
) -> Option<Result<Value, String>> {
    let (db, duck) = match language {
        "postgresql" => {
            let db = args.get("database")?.as_str()?;
            db.starts_with("datatable://")
                .then_some((db.to_owned(), false))?
        }
        "duckdb" if content.contains("ATTACH 'ducklake://") => (String::new(), true),
        _ => return None,
    };
    Some(run(store, db, duck, content, args))
}

fn run(
    store: &mut SqlStore,
    db: String,
    duck: bool,
    content: &str,
    args: &Map<String, Value>,
) -> Result<Value, String> {
    let mut collection = None;
    let mut params: HashMap<String, Value> = HashMap::new();
    for line in content.lines().take_while(|l| l.starts_with("--")) {
        let rest = line[2..].trim();
        if let Some(c) = rest.strip_prefix("result_collection=") {
            collection = Some(c.trim().to_owned());
        } else if let Some(decl) = rest.strip_prefix('$') {
            // `$1 arg1 (TYPE)` or `$name (TYPE)`.
            let mut words = decl.split_whitespace();
            let placeholder = words.next().unwrap_or_default().to_owned();
            let name = if duck {
                placeholder.clone()
            } else {
                words.next().unwrap_or_default().to_owned()
            };
            let value = args
                .get(&name)
                .cloned()
                .ok_or_else(|| format!("argument {name} is declared but not given"))?;
            params.insert(placeholder, value);
        }
    }
    let mut session = Session {
        store,
        db,
        schema: if duck { "main" } else { "public" }.to_owned(),
        duck,
        params,
    };
    let mut results: Vec<Vec<Row>> = Vec::new();
    for statement in split_statements(content) {
        let toks = tokenize(&statement, &session.params)?;
        if toks.is_empty() {
            continue;
        }
        results.push(
            session
                .statement(&toks)
                .map_err(|e| format!("{e} (in: {})", statement.trim()))?,
        );
    }
    Ok(shape(results, collection.as_deref()))
}

fn row_json(row: Row) -> Value {
    Value::Object(row.into_iter().collect())
}

fn first(row: Row) -> Value {
    row.into_iter()
        .next()
        .map(|(_, v)| v)
        .unwrap_or(Value::Null)
}

fn shape(mut results: Vec<Vec<Row>>, collection: Option<&str>) -> Value {
    let all_rows = |rows: Vec<Row>| Value::Array(rows.into_iter().map(row_json).collect());
    let first_row = |rows: Vec<Row>| rows.into_iter().next().map_or(Value::Null, row_json);
    let all_scalar = |rows: Vec<Row>| Value::Array(rows.into_iter().map(first).collect());
    let first_scalar = |rows: Vec<Row>| rows.into_iter().next().map_or(Value::Null, first);
    let last = results.pop().unwrap_or_default();
    let every = |f: &dyn Fn(Vec<Row>) -> Value, mut results: Vec<Vec<Row>>, last: Vec<Row>| {
        results.push(last);
        Value::Array(results.into_iter().map(f).collect())
    };
    match collection {
        Some("last_statement_first_row") => first_row(last),
        Some("last_statement_all_rows_scalar") => all_scalar(last),
        Some("last_statement_first_row_scalar") => first_scalar(last),
        Some("all_statements_all_rows") => every(&all_rows, results, last),
        Some("all_statements_first_row") => every(&first_row, results, last),
        Some("all_statements_all_rows_scalar") => every(&all_scalar, results, last),
        Some("all_statements_first_row_scalar") => every(&first_scalar, results, last),
        Some("legacy") | None if !results.is_empty() => every(&all_rows, results, last),
        _ => all_rows(last),
    }
}

/// The statements of `content`, without comments, split on `;` outside quotes.
fn split_statements(content: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = content.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                cur.push(c);
            }
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                cur.push(c);
            }
            (None, '-') if chars.peek() == Some(&'-') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        cur.push('\n');
                        break;
                    }
                }
            }
            (None, ';') => out.push(std::mem::take(&mut cur)),
            (None, c) => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter().filter(|s| !s.trim().is_empty()).collect()
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// An unquoted identifier or keyword, as written.
    Word(String),
    /// A `"quoted"` identifier.
    Quoted(String),
    /// A literal or a bound argument.
    Val(Value),
    /// A string literal (kept apart from values for `ATTACH '...'`).
    Str(String),
    Sym(&'static str),
}

impl Tok {
    fn is_kw(&self, kw: &str) -> bool {
        matches!(self, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }
}

fn tokenize(s: &str, params: &HashMap<String, Value>) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    let word = |i: &mut usize| {
        let start = *i;
        while *i < chars.len() && (chars[*i].is_alphanumeric() || chars[*i] == '_') {
            *i += 1;
        }
        chars[start..*i].iter().collect::<String>()
    };
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' || c == '"' {
            let mut text = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err("unterminated quote".into()),
                    Some(&q) if q == c && chars.get(i + 1) == Some(&c) => {
                        text.push(c);
                        i += 2;
                    }
                    Some(&q) if q == c => {
                        i += 1;
                        break;
                    }
                    Some(&o) => {
                        text.push(o);
                        i += 1;
                    }
                }
            }
            toks.push(if c == '\'' {
                Tok::Str(text)
            } else {
                Tok::Quoted(text)
            });
        } else if c == '$' {
            i += 1;
            let name = word(&mut i);
            let value = params
                .get(&name)
                .cloned()
                .ok_or_else(|| format!("${name} is not a declared argument"))?;
            toks.push(Tok::Val(value));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let v = match text.parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => text
                    .parse::<f64>()
                    .map(Value::from)
                    .map_err(|_| format!("bad number {text}"))?,
            };
            toks.push(Tok::Val(v));
        } else if c.is_alphabetic() || c == '_' {
            toks.push(Tok::Word(word(&mut i)));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let sym = ["::", "<=", ">=", "<>", "!="]
                .into_iter()
                .find(|s| *s == two)
                .or_else(|| {
                    ["(", ")", ",", "*", "=", "<", ">", ".", "[", "]", "-"]
                        .into_iter()
                        .find(|s| s.starts_with(c))
                })
                .ok_or_else(|| format!("unexpected character {c:?}"))?;
            i += sym.len();
            toks.push(Tok::Sym(sym));
        }
    }
    Ok(toks)
}

struct Session<'a> {
    store: &'a mut SqlStore,
    db: String,
    schema: String,
    duck: bool,
    params: HashMap<String, Value>,
}

/// A cursor over a statement's tokens.
struct P<'t> {
    toks: &'t [Tok],
    at: usize,
}

impl<'t> P<'t> {
    fn peek(&self) -> Option<&'t Tok> {
        self.toks.get(self.at)
    }
    fn next(&mut self) -> Option<&'t Tok> {
        let t = self.toks.get(self.at);
        self.at += 1;
        t
    }
    fn kw(&mut self, kw: &str) -> bool {
        let hit = self.peek().is_some_and(|t| t.is_kw(kw));
        if hit {
            self.at += 1;
        }
        hit
    }
    fn sym(&mut self, s: &str) -> bool {
        let hit = matches!(self.peek(), Some(Tok::Sym(x)) if *x == s);
        if hit {
            self.at += 1;
        }
        hit
    }
    fn expect_kw(&mut self, kw: &str) -> Result<(), String> {
        self.kw(kw)
            .then_some(())
            .ok_or_else(|| format!("expected {kw}"))
    }
    fn expect_sym(&mut self, s: &str) -> Result<(), String> {
        self.sym(s)
            .then_some(())
            .ok_or_else(|| format!("expected {s:?}"))
    }
    fn ident(&mut self) -> Result<String, String> {
        match self.next() {
            Some(Tok::Word(w)) => Ok(w.to_lowercase()),
            Some(Tok::Quoted(q)) => Ok(q.clone()),
            other => Err(format!("expected a name, found {other:?}")),
        }
    }
    fn done(&self) -> Result<(), String> {
        match self.peek() {
            None => Ok(()),
            Some(t) => Err(format!("unexpected {t:?}")),
        }
    }
}

/// A value expression: a literal, an argument or a column.
#[derive(Debug, Clone)]
enum Expr {
    Val(Value),
    Col(String),
    CountStar,
}

#[derive(Debug, Clone)]
enum Cond {
    Cmp(Expr, &'static str, Expr),
    IsNull(Expr, bool),
}

impl Session<'_> {
    fn table_key(&self, p: &mut P<'_>) -> Result<(String, String), String> {
        let mut parts = vec![p.ident()?];
        while p.sym(".") {
            parts.push(p.ident()?);
        }
        if self.duck && parts.len() > 1 && parts[0] == "dl" {
            parts.remove(0);
        }
        let (schema, table) = match parts.as_slice() {
            [t] => (self.schema.clone(), t.clone()),
            [s, t] => (s.clone(), t.clone()),
            _ => return Err(format!("bad table name {}", parts.join("."))),
        };
        Ok((self.db.clone(), format!("{schema}.{table}")))
    }

    fn table(&mut self, key: &(String, String)) -> Result<&mut Table, String> {
        self.store
            .tables
            .get_mut(key)
            .ok_or_else(|| format!("relation \"{}\" does not exist", key.1))
    }

    fn statement(&mut self, toks: &[Tok]) -> Result<Vec<Row>, String> {
        let mut p = P { toks, at: 0 };
        if p.kw("BEGIN") || p.kw("COMMIT") {
            p.kw("TRANSACTION");
            p.done()?;
            return Ok(Vec::new());
        }
        if p.kw("ATTACH") {
            match p.next() {
                Some(Tok::Str(uri)) if uri.starts_with("ducklake://") => self.db = uri.clone(),
                other => return Err(format!("cannot attach {other:?}")),
            }
            return Ok(Vec::new());
        }
        if p.kw("USE") {
            p.ident()?;
            if p.sym(".") {
                self.schema = p.ident()?;
            }
            p.done()?;
            return Ok(Vec::new());
        }
        if p.kw("SET") {
            p.expect_kw("search_path")?;
            if !p.kw("TO") {
                p.expect_sym("=")?;
            }
            self.schema = match p.next() {
                Some(Tok::Quoted(s) | Tok::Str(s)) => s.clone(),
                Some(Tok::Word(w)) => w.to_lowercase(),
                other => return Err(format!("bad search path {other:?}")),
            };
            return Ok(Vec::new());
        }
        if self.db.is_empty() {
            return Err("no database attached".into());
        }
        if p.kw("CREATE") {
            p.expect_kw("TABLE")?;
            let if_not_exists = p.kw("IF") && {
                p.expect_kw("NOT")?;
                p.expect_kw("EXISTS")?;
                true
            };
            let key = self.table_key(&mut p)?;
            p.expect_sym("(")?;
            let mut columns = Vec::new();
            let mut depth = 1;
            let mut expect_name = true;
            while depth > 0 {
                match p.next().ok_or("unterminated column list")? {
                    Tok::Sym("(") => depth += 1,
                    Tok::Sym(")") => depth -= 1,
                    Tok::Sym(",") if depth == 1 => expect_name = true,
                    t if expect_name && depth == 1 => {
                        expect_name = false;
                        let constraint = ["PRIMARY", "UNIQUE", "CONSTRAINT", "FOREIGN", "CHECK"]
                            .iter()
                            .any(|k| t.is_kw(k));
                        match t {
                            _ if constraint => {}
                            Tok::Word(w) => columns.push(w.to_lowercase()),
                            Tok::Quoted(q) => columns.push(q.clone()),
                            other => return Err(format!("bad column {other:?}")),
                        }
                    }
                    _ => {}
                }
            }
            p.done()?;
            if self.store.tables.contains_key(&key) {
                return if if_not_exists {
                    Ok(Vec::new())
                } else {
                    Err(format!("relation \"{}\" already exists", key.1))
                };
            }
            self.store.tables.insert(
                key,
                Table {
                    columns,
                    rows: Vec::new(),
                },
            );
            return Ok(Vec::new());
        }
        if p.kw("DROP") {
            p.expect_kw("TABLE")?;
            let if_exists = p.kw("IF") && {
                p.expect_kw("EXISTS")?;
                true
            };
            let key = self.table_key(&mut p)?;
            p.done()?;
            if self.store.tables.remove(&key).is_none() && !if_exists {
                return Err(format!("relation \"{}\" does not exist", key.1));
            }
            return Ok(Vec::new());
        }
        if p.kw("INSERT") {
            p.expect_kw("INTO")?;
            let key = self.table_key(&mut p)?;
            let table_columns = self.table(&key)?.columns.clone();
            let mut columns = table_columns.clone();
            if p.sym("(") {
                columns = vec![p.ident()?];
                while p.sym(",") {
                    columns.push(p.ident()?);
                }
                p.expect_sym(")")?;
            }
            p.expect_kw("VALUES")?;
            let mut new_rows = Vec::new();
            loop {
                p.expect_sym("(")?;
                let mut values = vec![value(&mut p)?];
                while p.sym(",") {
                    values.push(value(&mut p)?);
                }
                p.expect_sym(")")?;
                if values.len() != columns.len() {
                    return Err(format!(
                        "{} values for {} columns",
                        values.len(),
                        columns.len()
                    ));
                }
                let mut row = vec![Value::Null; table_columns.len()];
                for (c, v) in columns.iter().zip(values) {
                    let i = table_columns
                        .iter()
                        .position(|t| t == c)
                        .ok_or_else(|| format!("column \"{c}\" does not exist"))?;
                    row[i] = v;
                }
                new_rows.push(row);
                if !p.sym(",") {
                    break;
                }
            }
            p.done()?;
            self.table(&key)?.rows.extend(new_rows);
            return Ok(Vec::new());
        }
        if p.kw("DELETE") {
            p.expect_kw("FROM")?;
            let key = self.table_key(&mut p)?;
            let conds = conditions(&mut p)?;
            p.done()?;
            let table = self.table(&key)?;
            let columns = table.columns.clone();
            let mut failure = None;
            table.rows.retain(|r| match matches(&columns, r, &conds) {
                Ok(m) => !m,
                Err(e) => {
                    failure = Some(e);
                    true
                }
            });
            return failure.map_or(Ok(Vec::new()), Err);
        }
        if p.kw("UPDATE") {
            let key = self.table_key(&mut p)?;
            p.expect_kw("SET")?;
            let mut sets = Vec::new();
            loop {
                let c = p.ident()?;
                p.expect_sym("=")?;
                sets.push((c, value(&mut p)?));
                if !p.sym(",") {
                    break;
                }
            }
            let conds = conditions(&mut p)?;
            p.done()?;
            let table = self.table(&key)?;
            let columns = table.columns.clone();
            let targets = sets
                .into_iter()
                .map(|(c, v)| {
                    columns
                        .iter()
                        .position(|t| *t == c)
                        .map(|i| (i, v))
                        .ok_or_else(|| format!("column \"{c}\" does not exist"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            for row in table.rows.iter_mut() {
                if matches(&columns, row, &conds)? {
                    for (i, v) in &targets {
                        row[*i] = v.clone();
                    }
                }
            }
            return Ok(Vec::new());
        }
        if p.kw("SELECT") {
            return self.select(&mut p);
        }
        Err("statement not supported by the fake server".into())
    }

    fn select(&mut self, p: &mut P<'_>) -> Result<Vec<Row>, String> {
        // Items: `*`, or expressions with optional aliases.
        let mut items: Vec<Option<(Expr, String)>> = Vec::new();
        loop {
            if p.sym("*") {
                items.push(None);
            } else {
                let (e, default) = expr(p)?;
                let name = if p.kw("AS") {
                    p.ident()?
                } else {
                    match p.peek() {
                        Some(Tok::Word(w)) if !is_clause(w) => p.ident()?,
                        Some(Tok::Quoted(_)) => p.ident()?,
                        _ => default,
                    }
                };
                items.push(Some((e, name)));
            }
            if !p.sym(",") {
                break;
            }
        }
        if !p.kw("FROM") {
            p.done()?;
            let row = items
                .into_iter()
                .map(|i| match i {
                    Some((Expr::Val(v), n)) => Ok((n, v)),
                    _ => Err("only values can be selected without FROM".to_owned()),
                })
                .collect::<Result<Row, _>>()?;
            return Ok(vec![row]);
        }
        let key = self.table_key(p)?;
        let conds = conditions(p)?;
        let mut order = None;
        if p.kw("ORDER") {
            p.expect_kw("BY")?;
            let c = p.ident()?;
            let desc = p.kw("DESC");
            if !desc {
                p.kw("ASC");
            }
            order = Some((c, desc));
        }
        let mut limit = None;
        if p.kw("LIMIT") {
            limit = match p.next() {
                Some(Tok::Val(v)) => v.as_u64().map(|n| n as usize),
                _ => None,
            };
        }
        p.done()?;
        let table = self.table(&key)?.clone();
        let mut rows = Vec::new();
        for r in &table.rows {
            if matches(&table.columns, r, &conds)? {
                rows.push(r.clone());
            }
        }
        if let Some((c, desc)) = order {
            let i = col_index(&table.columns, &c)?;
            rows.sort_by(|a, b| {
                let o = compare(&a[i], &b[i]).unwrap_or(std::cmp::Ordering::Equal);
                if desc { o.reverse() } else { o }
            });
        }
        if items
            .iter()
            .any(|i| matches!(i, Some((Expr::CountStar, _))))
        {
            let row = items
                .into_iter()
                .map(|i| match i {
                    Some((Expr::CountStar, n)) => Ok((n, Value::from(rows.len()))),
                    Some((Expr::Val(v), n)) => Ok((n, v)),
                    _ => Err(
                        "columns next to count(*) need GROUP BY, which the fake lacks".to_owned(),
                    ),
                })
                .collect::<Result<Row, _>>()?;
            return Ok(vec![row]);
        }
        if let Some(n) = limit {
            rows.truncate(n);
        }
        rows.into_iter()
            .map(|r| {
                let mut out = Vec::new();
                for item in &items {
                    match item {
                        None => out.extend(table.columns.iter().cloned().zip(r.iter().cloned())),
                        Some((e, n)) => out.push((n.clone(), eval(&table.columns, &r, e)?)),
                    }
                }
                Ok(out)
            })
            .collect()
    }
}

fn is_clause(w: &str) -> bool {
    ["FROM", "WHERE", "ORDER", "LIMIT"]
        .iter()
        .any(|k| w.eq_ignore_ascii_case(k))
}

/// A value: a literal or argument, with an optional `::TYPE` cast (ignored).
fn value(p: &mut P<'_>) -> Result<Value, String> {
    match expr(p)? {
        (Expr::Val(v), _) => Ok(v),
        (other, _) => Err(format!("expected a value, found {other:?}")),
    }
}

/// An expression and its default column name.
fn expr(p: &mut P<'_>) -> Result<(Expr, String), String> {
    let negative = p.sym("-");
    let e = match p.next() {
        Some(Tok::Val(v)) => (Expr::Val(v.clone()), "?column?".to_owned()),
        Some(Tok::Str(s)) => (Expr::Val(Value::String(s.clone())), "?column?".to_owned()),
        Some(t) if t.is_kw("NULL") => (Expr::Val(Value::Null), "?column?".to_owned()),
        Some(t) if t.is_kw("TRUE") => (Expr::Val(Value::Bool(true)), "bool".to_owned()),
        Some(t) if t.is_kw("FALSE") => (Expr::Val(Value::Bool(false)), "bool".to_owned()),
        Some(t) if t.is_kw("count") => {
            p.expect_sym("(")?;
            p.expect_sym("*")?;
            p.expect_sym(")")?;
            (Expr::CountStar, "count".to_owned())
        }
        Some(Tok::Sym("(")) => {
            let inner = expr(p)?;
            p.expect_sym(")")?;
            inner
        }
        Some(Tok::Word(_) | Tok::Quoted(_)) => {
            p.at -= 1;
            let mut name = p.ident()?;
            while p.sym(".") {
                name = p.ident()?;
            }
            (Expr::Col(name.clone()), name)
        }
        other => return Err(format!("expected a value, found {other:?}")),
    };
    // Casts: `::TYPE`, `::TYPE[]`.
    while p.sym("::") {
        p.ident()?;
        if p.sym("[") {
            p.expect_sym("]")?;
        }
    }
    match (negative, e) {
        (false, e) => Ok(e),
        (true, (Expr::Val(Value::Number(n)), name)) => {
            let v = n
                .as_i64()
                .map(|i| Value::from(-i))
                .or_else(|| n.as_f64().map(|f| Value::from(-f)))
                .unwrap_or(Value::Null);
            Ok((Expr::Val(v), name))
        }
        (true, _) => Err("unary minus applies to numbers only".into()),
    }
}

fn conditions(p: &mut P<'_>) -> Result<Vec<Cond>, String> {
    let mut conds = Vec::new();
    if !p.kw("WHERE") {
        return Ok(conds);
    }
    loop {
        let (left, _) = expr(p)?;
        if p.kw("IS") {
            let not = p.kw("NOT");
            p.expect_kw("NULL")?;
            conds.push(Cond::IsNull(left, !not));
        } else {
            let op = match p.next() {
                Some(Tok::Sym(op @ ("=" | "<>" | "!=" | "<" | "<=" | ">" | ">="))) => *op,
                other => return Err(format!("expected a comparison, found {other:?}")),
            };
            let (right, _) = expr(p)?;
            conds.push(Cond::Cmp(left, op, right));
        }
        if !p.kw("AND") {
            return Ok(conds);
        }
    }
}

fn col_index(columns: &[String], c: &str) -> Result<usize, String> {
    columns
        .iter()
        .position(|t| t == c)
        .ok_or_else(|| format!("column \"{c}\" does not exist"))
}

fn eval(columns: &[String], row: &[Value], e: &Expr) -> Result<Value, String> {
    match e {
        Expr::Val(v) => Ok(v.clone()),
        Expr::Col(c) => Ok(row[col_index(columns, c)?].clone()),
        Expr::CountStar => Err("count(*) is not a row value".into()),
    }
}

fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Null, _) | (_, Value::Null) => None,
        (x, y) => (x == y).then_some(std::cmp::Ordering::Equal),
    }
}

fn matches(columns: &[String], row: &[Value], conds: &[Cond]) -> Result<bool, String> {
    for c in conds {
        let ok = match c {
            Cond::IsNull(e, null) => eval(columns, row, e)?.is_null() == *null,
            Cond::Cmp(l, op, r) => {
                let o = compare(&eval(columns, row, l)?, &eval(columns, row, r)?);
                match (*op, o) {
                    (_, None) => false,
                    ("=", Some(o)) => o.is_eq(),
                    ("<>" | "!=", Some(o)) => o.is_ne(),
                    ("<", Some(o)) => o.is_lt(),
                    ("<=", Some(o)) => o.is_le(),
                    (">", Some(o)) => o.is_gt(),
                    (_, Some(o)) => o.is_ge(),
                }
            }
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The tables of a database, for inspection: `schema.table` -> rows as objects.
pub(crate) fn dump(store: &SqlStore, db: &str) -> BTreeMap<String, Vec<Value>> {
    store
        .tables
        .iter()
        .filter(|((d, _), _)| d == db)
        .map(|((_, name), t)| {
            let rows = t
                .rows
                .iter()
                .map(|r| row_json(t.columns.iter().cloned().zip(r.iter().cloned()).collect()))
                .collect();
            (name.clone(), rows)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn create_insert_select_through_declared_arguments() {
        let mut store = SqlStore::default();
        let dt = json!({"database": "datatable://main"});
        let run = |store: &mut SqlStore, content: &str, a: Value| {
            sql_preview(store, "postgresql", content, &args(a)).unwrap()
        };
        run(
            &mut store,
            "CREATE TABLE IF NOT EXISTS friend (name TEXT PRIMARY KEY, age BIGINT)",
            dt.clone(),
        )
        .unwrap();
        run(
            &mut store,
            "-- $1 arg1 (TEXT)\n-- $2 arg2 (BIGINT)\nINSERT INTO friend VALUES ($1, $2), ('Ada', 36)",
            json!({"arg1": "Ro'bin", "arg2": 21, "database": "datatable://main"}),
        )
        .unwrap();
        let rows = run(
            &mut store,
            "-- result_collection=last_statement_all_rows\n-- $1 arg1 (BIGINT)\nSELECT name, age FROM friend WHERE age >= $1::BIGINT ORDER BY age DESC",
            json!({"arg1": 18, "database": "datatable://main"}),
        )
        .unwrap();
        assert_eq!(
            rows,
            json!([{"name": "Ada", "age": 36}, {"name": "Ro'bin", "age": 21}])
        );
        let n = run(
            &mut store,
            "-- result_collection=last_statement_first_row_scalar\nSELECT count(*) FROM public.friend",
            dt.clone(),
        )
        .unwrap();
        assert_eq!(n, json!(2));
        // An undeclared placeholder, a missing argument, an unknown table: errors.
        assert!(run(&mut store, "SELECT $1", dt.clone()).is_err());
        assert!(run(&mut store, "-- $1 arg1 (TEXT)\nSELECT $1", dt.clone()).is_err());
        assert!(run(&mut store, "SELECT * FROM nope", dt.clone()).is_err());
        // Another data table does not see these tables.
        assert!(
            run(
                &mut store,
                "SELECT * FROM friend",
                json!({"database": "datatable://other"})
            )
            .is_err()
        );
        // Not a data table: not ours.
        assert!(
            sql_preview(&mut store, "postgresql", "select 1", &args(json!({"a": 1}))).is_none()
        );
    }

    #[test]
    fn ducklake_named_arguments_schemas_and_shapes() {
        let mut store = SqlStore::default();
        let run = |store: &mut SqlStore, content: &str, a: Value| {
            sql_preview(store, "duckdb", content, &args(a)).unwrap()
        };
        let attach = "ATTACH 'ducklake://main' AS dl;USE dl.\"s\";\n";
        run(
            &mut store,
            &format!("{attach}CREATE TABLE t (id BIGINT, day TEXT)"),
            json!({}),
        )
        .unwrap();
        run(
            &mut store,
            &format!("-- $id (BIGINT)\n-- $arg1 (TEXT)\n{attach}INSERT INTO dl.t (day, id) VALUES ($arg1, $id)"),
            json!({"id": 1, "arg1": "d1"}),
        )
        .unwrap();
        let all = run(
            &mut store,
            &format!("-- result_collection=all_statements_all_rows_scalar\n{attach}SELECT id FROM s.t; SELECT day FROM t"),
            json!({}),
        )
        .unwrap();
        assert_eq!(all, json!([[], [], [1], ["d1"]]));
        run(
            &mut store,
            &format!(
                "{attach}UPDATE t SET day = 'd2' WHERE id = 1; DELETE FROM t WHERE day = 'nope'"
            ),
            json!({}),
        )
        .unwrap();
        let row = run(
            &mut store,
            &format!("-- result_collection=last_statement_first_row\n{attach}SELECT * FROM t WHERE day IS NOT NULL"),
            json!({}),
        )
        .unwrap();
        assert_eq!(row, json!({"id": 1, "day": "d2"}));
        assert_eq!(dump(&store, "ducklake://main").len(), 1);
        assert!(
            run(
                &mut store,
                &format!("{attach}ALTER TABLE t SET PARTITIONED BY (day)"),
                json!({})
            )
            .is_err()
        );
    }
}
