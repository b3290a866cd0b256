//! The README's "Install" section says what Cargo will accept: every dependency line of a
//! crate of this workspace has the workspace's version and features the crate has, and the
//! feature table matches each crate's `[features]` (names and defaults). Also: the READMEs'
//! and docs' Rust examples show no hidden lines, and docs/migrating.md covers the official
//! crate's public items.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

const README: &str = include_str!("../../../README.md");

/// The `[features]` of a workspace crate: name -> whether it is a default feature.
fn features(krate: &str) -> BTreeMap<String, bool> {
    let manifest = std::fs::read_to_string(format!(
        "{}/../{krate}/Cargo.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let section = manifest
        .split("[features]\n")
        .nth(1)
        .map(|rest| rest.split("\n[").next().unwrap())
        .unwrap_or("");
    let mut defaults = Vec::new();
    let mut all = BTreeMap::new();
    for line in section
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains('='))
    {
        let (name, value) = line.split_once('=').unwrap();
        let name = name.trim().to_owned();
        if name == "default" {
            defaults = quoted(value);
        } else {
            all.insert(name, false);
        }
    }
    for d in defaults {
        *all.get_mut(&d)
            .unwrap_or_else(|| panic!("{krate}: default {d}")) = true;
    }
    all
}

/// The `"..."` strings of `text`.
fn quoted(text: &str) -> Vec<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The README's section `## Install`.
fn install_section() -> &'static str {
    let start = README.find("## Install\n").expect("an Install section");
    let rest = &README[start + 3..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

/// Every dependency line of the section: from its toml blocks and its table's code spans.
fn dependency_lines() -> Vec<String> {
    let section = install_section();
    let mut lines = Vec::new();
    for block in section.split("```toml\n").skip(1) {
        let block = block.split("```").next().unwrap();
        lines.extend(
            block
                .lines()
                .filter(|l| l.contains('=') && !l.starts_with('#'))
                .map(str::to_owned),
        );
    }
    for row in section.lines().filter(|l| l.starts_with('|')) {
        for span in row.split('`').skip(1).step_by(2) {
            if span.contains(" = ") {
                lines.push(span.to_owned());
            }
        }
    }
    lines
}

#[test]
fn dependency_lines_name_versions_and_features_that_exist() {
    let version = env!("CARGO_PKG_VERSION");
    let minor = &version[..version.rfind('.').unwrap()];
    let lines = dependency_lines();
    let ours: Vec<&String> = lines.iter().filter(|l| l.starts_with("wmill")).collect();
    assert!(ours.len() >= 7, "{lines:#?}");
    for line in ours {
        let (name, spec) = line.split_once('=').unwrap();
        let name = name.trim();
        let known = features(name);
        let spec = spec.trim();
        let strings = quoted(spec);
        let (version_given, wanted) = if spec.starts_with('{') {
            let version = spec
                .split("version = \"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            let wanted: Vec<String> = spec
                .split("features = [")
                .nth(1)
                .map(|f| quoted(f.split(']').next().unwrap()))
                .unwrap_or_default();
            (version.to_owned(), wanted)
        } else {
            (strings[0].clone(), Vec::new())
        };
        assert_eq!(version_given, minor, "{line}");
        for feature in wanted {
            assert!(known.contains_key(&feature), "{line}: no feature {feature}");
        }
    }
    // The Tokio line has what `#[tokio::main]` needs.
    let tokio = lines.iter().find(|l| l.starts_with("tokio")).unwrap();
    for needed in ["macros", "rt-multi-thread"] {
        assert!(tokio.contains(&format!("\"{needed}\"")), "{tokio}");
    }
}

#[test]
fn the_feature_table_matches_the_manifests() {
    let mut rows = 0;
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in install_section()
        .lines()
        .filter(|l| l.starts_with("| `wmill"))
    {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let (krate, feature, default) = (
            cells[1].trim_matches('`'),
            cells[2].trim_matches('`'),
            cells[3],
        );
        if !cells[2].starts_with('`') {
            continue; // the dependency table
        }
        let known = features(krate);
        let is_default = known
            .get(feature)
            .unwrap_or_else(|| panic!("{krate} has no feature {feature}"));
        assert_eq!(*is_default, default == "yes", "{row}");
        seen.entry(krate.to_owned())
            .or_default()
            .push(feature.to_owned());
        rows += 1;
    }
    assert!(rows >= 8);
    // Every feature of these crates is in the table.
    for (krate, listed) in seen {
        for feature in features(&krate).keys() {
            assert!(
                listed.contains(feature),
                "{krate}: {feature} is not in the table"
            );
        }
    }
}

/// The READMEs' Rust examples are doc tests, written so that a Markdown viewer shows them
/// whole: no line hidden from rustdoc's output (`# ...`) that a reader would see.
#[test]
fn readme_examples_have_no_hidden_lines() {
    let dir = env!("CARGO_MANIFEST_DIR");
    for path in [
        "../../README.md",
        "README.md",
        "../wmill-core/README.md",
        "../wmill-http/README.md",
        "../wmill-s3/README.md",
        "../../docs/windmill-script.md",
        "../../docs/migrating.md",
        "../../docs/guide.md",
    ] {
        let text = std::fs::read_to_string(format!("{dir}/{path}")).unwrap();
        let mut blocks = 0;
        for block in text.split("```rust").skip(1) {
            blocks += 1;
            let block = block.split("\n```").next().unwrap();
            for line in block.lines() {
                let t = line.trim_start();
                assert!(
                    !(t == "#" || t.starts_with("# ")),
                    "{path}: a hidden line: {line:?}"
                );
            }
        }
        assert!(blocks > 0, "{path} has no Rust example");
    }
}

/// docs/migrating.md has a row for every public item of the official Rust crate (`wmill`
/// 1.x: `rust-client/src/client.rs` and `lib.rs` of windmill-labs/windmill).
#[test]
fn migrating_maps_every_public_item_of_the_official_crate() {
    let doc = std::fs::read_to_string(format!(
        "{}/../../docs/migrating.md",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let table = doc
        .split("## Method by method")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap();
    // The first cell of each row, the official crate's side.
    let official: Vec<&str> = table
        .lines()
        .filter(|l| l.starts_with("| "))
        .map(|l| l.split(" | ").next().unwrap())
        .collect();
    for item in [
        "Windmill::default()",
        "Windmill::new(",
        "`workspace`",
        "`token`",
        "`base_internal_url`",
        "`client_config`",
        "get_variable(",
        "get_variable_raw(",
        "set_variable(",
        "get_resource::<T>(",
        "get_resource_any(",
        "set_resource(",
        "get_state::<T>()",
        "get_state_any()",
        "get_state_at::<T>(",
        "get_state_any_at(",
        "set_state(",
        "set_state_at(",
        "run_script_async(",
        "run_script_async_with_tag(",
        "run_script_sync(",
        "run_script_sync_with_tag(",
        "wait_job(",
        "get_result(",
        "get_job_status(",
        "set_progress(",
        "get_progress(",
        "call_api(",
        "wmill::apis::*",
        "wmill::models::*",
        "feature `async`",
        "`SdkError`",
    ] {
        assert!(
            official.iter().any(|cell| cell.contains(item)),
            "docs/migrating.md has no row for {item}"
        );
    }
}
