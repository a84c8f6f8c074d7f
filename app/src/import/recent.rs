//! The latest imports on `/import`, each with its undo: what undoing does
//! is said first, then asked once more, then what it did (and what it kept
//! because somebody changed it after the import).

use domain::time::Timestamp;
use leptos::prelude::*;

use super::api::{ImportState, ImportSummary, UndoReport};
use super::{follow_import, recent_imports, undo_import};
use crate::i18n::{Texts, app_error_message, fill, subject_label, use_locale, use_texts};

/// The recent imports; `refresh` changes after each commit on the page.
#[component]
pub fn RecentImports(refresh: Signal<usize>) -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let imports = Resource::new(move || refresh.get(), |_| recent_imports());
    view! {
        <section class="card" data-testid="recent-imports">
            <h2>{texts.import_recent}</h2>
            <Transition fallback=move || view! { <p class="muted">{texts.loading}</p> }>
                {move || imports.get().map(|result| match result {
                    Ok(list) if list.is_empty() => view! { <p class="muted">{texts.import_recent_none}</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="plain-list recent-imports">
                            {list.into_iter().map(|import| view! { <RecentImport import /> }).collect_view()}
                        </ul>
                    }
                    .into_any(),
                    Err(error) => view! { <p class="form-error">{app_error_message(locale, &error)}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// One import: what it was, and its undo or how it was undone.
#[component]
fn RecentImport(import: ImportSummary) -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let undone = RwSignal::new(import.undone.clone());
    let asking = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let id = import.id.clone();
    let import_id = import.id.clone();
    let undo = Action::new(move |_: &()| undo_import(id.clone()));
    Effect::new(move |_| match undo.value().get() {
        Some(Ok(report)) => {
            asking.set(false);
            undone.set(Some(report));
        }
        Some(Err(error)) => failure.set(Some(app_error_message(locale, &error))),
        None => {}
    });
    let line = fill(
        texts.import_recent_item,
        &[
            ("file", &import.file),
            ("when", &Timestamp(import.at).local_minute()),
            ("user", &import.user),
            ("create", &import.created.to_string()),
            ("update", &import.updated.to_string()),
        ],
    );
    let running = import.running;
    let stopped = import.stopped.map(|(done, total)| {
        let text =
            fill(texts.import_recent_stopped, &[("done", &done.to_string()), ("total", &total.to_string())]);
        view! { <p class="muted" data-testid="import-was-stopped">{text}</p> }
    });
    view! {
        <li class="recent-import" data-file=import.file.clone()>
            <p>{line}</p>
            {stopped}
            {move || match undone.get() {
                // Under way: followed until its job ends.
                Some(UndoReport { done: false, job: Some(job), .. }) => {
                    view! { <UndoUnderWay job import=import_id.clone() undone /> }.into_any()
                }
                Some(report) => outcome(texts, locale, report),
                // Undone once it is over (or stopped).
                None if running => view! { <p class="muted" data-testid="import-running">{texts.import_recent_running}</p> }.into_any(),
                None if asking.get() => view! {
                    <div class="undo-ask">
                        <p class="muted">{texts.import_undo_explain}</p>
                        <div class="button-row">
                            <button type="button" class="button danger" disabled=move || undo.pending().get()
                                on:click=move |_| { failure.set(None); undo.dispatch(()); }>
                                {move || if undo.pending().get() { texts.import_undoing } else { texts.import_undo_confirm }}
                            </button>
                            <button type="button" class="button" on:click=move |_| asking.set(false)>{texts.import_undo_cancel}</button>
                        </div>
                    </div>
                }
                .into_any(),
                None => view! {
                    <div class="button-row">
                        <button type="button" class="button" on:click=move |_| asking.set(true)>{texts.import_undo}</button>
                    </div>
                }
                .into_any(),
            }}
            <p class="form-error" role="alert">{move || failure.get()}</p>
        </li>
    }
}

/// How often an undo under way is asked after.
const POLL: std::time::Duration = std::time::Duration::from_secs(1);

/// An undo whose job is pushing its changes: how far it got, asked every
/// second; once it is over, its report (read with the recent imports)
/// takes its place.
#[component]
fn UndoUnderWay(job: String, import: String, undone: RwSignal<Option<UndoReport>>) -> impl IntoView {
    let texts = use_texts();
    let progress = RwSignal::new(None::<(u64, u64)>);
    let asking = StoredValue::new(false);
    let poll = move || {
        if asking.get_value() {
            return;
        }
        asking.set_value(true);
        let (job, import) = (job.clone(), import.clone());
        leptos::task::spawn_local(async move {
            if let Ok(now) = follow_import(job).await {
                progress.set(Some((now.pushed, now.changes)));
                // The report is written just after the job ends: asked again until it is.
                if now.state != ImportState::Running
                    && let Ok(list) = recent_imports().await
                    && let Some(report) = list.into_iter().find(|i| i.id == import).and_then(|i| i.undone)
                    && report.done
                {
                    undone.set(Some(report));
                }
            }
            asking.set_value(false);
        });
    };
    poll();
    if let Ok(handle) = set_interval_with_handle(poll, POLL) {
        on_cleanup(move || handle.clear());
    }
    view! {
        <p class="muted" role="status" data-testid="import-undoing">
            {texts.import_undoing}
            {move || progress.get().map(|(done, total)| {
                format!(" {}", fill(texts.import_undo_progress, &[("done", &done.to_string()), ("total", &total.to_string())]))
            })}
        </p>
    }
}

/// How an undo went: counts, refusals, and what it kept.
fn outcome(texts: &'static Texts, locale: crate::i18n::Locale, report: UndoReport) -> AnyView {
    if !report.done {
        return view! { <p class="muted">{texts.import_undoing}</p> }.into_any();
    }
    let summary = fill(
        texts.import_undone,
        &[("removed", &report.removed.to_string()), ("restored", &report.restored.to_string())],
    );
    let kept_count = report.kept.len();
    view! {
        <div class="undo-outcome" data-testid="import-undone" data-removed=report.removed data-restored=report.restored data-kept=kept_count>
            <p class="form-done" role="status">{summary}</p>
            {report.stopped.map(|(done, total)| view! {
                <p class="form-error" data-testid="import-undo-stopped">{fill(texts.import_undo_stopped, &[("done", &done.to_string()), ("total", &total.to_string())])}</p>
            })}
            {(report.refused > 0).then(|| view! {
                <p class="form-error">{fill(texts.import_undone_refused, &[("n", &report.refused.to_string())])}</p>
            })}
            {(report.unreached > 0).then(|| view! {
                <p class="muted" data-testid="import-unreached">{fill(texts.import_undone_unreached, &[("n", &report.unreached.to_string())])}</p>
            })}
            {(kept_count > 0).then(|| view! {
                <p>{fill(texts.import_undone_kept, &[("n", &kept_count.to_string())])}</p>
                <ul class="plain-list kept-list">
                    {report.kept.into_iter().map(|kept| {
                        let what = if kept.what == "archive" { texts.import_kept_archive.to_owned() } else { subject_label(locale, &kept.what) };
                        view! { <li><a href=format!("/customers/{}", kept.customer)>{kept.name}</a>" · "{what}</li> }
                    }).collect_view()}
                </ul>
            })}
        </div>
    }
    .into_any()
}
