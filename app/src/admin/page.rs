//! The users page: who may sign in, with which role and team.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::{CreateUser, SetUserDisabled, list_users};
use crate::i18n::{Locale, app_error_message, use_texts};

/// Lists users, creates them, disables and enables them.
#[component]
pub fn UsersPage() -> impl IntoView {
    let texts = use_texts();
    let locale = use_context::<Locale>().unwrap_or_default();
    let create = ServerAction::<CreateUser>::new();
    let toggle = ServerAction::<SetUserDisabled>::new();
    let users = Resource::new(move || (create.version().get(), toggle.version().get()), |_| list_users());
    let create_error =
        move || create.value().get().and_then(Result::err).map(|e| app_error_message(locale, &e));

    view! {
        <section class="card">
            <h1>{texts.users_title}</h1>
            <ActionForm action=create attr:class="stacked-form">
                <label for="new-username">{texts.username_label}</label>
                <input id="new-username" name="username" type="text" autocapitalize="none" required />
                <label for="new-display-name">{texts.display_name_label}</label>
                <input id="new-display-name" name="display_name" type="text" required />
                <label for="new-role">{texts.role_label}</label>
                <select id="new-role" name="role">
                    <option value="rep">{texts.role_rep}</option>
                    <option value="manager">{texts.role_manager}</option>
                    <option value="admin">{texts.role_admin}</option>
                </select>
                <label for="new-team">{texts.team_label}</label>
                <input id="new-team" name="team" type="text" />
                <label for="new-password">{texts.password_label}</label>
                <input id="new-password" name="password" type="password" autocomplete="new-password" required />
                <p class="form-error" role="alert">
                    {create_error}
                </p>
                <button type="submit" class="button primary">
                    {texts.save}
                </button>
            </ActionForm>
        </section>
        <section class="card">
            <Transition fallback=move || view! { <p class="muted">{texts.loading}</p> }>
                {move || {
                    users
                        .get()
                        .map(|result| match result {
                            Ok(list) => {
                                view! {
                                    <ul class="customer-list">
                                        {list
                                            .into_iter()
                                            .map(|user| {
                                                let id = user.id.0.clone();
                                                let disabled = user.disabled;
                                                view! {
                                                    <li class="customer-row user-row">
                                                        <span>
                                                            {format!(
                                                                "{} ({}) · {} · {}",
                                                                user.display_name,
                                                                user.id,
                                                                user.role.as_str(),
                                                                user.team.unwrap_or_default(),
                                                            )}
                                                        </span>
                                                        <button
                                                            class="button"
                                                            on:click=move |_| {
                                                                toggle
                                                                    .dispatch(SetUserDisabled {
                                                                        username: id.clone(),
                                                                        disabled: !disabled,
                                                                    });
                                                            }
                                                        >
                                                            {if disabled { texts.enable } else { texts.disable }}
                                                        </button>
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                }
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
    }
}
