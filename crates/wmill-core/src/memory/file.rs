//! The local mock-API file (`WM_MOCKED_API_FILE`): `{"variables": {...}, "resources": {...}}`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::sync::Mutex;
use crate::{Error, ItemPath, Result};

/// What the file holds. Unknown keys are ignored; `resource_types`, `secret_variables` and
/// `variable_descriptions` are our additions (optional), so resource types, secret flags and
/// descriptions survive a round trip.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct MockFileData {
    #[serde(default)]
    pub(super) variables: BTreeMap<String, Value>,
    #[serde(default)]
    pub(super) resources: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(super) resource_types: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    pub(super) secret_variables: std::collections::BTreeSet<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(super) variable_descriptions: BTreeMap<String, String>,
}

/// A mock file on disk, written atomically (temp file + rename) and in order.
#[derive(Debug)]
pub(super) struct MockFile {
    path: PathBuf,
    /// The sequence number of the last snapshot written; later snapshots win.
    written: Mutex<u64>,
}

impl MockFile {
    pub(super) fn new(path: PathBuf) -> Self {
        MockFile {
            path,
            written: Mutex::new(0),
        }
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the file; a missing file is empty.
    pub(super) fn load(&self) -> Result<MockFileData> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Default::default()),
            Err(e) => return Err(self.io_error("reading", e)),
        };
        if text.trim().is_empty() {
            return Ok(Default::default());
        }
        // The file holds secret values: the error says where it is malformed, not what it holds.
        serde_json::from_str(&text).map_err(|e| Error::Decode {
            request: format!("mock API file {}", self.path.display()),
            body_excerpt: "(not shown: the file may hold secrets)".into(),
            source: crate::error::redacted(e),
        })
    }

    /// Writes snapshot number `seq` unless a later one was already written.
    pub(super) fn store(&self, seq: u64, data: &MockFileData) -> Result<()> {
        let mut written = self.written.lock();
        if seq <= *written {
            return Ok(());
        }
        let mut text = serde_json::to_vec_pretty(data).map_err(|e| Error::Storage {
            operation: format!("serializing the mock API file {}", self.path.display()),
            source: Box::new(e),
        })?;
        text.push(b'\n');
        crate::local::write_atomic(&self.path, &text).map_err(|e| self.io_error("writing", e))?;
        *written = seq;
        Ok(())
    }

    fn io_error(&self, doing: &str, e: std::io::Error) -> Error {
        Error::Storage {
            operation: format!("{doing} the mock API file {}", self.path.display()),
            source: Box::new(e),
        }
    }
}

pub(super) fn parse_path(raw: &str, file: &Path) -> Result<ItemPath> {
    ItemPath::parse(raw).map_err(|e| {
        Error::invalid(
            "mock API file",
            format!("{}: bad path {raw:?}: {e}", file.display()),
        )
    })
}
