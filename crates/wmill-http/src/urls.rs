//! Request URLs: the base URL (`{base}/api/`, parsed once) + typed path segments, each
//! percent-encoded.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use url::Url;
use wmill_core::{Error, ItemPath, Result};

use crate::client::Windmill;

/// What a path segment percent-encodes: what `url` encodes in a segment of an `http(s)` URL
/// (controls, space, `"#<>?`{}`, `/`, `%` and `\`; every non-ASCII byte), so that a URL built
/// here is the one `url`'s `path_segments_mut` would build.
const PATH_SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%')
    .add(b'\\');

/// `base` with `segments` appended to its path, each percent-encoded as one segment (a `/`
/// inside becomes `%2F`); `.` and `..` are skipped and a trailing empty segment of `base` is
/// dropped, as `url`'s `path_segments_mut` does. The query and fragment of `base` are kept.
///
/// Every request URL of this crate is built here, and so are the S3 proxy URLs of `wmill-s3`.
///
/// ```
/// let base = url::Url::parse("http://localhost:8000/")?;
/// let url = wmill_http::url_with_segments(&base, ["api", "w", "demo", "a b/c"])?;
/// assert_eq!(url.as_str(), "http://localhost:8000/api/w/demo/a%20b%2Fc");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::InvalidInput`] when `base` cannot be a base (`mailto:x`, `data:...`).
pub fn url_with_segments<'a>(
    base: &Url,
    segments: impl IntoIterator<Item = &'a str>,
) -> Result<Url> {
    if base.cannot_be_a_base() {
        return Err(Error::invalid("base URL", "cannot be a base"));
    }
    Ok(join(base, segments))
}

/// [`url_with_segments`] on a base that can be one.
fn join<'a>(base: &Url, segments: impl IntoIterator<Item = &'a str>) -> Url {
    let mut path = SegmentPath::new(base);
    for seg in segments {
        path.push(seg);
    }
    path.finish(base)
}

/// Appends `seg` to `url`'s path, percent-encoded as [`url_with_segments`] does (the query
/// is kept).
pub(crate) fn push_segment(url: &mut Url, seg: &str) {
    let mut path = SegmentPath::new(url);
    path.push(seg);
    *url = path.finish(url);
}

/// A URL path being built: `base`'s path, then one percent-encoded segment after the other.
struct SegmentPath(String);

impl SegmentPath {
    fn new(base: &Url) -> Self {
        let mut path = String::with_capacity(base.path().len() + 96);
        path.push_str(base.path());
        if !path.ends_with('/') {
            path.push('/');
        }
        SegmentPath(path)
    }

    /// Appends `seg` percent-encoded, and a `/`; `.` and `..` are skipped.
    fn push(&mut self, seg: &str) {
        if seg != "." && seg != ".." {
            // Most segments (literals, workspaces, item names) have nothing to encode: copied
            // at once. Every byte allowed here is one `PATH_SEGMENT` leaves alone.
            if seg.bytes().all(unreserved) {
                self.0.push_str(seg);
            } else {
                self.0.extend(utf8_percent_encode(seg, PATH_SEGMENT));
            }
            self.0.push('/');
        }
    }

    /// Appends an item path, each of its segments as [`push`](Self::push) does; one without a
    /// byte to encode is copied whole (an [`ItemPath`] has no empty, `.` or `..` segment).
    fn push_item(&mut self, path: &ItemPath) {
        let raw = path.as_str();
        if raw.bytes().all(|b| b == b'/' || unreserved(b)) {
            self.0.push_str(raw);
            self.0.push('/');
        } else {
            path.segments().for_each(|s| self.push(s));
        }
    }

    fn finish(mut self, base: &Url) -> Url {
        // Every segment ends with `/`: drop the last one, as `pop_if_empty` does.
        self.0.pop();
        let mut url = base.clone();
        url.set_path(&self.0);
        url
    }
}

/// A byte that no segment encodes (`PATH_SEGMENT` leaves it alone): most segments are made
/// only of these, and are copied without the encoder.
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// One piece of a request path.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Seg<'a> {
    /// A fixed path segment (`variables`, `get_value`).
    Lit(&'a str),
    /// `w/{workspace}`.
    Ws,
    /// An item path: each of its segments is percent-encoded, `/` between them kept.
    Item(&'a ItemPath),
    /// One segment, fully percent-encoded (a `/` inside becomes `%2F`).
    One(&'a str),
    /// A number (a flow version), as its decimal text.
    Int(i64),
}

/// Refuses a segment that no URL may carry: control characters (a URL parser drops tabs and
/// newlines, so `.<TAB>.` would become `..`), and empty, `.` or `..` segments (they would
/// change the path's meaning). Checked for every segment before a URL is built.
pub(crate) fn check_segment(seg: &str) -> Result<()> {
    if seg.is_empty() || seg == "." || seg == ".." {
        return Err(Error::invalid(
            "URL path segment",
            format!("{seg:?} would change the request path"),
        ));
    }
    if seg.chars().any(char::is_control) {
        return Err(Error::invalid(
            "URL path segment",
            format!(
                "{:?} contains a control character",
                seg.escape_debug().to_string()
            ),
        ));
    }
    Ok(())
}

/// [`check_segment`] on every segment a request path is built from.
pub(crate) fn check_segments(segs: &[Seg<'_>]) -> Result<()> {
    for seg in segs {
        match seg {
            // Literals are the crate's own constants, item paths and the workspace are
            // validated types: only free text needs the check.
            Seg::Lit(_) | Seg::Ws | Seg::Item(_) | Seg::Int(_) => {}
            Seg::One(s) => check_segment(s)?,
        }
    }
    Ok(())
}

impl Windmill {
    /// `{base}/api/` + the segments, each percent-encoded as [`url_with_segments`] does.
    pub(crate) fn url(&self, segs: &[Seg<'_>]) -> Url {
        let base = &self.inner.base;
        let mut path = SegmentPath::new(base);
        for seg in segs {
            match seg {
                Seg::Lit(s) | Seg::One(s) => path.push(s),
                Seg::Ws => {
                    path.push("w");
                    path.push(self.inner.workspace.as_str());
                }
                Seg::Item(p) => path.push_item(p),
                Seg::Int(n) => path.push(&n.to_string()),
            }
        }
        path.finish(base)
    }
}

/// Parses the base URL and appends `api/`, so requests are `{base}/api/...`.
pub(crate) fn api_base(raw: &str) -> Result<Url> {
    let trimmed = raw.trim().trim_end_matches('/');
    let mut url = Url::parse(trimmed)
        .map_err(|e| Error::invalid("base URL", format!("{trimmed:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(Error::invalid(
            "base URL",
            format!("{trimmed:?} must be an http:// or https:// URL"),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid(
            "base URL",
            format!("{trimmed:?} must not have a query or fragment"),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // (Not echoed: the URL holds a password. reqwest would also send it as a second
        // `Authorization` header beside the token.)
        return Err(Error::invalid(
            "base URL",
            "must not carry a user name or password (the token authenticates)",
        ));
    }
    // Users sometimes pass the URL with /api already; do not double it.
    let path = url.path().trim_end_matches('/').to_owned();
    let path = path.strip_suffix("/api").unwrap_or(&path).to_owned();
    url.set_path(&format!("{path}/api/"));
    Ok(url)
}

#[cfg(test)]
mod tests;
