//! `WindmillCredentials`: the credential provider of a direct store, fetching a storage's
//! keys from `s3_resource_info` again when due, one refresh at a time.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use object_store::CredentialProvider;
use object_store::aws::AwsCredential;
use parking_lot::Mutex;

use super::{S3ResourceInfo, WindmillConnection};
use crate::error::{error_chain, to_store_error};

/// The longest a credential refresh that failed waits before the next attempt, while the
/// cached credentials are still valid.
const REFRESH_RETRY: Duration = Duration::from_secs(5);

/// The most credentials are refreshed ahead of the expiry the server announced.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// Credentials from `s3_resource_info`, fetched again when due.
///
/// When due: the server's answer may carry `expiration` (Windmill's `S3Resource` has an
/// optional `expiration: DateTime<Utc>`, in `backend/windmill-types/src/s3.rs`, sent for
/// credentials it derived from a role); they are then refreshed a margin before it (60 s, or
/// half the remaining lifetime when shorter). Without an expiry (static keys), or with one that
/// does not decode or is already past on this machine's clock, after the configured TTL.
///
/// One refresh at a time: concurrent callers that find the credentials due wait for the refresh
/// in flight and share its outcome (one request, not one per caller). A refresh that fails
/// while the cached credentials have not expired yet (expiry known from the server) returns
/// the cached ones and is tried again a few seconds later; once they have expired, or when
/// their expiry is unknown, the error is returned.
pub(super) struct WindmillCredentials {
    conn: WindmillConnection,
    resource: Option<String>,
    ttl: Duration,
    /// Held across a refresh: the single flight.
    gate: tokio::sync::Mutex<()>,
    slot: Mutex<CredentialSlot>,
}

/// Credentials with their schedule.
struct Cached {
    cred: Arc<AwsCredential>,
    /// When to fetch them again.
    refresh_at: Instant,
    /// When they stop working, if the server said so.
    expires_at: Option<Instant>,
}

#[derive(Default)]
struct CredentialSlot {
    current: Option<Cached>,
    /// After a failed refresh with valid credentials cached: no new attempt before then.
    retry_at: Option<Instant>,
    /// Finished refreshes (successful or not).
    attempts: u64,
    /// The message of the last refresh, when it failed, for the callers that waited for it.
    last_failure: Option<Arc<str>>,
}

impl CredentialSlot {
    /// The cached credentials if they can be used without a refresh at `now`.
    fn usable(&self, now: Instant) -> Option<Arc<AwsCredential>> {
        let c = self.current.as_ref()?;
        let due = now >= c.refresh_at && self.retry_at.is_none_or(|at| now >= at);
        let expired = c.expires_at.is_some_and(|at| now >= at);
        (!due && !expired).then(|| c.cred.clone())
    }

    /// The cached credentials if their known expiry is still ahead at `now`.
    fn still_valid(&self, now: Instant) -> Option<&Cached> {
        self.current
            .as_ref()
            .filter(|c| c.expires_at.is_some_and(|at| now < at))
    }
}

impl fmt::Debug for WindmillCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WindmillCredentials")
            .field("resource", &self.resource)
            .field("ttl", &self.ttl)
            .finish()
    }
}

/// When credentials fetched at `now` (wall clock `wall`) are due for a refresh, and when they
/// expire if `expires` (the server's expiry) is known and ahead.
fn schedule(
    expires: Option<SystemTime>,
    ttl: Duration,
    now: Instant,
    wall: SystemTime,
) -> (Instant, Option<Instant>) {
    let fallback = |now: Instant| (now.checked_add(ttl).unwrap_or(now), None);
    let Some(expires) = expires else {
        return fallback(now);
    };
    let remaining = match expires.duration_since(wall) {
        Ok(left) if !left.is_zero() => left,
        _ => {
            tracing::debug!(
                "the storage credentials' expiry is already past on this clock: refreshed after the configured TTL"
            );
            return fallback(now);
        }
    };
    let margin = EXPIRY_MARGIN.min(remaining / 2);
    match (
        now.checked_add(remaining - margin),
        now.checked_add(remaining),
    ) {
        (Some(refresh_at), Some(expires_at)) => (refresh_at, Some(expires_at)),
        _ => fallback(now),
    }
}

impl WindmillCredentials {
    /// A provider for `resource` (`None`: the default storage), starting from `first` when
    /// the caller already fetched it.
    pub(super) fn new(
        conn: WindmillConnection,
        resource: Option<String>,
        ttl: Duration,
        first: Option<S3ResourceInfo>,
    ) -> Self {
        let creds = WindmillCredentials {
            conn,
            resource,
            ttl,
            gate: tokio::sync::Mutex::new(()),
            slot: Mutex::new(CredentialSlot::default()),
        };
        if let Some(info) = first
            && let Ok(cached) = creds.cached_from(info)
        {
            creds.slot.lock().current = Some(cached);
        }
        creds
    }

    fn cached_from(&self, info: S3ResourceInfo) -> object_store::Result<Cached> {
        let expires = info.expires_at();
        if info.expiration.is_some() && expires.is_none() {
            tracing::debug!(
                resource = ?self.resource,
                "the storage credentials' expiry does not decode: refreshed after the configured TTL"
            );
        }
        let (Some(key_id), Some(secret_key)) = (info.access_key, info.secret_key) else {
            return Err(object_store::Error::Generic {
                store: "WindmillDirect",
                source: "the storage no longer has static keys".into(),
            });
        };
        let (refresh_at, expires_at) =
            schedule(expires, self.ttl, Instant::now(), SystemTime::now());
        Ok(Cached {
            cred: Arc::new(AwsCredential {
                key_id,
                secret_key,
                token: info.token,
            }),
            refresh_at,
            expires_at,
        })
    }

    async fn fetch(&self) -> object_store::Result<Cached> {
        tracing::debug!(resource = ?self.resource, "refreshing storage credentials from Windmill");
        let info = self
            .conn
            .s3_resource_info(self.resource.as_deref())
            .await
            .map_err(|e| to_store_error(e, "WindmillDirect"))?;
        self.cached_from(info)
    }
}
/// What went wrong, without object_store's `Generic ... error:` prefix around our own errors.
fn failure_text(e: &object_store::Error) -> String {
    match e {
        object_store::Error::Generic { source, .. } => error_chain(source.as_ref()),
        other => error_chain(other),
    }
}

#[async_trait]
impl CredentialProvider for WindmillCredentials {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        let seen = {
            let slot = self.slot.lock();
            if let Some(cred) = slot.usable(Instant::now()) {
                return Ok(cred);
            }
            slot.attempts
        };
        let _flight = self.gate.lock().await;
        {
            let slot = self.slot.lock();
            if let Some(cred) = slot.usable(Instant::now()) {
                return Ok(cred);
            }
            if slot.attempts != seen {
                // a refresh ended while this caller waited: its outcome, not another request
                if let Some(message) = &slot.last_failure {
                    return Err(object_store::Error::Generic {
                        store: "WindmillDirect",
                        source: format!("refreshing the storage credentials failed: {message}")
                            .into(),
                    });
                }
                if let Some(c) = &slot.current
                    && c.expires_at.is_none_or(|at| Instant::now() < at)
                {
                    return Ok(c.cred.clone());
                }
            }
        }
        let fetched = self.fetch().await;
        let now = Instant::now();
        let mut slot = self.slot.lock();
        slot.attempts += 1;
        match fetched {
            Ok(cached) => {
                let cred = cached.cred.clone();
                slot.current = Some(cached);
                slot.retry_at = None;
                slot.last_failure = None;
                Ok(cred)
            }
            Err(e) => {
                if let Some(valid) = slot.still_valid(now) {
                    let cred = valid.cred.clone();
                    let left = valid.expires_at.map(|at| at.saturating_duration_since(now));
                    let retry = now.checked_add(REFRESH_RETRY).unwrap_or(now);
                    slot.retry_at = Some(match valid.expires_at {
                        Some(at) => retry.min(at),
                        None => retry,
                    });
                    slot.last_failure = None;
                    tracing::debug!(
                        resource = ?self.resource,
                        error = %e,
                        valid_for = ?left,
                        "refreshing storage credentials failed: the cached ones are still valid"
                    );
                    return Ok(cred);
                }
                slot.last_failure = Some(Arc::from(failure_text(&e)));
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests;
