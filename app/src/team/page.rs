//! The team page: teams with their people and how many archives each keeps,
//! and the handover of archives from one keeper to another.

use domain::ids::UserId;
use domain::views::{HandoverOptions, HandoverReport, Selection, TeamView};
use leptos::prelude::*;

use super::{Handover, list_teams};
use crate::i18n::{Locale, app_error_message, fill, role_name, use_texts};

/// Lists the teams the signed-in person runs and hands archives over.
#[component]
pub fn TeamPage() -> impl IntoView {
    let texts = use_texts();
    let t = texts.team;
    let locale = use_context::<Locale>().unwrap_or_default();
    let handover = ServerAction::<Handover>::new();
    // The counts change after a handover.
    let teams = Resource::new(move || handover.version().get(), |_| list_teams());
    let from = RwSignal::new(String::new());
    // The people to choose from, once the teams have loaded (an effect: the
    // form sits outside the list's transition and must not wait for it).
    let people = RwSignal::new(Vec::<(String, String)>::new());
    Effect::new(move |_| {
        if let Some(Ok(list)) = teams.get() {
            people.set(
                list.into_iter()
                    .flat_map(|team| team.members)
                    .filter(|(user, _)| !user.disabled)
                    .map(|(user, _)| (user.id.0, user.display_name))
                    .collect(),
            );
        }
    });

    view! {
        <section class="card">
            <h1>{t.title}</h1>
            <Transition fallback=move || view! { <p class="muted">{texts.loading}</p> }>
                {move || {
                    teams
                        .get()
                        .map(|result| match result {
                            Ok(list) if list.is_empty() => view! { <p class="muted">{t.no_teams}</p> }.into_any(),
                            Ok(list) => {
                                list.into_iter()
                                    .map(|team| view! { <TeamCard team from /> })
                                    .collect_view()
                                    .into_any()
                            }
                            Err(error) => {
                                view! { <p class="form-error">{app_error_message(locale, &error)}</p> }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </section>
        <HandoverForm action=handover from people=people.into() />
        <crate::pool::PoolRulesCard />
    }
}

/// One team: its people, managers first, with the archives each keeps and
/// a shortcut that starts a handover from them.
#[component]
fn TeamCard(team: TeamView, from: RwSignal<String>) -> impl IntoView {
    let texts = use_texts();
    let t = texts.team;
    let locale = use_context::<Locale>().unwrap_or_default();
    view! {
        <div class="team-card">
            <h2>{team.name}</h2>
            <ul class="customer-list">
                {team
                    .members
                    .into_iter()
                    .map(|(user, kept)| {
                        let id = user.id.0.clone();
                        view! {
                            <li class="customer-row team-member" class:muted=user.disabled>
                                <span>
                                    <strong>{user.display_name}</strong>
                                    {format!(" · {} · {}", role_name(locale, user.role), fill(t.kept, &[("n", &kept.to_string())]))}
                                </span>
                                {(kept > 0)
                                    .then(|| {
                                        view! {
                                            <button
                                                type="button"
                                                class="button"
                                                on:click=move |_| {
                                                    from.set(id.clone());
                                                    if let Some(form) = document().get_element_by_id("handover") {
                                                        form.scroll_into_view();
                                                    }
                                                }
                                            >
                                                {t.hand_over_from}
                                            </button>
                                        }
                                    })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </div>
    }
}

/// From whom (or the pool), optionally which stage or category, to whom
/// (or the pool), and why; a preview of the count, then the handover.
#[component]
fn HandoverForm(
    action: ServerAction<Handover>,
    from: RwSignal<String>,
    people: Signal<Vec<(String, String)>>,
) -> impl IntoView {
    let texts = use_texts();
    let t = texts.team;
    let locale = use_context::<Locale>().unwrap_or_default();
    let (to, reason, stage, category) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    // A preview belongs to the choices it was made for: changing one asks again.
    let previewed = RwSignal::new(false);
    Effect::new(move |_| {
        (from.track(), to.track(), stage.track(), category.track());
        previewed.set(false);
    });
    let selection = move || Selection {
        keeper: Some(from.get()).filter(|f| !f.is_empty()).map(UserId),
        stage: Some(stage.get()).filter(|s| !s.is_empty()),
        category: Some(category.get()).filter(|c| !c.is_empty()),
        ..Selection::default()
    };
    let send = move |commit: bool| {
        action.dispatch(Handover {
            selection: selection(),
            to: to.get(),
            reason: reason.get(),
            commit,
            options: HandoverOptions::default(),
        });
        previewed.set(!commit);
    };
    let outcome = move || {
        action.value().get().map(|result| match result {
            Ok(HandoverReport { selected: 0, moved: 0, .. }) => {
                view! { <p class="muted" role="status">{t.nothing_selected}</p> }.into_any()
            }
            Ok(report) if report.moved == 0 && report.refused == 0 => view! {
                <p class="form-done" role="status">{fill(t.will_move, &[("n", &report.selected.to_string())])}</p>
            }
            .into_any(),
            Ok(report) => {
                let refused = report.refusal.map(|code| {
                    let why = crate::i18n::refusal_message(locale, &code, &report.refusal_errors);
                    fill(t.refused, &[("n", &report.refused.to_string()), ("reason", &why)])
                });
                view! {
                    <p class="form-done" role="status">{fill(t.moved, &[("n", &report.moved.to_string())])}</p>
                    {refused.map(|line| view! { <p class="form-error" role="alert">{line}</p> })}
                }
                .into_any()
            }
            Err(error) => {
                view! { <p class="form-error" role="alert">{app_error_message(locale, &error)}</p> }.into_any()
            }
        })
    };
    let person_options = move |selected: RwSignal<String>| {
        move || {
            std::iter::once((String::new(), t.pool.to_owned()))
                .chain(people.get())
                .map(|(id, name)| {
                    let chosen = selected.get_untracked() == id;
                    view! { <option value=id.clone() selected=chosen>{name}</option> }
                })
                .collect_view()
        }
    };
    let [stages, categories] = crate::customers::stage_and_category_filters(locale, texts.all);
    let choose = |signal: RwSignal<String>| move |ev| signal.set(event_target_value(&ev));

    view! {
        <section class="card" id="handover">
            <h2>{t.handover_title}</h2>
            <p class="muted">{t.handover_help}</p>
            <div class="stacked-form">
                <label for="handover-from">{t.from_label}</label>
                <select id="handover-from" prop:value=move || from.get() on:change=choose(from)>
                    {person_options(from)}
                </select>
                <label for="handover-stage">{texts.filter_stage}</label>
                <select id="handover-stage" on:change=choose(stage)>
                    {stages.into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
                </select>
                <label for="handover-category">{texts.filter_category}</label>
                <select id="handover-category" on:change=choose(category)>
                    {categories.into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
                </select>
                <label for="handover-to">{t.to_label}</label>
                <select id="handover-to" prop:value=move || to.get() on:change=choose(to)>
                    {person_options(to)}
                </select>
                <label for="handover-reason">{t.reason_label}</label>
                <input
                    id="handover-reason"
                    type="text"
                    maxlength="100"
                    placeholder=t.reason_placeholder
                    prop:value=move || reason.get()
                    on:input=move |ev| reason.set(event_target_value(&ev))
                />
                {outcome}
                <div class="button-row">
                    <button
                        type="button"
                        class="button"
                        disabled=move || action.pending().get()
                        on:click=move |_| send(false)
                    >
                        {t.preview}
                    </button>
                    <button
                        type="button"
                        class="button primary"
                        disabled=move || {
                            let ready = previewed.get()
                                && matches!(
                                    action.value().get(), Some(Ok(r)) if r.selected > 0 && r.moved == 0 && r.refused == 0
                                );
                            action.pending().get() || !ready || reason.get().trim().is_empty()
                        }
                        on:click=move |_| send(true)
                    >
                        {t.confirm}
                    </button>
                </div>
            </div>
        </section>
    }
}
