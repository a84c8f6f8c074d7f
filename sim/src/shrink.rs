//! Shrinking a failing schedule: drop runs of steps while it still fails,
//! halving the run length down to single steps, so what is printed for
//! replay is short enough to read.

use crate::schedule::Schedule;

/// The shortest schedule found, within `budget` runs, for which `fails`
/// still holds. `fails` must hold for `schedule` itself.
pub fn shrink(schedule: &Schedule, budget: usize, mut fails: impl FnMut(&Schedule) -> bool) -> Schedule {
    let mut best = schedule.clone();
    let mut runs = 0;
    let mut chunk = best.steps.len().div_ceil(2).max(1);
    loop {
        let mut start = 0;
        while start < best.steps.len() {
            if runs >= budget {
                return best;
            }
            let mut candidate = best.clone();
            let end = (start + chunk).min(candidate.steps.len());
            candidate.steps.drain(start..end);
            runs += 1;
            if fails(&candidate) {
                best = candidate;
            } else {
                start += chunk;
            }
        }
        if chunk == 1 {
            return best;
        }
        chunk = chunk.div_ceil(2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Step;

    #[test]
    fn shrinking_keeps_only_the_steps_the_failure_needs() {
        let schedule = Schedule::generate(9);
        let needed = schedule.steps[17].clone();
        let fails = |s: &Schedule| s.steps.contains(&needed);
        let small = shrink(&schedule, 10_000, fails);
        assert_eq!(small.steps, vec![needed]);
        assert!(matches!(small.steps[0], Step::Create { .. } | _));
    }
}
