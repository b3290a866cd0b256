//! Approving (resuming) or rejecting (canceling) a suspended flow step from code: from the
//! resume URLs the step produced ([`get_resume_urls`](Windmill::get_resume_urls)), or from the
//! job id, resume id and approver.

use std::fmt;

use reqwest::Method;
use serde::Serialize;
use url::Url;
use wmill_core::{Error, ItemKind, JobId, Result, ResumeRefusal};

use crate::approvals::ResumeUrls;
use crate::client::Windmill;
use crate::transport::status_error;
use crate::urls::Seg;
use wmill_core::excerpt;

/// What an error or a log shows in place of a signature.
const HIDDEN: &str = "<signature>";

/// The longest signature accepted (the server's HMAC-SHA256 is 64 hex digits).
const MAX_SIGNATURE_LEN: usize = 256;

/// Which of the three URLs a [`ResumeLink`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkKind {
    /// `.../api/w/{ws}/jobs_u/resume/...`: resumes.
    Resume,
    /// `.../api/w/{ws}/jobs_u/cancel/...`: cancels.
    Cancel,
    /// `.../approve/{ws}/...` (the approval page) or built from parts: either.
    Either,
}

/// A signed link to a suspended flow step: the job, the resume id, the signature the server
/// made for them (and for the approver, when there is one).
///
/// Parsed from any of the URLs that [`get_resume_urls`](Windmill::get_resume_urls) returns
/// ([`ResumeLink::parse`], [`ResumeUrls::resume_link`]), asked from the server for a job id,
/// resume id and approver ([`Windmill::resume_link`]), or built from its parts
/// ([`ResumeLink::from_parts`]). Then [`Windmill::resume_suspended_job`] approves the step and
/// [`Windmill::cancel_suspended_job`] rejects it.
///
/// The signature is a credential (whoever has it can approve): `Debug` and every error show
/// `<signature>` instead.
///
/// ```
/// use wmill_http::ResumeLink;
///
/// let sig = "a".repeat(64);
/// let url = format!(
///     "https://windmill.example.com/api/w/demo/jobs_u/resume/0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12/1234/{sig}?approver=ada"
/// );
/// let link = ResumeLink::parse(&url)?;
/// assert_eq!(link.job_id().to_string(), "0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12");
/// assert_eq!((link.resume_id(), link.approver()), (1234, Some("ada")));
/// assert_eq!(link.workspace(), Some("demo"));
/// assert!(!format!("{link:?}").contains(&sig));
/// assert!(ResumeLink::parse("https://windmill.example.com/api/w/demo/jobs/list").is_err());
/// # Ok::<(), wmill_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ResumeLink {
    job_id: JobId,
    resume_id: u32,
    signature: String,
    approver: Option<String>,
    workspace: Option<String>,
    /// The instance the URL points to (scheme, host, port and the path before `api/` or
    /// `approve/`), checked against the client's before sending; `None`: not checked.
    instance: Option<Url>,
    kind: LinkKind,
}

impl fmt::Debug for ResumeLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResumeLink")
            .field("job_id", &self.job_id)
            .field("resume_id", &self.resume_id)
            .field("signature", &HIDDEN)
            .field("approver", &self.approver)
            .field("workspace", &self.workspace)
            .field("instance", &self.instance.as_ref().map(Url::as_str))
            .field("kind", &self.kind)
            .finish()
    }
}

fn bad_url(reason: impl Into<String>) -> Error {
    Error::invalid("resume URL", reason)
}

impl ResumeLink {
    /// Parses a resume URL (`{base}/api/w/{workspace}/jobs_u/resume/{job}/{resume_id}/{signature}`),
    /// a cancel URL (`.../jobs_u/cancel/...`) or an approval page URL
    /// (`{base}/approve/{workspace}/{job}/{resume_id}/{signature}`), each with an optional
    /// `?approver=...`. A resume URL can only resume and a cancel URL only cancel; the
    /// approval page's can do either.
    ///
    /// Nothing is sent to the URL's host: the request goes to the client's own server, after
    /// checking that the URL names it (its base URL or `WM_BASE_URL`) and its workspace.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a URL that is not one of those three shapes: another
    /// scheme than http(s), no host, a job id that is not a UUID, a resume id that is not a
    /// `u32`, a signature that is not hexadecimal, two approvers.
    pub fn parse(url: &str) -> Result<ResumeLink> {
        let parsed = Url::parse(url.trim()).map_err(|e| bad_url(format!("not a URL ({e})")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(bad_url(format!(
                "the scheme must be http or https, not {:?}",
                parsed.scheme()
            )));
        }
        if parsed.host().is_none() {
            return Err(bad_url("the URL has no host"));
        }
        let shape = "expected {base}/api/w/{workspace}/jobs_u/{resume|cancel}/{job id}/{resume id}/{signature} or {base}/approve/{workspace}/{job id}/{resume id}/{signature}";
        let segs: Vec<String> = parsed
            .path_segments()
            .map(|s| {
                s.map(|seg| percent_decode(seg).unwrap_or_else(|| seg.to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let n = segs.len();
        if n < 5 {
            return Err(bad_url(shape));
        }
        let at = |i: usize| segs[n - i].as_str();
        let (kind, workspace, prefix_len) = if n >= 8
            && at(8) == "api"
            && at(7) == "w"
            && at(5) == "jobs_u"
            && matches!(at(4), "resume" | "cancel")
        {
            let kind = if at(4) == "resume" {
                LinkKind::Resume
            } else {
                LinkKind::Cancel
            };
            (kind, at(6).to_owned(), n - 8)
        } else if at(5) == "approve" {
            (LinkKind::Either, at(4).to_owned(), n - 5)
        } else {
            return Err(bad_url(shape));
        };
        if workspace.is_empty() {
            return Err(bad_url("the workspace is empty"));
        }
        let job_id = JobId::parse(at(3)).map_err(|_| bad_url("the job id is not a UUID"))?;
        let resume_id = at(2)
            .parse::<u32>()
            .map_err(|_| bad_url("the resume id is not a number from 0 to 4294967295"))?;
        let signature = check_signature(at(1))?;
        let mut approver = None;
        for (k, v) in parsed.query_pairs() {
            if k == "approver" {
                if approver.is_some() {
                    return Err(bad_url("the URL names two approvers"));
                }
                approver = Some(v.into_owned());
            }
        }
        let mut instance = parsed.clone();
        instance.set_query(None);
        instance.set_fragment(None);
        let _ = instance.set_username("");
        let _ = instance.set_password(None);
        let prefix: String = segs[..prefix_len].iter().map(|s| format!("{s}/")).collect();
        instance.set_path(&format!("/{prefix}"));
        Ok(ResumeLink {
            job_id,
            resume_id,
            signature,
            approver,
            workspace: Some(workspace),
            instance: Some(instance),
            kind,
        })
    }

    /// A link from its parts, for a signature obtained otherwise (a message, a database). It
    /// can resume or cancel, in the client's workspace; there is no host to check.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the signature is not hexadecimal.
    ///
    /// ```
    /// use wmill_core::JobId;
    /// use wmill_http::ResumeLink;
    ///
    /// let link = ResumeLink::from_parts(JobId::from_u128(1), 7, &"0f".repeat(32), Some("ada"))?;
    /// assert_eq!(link.resume_id(), 7);
    /// assert!(ResumeLink::from_parts(JobId::from_u128(1), 7, "not hex", None).is_err());
    /// # Ok::<(), wmill_core::Error>(())
    /// ```
    pub fn from_parts(
        job_id: JobId,
        resume_id: u32,
        signature: &str,
        approver: Option<&str>,
    ) -> Result<ResumeLink> {
        Ok(ResumeLink {
            job_id,
            resume_id,
            signature: check_signature(signature)?,
            approver: approver.map(str::to_owned),
            workspace: None,
            instance: None,
            kind: LinkKind::Either,
        })
    }

    /// The job of the suspended step (the flow's, for a flow-level approval).
    pub fn job_id(&self) -> JobId {
        self.job_id
    }

    /// The resume id: one resume or cancel per id.
    pub fn resume_id(&self) -> u32 {
        self.resume_id
    }

    /// The approver the signature was made for, if any (sent as `?approver=`).
    pub fn approver(&self) -> Option<&str> {
        self.approver.as_deref()
    }

    /// The workspace the URL names (`None` for a link built from parts).
    pub fn workspace(&self) -> Option<&str> {
        self.workspace.as_deref()
    }

    /// The request path with the signature hidden, for errors.
    fn shown(&self, op: &str, workspace: &str) -> String {
        format!(
            "POST /api/w/{workspace}/jobs_u/{op}/{}/{}/{HIDDEN}",
            self.job_id, self.resume_id
        )
    }
}

impl ResumeUrls {
    /// The [`ResumeLink`] of the `resume` URL (it can only resume).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the URL is not a resume URL (see [`ResumeLink::parse`]).
    pub fn resume_link(&self) -> Result<ResumeLink> {
        ResumeLink::parse(&self.resume)
    }

    /// The [`ResumeLink`] of the `cancel` URL (it can only cancel).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the URL is not a cancel URL (see [`ResumeLink::parse`]).
    pub fn cancel_link(&self) -> Result<ResumeLink> {
        ResumeLink::parse(&self.cancel)
    }
}

/// Non-empty, even-length hexadecimal, at most [`MAX_SIGNATURE_LEN`] digits.
fn check_signature(sig: &str) -> Result<String> {
    if sig.is_empty()
        || sig.len() > MAX_SIGNATURE_LEN
        || !sig.len().is_multiple_of(2)
        || !sig.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(Error::invalid(
            "resume signature",
            format!("a signature is 2 to {MAX_SIGNATURE_LEN} hexadecimal digits, in pairs"),
        ));
    }
    Ok(sig.to_owned())
}

/// A percent-decoded path segment (`None` when it is not UTF-8 once decoded).
fn percent_decode(seg: &str) -> Option<String> {
    let bytes = seg.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

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
        let id = job_id.to_string();
        let rid = resume_id.to_string();
        let resp = self
            .call(
                Method::GET,
                &[
                    Seg::Ws,
                    Seg::Lit("jobs"),
                    Seg::Lit("resume_urls"),
                    Seg::One(&id),
                    Seg::One(&rid),
                ],
            )
            .query_opt("approver", approver)
            .idempotent()
            .not_found(ItemKind::Job, id.clone())
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
        let id = link.job_id.to_string();
        let rid = link.resume_id.to_string();
        let shown = link.shown(op, workspace);
        let resp = self
            .call(
                Method::POST,
                &[
                    Seg::Ws,
                    Seg::Lit("jobs_u"),
                    Seg::Lit(op),
                    Seg::One(&id),
                    Seg::One(&rid),
                    Seg::One(&link.signature),
                ],
            )
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
            Some(&(ItemKind::Job, id)),
            Some(self.workspace().as_str()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: &str = "00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff";
    const JOB: &str = "0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12";

    #[test]
    fn parses_the_three_urls() {
        let r = ResumeLink::parse(&format!(
            "http://h:8000/api/w/ws/jobs_u/resume/{JOB}/12/{SIG}?approver=a%20b"
        ))
        .unwrap();
        assert_eq!(r.kind, LinkKind::Resume);
        assert_eq!(r.approver(), Some("a b"));
        assert_eq!(r.instance.as_ref().unwrap().as_str(), "http://h:8000/");
        let c = ResumeLink::parse(&format!(
            "https://x.io/windmill/api/w/ws/jobs_u/cancel/{JOB}/0/{SIG}"
        ))
        .unwrap();
        assert_eq!(c.kind, LinkKind::Cancel);
        assert_eq!(c.approver(), None);
        assert_eq!(
            c.instance.as_ref().unwrap().as_str(),
            "https://x.io/windmill/"
        );
        let a =
            ResumeLink::parse(&format!("https://x.io/approve/ws/{JOB}/4294967295/{SIG}")).unwrap();
        assert_eq!((a.kind, a.resume_id()), (LinkKind::Either, u32::MAX));
        assert_eq!(a.workspace(), Some("ws"));
    }

    #[test]
    fn refuses_other_shapes() {
        for bad in [
            "not a url".to_owned(),
            format!("ftp://h/api/w/ws/jobs_u/resume/{JOB}/1/{SIG}"),
            format!("http://h/api/w/ws/jobs_u/resumex/{JOB}/1/{SIG}"),
            format!("http://h/api/w/ws/jobs/resume/{JOB}/1/{SIG}"),
            format!("http://h/api/w/ws/jobs_u/resume/not-a-uuid/1/{SIG}"),
            format!("http://h/api/w/ws/jobs_u/resume/{JOB}/-1/{SIG}"),
            format!("http://h/api/w/ws/jobs_u/resume/{JOB}/4294967296/{SIG}"),
            format!("http://h/api/w/ws/jobs_u/resume/{JOB}/1/xyz"),
            format!("http://h/api/w/ws/jobs_u/resume/{JOB}/1/abc"),
            format!("http://h/api/w/ws/jobs_u/resume/{JOB}/1/"),
            format!("http://h/api/w/ws/jobs_u/resume/{JOB}/1/{SIG}/"),
            format!("http://h/api/w/ws/jobs_u/resume/{JOB}/1/{SIG}?approver=a&approver=b"),
            format!("http://h/api/w//jobs_u/resume/{JOB}/1/{SIG}"),
            format!("http://h/{JOB}/1/{SIG}"),
            format!("http://h/approve/ws/{JOB}/1/{}", "a".repeat(258)),
        ] {
            assert!(ResumeLink::parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn refusals_by_body() {
        assert_eq!(
            refusal("Invalid signature"),
            Some(ResumeRefusal::InvalidSignature)
        );
        assert_eq!(
            refusal("Hexadecimal decoding error: Invalid character 'x' at position 0"),
            Some(ResumeRefusal::InvalidSignature)
        );
        assert_eq!(
            refusal(&format!("job not found or parent flow not in queue: {JOB}")),
            Some(ResumeRefusal::NotSuspended)
        );
        assert_eq!(
            refusal("resume request already sent"),
            Some(ResumeRefusal::AlreadySent)
        );
        assert_eq!(refusal("Internal: database is down"), None);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b").as_deref(), Some("a b"));
        assert_eq!(percent_decode("a%2").as_deref(), Some("a%2"));
        assert_eq!(percent_decode("%C3%A9").as_deref(), Some("é"));
        assert_eq!(percent_decode("%FF"), None);
    }
}
