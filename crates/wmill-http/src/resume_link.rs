//! [`ResumeLink`]: the signed link to a suspended flow step, parsed from the URLs a step
//! produces (`jobs_u/resume`, `jobs_u/cancel`, the approval page) or built from its parts; the
//! signature is checked and never shown.

use std::fmt;

use url::Url;
use wmill_core::{Error, JobId, Result};

use crate::approvals::ResumeUrls;

/// What an error or a log shows in place of a signature.
pub(crate) const HIDDEN: &str = "<signature>";

/// The longest signature accepted (the server's HMAC-SHA256 is 64 hex digits).
const MAX_SIGNATURE_LEN: usize = 256;

/// Which of the three URLs a [`ResumeLink`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkKind {
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
/// Parsed from any of the URLs that [`get_resume_urls`](crate::Windmill::get_resume_urls) returns
/// ([`ResumeLink::parse`], [`ResumeUrls::resume_link`]), asked from the server for a job id,
/// resume id and approver ([`Windmill::resume_link`](crate::Windmill::resume_link)), or built from its parts
/// ([`ResumeLink::from_parts`]). Then [`Windmill::resume_suspended_job`](crate::Windmill::resume_suspended_job) approves the step and
/// [`Windmill::cancel_suspended_job`](crate::Windmill::cancel_suspended_job) rejects it.
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
    pub(crate) job_id: JobId,
    pub(crate) resume_id: u32,
    pub(crate) signature: String,
    pub(crate) approver: Option<String>,
    pub(crate) workspace: Option<String>,
    /// The instance the URL points to (scheme, host, port and the path before `api/` or
    /// `approve/`), checked against the client's before sending; `None`: not checked.
    pub(crate) instance: Option<Url>,
    pub(crate) kind: LinkKind,
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

pub(crate) fn bad_url(reason: impl Into<String>) -> Error {
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
    pub(crate) fn shown(&self, op: &str, workspace: &str) -> String {
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

#[cfg(test)]
mod tests;
