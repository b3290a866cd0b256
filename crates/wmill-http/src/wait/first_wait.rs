//! The schedule of a wait without history: the server's event stream, opened at once, and
//! polls placed between the stream's own checks.

use std::time::Duration;

use wmill_core::PollSchedule;

/// How long one event stream lives on the server (it then sends a `timeout` event, and the
/// client opens a new one, whose checks restart the fast schedule).
const STREAM_LIFE: Duration = Duration::from_secs(60);
/// The most polls one plan holds (a guard against a tuning of zero gaps).
const MAX_PLANNED_POLLS: usize = 1000;

/// The schedule of a wait that has no history to go by: the first synchronous run of a script
/// or flow, every run of a client that does not learn ([`WaitHistory`](crate::WaitHistory)),
/// and [`wait_job`](wmill_core::JobRunner::wait_job) on a job that this client did not start.
///
/// Such a wait opens the server's event stream
/// (`GET jobs_u/getupdate_sse/{id}?only_result=true&fast=true`) at once. The server checks the
/// job for that stream on its own clock from when it received the request (at once, then every
/// 100 ms ten times, every 500 ms up to the 100th check, then every 3 s, and the stream ends
/// after 60 s, when the client opens the next one): those checks cost no request. Between two
/// of them the client polls `get_result_maybe` where the stream alone would leave a gap longer
/// than [`gap`](Self::gap) after `t` of waiting: the largest of
/// [`min_gap`](Self::min_gap) (10 ms) and [`fraction`](Self::fraction) (0.2) × `t`. Within each
/// gap between two stream checks, the polls are spread evenly when that keeps every gap within
/// the bound, otherwise taken one allowed gap after the other. A job ending at a random moment
/// is then seen on average within half a gap: max(5 ms, 10 % of its duration). With the
/// defaults, polls come every 10 ms up to 60 ms, then at growing gaps (3 between the stream's
/// checks at 100 and 200 ms, 2 up to 300 ms, one in the middle of each 100 ms up to 500 ms),
/// none from 500 ms to 1 s (the stream's 100 ms checks suffice), 4 between 1 s and 2.5 s
/// (where the stream checks every 500 ms), and none after 2.5 s: 19 polls in all, so a 10 s
/// job costs 21 requests (its start and the stream included).
///
/// `wait_job` on a job this client did not start polls once at once first (the job may have
/// completed long ago); a run that was just started does not (its first check is the
/// stream's), unless it may end at once: a run with
/// [`cache_ttl`](wmill_core::RunOptions::cache_ttl) (a cached result completes it at once), or
/// any run with [`poll_at_start`](Self::poll_at_start). A job that is done at once then costs
/// 2 requests (the start and the poll) instead of 3 (the start, the stream, and a poll for the
/// success flag that the stream's `only_result` update lacks); any other costs one more.
///
/// ```
/// use std::time::Duration;
/// use wmill_http::{FirstWait, WaitTuning};
///
/// let first = FirstWait::default();
/// assert_eq!(first.gap(Duration::from_millis(20)), Duration::from_millis(10));
/// assert_eq!(first.gap(Duration::from_secs(1)), Duration::from_millis(200));
/// // Fewer polls, later news: gaps of 30 % of the time waited, at least 20 ms.
/// let sparse = FirstWait::default()
///     .min_gap(Duration::from_millis(20))
///     .fraction(0.3);
/// let tuning = WaitTuning::default().first(sparse);
/// assert_eq!(tuning.first.fraction, 0.3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct FirstWait {
    /// The shortest gap between two checks (default 10 ms; at least 1 ms).
    pub min_gap: Duration,
    /// The longest gap between two checks as a fraction of the time waited (default 0.2).
    pub fraction: f64,
    /// Whether a synchronous run polls once right after its start, before it opens the event
    /// stream (default `false`; runs with `cache_ttl` always do).
    pub poll_at_start: bool,
}

impl Default for FirstWait {
    fn default() -> Self {
        FirstWait {
            min_gap: Duration::from_millis(10),
            fraction: 0.2,
            poll_at_start: false,
        }
    }
}

impl FirstWait {
    setters! {
        #![must_use]
        /// Sets the shortest gap between two checks (at least 1 ms).
        min_gap(gap: Duration) => min_gap: gap;
        /// Sets the longest gap as a fraction of the time waited (a negative or non-finite
        /// fraction counts as 0).
        fraction(fraction: f64) => fraction: fraction;
        /// Sets whether a synchronous run polls once right after its start (for scripts that often
        /// end at once).
        poll_at_start(on: bool) => poll_at_start: on;
    }

    /// The longest gap between two checks after `waited`: the larger of
    /// [`min_gap`](Self::min_gap) (at least 1 ms) and [`fraction`](Self::fraction) × `waited`.
    pub fn gap(&self, waited: Duration) -> Duration {
        // An adaptive polling schedule without a cap.
        let min = self.min_gap.max(Duration::from_millis(1));
        PollSchedule::new(min, Duration::MAX, self.fraction).next_interval(waited)
    }
}

/// The last check of a stream within its life (60 s): the 105th, at 58 s.
pub(crate) const MAX_STREAM_CHECK: u32 = 104;

/// The server's check `k` of an event stream opened with `fast=true`, from the stream's
/// request (check 0 at once; 100 ms ten times; 500 ms up to the 100th; then 3 s).
pub(crate) fn stream_check(k: u32) -> Duration {
    let ms = match k {
        0..=10 => u64::from(k) * 100,
        11..=100 => 1000 + u64::from(k - 10) * 500,
        _ => 46_000 + u64::from(k - 100) * 3000,
    };
    Duration::from_millis(ms)
}

/// The polls that complement an event stream opened at `opened`, as offsets from the start of
/// the wait; `age` is how long the job had been running when the wait started (the gaps grow
/// with the time since the job's start). Polls stop with the stream's first connection (60 s),
/// or as soon as the stream's own checks are close enough.
pub(crate) fn plan(first: &FirstWait, opened: Duration, age: Duration) -> Vec<Duration> {
    let gap = |t: Duration| first.gap(t.saturating_add(age));
    let mut polls = Vec::new();
    let mut k = 0;
    loop {
        let a = opened.saturating_add(stream_check(k));
        let b = opened.saturating_add(stream_check(k + 1));
        if stream_check(k + 1) > STREAM_LIFE {
            break;
        }
        // The fewest polls that keep every gap within the bound: one allowed gap after the
        // other (the bound grows with the time waited).
        let mut greedy = Vec::new();
        let mut t = a;
        loop {
            let next = t.saturating_add(gap(t));
            if next >= b || polls.len() + greedy.len() >= MAX_PLANNED_POLLS {
                break;
            }
            greedy.push(next);
            t = next;
        }
        if greedy.is_empty() {
            if gap(a) >= Duration::from_secs(3) {
                // Every later gap of the stream is at most 3 s, the bound only grows.
                break;
            }
        } else {
            // The same number spread evenly, when that keeps each gap within the bound at its
            // start (a last poll just before the stream's check would be wasted).
            let n = greedy.len() as u32;
            let even = (b - a) / (n + 1);
            if even <= gap(a) {
                polls.extend((1..=n).map(|i| a + even * i));
            } else {
                polls.extend(greedy);
            }
        }
        if polls.len() >= MAX_PLANNED_POLLS {
            break;
        }
        k += 1;
    }
    polls
}

#[cfg(test)]
mod tests;
