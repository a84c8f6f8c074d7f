//! The users page: who may sign in, with which role and team.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::{CreateUser, ResetPassword, SetRoleAndTeam, SetUserDisabled, list_users};
use crate::i18n::{Locale, app_error_message, role_name, use_texts};

/// Lists users, creates them, disables and enables them, resets passwords.
#[component]
pub fn UsersPage() -> impl IntoView {
    let texts = use_texts();
    let locale = use_context::<Locale>().unwrap_or_default();
    let create = ServerAction::<CreateUser>::new();
    let toggle = ServerAction::<SetUserDisabled>::new();
    let regroup = ServerAction::<SetRoleAndTeam>::new();
    let users = Resource::new(
        move || (create.version().get(), toggle.version().get(), regroup.version().get()),
        |_| list_users(),
    );
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
                                                let reset_id = id.clone();
                                                let seen = format!(
                                                    "{} {} · {} {}",
                                                    texts.team.last_sign_in,
                                                    when(user.last_sign_in, texts.team.never),
                                                    texts.team.last_sync,
                                                    when(user.last_sync, texts.team.never),
                                                );
                                                let regroup_form = view! {
                                                    <RoleTeamForm
                                                        action=regroup
                                                        username=id.clone()
                                                        role=user.role
                                                        team=user.team.clone().unwrap_or_default()
                                                    />
                                                };
                                                view! {
                                                    <li class="customer-row user-row">
                                                        <span>
                                                            {format!(
                                                                "{} ({}) · {}{}",
                                                                user.display_name,
                                                                user.id,
                                                                role_name(locale, user.role),
                                                                user.team.map(|team| format!(" · {team}")).unwrap_or_default(),
                                                            )}
                                                            <br />
                                                            <small class="muted">{seen}</small>
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
                                                        {regroup_form}
                                                        <PasswordReset username=reset_id />
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

/// A new password for one user, behind a disclosure so the list stays short.
/// Every session of theirs ends: whoever knew the old password is out.
#[component]
fn PasswordReset(username: String) -> impl IntoView {
    let texts = use_texts();
    let locale = use_context::<Locale>().unwrap_or_default();
    let reset = ServerAction::<ResetPassword>::new();
    let input_id = format!("reset-{username}");
    let message = move || {
        reset.value().get().map(|result| match result {
            Ok(()) => view! { <p class="form-done" role="status">{texts.password_reset_done}</p> }.into_any(),
            Err(error) => {
                view! { <p class="form-error" role="alert">{app_error_message(locale, &error)}</p> }
                    .into_any()
            }
        })
    };
    view! {
        <details class="password-reset">
            <summary class="button">{texts.reset_password}</summary>
            <ActionForm action=reset attr:class="stacked-form">
                <input type="hidden" name="username" value=username />
                <label for=input_id.clone()>{texts.new_password_label}</label>
                <input id=input_id name="password" type="password" autocomplete="new-password" required />
                {message}
                <button type="submit" class="button danger" disabled=move || reset.pending().get()>
                    {texts.reset_password}
                </button>
            </ActionForm>
        </details>
    }
}

/// When something last happened, company time, to the minute.
fn when(millis: Option<i64>, never: &'static str) -> String {
    millis.map_or_else(|| never.to_owned(), |ms| domain::time::Timestamp(ms).local_minute())
}

/// Another role or team for one user, behind a disclosure like the reset.
#[component]
fn RoleTeamForm(
    action: ServerAction<SetRoleAndTeam>,
    username: String,
    role: domain::policy::Role,
    team: String,
) -> impl IntoView {
    let texts = use_texts();
    let locale = use_context::<Locale>().unwrap_or_default();
    let (role_id, team_id) = (format!("role-{username}"), format!("team-{username}"));
    let mine = username.clone();
    let message = move || {
        action.value().get().map(|result| match result {
            Ok(user) if user.id.0 == mine => {
                view! { <p class="form-done" role="status">{texts.team.role_team_saved}</p> }.into_any()
            }
            Ok(_) => ().into_any(),
            Err(error) => {
                view! { <p class="form-error" role="alert">{app_error_message(locale, &error)}</p> }
                    .into_any()
            }
        })
    };
    let option = move |value: domain::policy::Role| {
        view! { <option value=value.as_str() selected=role == value>{role_name(locale, value)}</option> }
    };
    view! {
        <details class="password-reset">
            <summary class="button">{texts.team.change_role_team}</summary>
            <ActionForm action attr:class="stacked-form">
                <input type="hidden" name="username" value=username />
                <label for=role_id.clone()>{texts.role_label}</label>
                <select id=role_id name="role">
                    {option(domain::policy::Role::Rep)}
                    {option(domain::policy::Role::Manager)}
                    {option(domain::policy::Role::Admin)}
                </select>
                <label for=team_id.clone()>{texts.team_label}</label>
                <input id=team_id name="team" type="text" value=team />
                {message}
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    {texts.save}
                </button>
            </ActionForm>
        </details>
    }
}
