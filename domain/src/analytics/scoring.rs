//! A scoring run: RFM scores, churn risk from a BG/NBD model fitted to the
//! whole cohort, and a suggested lifecycle stage for every customer.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::bgnbd::{self, Fit, FitError, History};
use super::rfm::{self, RfmScore, Window};
use super::summary::CustomerSummary;
use crate::archive::LifecycleStage;
use crate::ids::CustomerId;

/// The period "expected purchases" looks ahead: 90 days, in weeks.
pub const NEXT_PERIOD_WEEKS: f64 = 90.0 / 7.0;

/// What the churn model says of one customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Churn {
    /// Never bought: a prospect, not a churn risk.
    NoPurchases,
    /// Bought on one day only: the model has no sign of dropping out for
    /// them (it would say "certainly active"), so they are not scored.
    SinglePurchase {
        /// Days since that purchase.
        days_since: i64,
    },
    /// Scored by the fitted model.
    Scored {
        /// The probability the customer is still active, 0 to 1.
        p_alive: f64,
        /// Purchases expected in the next 90 days; none where the formula
        /// has no finite value for the fitted parameters.
        expected: Option<f64>,
    },
    /// The cohort could not be fitted, so nobody is scored.
    ModelUnavailable {
        /// Why.
        reason: FitError,
    },
}

/// One customer's scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerScore {
    /// RFM, for customers who have bought.
    pub rfm: Option<RfmScore>,
    /// Churn risk.
    pub churn: Churn,
    /// The stage the figures suggest (see [`suggest_stage`]).
    pub suggested: LifecycleStage,
}

/// The result of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scoring {
    /// The day it scores as of (days since the epoch).
    pub today: i64,
    /// The RFM window.
    pub window: Window,
    /// The fitted model, or why there is none.
    pub fit: Result<Fit, FitError>,
    /// Scores by archive.
    pub scores: HashMap<CustomerId, CustomerScore>,
}

/// Scores every customer in `customers` (deleted ones are skipped) as of
/// `today`, with RFM over the `window_days` up to today, fitting the churn
/// model to them first.
pub fn score_all(customers: &[&CustomerSummary], today: i64, window_days: i64) -> Scoring {
    let live: Vec<&CustomerSummary> = customers.iter().copied().filter(|c| !c.deleted).collect();
    let cohort: Vec<History> = live.iter().filter_map(|c| history(c, today)).collect();
    score_with(&live, today, window_days, bgnbd::fit(&cohort))
}

/// Like [`score_all`] with a model fitted before: the fit describes the
/// cohort and moves slowly, so a recent one serves while the individual
/// scores follow every change.
pub fn score_with(
    customers: &[&CustomerSummary],
    today: i64,
    window_days: i64,
    fit: Result<Fit, FitError>,
) -> Scoring {
    let live: Vec<&CustomerSummary> = customers.iter().copied().filter(|c| !c.deleted).collect();
    let window = Window { end: today, days: window_days.max(1) };
    let rfm = rfm::score(&live, window);
    let mut scores = HashMap::with_capacity(live.len());
    for (customer, rfm) in live.iter().zip(rfm) {
        let churn = match (history(customer, today), &fit) {
            (None, _) => Churn::NoPurchases,
            (Some(h), _) if h.frequency == 0.0 => {
                Churn::SinglePurchase { days_since: (h.age * 7.0).round() as i64 }
            }
            (Some(h), Ok(fit)) => Churn::Scored {
                p_alive: bgnbd::probability_alive(&fit.params, &h),
                expected: bgnbd::expected_purchases(&fit.params, &h, NEXT_PERIOD_WEEKS),
            },
            (Some(_), Err(reason)) => Churn::ModelUnavailable { reason: reason.clone() },
        };
        let suggested = suggest_stage(customer, &churn, today);
        scores.insert(customer.id, CustomerScore { rfm, churn, suggested });
    }
    Scoring { today, window, fit, scores }
}

fn history(customer: &CustomerSummary, today: i64) -> Option<History> {
    History::from_purchase_days(&customer.orders.iter().map(|o| o.day).collect::<Vec<_>>(), today)
}

/// Below this probability of being active a customer is suggested churned.
pub const CHURNED_BELOW: f64 = 0.2;
/// Below this probability of being active a customer is suggested at risk.
pub const AT_RISK_BELOW: f64 = 0.5;

/// The lifecycle stage the figures suggest. A suggestion only: it becomes the
/// archive's stage when a person confirms it. In order:
/// - never bought: lead;
/// - probability active below 0.2, or no purchase for 365 days: churned;
/// - probability active below 0.5, or a single purchase over 180 days ago: at risk;
/// - first purchase in the last 90 days: new;
/// - purchases on 5 or more days and a customer for a year or more: loyal;
/// - otherwise: active.
pub fn suggest_stage(customer: &CustomerSummary, churn: &Churn, today: i64) -> LifecycleStage {
    let days: Vec<i64> = customer.orders.iter().map(|o| o.day).filter(|&d| d <= today).collect();
    let (Some(&first), Some(&last)) = (days.iter().min(), days.iter().max()) else {
        return LifecycleStage::Lead;
    };
    let mut distinct = days.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let p_alive = match churn {
        Churn::Scored { p_alive, .. } => Some(*p_alive),
        _ => None,
    };
    if p_alive.is_some_and(|p| p < CHURNED_BELOW) || today - last > 365 {
        LifecycleStage::Churned
    } else if p_alive.is_some_and(|p| p < AT_RISK_BELOW) || (distinct.len() == 1 && today - last > 180) {
        LifecycleStage::AtRisk
    } else if today - first <= 90 {
        LifecycleStage::New
    } else if distinct.len() >= 5 && today - first >= 365 {
        LifecycleStage::Loyal
    } else {
        LifecycleStage::Active
    }
}
