//! [`Client::from_env`]: the client the environment describes.

use wmill_core::Result;

use crate::Client;

impl Client {
    /// The client the environment describes.
    ///
    /// - `WM_MOCKED_API_FILE` set: the mock-API file over the configured backend, as the Python
    ///   and TypeScript clients use it (see [`Client::from_vars`]).
    /// - otherwise (feature `http`): a Windmill client from `BASE_INTERNAL_URL` / `WM_BASE_URL`,
    ///   `WM_TOKEN`, `WM_WORKSPACE` and the job variables; a missing one is
    ///   [`Error::NotConfigured`](wmill_core::Error::NotConfigured) naming it.
    pub fn from_env() -> Result<Self> {
        Self::from_vars(std::env::vars())
    }

    /// [`Client::from_env`] over environment-shaped `(name, value)` pairs.
    ///
    /// With `WM_MOCKED_API_FILE`, variables, resources and state go through a
    /// [`MockOverlay`](wmill_core::MockOverlay): a hit returns the mocked value, a miss falls
    /// through to the configured backend (the Windmill server when `BASE_INTERNAL_URL` or
    /// `WM_BASE_URL` names one, an empty [`InMemory`](wmill_core::InMemory) otherwise), a set
    /// writes to the mock (kept in memory, as in Python; saved to the file, atomically, with
    /// `WMILL_MOCKED_API_PERSIST=1`). Jobs, the server helpers and S3 use the configured
    /// backend unchanged. The pairs are read by `wmill_http::env_backends`, the one place
    /// that does it.
    ///
    /// ```
    /// # fn main() -> wmill::Result<()> {
    /// # let dir = std::env::temp_dir().join(format!("wmill-doc-client-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let file = dir.join("mock.json");
    /// std::fs::write(&file, r#"{"variables": {"u/me/key": "mocked"}, "resources": {}}"#).unwrap();
    /// let client = wmill::Client::from_vars([
    ///     ("WM_MOCKED_API_FILE".to_owned(), file.display().to_string()),
    /// ])?;
    /// wmill::set_client(client);
    /// assert_eq!(wmill::blocking::get_variable("u/me/key")?, "mocked");
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "http")]
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self> {
        let env = wmill_http::env_backends(vars)?;
        let mut client = match env.windmill {
            Some(windmill) => Client::windmill(windmill),
            None => Client::from_arc(env.base),
        };
        client.variables = Some(env.stores.clone());
        client.resources = Some(env.stores.clone());
        client.state = Some(env.stores);
        Ok(client)
    }

    /// [`Client::from_env`] over environment-shaped `(name, value)` pairs: without the `http`
    /// feature, only `WM_MOCKED_API_FILE` (over an empty [`InMemory`](wmill_core::InMemory))
    /// describes a client.
    #[cfg(not(feature = "http"))]
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self> {
        let vars: Vec<(String, String)> = vars.into_iter().collect();
        let Some(mock) = wmill_core::MockApiSettings::from_vars(&vars)? else {
            return Err(wmill_core::Error::NotConfigured {
                what: "wmill client",
                hint: "enable the `http` feature of `wmill`, set WM_MOCKED_API_FILE, or call \
                       wmill::set_client(...)"
                    .to_owned(),
            });
        };
        let memory = std::sync::Arc::new(wmill_core::InMemory::new());
        let overlay = std::sync::Arc::new(mock.open(memory.clone())?);
        let mut client = Client::from_arc(memory);
        client.variables = Some(overlay.clone());
        client.resources = Some(overlay.clone());
        client.state = Some(overlay);
        Ok(client)
    }
}
