//! The pool page, the release form on a record, and Today's warnings.

use std::collections::BTreeSet;

use domain::Change;
use domain::ids::CustomerId;
use domain::policy;
use domain::pool::{Silence, recycle_date};
use leptos::prelude::*;

use super::assign::AssignFromPool;
use crate::auth::{SignedIn, use_current_user};
use crate::form::record_error_message;
use crate::i18n::Locale;
use crate::i18n::{Label, field_error_message, fill, refusal_message, use_locale, use_texts};
use crate::offline::{Offline, today, use_offline};
use domain::views::User;

/// One archive of the pool as the list shows it.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    id: CustomerId,
    name: String,
    detail: String,
    pool: String,
    /// Whether the viewer runs its pool, so may hand it out.
    runs: bool,
}

/// `/pool`.
#[component]
pub fn PoolPage() -> impl IntoView {
    view! {
        <SignedIn>
            <PoolList />
        </SignedIn>
    }
}

#[component]
fn PoolList() -> impl IntoView {
    let texts = use_texts();
    let t = texts.pool;
    let locale = use_locale();
    let offline = use_offline();
    let text = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<String>);
    let user = use_current_user();
    let viewer = Memo::new(move |_| user.get().and_then(Result::ok).flatten().map(|u| u.viewer()));
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let assigned = RwSignal::new(None::<Result<String, String>>);
    let rows = Memo::new(move |_| {
        let wanted = text.get().trim().to_lowercase();
        let viewer = viewer.get();
        offline.read(|r| {
            let mut rows: Vec<Row> = r
                .pooled()
                .filter(|c| {
                    let keys = r.cached(&c.id).map(|x| &x.keys);
                    wanted.is_empty()
                        || c.fields.name.as_str().to_lowercase().contains(&wanted)
                        || keys.is_some_and(|k| k.pinyin.contains(&wanted) || k.initials.starts_with(&wanted))
                })
                .map(|c| Row {
                    id: c.id,
                    name: c.fields.name.as_str().to_owned(),
                    detail: [
                        c.fields.address.city.clone(),
                        Some(c.fields.category.label(locale)),
                        Some(c.fields.stage.label(locale)),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" · "),
                    pool: pool_label(t, c.pool.as_deref()),
                    runs: viewer.as_ref().is_some_and(|v| policy::runs_pool(v, c.pool.as_deref())),
                })
                .collect();
            rows.sort_by(|a, b| a.name.cmp(&b.name));
            rows
        })
    });
    // Whether the viewer runs any pool listed: then rows get a box to tick
    // (and those without one a space, so names line up) and the assign form shows.
    let hands_out = Memo::new(move |_| rows.with(|r| r.iter().flatten().any(|row| row.runs)));
    let waiting = Memo::new(move |_| {
        offline
            .read(|r| {
                r.claims_waiting()
                    .into_iter()
                    .filter_map(|id| r.customer(&id).map(|c| (id, c.fields.name.as_str().to_owned())))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    let refused = Memo::new(move |_| {
        offline
            .read(|r| {
                r.refused()
                    .iter()
                    .filter(|x| matches!(x.mutation.change, Change::Claim { .. }))
                    .map(|x| {
                        let name = r
                            .cached(&x.mutation.customer)
                            .map(|c| c.customer.fields.name.as_str().to_owned());
                        let why = match &x.by {
                            Some(by) => fill(t.claimed_by, &[("name", r.name_of(by))]),
                            None => refusal_message(locale, &x.code, &x.errors),
                        };
                        (x.mutation.id, name.unwrap_or_default(), why)
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    let claim = move |id: CustomerId| failure.set(claim(offline, locale, id).err());
    view! {
        <section class="card list-card" data-testid="pool">
            <div class="list-head">
                <h1>{t.title}</h1>
            </div>
            <p class="muted">{t.help}</p>
            <label class="visually-hidden" for="pool-search">{t.search}</label>
            <input
                id="pool-search"
                type="search"
                placeholder=t.search
                autocomplete="off"
                on:input=move |ev| text.set(event_target_value(&ev))
            />
            {move || failure.get().map(|message| view! { <p class="form-error">{message}</p> })}
            {move || match rows.get() {
                None => view! { <p class="muted">{texts.loading}</p> }.into_any(),
                Some(rows) if rows.is_empty() => view! { <p class="muted">{t.empty}</p> }.into_any(),
                Some(rows) => {
                    let any_runs = hands_out.get();
                    view! {
                    <p class="muted count">{fill(t.count, &[("n", &rows.len().to_string())])}</p>
                    <ul class="plain-list pool-list">
                        {rows.into_iter().map(|row| {
                            let id = row.id;
                            let key = id.to_string();
                            let spacer = (any_runs && !row.runs).then(|| view! { <span class="row-pick" aria-hidden="true"></span> });
                            let pick = row.runs.then(|| {
                                let ticked = {
                                    let key = key.clone();
                                    move || selected.with(|s| s.contains(&key))
                                };
                                let toggle = {
                                    let key = key.clone();
                                    move |_| selected.update(|s| if !s.remove(&key) { s.insert(key.clone()); })
                                };
                                view! {
                                    <label class="row-pick">
                                        <input type="checkbox" prop:checked=ticked on:change=toggle aria-label=row.name.clone() />
                                    </label>
                                }
                            });
                            view! {
                                <li class="pool-row" data-customer=key>
                                    {pick}
                                    {spacer}
                                    <a class="pool-name" href=format!("/customers/{id}")>
                                        <span class="row-name">{row.name}</span>
                                        <span class="muted">{row.detail}</span>
                                        <span class="chip">{row.pool}</span>
                                    </a>
                                    <button class="button primary" data-action="claim" on:click=move |_| claim(id)>{t.claim}</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    }.into_any()
                }
            }}
            // Whoever runs a pool hands out what they ticked (online). The
            // form stays while its customers are ticked: a sync that takes them
            // out of the pool before the answer comes must not take the form
            // (and the answer) away.
            <Show when=move || hands_out.get() || selected.with(|s| !s.is_empty())>
                <AssignFromPool selected message=assigned on_done=move |()| selected.set(BTreeSet::new()) />
            </Show>
            {move || assigned.get().map(|m| match m {
                Ok(text) => view! { <p class="form-done" role="status" data-testid="assigned">{text}</p> }.into_any(),
                Err(text) => view! { <p class="form-error" role="alert" data-testid="assigned">{text}</p> }.into_any(),
            })}
        </section>
        {move || {
            let waiting = waiting.get();
            (!waiting.is_empty()).then(|| view! {
                <section class="card" data-testid="claims-waiting">
                    <h2>{t.requested_title}</h2>
                    <ul class="plain-list">
                        {waiting.into_iter().map(|(id, name)| view! {
                            <li><a href=format!("/customers/{id}")>{name}</a>" · "<span class="muted">{t.requested}</span></li>
                        }).collect_view()}
                    </ul>
                </section>
            })
        }}
        {move || {
            let refused = refused.get();
            (!refused.is_empty()).then(|| view! {
                <section class="card" data-testid="claims-refused">
                    <h2>{t.refused_title}</h2>
                    <ul class="plain-list">
                        {refused.into_iter().map(|(id, name, why)| view! {
                            <li class="refused-item">
                                <strong>{name}</strong>
                                <p class="field-error">{why}</p>
                                <button class="button" on:click=move |_| offline.discard(id)>{t.dismiss}</button>
                            </li>
                        }).collect_view()}
                    </ul>
                </section>
            })
        }}
    }
}

/// What a pool is called: the company's, a team's, or an added one by its name.
pub(super) fn pool_label(t: &super::PoolTexts, key: Option<&str>) -> String {
    match key {
        None => t.company_pool.to_owned(),
        Some(key) => match domain::pool::added_name(key) {
            Some(name) => name.to_owned(),
            None => fill(t.team_pool, &[("team", key)]),
        },
    }
}

/// A keeper sends their archive back to a pool (their team's unless they
/// pick the company's or one an admin added), with a reason.
#[component]
pub fn ReleaseForm(customer: CustomerId, #[prop(into)] on_done: Callback<()>) -> impl IntoView {
    let texts = use_texts();
    let t = texts.pool;
    let locale = use_locale();
    let offline = use_offline();
    let user = use_current_user();
    let reason = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<String>);
    // Their team's pool first (the default), then the company's and the added ones.
    let team = user.get_untracked().and_then(Result::ok).flatten().and_then(|u| u.team);
    let added: Vec<String> =
        offline.read(|r| r.meta().pool_rules.added_pools().cloned().collect()).unwrap_or_default();
    let pools: Vec<(String, String)> = team
        .iter()
        .map(|team| (team.clone(), pool_label(t, Some(team))))
        .chain(std::iter::once((String::new(), pool_label(t, None))))
        .chain(added.iter().map(|key| (key.clone(), pool_label(t, Some(key)))))
        .collect();
    let choice = RwSignal::new(pools.first().map(|(key, _)| key.clone()).unwrap_or_default());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let why = reason.get_untracked().trim().to_owned();
        if why.is_empty() {
            let error = domain::FieldError::new("reason", "required");
            return failure.set(Some(field_error_message(locale, &error)));
        }
        let pool = Some(choice.get_untracked()).filter(|key| !key.is_empty());
        let change = Change::Reassign {
            owner: None,
            base: offline.base(&customer),
            reason: Some(why),
            pool,
            over_limit: false,
        };
        match offline.record(customer, change) {
            Ok(_) => on_done.run(()),
            Err(error) => failure.set(Some(record_error_message(locale, &error))),
        }
    };
    view! {
        <form class="stacked-form" novalidate on:submit=save data-form="release">
            <p class="muted">{t.release_help}</p>
            <label for="release-pool">{t.release_to}</label>
            <select id="release-pool" on:change=move |ev| choice.set(event_target_value(&ev))>
                {pools.into_iter().map(|(key, label)| view! { <option value=key>{label}</option> }).collect_view()}
            </select>
            <label for="release-reason">{t.reason_label}</label>
            <input
                id="release-reason"
                type="text"
                maxlength="100"
                placeholder=t.reason_placeholder
                on:input=move |ev| reason.set(event_target_value(&ev))
            />
            {move || failure.get().map(|message| view! { <p class="form-error">{message}</p> })}
            <div class="button-row">
                <button class="button primary" type="submit">{t.release}</button>
                <button class="button" type="button" on:click=move |_| on_done.run(())>{texts.cancel}</button>
            </div>
        </form>
    }
}

/// The signed-in person's archives a recycle rule sends back to the pool
/// within a week: days left, id, name, and what the rule is and what keeps
/// it; offline too, from the rules the last pull brought.
pub fn recycle_warnings(offline: Offline, me: &User, locale: Locale) -> Vec<(i64, String, String, String)> {
    let t = crate::i18n::texts(locale).pool;
    let today = today();
    offline
        .read(|r| {
            let rules = r.meta().pool_rules.rules(me.team.as_deref());
            let mut rows: Vec<(i64, String, String, String)> = r
                .kept()
                .filter(|c| c.fields.owner.as_ref() == Some(&me.id))
                .filter_map(|c| {
                    let due = recycle_date(&rules, c)?;
                    let left = due.days_left(today);
                    (left <= i64::from(domain::pool::WARN_DAYS)).then(|| {
                        let days = rules.recycle[due.rule].window(c).to_string();
                        let n = left.max(0).to_string();
                        let (warning, stop) = match due.silence {
                            Silence::NoInteraction => (t.warning_interaction, t.stop_interaction),
                            Silence::NoOrder => (t.warning_order, t.stop_order),
                            Silence::OrderEnded => (t.warning_ended, t.stop_ended),
                        };
                        let text = fill(warning, &[("n", &n), ("days", &days)]);
                        (
                            left,
                            c.id.to_string(),
                            c.fields.name.as_str().to_owned(),
                            format!("{text} · {stop}"),
                        )
                    })
                })
                .collect();
            rows.sort();
            rows
        })
        .unwrap_or_default()
}

/// [`recycle_warnings`] for the signed-in person, kept up to date.
pub fn use_recycle_warnings() -> Memo<Vec<(i64, String, String, String)>> {
    let locale = use_locale();
    let offline = use_offline();
    let user = use_current_user();
    Memo::new(move |_| {
        user.get()
            .and_then(Result::ok)
            .flatten()
            .map(|me| recycle_warnings(offline, &me, locale))
            .unwrap_or_default()
    })
}

/// Claims `id` for the signed-in person, on the device first like any
/// change; the message to show if it cannot be recorded.
pub fn claim(offline: Offline, locale: Locale, id: CustomerId) -> Result<(), String> {
    let change = Change::Claim { base: offline.base(&id) };
    offline.record(id, change).map(|_| ()).map_err(|error| record_error_message(locale, &error))
}

/// Today's list of [`use_recycle_warnings`].
#[component]
pub fn RecycleWarnings(rows: Memo<Vec<(i64, String, String, String)>>) -> impl IntoView {
    let t = use_texts().pool;
    move || {
        let rows = rows.get();
        (!rows.is_empty()).then(|| {
            view! {
                <section class="card agenda-section" data-testid="recycle-warnings">
                    <h2>{t.warnings_title}<span class="count-chip">{rows.len()}</span></h2>
                    <ul class="plain-list agenda">
                        {rows.into_iter().map(|(_, id, name, detail)| view! {
                            <li>
                                <a class="agenda-row" href=format!("/customers/{id}")>
                                    <span class="row-name">{name}</span>
                                    <span class="muted">{detail}</span>
                                </a>
                            </li>
                        }).collect_view()}
                    </ul>
                </section>
            }
        })
    }
}
