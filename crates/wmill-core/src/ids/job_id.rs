//! [`JobId`]: the id of a Windmill job, and the random ids the crate makes.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

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
