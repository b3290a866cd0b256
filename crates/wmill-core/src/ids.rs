//! Job ids and script hashes.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Error, Result};

/// The id of a Windmill job: a UUID.
///
/// ```
/// use wmill_core::JobId;
///
/// let id: JobId = "0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12".parse()?;
/// assert_eq!(id.to_string(), "0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12");
/// assert!("not-a-uuid".parse::<JobId>().is_err());
/// # Ok::<(), wmill_core::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(Uuid);

impl JobId {
    /// Parses a job id (any UUID form the `uuid` crate accepts, surrounding whitespace trimmed:
    /// the server answers job starts with the id as plain text).
    pub fn parse(id: impl AsRef<str>) -> Result<Self> {
        let s = id.as_ref().trim();
        Uuid::parse_str(s)
            .map(JobId)
            .map_err(|e| Error::invalid("job id", format!("{s:?} is not a UUID: {e}")))
    }

    /// A new random (v4) job id, for callers that choose the id of a job they start
    /// (see [`RunOptions::job_id`](crate::RunOptions::job_id)).
    pub fn new_random() -> Self {
        JobId(random_uuid())
    }

    /// A job id from its 128-bit value (deterministic ids in tests and the in-memory backend).
    pub const fn from_u128(v: u128) -> Self {
        JobId(Uuid::from_u128(v))
    }

    /// The UUID.
    pub fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

/// A random (version 4) UUID. The 122 random bits come from std's per-process random hash
/// keys (seeded by the operating system), mixed with a counter and the clock, so that no two
/// calls in a process give the same value and other processes cannot guess them.
pub(crate) fn random_uuid() -> Uuid {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let keys = RandomState::new();
    let half = |salt: u64| {
        let mut h = keys.build_hasher();
        h.write_u64(salt);
        h.write_u64(n);
        h.write_u128(nanos);
        h.finish()
    };
    let bits = (u128::from(half(0)) << 64) | u128::from(half(1));
    uuid::Builder::from_random_bytes(bits.to_be_bytes()).into_uuid()
}

impl From<Uuid> for JobId {
    fn from(u: Uuid) -> Self {
        JobId(u)
    }
}

impl From<JobId> for Uuid {
    fn from(id: JobId) -> Self {
        id.0
    }
}

crate::__parse_impls!(JobId);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl fmt::Debug for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JobId({})", self.0.hyphenated())
    }
}

crate::validated::string_newtype! {
    /// The hash of a script version, as Windmill shows it: exactly 16 hexadecimal digits (a
    /// 64-bit value; the spec's "16-char hex string"), upper or lower case.
    ///
    /// ```
    /// use wmill_core::ScriptHash;
    ///
    /// let hash: ScriptHash = "4f2a9c01d3e5b7a8".parse()?;
    /// assert_eq!(hash.as_str(), "4f2a9c01d3e5b7a8");
    /// assert!("xyz".parse::<ScriptHash>().is_err());
    /// assert!("4f2a9c".parse::<ScriptHash>().is_err()); // too short
    /// # Ok::<(), wmill_core::Error>(())
    /// ```
    pub struct ScriptHash; debug: "{}({})"
}

impl ScriptHash {
    /// Parses and validates a script hash.
    pub fn parse(hash: impl AsRef<str>) -> Result<Self> {
        let raw = hash.as_ref();
        let bad = |reason: String| Err(Error::invalid("script hash", reason));
        if raw.is_empty() {
            return bad("the hash is empty".into());
        }
        if !raw.bytes().all(|b| b.is_ascii_hexdigit()) {
            return bad(format!("{raw:?} is not hexadecimal"));
        }
        // The server writes hashes as 16 hex digits (a 64-bit value) and refuses shorter ones.
        if raw.len() != 16 {
            return bad(format!(
                "{raw:?} has {} hex digits; a script hash has exactly 16",
                raw.len()
            ));
        }
        Ok(ScriptHash {
            raw: raw.to_ascii_lowercase(),
        })
    }

    /// The hash as a lower-case hex string.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

#[cfg(test)]
mod tests;
