//! Today: follow-ups due, birthdays this week (solar or lunar), maintenance
//! due, records due for review, records gone quiet, festivals coming, open
//! complaints. Computed on the device from the cache and the calendar.

use domain::calendar::festivals_between;
use domain::portfolio::{Due, agenda};
use domain::time::Date;
use leptos::prelude::*;

use crate::auth::SignedIn;
use crate::i18n::{Label, Locale, birthday_text, fill, use_locale, use_texts};
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
    let locale = use_locale();
    let offline = use_offline();
    let entries = Memo::new(move |_| {
        let me = offline.user();
        offline.read(|r| agenda(r.kept(), today(), &r.meta().review_rules, me.as_ref()))
    });
    // Nothing due means nothing at all, warnings of a recycle included.
    let warnings = crate::pool::use_recycle_warnings();
    let section = move |title: &'static str, pick: fn(Locale, &Due) -> Option<String>| {
        move || {
            let rows: Vec<(String, String, String)> = entries
                .get()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|e| pick(locale, &e.due).map(|detail| (e.customer.to_string(), e.name, detail)))
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
        <crate::notifications::UnreadNotifications />
        <crate::pool::RecycleWarnings rows=warnings />
        {section(texts.agenda_follow_up, |_, d| match d { Due::FollowUp { due, .. } => Some(due.to_string()), _ => None })}
        {section(texts.agenda_birthday, |locale, d| match d { Due::Birthday { on, lunar } => Some(birthday_text(locale, *on, *lunar)), _ => None })}
        {section(texts.agenda_maintenance, |_, d| match d { Due::Maintenance { due, .. } => Some(due.to_string()), _ => None })}
        {section(texts.agenda_review, |_, d| match d { Due::Review { due } => Some(due.to_string()), _ => None })}
        {section(texts.review.agenda_quiet, |_, d| match d { Due::Quiet { since } => Some(since.to_string()), _ => None })}
        <Festivals />
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

/// The festivals of the coming week, for greetings and offers.
#[component]
fn Festivals() -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    move || {
        let from = today();
        let to = Date::from_days_since_epoch(from.days_since_epoch() + 7);
        let coming = festivals_between(from, to);
        (!coming.is_empty()).then(|| {
            view! {
                <section class="card agenda-section" data-testid="festivals">
                    <h2>{texts.agenda_festivals}<span class="count-chip">{coming.len()}</span></h2>
                    <ul class="plain-list agenda">
                        {coming
                            .into_iter()
                            .map(|(festival, on)| view! {
                                <li class="agenda-row" data-festival=festival.as_str()>
                                    <span class="row-name">{festival.label(locale)}</span>
                                    <span class="muted">{on.to_string()}</span>
                                </li>
                            })
                            .collect_view()}
                    </ul>
                </section>
            }
        })
    }
}
