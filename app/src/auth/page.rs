//! The sign-in page and the sign-out button.

use gloo_storage::{LocalStorage, Storage};
use leptos::form::ActionForm;
use leptos::prelude::*;

use domain::views::User;

use super::{SignIn, SignOut, me};
use crate::error::AppError;
use crate::i18n::{Locale, app_error_message, use_texts};

/// Who is signed in, asked once per page load and shared by every part of it.
pub type CurrentUser = Resource<Result<Option<User>, AppError>>;

/// Where the browser remembers who last signed in on it.
const REMEMBERED_USER: &str = "crm/user";

/// Asks the server who is signed in; the app provides the answer as context.
/// A device that cannot reach the server takes the user who last signed in
/// on it: their archive is here, and the next sync checks their session.
pub fn current_user() -> CurrentUser {
    Resource::new(
        || (),
        |_| async {
            match me().await {
                Err(AppError::Request { .. }) if cfg!(target_arch = "wasm32") => {
                    LocalStorage::get::<User>(REMEMBERED_USER).map(Some).map_err(|_| AppError::SignedOut)
                }
                answer => answer,
            }
        },
    )
}

/// Remembers `user` as the one signed in on this device (browser only).
pub fn remember_user(user: &User) {
    let _ = LocalStorage::set(REMEMBERED_USER, user);
}

/// Shows `children` to a signed-in user and a way to sign in to anyone else.
#[component]
pub fn SignedIn(children: ChildrenFn) -> impl IntoView {
    let texts = use_texts();
    let user = use_current_user();
    view! {
        <Transition fallback=move || view! { <p class="muted">{texts.loading}</p> }>
            {move || {
                user.get()
                    .map(|result| match result {
                        Ok(Some(_)) => children().into_any(),
                        _ => {
                            view! {
                                <section class="card">
                                    <p>{texts.need_sign_in}</p>
                                    <a class="button primary" href="/signin">
                                        {texts.sign_in}
                                    </a>
                                </section>
                            }
                                .into_any()
                        }
                    })
            }}
        </Transition>
    }
}

/// The signed-in user from context (asked afresh if none was provided).
pub fn use_current_user() -> CurrentUser {
    use_context::<CurrentUser>().unwrap_or_else(current_user)
}

/// Name and password; on success the browser goes to the start page.
#[component]
pub fn SignInPage() -> impl IntoView {
    let texts = use_texts();
    let locale = use_context::<Locale>().unwrap_or_default();
    let sign_in = ServerAction::<SignIn>::new();
    Effect::new(move |_| {
        if matches!(sign_in.value().get(), Some(Ok(_))) {
            // A full load, so every part of the app starts as this user.
            let _ = window().location().set_href("/");
        }
    });
    let error = move || {
        sign_in.value().get().and_then(Result::err).map(|error| match error {
            AppError::SignedOut => texts.wrong_credentials.to_owned(),
            AppError::BadRequest { reason, .. } if reason.starts_with("username.") => {
                texts.username_format.to_owned()
            }
            other => app_error_message(locale, &other),
        })
    };

    view! {
        <section class="card narrow">
            <h1>{texts.sign_in_title}</h1>
            <ActionForm action=sign_in attr:class="stacked-form">
                <label for="username">{texts.username_label}</label>
                <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" required />
                <label for="password">{texts.password_label}</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required />
                <p id="sign-in-error" class="form-error" role="alert">
                    {error}
                </p>
                <button type="submit" class="button primary" disabled=move || sign_in.pending().get()>
                    {texts.sign_in}
                </button>
            </ActionForm>
        </section>
    }
}

/// Who is signed in, and a button that ends the session; nothing when
/// nobody is signed in.
#[component]
pub fn SignOutButton() -> impl IntoView {
    let texts = use_texts();
    let user = use_current_user();
    let sign_out = ServerAction::<SignOut>::new();
    Effect::new(move |_| {
        if sign_out.value().get().is_some() {
            LocalStorage::delete(REMEMBERED_USER);
            let _ = window().location().set_href("/signin");
        }
    });
    view! {
        <Transition fallback=|| ()>
            {move || {
                user.get().and_then(Result::ok).flatten().map(|user| {
                    view! {
                        <span class="signed-in">
                            <span class="muted">{user.display_name}</span>
                            <button class="button link" on:click=move |_| { sign_out.dispatch(SignOut {}); }>
                                {texts.sign_out}
                            </button>
                        </span>
                    }
                })
            }}
        </Transition>
    }
}
