//! The whole archive, searched on the server: a manager's or admin's device
//! holds only part of what they run (a company of 100,000 does not fit a
//! browser), so below the device's own list they also see what the server
//! finds, and can hand a selection of it to another keeper at once.

use std::collections::BTreeSet;

use domain::archive::{Category, LifecycleStage};
use domain::ids::UserId;
use domain::views::{CustomerListItem, CustomerQuery, Selection};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::api::list_customers;
use super::forms::from_wire;
use crate::i18n::{Label, app_error_message, fill, use_locale, use_texts};
use crate::offline::use_offline;
use crate::team::{handover, list_teams};

/// What the server finds for `text` (once typing settles), with a box per
/// row and a handover of the boxes ticked.
#[component]
pub(super) fn ArchiveSearch(#[prop(into)] text: Signal<String>) -> impl IntoView {
    let texts = use_texts();
    let t = texts.team;
    let locale = use_locale();
    let offline = use_offline();
    let settled = RwSignal::new(String::new());
    let timer = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        let typed = text.get().trim().to_owned();
        if let Some(handle) = timer.get_value() {
            handle.clear();
        }
        let handle =
            set_timeout_with_handle(move || settled.set(typed), std::time::Duration::from_millis(400));
        timer.set_value(handle.ok());
    });
    let refresh = RwSignal::new(0u32);
    let found = LocalResource::new(move || {
        let text = settled.get();
        refresh.track();
        async move {
            if text.is_empty() {
                return Ok(Vec::new());
            }
            list_customers(CustomerQuery { text: Some(text), limit: 50, ..Default::default() }).await
        }
    });
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let handed = RwSignal::new(None::<Result<String, String>>);
    let online = move || offline.status().get().online;

    let row = move |item: CustomerListItem| {
        let id = item.id.clone();
        let ticked = {
            let id = id.clone();
            move || selected.with(|s| s.contains(&id))
        };
        let toggle = {
            let id = id.clone();
            move |_| {
                selected.update(|s| {
                    if !s.remove(&id) {
                        s.insert(id.clone());
                    }
                })
            }
        };
        // Words, not wire names: the stage and category as the list shows
        // them, the keeper by name when this device knows it.
        let stage = from_wire::<LifecycleStage>(&item.stage).map_or(item.stage.clone(), |s| s.label(locale));
        let category =
            from_wire::<Category>(&item.category).map_or(item.category.clone(), |c| c.label(locale));
        let keeper_id = item.owner.clone().unwrap_or_default();
        let keeper = match &item.owner {
            Some(owner) => offline
                .read(|r| r.name_of(&UserId(owner.clone())).to_owned())
                .unwrap_or_else(|| owner.clone()),
            None => t.pool.to_owned(),
        };
        view! {
            <li class="customer-row selectable" data-customer=id.clone() data-keeper=keeper_id>
                <label class="row-pick">
                    <input type="checkbox" prop:checked=ticked on:change=toggle aria-label=item.name.clone() />
                </label>
                <a href=format!("/customers/{id}")>
                    <span class="row-main"><span class="row-name">{item.name}</span></span>
                    <span class="row-meta">
                        {format!("{stage} · {category}{} · {keeper}", item.city.map(|c| format!(" · {c}")).unwrap_or_default())}
                    </span>
                </a>
            </li>
        }
    };

    view! {
        <Show when=move || !settled.get().is_empty()>
            <section class="archive-search" data-testid="archive-search">
                <h2>{texts.search_archive}</h2>
                {move || if !online() {
                    Some(view! { <p class="muted">{texts.search_archive_offline}</p> }.into_any())
                } else {
                    found.get().map(|result| match result {
                        Ok(items) if items.is_empty() => view! { <p class="muted">{texts.no_match}</p> }.into_any(),
                        Ok(items) => view! {
                            <p class="muted count">{fill(texts.search_archive_found, &[("n", &items.len().to_string())])}</p>
                            <ul class="customer-list">{items.into_iter().map(row).collect_view()}</ul>
                        }.into_any(),
                        Err(error) => view! { <p class="form-error" role="alert">{app_error_message(locale, &error)}</p> }.into_any(),
                    })
                }}
                // The outcome stays when the form goes (nothing is ticked after it).
                {move || handed.get().map(|m| match m {
                    Ok(text) => view! { <p class="form-done" role="status">{text}</p> }.into_any(),
                    Err(text) => view! { <p class="form-error" role="alert">{text}</p> }.into_any(),
                })}
                <Show when=move || !selected.with(BTreeSet::is_empty)>
                    <HandSelected selected message=handed on_done=move || { selected.set(BTreeSet::new()); refresh.update(|n| *n += 1); } />
                </Show>
            </section>
        </Show>
    }
}

/// Hands the ticked archives to another keeper (or the pool), with a reason.
#[component]
fn HandSelected(
    selected: RwSignal<BTreeSet<String>>,
    message: RwSignal<Option<Result<String, String>>>,
    on_done: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let texts = use_texts();
    let t = texts.team;
    let locale = use_locale();
    let people = LocalResource::new(list_teams);
    let to = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let why = reason.get_untracked().trim().to_owned();
        if why.is_empty() {
            let error = domain::FieldError::new("reason", "required");
            return message.set(Some(Err(crate::i18n::field_error_message(locale, &error))));
        }
        let selection =
            Selection { ids: selected.get_untracked().into_iter().collect(), ..Default::default() };
        let target = to.get_untracked();
        spawn_local(async move {
            match handover(selection, target, why, true, Default::default()).await {
                Ok(report) => {
                    let mut text = fill(t.moved, &[("n", &report.moved.to_string())]);
                    if let Some(code) = report.refusal.filter(|_| report.refused > 0) {
                        let why = crate::i18n::refusal_message(locale, &code, &report.refusal_errors);
                        text.push(' ');
                        text.push_str(&fill(
                            t.refused,
                            &[("n", &report.refused.to_string()), ("reason", &why)],
                        ));
                    }
                    message.set(Some(Ok(text)));
                    on_done();
                }
                Err(error) => message.set(Some(Err(app_error_message(locale, &error)))),
            }
        });
    };
    view! {
        <form class="stacked-form handover-selected" novalidate on:submit=submit>
            <h3>{move || fill(texts.hand_over_selected, &[("n", &selected.with(BTreeSet::len).to_string())])}</h3>
            <label for="selected-to">{t.to_label}</label>
            <select id="selected-to" on:change=move |ev| to.set(event_target_value(&ev))>
                <option value="">{t.pool}</option>
                {move || people.get().and_then(Result::ok).map(|teams| {
                    teams.into_iter().flat_map(|team| team.members).filter(|(user, _)| !user.disabled).map(|(user, _)| {
                        let label = format!("{} ({})", user.display_name, user.team.clone().unwrap_or_default());
                        view! { <option value=user.id.0.clone()>{label}</option> }
                    }).collect_view()
                })}
            </select>
            <label for="selected-reason">{t.reason_label}</label>
            <input id="selected-reason" type="text" placeholder=t.reason_placeholder
                prop:value=reason on:input=move |ev| reason.set(event_target_value(&ev)) />
            <button type="submit" class="button primary">{t.confirm}</button>
        </form>
    }
}
