//! Following an import's job: a bar with the changes written, the rate and
//! the time left, asked of the server every second, and a button to stop it.

use std::time::Duration;

use leptos::prelude::*;

use super::api::{ImportProgress, ImportState};
use super::{cancel_import, follow_import};
use crate::i18n::{Texts, app_error_message, fill, use_locale, use_texts};

/// How often the page asks how far the import got.
const POLL: Duration = Duration::from_secs(1);

/// Import `id` while it runs; `on_end` hears how it ended, once.
#[component]
pub(super) fn ImportProgressCard(
    id: String,
    #[prop(into)] on_end: Callback<ImportProgress>,
) -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let progress = RwSignal::new(None::<ImportProgress>);
    let failure = RwSignal::new(None::<String>);
    let ended = StoredValue::new(false);
    let asking = StoredValue::new(false);
    let take = move |answer: Result<ImportProgress, crate::error::AppError>| match answer {
        Ok(now) => {
            failure.set(None);
            if now.state != ImportState::Running && !ended.get_value() {
                ended.set_value(true);
                on_end.run(now.clone());
            }
            progress.set(Some(now));
        }
        Err(error) => failure.set(Some(app_error_message(locale, &error))),
    };
    let poll = {
        let id = id.clone();
        move || {
            // One question at a time: a slow answer is not asked over.
            if ended.get_value() || asking.get_value() {
                return;
            }
            asking.set_value(true);
            let id = id.clone();
            leptos::task::spawn_local(async move {
                let answer = follow_import(id).await;
                asking.set_value(false);
                take(answer);
            });
        }
    };
    poll();
    if let Ok(handle) = set_interval_with_handle(poll, POLL) {
        on_cleanup(move || handle.clear());
    }
    let stop = move |_| {
        let id = id.clone();
        leptos::task::spawn_local(async move { take(cancel_import(id).await) });
    };
    view! {
        <section class="card" data-testid="import-progress" aria-live="polite">
            <h2>{texts.import_running}</h2>
            {move || progress.get().map(|now| {
                let stopping = now.stopping;
                view! {
                    <progress max=now.changes value=now.pushed></progress>
                    <p class="muted" data-pushed=now.pushed data-changes=now.changes>{line(texts, &now)}</p>
                    {(now.state == ImportState::Running).then(|| view! {
                        <div class="button-row">
                            <button type="button" class="button danger" on:click=stop.clone() disabled=stopping>
                                {if stopping { texts.import_stopping } else { texts.import_stop }}
                            </button>
                        </div>
                    })}
                }
            })}
            <p class="form-error" role="alert">{move || failure.get()}</p>
        </section>
    }
}

/// "N of M written · R a second · about T left".
fn line(texts: &'static Texts, now: &ImportProgress) -> String {
    let seconds = now.elapsed_ms.max(1) as f64 / 1000.0;
    let rate = now.pushed as f64 / seconds;
    let left = if rate > 0.0 { now.changes.saturating_sub(now.pushed) as f64 / rate } else { f64::NAN };
    let left = if !left.is_finite() {
        "…".to_owned()
    } else if left < 90.0 {
        fill(texts.import_seconds, &[("n", &(left.ceil() as u64).to_string())])
    } else {
        fill(texts.import_minutes, &[("n", &((left / 60.0).ceil() as u64).to_string())])
    };
    fill(
        texts.import_progress,
        &[
            ("done", &now.pushed.to_string()),
            ("total", &now.changes.to_string()),
            ("rate", &(rate.round() as u64).to_string()),
            ("left", &left),
        ],
    )
}
