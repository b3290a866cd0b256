//! The job helpers beyond the four traits: jobs, progress, flow user state, resume/approval
//! URLs, identity, version, OIDC, tokens, inline scripts, Kafka offsets.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use wmill_core::{Args, Error, ItemKind, ItemPath, JobId, Result};

use crate::client::Windmill;
use crate::urls::Seg;

/// The URLs that resume or cancel a suspended flow step (`approvalPage`, `resume`, `cancel`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResumeUrls {
    /// The approval page (a form a human opens).
    #[serde(rename = "approvalPage")]
    pub approval_page: String,
    /// POSTing here resumes the flow.
    pub resume: String,
    /// POSTing here cancels the flow.
    pub cancel: String,
}

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

/// The highest progress the server keeps (it stores 0-99).
const MAX_PROGRESS: u32 = 99;

impl Windmill {
    /// The job as the server sends it (`GET jobs_u/get/{id}`): a JSON object tagged by
    /// `"type": "QueuedJob" | "CompletedJob"`, with logs and code unless `light` is set
    /// (`no_logs=true&no_code=true`).
    ///
    /// [`JobRunner::get_job`](wmill_core::JobRunner::get_job) is the typed job (state,
    /// timestamps, flow steps, ...); this is the raw JSON, for the logs and code it can carry.
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = %id))]
    pub async fn get_job_raw(&self, id: &JobId, light: bool) -> Result<Value> {
        if light {
            return self.get_job_light(id).await;
        }
        let ids = id.to_string();
        self.call(
            Method::GET,
            &[Seg::Ws, Seg::Lit("jobs_u"), Seg::Lit("get"), Seg::One(&ids)],
        )
        .idempotent()
        .not_found(ItemKind::Job, ids.clone())
        .send()
        .await?
        .json()
    }

    /// Force-cancels a job stuck after a normal cancel (`POST jobs_u/queue/force_cancel/{id}`
    /// `{reason}`).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = %id))]
    pub async fn force_cancel_job(&self, id: &JobId, reason: Option<&str>) -> Result<()> {
        let ids = id.to_string();
        self.call(
            Method::POST,
            &[
                Seg::Ws,
                Seg::Lit("jobs_u"),
                Seg::Lit("queue"),
                Seg::Lit("force_cancel"),
                Seg::One(&ids),
            ],
        )
        .json(
            &json!({ "reason": reason.unwrap_or("force cancelled via force_cancel_job method") }),
        )?
        .idempotent()
        .not_found(ItemKind::Job, ids.clone())
        .send()
        .await
        .map(drop)
    }

    /// The root job of `job_id` (default: the current job, `WM_JOB_ID`)
    /// (`GET jobs_u/get_root_job_id/{id}`).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = self.current_job(job_id).ok().map(tracing::field::display)))]
    pub async fn get_root_job_id(&self, job_id: Option<JobId>) -> Result<JobId> {
        let id = self.current_job(job_id)?;
        let ids = id.to_string();
        let resp = self
            .call(
                Method::GET,
                &[
                    Seg::Ws,
                    Seg::Lit("jobs_u"),
                    Seg::Lit("get_root_job_id"),
                    Seg::One(&ids),
                ],
            )
            .idempotent()
            .not_found(ItemKind::Job, ids.clone())
            .send()
            .await?;
        let text = resp.text()?;
        JobId::parse(text.trim().trim_matches('"')).map_err(|e| resp.decode_error(e))
    }

    /// Whether the worker running `job_id` (default: the current job) is shutting down
    /// (`GET jobs/worker_is_draining/{id}`); long jobs can poll it to exit early.
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = self.current_job(job_id).ok().map(tracing::field::display)))]
    pub async fn worker_is_draining(&self, job_id: Option<JobId>) -> Result<bool> {
        let ids = self.current_job(job_id)?.to_string();
        self.call(
            Method::GET,
            &[
                Seg::Ws,
                Seg::Lit("jobs"),
                Seg::Lit("worker_is_draining"),
                Seg::One(&ids),
            ],
        )
        .idempotent()
        .not_found(ItemKind::Job, ids.clone())
        .send()
        .await?
        .json()
    }

    /// Sets the progress of `job_id` (default: the current job). The server keeps progress in
    /// 0-99 and never lets it decrease: a `percent` above 99 is sent as 99. Reads the job's
    /// `parent_job` first (`GET jobs_u/get/{id}`) and sends it as `flow_job_id` (for the current
    /// job without a parent, `WM_FLOW_JOB_ID`), then `POST job_metrics/set_progress/{id}`
    /// `{percent, flow_job_id}`.
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = self.current_job(job_id).ok().map(tracing::field::display)))]
    pub async fn set_progress(&self, percent: u32, job_id: Option<JobId>) -> Result<()> {
        let id = self.current_job(job_id)?;
        let job = self.get_job_light(&id).await?;
        let parent = job
            .get("parent_job")
            .and_then(Value::as_str)
            .and_then(|s| JobId::parse(s).ok())
            .or(if job_id.is_none() {
                self.inner.flow_job_id
            } else {
                None
            });
        let mut body = json!({ "percent": percent.min(MAX_PROGRESS) });
        if let Some(p) = parent {
            body["flow_job_id"] = json!(p.to_string());
        }
        let ids = id.to_string();
        self.call(
            Method::POST,
            &[
                Seg::Ws,
                Seg::Lit("job_metrics"),
                Seg::Lit("set_progress"),
                Seg::One(&ids),
            ],
        )
        .json(&body)?
        .idempotent()
        .not_found(ItemKind::Job, ids.clone())
        .send()
        .await
        .map(drop)
    }

    /// The progress of `job_id` (default: the current job), `None` when none was set
    /// (`GET job_metrics/get_progress/{id}`).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = self.current_job(job_id).ok().map(tracing::field::display)))]
    pub async fn get_progress(&self, job_id: Option<JobId>) -> Result<Option<u32>> {
        let ids = self.current_job(job_id)?.to_string();
        let v: Value = self
            .call(
                Method::GET,
                &[
                    Seg::Ws,
                    Seg::Lit("job_metrics"),
                    Seg::Lit("get_progress"),
                    Seg::One(&ids),
                ],
            )
            .idempotent()
            .not_found(ItemKind::Job, ids.clone())
            .send()
            .await?
            .json()?;
        Ok(v.as_u64().map(|p| u32::try_from(p).unwrap_or(u32::MAX)))
    }

    /// Sets a user state value of the current flow (the root job of `WM_JOB_ID`):
    /// `GET jobs_u/get_root_job_id/{WM_JOB_ID}`, then `POST jobs/flow/user_states/{root}/{key}`
    /// with the value as the body. Outside a flow this is [`Error::NotFound`].
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), key = key))]
    pub async fn set_flow_user_state(&self, key: &str, value: &Value) -> Result<()> {
        let root = self.get_root_job_id(None).await?.to_string();
        self.call(
            Method::POST,
            &[
                Seg::Ws,
                Seg::Lit("jobs"),
                Seg::Lit("flow"),
                Seg::Lit("user_states"),
                Seg::One(&root),
                Seg::One(key),
            ],
        )
        .json(value)?
        .idempotent()
        .not_found(ItemKind::Job, root.clone())
        .send()
        .await
        .map(drop)
    }

    /// A user state value of the current flow, `None` when it is not set
    /// (`GET jobs/flow/user_states/{root}/{key}`).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), key = key))]
    pub async fn get_flow_user_state(&self, key: &str) -> Result<Option<Value>> {
        let root = self.get_root_job_id(None).await?.to_string();
        let resp = self
            .call(
                Method::GET,
                &[
                    Seg::Ws,
                    Seg::Lit("jobs"),
                    Seg::Lit("flow"),
                    Seg::Lit("user_states"),
                    Seg::One(&root),
                    Seg::One(key),
                ],
            )
            .idempotent()
            .not_found(ItemKind::Job, root.clone())
            .send()
            .await;
        match resp {
            Ok(r) => match r.json()? {
                Value::Null => Ok(None),
                v => Ok(Some(v)),
            },
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The URLs that resume or cancel the current job's suspend step
    /// (`GET jobs/resume_urls/{WM_JOB_ID}/{nonce}?approver&flow_level`; the nonce is random).
    /// `approver` is sent only when given; `flow_level` targets the parent flow (pre-approval).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = self.current_job(None).ok().map(tracing::field::display)))]
    pub async fn get_resume_urls(
        &self,
        approver: Option<&str>,
        flow_level: bool,
    ) -> Result<ResumeUrls> {
        let id = self.current_job(None)?.to_string();
        let nonce = crate::random::random_u64() % 1_000_000_000;
        let nonce = nonce.to_string();
        self.call(
            Method::GET,
            &[
                Seg::Ws,
                Seg::Lit("jobs"),
                Seg::Lit("resume_urls"),
                Seg::One(&id),
                Seg::One(&nonce),
            ],
        )
        .query_opt("approver", approver)
        .query_opt("flow_level", flow_level.then_some("true"))
        .idempotent()
        .not_found(ItemKind::Job, id.clone())
        .send()
        .await?
        .json()
    }

    /// The URLs bound to a workflow-as-code `wait_for_approval` step
    /// (`GET jobs/wac_approval_urls/{WM_JOB_ID}/{step_key}?approver`). `step_key` must be
    /// non-empty, without `/` or `\`, and not `.` or `..` (Python's default is `"approval"`).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = self.current_job(None).ok().map(tracing::field::display), step_key = step_key))]
    pub async fn get_approval_urls(
        &self,
        step_key: &str,
        approver: Option<&str>,
    ) -> Result<ResumeUrls> {
        if step_key.is_empty()
            || step_key.contains(['/', '\\'])
            || step_key == "."
            || step_key == ".."
        {
            return Err(Error::invalid(
                "step key",
                format!("{step_key:?} must be non-empty, without '/' or '\\', and not '.' or '..'"),
            ));
        }
        let id = self.current_job(None)?.to_string();
        self.call(
            Method::GET,
            &[
                Seg::Ws,
                Seg::Lit("jobs"),
                Seg::Lit("wac_approval_urls"),
                Seg::One(&id),
                Seg::One(step_key),
            ],
        )
        .query_opt("approver", approver)
        .idempotent()
        .not_found(ItemKind::Job, id.clone())
        .send()
        .await?
        .json()
    }

    /// The global identity of the token (`GET users/whoami`): email, username, login type, ...
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str()))]
    pub async fn whoami(&self) -> Result<Value> {
        self.call(Method::GET, &[Seg::Lit("users"), Seg::Lit("whoami")])
            .idempotent()
            .send()
            .await?
            .json()
    }

    /// The identity of the token in the workspace (`GET w/{ws}/users/whoami`): username,
    /// is_admin, groups, folders, ...
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str()))]
    pub async fn workspace_whoami(&self) -> Result<Value> {
        self.call(
            Method::GET,
            &[Seg::Ws, Seg::Lit("users"), Seg::Lit("whoami")],
        )
        .idempotent()
        .send()
        .await?
        .json()
    }

    /// The server version (`GET version`, text).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str()))]
    pub async fn version(&self) -> Result<String> {
        self.call(Method::GET, &[Seg::Lit("version")])
            .idempotent()
            .send()
            .await?
            .text_value()
    }

    /// An OIDC id token for `audience` (Enterprise Edition), for federation with AWS, GCP,
    /// Vault... (`POST w/{ws}/oidc/token/{audience}?expires_in=<secs>`, text JWT).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), audience = audience))]
    pub async fn get_id_token(
        &self,
        audience: &str,
        expires_in: Option<Duration>,
    ) -> Result<String> {
        self.call(
            Method::POST,
            &[
                Seg::Ws,
                Seg::Lit("oidc"),
                Seg::Lit("token"),
                Seg::One(audience),
            ],
        )
        .query_opt("expires_in", expires_in.map(|d| d.as_secs().to_string()))
        .idempotent()
        .send()
        .await?
        .text_value()
    }

    /// Creates an API token valid for `duration` (`POST users/tokens/create`
    /// `{label: "refresh <epoch>", expiration: <UTC RFC 3339>}`, 201 with the token as text).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str()))]
    pub async fn create_token(&self, duration: Duration) -> Result<String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let expiration = now
            .checked_add(duration)
            .ok_or_else(|| Error::invalid("token duration", format!("{duration:?} is too long")))?;
        let expiration = rfc3339_utc(expiration.as_secs());
        self.call(
            Method::POST,
            &[Seg::Lit("users"), Seg::Lit("tokens"), Seg::Lit("create")],
        )
        .json(&json!({
            "label": format!("refresh {}", now.as_secs()),
            "expiration": expiration,
        }))?
        .send()
        .await?
        .text_value()
    }

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

    /// Cancels the other running jobs of the current script (`WM_JOB_PATH`, or `script_path`):
    /// `GET jobs/list?running=true&script_path_exact=<path>` (first page, like Python), then
    /// `POST jobs_u/queue/cancel/{id}` `{reason: "killed by `cancel_running` method"}` for each
    /// job other than the current one (`WM_JOB_ID`). Returns the ids it canceled.
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = script_path.map(ItemPath::as_str)))]
    pub async fn cancel_running(&self, script_path: Option<&ItemPath>) -> Result<Vec<JobId>> {
        let path = match (script_path, &self.inner.job_path) {
            (Some(path), _) | (None, Ok(Some(path))) => path,
            (None, Ok(None)) => {
                return Err(Error::NotConfigured {
                    what: "job path",
                    hint: "pass the script path, or run inside a job (WM_JOB_PATH), or call WindmillBuilder::with_job_path".into(),
                });
            }
            (None, Err(reason)) => {
                return Err(Error::invalid(
                    "job path",
                    format!("WM_JOB_PATH is not a valid path ({reason}); pass the script path"),
                ));
            }
        };
        let jobs: Vec<Value> = self
            .call(Method::GET, &[Seg::Ws, Seg::Lit("jobs"), Seg::Lit("list")])
            .query("running", "true")
            .query("script_path_exact", path.as_str())
            .idempotent()
            .send()
            .await?
            .json()?;
        let mut canceled = Vec::new();
        for job in jobs {
            let Some(id) = job
                .get("id")
                .and_then(Value::as_str)
                .and_then(|s| JobId::parse(s).ok())
            else {
                continue;
            };
            if Some(id) == self.inner.job_id {
                continue;
            }
            wmill_core::JobRunner::cancel_job(
                self,
                &id,
                Some("killed by `cancel_running` method".into()),
            )
            .await?;
            canceled.push(id);
        }
        Ok(canceled)
    }

    /// The email of a user (`GET w/{ws}/users/username_to_email/{username}`). Deprecated by
    /// Windmill in favour of the `WM_END_USER_EMAIL` / `WM_EMAIL` variables of the job.
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str()))]
    pub async fn username_to_email(&self, username: &str) -> Result<String> {
        self.call(
            Method::GET,
            &[
                Seg::Ws,
                Seg::Lit("users"),
                Seg::Lit("username_to_email"),
                Seg::One(username),
            ],
        )
        .idempotent()
        .not_found(ItemKind::Other, username)
        .send()
        .await?
        .text_value()
    }

    /// Any API call, for endpoints without a helper (Python's `get`/`post`): `endpoint` is
    /// relative to `{base}/api/` (a leading `/` is ignored, `{ws}` is not substituted: write
    /// `w/<workspace>/...`, see [`workspace`](Self::workspace)) and may carry a query string.
    /// The body, if any, is sent as JSON; the answer is parsed as JSON, or returned as a JSON
    /// string when it is not JSON. GET/HEAD/PUT/DELETE are retried like other idempotent calls.
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), method = %method, endpoint = endpoint.split('?').next()))]
    pub async fn request_json(
        &self,
        method: Method,
        endpoint: &str,
        body: Option<&Value>,
    ) -> Result<Value> {
        let endpoint = endpoint.trim_start_matches('/');
        let (path, query) = endpoint.split_once('?').unwrap_or((endpoint, ""));
        let segments: Vec<String> = path
            .split('/')
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect();
        let segs: Vec<Seg<'_>> = segments.iter().map(|s| Seg::One(s)).collect();
        let idempotent = matches!(
            method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE
        );
        let mut call = self.call(method, &segs);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let dec = |x: &str| {
                percent_encoding::percent_decode_str(&x.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            call = call.query(&dec(k), dec(v));
        }
        if let Some(b) = body {
            call = call.json(b)?;
        }
        if idempotent {
            call = call.idempotent();
        }
        let resp = call.send().await?;
        if resp.body.is_empty() {
            return Ok(Value::Null);
        }
        resp.result_value()
    }

    /// Commits Kafka offsets of a trigger with auto-commit disabled
    /// (`POST kafka_triggers/commit_offsets/{path}` `{topic, partition, offset}`).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), path = trigger_path.as_str(), topic = topic, partition = partition))]
    pub async fn commit_kafka_offsets(
        &self,
        trigger_path: &ItemPath,
        topic: &str,
        partition: i32,
        offset: i64,
    ) -> Result<()> {
        self.call(
            Method::POST,
            &[
                Seg::Ws,
                Seg::Lit("kafka_triggers"),
                Seg::Lit("commit_offsets"),
                Seg::Item(trigger_path),
            ],
        )
        .json(&json!({ "topic": topic, "partition": partition, "offset": offset }))?
        .idempotent()
        .not_found(ItemKind::Other, trigger_path.as_str())
        .send()
        .await
        .map(drop)
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the epoch (UTC).
pub(crate) fn rfc3339_utc(secs: u64) -> String {
    wmill_core::timestamp_to_rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
