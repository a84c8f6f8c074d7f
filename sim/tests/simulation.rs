//! The simulation in the test suite: seeds that once failed, then a sample
//! of fresh ones. (`cargo xtask test` also runs 500 seeds through the
//! optimised `sync-sim` binary.)

use sim::Schedule;

/// Schedules that broke a promise once, kept so the fix stays fixed.
const REGRESSIONS: &[&str] = &[];

fn assert_passes(schedule: &Schedule) {
    match sim::run_blocking(schedule) {
        Ok(verdict) if verdict.passed() => {}
        Ok(verdict) => panic!("seed {} broke a promise:\n{}\nschedule: {schedule}", schedule.seed, verdict.summary(20)),
        Err(error) => panic!("seed {} could not run: {error}", schedule.seed),
    }
}

#[test]
fn schedules_that_once_failed_now_pass() {
    for text in REGRESSIONS {
        assert_passes(&text.parse().unwrap());
    }
}

#[test]
fn a_sample_of_seeds_keeps_every_promise() {
    for seed in 0..16 {
        assert_passes(&Schedule::generate(seed));
    }
}

#[test]
fn the_same_seed_plays_the_same_run() {
    let schedule = Schedule::generate(11);
    let (first, second) = (sim::run_blocking(&schedule).unwrap(), sim::run_blocking(&schedule).unwrap());
    assert_eq!((first.edits, first.faults), (second.edits, second.faults));
    assert!(first.edits > 0 && first.faults > 0, "the run did something: {first:?}");
}
