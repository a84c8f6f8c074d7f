//! The sign-in page and the sign-out button.

use gloo_storage::{LocalStorage, Storage};
use leptos::form::ActionForm;
use leptos::portal::Portal;
use leptos::prelude::*;

use domain::views::User;

use super::{SignIn, me, sign_out};
use crate::error::AppError;
use crate::i18n::{Locale, app_error_message, use_texts};
use crate::offline::use_offline;

/// Who is signed in, asked once per page load and shared by every part of it.
pub type CurrentUser = Resource<Result<Option<User>, AppError>>;

/// Where the browser remembers who last signed in on it.
const REMEMBERED_USER: &str = "crm/user";
/// Set when a sign-out could not reach the server. At the next contact the
/// session is ended first, so whoever uses the device next is never signed
/// in as the previous person.
const SIGN_OUT_OWED: &str = "crm/sign-out-owed";

/// Whether this device still owes the server a sign-out (browser only).
pub fn owes_sign_out() -> bool {
    cfg!(target_arch = "wasm32") && LocalStorage::raw().get_item(SIGN_OUT_OWED).ok().flatten().is_some()
}

/// Ends the session this device still holds, then shows the sign-in page.
/// Offline it tries again at the next page load.
pub fn settle_sign_out() {
    leptos::task::spawn_local(async {
        if sign_out().await.is_ok() {
            LocalStorage::delete(SIGN_OUT_OWED);
            let _ = window().location().set_href("/signin");
        }
    });
}

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
            // The server ended the session this browser held, if any.
            LocalStorage::delete(SIGN_OUT_OWED);
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
    let offline = use_offline();
    let asking = RwSignal::new(false);
    // Nothing of the user stays on the device: a shared phone or tablet
    // must not show the next person the last one's customers.
    let leave = move || {
        offline.forget();
        LocalStorage::delete(REMEMBERED_USER);
        leptos::task::spawn_local(async {
            if sign_out().await.is_err() {
                let _ = LocalStorage::set(SIGN_OUT_OWED, true);
            }
            let _ = window().location().set_href("/signin");
        });
    };
    let start = move |_| {
        if offline.status().get_untracked().pending > 0 {
            asking.set(true);
        } else {
            leave();
        }
    };
    let sync_first = move |_| {
        asking.set(false);
        offline.sync_now();
    };
    let pending = move || offline.status().get().pending;
    view! {
        <Transition fallback=|| ()>
            {move || {
                user.get().and_then(Result::ok).flatten().map(|user| {
                    view! {
                        <span class="signed-in">
                            <a class="account-link" href="/account" title=texts.account_title>
                                {user.display_name}
                            </a>
                            <button class="button link" on:click=start>
                                {texts.sign_out}
                            </button>
                        </span>
                    }
                })
            }}
        </Transition>
        // In a portal: inside the top bar the dialog would take its colours
        // and sit under the bottom navigation.
        <Show when=move || asking.get()>
            <Portal>
                <div class="dialog-backdrop">
                    <section class="card dialog" role="dialog" aria-modal="true" aria-labelledby="sign-out-title">
                        <h2 id="sign-out-title">{texts.sign_out}</h2>
                        <p data-testid="sign-out-pending">
                            {move || crate::i18n::fill(texts.sign_out_pending, &[("n", &pending().to_string())])}
                        </p>
                        <div class="actions">
                            <button class="button primary" on:click=sync_first>
                                {texts.sign_out_sync_first}
                            </button>
                            <button class="button danger" on:click=move |_| leave()>
                                {texts.sign_out_discard}
                            </button>
                            <button class="button" on:click=move |_| asking.set(false)>
                                {texts.cancel}
                            </button>
                        </div>
                    </section>
                </div>
            </Portal>
        </Show>
    }
}
