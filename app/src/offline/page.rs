//! The sync page: what waits, what the server refused (resend or discard),
//! how much of the device's storage the archive takes, and the language.

use domain::replica::RecordError;
use leptos::prelude::*;

use super::describe::change_summary;
use super::engine::{Problem, now_ms, use_offline};
use super::shelf::RECORD_BUDGET;
use crate::auth::SignedIn;
use crate::i18n::{LOCALE_COOKIE, Locale, ago, fill, refusal_message, use_locale, use_texts};

/// `/sync`.
#[component]
pub fn SyncPage() -> impl IntoView {
    view! {
        <SignedIn>
            <SyncStatusCard />
            <RefusedCard />
            <StorageCard />
            <LanguageCard />
        </SignedIn>
    }
}

#[component]
fn SyncStatusCard() -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let offline = use_offline();
    let status = offline.status();
    let problem = move || match status.get().problem {
        Some(Problem::Offline) => Some(texts.offline_note.to_owned()),
        Some(Problem::SignedOut) => Some(texts.error_signed_out.to_owned()),
        Some(Problem::Full) => Some(texts.storage_full.to_owned()),
        Some(Problem::Server(code)) => Some(fill(texts.server_problem, &[("code", &code)])),
        None => None,
    };
    let pending = move || {
        offline
            .read(|r| r.pending().iter().map(|m| change_summary(locale, r, m)).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    view! {
        <section class="card">
            <h1>{texts.sync_title}</h1>
            <p class="sync-line">
                {move || {
                    let s = status.get();
                    let when = s
                        .last_synced
                        .map(|at| fill(texts.synced_at, &[("t", &ago(locale, at, now_ms()))]))
                        .unwrap_or_else(|| texts.never_synced.to_owned());
                    format!("{} · {} · {when}", if s.online { texts.online } else { texts.offline }, fill(texts.pending_n, &[("n", &s.pending.to_string())]))
                }}
            </p>
            <p class="form-error" role="alert">{problem}</p>
            <Show when=move || matches!(status.get().problem, Some(Problem::SignedOut))>
                <a class="button primary" href="/signin">{texts.sign_in}</a>
            </Show>
            <button class="button primary" on:click=move |_| offline.sync_now() disabled=move || status.get().syncing>
                {move || if status.get().syncing { texts.syncing } else { texts.sync_now }}
            </button>
            <Show when=move || !pending().is_empty()>
                <h2>{texts.pending_list}</h2>
                <ul class="plain-list pending-list">
                    {move || pending().into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                </ul>
            </Show>
        </section>
    }
}

#[component]
fn RefusedCard() -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let offline = use_offline();
    let error = RwSignal::new(None::<String>);
    let refused = move || {
        offline
            .read(|r| {
                r.refused()
                    .iter()
                    .map(|x| (x.clone(), change_summary(locale, r, &x.mutation)))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    view! {
        <section class="card" id="refused">
            <h2>{texts.refused_title}</h2>
            <Show when=move || !refused().is_empty() fallback=move || view! { <p class="muted">{texts.refused_none}</p> }>
                <ul class="plain-list refused-list">
                    {move || {
                        refused()
                            .into_iter()
                            .map(|(item, summary)| {
                                let id = item.mutation.id;
                                view! {
                                    <li class="refused-item">
                                        <strong>{summary}</strong>
                                        <p class="field-error">{refusal_message(locale, &item.code, &item.errors)}</p>
                                        <div class="button-row">
                                            <button class="button" on:click=move |_| {
                                                match offline.resend(id) {
                                                    Ok(_) => error.set(None),
                                                    Err(RecordError::Full) => error.set(Some(texts.storage_full.to_owned())),
                                                    Err(RecordError::Refused(r)) => error.set(Some(refusal_message(locale, &r.code, &r.errors))),
                                                }
                                            }>{texts.resend}</button>
                                            <button class="button danger" on:click=move |_| offline.discard(id)>{texts.discard}</button>
                                        </div>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
                <p class="form-error" role="alert">{move || error.get()}</p>
            </Show>
        </section>
    }
}

#[component]
fn StorageCard() -> impl IntoView {
    let texts = use_texts();
    let offline = use_offline();
    let usage = move || offline.read(|r| r.usage()).unwrap_or_default();
    let kb = |chars: usize| format!("{:.1} KB", chars as f64 * 2.0 / 1024.0);
    view! {
        <section class="card">
            <h2>{texts.storage_title}</h2>
            <dl class="facts">
                <dt>{texts.cached_records}</dt>
                <dd data-testid="cached-records">{move || usage().records}</dd>
                <dt>{texts.per_record}</dt>
                <dd data-testid="bytes-per-record" data-bytes=move || (usage().per_record() * 2).to_string()>{move || kb(usage().per_record())}</dd>
                <dt>{texts.storage_used}</dt>
                <dd>
                    {move || format!("{} / {}", kb(usage().record_chars), kb(RECORD_BUDGET))}
                    <progress max=RECORD_BUDGET.to_string() value=move || usage().record_chars.to_string()></progress>
                </dd>
                <dt>{texts.outbox_used}</dt>
                <dd>{move || kb(usage().outbox_chars)}</dd>
            </dl>
            <button class="button" on:click=move |_| { offline.evict(usage().record_chars / 2); }>{texts.free_space}</button>
        </section>
    }
}

#[component]
fn LanguageCard() -> impl IntoView {
    let texts = use_texts();
    let current = use_locale();
    let choose = move |locale: Locale| {
        let value = if locale == Locale::En { "en" } else { "zh-CN" };
        let cookie = format!("{LOCALE_COOKIE}={value}; path=/; max-age=31536000; samesite=lax");
        let _ = js_sys::Reflect::set(&document(), &"cookie".into(), &cookie.into());
        let _ = window().location().reload();
    };
    view! {
        <section class="card">
            <h2>{texts.language}</h2>
            <div class="button-row">
                <button class="button" aria-pressed=(current == Locale::ZhCn).to_string() on:click=move |_| choose(Locale::ZhCn)>"中文"</button>
                <button class="button" aria-pressed=(current == Locale::En).to_string() on:click=move |_| choose(Locale::En)>"English"</button>
            </div>
        </section>
    }
}
