//! Parsing a [`JobId`] from text. It lives apart from the type because [`Error`] carries job
//! ids: the type does not need the error, only its parse does.

use uuid::Uuid;

use super::JobId;
use crate::{Error, Result};

impl JobId {
    /// Parses a job id (any UUID form the `uuid` crate accepts, surrounding whitespace trimmed:
    /// the server answers job starts with the id as plain text).
    pub fn parse(id: impl AsRef<str>) -> Result<Self> {
        let s = id.as_ref().trim();
        Uuid::parse_str(s)
            .map(JobId::from)
            .map_err(|e| Error::invalid("job id", format!("{s:?} is not a UUID: {e}")))
    }
}

crate::__parse_impls!(JobId);
