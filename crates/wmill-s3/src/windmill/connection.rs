//! [`WindmillConnection`]: a view of a `wmill_http::Windmill` client for storage calls.

use std::fmt;

use url::Url;
use wmill_core::{Error, RemoteCause, Result};
use wmill_http::reqwest::Method;
use wmill_http::{Request, Windmill, WindmillBuilder};

/// Where and as whom storage calls reach the Windmill server: a view of a
/// [`wmill_http::Windmill`] client, plus the public base URL of presigned links.
///
/// Every request goes through that client: the same base URL, workspace, token, connection
/// pool, request and idle timeouts, retries, body limit and typed errors as every other call of
/// the SDK. Cheap to clone; `Debug` never shows the token.
///
/// Each call runs in a `tracing` span named after it (`s3_resource_info`, `sign_s3_objects`,
/// `load_file_preview`, ...) with the `workspace` and, where the call has them, the `storage`,
/// `key`, `resource` or `folder` as fields, each request a child `http` span. Credentials and
/// signatures the server answers are never fields. Called through an
/// [`S3Client`](crate::S3Client) method of the same name, the call shows once (the client's
/// span).
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
    wm: Windmill,
    /// The server root (`{base}/`, without `api/`).
    root: Url,
    /// The root of presigned links, when it differs from `root`.
    public: Option<Url>,
}

impl fmt::Debug for WindmillConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WindmillConnection")
            .field("base_url", &self.root.as_str())
            .field("public_base_url", &self.public.as_ref().map(Url::as_str))
            .field("workspace", &self.workspace())
            .field("token", &"***")
            .finish()
    }
}

/// The server root of a URL: a trailing `/api` (a common mistake) dropped, no query or
/// fragment, ending with `/`.
fn server_root(what: &'static str, raw: &str) -> Result<Url> {
    // A URL with `@` may hold a password: it is never quoted in a message.
    let shown = if raw.contains('@') { "the URL" } else { raw };
    let mut url =
        Url::parse(raw.trim()).map_err(|e| Error::invalid(what, format!("{shown:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::invalid(
            what,
            format!("{shown:?} is not an http(s) URL"),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Never echoed: the password would show in messages.
        return Err(Error::invalid(
            what,
            "a URL with a user name or password is refused (it would show in messages)",
        ));
    }
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
    /// `workspace`, with `token`, and the default settings of [`WindmillBuilder`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a base URL that is not http(s) or carries credentials, a
    /// workspace id that is not one; [`Error::NotConfigured`] for an empty token.
    pub fn new(
        base_url: &str,
        workspace: impl Into<String>,
        token: impl Into<String>,
    ) -> Result<Self> {
        let wm = Windmill::builder()
            .with_base_url(base_url)
            .with_workspace(workspace)
            .with_token(token)
            .build()?;
        Self::from_http_client(&wm)
    }

    /// A view of `wm`: its base URL, public base URL (`WM_BASE_URL`), workspace, token, pool,
    /// timeouts, retries and limits.
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
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the client's public base URL is not http(s).
    pub fn from_http_client(wm: &Windmill) -> Result<Self> {
        let root = server_root("base URL", wm.base_url().as_str())?;
        let public = match wm.public_base_url() {
            Some(public) => Some(server_root("public base URL", public.as_str())?),
            None => None,
        };
        Ok(WindmillConnection {
            wm: wm.clone(),
            root,
            public,
        })
    }

    /// Reads the process environment, as [`WindmillConnection::from_env_vars`].
    pub fn from_env() -> Result<Self> {
        Self::from_env_vars(std::env::vars())
    }

    /// Builds from `(name, value)` pairs as Windmill sets them in a job, read as
    /// [`WindmillBuilder::from_vars`] reads them: base URL = `BASE_INTERNAL_URL` >
    /// `WM_BASE_URL`; public base URL (for presigned links) = `WM_BASE_URL`; `WM_WORKSPACE`;
    /// `WM_TOKEN`. Empty values count as missing.
    ///
    /// # Errors
    /// [`Error::NotConfigured`] naming the variable to set; [`Error::InvalidInput`] for bad values.
    pub fn from_env_vars<I, K, V>(vars: I) -> Result<Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let vars = vars
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_owned(), v.into()));
        let wm = WindmillBuilder::from_vars(vars).build()?;
        Self::from_http_client(&wm)
    }

    /// Sets the public base URL used in presigned links (default: `WM_BASE_URL` when read from
    /// the environment, else the base URL).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a URL that is not http(s) or carries credentials.
    pub fn with_public_base_url(mut self, url: &str) -> Result<Self> {
        self.public = Some(server_root("public base URL", url)?);
        Ok(self)
    }

    /// The server root (ends with `/`).
    pub fn base_url(&self) -> &Url {
        &self.root
    }

    /// The root used in public (presigned) links: the explicit one, else the base URL.
    pub fn public_base_url(&self) -> &Url {
        self.public.as_ref().unwrap_or(&self.root)
    }

    /// The workspace id.
    pub fn workspace(&self) -> &str {
        self.wm.workspace().as_str()
    }

    /// The client every request goes through.
    pub fn windmill(&self) -> &Windmill {
        &self.wm
    }

    pub(crate) fn token(&self) -> &str {
        self.wm.expose_token()
    }

    /// `{base}/api/w/{ws}/s3_proxy/{segments}`, each segment percent-encoded (`what` names
    /// `base` in the error of a base that cannot have a path).
    pub(crate) fn s3_proxy_url<'a>(
        &self,
        what: &'static str,
        base: &Url,
        segments: impl IntoIterator<Item = &'a str>,
    ) -> Result<Url> {
        let head = ["api", "w", self.workspace(), "s3_proxy"];
        wmill_http::url_with_segments(
            base,
            head.into_iter()
                .chain(segments.into_iter().map(|s| s as &str)),
        )
        .map_err(|_| Error::invalid(what, "cannot be a base"))
    }

    /// A request to `{base}/api/w/{ws}/{path}` with the `Some` pairs of `query`.
    pub(crate) fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, Option<&str>)],
    ) -> Request<'_> {
        with_query(self.wm.workspace_request(method, path), query)
    }

    /// A `GET` of `{base}/api/w/{ws}/{path}` that only reads (retried like every read), with
    /// the `Some` pairs of `query`.
    pub(crate) fn read_request(&self, path: &str, query: &[(&str, Option<&str>)]) -> Request<'_> {
        self.request(Method::GET, path, query).idempotent()
    }
}

/// The span of a [`WindmillConnection`] call: `tracing::info_span!(name, fields...)`, or none
/// when the current span is already this call's (an `S3Client` method of the same name that
/// forwards to the connection), so a call never shows twice.
macro_rules! call_span {
    ($name:expr, $($fields:tt)*) => {
        if tracing::Span::current()
            .metadata()
            .is_some_and(|m| m.name() == $name)
        {
            tracing::Span::none()
        } else {
            tracing::info_span!($name, $($fields)*)
        }
    };
}
pub(crate) use call_span;

/// Sends `req` and decodes an answer that holds secrets (storage keys, signatures): a decode
/// error shows the answer's outline (keys and kinds), never a byte of its values.
pub(crate) async fn send_secret_json<T: serde::de::DeserializeOwned>(
    req: Request<'_>,
    method: &str,
) -> Result<T> {
    let request = format!("{method} {}", req.url().path());
    let origin = req.url().origin().ascii_serialization();
    let bytes = req.send_bytes().await?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| Error::Decode {
        request: request.clone(),
        body_excerpt: format!(
            "{} bytes that are not JSON (not shown: they may hold secrets)",
            bytes.len()
        ),
        source: Box::new(RemoteCause::new(&origin, e.to_string(), e)),
    })?;
    T::deserialize(&value).map_err(|e| at_server(Error::decode_secret(request, &value, e), &origin))
}

/// The [`Error::Decode`] of an answer to `request` that is not what the endpoint answers: an
/// excerpt of `body`, and why (`source`).
pub(crate) fn unexpected_answer(
    request: &str,
    body: &[u8],
    source: impl Into<wmill_core::BoxError>,
) -> Error {
    Error::Decode {
        request: request.to_owned(),
        body_excerpt: wmill_core::excerpt(body, wmill_core::MAX_DECODE_EXCERPT),
        source: source.into(),
    }
}

/// A decode error that names the server that sent the answer (its source becomes a
/// [`RemoteCause`] over the original one).
fn at_server(err: Error, origin: &str) -> Error {
    match err {
        Error::Decode {
            request,
            body_excerpt,
            source,
        } => Error::Decode {
            request,
            body_excerpt,
            source: Box::new(RemoteCause::new(origin, source.to_string(), source)),
        },
        other => other,
    }
}

/// Adds the `Some` pairs of `query` to `req`.
pub(crate) fn with_query<'c>(mut req: Request<'c>, query: &[(&str, Option<&str>)]) -> Request<'c> {
    for (key, value) in query {
        req = req.query_opt(key, *value);
    }
    req
}

#[cfg(test)]
mod tests;
