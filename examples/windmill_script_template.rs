//! The Windmill Rust script of `docs/windmill-script.md`, compiled as Windmill compiles it
//! (the script is the module `inner`; Windmill's generated `main` calls `inner::main` with
//! the job's arguments) and run here against an embedded backend seeded with the items it
//! reads.
//!
//! ```sh
//! cargo run -p wmill-examples --example windmill_script_template
//! ```

use serde_json::json;
use wmill::{Client, InMemory, S3Client};

/// The script, word for word from the doc (extracted by `build.rs`), and what Windmill adds to
/// its module: a function that calls `main` with the job's arguments and serializes its result.
mod inner {
    include!(concat!(env!("OUT_DIR"), "/windmill_script_template.rs"));

    pub(super) fn run(user: String, items: u32) -> wmill::Result<serde_json::Value> {
        Ok(serde_json::to_value(main(user, items)?)?)
    }
}

/// What the script reads, in memory.
fn embedded() -> wmill::Result<Client> {
    let memory = InMemory::new()
        .with_variable("f/examples/greeting", "Hello {user}!")?
        .with_resource(
            "f/examples/smtp",
            json!({"host": "smtp.example.com", "port": 587}),
            "smtp",
        )?;
    memory.register_script("f/examples/total", |args| async move {
        let items = args.get("items").and_then(|v| v.as_f64()).unwrap_or(0.0);
        Ok(json!(items * 2.5))
    })?;
    let store = std::sync::Arc::new(wmill::s3::object_store::memory::InMemory::new());
    Ok(Client::new(memory).with_s3(S3Client::from_store(store)))
}

/// Two runs of the script, as two jobs would run it.
fn run_twice() -> wmill::Result<(serde_json::Value, serde_json::Value)> {
    wmill::blocking::with_client(embedded()?, || {
        let first = inner::run("ada".into(), 4)?;
        let second = inner::run("ada".into(), 2)?;
        Ok((first, second))
    })
}

fn main() -> wmill::Result<()> {
    let (first, second) = run_twice()?;
    println!("first run:  {first}");
    println!("second run: {second}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_runs_as_windmill_would_run_it() {
        let (first, second) = run_twice().unwrap();
        assert_eq!(first["message"], "Hello ada!");
        assert_eq!(
            (first["runs"].as_u64(), second["runs"].as_u64()),
            (Some(1), Some(2))
        );
        assert_eq!(second["total"], 5.0);
        let report: wmill::S3Object = serde_json::from_value(second["report"].clone()).unwrap();
        assert!(report.key().ends_with(".json"), "{report}");
    }

    /// Every crate of the script's dependency block is one this workspace builds the script
    /// with (Windmill adds serde and serde_json itself), at the version the workspace has.
    #[test]
    fn the_dependency_block_names_crates_the_workspace_provides() {
        let doc = include_str!("../docs/windmill-script.md");
        let script = doc.split("```rust\n").nth(1).unwrap();
        let block = script
            .split("//! ```cargo\n")
            .nth(1)
            .and_then(|rest| rest.split("//! ```\n").next())
            .unwrap();
        let deps: Vec<&str> = block
            .lines()
            .map(|l| l.trim_start_matches("//!").trim())
            .filter(|l| !l.is_empty() && !l.starts_with('['))
            .collect();
        assert!(!deps.is_empty());
        let version = env!("CARGO_PKG_VERSION");
        let minor = &version[..version.rfind('.').unwrap()];
        for dep in deps {
            let (name, spec) = dep.split_once('=').unwrap();
            let name = name.trim();
            assert!(
                ["wmill", "serde", "serde_json"].contains(&name),
                "{name}: not a dependency of the examples package"
            );
            if name == "wmill" {
                assert_eq!(spec.trim(), format!("\"{minor}\""), "wmill's version");
            }
        }
    }
}
