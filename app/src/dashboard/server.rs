//! The server side of the dashboards: the figures come from the store's
//! analytics cache, narrowed to what the signed-in user may see.

use std::collections::BTreeMap;
use std::sync::Arc;

use domain::analytics::dashboard::{self as figures, MONTHS};
use domain::analytics::rfm::{self, Segment, Window};
use domain::analytics::summary::CustomerSummary;
use domain::policy::{self, Viewer};
use store::{ScoringRun, Store};

use super::api::{ChurnData, DashboardTable, ModelInfo, OverviewData, ValueData};
use super::tables;
use crate::auth::signed_in;
use crate::error::{AppError, answer};
use crate::i18n::Locale;

/// The RFM window the value list uses unless told otherwise.
const DEFAULT_WINDOW_DAYS: i64 = 365;
/// The churn threshold unless told otherwise.
const DEFAULT_THRESHOLD: f64 = 0.5;
/// Rows a list shows at most.
const LIST_LIMIT: usize = 500;

/// Display names of the people the figures name: the keepers and the reps
/// who logged contacts in `mine`, and the viewer. Nobody else's name or id
/// leaves the server.
async fn names(
    store: &Store,
    viewer: &Viewer,
    mine: &[&CustomerSummary],
) -> Result<BTreeMap<String, String>, AppError> {
    let mut named: std::collections::BTreeSet<&str> =
        std::collections::BTreeSet::from([viewer.user.0.as_str()]);
    for summary in mine {
        named.extend(summary.owner.as_ref().map(|o| o.0.as_str()));
        named.extend(summary.contacts.iter().map(|c| c.by.0.as_str()));
    }
    Ok(answer(store.display_names().await)?
        .into_iter()
        .filter(|(id, _)| named.contains(id.0.as_str()))
        .map(|(id, name)| (id.0, name))
        .collect())
}

fn refs(summaries: &[Arc<CustomerSummary>]) -> Vec<&CustomerSummary> {
    summaries.iter().map(|s| s.as_ref()).collect()
}

fn today() -> i64 {
    store::today().days_since_epoch()
}

async fn overview_for(store: &Store, viewer: &Viewer) -> Result<OverviewData, AppError> {
    let summaries = answer(store.dashboard_summaries(viewer).await)?;
    let mine = refs(&summaries);
    let today = today();
    Ok(OverviewData {
        overview: figures::overview(&mine, today),
        satisfaction: figures::satisfaction(&mine, today),
        names: names(store, viewer, &mine).await?,
    })
}

fn model_info(run: &ScoringRun, mine: &[&CustomerSummary]) -> ModelInfo {
    ModelInfo {
        fit: run.scoring.fit.clone(),
        finished_at: run.finished_at,
        took_ms: run.took_ms,
        scored: mine.iter().filter(|s| run.scoring.scores.contains_key(&s.id)).count(),
    }
}

async fn churn_for(
    store: &Store,
    viewer: &Viewer,
    threshold: Option<f64>,
    fresh: bool,
) -> Result<ChurnData, AppError> {
    let threshold = threshold.filter(|t| t.is_finite()).unwrap_or(DEFAULT_THRESHOLD).clamp(0.0, 1.0);
    let fresh = fresh && policy::may_refit_model(viewer);
    let (summaries, run) =
        answer(store.scored_for(viewer, store::today(), DEFAULT_WINDOW_DAYS, fresh).await)?;
    let mine = refs(&summaries);
    Ok(ChurnData {
        warnings: figures::churn_warnings(&mine, &run.scoring.scores, threshold, LIST_LIMIT),
        threshold,
        model: model_info(&run, &mine),
        names: names(store, viewer, &mine).await?,
    })
}

async fn value_for(
    store: &Store,
    viewer: &Viewer,
    segment: Option<Segment>,
    window_days: Option<i64>,
) -> Result<ValueData, AppError> {
    let days = window_days.unwrap_or(DEFAULT_WINDOW_DAYS);
    if !rfm::WINDOW_DAYS.contains(&days) {
        let message = format!("the window is one of {:?} days", rfm::WINDOW_DAYS);
        return Err(AppError::BadRequest { reason: "dashboard.window".into(), message }.respond());
    }
    let (summaries, run) = answer(store.scored_for(viewer, store::today(), days, false).await)?;
    let mine = refs(&summaries);
    let window = Window { end: run.scoring.today, days };
    Ok(ValueData {
        report: figures::value_report(&mine, &run.scoring.scores, window),
        segment,
        customers: figures::segment_customers(&mine, &run.scoring.scores, segment, LIST_LIMIT),
        names: names(store, viewer, &mine).await?,
    })
}

pub(super) async fn overview() -> Result<OverviewData, AppError> {
    let (state, user) = signed_in().await?;
    overview_for(&state.store, &user.viewer()).await
}

pub(super) async fn churn(threshold: Option<f64>, fresh: bool) -> Result<ChurnData, AppError> {
    let (state, user) = signed_in().await?;
    churn_for(&state.store, &user.viewer(), threshold, fresh).await
}

pub(super) async fn value(segment: Option<Segment>, window_days: Option<i64>) -> Result<ValueData, AppError> {
    let (state, user) = signed_in().await?;
    value_for(&state.store, &user.viewer(), segment, window_days).await
}

pub(super) async fn export(
    table: DashboardTable,
    threshold: Option<f64>,
    segment: Option<Segment>,
) -> Result<String, AppError> {
    let (state, user) = signed_in().await?;
    let viewer = user.viewer();
    let locale = Locale::detect();
    let store = &state.store;
    let built = match table {
        DashboardTable::Stages
        | DashboardTable::Months
        | DashboardTable::RevenuePerRep
        | DashboardTable::ContactsPerRep
        | DashboardTable::Complaints
        | DashboardTable::Satisfaction => {
            let data = overview_for(store, &viewer).await?;
            match table {
                DashboardTable::Stages => tables::stages(&data, locale),
                DashboardTable::Months => tables::months(&data, locale),
                DashboardTable::RevenuePerRep => tables::revenue_per_rep(&data, locale),
                DashboardTable::ContactsPerRep => tables::contacts_per_rep(&data, locale),
                DashboardTable::Complaints => tables::complaints(&data, locale),
                _ => tables::satisfaction(&data, locale),
            }
        }
        DashboardTable::Churn => tables::churn(&churn_for(store, &viewer, threshold, false).await?, locale),
        DashboardTable::Segments => {
            tables::segments(&value_for(store, &viewer, segment, None).await?, locale)
        }
        DashboardTable::SegmentCustomers => {
            tables::segment_customers(&value_for(store, &viewer, segment, None).await?, locale)
        }
    };
    let detail = serde_json::json!({
        "table": store::wire_name(&table),
        "rows": built.rows.len(),
        "segment": segment.map(|s| store::wire_name(&s)),
        "months": MONTHS,
    });
    answer(store.record_audit(&viewer, "export_dashboard", None, Some(detail.to_string())).await)?;
    tracing::info!(user = %viewer.user, table = %store::wire_name(&table), rows = built.rows.len(), "dashboard exported");
    Ok(crate::csv::csv_document(&built.header, &built.rows))
}
