//! Today: follow-ups due, birthdays this week, maintenance due, records due
//! for review, records gone quiet, open complaints. Computed on the device from the cache.

use domain::portfolio::{Due, agenda};
use leptos::prelude::*;

use crate::auth::SignedIn;
use crate::i18n::{fill, use_texts};
use crate::offline::{today, use_offline};

/// `/`.
#[component]
pub fn TodayPage() -> impl IntoView {
    view! {
        <SignedIn>
            <Agenda />
        </SignedIn>
    }
}

#[component]
fn Agenda() -> impl IntoView {
    let texts = use_texts();
    let offline = use_offline();
    let entries = Memo::new(move |_| offline.read(|r| agenda(r.kept(), today(), &r.meta().review_rules)));
    // Nothing due means nothing at all, warnings of a recycle included.
    let warnings = crate::pool::use_recycle_warnings();
    let section = move |title: &'static str, pick: fn(&Due) -> Option<String>| {
        move || {
            let rows: Vec<(String, String, String)> = entries
                .get()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|e| pick(&e.due).map(|detail| (e.customer.to_string(), e.name, detail)))
                .collect();
            (!rows.is_empty()).then(|| {
                view! {
                    <section class="card agenda-section">
                        <h2>{title}<span class="count-chip">{rows.len()}</span></h2>
                        <ul class="plain-list agenda">
                            {rows
                                .into_iter()
                                .map(|(id, name, detail)| {
                                    view! {
                                        <li>
                                            <a class="agenda-row" href=format!("/customers/{id}")>
                                                <span class="row-name">{name}</span>
                                                <span class="muted">{detail}</span>
                                            </a>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    </section>
                }
            })
        }
    };
    let days_open = texts.days_open;
    view! {
        <h1 class="page-title">{texts.today_title}" · "{move || today().to_string()}</h1>
        {move || match entries.get() {
            None => Some(view! { <p class="muted">{texts.loading}</p> }.into_any()),
            Some(list) if list.is_empty() && warnings.with(Vec::is_empty) => Some(view! { <section class="card"><p class="muted">{texts.nothing_due}</p></section> }.into_any()),
            Some(_) => None,
        }}
        <crate::pool::RecycleWarnings rows=warnings />
        {section(texts.agenda_follow_up, |d| match d { Due::FollowUp { due, .. } => Some(due.to_string()), _ => None })}
        {section(texts.agenda_birthday, |d| match d { Due::Birthday { on } => Some(on.to_string()), _ => None })}
        {section(texts.agenda_maintenance, |d| match d { Due::Maintenance { due, .. } => Some(due.to_string()), _ => None })}
        {section(texts.agenda_review, |d| match d { Due::Review { due } => Some(due.to_string()), _ => None })}
        {section(texts.review.agenda_quiet, |d| match d { Due::Quiet { since } => Some(since.to_string()), _ => None })}
        {move || {
            let rows: Vec<_> = entries
                .get()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|e| match e.due { Due::Complaint { days_open: n, .. } => Some((e.customer.to_string(), e.name, n)), _ => None })
                .collect();
            (!rows.is_empty()).then(|| view! {
                <section class="card agenda-section">
                    <h2>{texts.agenda_complaint}<span class="count-chip">{rows.len()}</span></h2>
                    <ul class="plain-list agenda">
                        {rows.into_iter().map(|(id, name, n)| view! {
                            <li>
                                <a class="agenda-row" href=format!("/customers/{id}")>
                                    <span class="row-name">{name}</span>
                                    <span class="muted">{fill(days_open, &[("n", &n.to_string())])}</span>
                                </a>
                            </li>
                        }).collect_view()}
                    </ul>
                </section>
            })
        }}
    }
}
