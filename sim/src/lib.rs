//! A deterministic simulation of sync under faults.
//!
//! Each run plays a [`Schedule`] generated from a seed: several devices (the
//! real [`domain::replica::Replica`], as the browser holds it) edit shared
//! archives, go offline for long stretches, and sync against the real server
//! sync code ([`store::Store::push`] and [`store::Store::pull`]) on a real
//! SurrealDB engine, in memory or on disk. The network drops, loses,
//! duplicates and delays requests; sessions expire mid-sync; the on-disk
//! server restarts between a push and its answer. Then the network heals,
//! everyone syncs until quiet, and [`check`] holds the result to the promise:
//! no edit vanished, none took effect twice, every device holds what the
//! server holds, no cookie moved backwards, and the analytics summaries
//! agree with the archives.

mod check;
pub mod company;
pub mod rng;
pub mod schedule;
pub mod server_process;
mod shrink;
mod world;

pub use check::Verdict;
pub use schedule::{Schedule, Step};
pub use shrink::shrink;

/// Plays `schedule` and checks the outcome. An `Err` is a harness failure
/// (the database would not open), not a broken promise.
pub async fn run(schedule: &Schedule) -> Result<Verdict, String> {
    let mut world = world::World::new(schedule).await?;
    for step in &schedule.steps {
        world.play(step).await.map_err(|e| format!("step {step}: {e}"))?;
    }
    world.heal().await?;
    let verdict = check::check(&world).await;
    world.close().await;
    verdict
}

/// [`run`] on a runtime of its own, for callers without one.
pub fn run_blocking(schedule: &Schedule) -> Result<Verdict, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    runtime.block_on(run(schedule))
}

/// Whether `schedule` breaks a promise (a harness error counts: it is shown too).
pub fn fails(schedule: &Schedule) -> bool {
    !matches!(run_blocking(schedule), Ok(verdict) if verdict.passed())
}

/// Shrinks a failing schedule within `budget` runs.
pub fn shrunk(schedule: &Schedule, budget: usize) -> Schedule {
    shrink(schedule, budget, fails)
}
