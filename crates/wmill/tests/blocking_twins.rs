//! Every async module-level function has a blocking twin of the same name in `wmill::blocking`
//! (docs/guide.md says so): read from the sources, so a new async function without a twin
//! fails here. Functions are read where they are written out (`pub async fn name`, `pub fn
//! name`) and where a macro table declares them (`run_fns! { .. name, name_with -> T; .. }`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

/// The sources of the module-level functions (a file, or a folder of files).
const ASYNC_SOURCES: &[&str] = &["functions", "server.rs", "s3files.rs"];

/// The text of `src/{name}`: a file, or every `.rs` file of a folder.
fn source(name: &str) -> String {
    let path = std::path::PathBuf::from(format!("{}/src/{name}", env!("CARGO_MANIFEST_DIR")));
    if !path.is_dir() {
        return std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    }
    let mut files: Vec<_> = std::fs::read_dir(&path)
        .unwrap_or_else(|e| panic!("{path:?}: {e}"))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no source in {path:?}");
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{f:?}: {e}")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The names after `prefix` at the start of a (trimmed) line, up to `<` or `(`.
fn names_after(text: &str, prefix: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix(prefix))
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|n| !n.is_empty())
        .collect()
}

/// The names that the rows of macro tables declare: inside a block opened by a line `name! {`,
/// each line of names separated by commas and ended by `,`, `;` or `-> Type;`
/// (`run_flow, run_flow_with -> Value;`). Doc lines and the tables' headers are not rows.
fn table_rows(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut depth = 0usize;
    for line in text.lines() {
        let line = line.trim();
        if depth == 0 {
            let opens = line.ends_with("! {") && !line.starts_with("macro_rules!");
            if opens && line.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
                depth = 1;
            }
            continue;
        }
        if line.starts_with("//") {
            continue;
        }
        depth += line.matches('{').count();
        depth = depth.saturating_sub(line.matches('}').count());
        let Some(row) = line.split("->").next().and_then(|r| {
            r.strip_suffix([',', ';'])
                .or_else(|| line.contains("->").then_some(r))
        }) else {
            continue;
        };
        let names: Vec<&str> = row.split(',').map(str::trim).collect();
        let plain = |n: &&str| !n.is_empty() && n.chars().all(|c| c.is_alphanumeric() || c == '_');
        if names.iter().all(plain) {
            out.extend(names.iter().map(|n| (*n).to_owned()));
        }
    }
    out
}

/// The names a `pub use` statement brings in (`pub use a::{b, c};`, `pub use a::b;`).
fn reexported(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("pub use ") {
        let stmt = &rest[start..];
        let end = stmt.find(';').unwrap_or(stmt.len());
        for part in
            stmt[..end].split(|c: char| c == ',' || c == '{' || c == '}' || c.is_whitespace())
        {
            if let Some(name) = part.rsplit("::").next()
                && !name.is_empty()
            {
                out.insert(name.to_owned());
            }
        }
        rest = &stmt[end..];
    }
    out
}

#[test]
fn every_async_function_has_a_blocking_twin() {
    let blocking = source("blocking");
    let mut twins = names_after(&blocking, "pub fn ");
    twins.extend(reexported(&blocking));
    twins.extend(table_rows(&blocking));
    let mut checked = 0;
    let mut missing = Vec::new();
    for file in ASYNC_SOURCES {
        let text = source(file);
        let mut names = names_after(&text, "pub async fn ");
        names.extend(table_rows(&text));
        for name in names {
            checked += 1;
            if !twins.contains(&name) {
                missing.push(format!("{file}: {name}"));
            }
        }
    }
    assert!(
        checked > 50,
        "the scan found only {checked} async functions"
    );
    assert!(
        missing.is_empty(),
        "async functions without a blocking twin in wmill::blocking: {missing:?}"
    );
}

#[test]
fn the_sync_functions_are_reexported_in_blocking() {
    let blocking = source("blocking");
    let mut reexports = reexported(&blocking);
    // or a blocking function of the same name (streams become iterators there)
    reexports.extend(names_after(&blocking, "pub fn "));
    let mut missing = Vec::new();
    for file in ASYNC_SOURCES {
        for name in names_after(&source(file), "pub fn ") {
            if !reexports.contains(&name) {
                missing.push(format!("{file}: {name}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "sync module functions not re-exported in wmill::blocking: {missing:?}"
    );
}

#[test]
fn the_scanner_sees_what_it_must() {
    let text =
        "pub async fn a<T>(x: T) {}\n    pub fn b() {}\npub use crate::{c, d::e};\npub use f::g;";
    assert_eq!(
        names_after(text, "pub async fn "),
        BTreeSet::from(["a".to_owned()])
    );
    assert_eq!(
        names_after(text, "pub fn "),
        BTreeSet::from(["b".to_owned()])
    );
    let r = reexported(text);
    for n in ["c", "e", "g"] {
        assert!(r.contains(n), "{n}: {r:?}");
    }
    let table = "macro_rules! t { () => {}; }\nrun_fns! {\n    (path: &str) => runner(p) {\n        /// Doc, with a comma;\n        a,\n        a_with -> JobId;\n    }\n}\nblocking_runs! {\n    (path: &str) {\n        b, b_with -> Value;\n    }\n}\nfn outside() { c; }";
    assert_eq!(
        table_rows(table),
        BTreeSet::from(["a", "a_with", "b", "b_with"].map(str::to_owned))
    );
}
