//! The backend the environment asks for: [`backend_from_env`] lays the `WM_MOCKED_API_FILE`
//! mock over the server (or over an in-memory backend when no server is named).

use std::sync::Arc;

use crate::client::Windmill;

/// The environment variable naming the Python client's mock-API file.
pub const MOCKED_API_FILE_VAR: &str = "WM_MOCKED_API_FILE";

/// The backend the environment asks for.
///
/// - `WM_MOCKED_API_FILE` set: a [`MockOverlay`](wmill_core::MockOverlay), as the Python and
///   TypeScript clients use the file. Variables, resources and state are looked up in the file
///   first; a miss falls through to the Windmill server when the environment names one
///   (`BASE_INTERNAL_URL` or `WM_BASE_URL`, then `WM_TOKEN` and `WM_WORKSPACE` are required),
///   else to an empty [`InMemory`](wmill_core::InMemory). Sets go to the mock, kept in memory
///   unless `WMILL_MOCKED_API_PERSIST=1` saves them to the file. Jobs go to the server (or the
///   in-memory backend).
/// - otherwise [`Windmill::from_env`].
///
/// ```no_run
/// let backend = wmill_http::backend_from_env()?;
/// # Ok::<(), wmill_core::Error>(())
/// ```
pub fn backend_from_env() -> wmill_core::Result<Arc<dyn wmill_core::Backend>> {
    backend_from_vars(std::env::vars())
}

/// [`backend_from_env`] over environment-shaped `(name, value)` pairs.
///
/// ```
/// # use wmill_core::VariableStore;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// # let dir = std::env::temp_dir().join(format!("wmill-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let file = dir.join("mock.json");
/// std::fs::write(&file, r#"{"variables": {"u/me/x": "42"}, "resources": {}}"#).unwrap();
/// let backend = wmill_http::backend_from_vars([
///     ("WM_MOCKED_API_FILE".to_owned(), file.display().to_string()),
/// ])?;
/// assert!(format!("{backend:?}").starts_with("MockOverlay"));
/// assert_eq!(backend.get_variable(&wmill_core::ItemPath::parse("u/me/x")?).await?, "42");
/// # Ok(()) }
/// ```
pub fn backend_from_vars(
    vars: impl IntoIterator<Item = (String, String)>,
) -> wmill_core::Result<Arc<dyn wmill_core::Backend>> {
    Ok(env_backends(vars)?.stores)
}

/// The backends the environment describes, in pieces: what [`backend_from_vars`] and
/// `wmill::Client::from_vars` are made of. The one place where environment-shaped pairs become
/// backends.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EnvBackends {
    /// The Windmill server the pairs name (`None`: `WM_MOCKED_API_FILE` without a server).
    pub windmill: Option<Windmill>,
    /// The configured backend: the server, else an empty [`InMemory`](wmill_core::InMemory).
    /// Jobs go there.
    pub base: Arc<dyn wmill_core::Backend>,
    /// The backend of variables, resources and state: with `WM_MOCKED_API_FILE` the mock
    /// over [`base`](Self::base), else `base` itself.
    pub stores: Arc<dyn wmill_core::Backend>,
}

/// [`backend_from_vars`] in pieces (see [`EnvBackends`]).
///
/// ```
/// let env = wmill_http::env_backends([
///     ("WM_BASE_URL".to_owned(), "https://windmill.example".to_owned()),
///     ("WM_TOKEN".to_owned(), "tok".to_owned()),
///     ("WM_WORKSPACE".to_owned(), "demo".to_owned()),
/// ])?;
/// assert_eq!(env.windmill.map(|wm| wm.workspace().as_str().to_owned()).as_deref(), Some("demo"));
/// # Ok::<(), wmill_core::Error>(())
/// ```
pub fn env_backends(
    vars: impl IntoIterator<Item = (String, String)>,
) -> wmill_core::Result<EnvBackends> {
    let vars: Vec<(String, String)> = vars.into_iter().collect();
    let mock = wmill_core::MockApiSettings::from_vars(&vars)?;
    let windmill = if mock.is_none() || names_a_server(&vars) {
        Some(Windmill::from_vars(vars)?)
    } else {
        None
    };
    let base: Arc<dyn wmill_core::Backend> = match &windmill {
        Some(wm) => Arc::new(wm.clone()),
        None => Arc::new(wmill_core::InMemory::new()),
    };
    let stores = match mock {
        Some(mock) => Arc::new(mock.open(base.clone())?),
        None => base.clone(),
    };
    Ok(EnvBackends {
        windmill,
        base,
        stores,
    })
}

/// Whether the pairs name a Windmill server (`BASE_INTERNAL_URL` or `WM_BASE_URL`).
fn names_a_server(vars: &[(String, String)]) -> bool {
    vars.iter()
        .any(|(k, v)| (k == "BASE_INTERNAL_URL" || k == "WM_BASE_URL") && !v.trim().is_empty())
}
