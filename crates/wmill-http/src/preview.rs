//! Running code without deploying it: [`Windmill::run_inline_script_preview`] and the
//! languages it takes.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use wmill_core::{Args, Error, Result};

use crate::client::Windmill;
use crate::urls::Seg;

/// The languages `run_inline_script_preview` accepts (the spec's `ScriptLang`), e.g.
/// `"python3"`, `"bun"`, `"deno"`, `"bash"`, `"postgresql"`, `"duckdb"`, `"rust"`: see
/// [`SCRIPT_LANGUAGES`].
pub type ScriptLanguage = str;

/// Every language of the spec's `ScriptLang`: any other is rejected with
/// [`Error::InvalidInput`] before a request is sent.
pub const SCRIPT_LANGUAGES: &[&str] = &[
    "python3",
    "deno",
    "go",
    "bash",
    "powershell",
    "postgresql",
    "mysql",
    "bigquery",
    "snowflake",
    "mssql",
    "oracledb",
    "graphql",
    "nativets",
    "bun",
    "php",
    "rust",
    "ansible",
    "csharp",
    "nu",
    "java",
    "ruby",
    "rlang",
    "duckdb",
    "bunnative",
    "dbt",
];

impl Windmill {
    /// Whether the base URL is the worker's internal server (`localhost` or `127.0.0.1`).
    pub fn worker_has_internal_server(&self) -> bool {
        matches!(self.inner.base.host_str(), Some("localhost" | "127.0.0.1"))
    }

    /// Runs code without deploying it and returns its result. With the worker's internal server
    /// ([`worker_has_internal_server`](Self::worker_has_internal_server)):
    /// `POST jobs/run_inline/preview` (runs on the calling worker, no job); otherwise
    /// `POST jobs/run_wait_result/preview`. Body `{content, language, args}`. A `language`
    /// outside [`SCRIPT_LANGUAGES`] is [`Error::InvalidInput`], with no request sent.
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), language = language))]
    pub async fn run_inline_script_preview(
        &self,
        content: &str,
        language: &ScriptLanguage,
        args: Args,
    ) -> Result<Value> {
        if !SCRIPT_LANGUAGES.contains(&language) {
            return Err(Error::invalid(
                "script language",
                format!(
                    "{language:?} is not a language Windmill runs (one of: {})",
                    SCRIPT_LANGUAGES.join(", ")
                ),
            ));
        }
        let mode = if self.worker_has_internal_server() {
            "run_inline"
        } else {
            "run_wait_result"
        };
        let resp = self
            .call(
                Method::POST,
                &[
                    Seg::Ws,
                    Seg::Lit("jobs"),
                    Seg::Lit(mode),
                    Seg::Lit("preview"),
                ],
            )
            .json(&json!({ "content": content, "language": language, "args": args }))?
            .timeout(Duration::from_secs(620))
            .send()
            .await?;
        resp.result_value()
    }
}
