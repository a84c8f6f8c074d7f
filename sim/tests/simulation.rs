//! The simulation in the test suite: corner cases written as schedules, then
//! a sample of seeds. (`cargo xtask test` also runs 500 seeds through the
//! `sync-sim` binary of the same build.)

use sim::{Schedule, Verdict};

/// Corner cases written by hand, and any schedule that ever broke a promise
/// (none has so far), each with what it must show besides passing.
const SCENARIOS: &[(&str, &str)] = &[
    (
        "a push committed just before a restart is not applied again when retried",
        "seed=0 disk=1 devices=0,1,2 | d0:create:1:0 d0:visit:0:7 d0:fault:restart-after d0:sync d0:sync d0:sync",
    ),
    (
        "a delayed push arriving after its retry changes nothing",
        "seed=0 disk=0 devices=0,1,2 | d0:create:1:1 d0:fault:delay d0:sync d0:edit:0:job:2 d0:sync late:0 d1:sync",
    ),
    (
        "an edit of an archive reassigned away meanwhile is refused with a reason",
        "seed=0 disk=0 devices=0,1,2 | d0:create:2:0 d0:sync d0:sync d2:sync d2:sync d0:offline \
         d0:edit:0:job:3 d2:reassign:0:1 d2:sync d0:online d0:sync",
    ),
    (
        "a session that expires halfway through a long pull resumes after sign-in",
        "seed=0 disk=0 devices=0,1,2 | d1:create:3:1 d1:create:4:1 d1:create:5:1 d1:create:6:1 \
         d1:create:7:1 d1:create:8:1 d1:create:9:1 d1:sync d0:sync d0:fault:expire d0:sync d0:sync d0:signin d0:sync",
    ),
    (
        "two devices of one rep editing one field offline end in a conflict, not a loss",
        "seed=0 disk=0 devices=0,1,2,0 | d0:create:10:0 d0:sync d0:sync d3:sync d0:offline d3:offline \
         d0:edit:0:region:1 d3:edit:0:region:2 d0:online d3:online d0:sync d3:sync",
    ),
    (
        "two app servers on one database: a device's requests alternate between them, one restarts \
         after committing a push whose answer is lost, and the retry on the other is not applied again",
        "seed=0 disk=0 servers=2 devices=0,1,2 | d0:create:1:1 d0:sync d0:sync d1:sync d1:sync \
         d0:edit:0:job:2 d0:fault:restart-after d0:sync d0:sync d0:sync d1:sync d1:sync",
    ),
    (
        "two reps claim one released customer offline: one keeps it, the other's claim is refused \
         with a reason",
        "seed=0 disk=0 devices=0,1,2 | d0:create:20:0 d0:sync d0:sync d0:release:0 d0:sync d0:sync \
         d1:sync d1:sync d0:offline d1:offline d0:claim:0 d1:claim:0 d0:online d1:online d1:sync d0:sync",
    ),
    (
        "a recycle while the keeper edits offline: the edit is refused with a reason, every device converges",
        "seed=0 disk=0 devices=0,1,2 | d0:create:21:0 d0:sync d0:sync d1:sync d0:offline \
         d0:edit:0:job:1 recycle:5 d0:online d0:sync d0:sync d1:sync d2:sync",
    ),
];

fn assert_passes(schedule: &Schedule) -> Verdict {
    store::without_tracing();
    match sim::run_blocking(schedule) {
        Ok(verdict) if verdict.passed() => verdict,
        Ok(verdict) => {
            panic!("seed {} broke a promise:\n{}\nschedule: {schedule}", schedule.seed, verdict.summary(20))
        }
        Err(error) => panic!("seed {} could not run: {error}", schedule.seed),
    }
}

#[test]
fn hand_written_corner_cases_keep_every_promise() {
    let verdicts: Vec<Verdict> =
        SCENARIOS.iter().map(|(_, text)| assert_passes(&text.parse().unwrap())).collect();
    let [restart, delayed, reassigned, expired, raced, several, claimed, recycled] = verdicts.as_slice()
    else {
        unreachable!()
    };
    assert_eq!((restart.edits, restart.faults), (2, 1), "{}", SCENARIOS[0].0);
    assert_eq!(delayed.faults, 2, "{}", SCENARIOS[1].0);
    assert_eq!(reassigned.refused, 1, "{}", SCENARIOS[2].0);
    assert_eq!(expired.faults, 1, "{}", SCENARIOS[3].0);
    assert_eq!(raced.conflicts, 1, "{}", SCENARIOS[4].0);
    assert_eq!((several.edits, several.faults), (2, 1), "{}", SCENARIOS[5].0);
    assert_eq!((claimed.edits, claimed.refused), (4, 1), "{}", SCENARIOS[6].0);
    assert_eq!((recycled.edits, recycled.refused), (2, 1), "{}", SCENARIOS[7].0);
}

/// A few seeds (seed 3 runs on disk, with restarts); `cargo xtask test` runs
/// 500 more through the `sync-sim` binary.
#[test]
fn a_sample_of_seeds_keeps_every_promise() {
    for seed in 0..4 {
        assert_passes(&Schedule::generate(seed));
    }
}

#[test]
fn the_same_seed_plays_the_same_run() {
    store::without_tracing();
    let schedule = Schedule::generate(11);
    let (first, second) = (sim::run_blocking(&schedule).unwrap(), sim::run_blocking(&schedule).unwrap());
    assert_eq!((first.edits, first.faults, first.conflicts), (second.edits, second.faults, second.conflicts));
    assert!(first.edits > 0 && first.faults > 0, "the run did something: {first:?}");
}
