//! Whoever runs a pool hands archives out of it: to one rep, or in turn to
//! the reps of a team. The server holds each new keeper to the pool's hold
//! limit; going past it takes a tick and a reason, and is audited.

use std::collections::BTreeSet;

use domain::policy::Role;
use domain::views::{HandoverOptions, HandoverReport, Selection};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::i18n::{app_error_message, field_error_message, fill, refusal_message, use_locale, use_texts};
use crate::team::{handover, list_teams};

/// Prefix of the choice that shares the archives out among a team's reps.
const IN_TURN: &str = "turn:";

/// The form under the pool list for the archives ticked there.
#[component]
pub(super) fn AssignFromPool(
    selected: RwSignal<BTreeSet<String>>,
    /// What the last assignment did; shown by the page, so it stays when
    /// the form goes with the last archive it could hand out.
    message: RwSignal<Option<Result<String, String>>>,
    #[prop(into)] on_done: Callback<()>,
) -> impl IntoView {
    let texts = use_texts();
    let t = texts.pool;
    let locale = use_locale();
    let teams = LocalResource::new(list_teams);
    let to = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let over_limit = RwSignal::new(false);
    let busy = RwSignal::new(false);
    // Each team: its reps in turn first, then each of its people.
    let choices = move || -> Vec<(String, String)> {
        let Some(Ok(teams)) = teams.get() else { return Vec::new() };
        teams
            .into_iter()
            .flat_map(|team| {
                let turn =
                    (format!("{IN_TURN}{}", team.name), fill(t.assign_in_turn, &[("team", &team.name)]));
                let people = team
                    .members
                    .into_iter()
                    .filter(|(user, _)| !user.disabled && user.role != Role::Admin)
                    .map(|(user, kept)| {
                        let label =
                            fill(t.assign_person, &[("name", &user.display_name), ("n", &kept.to_string())]);
                        (user.id.0, label)
                    });
                std::iter::once(turn).chain(people).collect::<Vec<_>>()
            })
            .collect()
    };
    // The first choice until one is made.
    Effect::new(move |_| {
        if to.with_untracked(String::is_empty)
            && let Some((value, _)) = choices().into_iter().next()
        {
            to.set(value);
        }
    });
    let report_text = move |report: HandoverReport| -> Result<String, String> {
        let mut text = fill(t.assigned, &[("n", &report.moved.to_string())]);
        if report.taken.len() > 1 {
            // Who got how many, by the names the team list shows.
            let name_of = |id: &str| -> String {
                // `try_`: the form may be gone by the time the answer comes.
                teams
                    .try_get_untracked()
                    .flatten()
                    .and_then(Result::ok)
                    .into_iter()
                    .flatten()
                    .flat_map(|team| team.members)
                    .find(|(user, _)| user.id.0 == id)
                    .map_or_else(|| id.to_owned(), |(user, _)| user.display_name)
            };
            let shares: Vec<String> =
                report.taken.iter().map(|(who, n)| format!("{} {n}", name_of(who))).collect();
            let comma = if locale == crate::i18n::Locale::ZhCn { "，" } else { ", " };
            text.push_str(&fill(t.assigned_shares, &[("shares", &shares.join(comma))]));
        }
        match report.refusal.filter(|_| report.refused > 0) {
            None => Ok(text),
            Some(code) => {
                let why = refusal_message(locale, &code, &report.refusal_errors);
                let refused =
                    fill(texts.team.refused, &[("n", &report.refused.to_string()), ("reason", &why)]);
                Err(format!("{text} {refused}"))
            }
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let why = reason.get_untracked().trim().to_owned();
        let over = over_limit.get_untracked();
        if over && why.is_empty() {
            let error = domain::FieldError::new("reason", "required");
            return message.set(Some(Err(field_error_message(locale, &error))));
        }
        let choice = to.get_untracked();
        let (target, round_robin) = match choice.strip_prefix(IN_TURN) {
            Some(team) => (String::new(), Some(team.to_owned())),
            None => (choice.clone(), None),
        };
        let selection = Selection {
            ids: selected.get_untracked().into_iter().collect(),
            in_pool: true,
            ..Default::default()
        };
        let options = HandoverOptions { round_robin, over_limit: over };
        // The trail says it came out of the pool, whatever else is said.
        let why = if why.is_empty() { t.assign_default_reason.to_owned() } else { why };
        busy.set(true);
        spawn_local(async move {
            match handover(selection, target, why, true, options).await {
                Ok(report) => {
                    message.set(Some(report_text(report)));
                    on_done.run(());
                }
                Err(error) => message.set(Some(Err(app_error_message(locale, &error)))),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="stacked-form assign-from-pool" novalidate on:submit=submit data-form="assign">
            <h2>{move || fill(t.assign_title, &[("n", &selected.with(BTreeSet::len).to_string())])}</h2>
            <label for="assign-to">{t.assign_to}</label>
            <select id="assign-to" on:change=move |ev| to.set(event_target_value(&ev))>
                {move || choices().into_iter().map(|(value, label)| {
                    let chosen = to.get_untracked() == value;
                    view! { <option value=value selected=chosen>{label}</option> }
                }).collect_view()}
            </select>
            <label for="assign-reason">{t.assign_reason}</label>
            <input id="assign-reason" type="text" maxlength="100" placeholder=t.assign_default_reason
                prop:value=reason on:input=move |ev| reason.set(event_target_value(&ev)) />
            <label class="check">
                <input type="checkbox" data-testid="over-limit" prop:checked=over_limit
                    on:change=move |ev| over_limit.set(event_target_checked(&ev)) />
                <span>{t.assign_over_limit}</span>
            </label>
            <button type="submit" class="button primary" disabled=move || busy.get() || selected.with(BTreeSet::is_empty)>
                {t.assign}
            </button>
        </form>
    }
}
