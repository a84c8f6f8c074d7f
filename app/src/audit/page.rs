//! `/audit`: the audit trail for managers (their team) and admins, filtered
//! by person, action, days and archive, with its export.

use domain::time::Date;
use domain::views::{AuditEntry, AuditFilter};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::describe::{ACTIONS, action_label, describe_entry};
use super::{export_audit, search_audit};
use crate::i18n::{Locale, app_error_message, fill, use_texts};

/// The filters, the entries that match, and an export of them.
#[component]
pub fn AuditPage() -> impl IntoView {
    let texts = use_texts();
    let t = texts.audit;
    let locale = use_context::<Locale>().unwrap_or_default();
    // A record links here with its id.
    let query = use_query_map();
    let customer = RwSignal::new(query.read_untracked().get("customer").unwrap_or_default());
    let (user, action, from, to) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let filter = move || AuditFilter {
        customer: Some(customer.get()).filter(|c| !c.trim().is_empty()),
        user: Some(user.get()).filter(|u| !u.trim().is_empty()),
        action: Some(action.get()).filter(|a| !a.is_empty()),
        from: Date::parse_field(&from.get(), "from").ok(),
        to: Date::parse_field(&to.get(), "to").ok(),
        limit: 500,
    };
    // Searched when asked, not per keystroke.
    let asked = RwSignal::new(filter());
    let entries = Resource::new(move || asked.get(), search_audit);
    let text_input = |id: &'static str, label: &'static str, signal: RwSignal<String>, kind: &'static str| {
        view! {
            <label for=id>{label}</label>
            <input id=id type=kind prop:value=move || signal.get() on:input=move |ev| signal.set(event_target_value(&ev)) />
        }
    };

    view! {
        <section class="card">
            <h1>{t.title}</h1>
            <form
                class="stacked-form audit-filters"
                on:submit=move |ev| {
                    ev.prevent_default();
                    asked.set(filter());
                }
            >
                {text_input("audit-user", t.user_label, user, "text")}
                <label for="audit-action">{t.action_label}</label>
                <select id="audit-action" on:change=move |ev| action.set(event_target_value(&ev))>
                    <option value="">{texts.all}</option>
                    {ACTIONS
                        .iter()
                        .map(|code| view! { <option value=*code>{action_label(locale, code)}</option> })
                        .collect_view()}
                </select>
                {text_input("audit-from", t.from_label, from, "date")}
                {text_input("audit-to", t.to_label, to, "date")}
                {text_input("audit-customer", t.customer_label, customer, "text")}
                <div class="button-row">
                    <button type="submit" class="button primary">{t.search}</button>
                    <AuditExport filter=Signal::derive(move || asked.get()) />
                </div>
            </form>
        </section>
        <section class="card">
            <Transition fallback=move || view! { <p class="muted">{texts.loading}</p> }>
                {move || {
                    entries
                        .get()
                        .map(|result| match result {
                            Ok(list) if list.is_empty() => view! { <p class="muted">{t.none}</p> }.into_any(),
                            Ok(list) => view! {
                                <p class="muted" data-testid="audit-count">{fill(t.count, &[("n", &list.len().to_string())])}</p>
                                <AuditEntries entries=list with_customer=true />
                            }
                            .into_any(),
                            Err(error) => {
                                view! { <p class="form-error" role="alert">{app_error_message(locale, &error)}</p> }.into_any()
                            }
                        })
                }}
            </Transition>
        </section>
    }
}

/// Entries as a timeline: when, who, what, the old and new value, why.
#[component]
pub fn AuditEntries(entries: Vec<AuditEntry>, #[prop(optional)] with_customer: bool) -> impl IntoView {
    let texts = use_texts();
    let t = texts.audit;
    let locale = use_context::<Locale>().unwrap_or_default();
    view! {
        <ol class="timeline history audit-entries">
            {entries
                .into_iter()
                .map(|entry| {
                    let described = describe_entry(locale, &entry);
                    let change = match (described.old.is_empty(), described.new.is_empty()) {
                        (true, true) => String::new(),
                        (true, false) => described.new.clone(),
                        (false, true) => format!("{} → —", described.old),
                        (false, false) => format!("{} → {}", described.old, described.new),
                    };
                    let action = action_label(locale, &entry.action);
                    let headline = if described.what == action { action } else { format!("{action} · {}", described.what) };
                    let link = entry
                        .customer
                        .clone()
                        .filter(|_| with_customer)
                        .map(|id| view! { <a class="audit-record" href=format!("/customers/{id}")>{t.open_record}</a> });
                    view! {
                        <li class="timeline-item" data-action=entry.action.clone() data-subject=entry.subject.clone().unwrap_or_default()>
                            <span class="timeline-when">{format!("{} · {}", when(&entry.at), entry.user)}</span>
                            <p>
                                <strong>{headline}</strong>
                                {(!change.is_empty()).then(|| view! { <br /><span class="audit-change">{change}</span> })}
                                {entry.reason.map(|r| view! { <br /><span class="muted">{fill(t.reason, &[("reason", &r)])}</span> })}
                            </p>
                            {link}
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}

/// An RFC 3339 instant from the server as the company's day and minute.
fn when(at: &str) -> String {
    let parsed = time_of(at);
    parsed.unwrap_or_else(|| at.to_owned())
}

/// `2026-12-04T08:05:00.123Z` (or with an offset) as `2026-12-04 16:05` company time.
fn time_of(at: &str) -> Option<String> {
    let (date, rest) = at.split_once('T')?;
    let date = Date::parse_field(date, "at").ok()?;
    let hours: i64 = rest.get(0..2)?.parse().ok()?;
    let minutes: i64 = rest.get(3..5)?.parse().ok()?;
    let tail = &rest[5..];
    let offset = match tail.find(['+', '-']) {
        Some(i) => {
            let sign = if tail[i..].starts_with('-') { -1 } else { 1 };
            let h: i64 = tail.get(i + 1..i + 3)?.parse().ok()?;
            let m: i64 = tail.get(i + 4..i + 6).and_then(|m| m.parse().ok()).unwrap_or(0);
            sign * (h * 60 + m)
        }
        None => 0,
    };
    let minutes_utc = date.days_since_epoch() * 24 * 60 + hours * 60 + minutes - offset;
    Some(domain::time::Timestamp(minutes_utc * 60_000).local_minute())
}

/// Exports what the filter selects as CSV, handed to the browser as a download.
#[component]
fn AuditExport(filter: Signal<AuditFilter>) -> impl IntoView {
    let texts = use_texts();
    let locale = use_context::<Locale>().unwrap_or_default();
    let export = Action::new(move |f: &AuditFilter| export_audit(f.clone()));
    let csv = Signal::derive(move || export.value().get().and_then(Result::ok));
    let failure = move || export.value().get().and_then(Result::err).map(|e| app_error_message(locale, &e));
    view! {
        <button
            type="button"
            class="button"
            data-export="audit"
            disabled=move || export.pending().get()
            on:click=move |_| {
                export.dispatch(filter.get_untracked());
            }
        >
            {move || if export.pending().get() { texts.dashboard.exporting } else { texts.dashboard.export_csv }}
        </button>
        <crate::csv::CsvDownload csv file_name="audit.csv" label=texts.dashboard.download />
        <p class="form-error" role="alert">{failure}</p>
    }
}

#[cfg(test)]
mod tests {
    use super::time_of;

    #[test]
    fn server_instants_read_in_china_time() {
        assert_eq!(time_of("2026-12-04T20:05:00.123Z").as_deref(), Some("2026-12-05 04:05"));
        assert_eq!(time_of("2026-12-04T08:05:00+08:00").as_deref(), Some("2026-12-04 08:05"));
        assert_eq!(time_of("not a time"), None);
    }
}
