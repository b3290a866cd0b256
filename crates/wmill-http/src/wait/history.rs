//! What waits remember of earlier runs: per script or flow, the durations of its last few
//! successful runs, in a bounded map shared by a client's clones (see
//! [`WaitHistory`](crate::WaitHistory) for the rule that uses them); and, for the jobs the
//! client started without waiting, what they run and when they were started, so that a later
//! `wait_job` on one of them learns as a synchronous run does.

use std::collections::HashMap;
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use wmill_core::JobId;

use crate::wait::tuning::WaitHistory;

const SAMPLES: usize = WaitHistory::SAMPLES;

/// One successful run, as seen by the client: `total` from the start request to the answer that
/// showed it completed, `run` from the last moment it was seen queued (or the start request) to
/// that answer (both upper bounds of the real figures), and `lo` from the start request to the
/// last poll that found it not completed (a lower bound of its total; zero if none did).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Sample {
    pub(crate) total: Duration,
    pub(crate) run: Duration,
    pub(crate) lo: Duration,
}

/// What a new run of the same script expects: the shortest recent total and run time, and the
/// longest recent lower bound of the total below that (a steady script ends in `(lo, total]`).
pub(crate) type Prediction = Sample;

/// The recent runs of one script or flow: a ring of [`SAMPLES`].
#[derive(Debug, Clone)]
struct Entry {
    samples: [Sample; SAMPLES],
    len: usize,
    next: usize,
    /// When the entry was last read or written (the map's clock).
    used: u64,
}

impl Entry {
    fn new(used: u64) -> Self {
        Entry {
            samples: [Sample::default(); SAMPLES],
            len: 0,
            next: 0,
            used,
        }
    }

    fn push(&mut self, sample: Sample) {
        if let Some(slot) = self.samples.get_mut(self.next) {
            *slot = sample;
        }
        self.next = (self.next + 1) % SAMPLES;
        self.len = (self.len + 1).min(SAMPLES);
    }

    /// The longest recent total (an upper estimate of how long a new run takes).
    fn longest(&self) -> Option<Duration> {
        self.samples.get(..self.len)?.iter().map(|s| s.total).max()
    }

    fn prediction(&self) -> Option<Prediction> {
        let recent = self.samples.get(..self.len)?;
        let total = recent.iter().map(|s| s.total).min()?;
        Some(Sample {
            total,
            run: recent.iter().map(|s| s.run).min()?,
            // The latest "not completed yet" that is earlier than the earliest completion (a
            // slower run's would say nothing about the fast ones).
            lo: recent
                .iter()
                .map(|s| s.lo)
                .filter(|lo| *lo < total)
                .max()
                .unwrap_or_default(),
        })
    }
}

#[derive(Debug, Default)]
struct Map {
    entries: HashMap<u64, Entry>,
    clock: u64,
    /// Jobs started without waiting: job id -> (key, start request, clock at insertion).
    started: HashMap<JobId, (u64, Instant, u64)>,
}

impl Map {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }
}

/// The durations of recent synchronous runs, per script or flow, for at most `capacity` of
/// them (the least recently used is evicted first).
pub(crate) struct History {
    capacity: usize,
    map: Mutex<Map>,
}

impl fmt::Debug for History {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("History")
            .field("capacity", &self.capacity)
            .field("entries", &self.len())
            .finish()
    }
}

impl History {
    /// A history of at most `capacity` scripts and flows (0: nothing is remembered).
    pub(crate) fn new(capacity: usize) -> Self {
        History {
            capacity,
            map: Mutex::new(Map::default()),
        }
    }

    /// The key of a target: its kind (`p`, `h`, `f`, ...) and its path or hash.
    pub(crate) fn key(kind: &str, name: &str) -> u64 {
        let mut h = DefaultHasher::new();
        kind.hash(&mut h);
        name.hash(&mut h);
        h.finish()
    }

    fn lock(&self) -> MutexGuard<'_, Map> {
        // Nothing panics while the lock is held; a poisoned map is still consistent.
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What earlier runs of `key` predict (`None` for a first run).
    #[cfg(test)]
    pub(crate) fn predict(&self, key: u64) -> Option<Prediction> {
        self.lookup(key).map(|(p, _)| p)
    }

    /// What earlier runs of `key` predict, and the longest of their totals (`None` for a
    /// first run).
    pub(crate) fn lookup(&self, key: u64) -> Option<(Prediction, Duration)> {
        if self.capacity == 0 {
            return None;
        }
        let mut map = self.lock();
        let now = map.tick();
        let entry = map.entries.get_mut(&key)?;
        entry.used = now;
        Some((entry.prediction()?, entry.longest()?))
    }

    /// How many started jobs are remembered at most (four per remembered script).
    fn started_capacity(&self) -> usize {
        self.capacity.saturating_mul(4)
    }

    /// Remembers that the job `id`, of `key`, was started at `at` (its start request), for a
    /// later wait on it; the oldest such job is forgotten when the map is full.
    pub(crate) fn started(&self, id: JobId, key: u64, at: Instant) {
        let cap = self.started_capacity();
        if cap == 0 {
            return;
        }
        let mut map = self.lock();
        let now = map.tick();
        if !map.started.contains_key(&id) && map.started.len() >= cap {
            let oldest = map
                .started
                .iter()
                .min_by_key(|(_, (_, _, seq))| *seq)
                .map(|(k, _)| *k);
            if let Some(oldest) = oldest {
                map.started.remove(&oldest);
            }
        }
        map.started.insert(id, (key, at, now));
    }

    /// What this client started as the job `id`: its key and start request (`None` for a job
    /// it did not start, or forgot).
    pub(crate) fn started_job(&self, id: &JobId) -> Option<(u64, Instant)> {
        self.lock().started.get(id).map(|(k, at, _)| (*k, *at))
    }

    /// Forgets the started job `id` (it completed).
    pub(crate) fn forget_started(&self, id: &JobId) {
        self.lock().started.remove(id);
    }

    /// How many started jobs are remembered.
    #[cfg(test)]
    pub(crate) fn started_len(&self) -> usize {
        self.lock().started.len()
    }

    /// Records a successful run of `key`, evicting the least recently used entry when a new
    /// key finds the map full.
    pub(crate) fn record(&self, key: u64, sample: Sample) {
        if self.capacity == 0 {
            return;
        }
        let mut map = self.lock();
        let now = map.tick();
        if !map.entries.contains_key(&key) && map.entries.len() >= self.capacity {
            let oldest = map
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| *k);
            if let Some(oldest) = oldest {
                map.entries.remove(&oldest);
            }
        }
        let entry = map.entries.entry(key).or_insert_with(|| Entry::new(now));
        entry.used = now;
        entry.push(sample);
    }

    /// How many scripts and flows are remembered.
    pub(crate) fn len(&self) -> usize {
        self.lock().entries.len()
    }
}

/// One synchronous run that learns: when it started, the last moment its job was seen queued,
/// and what earlier runs predict.
#[derive(Debug)]
pub(crate) struct Learner<'a> {
    history: &'a History,
    key: u64,
    /// When the run sent its start request.
    pub(crate) start: Instant,
    /// Nanoseconds after `start` of the last moment the job was seen not started.
    queued: AtomicU64,
    /// Nanoseconds after `start` of the last poll that found the job not completed.
    incomplete: AtomicU64,
    /// What earlier runs predict (`None`: a first run, today's schedule).
    pub(crate) prediction: Option<Prediction>,
    /// The longest total of the recent runs (`None`: a first run).
    pub(crate) longest: Option<Duration>,
}

impl<'a> Learner<'a> {
    /// A run of `key` starting now.
    pub(crate) fn new(history: &'a History, key: u64) -> Self {
        Self::started_at(history, key, Instant::now())
    }

    /// A run of `key` whose start request was sent at `start`.
    pub(crate) fn started_at(history: &'a History, key: u64, start: Instant) -> Self {
        let known = history.lookup(key);
        Learner {
            history,
            key,
            start,
            queued: AtomicU64::new(0),
            incomplete: AtomicU64::new(0),
            prediction: known.map(|(p, _)| p),
            longest: known.map(|(_, l)| l),
        }
    }

    /// Whether the recent runs all took less than `limit` (`false` for a first run).
    pub(crate) fn known_shorter_than(&self, limit: Duration) -> bool {
        self.longest.is_some_and(|l| l < limit)
    }

    /// Whether a wait that began at `wait_began` was there to see the job end: a poll of
    /// that wait found it not completed, or the wait began before the expected end (a job
    /// found completed by a late wait only shows that it ended earlier).
    pub(crate) fn timely(&self, wait_began: Instant) -> bool {
        self.seen_incomplete_since(wait_began)
            || self
                .prediction
                .is_some_and(|p| wait_began.saturating_duration_since(self.start) < p.total)
    }

    /// Whether a poll sent at or after `at` found the job not completed.
    pub(crate) fn seen_incomplete_since(&self, at: Instant) -> bool {
        let mark = self.incomplete.load(Ordering::Relaxed);
        mark > 0 && mark >= self.nanos(at)
    }

    fn nanos(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.start).as_nanos()).unwrap_or(u64::MAX)
    }

    fn instant(&self, nanos: &AtomicU64) -> Instant {
        let nanos = nanos.load(Ordering::Relaxed);
        self.start
            .checked_add(Duration::from_nanos(nanos))
            .unwrap_or(self.start)
    }

    /// A poll sent at `at` found the job not completed.
    pub(crate) fn mark_incomplete(&self, at: Instant) {
        self.incomplete.fetch_max(self.nanos(at), Ordering::Relaxed);
    }

    /// A poll sent at `at` found the job not started (queued, or not created yet).
    pub(crate) fn mark_queued(&self, at: Instant) {
        self.mark_incomplete(at);
        self.queued.fetch_max(self.nanos(at), Ordering::Relaxed);
    }

    /// The last moment the job was seen not started (the start, if never).
    pub(crate) fn queued_at(&self) -> Instant {
        self.instant(&self.queued)
    }

    /// Records the run as completed successfully at `at`.
    pub(crate) fn record(&self, at: Instant) {
        self.history.record(
            self.key,
            Sample {
                total: at.saturating_duration_since(self.start),
                run: at.saturating_duration_since(self.queued_at()),
                lo: self
                    .instant(&self.incomplete)
                    .saturating_duration_since(self.start),
            },
        );
    }
}

#[cfg(test)]
mod tests;
