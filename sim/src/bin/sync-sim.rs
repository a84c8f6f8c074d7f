//! `sync-sim`: runs the sync simulation over many seeds.
//!
//! ```text
//! cargo run -p sim --bin sync-sim -- --seeds 10000 [--first-seed S] [--jobs J]
//! cargo run -p sim --bin sync-sim -- --replay '<schedule as printed>'
//! ```
//!
//! The dev build is the one the tests run (about 1.2 s a run on two cores);
//! `--release` runs about five times faster once built (about 30 minutes of
//! compiling on two cores), for long soaks.
//!
//! The last line is `sync-sim: runs=<n> faults=<n> edits=<n> lost=<n>
//! diverged=<n>`; the exit code is non-zero when anything broke. A failing
//! seed prints itself and a shrunk schedule to replay.

use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use sim::{Schedule, Verdict};

const USAGE: &str = "usage: sync-sim [--seeds N] [--first-seed S] [--jobs J] [--replay SCHEDULE]";

struct Options {
    seeds: u64,
    first: u64,
    jobs: usize,
    replay: Option<String>,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        seeds: 100,
        first: 0,
        jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
        replay: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--seeds" => options.seeds = value()?.parse().map_err(|_| "--seeds takes a number")?,
            "--first-seed" => options.first = value()?.parse().map_err(|_| "--first-seed takes a number")?,
            "--jobs" => options.jobs = value()?.parse::<usize>().map_err(|_| "--jobs takes a number")?.max(1),
            "--replay" => options.replay = Some(value()?),
            "--help" | "-h" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(options)
}

#[derive(Default)]
struct Totals {
    runs: u64,
    faults: u64,
    edits: u64,
    lost: u64,
    diverged: u64,
    conflicts: u64,
    refused: u64,
    /// Runs with several app servers on a SurrealDB server process.
    several_servers: u64,
    failed: Vec<u64>,
}

fn report_failure(schedule: &Schedule, outcome: &Result<Verdict, String>) {
    let why = match outcome {
        Ok(verdict) => verdict.summary(12),
        Err(error) => format!("harness error: {error}"),
    };
    eprintln!("sync-sim: seed {} FAILED\n{why}", schedule.seed);
    let small = sim::shrunk(schedule, 300);
    eprintln!(
        "sync-sim: seed {} shrunk from {} to {} steps; replay with\n  cargo run -p sim --bin sync-sim -- --replay '{small}'",
        schedule.seed,
        schedule.steps.len(),
        small.steps.len()
    );
}

fn main() -> ExitCode {
    store::without_tracing();
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    if let Some(text) = &options.replay {
        let schedule: Schedule = match text.parse() {
            Ok(schedule) => schedule,
            Err(message) => {
                eprintln!("sync-sim: {message}");
                return ExitCode::from(2);
            }
        };
        let outcome = sim::run_blocking(&schedule);
        return match &outcome {
            Ok(verdict) if verdict.passed() => {
                println!("sync-sim: replay passed: edits={} faults={}", verdict.edits, verdict.faults);
                ExitCode::SUCCESS
            }
            _ => {
                report_failure(&schedule, &outcome);
                ExitCode::FAILURE
            }
        };
    }

    let started = Instant::now();
    let next = AtomicU64::new(options.first);
    let end = options.first + options.seeds;
    let totals = Mutex::new(Totals::default());
    std::thread::scope(|scope| {
        for _ in 0..options.jobs {
            scope.spawn(|| {
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed >= end {
                        break;
                    }
                    let schedule = Schedule::generate(seed);
                    let outcome = sim::run_blocking(&schedule);
                    let mut t = totals.lock().unwrap_or_else(|p| p.into_inner());
                    t.runs += 1;
                    t.several_servers += u64::from(schedule.servers > 1);
                    match &outcome {
                        Ok(v) => {
                            t.faults += v.faults as u64;
                            t.edits += v.edits as u64;
                            t.conflicts += v.conflicts as u64;
                            t.refused += v.refused as u64;
                            t.lost += v.lost.len() as u64;
                            t.diverged += (v.diverged.len() + v.twice.len() + v.backwards.len()) as u64;
                        }
                        Err(_) => t.diverged += 1,
                    }
                    let passed = matches!(&outcome, Ok(v) if v.passed());
                    if !passed {
                        t.failed.push(seed);
                    }
                    if t.runs % 500 == 0 {
                        eprintln!("sync-sim: {} runs in {:.0} s", t.runs, started.elapsed().as_secs_f64());
                    }
                    drop(t);
                    if !passed {
                        report_failure(&schedule, &outcome);
                    }
                }
            });
        }
    });
    let t = totals.into_inner().unwrap_or_else(|p| p.into_inner());
    eprintln!(
        "sync-sim: {:.1} s, {:.0} ms per run; conflicts={} refused={} several_servers={}; failing seeds: {:?}",
        started.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64() * 1000.0 / t.runs.max(1) as f64,
        t.conflicts,
        t.refused,
        t.several_servers,
        t.failed
    );
    // `diverged` counts every broken promise other than a lost edit: replicas
    // that differ, effects applied twice, cookies that moved backwards.
    println!(
        "sync-sim: runs={} faults={} edits={} lost={} diverged={}",
        t.runs, t.faults, t.edits, t.lost, t.diverged
    );
    if t.lost == 0 && t.diverged == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
