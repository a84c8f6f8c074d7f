//! `/notifications`, and Today's line that leads there when some are new.

use domain::reminder::{Notification, ReminderKind};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::api::{RunRemindersNow, load_digest, load_notifications, mark_notifications_read, save_digest};
use crate::auth::{SignedIn, use_current_user};
use crate::form::{Check, Field, FormOutcome};
use crate::i18n::{Label, Locale, ago, app_error_message, birthday_text, fill, use_locale, use_texts};
use crate::offline::now_ms;

/// `/notifications`.
#[component]
pub fn NotificationsPage() -> impl IntoView {
    view! {
        <SignedIn>
            <NotificationList />
        </SignedIn>
    }
}

/// What a notification is about, in words: "2026-12-09 生日 (农历 十月廿一)".
fn occasion(locale: Locale, n: &Notification) -> String {
    let t = crate::i18n::texts(locale).notifications;
    match n.kind {
        ReminderKind::Birthday => fill(t.birthday, &[("date", &birthday_text(locale, n.on, n.lunar))]),
        ReminderKind::Maintenance => fill(t.maintenance, &[("date", &n.on.to_string())]),
        ReminderKind::FollowUp => fill(t.follow_up, &[("date", &n.on.to_string())]),
        ReminderKind::ComplaintDue => fill(t.complaint_due, &[("date", &n.on.to_string())]),
        ReminderKind::Festival => {
            let festival = domain::calendar::Festival::ALL.into_iter().find(|f| f.as_str() == n.name);
            let name = festival.map_or_else(|| n.name.clone(), |f| f.label(locale));
            fill(t.festival, &[("date", &n.on.to_string()), ("name", &name)])
        }
        ReminderKind::ComplaintOverdue => {
            let keeper = n.keeper.as_ref().map(|k| k.0.as_str()).unwrap_or_default();
            fill(t.complaint_overdue, &[("date", &n.on.to_string()), ("keeper", keeper)])
        }
    }
}

#[component]
fn NotificationList() -> impl IntoView {
    let texts = use_texts();
    let t = texts.notifications;
    let locale = use_locale();
    let offline = crate::offline::use_offline();
    // Marking read reloads the list.
    let changed = RwSignal::new(0_u32);
    let loaded = LocalResource::new(move || {
        changed.track();
        load_notifications()
    });
    let failure = RwSignal::new(None::<String>);
    let mark = move |keys: Vec<String>| {
        spawn_local(async move {
            match mark_notifications_read(keys).await {
                Ok(()) => changed.update(|n| *n += 1),
                Err(error) => failure.set(Some(app_error_message(locale, &error))),
            }
        });
    };
    let list = move || {
        loaded.get().map(|result| match result {
            Ok(loaded) if loaded.list.is_empty() => view! { <p class="muted">{t.empty}</p> }.into_any(),
            Ok(loaded) => {
                let unread = loaded.unread;
                let now = now_ms();
                view! {
                    {(unread > 0).then(|| view! {
                        <p class="button-row notifications-head">
                            <span>{fill(t.unread_n, &[("n", &unread.to_string())])}</span>
                            <button type="button" class="button" on:click=move |_| mark(Vec::new())>
                                {t.mark_all_read}
                            </button>
                        </p>
                    })}
                    <ul class="plain-list notifications">
                        {loaded.list.into_iter().map(|n| {
                            let key = n.key.clone();
                            let what = occasion(locale, &n);
                            let when = ago(locale, n.at, now);
                            view! {
                                <li class="notification" data-kind=n.kind.as_str() data-read=n.read.to_string()>
                                    {match n.customer {
                                        Some(customer) => view! {
                                            <a class="agenda-row" href=format!("/customers/{customer}")>
                                                <span class="row-name">{n.name.clone()}</span>
                                                <span>{what}</span>
                                                <span class="muted">{when}</span>
                                            </a>
                                        }.into_any(),
                                        // A festival is no customer's.
                                        None => view! {
                                            <div class="agenda-row">
                                                <span>{what}</span>
                                                <span class="muted">{when}</span>
                                            </div>
                                        }.into_any(),
                                    }}
                                    {(!n.read).then(|| view! {
                                        <button type="button" class="button" on:click=move |_| mark(vec![key.clone()])>
                                            {t.mark_read}
                                        </button>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }
                .into_any()
            }
            Err(_) if !offline.status().get_untracked().online => {
                view! { <p class="muted">{t.offline}</p> }.into_any()
            }
            Err(error) => view! { <p class="form-error" role="alert">{app_error_message(locale, &error)}</p> }.into_any(),
        })
    };
    view! {
        <section class="card">
            <h1>{t.title}</h1>
            <p class="muted">{t.help}</p>
            {move || failure.get().map(|text| view! { <p class="form-error" role="alert">{text}</p> })}
            {list}
        </section>
        <DigestSetting />
        <RunNow changed />
    }
}

/// The user's own address and the morning digest.
#[component]
fn DigestSetting() -> impl IntoView {
    let t = use_texts().notifications;
    let locale = use_locale();
    let loaded = LocalResource::new(load_digest);
    let email = RwSignal::new(String::new());
    let on = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(digest)) = loaded.get() {
            email.set(digest.email);
            on.set(digest.on);
        }
    });
    let message = RwSignal::new(None::<Result<String, String>>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (address, wanted) = (email.get_untracked(), on.get_untracked());
        spawn_local(async move {
            let result = save_digest(address, wanted).await;
            message.set(Some(
                result.map(|_| t.digest_saved.to_owned()).map_err(|e| app_error_message(locale, &e)),
            ));
        });
    };
    view! {
        <section class="card" data-testid="digest">
            <h2>{t.digest_title}</h2>
            <form class="stacked-form" novalidate on:submit=save>
                <Field id="digest-email" label=t.digest_email value=email kind="email" />
                <Check id="digest-on" label=t.digest_on value=on />
                <button class="button primary" type="submit">{t.digest_save}</button>
                <FormOutcome outcome=message />
            </form>
        </section>
    }
}

/// For admins: the morning run, now.
#[component]
fn RunNow(changed: RwSignal<u32>) -> impl IntoView {
    let texts = use_texts();
    let t = texts.notifications;
    let locale = use_locale();
    let user = use_current_user();
    let admin = move || {
        user.get()
            .and_then(Result::ok)
            .flatten()
            .is_some_and(|u| domain::policy::may_run_automation(&u.viewer()))
    };
    let run = ServerAction::<RunRemindersNow>::new();
    Effect::new(move |_| {
        if run.value().get().is_some() {
            changed.update(|n| *n += 1);
        }
    });
    move || {
        admin().then(|| {
            view! {
                <section class="card" data-testid="run-reminders">
                    <button class="button" disabled=move || run.pending().get() on:click=move |_| { run.dispatch(RunRemindersNow {}); }>
                        {t.run_now}
                    </button>
                    {move || run.value().get().map(|result| match result {
                        Ok(n) => view! { <p class="form-done" role="status">{fill(t.ran, &[("n", &n.to_string())])}</p> }.into_any(),
                        Err(error) => view! { <p class="form-error" role="alert">{app_error_message(locale, &error)}</p> }.into_any(),
                    })}
                </section>
            }
        })
    }
}

/// Today's line about new reminders: shown when some are unread, and not
/// at all offline.
#[component]
pub fn UnreadNotifications() -> impl IntoView {
    let t = use_texts().notifications;
    let loaded = LocalResource::new(load_notifications);
    move || {
        let unread = loaded.get().and_then(Result::ok).map_or(0, |n| n.unread);
        (unread > 0).then(|| {
            view! {
                <a class="card notice-link" href="/notifications" data-testid="unread-notifications">
                    {fill(t.unread_n, &[("n", &unread.to_string())])}" ›"
                </a>
            }
        })
    }
}
