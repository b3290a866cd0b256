//! [`Timestamp`]: a job time as the server writes it (RFC 3339), ordered and hashed by the
//! instant.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Error, Result};

/// A point in time as the server writes it: an RFC 3339 string (`2024-05-02T10:11:12.123456Z`),
/// kept as received, with the instant it denotes.
///
/// No date-time library is involved: the text is parsed by this crate (dates from year 0 to
/// 9999, any UTC offset, fractional seconds to the nanosecond). Equality, order and hashing
/// follow the instant, so `...T10:00:00Z` equals `...T12:00:00+02:00`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use wmill_core::Timestamp;
///
/// let t = Timestamp::parse("2024-01-01T00:00:01.5Z")?;
/// assert_eq!(t.as_str(), "2024-01-01T00:00:01.5Z");
/// assert_eq!(t.unix_millis(), 1_704_067_201_500);
/// assert_eq!(t, Timestamp::parse("2024-01-01T01:00:01.500+01:00")?);
/// assert_eq!(t.system_time(), UNIX_EPOCH + Duration::from_millis(1_704_067_201_500));
/// assert!(Timestamp::parse("yesterday").is_err());
///
/// let now = Timestamp::now();
/// assert!(now > t);
/// # Ok::<(), wmill_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Timestamp {
    text: String,
    time: SystemTime,
}

impl Timestamp {
    /// Parses an RFC 3339 date-time (`YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`; `t`, `z` and a
    /// space separator are accepted too). Anything else is [`Error::InvalidInput`].
    pub fn parse(text: impl Into<String>) -> Result<Self> {
        let text = text.into();
        match parse_rfc3339(&text) {
            Some(time) => Ok(Timestamp { text, time }),
            None => Err(Error::invalid(
                "timestamp",
                format!("{text:?} is not an RFC 3339 date-time (like 2024-05-02T10:11:12Z)"),
            )),
        }
    }

    /// The instant `time`, written in UTC with microseconds (`2024-05-02T10:11:12.123456Z`),
    /// as the server writes its timestamps.
    pub fn from_system_time(time: SystemTime) -> Self {
        let (secs, nanos) = match time.duration_since(UNIX_EPOCH) {
            Ok(d) => (d.as_secs() as i128, d.subsec_nanos()),
            Err(e) => {
                let d = e.duration();
                if d.subsec_nanos() == 0 {
                    (-(d.as_secs() as i128), 0)
                } else {
                    (-(d.as_secs() as i128) - 1, 1_000_000_000 - d.subsec_nanos())
                }
            }
        };
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = crate::listing::civil_from_days(days);
        let text = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60,
            nanos / 1000
        );
        // The text says microseconds: the instant says the same, so both sides agree.
        let time = parse_rfc3339(&text).unwrap_or(time);
        Timestamp { text, time }
    }

    /// The current time ([`Timestamp::from_system_time`] of `SystemTime::now()`).
    pub fn now() -> Self {
        Self::from_system_time(SystemTime::now())
    }

    /// The text as received.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The instant.
    pub fn system_time(&self) -> SystemTime {
        self.time
    }

    /// Milliseconds since the Unix epoch (negative before 1970).
    pub fn unix_millis(&self) -> i64 {
        match self.time.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            Err(e) => i64::try_from(e.duration().as_millis())
                .map(|ms| -ms)
                .unwrap_or(i64::MIN),
        }
    }

    /// How long after `earlier` this instant is; `None` when it is not after it.
    pub fn duration_since(&self, earlier: &Timestamp) -> Option<Duration> {
        self.time.duration_since(earlier.time).ok()
    }
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time
    }
}

impl Eq for Timestamp {}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        self.time.cmp(&other.time)
    }
}

impl Hash for Timestamp {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.time.hash(state);
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Timestamp").field(&self.text).finish()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Timestamp {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Timestamp::parse(s)
    }
}

impl From<SystemTime> for Timestamp {
    fn from(time: SystemTime) -> Self {
        Timestamp::from_system_time(time)
    }
}

impl From<Timestamp> for SystemTime {
    fn from(t: Timestamp) -> Self {
        t.time
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match parse_rfc3339(&text) {
            Some(time) => Ok(Timestamp { text, time }),
            None => Err(D::Error::custom("expected an RFC 3339 date-time")),
        }
    }
}

/// The one RFC 3339 parser of the crate (listing.rs).
fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    crate::listing::timestamp_from_rfc3339(s)
}
