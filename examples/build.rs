//! Extracts the Windmill script of `docs/windmill-script.md` (its first ```rust block) into
//! `$OUT_DIR`, as Windmill would compile it: the script becomes the body of a module (its
//! `//!` lines become plain comments there), and the example `windmill_script_template`
//! includes it. A doc without such a block fails the build.

use std::path::PathBuf;

fn main() -> Result<(), String> {
    let doc = PathBuf::from("../docs/windmill-script.md");
    println!("cargo:rerun-if-changed={}", doc.display());
    let text = std::fs::read_to_string(&doc).map_err(|e| format!("{}: {e}", doc.display()))?;
    let script =
        first_rust_block(&text).ok_or_else(|| format!("{}: no ```rust block", doc.display()))?;
    if !script.starts_with("//! ```cargo") {
        return Err(format!(
            "{}: the script must start with its `//! ```cargo` dependency block",
            doc.display()
        ));
    }
    let module: String = script
        .lines()
        .map(|line| match line.strip_prefix("//!") {
            Some(rest) => format!("//{rest}\n"),
            None => format!("{line}\n"),
        })
        .collect();
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?);
    std::fs::write(out.join("windmill_script_template.rs"), module).map_err(|e| e.to_string())?;
    Ok(())
}

/// The content of the first fenced block whose info string is `rust`.
fn first_rust_block(markdown: &str) -> Option<String> {
    let mut lines = markdown.lines();
    lines.by_ref().find(|l| l.trim_end() == "```rust")?;
    let mut block = String::new();
    for line in lines {
        if line.trim_end() == "```" {
            return Some(block);
        }
        block.push_str(line);
        block.push('\n');
    }
    None
}
