//! [`WindmillConnection`]: base URL, workspace, token and an HTTP client, and how statuses map
//! to errors.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use url::Url;
use wmill_core::{Error, ItemKind, Result};

/// Where and as whom to reach the Windmill server: base URL, workspace, token and a pooled
/// [`reqwest::Client`]. Cheap to clone; `Debug` never shows the token.
///
/// Requests go to `{base_url}/api/w/{workspace}/...` with `Authorization: Bearer <token>`.
///
/// ```
/// use wmill_s3::WindmillConnection;
///
/// let conn = WindmillConnection::from_env_vars([
///     ("BASE_INTERNAL_URL", "http://windmill-server:8000"),
///     ("WM_BASE_URL", "https://windmill.example.com"),
///     ("WM_WORKSPACE", "demo"),
///     ("WM_TOKEN", "secret-token"),
/// ])?;
/// assert_eq!(conn.base_url().as_str(), "http://windmill-server:8000/");
/// assert_eq!(conn.public_base_url().as_str(), "https://windmill.example.com/");
/// assert_eq!(conn.workspace(), "demo");
/// assert!(!format!("{conn:?}").contains("secret-token"));
/// # Ok::<(), wmill_core::Error>(())
/// ```
#[derive(Clone)]
pub struct WindmillConnection {
    inner: Arc<Inner>,
}

struct Inner {
    base_url: Url,
    public_base_url: Option<Url>,
    workspace: String,
    token: String,
    http: reqwest::Client,
}

impl fmt::Debug for WindmillConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WindmillConnection")
            .field("base_url", &self.inner.base_url.as_str())
            .field(
                "public_base_url",
                &self.inner.public_base_url.as_ref().map(Url::as_str),
            )
            .field("workspace", &self.inner.workspace)
            .field("token", &"***")
            .finish()
    }
}

fn parse_base(what: &'static str, raw: &str) -> Result<Url> {
    let mut url =
        Url::parse(raw.trim()).map_err(|e| Error::invalid(what, format!("{raw:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::invalid(
            what,
            format!("{raw:?} is not an http(s) URL"),
        ));
    }
    // The server root: a trailing `/api` (a common mistake) is dropped, as wmill-http does.
    let trimmed = url.path().trim_end_matches('/');
    let root = trimmed.strip_suffix("/api").unwrap_or(trimmed);
    let path = format!("{root}/");
    url.set_path(&path);
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

impl WindmillConnection {
    /// A connection to `base_url` (the server root, `/api` is appended per request), in
    /// `workspace`, with `token`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a base URL that is not http(s), an empty workspace or one with
    /// a `/`, an empty token.
    pub fn new(
        base_url: &str,
        workspace: impl Into<String>,
        token: impl Into<String>,
    ) -> Result<Self> {
        let workspace = workspace.into();
        let token = token.into();
        if workspace.is_empty() || workspace.contains(['/', '?', '#']) {
            return Err(Error::invalid(
                "workspace",
                format!("{workspace:?} is not a workspace id"),
            ));
        }
        if token.is_empty() {
            return Err(Error::invalid("token", "the token is empty"));
        }
        Ok(WindmillConnection {
            inner: Arc::new(Inner {
                base_url: parse_base("base URL", base_url)?,
                public_base_url: None,
                workspace,
                token,
                http: reqwest::Client::new(),
            }),
        })
    }

    /// Shares the settings of a `wmill_http::Windmill` client: base URL, public base URL,
    /// workspace, token and its pooled HTTP client (timeouts, user agent, TLS included).
    ///
    /// ```
    /// let wm = wmill_http::Windmill::builder()
    ///     .with_base_url("http://localhost:8000")
    ///     .with_workspace("demo")
    ///     .with_token("secret")
    ///     .build()?;
    /// let conn = wmill_s3::WindmillConnection::from_http_client(&wm)?;
    /// assert_eq!(conn.base_url().as_str(), "http://localhost:8000/");
    /// assert_eq!(conn.workspace(), "demo");
    /// let client = wmill_s3::S3Client::from_windmill(conn, wmill_s3::StorageAccess::Auto);
    /// # Ok::<(), wmill_core::Error>(())
    /// ```
    pub fn from_http_client(wm: &wmill_http::Windmill) -> Result<Self> {
        let conn = Self::new(
            wm.base_url().as_str(),
            wm.workspace().as_str(),
            wm.expose_token(),
        )?
        .with_http_client(wm.http_client().clone());
        match wm.public_base_url() {
            Some(public) => conn.with_public_base_url(public.as_str()),
            None => Ok(conn),
        }
    }

    /// Reads the process environment, as [`WindmillConnection::from_env_vars`].
    pub fn from_env() -> Result<Self> {
        Self::from_env_vars(std::env::vars())
    }

    /// Builds from `(name, value)` pairs as Windmill sets them in a job: base URL =
    /// `BASE_INTERNAL_URL` > `WM_BASE_URL`; public base URL (for presigned links) = `WM_BASE_URL`;
    /// `WM_WORKSPACE`; `WM_TOKEN`. Empty values count as missing.
    ///
    /// # Errors
    /// [`Error::NotConfigured`] naming the variable to set; [`Error::InvalidInput`] for bad values.
    pub fn from_env_vars<I, K, V>(vars: I) -> Result<Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let (mut internal, mut public, mut workspace, mut token) = (None, None, None, None);
        for (k, v) in vars {
            let v: String = v.into();
            if v.is_empty() {
                continue;
            }
            match k.as_ref() {
                "BASE_INTERNAL_URL" => internal = Some(v),
                "WM_BASE_URL" => public = Some(v),
                "WM_WORKSPACE" => workspace = Some(v),
                "WM_TOKEN" => token = Some(v),
                _ => {}
            }
        }
        let base = internal
            .clone()
            .or_else(|| public.clone())
            .ok_or(Error::NotConfigured {
                what: "Windmill base URL",
                hint: "set BASE_INTERNAL_URL or WM_BASE_URL (Windmill sets both in jobs)".into(),
            })?;
        let workspace = workspace.ok_or(Error::NotConfigured {
            what: "Windmill workspace",
            hint: "set WM_WORKSPACE".into(),
        })?;
        let token = token.ok_or(Error::NotConfigured {
            what: "Windmill token",
            hint: "set WM_TOKEN".into(),
        })?;
        let conn = Self::new(&base, workspace, token)?;
        match public {
            Some(p) => conn.with_public_base_url(&p),
            None => Ok(conn),
        }
    }

    /// Uses `client` for every request (timeouts, proxies, TLS roots are its settings).
    pub fn with_http_client(self, client: reqwest::Client) -> Self {
        self.map_inner(|inner| inner.http = client)
    }

    /// Sets the public base URL used in presigned links (default: `WM_BASE_URL` when read from
    /// the environment, else the base URL).
    pub fn with_public_base_url(self, url: &str) -> Result<Self> {
        let url = parse_base("public base URL", url)?;
        Ok(self.map_inner(|inner| inner.public_base_url = Some(url)))
    }

    fn map_inner(self, f: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = match Arc::try_unwrap(self.inner) {
            Ok(inner) => inner,
            Err(shared) => Inner {
                base_url: shared.base_url.clone(),
                public_base_url: shared.public_base_url.clone(),
                workspace: shared.workspace.clone(),
                token: shared.token.clone(),
                http: shared.http.clone(),
            },
        };
        f(&mut inner);
        WindmillConnection {
            inner: Arc::new(inner),
        }
    }

    /// The server root (ends with `/`).
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The root used in public (presigned) links: the explicit one, else the base URL.
    pub fn public_base_url(&self) -> &Url {
        self.inner
            .public_base_url
            .as_ref()
            .unwrap_or(&self.inner.base_url)
    }

    /// The workspace id.
    pub fn workspace(&self) -> &str {
        &self.inner.workspace
    }

    /// The HTTP client.
    pub fn http_client(&self) -> &reqwest::Client {
        &self.inner.http
    }

    pub(crate) fn token(&self) -> &str {
        &self.inner.token
    }

    /// `{base}/api/w/{ws}/{path}` with `query` pairs (`None` values are left out).
    pub(crate) fn url(&self, path: &str, query: &[(&str, Option<&str>)]) -> Result<Url> {
        let mut url = self
            .inner
            .base_url
            .join(&format!("api/w/{}/{}", self.inner.workspace, path))
            .map_err(|e| Error::invalid("URL", e.to_string()))?;
        let present: Vec<(&str, &str)> = query
            .iter()
            .filter_map(|(k, v)| v.map(|v| (*k, v)))
            .collect();
        if !present.is_empty() {
            url.query_pairs_mut().extend_pairs(present);
        }
        Ok(url)
    }

    /// A request with the bearer token; returns it with its `METHOD /path` label for errors.
    pub(crate) fn request(
        &self,
        method: reqwest::Method,
        url: Url,
    ) -> (reqwest::RequestBuilder, String) {
        let label = format!("{method} {}", url.path());
        let rb = self
            .inner
            .http
            .request(method, url)
            .bearer_auth(&self.inner.token);
        (rb, label)
    }

    /// Sends and checks the status: 2xx -> the response; 401/403 -> Unauthorized; 404 ->
    /// NotFound(`kind`, `item`); others -> Api (body truncated); transport -> Transport.
    pub(crate) async fn send(
        &self,
        rb: reqwest::RequestBuilder,
        label: &str,
        kind: ItemKind,
        item: &str,
    ) -> Result<reqwest::Response> {
        tracing::debug!(request = label, "windmill request");
        let resp = rb.send().await.map_err(|e| Error::Transport {
            request: label.to_owned(),
            source: Box::new(e.without_url()),
        })?;
        let status = resp.status().as_u16();
        if resp.status().is_success() {
            return Ok(resp);
        }
        let body = truncate(resp.text().await.unwrap_or_default());
        Err(match status {
            401 | 403 => Error::Unauthorized {
                status,
                request: label.to_owned(),
                body,
            },
            404 => Error::NotFound {
                kind,
                path: item.to_owned(),
            },
            _ => Error::Api {
                status,
                request: label.to_owned(),
                body,
            },
        })
    }

    /// [`Self::send`], then decodes the JSON body.
    pub(crate) async fn send_json<T: DeserializeOwned>(
        &self,
        rb: reqwest::RequestBuilder,
        label: &str,
        kind: ItemKind,
        item: &str,
    ) -> Result<T> {
        let resp = self.send(rb, label, kind, item).await?;
        let bytes: Bytes = resp.bytes().await.map_err(|e| Error::Transport {
            request: label.to_owned(),
            source: Box::new(e.without_url()),
        })?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Decode {
            request: label.to_owned(),
            body_excerpt: truncate(
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned(),
            ),
            source: Box::new(e),
        })
    }
}

fn truncate(mut text: String) -> String {
    const MAX: usize = 1000;
    if text.len() > MAX {
        let mut cut = MAX;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_precedence_and_errors() {
        let conn = WindmillConnection::from_env_vars([
            ("WM_BASE_URL", "https://pub.example.com/"),
            ("WM_WORKSPACE", "ws"),
            ("WM_TOKEN", "tok"),
        ])
        .unwrap();
        assert_eq!(conn.base_url().as_str(), "https://pub.example.com/");
        let url = conn
            .url("job_helpers/x", &[("a", Some("b c")), ("n", None)])
            .unwrap();
        assert_eq!(
            url.as_str(),
            "https://pub.example.com/api/w/ws/job_helpers/x?a=b+c"
        );

        let err = WindmillConnection::from_env_vars([("WM_WORKSPACE", "ws"), ("WM_TOKEN", "t")])
            .unwrap_err();
        assert!(matches!(err, Error::NotConfigured { .. }), "{err}");
        assert!(err.to_string().contains("BASE_INTERNAL_URL"));
        let err =
            WindmillConnection::from_env_vars([("WM_BASE_URL", "http://x"), ("WM_TOKEN", "")])
                .unwrap_err();
        assert!(err.to_string().contains("WM_WORKSPACE"));
        assert!(WindmillConnection::new("ftp://x", "ws", "t").is_err());
        assert!(WindmillConnection::new("http://x", "a/b", "t").is_err());
    }

    #[test]
    fn api_suffix_is_dropped() {
        for base in ["http://h/api", "http://h/api/", "http://h"] {
            let conn = WindmillConnection::new(base, "ws", "t").unwrap();
            assert_eq!(conn.base_url().as_str(), "http://h/", "{base}");
        }
    }

    #[test]
    fn base_with_path_keeps_it() {
        let conn = WindmillConnection::new("http://h:81/windmill", "ws", "t").unwrap();
        assert_eq!(
            conn.url("p", &[]).unwrap().as_str(),
            "http://h:81/windmill/api/w/ws/p"
        );
    }
}
