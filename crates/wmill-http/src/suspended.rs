//! Approving (resuming) or rejecting (canceling) a suspended flow step from code: from the
//! resume URLs the step produced ([`get_resume_urls`](Windmill::get_resume_urls)), or from the
//! job id, resume id and approver.

use reqwest::Method;
use serde::Serialize;
use url::Url;
use wmill_core::{Error, ItemKind, JobId, Result, ResumeRefusal};

use crate::approvals::ResumeUrls;
use crate::client::Windmill;
use crate::resume_link::{LinkKind, ResumeLink, bad_url};
use crate::transport::status_error;
use wmill_core::excerpt;

/// How the server's refusals read (`jobs.rs`, `resume_suspended_job`): 500 with text.
fn refusal(body: &str) -> Option<ResumeRefusal> {
    let b = body.trim();
    if b.contains("Invalid signature") || b.contains("Hexadecimal decoding error") {
        Some(ResumeRefusal::InvalidSignature)
    } else if b.contains("resume request already sent") {
        Some(ResumeRefusal::AlreadySent)
    } else if b.contains("job not found or parent flow not in queue")
        || b.contains("parent flow job not found")
        || b.contains("not in a suspended state")
    {
        Some(ResumeRefusal::NotSuspended)
    } else {
        None
    }
}

/// The instance a client's URL names: scheme, host, port, and the path up to (not including)
/// `api/`, ending with `/`.
fn instance_of(base: &Url, strip_api: bool) -> (String, Option<String>, Option<u16>, String) {
    let mut path = base.path().to_owned();
    if !path.ends_with('/') {
        path.push('/');
    }
    if strip_api && let Some(p) = path.strip_suffix("api/") {
        path = p.to_owned();
    }
    (
        base.scheme().to_owned(),
        base.host_str().map(str::to_ascii_lowercase),
        base.port_or_known_default(),
        path,
    )
}

impl Windmill {
    /// Asks the server for the signed link of a suspended step, given its job id, a resume id
    /// and the approver (`GET jobs/resume_urls/{job_id}/{resume_id}?approver`, the request
    /// [`get_resume_urls`](Self::get_resume_urls) makes for the current job). Any resume id
    /// works; each can resume or cancel once. For a flow-level approval, pass the flow's job
    /// id. The URLs the server builds use its own `BASE_URL`: their host is not checked, as
    /// this client asked its own server.
    ///
    /// ```no_run
    /// # async fn demo(wm: wmill_http::Windmill, job: wmill_core::JobId) -> wmill_core::Result<()> {
    /// use serde_json::json;
    ///
    /// let link = wm.resume_link(&job, 1, Some("ada")).await?;
    /// wm.resume_suspended_job(&link, &json!({"approved_amount": 120})).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The server's error; [`Error::Decode`] when its answer is not URLs for this job,
    /// resume id and approver.
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = %job_id, resume_id = resume_id))]
    pub async fn resume_link(
        &self,
        job_id: &JobId,
        resume_id: u32,
        approver: Option<&str>,
    ) -> Result<ResumeLink> {
        let resp = self
            .job_call(Method::GET, &["jobs", "resume_urls"], job_id)
            .segment(&resume_id.to_string())
            .query_opt("approver", approver)
            .send()
            .await?;
        let urls: ResumeUrls = resp.json()?;
        let decode = |why: String| Error::Decode {
            request: resp.request.to_string(),
            body_excerpt: String::new(),
            source: why.into(),
        };
        let mut link = urls
            .resume_link()
            .map_err(|e| decode(format!("the resume URL in the answer: {e}")))?;
        if link.job_id != *job_id
            || link.resume_id != resume_id
            || link.approver.as_deref() != approver
        {
            return Err(decode(
                "the resume URL in the answer is for another job, resume id or approver".into(),
            ));
        }
        link.instance = None;
        link.kind = LinkKind::Either;
        Ok(link)
    }

    /// Approves a suspended flow step: `POST jobs_u/resume/{job}/{resume_id}/{signature}?approver`
    /// with `payload` as the JSON body (any JSON value: the step's resume value). The server
    /// answers 201 with an empty body.
    ///
    /// The request goes to this client's server, never to the host of the URL the link was
    /// parsed from; that URL must name this server (its base URL or `WM_BASE_URL`) and
    /// workspace. The endpoint needs no token (the signature is the credential); the client
    /// sends its token as on every request, which the server uses to record who approved when
    /// the link has no approver, and which flows that only let signed-in users approve need.
    /// The request is not repeated once it may have reached the server (a second one would be
    /// refused as already sent).
    ///
    /// ```no_run
    /// # async fn demo(wm: wmill_http::Windmill, resume_url: &str) -> wmill_core::Result<()> {
    /// use serde_json::json;
    /// use wmill_http::ResumeLink;
    ///
    /// let link = ResumeLink::parse(resume_url)?;
    /// wm.resume_suspended_job(&link, &json!({"comment": "looks good"})).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// - [`Error::InvalidInput`] before any request: a cancel URL's link, a URL of another
    ///   server or workspace, a payload that does not serialize.
    /// - [`Error::ResumeRefused`] with the server's status and body when it refuses (a wrong
    ///   signature, a job that is not suspended, a resume already sent).
    /// - the status's error otherwise ([`Error::Api`], [`Error::Unauthorized`], ...).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = %link.job_id, resume_id = link.resume_id))]
    pub async fn resume_suspended_job<T: Serialize + ?Sized + Sync>(
        &self,
        link: &ResumeLink,
        payload: &T,
    ) -> Result<()> {
        self.answer_suspended(link, true, payload).await
    }

    /// Rejects a suspended flow step: `POST jobs_u/cancel/{job}/{resume_id}/{signature}?approver`
    /// with `payload` as the JSON body. The flow ends canceled ("approval request disapproved
    /// by `<approver>`"). Everything else is as in
    /// [`resume_suspended_job`](Self::resume_suspended_job).
    ///
    /// ```no_run
    /// # async fn demo(wm: wmill_http::Windmill, urls: wmill_http::ResumeUrls) -> wmill_core::Result<()> {
    /// wm.cancel_suspended_job(&urls.cancel_link()?, &()).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`resume_suspended_job`](Self::resume_suspended_job).
    #[tracing::instrument(skip_all, fields(workspace = self.workspace().as_str(), job_id = %link.job_id, resume_id = link.resume_id))]
    pub async fn cancel_suspended_job<T: Serialize + ?Sized + Sync>(
        &self,
        link: &ResumeLink,
        payload: &T,
    ) -> Result<()> {
        self.answer_suspended(link, false, payload).await
    }

    async fn answer_suspended<T: Serialize + ?Sized + Sync>(
        &self,
        link: &ResumeLink,
        resume: bool,
        payload: &T,
    ) -> Result<()> {
        let op = if resume { "resume" } else { "cancel" };
        match (link.kind, resume) {
            (LinkKind::Cancel, true) => {
                return Err(bad_url(
                    "this is a cancel URL: it cancels (cancel_suspended_job), the resume URL resumes",
                ));
            }
            (LinkKind::Resume, false) => {
                return Err(bad_url(
                    "this is a resume URL: it resumes (resume_suspended_job), the cancel URL cancels",
                ));
            }
            _ => {}
        }
        let workspace = self.inner.workspace.as_str();
        if let Some(ws) = &link.workspace
            && ws != workspace
        {
            return Err(bad_url(format!(
                "the URL is for workspace {ws:?}, this client's is {workspace:?}"
            )));
        }
        if let Some(instance) = &link.instance {
            let named = instance_of(instance, false);
            let ours = instance_of(&self.inner.base, true);
            let public = self
                .inner
                .public_base
                .as_ref()
                .map(|u| instance_of(u, false));
            if named != ours && Some(&named) != public.as_ref() {
                return Err(bad_url(format!(
                    "the URL points to {}, not to this client's server ({}); build the link with ResumeLink::from_parts to send it here anyway",
                    instance.as_str(),
                    self.inner.base.as_str().trim_end_matches("api/")
                )));
            }
        }
        let body =
            serde_json::to_vec(payload).map_err(|e| Error::unserializable("resume payload", e))?;
        let shown = link.shown(op, workspace);
        let resp = self
            .job_request(Method::POST, &["jobs_u", op], &link.job_id)
            .segment(&link.resume_id.to_string())
            .segment(&link.signature)
            .query_opt("approver", link.approver.as_deref())
            .body(
                body,
                reqwest::header::HeaderValue::from_static("application/json"),
            )
            .send_raw()
            .await
            .map_err(|e| match e {
                // The request name holds the signature: show the path without it.
                Error::Transport { source, .. } => Error::Transport {
                    request: shown.clone(),
                    source,
                },
                other => other,
            })?;
        if resp.status.is_success() {
            return Ok(());
        }
        let text = excerpt(&resp.body, 1000);
        if resp.status.as_u16() == 500
            && let Some(reason) = refusal(&text)
        {
            return Err(Error::ResumeRefused {
                job_id: link.job_id,
                action: op,
                reason,
                status: 500,
                body: text,
            });
        }
        Err(status_error(
            resp.status,
            &resp.body,
            &shown,
            Some(&(ItemKind::Job, link.job_id.to_string())),
            Some(self.workspace().as_str()),
        ))
    }
}

#[cfg(test)]
mod tests;
