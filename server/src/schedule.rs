//! Work the server does by itself: daily jobs (the pools' recycle run, the
//! keepers' reminders and the rules' time triggers), each run once a day by
//! one server among several, and carrying out the rules a change fired.
//!
//! Every few minutes each server asks the store for a job's turn. The
//! store's lease picks one server; the day it last finished is kept, so a
//! restart does not run a day twice, and a server that was down at the
//! hour catches up at its next look, the same day.

use std::time::Duration;

use domain::time::{Date, Timestamp};
use store::{JobTurn, Store, StoreError};

/// How often a server looks for due jobs.
const TICK: Duration = Duration::from_secs(5 * 60);
/// The first look, a moment after start.
const FIRST_LOOK: Duration = Duration::from_secs(20);
/// How long a lease lasts: longer than any run, so a live runner keeps it;
/// a runner that died frees the job this long after it took it.
const LEASE_MS: i64 = 30 * 60 * 1000;
/// How often waiting rule events are looked for when no push on this
/// server woke the carrier (another server's push, a pass that failed).
const RULES_TICK: Duration = Duration::from_secs(30);

/// A job run once a day from an hour on (the company's time zone).
#[derive(Debug, Clone, Copy)]
enum Job {
    /// The pools' recycle run.
    Recycle,
    /// Reminders to record keepers (birthdays, maintenance, follow-ups,
    /// complaints), the day's care greetings and the rules' time triggers.
    Reminders,
}

impl Job {
    const ALL: [Job; 2] = [Job::Recycle, Job::Reminders];

    fn name(self) -> &'static str {
        match self {
            Self::Recycle => "pool.recycle",
            Self::Reminders => "reminders",
        }
    }

    /// From which hour of the day it runs: recycling at night, before
    /// reps start; reminders early in the morning, for the day ahead.
    fn from_hour(self) -> u8 {
        match self {
            Self::Recycle => 2,
            Self::Reminders => 6,
        }
    }

    async fn run(self, store: &Store, today: Date, holder: &str) -> Result<String, StoreError> {
        match self {
            Self::Recycle => {
                let report = store.recycle(today, false).await?;
                Ok(format!(
                    "recycle: candidates={} warned={} recycled={}",
                    report.due.len(),
                    report.warned.len(),
                    report.recycled
                ))
            }
            Self::Reminders => {
                let last_done = store.job_last_done(self.name()).await?;
                let from = domain::reminder::first_day_to_cover(last_done, today);
                let run = store.run_reminders(from, today, false).await?;
                let rules = store.run_rules(from, today, false, holder).await?;
                let digests = store.send_digests(today, false).await?;
                Ok(format!(
                    "reminders: from={from} scanned={} due={} fired={} greetings_queued={} rules={} rule_firings={} digests={digests}",
                    run.scanned,
                    run.due.len(),
                    run.fired,
                    run.queued,
                    rules.rules,
                    rules.fired
                ))
            }
        }
    }
}

/// Starts looking for due jobs; the task ends when the returned handle is aborted.
pub fn start(store: Store) -> tokio::task::JoinHandle<()> {
    // Names this process to the lease; a restart is another holder.
    let holder = uuid::Uuid::now_v7().to_string();
    tokio::spawn(async move {
        tokio::join!(daily(&store, &holder), carry_out_rules(&store, &holder));
    })
}

/// Carries out what rules fired, soon after a push here fired them, and
/// every little while for those another server's pushes fired.
async fn carry_out_rules(store: &Store, holder: &str) {
    loop {
        if let Err(error) = store.carry_out_rules(holder).await {
            tracing::warn!(%error, "cannot carry out rule events");
        }
        let _ = tokio::time::timeout(RULES_TICK, store.rule_fired()).await;
    }
}

async fn daily(store: &Store, holder: &str) {
    {
        tokio::time::sleep(FIRST_LOOK).await;
        loop {
            let now = store::now_millis();
            let (hour, today) = (Timestamp(now).local_hour(), Timestamp(now).local_date());
            for job in Job::ALL.into_iter().filter(|job| hour >= job.from_hour()) {
                look(store, job, holder, today).await;
            }
            tokio::time::sleep(TICK).await;
        }
    }
}

async fn look(store: &Store, job: Job, holder: &str, today: Date) {
    match store.take_job(job.name(), holder, LEASE_MS, today).await {
        Ok(JobTurn::Run) => {}
        Ok(JobTurn::Busy | JobTurn::DoneToday) => return,
        Err(error) => {
            tracing::warn!(%error, job = job.name(), "cannot take a job's turn");
            return;
        }
    }
    match job.run(store, today, holder).await {
        Ok(report) => {
            tracing::info!(job = job.name(), %report, "job done");
            if let Err(error) = store.finish_job(job.name(), holder, today, &report).await {
                tracing::warn!(%error, job = job.name(), "cannot record a finished job");
            }
        }
        // Not marked done: the next look (here or elsewhere) tries again.
        Err(error) => tracing::error!(%error, job = job.name(), "job failed"),
    }
}
