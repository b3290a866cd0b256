//! Request URLs: `{base}/api/` + typed path segments, each percent-encoded.

use url::Url;
use wmill_core::{Error, ItemPath, Result};

use crate::client::Windmill;

/// Bytes a URL path segment keeps as they are (RFC 3986 `pchar` without `%`): `url` encodes
/// none of them, in a segment or in a whole path.
const PLAIN_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
            );
        b += 1;
    }
    t
};

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
            Seg::Lit(_) | Seg::Ws | Seg::Item(_) => {}
            Seg::One(s) => check_segment(s)?,
        }
    }
    Ok(())
}

impl Windmill {
    /// `{base}/api/` + the segments.
    pub(crate) fn url(&self, segs: &[Seg<'_>]) -> Url {
        self.url_plain(segs)
            .unwrap_or_else(|| self.url_by_segments(segs))
    }

    /// The URL when every segment is made of characters that are never percent-encoded (the
    /// usual case: literals, workspace ids, item paths, job ids): the path is assembled as one
    /// string and set at once, which gives exactly what [`url_by_segments`](Self::url_by_segments)
    /// gives for such segments, for a fraction of the work. `None` when a segment needs encoding
    /// (or is empty, `.` or `..`).
    fn url_plain(&self, segs: &[Seg<'_>]) -> Option<Url> {
        let base = &self.inner.base;
        let mut path = String::with_capacity(base.path().len() + 96);
        path.push_str(base.path());
        let mut push = |seg: &str| -> Option<()> {
            if seg.is_empty()
                || seg == "."
                || seg == ".."
                || !seg.bytes().all(|b| PLAIN_BYTES[usize::from(b)])
            {
                return None;
            }
            path.push_str(seg);
            path.push('/');
            Some(())
        };
        for seg in segs {
            match seg {
                Seg::Lit(s) | Seg::One(s) => push(s)?,
                Seg::Ws => {
                    push("w")?;
                    push(self.inner.workspace.as_str())?;
                }
                Seg::Item(p) => {
                    for s in p.segments() {
                        push(s)?;
                    }
                }
            }
        }
        // `{base}/api/` ends with `/`; so does every pushed segment: drop the last one, as
        // `pop_if_empty` does.
        path.pop();
        let mut url = base.clone();
        url.set_path(&path);
        Some(url)
    }

    /// The URL built segment by segment: each percent-encoded by `url` (a `/` inside becomes
    /// `%2F`), `.` and `..` skipped.
    fn url_by_segments(&self, segs: &[Seg<'_>]) -> Url {
        let mut url = self.inner.base.clone();
        if let Ok(mut p) = url.path_segments_mut() {
            p.pop_if_empty();
            for seg in segs {
                match seg {
                    Seg::Lit(s) | Seg::One(s) => {
                        p.push(s);
                    }
                    Seg::Ws => {
                        p.push("w").push(self.inner.workspace.as_str());
                    }
                    Seg::Item(path) => {
                        p.extend(path.segments());
                    }
                }
            }
        }
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_that_change_the_path_are_refused() {
        for bad in ["", ".", "..", ".\t.", "a\nb", "\r", "x\u{7f}", "\u{0}"] {
            let e = check_segment(bad).unwrap_err();
            assert!(
                matches!(
                    &e,
                    Error::InvalidInput {
                        what: "URL path segment",
                        ..
                    }
                ),
                "{bad:?}: {e:?}"
            );
        }
        for good in ["a", "...", ".a", "a.", "a b", "é", "%2e%2e", "a/b"] {
            assert!(check_segment(good).is_ok(), "{good:?}");
        }
        let p = ItemPath::parse("u/a/b").unwrap();
        assert!(check_segments(&[Seg::Ws, Seg::Lit("x"), Seg::Item(&p), Seg::One("ok")]).is_ok());
        assert!(check_segments(&[Seg::Lit("x"), Seg::One("..")]).is_err());
        assert!(check_segments(&[Seg::One("a"), Seg::One("")]).is_err());
    }

    #[test]
    fn urls_encode_segments_but_keep_item_slashes() {
        let wm = Windmill::builder()
            .with_base_url("http://h:1/pre")
            .with_token("t")
            .with_workspace("ws")
            .build()
            .unwrap();
        let p = ItemPath::parse("u/alice/my var%x").unwrap();
        let url = wm.url(&[
            Seg::Ws,
            Seg::Lit("variables"),
            Seg::Lit("get_value"),
            Seg::Item(&p),
        ]);
        assert_eq!(
            url.as_str(),
            "http://h:1/pre/api/w/ws/variables/get_value/u/alice/my%20var%25x"
        );
        let url = wm.url(&[Seg::Lit("x"), Seg::One("a/b")]);
        assert_eq!(url.as_str(), "http://h:1/pre/api/x/a%2Fb");
    }

    #[test]
    fn plain_urls_are_the_segment_by_segment_urls() {
        let odd = [
            "a",
            "A-z_0.9~",
            "!$&'()*+,;=:@",
            ".",
            "..",
            ".a",
            "a.",
            "...",
            "",
            " ",
            "a b",
            "%",
            "%2e",
            "%2E%2e",
            "a%2Fb",
            "a/b",
            "a\\b",
            "a?b",
            "a#b",
            "\"",
            "<>",
            "`",
            "{}",
            "[]",
            "^|",
            "\t",
            "a\nb",
            "é",
            "日本",
            "\u{7f}",
            "💥",
        ];
        for base in [
            "http://h:1",
            "https://h/pre/",
            "http://h/a%20b/c",
            "http://h/%2e/x",
            "http://h/é/api",
        ] {
            let wm = Windmill::builder()
                .with_base_url(base)
                .with_token("t")
                .with_workspace("ws-1_a")
                .build()
                .unwrap();
            let p = ItemPath::parse("u/alice/my.var").unwrap();
            let mut cases: Vec<Vec<Seg<'_>>> = vec![
                vec![],
                vec![Seg::Ws],
                vec![
                    Seg::Ws,
                    Seg::Lit("variables"),
                    Seg::Lit("get_value"),
                    Seg::Item(&p),
                ],
            ];
            for a in odd {
                cases.push(vec![Seg::Ws, Seg::Lit("x"), Seg::One(a)]);
                for b in odd {
                    cases.push(vec![Seg::One(a), Seg::One(b)]);
                }
            }
            for segs in &cases {
                let fast = wm.url_plain(segs);
                let slow = wm.url_by_segments(segs);
                if let Some(fast) = &fast {
                    assert_eq!(fast.as_str(), slow.as_str(), "{base} {segs:?}");
                }
                assert_eq!(wm.url(segs).as_str(), slow.as_str(), "{base} {segs:?}");
            }
            assert!(wm.url_plain(&cases[2]).is_some(), "{base}");
        }
    }
}
