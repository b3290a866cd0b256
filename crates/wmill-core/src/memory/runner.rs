//! [`JobRunner`] for [`InMemory`]: starting jobs (options checked as the server's endpoints
//! check them), waiting, results, status, cancel, listings and logs.

use async_trait::async_trait;
use futures_util::FutureExt;
use futures_util::future::{Either, select};
use futures_util::stream::BoxStream;
use serde_json::{Value, json};

use crate::{
    Args, CancelOnDrop, Error, ItemKind, JobCursor, JobId, JobQuery, JobRunner, JobStatus,
    JobSummary, LogChunk, LogUpdate, Page, Result, RunEndpoint, RunOptions, Runnable, WaitOptions,
};

use super::in_memory::InMemory;
use super::jobs::Job;
use super::jobs::StartedJob;
use super::listing;

impl InMemory {
    /// Starts a job. `sync`: for a synchronous run, whose options are checked as one
    /// ([`RunOptions::check_sync`]), and whose `queue_limit` is honoured.
    pub(super) fn start_job(
        &self,
        what: Runnable,
        args: Args,
        options: &RunOptions,
        sync: bool,
    ) -> Result<JobId> {
        let endpoint = what.endpoint();
        if sync {
            options.check_sync(endpoint)?;
        } else {
            options.check_for(endpoint)?;
        }
        let f = self.inner.scripts.read().get(&what).cloned();
        let Some(f) = f else {
            let (kind, name) = what.item();
            return Err(Error::not_found(kind, name));
        };
        if let Some(limit) = options.queue_limit {
            self.check_queue_limit(limit, endpoint)?;
        }
        let (id, fut) = {
            let mut jobs = self.inner.jobs.lock();
            let id = match options.job_id {
                Some(id) => {
                    if jobs.table.contains_key(&id) {
                        return Err(Error::AlreadyExists {
                            kind: ItemKind::Job,
                            path: id.to_string(),
                        });
                    }
                    id
                }
                None => loop {
                    jobs.next_id += 1;
                    let id = JobId::from_u128(jobs.next_id);
                    if !jobs.table.contains_key(&id) {
                        break id;
                    }
                },
            };
            let job = Job::new(&f, args.clone(), options.start_delay()).with_meta(
                what.clone(),
                &args,
                options,
            );
            let fut = job.fut.clone();
            jobs.table.insert(id, job);
            jobs.started.push(StartedJob {
                id,
                runnable: what,
                args,
                options: options.clone(),
                created_at: crate::listing::truncate_to_micros(std::time::SystemTime::now()),
            });
            (id, fut)
        };
        let spawner = self.inner.spawner.read().clone();
        match spawner {
            Some(spawn) => spawn(fut.map(|_| ()).boxed()),
            None => {
                // Run it up to its first pending point: jobs that need no waiting are done now.
                let _ = fut.now_or_never();
            }
        }
        Ok(id)
    }

    /// Every job `query`'s filters on what ran select (path, kind, tag, parent, creation
    /// time), summarized; the state filters are applied by [`listing::rows_as_the_server_sends`].
    pub(super) fn job_summaries(&self, query: &JobQuery) -> Vec<JobSummary> {
        // Taken out of the lock: jobs are polled (to learn their state) without it.
        let started: Vec<(StartedJob, Option<Job>)> = {
            let jobs = self.inner.jobs.lock();
            jobs.started
                .iter()
                .filter(|s| listing::selects(query, s))
                .map(|s| (s.clone(), jobs.table.get(&s.id).cloned()))
                .collect()
        };
        started
            .into_iter()
            .map(|(s, job)| listing::summary(&s, job.as_ref()))
            .collect()
    }
    /// `queue_limit`, as the server applies it: more unfinished jobs than `limit` refuses the
    /// run with the server's error (500, `Number of queued job is too high: <n> > <limit>`).
    pub(super) fn check_queue_limit(&self, limit: u32, endpoint: RunEndpoint) -> Result<()> {
        // Out of the lock: a job is never polled under it.
        let jobs: Vec<Job> = self.inner.jobs.lock().table.values().cloned().collect();
        let count = jobs.iter().filter(|j| !j.status().is_completed()).count();
        if count > limit as usize {
            let sync = endpoint.wait_result().unwrap_or(endpoint);
            return Err(Error::Api {
                status: 500,
                request: format!("POST {}", sync.path()),
                body: format!("Number of queued job is too high: {count} > {limit}"),
            });
        }
        Ok(())
    }

    /// A handle on the job, taken out of the lock: jobs are never polled under a lock, so a job
    /// may call back into this backend.
    pub(super) fn job(&self, id: &JobId) -> Result<Job> {
        self.inner
            .jobs
            .lock()
            .table
            .get(id)
            .cloned()
            .ok_or_else(|| Error::not_found(ItemKind::Job, id.to_string()))
    }
}

#[async_trait]
impl JobRunner for InMemory {
    async fn start(&self, target: Runnable, args: Args, options: &RunOptions) -> Result<JobId> {
        self.start_job(target, args, options, false)
    }

    /// Starts the job as a synchronous run (its options checked as one, `queue_limit`
    /// honoured), then waits for it.
    async fn run(&self, target: Runnable, args: Args, options: &RunOptions) -> Result<Value> {
        let id = self.start_job(target, args, options, true)?;
        let value = self.wait_job(&id, &options.wait).await?;
        options.check_result(&id, value)
    }

    async fn wait_job(&self, id: &JobId, options: &WaitOptions) -> Result<Value> {
        if !options.logs.is_none() {
            return self.wait_forwarding_logs(id, options).await;
        }
        let job = self.job(id)?;
        // A wait dropped before it returns cancels the job (`cancel_on_drop`).
        let guard = CancelOnDrop::new(self, *id).armed(options.cancel_on_drop);
        let outcome = wait_for(&job, id, options).await;
        guard.disarm();
        outcome
    }

    async fn get_result(&self, id: &JobId) -> Result<Value> {
        match self.job(id)?.poll_once() {
            Some(Ok(v)) => Ok(v),
            Some(Err(e)) => Ok(json!({ "error": e })),
            None => Err(Error::not_found(
                ItemKind::Job,
                format!("completed job {id}"),
            )),
        }
    }

    async fn get_job_status(&self, id: &JobId) -> Result<JobStatus> {
        Ok(self.job(id)?.status())
    }

    async fn cancel_job(&self, id: &JobId, reason: Option<String>) -> Result<()> {
        if self
            .job(id)?
            .cancel(reason.as_deref().unwrap_or("cancelled via cancel_job"))
        {
            Ok(())
        } else {
            Err(Error::not_found(
                ItemKind::Job,
                format!("queued or running job {id}"),
            ))
        }
    }

    async fn get_job(&self, id: &JobId) -> Result<crate::Job> {
        crate::Job::from_value(self.job(id)?.describe(*id))
    }
    async fn list_jobs_page(
        &self,
        query: &JobQuery,
        cursor: &JobCursor,
    ) -> Result<Page<JobSummary, JobCursor>> {
        query.validate()?;
        let request = cursor.request(query);
        let rows = listing::rows_as_the_server_sends(&self.job_summaries(query), query, &request);
        cursor.advance(query, rows)
    }

    async fn get_job_logs(&self, id: &JobId) -> Result<String> {
        Ok(self.logs_of(id)?.text())
    }

    async fn get_log_update(&self, id: &JobId, offset: u64) -> Result<LogUpdate> {
        self.log_update(id, offset)
    }

    fn job_logs_from(&self, id: &JobId, offset: u64) -> BoxStream<'static, Result<LogChunk>> {
        self.follow_logs(id, offset)
    }

    async fn get_flow_all_logs(&self, id: &JobId) -> Result<String> {
        self.flow_all_logs(id)
    }

    /// Cancels at once (the in-memory backend needs no request); a job that completed is
    /// left alone.
    fn cancel_job_in_background(&self, id: &JobId, reason: &str) -> Result<()> {
        self.job(id)?.cancel(reason);
        Ok(())
    }
}

/// The wait of [`JobRunner::wait_job`], without the drop guard.
async fn wait_for(job: &Job, id: &JobId, options: &WaitOptions) -> Result<Value> {
    let fut = job.fut.clone();
    let outcome = match options.timeout {
        None => fut.await,
        Some(after) => {
            match select(fut, crate::timer::sleep(after)).await {
                Either::Left((outcome, _)) => outcome,
                // The job may have completed just as the timer fired: its result wins.
                Either::Right((_, fut)) if fut.peek().is_some() => fut.await,
                Either::Right(_) => {
                    if options.cancel_on_timeout {
                        // Cancel once; the job may have just completed, which is fine.
                        job.cancel("reached timeout");
                    }
                    return Err(Error::Timeout {
                        job_id: Some(*id),
                        after,
                    });
                }
            }
        }
    };
    outcome.map_err(|error| Error::JobFailed {
        job_id: *id,
        error: Box::new(error),
    })
}
