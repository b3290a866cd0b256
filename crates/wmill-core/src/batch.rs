//! Batches of jobs: bounded concurrency, results in completion order.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_channel::oneshot;
use futures_util::FutureExt;
use futures_util::future::{AbortHandle, Abortable, BoxFuture};
use futures_util::stream::{FuturesUnordered, Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::job::from_result;
use crate::{Args, Error, ItemPath, JobRunner, Result, RunOptions, Runnable, ScriptHash, Spawner};

/// How many jobs of a batch run at once unless told otherwise.
pub const DEFAULT_BATCH_CONCURRENCY: usize = 16;

/// One job of a batch: what to run, its arguments and its options.
///
/// ```
/// use serde_json::json;
/// use wmill_core::{BatchJob, ItemPath, RunOptions, to_args};
///
/// let job = BatchJob::script_by_path(ItemPath::parse("f/etl/load")?, to_args(&json!({"day": 3}))?)
///     .options(RunOptions::new().tag("etl"));
/// # Ok::<(), wmill_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BatchJob {
    /// What runs.
    pub runnable: Runnable,
    /// Its arguments.
    pub args: Args,
    /// Its options (a synchronous run: the wait options apply).
    pub options: RunOptions,
}

impl BatchJob {
    /// `runnable` with `args` and default options.
    pub fn new(runnable: Runnable, args: Args) -> Self {
        BatchJob {
            runnable,
            args,
            options: RunOptions::new(),
        }
    }

    /// The script at `path`.
    pub fn script_by_path(path: ItemPath, args: Args) -> Self {
        Self::new(Runnable::ScriptPath(path), args)
    }

    /// The script version with `hash`.
    pub fn script_by_hash(hash: ScriptHash, args: Args) -> Self {
        Self::new(Runnable::ScriptHash(hash), args)
    }

    /// The flow at `path`.
    pub fn flow(path: ItemPath, args: Args) -> Self {
        Self::new(Runnable::Flow(path), args)
    }

    /// The saved flow version `version` (`jobs/run/fv/{version}`).
    pub fn flow_version(version: crate::FlowVersion, args: Args) -> Self {
        Self::new(Runnable::FlowVersion(version), args)
    }

    /// Sets the job's options.
    #[must_use]
    pub fn options(mut self, options: RunOptions) -> Self {
        self.options = options;
        self
    }
}

/// How a batch runs: see [`run_batch`].
///
/// ```
/// use wmill_core::BatchOptions;
///
/// let opts = BatchOptions::new()
///     .concurrency(32)
///     .fail_fast(true)
///     .spawner(|job| { tokio::spawn(job); });
/// assert_eq!(opts.concurrency, 32);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct BatchOptions {
    /// How many jobs run at once (default [`DEFAULT_BATCH_CONCURRENCY`]); must be at least 1.
    pub concurrency: usize,
    /// Stop at the first failure (default `false`): see [`run_batch`].
    pub fail_fast: bool,
    /// Where the jobs' waits run (default: in the stream itself, see [`run_batch`]).
    pub spawner: Option<Spawner>,
}

impl fmt::Debug for BatchOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchOptions")
            .field("concurrency", &self.concurrency)
            .field("fail_fast", &self.fail_fast)
            .field("spawner", &self.spawner.as_ref().map(|_| "set"))
            .finish()
    }
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            concurrency: DEFAULT_BATCH_CONCURRENCY,
            fail_fast: false,
            spawner: None,
        }
    }
}

impl BatchOptions {
    /// The defaults: 16 at once, every job runs whatever the others do, the waits run in the
    /// stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets how many jobs run at once.
    #[must_use]
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency;
        self
    }

    /// Sets whether the first failure stops the batch.
    #[must_use]
    pub fn fail_fast(mut self, fail_fast: bool) -> Self {
        self.fail_fast = fail_fast;
        self
    }

    /// Runs each job's wait as a task of its own, handed to `spawner` (for example
    /// `|job| { tokio::spawn(job); }`): on a multi-thread runtime their work spreads over the
    /// workers, and they progress while the stream is not polled.
    #[must_use]
    pub fn spawner<F>(mut self, spawner: F) -> Self
    where
        F: Fn(BoxFuture<'static, ()>) + Send + Sync + 'static,
    {
        self.spawner = Some(Arc::new(spawner));
        self
    }
}

/// The outcome of one job of a batch, tagged with its position in the input.
#[derive(Debug)]
#[non_exhaustive]
pub struct BatchItem {
    /// The job's position in the input (0-based).
    pub index: usize,
    /// Its result, or why it has none: [`Error::JobFailed`] (with the job id) for a failed
    /// job, [`Error::Timeout`] for an expired wait, any other error for a start or wait that
    /// failed.
    pub result: Result<Value>,
}

impl BatchItem {
    /// The result deserialized into `R`.
    pub fn into_result_as<R: DeserializeOwned>(self) -> Result<R> {
        let what = format!("batch job {}", self.index);
        from_result(self.result?, &what)
    }
}

/// The results of a batch, in completion order: see [`run_batch`].
pub struct BatchStream {
    runner: Arc<dyn JobRunner>,
    jobs: Option<Box<dyn Iterator<Item = BatchJob> + Send>>,
    next_index: usize,
    concurrency: usize,
    fail_fast: bool,
    spawner: Option<Spawner>,
    running: FuturesUnordered<BoxFuture<'static, BatchItem>>,
}

impl fmt::Debug for BatchStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchStream")
            .field("started", &self.next_index)
            .field("running", &self.running.len())
            .field("more_to_start", &self.jobs.is_some())
            .field("concurrency", &self.concurrency)
            .field("fail_fast", &self.fail_fast)
            .field("spawner", &self.spawner.as_ref().map(|_| "set"))
            .finish()
    }
}

/// Runs `jobs` on `runner`, at most `options.concurrency` at a time, and yields each job's
/// outcome as it completes, tagged with the job's position in the input.
///
/// Each job is a synchronous run ([`JobRunner::run_script_by_path`], `run_script_by_hash`,
/// `run_flow`) with its own [`RunOptions`], so the backend waits for it as cheaply as it can.
/// Jobs start when the stream is first polled, and a new one starts each time one completes;
/// `jobs` is read lazily, so it may be long (or endless), and memory stays bounded by the
/// concurrency.
///
/// Without a [`spawner`](BatchOptions::spawner) the waits run inside the stream: they make
/// progress while it is polled, on the one thread that polls it. With one, each wait is a
/// task of its own (aborted when the stream lets go of it), which spreads their work over a
/// multi-thread runtime: the module function `wmill::run_batch` uses the current Tokio
/// runtime this way.
///
/// - By default a failure is one item of the stream like any other: the other jobs go on.
/// - With [`BatchOptions::fail_fast`], the stream yields the first failed item (any error:
///   a failed job, a timeout, a failed request) and then ends: jobs not started yet are never
///   started, and the jobs in flight are canceled (their waits are dropped with
///   [`WaitOptions::cancel_on_drop`](crate::WaitOptions::cancel_on_drop) set, whatever their
///   options said) and not reported.
/// - Dropping the stream drops the waits in flight: their jobs are canceled as their
///   `cancel_on_drop` option says (on by default).
///
/// A concurrency of 0 is [`Error::InvalidInput`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill_core::Result<()> {
/// use futures::StreamExt;
/// use serde_json::json;
/// use wmill_core::{BatchJob, BatchOptions, InMemory, ItemPath, run_batch, to_args};
///
/// let wm = InMemory::new();
/// wm.register_script("f/math/square", |args| async move {
///     let n = args["n"].as_i64().unwrap_or(0);
///     Ok(json!(n * n))
/// })?;
/// let path = ItemPath::parse("f/math/square")?;
/// let jobs = (0..10).map(move |n| {
///     BatchJob::script_by_path(path.clone(), to_args(&json!({"n": n})).unwrap_or_default())
/// });
/// let mut squares = vec![0; 10];
/// let mut results = run_batch(wm.clone(), jobs, &BatchOptions::new().concurrency(4))?;
/// while let Some(item) = results.next().await {
///     let index = item.index;
///     squares[index] = item.into_result_as::<i64>()?;
/// }
/// assert_eq!(squares[9], 81);
/// # Ok(()) }
/// ```
pub fn run_batch<R, I>(runner: R, jobs: I, options: &BatchOptions) -> Result<BatchStream>
where
    R: JobRunner,
    I: IntoIterator<Item = BatchJob>,
    I::IntoIter: Send + 'static,
{
    run_batch_on(Arc::new(runner), jobs, options)
}

/// [`run_batch`] on a shared backend.
pub fn run_batch_on<I>(
    runner: Arc<dyn JobRunner>,
    jobs: I,
    options: &BatchOptions,
) -> Result<BatchStream>
where
    I: IntoIterator<Item = BatchJob>,
    I::IntoIter: Send + 'static,
{
    if options.concurrency == 0 {
        return Err(Error::invalid(
            "batch concurrency",
            "a batch needs a concurrency of at least 1",
        ));
    }
    Ok(BatchStream {
        runner,
        jobs: Some(Box::new(jobs.into_iter())),
        next_index: 0,
        concurrency: options.concurrency,
        fail_fast: options.fail_fast,
        spawner: options.spawner.clone(),
        running: FuturesUnordered::new(),
    })
}

impl BatchStream {
    /// How many jobs have been started so far.
    pub fn started(&self) -> usize {
        self.next_index
    }

    /// How many jobs are in flight.
    pub fn running(&self) -> usize {
        self.running.len()
    }

    fn start(&self, index: usize, job: BatchJob) -> BoxFuture<'static, BatchItem> {
        let runner = self.runner.clone();
        let BatchJob {
            runnable,
            args,
            mut options,
        } = job;
        if self.fail_fast {
            options.wait.cancel_on_drop = true;
        }
        let run = async move {
            let result = match &runnable {
                Runnable::ScriptPath(p) => runner.run_script_by_path(p, args, &options).await,
                Runnable::ScriptHash(h) => runner.run_script_by_hash(h, args, &options).await,
                Runnable::Flow(p) => runner.run_flow(p, args, &options).await,
                Runnable::FlowVersion(v) => runner.run_flow_by_version(*v, args, &options).await,
            };
            BatchItem { index, result }
        };
        let Some(spawn) = &self.spawner else {
            return run.boxed();
        };
        // A task of its own, aborted (its wait dropped, its guard canceling the job) when the
        // stream lets go of it.
        let (tx, rx) = oneshot::channel();
        let (abort, registration) = AbortHandle::new_pair();
        spawn(
            Abortable::new(run, registration)
                .map(move |done| {
                    if let Ok(item) = done {
                        let _ = tx.send(item);
                    }
                })
                .boxed(),
        );
        let task = SpawnedJob(abort);
        async move {
            let item = match rx.await {
                Ok(item) => item,
                // The spawner dropped the task (a runtime shutting down).
                Err(_) => BatchItem {
                    index,
                    result: Err(Error::Unsupported {
                        operation: "a batch job whose task was dropped",
                        backend: "the batch's spawner",
                    }),
                },
            };
            drop(task);
            item
        }
        .boxed()
    }
}

/// Aborts a spawned job's task when dropped (a no-op once the task completed).
struct SpawnedJob(AbortHandle);

impl Drop for SpawnedJob {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Stream for BatchStream {
    type Item = BatchItem;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<BatchItem>> {
        let this = &mut *self;
        while this.running.len() < this.concurrency {
            let Some(jobs) = this.jobs.as_mut() else {
                break;
            };
            match jobs.next() {
                Some(job) => {
                    let index = this.next_index;
                    this.next_index += 1;
                    let fut = this.start(index, job);
                    this.running.push(fut);
                }
                None => this.jobs = None,
            }
        }
        match this.running.poll_next_unpin(cx) {
            Poll::Ready(Some(item)) => {
                if this.fail_fast && item.result.is_err() {
                    // Nothing more starts, and the waits in flight are dropped: their guards
                    // cancel their jobs.
                    this.jobs = None;
                    this.running = FuturesUnordered::new();
                }
                Poll::Ready(Some(item))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let (more, more_max) = match &self.jobs {
            Some(jobs) if !self.fail_fast => jobs.size_hint(),
            Some(jobs) => (0, jobs.size_hint().1),
            None => (0, Some(0)),
        };
        let running = self.running.len();
        let low = if self.fail_fast {
            running.min(1)
        } else {
            running + more
        };
        (low, more_max.and_then(|m| m.checked_add(running)))
    }
}

impl futures_util::stream::FusedStream for BatchStream {
    fn is_terminated(&self) -> bool {
        self.jobs.is_none() && self.running.is_empty()
    }
}
