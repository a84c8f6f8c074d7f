//! RFM: how recently, how often and how much each customer bought, scored
//! 1 to 5 by quintile against everyone else who has bought, and the named
//! segments marketing teams use.

use serde::{Deserialize, Serialize};

use super::summary::CustomerSummary;

/// The RFM segments, from the recency and frequency scores (see [`segment`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    /// Bought recently and often: R 4-5, F 4-5.
    Champions,
    /// Buy often and not long ago: R 3-5, F 3-5.
    Loyal,
    /// Recent first purchase: R 5, F 1.
    New,
    /// Recent, not yet frequent: R 4-5, F 1-2.
    Promising,
    /// Middling recency, low frequency: R 3, F 1-2.
    NeedAttention,
    /// Were frequent buyers, gone quiet: R 1-2, F 3-4.
    AtRisk,
    /// The best buyers, gone quiet: R 1-2, F 5.
    CannotLose,
    /// Low recency and frequency: R 2, F 1-2.
    Hibernating,
    /// The least recent, rarely bought: R 1, F 1-2.
    Lost,
}

impl Segment {
    /// Every segment, best first.
    pub const ALL: [Segment; 9] = [
        Segment::Champions,
        Segment::Loyal,
        Segment::New,
        Segment::Promising,
        Segment::NeedAttention,
        Segment::AtRisk,
        Segment::CannotLose,
        Segment::Hibernating,
        Segment::Lost,
    ];
}

/// The segment for recency score `r` and frequency score `f` (1 to 5).
pub fn segment(r: u8, f: u8) -> Segment {
    match (r, f) {
        (4.., 4..) => Segment::Champions,
        (3.., 3..) => Segment::Loyal,
        (5, ..=1) => Segment::New,
        (4.., _) => Segment::Promising,
        (3, _) => Segment::NeedAttention,
        (_, 5..) => Segment::CannotLose,
        (_, 3..) => Segment::AtRisk,
        (2, _) => Segment::Hibernating,
        _ => Segment::Lost,
    }
}

/// The RFM windows a report may ask for, in days. A fixed set, so that
/// odd windows cannot be used to make the server score everyone again and again.
pub const WINDOW_DAYS: [i64; 5] = [90, 180, 365, 730, 1095];

/// The period RFM looks at: the `days` days up to and including `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// The last day (days since the epoch).
    pub end: i64,
    /// How many days, at least 1.
    pub days: i64,
}

impl Window {
    /// Whether `day` falls inside.
    pub fn contains(&self, day: i64) -> bool {
        day <= self.end && day > self.end - self.days.max(1)
    }
}

/// One customer's RFM figures and scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RfmScore {
    /// Days from the last purchase to the end of the window.
    pub recency_days: i64,
    /// Purchases inside the window.
    pub frequency: u32,
    /// Spent inside the window, base currency, minor units.
    pub monetary: i64,
    /// Recency score: 5 for the most recent fifth.
    pub r: u8,
    /// Frequency score: 5 for the most frequent fifth.
    pub f: u8,
    /// Monetary score: 5 for the biggest spenders' fifth.
    pub m: u8,
    /// The segment from `r` and `f`.
    pub segment: Segment,
    /// High value: a champion, or in the top fifth by spend while not lapsed
    /// (M 5 and R 3 or better). The VIP category follows this flag when a
    /// person or a rule applies it.
    pub high_value: bool,
}

/// Quintile scores 1 to 5 of `values`, higher values scoring higher. Equal
/// values always share a score: each takes the score of the first position
/// its value holds in ascending order.
pub fn quintiles(values: &[i64]) -> Vec<u8> {
    let n = values.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| values[i]);
    let mut scores = vec![0u8; n];
    let mut first = 0;
    for (position, &i) in order.iter().enumerate() {
        if position > 0 && values[i] != values[order[position - 1]] {
            first = position;
        }
        scores[i] = (1 + first * 5 / n) as u8;
    }
    scores
}

/// RFM scores of every customer in `customers` who bought on or before the
/// window's end (others get None), scored against each other.
pub fn score(customers: &[&CustomerSummary], window: Window) -> Vec<Option<RfmScore>> {
    let mut scored = Vec::new();
    let mut recency = Vec::new();
    let mut frequency = Vec::new();
    let mut monetary = Vec::new();
    for (index, customer) in customers.iter().enumerate() {
        let Some(last) = customer.orders.iter().map(|o| o.day).filter(|&d| d <= window.end).max() else {
            continue;
        };
        let inside = customer.orders.iter().filter(|o| window.contains(o.day));
        let (count, spent) = inside.fold((0u32, 0i64), |(n, s), o| {
            (n.saturating_add(1), s.saturating_add(o.base_amount().unwrap_or(0)))
        });
        scored.push(index);
        recency.push(window.end - last);
        frequency.push(i64::from(count));
        monetary.push(spent);
    }
    // Recent is good: score the negated age.
    let r = quintiles(&recency.iter().map(|d| -d).collect::<Vec<_>>());
    let f = quintiles(&frequency);
    let m = quintiles(&monetary);
    let mut out = vec![None; customers.len()];
    for (k, &index) in scored.iter().enumerate() {
        let segment = segment(r[k], f[k]);
        out[index] = Some(RfmScore {
            recency_days: recency[k],
            frequency: frequency[k] as u32,
            monetary: monetary[k],
            r: r[k],
            f: f[k],
            m: m[k],
            segment,
            high_value: segment == Segment::Champions || (m[k] == 5 && r[k] >= 3),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn ten_distinct_values_fall_two_to_a_quintile() {
        assert_eq!(quintiles(&[5, 1, 2, 3, 4, 6, 7, 8, 9, 10]), vec![3, 1, 1, 2, 2, 3, 4, 4, 5, 5]);
    }

    #[test]
    fn equal_values_share_the_lower_score() {
        assert_eq!(quintiles(&[7, 7, 7, 7, 7]), vec![1; 5]);
        assert_eq!(quintiles(&[1, 2, 2, 2, 9]), vec![1, 2, 2, 2, 5]);
    }

    #[test]
    fn the_segment_map_covers_the_corners() {
        assert_eq!(segment(5, 5), Segment::Champions);
        assert_eq!(segment(5, 1), Segment::New);
        assert_eq!(segment(4, 2), Segment::Promising);
        assert_eq!(segment(3, 3), Segment::Loyal);
        assert_eq!(segment(3, 1), Segment::NeedAttention);
        assert_eq!(segment(1, 5), Segment::CannotLose);
        assert_eq!(segment(2, 4), Segment::AtRisk);
        assert_eq!(segment(2, 1), Segment::Hibernating);
        assert_eq!(segment(1, 1), Segment::Lost);
    }

    proptest! {
        #[test]
        fn quintile_scores_are_between_one_and_five_and_follow_the_values(values in prop::collection::vec(-1000i64..1000, 1..200)) {
            let scores = quintiles(&values);
            for i in 0..values.len() {
                prop_assert!((1..=5).contains(&scores[i]));
                for j in 0..values.len() {
                    if values[i] < values[j] { prop_assert!(scores[i] <= scores[j]); }
                    if values[i] == values[j] { prop_assert_eq!(scores[i], scores[j]); }
                }
            }
            // The lowest value always scores 1.
            let min = values.iter().min().unwrap();
            prop_assert_eq!(scores[values.iter().position(|v| v == min).unwrap()], 1);
        }

        #[test]
        fn every_score_pair_has_exactly_one_segment(r in 1u8..=5, f in 1u8..=5) {
            let s = segment(r, f);
            prop_assert!(Segment::ALL.contains(&s));
        }
    }
}
