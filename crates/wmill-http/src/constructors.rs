//! The constructors of [`Windmill`]: [`Windmill::builder`], [`Windmill::from_env`] and
//! [`Windmill::from_vars`], all through [`WindmillBuilder`].

use wmill_core::Result;

use crate::client::Windmill;
use crate::config::WindmillBuilder;

impl Windmill {
    /// A builder with nothing set.
    pub fn builder() -> WindmillBuilder {
        WindmillBuilder::new()
    }

    /// A client configured from the process environment (`BASE_INTERNAL_URL` / `WM_BASE_URL`,
    /// `WM_TOKEN`, `WM_WORKSPACE`, `WM_JOB_ID`, ...; see [`WindmillBuilder`]). Always the HTTP
    /// backend; see [`backend_from_env`](crate::backend_from_env) for the `WM_MOCKED_API_FILE`
    /// aware constructor.
    pub fn from_env() -> Result<Self> {
        WindmillBuilder::from_env().build()
    }

    /// A client configured from environment-shaped `(name, value)` pairs.
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self> {
        WindmillBuilder::from_vars(vars).build()
    }
}
