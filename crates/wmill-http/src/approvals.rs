//! Approvals of suspended flow steps: the resume/cancel URLs of a step ([`ResumeUrls`]) and
//! interactive approvals in Slack and Microsoft Teams ([`InteractiveApproval`]).

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use wmill_core::{Error, JobId, Result};

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

/// Where and how to ask for an approval: [`Windmill::request_interactive_slack_approval`] and
/// [`Windmill::request_interactive_teams_approval`].
///
/// ```
/// use serde_json::json;
/// use wmill_http::InteractiveApproval;
///
/// let ask = InteractiveApproval::new()
///     .message("Deploy to production?")
///     .approver("alice")
///     .default_args(json!({"region": "eu"}))
///     .buttons("Ship it", "Not now");
/// assert_eq!(ask.message.as_deref(), Some("Deploy to production?"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct InteractiveApproval {
    /// The message shown with the buttons.
    pub message: Option<String>,
    /// Who may approve.
    pub approver: Option<String>,
    /// Default values of the approval form (`default_args_json`).
    pub default_args: Option<Value>,
    /// Dynamic enum choices of the approval form (`dynamic_enums_json`).
    pub dynamic_enums: Option<Value>,
    /// The text of the resume button.
    pub resume_button_text: Option<String>,
    /// The text of the cancel button.
    pub cancel_button_text: Option<String>,
    /// The flow step (default `WM_FLOW_STEP_ID`).
    pub flow_step_id: Option<String>,
}

impl InteractiveApproval {
    /// No message, no approver restriction, default buttons.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        #![must_use]
        /// Sets the message.
        message(m: impl Into<String>) => message = m.into();
        /// Sets the approver.
        approver(a: impl Into<String>) => approver = a.into();
        /// Sets the form's default values.
        default_args(v: Value) => default_args = v;
        /// Sets the form's dynamic enums.
        dynamic_enums(v: Value) => dynamic_enums = v;
    }

    /// Sets the button texts.
    #[must_use]
    pub fn buttons(mut self, resume: impl Into<String>, cancel: impl Into<String>) -> Self {
        self.resume_button_text = Some(resume.into());
        self.cancel_button_text = Some(cancel.into());
        self
    }

    setters! {
        #![must_use]
        /// Sets the flow step explicitly.
        flow_step_id(id: impl Into<String>) => flow_step_id = id.into();
    }
}

impl Windmill {
    /// The URLs that resume or cancel the current job's suspend step
    /// (`GET jobs/resume_urls/{WM_JOB_ID}/{nonce}?approver&flow_level`; the nonce is random).
    /// `approver` is sent only when given; `flow_level` targets the parent flow (pre-approval).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = self.current_job(None).ok().map(tracing::field::display)))]
    pub async fn get_resume_urls(
        &self,
        approver: Option<&str>,
        flow_level: bool,
    ) -> Result<ResumeUrls> {
        let id = self.current_job(None)?;
        let nonce = crate::random::random_u64() % 1_000_000_000;
        self.job_call(Method::GET, &["jobs", "resume_urls"], &id)
            .segment(&nonce.to_string())
            .query_opt("approver", approver)
            .query_opt("flow_level", flow_level.then_some("true"))
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
        let id = self.current_job(None)?;
        self.job_call(Method::GET, &["jobs", "wac_approval_urls"], &id)
            .segment(step_key)
            .query_opt("approver", approver)
            .send()
            .await?
            .json()
    }
}

impl Windmill {
    fn approval_context(&self, ask: &InteractiveApproval, what: &str) -> Result<(JobId, String)> {
        if self.flow_job_id().is_none() {
            return Err(Error::NotConfigured {
                what: "flow job id",
                hint: format!(
                    "{what} only works in a flow step (WM_FLOW_JOB_ID), not in a standalone script"
                ),
            });
        }
        let job = self.current_job(None)?;
        let step = ask
            .flow_step_id
            .clone()
            .or_else(|| self.flow_step_id().map(str::to_owned))
            .ok_or_else(|| Error::NotConfigured {
                what: "flow step id",
                hint: "set WM_FLOW_STEP_ID or InteractiveApproval::flow_step_id".into(),
            })?;
        Ok((job, step))
    }

    async fn send_approval(
        &self,
        endpoint: &'static str,
        job: &JobId,
        fixed: [(&str, &str); 2],
        step: &str,
        ask: &InteractiveApproval,
    ) -> Result<()> {
        // Posting a message has an effect: never repeated once it may have reached the server.
        self.job_request(Method::GET, &["jobs", endpoint], job)
            .query(fixed[0].0, fixed[0].1)
            .query(fixed[1].0, fixed[1].1)
            .query("flow_step_id", step)
            .query_opt("message", ask.message.as_deref())
            .query_opt("approver", ask.approver.as_deref())
            .query_opt(
                "default_args_json",
                ask.default_args.as_ref().map(Value::to_string),
            )
            .query_opt(
                "dynamic_enums_json",
                ask.dynamic_enums.as_ref().map(Value::to_string),
            )
            .query_opt("resume_button_text", ask.resume_button_text.as_deref())
            .query_opt("cancel_button_text", ask.cancel_button_text.as_deref())
            .send()
            .await
            .map(drop)
    }

    /// Posts an interactive approval for the current suspended flow step to a Slack channel
    /// (`GET jobs/slack_approval/{WM_JOB_ID}?slack_resource_path&channel_id&flow_step_id&...`).
    /// Needs `WM_FLOW_JOB_ID` (a flow step) and a flow step id.
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = self.current_job(None).ok().map(tracing::field::display)))]
    pub async fn request_interactive_slack_approval(
        &self,
        slack_resource_path: &str,
        channel_id: &str,
        ask: &InteractiveApproval,
    ) -> Result<()> {
        let (job, step) = self.approval_context(ask, "a Slack approval")?;
        let resource = wmill_core::ItemPath::parse_resource_ref(slack_resource_path)?;
        self.send_approval(
            "slack_approval",
            &job,
            [
                ("slack_resource_path", resource.as_str()),
                ("channel_id", channel_id),
            ],
            &step,
            ask,
        )
        .await
    }

    /// Posts an interactive approval for the current suspended flow step to a Microsoft Teams
    /// channel (`GET jobs/teams_approval/{WM_JOB_ID}?team_name&channel_name&flow_step_id&...`).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = self.current_job(None).ok().map(tracing::field::display)))]
    pub async fn request_interactive_teams_approval(
        &self,
        team_name: &str,
        channel_name: &str,
        ask: &InteractiveApproval,
    ) -> Result<()> {
        let (job, step) = self.approval_context(ask, "a Teams approval")?;
        self.send_approval(
            "teams_approval",
            &job,
            [("team_name", team_name), ("channel_name", channel_name)],
            &step,
            ask,
        )
        .await
    }

    /// Answers a Microsoft Teams activity (`POST teams/activities`
    /// `{conversation_id, text, success, card_block?}`).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str()))]
    pub async fn send_teams_message(
        &self,
        conversation_id: &str,
        text: &str,
        success: bool,
        card_block: Option<&Value>,
    ) -> Result<()> {
        let mut body =
            json!({"conversation_id": conversation_id, "text": text, "success": success});
        if let Some(card) = card_block {
            body["card_block"] = card.clone();
        }
        self.call(Method::POST, &[Seg::Lit("teams"), Seg::Lit("activities")])
            .json(&body)?
            .send()
            .await
            .map(drop)
    }
}
