//! The account page: who is signed in, and changing one's own password.

use leptos::prelude::*;

use super::{ChangePassword, use_current_user};
use crate::i18n::{Locale, app_error_message, use_texts};

/// The signed-in user's details and a form to change their password. The
/// new password is typed twice, and the server asks for the current one, so
/// a phone left unlocked cannot be used to take the account over.
#[component]
pub fn AccountPage() -> impl IntoView {
    let texts = use_texts();
    let locale = use_context::<Locale>().unwrap_or_default();
    let user = use_current_user();
    let change = ServerAction::<ChangePassword>::new();
    let (current, new, repeat) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let differ = RwSignal::new(false);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if new.get_untracked() != repeat.get_untracked() {
            differ.set(true);
            return;
        }
        differ.set(false);
        change.dispatch(ChangePassword { current: current.get_untracked(), new: new.get_untracked() });
    };
    // A changed password leaves nothing of itself in the form.
    Effect::new(move |_| {
        if matches!(change.value().get(), Some(Ok(()))) {
            for field in [current, new, repeat] {
                field.set(String::new());
            }
        }
    });
    let message = move || {
        if differ.get() {
            return Some((false, texts.passwords_differ.to_owned()));
        }
        change.value().get().map(|result| match result {
            Ok(()) => (true, texts.password_changed.to_owned()),
            Err(error) => (false, app_error_message(locale, &error)),
        })
    };

    view! {
        <section class="card narrow">
            <h1>{texts.account_title}</h1>
            <Transition fallback=move || view! { <p class="muted">{texts.loading}</p> }>
                {move || {
                    user.get().and_then(Result::ok).flatten().map(|user| {
                        let is_admin = user.role == domain::policy::Role::Admin;
                        let may_import = domain::policy::may_import(&user.viewer());
                        view! {
                            <dl class="facts account-facts">
                                <dt>{texts.display_name_label}</dt>
                                <dd>{user.display_name.clone()}</dd>
                                <dt>{texts.username_label}</dt>
                                <dd>{user.id.0.clone()}</dd>
                                <dt>{texts.role_label}</dt>
                                <dd>{crate::i18n::role_name(locale, user.role)}</dd>
                                <dt>{texts.team_label}</dt>
                                <dd>{user.team.clone().unwrap_or_default()}</dd>
                            </dl>
                            <div class="button-row">
                                <a class="button" href="/notifications">
                                    {texts.notifications.title}
                                </a>
                            </div>
                            <Show when=move || may_import>
                                <div class="button-row">
                                    <a class="button" href="/team">
                                        {texts.team.nav}
                                    </a>
                                    <a class="button" href="/audit">
                                        {texts.audit.nav}
                                    </a>
                                    <a class="button" href="/duplicates">
                                        {texts.duplicates.nav}
                                    </a>
                                    <a class="button" href="/quality">
                                        {texts.quality.nav}
                                    </a>
                                    <a class="button" href="/import">
                                        {texts.import_nav}
                                    </a>
                                </div>
                            </Show>
                            <Show when=move || is_admin>
                                <div class="button-row">
                                    <a class="button" href="/admin/users">
                                        {texts.users_title}
                                    </a>
                                    <a class="button" href="/admin/fields">
                                        {texts.custom_fields_title}
                                    </a>
                                    <a class="button" href="/admin/care">
                                        {texts.care.nav}
                                    </a>
                                    <a class="button" href="/admin/rules">
                                        {texts.rules.nav}
                                    </a>
                                </div>
                            </Show>
                        }
                    })
                }}
            </Transition>
        </section>
        <section class="card narrow">
            <h2>{texts.change_password}</h2>
            <form class="stacked-form" on:submit=submit>
                <PasswordField
                    id="current-password"
                    label=texts.current_password_label
                    autocomplete="current-password"
                    value=current
                />
                <PasswordField
                    id="new-password"
                    label=texts.new_password_label
                    autocomplete="new-password"
                    value=new
                />
                <PasswordField
                    id="repeat-password"
                    label=texts.repeat_password_label
                    autocomplete="new-password"
                    value=repeat
                />
                {move || {
                    message().map(|(done, text)| {
                        view! {
                            <p class=if done { "form-done" } else { "form-error" } role="status">
                                {text}
                            </p>
                        }
                    })
                }}
                <button type="submit" class="button primary" disabled=move || change.pending().get()>
                    {texts.change_password}
                </button>
            </form>
        </section>
    }
}

/// A labelled password input bound to `value`.
#[component]
fn PasswordField(
    id: &'static str,
    label: &'static str,
    autocomplete: &'static str,
    value: RwSignal<String>,
) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <input
            id=id
            type="password"
            autocomplete=autocomplete
            required
            prop:value=value
            on:input=move |e| value.set(event_target_value(&e))
        />
    }
}
