//! Handing one archive to another keeper (or to the pool) from its record,
//! for managers and admins. It is a change like any other: recorded on the
//! device, synced, checked by the server's policy.

use domain::Change;
use domain::ids::{CustomerId, UserId};
use leptos::prelude::*;

use super::forms::FormButtons;
use crate::form::record_error_message;
use crate::i18n::{app_error_message, field_error_message, use_locale, use_texts};
use crate::offline::use_offline;
use crate::team::list_teams;

/// Whom to hand the archive to, and why.
#[component]
pub(super) fn ReassignForm(
    customer: CustomerId,
    keeper: Option<UserId>,
    #[prop(into)] on_done: Callback<()>,
) -> impl IntoView {
    let texts = use_texts();
    let t = texts.team;
    let locale = use_locale();
    let offline = use_offline();
    let user = crate::auth::use_current_user();
    // The colleagues come from the server: choosing among them needs the network.
    let people = Resource::new(|| (), |_| list_teams());
    let current = keeper.as_ref().map(|k| k.0.clone()).unwrap_or_default();
    let to = RwSignal::new(current.clone());
    let reason = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let target = to.get_untracked();
        if target == current {
            let error = domain::FieldError::new("keeper", "same");
            return failure.set(Some(field_error_message(locale, &error)));
        }
        let why = reason.get_untracked().trim().to_owned();
        if why.is_empty() {
            let error = domain::FieldError::new("reason", "required");
            return failure.set(Some(field_error_message(locale, &error)));
        }
        let owner = Some(target).filter(|t| !t.is_empty()).map(UserId);
        // To the pool: the one of the team whose manager hands it back.
        let pool =
            owner.is_none().then(|| user.get_untracked().and_then(Result::ok).flatten()?.team).flatten();
        let change = Change::Reassign {
            owner,
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
        <form class="stacked-form" novalidate on:submit=save data-form="reassign">
            <label for="reassign-to">{t.to_label}</label>
            <Transition fallback=move || view! { <p class="muted">{texts.loading}</p> }>
                {move || {
                    people.get().map(|result| match result {
                        Ok(teams) => {
                            let options = std::iter::once((String::new(), t.pool.to_owned()))
                                .chain(
                                    teams
                                        .into_iter()
                                        .flat_map(|team| team.members)
                                        .filter(|(user, _)| !user.disabled)
                                        .map(|(user, _)| (user.id.0, format!("{} ({})", user.display_name, user.team.unwrap_or_default()))),
                                )
                                .map(|(id, name)| {
                                    let chosen = to.get_untracked() == id;
                                    view! { <option value=id.clone() selected=chosen>{name}</option> }
                                })
                                .collect_view();
                            view! {
                                <select id="reassign-to" on:change=move |ev| to.set(event_target_value(&ev))>
                                    {options}
                                </select>
                            }
                            .into_any()
                        }
                        Err(error) => view! { <p class="form-error">{app_error_message(locale, &error)}</p> }.into_any(),
                    })
                }}
            </Transition>
            <label for="reassign-reason">{t.reason_label}</label>
            <input
                id="reassign-reason"
                type="text"
                maxlength="100"
                placeholder=t.reason_placeholder
                on:input=move |ev| reason.set(event_target_value(&ev))
            />
            <FormButtons failure on_done />
        </form>
    }
}
