//! `/admin/care`: the birthday greeting and the outbox.

use domain::calendar::Festival;
use domain::care::{CareSettings, FestivalGreeting, Template};
use domain::outbox::{MailStatus, OutboxMessage};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::api::{CareView, load_care, retry_mail, save_care_settings};
use crate::form::{Check, Field, FormOutcome, TextArea};
use crate::i18n::{Label, Locale, ago, app_error_message, field_error_message, fill, use_locale, use_texts};
use crate::offline::now_ms;

/// `/admin/care`.
#[component]
pub fn CarePage() -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let changed = RwSignal::new(0_u32);
    let loaded = LocalResource::new(move || {
        changed.track();
        load_care()
    });
    move || {
        loaded.get().map(|result| match result {
            Ok(view) => view! { <Settings view=view.clone() /><Outbox view changed /> }.into_any(),
            Err(error) => view! {
                <section class="card"><p class="form-error" role="alert">{app_error_message(locale, &error)}</p></section>
            }
            .into_any(),
        })
        .unwrap_or_else(|| view! { <section class="card"><p class="muted">{texts.loading}</p></section> }.into_any())
    }
}

#[component]
fn Settings(view: CareView) -> impl IntoView {
    let t = use_texts().care;
    let locale = use_locale();
    let settings = view.settings;
    let greeting = settings.birthday_greeting.clone();
    let on = RwSignal::new(greeting.is_some());
    let subject =
        RwSignal::new(greeting.as_ref().map_or(t.default_subject.to_owned(), |g| g.subject.clone()));
    let body = RwSignal::new(greeting.as_ref().map_or(t.default_body.to_owned(), |g| g.body.clone()));
    let festive = settings.festival_greeting.clone();
    let festival_on = RwSignal::new(festive.is_some());
    let festivals = RwSignal::new(festive.as_ref().map(|g| g.festivals.clone()).unwrap_or_default());
    let festival_subject =
        RwSignal::new(festive.as_ref().map_or(t.festival_subject.to_owned(), |g| g.template.subject.clone()));
    let festival_body =
        RwSignal::new(festive.as_ref().map_or(t.festival_body.to_owned(), |g| g.template.body.clone()));
    let from = RwSignal::new(settings.quiet_from_hour.to_string());
    let until = RwSignal::new(settings.quiet_until_hour.to_string());
    let cap = RwSignal::new(settings.monthly_cap.to_string());
    let services = RwSignal::new(
        settings
            .service_intervals
            .iter()
            .map(|(product, days)| format!("{product} {days}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let message = RwSignal::new(None::<Result<String, String>>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let number = |field: &str, text: String| {
            text.trim().parse::<u8>().map_err(|_| domain::FieldError::new(field, "out_of_range"))
        };
        let read = || -> Result<CareSettings, domain::FieldError> {
            let settings = CareSettings {
                version: 0,
                birthday_greeting: on
                    .get_untracked()
                    .then(|| Template { subject: subject.get_untracked(), body: body.get_untracked() }),
                festival_greeting: festival_on.get_untracked().then(|| FestivalGreeting {
                    festivals: festivals.get_untracked(),
                    template: Template {
                        subject: festival_subject.get_untracked(),
                        body: festival_body.get_untracked(),
                    },
                }),
                quiet_from_hour: number("quiet_from", from.get_untracked())?,
                quiet_until_hour: number("quiet_until", until.get_untracked())?,
                monthly_cap: number("monthly_cap", cap.get_untracked())?,
                service_intervals: domain::care::parse_service_intervals(&services.get_untracked())?,
            };
            settings.check()?;
            Ok(settings)
        };
        match read() {
            Err(error) => message.set(Some(Err(field_error_message(locale, &error)))),
            Ok(settings) => spawn_local(async move {
                let result = save_care_settings(settings).await;
                message
                    .set(Some(result.map(|_| t.saved.to_owned()).map_err(|e| app_error_message(locale, &e))));
            }),
        }
    };
    view! {
        <section class="card narrow" data-testid="care-settings">
            <h1>{t.title}</h1>
            <p class="muted">{t.help}</p>
            <form class="stacked-form" novalidate on:submit=save>
                <Check id="care-greeting-on" label=t.greeting_on value=on />
                <Field id="care-subject" label=t.subject value=subject />
                <TextArea id="care-body" label=t.body value=body />
                <p class="muted">{t.placeholders}</p>
                <h2>{t.festival_title}</h2>
                <Check id="care-festival-on" label=t.festival_on value=festival_on />
                <div class="checks" role="group" aria-label=t.festival_title>
                    {Festival::ALL
                        .into_iter()
                        .map(|festival| {
                            let toggle = move |ev| {
                                let on = event_target_checked(&ev);
                                festivals.update(|set| {
                                    if on { set.insert(festival); } else { set.remove(&festival); }
                                });
                            };
                            view! {
                                <label class="check">
                                    <input
                                        type="checkbox"
                                        data-festival=festival.as_str()
                                        prop:checked=move || festivals.with(|set| set.contains(&festival))
                                        on:change=toggle
                                    />
                                    <span>{festival.label(locale)}</span>
                                </label>
                            }
                        })
                        .collect_view()}
                </div>
                <Field id="care-festival-subject" label=t.subject value=festival_subject />
                <TextArea id="care-festival-body" label=t.body value=festival_body />
                <p class="muted">{t.placeholders}" "{t.festival_placeholders}</p>
                <Field id="care-quiet-from" label=t.quiet_from value=from kind="number" inputmode="numeric" />
                <Field id="care-quiet-until" label=t.quiet_until value=until kind="number" inputmode="numeric" />
                <Field id="care-cap" label=t.monthly_cap value=cap kind="number" inputmode="numeric" />
                <h2>{t.service_title}</h2>
                <TextArea id="care-services" label=t.service_title value=services />
                <p class="muted">{t.service_help}</p>
                <button class="button primary" type="submit">{t.save}</button>
                <FormOutcome outcome=message />
            </form>
        </section>
    }
}

fn status_text(locale: Locale, status: MailStatus) -> &'static str {
    let t = crate::i18n::texts(locale).care;
    match status {
        MailStatus::Uncertain => t.uncertain,
        _ => t.failed,
    }
}

#[component]
fn Outbox(view: CareView, changed: RwSignal<u32>) -> impl IntoView {
    let t = use_texts().care;
    let locale = use_locale();
    let message = RwSignal::new(None::<Result<String, String>>);
    let retry = move |key: String| {
        spawn_local(async move {
            match retry_mail(key).await {
                Ok(()) => {
                    message.set(Some(Ok(t.retried.to_owned())));
                    changed.update(|n| *n += 1);
                }
                Err(error) => message.set(Some(Err(app_error_message(locale, &error)))),
            }
        });
    };
    let now = now_ms();
    let counts = fill(
        t.counts,
        &[("queued", &view.outbox.queued.to_string()), ("sent", &view.outbox.sent.to_string())],
    );
    let row = move |m: OutboxMessage| {
        let key = m.key.clone();
        view! {
            <li class="outbox-row" data-status=domain::archive::wire_name(&m.status)>
                <div class="row-main">
                    <span class="row-name">{m.subject.clone()}</span>
                    <span class="muted">{format!("{} · {} · {}", m.to, status_text(locale, m.status), ago(locale, m.created_at, now))}</span>
                    <span class="muted">{m.last_error.clone().unwrap_or_default()}</span>
                </div>
                <button type="button" class="button" on:click=move |_| retry(key.clone())>{t.retry}</button>
            </li>
        }
    };
    view! {
        <section class="card narrow" data-testid="outbox">
            <h2>{t.outbox_title}</h2>
            {(!view.mail_configured).then(|| view! { <p class="form-error" role="status">{t.no_smtp}</p> })}
            <p>{counts}</p>
            {if view.outbox.problems.is_empty() {
                view! { <p class="muted">{t.no_problems}</p> }.into_any()
            } else {
                view! { <ul class="plain-list">{view.outbox.problems.into_iter().map(row).collect_view()}</ul> }.into_any()
            }}
            <FormOutcome outcome=message />
        </section>
    }
}
