//! [`MockApiSettings`]: the environment variables that turn the overlay on.

use std::path::PathBuf;
use std::sync::Arc;

use crate::{Backend, Error, Result};

use super::mock_overlay::{MOCKED_API_FILE_VAR, MOCKED_API_PERSIST_VAR, MockOverlay};

/// What the environment says about the mock-API file: `WM_MOCKED_API_FILE` (the file),
/// [`MOCKED_API_PERSIST_VAR`] (save sets to it) and `WM_STATE_PATH_NEW` / `WM_STATE_PATH`
/// (the state path).
///
/// ```
/// use wmill_core::MockApiSettings;
///
/// let vars = [
///     ("WM_MOCKED_API_FILE".to_owned(), "mock.json".to_owned()),
///     ("WMILL_MOCKED_API_PERSIST".to_owned(), "true".to_owned()),
/// ];
/// let settings = MockApiSettings::from_vars(&vars)?.expect("the file is named");
/// assert!(settings.persist);
/// assert_eq!(MockApiSettings::from_vars(&[])?, None);
/// # Ok::<(), wmill_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MockApiSettings {
    /// The mock-API file.
    pub file: PathBuf,
    /// Whether sets are saved to the file (default `false`: in memory, as in Python).
    pub persist: bool,
    /// The state path, when the environment names one.
    pub state_path: Option<String>,
}

impl MockApiSettings {
    /// The settings in environment-shaped `(name, value)` pairs; `None` when
    /// `WM_MOCKED_API_FILE` is unset or blank.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when [`MOCKED_API_PERSIST_VAR`] is neither a true nor a false
    /// word.
    pub fn from_vars(vars: &[(String, String)]) -> Result<Option<Self>> {
        let get = |name: &str| {
            vars.iter()
                .find(|(k, v)| k == name && !v.trim().is_empty())
                .map(|(_, v)| v.trim())
        };
        let Some(file) = get(MOCKED_API_FILE_VAR) else {
            return Ok(None);
        };
        let persist = match get(MOCKED_API_PERSIST_VAR).map(str::to_ascii_lowercase) {
            None => false,
            Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => true,
            Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => false,
            Some(v) => {
                return Err(Error::invalid(
                    "environment",
                    format!(
                        "{MOCKED_API_PERSIST_VAR}={v:?}: expected 1/true/yes/on or 0/false/no/off"
                    ),
                ));
            }
        };
        Ok(Some(MockApiSettings {
            file: PathBuf::from(file),
            persist,
            state_path: get("WM_STATE_PATH_NEW")
                .or_else(|| get("WM_STATE_PATH"))
                .map(str::to_owned),
        }))
    }

    /// The overlay these settings describe, over `base`.
    pub fn open(&self, base: Arc<dyn Backend>) -> Result<MockOverlay> {
        let overlay = if self.persist {
            MockOverlay::from_file_persisted(&self.file, base)?
        } else {
            MockOverlay::from_file(&self.file, base)?
        };
        match &self.state_path {
            Some(p) => overlay.with_state_path(p),
            None => Ok(overlay),
        }
    }
}
