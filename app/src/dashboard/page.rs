//! The dashboard pages: overview, churn warning and customer value. They
//! are online pages: the server renders them with their figures.

use domain::Change;
use domain::analytics::rfm::Segment;
use domain::archive::{FieldValue, LifecycleStage, Task, TaskKind};
use domain::ids::{CustomerId, ItemId};
use domain::mutation::FieldEdit;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::api::{DashboardTable, dashboard_churn, dashboard_overview, dashboard_value, export_dashboard};
use super::charts::{Bar, BarChart, ColumnChart};
use super::tables::{self, Table, average, percent, who};
use super::texts::DashboardTexts;
use crate::form::record_error_message;
use crate::i18n::{Label, Locale, app_error_message, money};
use crate::offline::{Offline, use_offline};

fn locale() -> Locale {
    use_context::<Locale>().unwrap_or_default()
}

/// The three dashboards' tabs.
#[component]
fn Tabs(active: &'static str) -> impl IntoView {
    let t = crate::i18n::texts(locale()).dashboard;
    let tab = move |href: &'static str, label: &'static str| {
        let current = href == active;
        view! {
            <a class="tab" href=href aria-current=current.then_some("page")>
                {label}
            </a>
        }
    };
    view! {
        <nav class="tabs dashboard-tabs">
            {tab("/dashboard", t.tab_overview)} {tab("/dashboard/churn", t.tab_churn)}
            {tab("/dashboard/value", t.tab_value)}
        </nav>
    }
}

/// A table of figures.
#[component]
fn FigureTable(table: Table) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="figure-table">
                <thead>
                    <tr>{table.header.into_iter().map(|h| view! { <th scope="col">{h}</th> }).collect_view()}</tr>
                </thead>
                <tbody>
                    {table
                        .rows
                        .into_iter()
                        .map(|row| view! { <tr>{row.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr> })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// Exports one table as CSV and hands it to the browser as a download.
#[component]
fn ExportButton(
    table: DashboardTable,
    #[prop(default = None)] threshold: Option<f64>,
    #[prop(default = None)] segment: Option<Segment>,
) -> impl IntoView {
    let locale = locale();
    let t = crate::i18n::texts(locale).dashboard;
    let export = Action::new(move |_: &()| export_dashboard(table, threshold, segment));
    let csv = Signal::derive(move || export.value().get().and_then(Result::ok));
    let failure = move || export.value().get().and_then(Result::err).map(|e| app_error_message(locale, &e));
    view! {
        <div class="export">
            <button
                class="button"
                data-export=table_key(table)
                disabled=move || export.pending().get()
                on:click=move |_| {
                    export.dispatch(());
                }
            >
                {move || if export.pending().get() { t.exporting } else { t.export_csv }}
            </button>
            <crate::csv::CsvDownload csv file_name=tables::file_name(table) label=t.download />
            <p class="form-error" role="alert">
                {failure}
            </p>
        </div>
    }
}

/// The table's name on the wire, also used to mark its panel and button.
fn table_key(table: DashboardTable) -> String {
    domain::archive::wire_name(&table)
}

/// A chart with its table and export button.
fn panel(title: String, chart: AnyView, table: Table, export: DashboardTable) -> AnyView {
    view! {
        <section class="card panel" data-panel=table_key(export)>
            <h2>{title}</h2>
            {chart}
            <FigureTable table />
            <ExportButton table=export />
        </section>
    }
    .into_any()
}

fn figure(label: &str, value: String, id: &'static str) -> impl IntoView {
    view! {
        <div class="figure" data-figure=id>
            <span class="figure-value">{value}</span>
            <span class="figure-label">{label.to_owned()}</span>
        </div>
    }
}

fn error_card(locale: Locale, error: &crate::error::AppError) -> AnyView {
    view! { <p class="card form-error">{app_error_message(locale, error)}</p> }.into_any()
}

fn yuan(minor: i64) -> String {
    money(minor, "CNY")
}

/// The team overview: stages, categories, months, reps, weeks, complaints, satisfaction.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let locale = locale();
    let t = crate::i18n::texts(locale).dashboard;
    let data = Resource::new(|| (), |_| dashboard_overview());
    view! {
        <div class="dashboard">
            <h1>{t.title}</h1>
            <Tabs active="/dashboard" />
            <Suspense fallback=move || view! { <p class="muted">{crate::i18n::use_texts().loading}</p> }>
                {move || {
                    data.get()
                        .map(|result| match result {
                            Err(error) => error_card(locale, &error),
                            Ok(data) => overview_view(&data, locale, t).into_any(),
                        })
                }}
            </Suspense>
        </div>
    }
}

fn overview_view(
    data: &super::api::OverviewData,
    locale: Locale,
    t: &'static DashboardTexts,
) -> impl IntoView {
    let o = &data.overview;
    let s = &data.satisfaction;
    let stage_bars: Vec<Bar> = o
        .by_stage
        .iter()
        .map(|(stage, n)| Bar { label: stage.label(locale), value: f64::from(*n), text: n.to_string() })
        .collect();
    let month_label = |m: &domain::analytics::dashboard::Month| format!("{:02}", m.month);
    let new_bars: Vec<Bar> = o
        .months
        .iter()
        .zip(&o.new_per_month)
        .map(|(m, n)| Bar { label: month_label(m), value: f64::from(*n), text: n.to_string() })
        .collect();
    let revenue_bars: Vec<Bar> = o
        .months
        .iter()
        .zip(&o.revenue_per_month)
        .map(|(m, v)| Bar { label: month_label(m), value: *v as f64, text: yuan(*v) })
        .collect();
    let rep_bars: Vec<Bar> = o
        .revenue_per_rep
        .iter()
        .take(12)
        .map(|(rep, v)| Bar { label: who(&data.names, rep.as_ref(), t), value: *v as f64, text: yuan(*v) })
        .collect();
    let this_week: Vec<Bar> = o
        .contacts_per_rep
        .iter()
        .take(12)
        .map(|r| {
            let n = r.visits[r.visits.len() - 1] + r.calls[r.calls.len() - 1];
            Bar { label: who(&data.names, Some(&r.rep), t), value: f64::from(n), text: n.to_string() }
        })
        .collect();
    let trend: Vec<Bar> = s
        .months
        .iter()
        .zip(&s.per_month)
        .map(|(m, a)| Bar {
            label: month_label(m),
            value: f64::from(a.x100().unwrap_or(0)),
            text: average(a, t),
        })
        .collect();
    let complaint_bars: Vec<Bar> = o
        .complaints_open
        .iter()
        .take(10)
        .map(|c| Bar { label: c.name.clone(), value: c.days_open as f64, text: c.days_open.to_string() })
        .collect();
    // One boxed view per panel keeps the page's view type shallow.
    let panels: Vec<AnyView> = vec![
        panel(
            format!("{} · {}", t.by_stage, t.by_category),
            view! { <BarChart title=t.by_stage.to_owned() bars=stage_bars /> }.into_any(),
            tables::stages(data, locale),
            DashboardTable::Stages,
        ),
        panel(
            t.new_per_month.to_owned(),
            view! { <ColumnChart title=t.new_per_month.to_owned() bars=new_bars /> }.into_any(),
            tables::months(data, locale),
            DashboardTable::Months,
        ),
        panel(
            t.revenue_per_month.to_owned(),
            view! { <ColumnChart title=t.revenue_per_month.to_owned() bars=revenue_bars /> }.into_any(),
            tables::months(data, locale),
            DashboardTable::Months,
        ),
        panel(
            t.revenue_per_rep.to_owned(),
            view! { <BarChart title=t.revenue_per_rep.to_owned() bars=rep_bars /> }.into_any(),
            tables::revenue_per_rep(data, locale),
            DashboardTable::RevenuePerRep,
        ),
        panel(
            t.contacts_per_rep.to_owned(),
            view! { <BarChart title=t.contacts_per_rep.to_owned() bars=this_week /> }.into_any(),
            tables::contacts_per_rep(data, locale),
            DashboardTable::ContactsPerRep,
        ),
        panel(
            t.complaints_open.to_owned(),
            view! { <BarChart title=t.days_open.to_owned() bars=complaint_bars /> }.into_any(),
            tables::complaints(data, locale),
            DashboardTable::Complaints,
        ),
        panel(
            t.satisfaction_trend.to_owned(),
            view! { <ColumnChart title=t.satisfaction_trend.to_owned() bars=trend /> }.into_any(),
            tables::satisfaction(data, locale),
            DashboardTable::Satisfaction,
        ),
    ];
    view! {
        <section class="card kpis">
            {figure(t.customers, o.customers.to_string(), "customers")}
            {figure(t.overdue_follow_ups, o.overdue_follow_ups.to_string(), "overdue_follow_ups")}
            {figure(t.overdue_reviews, o.overdue_reviews.to_string(), "overdue_reviews")}
            {figure(t.complaints_open, o.complaints_open.len().to_string(), "complaints_open")}
            {figure(t.satisfaction_average, average(&s.overall, t), "satisfaction")}
        </section>
        <div class="panels">{panels}</div>
    }
}

/// What a tap on a churn warning did.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Done {
    FollowUp,
    Stage,
    Failed(String),
}

/// Records a change from the dashboard through the device's outbox, like
/// every other edit; the archive must be on the device.
fn record_on_device(
    offline: Offline,
    locale: Locale,
    id: CustomerId,
    change: impl FnOnce(u64) -> Change,
) -> Result<(), String> {
    let t = crate::i18n::texts(locale).dashboard;
    if offline.read(|r| r.customer(&id).is_some()) != Some(true) {
        return Err(t.not_on_device.to_owned());
    }
    offline.record(id, change(offline.base(&id))).map(|_| ()).map_err(|e| record_error_message(locale, &e))
}

/// Customers likely to have stopped buying, with one tap to act on each.
#[component]
pub fn ChurnPage() -> impl IntoView {
    let locale = locale();
    let t = crate::i18n::texts(locale).dashboard;
    let query = use_query_map();
    let threshold = move || query.read().get("below").and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.5);
    let fresh = RwSignal::new(0u32);
    let data = Resource::new(
        move || (threshold(), fresh.get()),
        |(below, fresh)| dashboard_churn(Some(below), Some(fresh > 0)),
    );
    let offline = use_offline();
    view! {
        <div class="dashboard">
            <h1>{t.churn_title}</h1>
            <Tabs active="/dashboard/churn" />
            <nav class="filter-chips" aria-label=t.threshold>
                <span>{t.threshold}</span>
                {[0.3, 0.5, 0.7]
                    .into_iter()
                    .map(|below| {
                        view! {
                            <a class="filter-chip" class:active=move || (threshold() - below).abs() < 1e-9 href=format!("/dashboard/churn?below={below}")>
                                {percent(below)}
                            </a>
                        }
                    })
                    .collect_view()}
                <button class="button" on:click=move |_| fresh.update(|n| *n += 1)>
                    {t.rescore}
                </button>
            </nav>
            <Suspense fallback=move || view! { <p class="muted">{crate::i18n::use_texts().loading}</p> }>
                {move || {
                    data.get()
                        .map(|result| match result {
                            Err(error) => error_card(locale, &error),
                            Ok(data) => {
                                let model = match &data.model.fit {
                                    Ok(fit) => {
                                        format!(
                                            "{}: r={:.3} α={:.3} a={:.3} b={:.3} · n={} · {} ms",
                                            t.model_fitted,
                                            fit.params.r,
                                            fit.params.alpha,
                                            fit.params.a,
                                            fit.params.b,
                                            fit.customers,
                                            data.model.took_ms,
                                        )
                                    }
                                    Err(reason) => format!("{}{reason}", t.model_unavailable),
                                };
                                let table = tables::churn(&data, locale);
                                let rows = data
                                    .warnings
                                    .iter()
                                    .map(|w| {
                                        let id = w.customer;
                                        let suggested = w.suggested;
                                        let done = RwSignal::new(None::<Done>);
                                        let follow_up = move |_| {
                                            let result = record_on_device(offline, locale, id, |base| Change::PutTask {
                                                id: ItemId::new(),
                                                task: Task {
                                                    kind: TaskKind::FollowUp,
                                                    due: crate::offline::today(),
                                                    note: Some(t.follow_up_note.to_owned()),
                                                    done: false,
                                                    assignee: None,
                                                },
                                                base,
                                            });
                                            done.set(Some(result.map_or_else(Done::Failed, |_| Done::FollowUp)));
                                        };
                                        let apply = move |_| {
                                            let result = record_on_device(offline, locale, id, |base| Change::SetFields {
                                                edits: vec![FieldEdit { value: FieldValue::Stage(suggested), base }],
                                            });
                                            done.set(Some(result.map_or_else(Done::Failed, |_| Done::Stage)));
                                        };
                                        let differs = w.stage != w.suggested && w.suggested != LifecycleStage::Lead;
                                        view! {
                                            <li class="warning-row" data-customer=id.to_string()>
                                                <div class="warning-main">
                                                    <a href=format!("/customers/{id}")>{w.name.clone()}</a>
                                                    <span class="muted">
                                                        {format!(
                                                            "{} · {} {} · {} {}",
                                                            who(&data.names, w.owner.as_ref(), t),
                                                            t.last_contact,
                                                            w.last_contact.map_or_else(|| t.none.to_owned(), |d| d.to_string()),
                                                            t.p_alive,
                                                            percent(w.p_alive),
                                                        )}
                                                    </span>
                                                    {w.follow_up_due.map(|d| view! { <span class="muted">{format!("{}{d}", t.follow_up_waiting)}</span> })}
                                                </div>
                                                <div class="warning-actions">
                                                    <button class="button primary" data-action="follow-up" on:click=follow_up>
                                                        {t.assign_follow_up}
                                                    </button>
                                                    {differs
                                                        .then(|| {
                                                            view! {
                                                                <button class="button" data-action="apply-stage" on:click=apply>
                                                                    {format!("{} · {}", t.apply_stage, suggested.label(locale))}
                                                                </button>
                                                            }
                                                        })}
                                                </div>
                                                <p class="row-status" role="status">
                                                    {move || match done.get() {
                                                        Some(Done::FollowUp) => t.follow_up_assigned.to_owned(),
                                                        Some(Done::Stage) => t.stage_applied.to_owned(),
                                                        Some(Done::Failed(why)) => why,
                                                        None => String::new(),
                                                    }}
                                                </p>
                                            </li>
                                        }
                                            .into_any()
                                    })
                                    .collect_view();
                                let empty = data.warnings.is_empty();
                                view! {
                                    <section class="card">
                                        <p class="muted model" data-model=data.model.fit.is_ok().to_string()>{model}</p>
                                        {empty.then(|| view! { <p class="muted">{t.no_warnings}</p> })}
                                        <ul class="warning-list">{rows}</ul>
                                    </section>
                                    <section class="card panel" data-panel="churn">
                                        <h2>{t.table}</h2>
                                        <FigureTable table />
                                        <ExportButton table=DashboardTable::Churn threshold=Some(data.threshold) />
                                    </section>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
        </div>
    }
}

/// Customer value: RFM segments with counts and revenue share, and a drill-down.
#[component]
pub fn ValuePage() -> impl IntoView {
    let locale = locale();
    let t = crate::i18n::texts(locale).dashboard;
    let query = use_query_map();
    let segment = move || {
        query
            .read()
            .get("segment")
            .and_then(|s| serde_json::from_value::<Segment>(serde_json::Value::String(s)).ok())
    };
    let data = Resource::new(segment, |segment| dashboard_value(segment, None));
    view! {
        <div class="dashboard">
            <h1>{t.value_title}</h1>
            <Tabs active="/dashboard/value" />
            <Suspense fallback=move || view! { <p class="muted">{crate::i18n::use_texts().loading}</p> }>
                {move || {
                    data.get()
                        .map(|result| match result {
                            Err(error) => error_card(locale, &error),
                            Ok(data) => {
                                let r = &data.report;
                                let bars: Vec<Bar> = r
                                    .segments
                                    .iter()
                                    .map(|s| Bar {
                                        label: s.segment.label(locale),
                                        value: f64::from(s.customers),
                                        text: s.customers.to_string(),
                                    })
                                    .collect();
                                let chips = std::iter::once(None)
                                    .chain(Segment::ALL.into_iter().map(Some))
                                    .map(|s| {
                                        let label = s.map_or_else(|| t.all_segments.to_owned(), |s| s.label(locale));
                                        let href = s.map_or_else(
                                            || "/dashboard/value".to_owned(),
                                            |s| format!("/dashboard/value?segment={}", domain::archive::wire_name(&s)),
                                        );
                                        view! {
                                            <a class="filter-chip" class:active=s == data.segment href=href>
                                                {label}
                                            </a>
                                        }
                                    })
                                    .collect_view();
                                view! {
                                    <section class="card kpis">
                                        {figure(t.revenue, yuan(r.total_revenue), "revenue")}
                                        {figure(t.high_value, r.high_value.to_string(), "high_value")}
                                        {figure(t.no_purchases, r.no_purchases.to_string(), "no_purchases")}
                                        <p class="muted">{t.window}</p>
                                    </section>
                                    {panel(
                                        t.segment.to_owned(),
                                        view! { <BarChart title=t.segment.to_owned() bars /> }.into_any(),
                                        tables::segments(&data, locale),
                                        DashboardTable::Segments,
                                    )}
                                    <section class="card panel" data-panel="segment_customers">
                                        <nav class="filter-chips">{chips}</nav>
                                        <FigureTable table=tables::segment_customers(&data, locale) />
                                        <ExportButton table=DashboardTable::SegmentCustomers segment=data.segment />
                                    </section>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
        </div>
    }
}
