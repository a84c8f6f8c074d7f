//! The data-quality page.

use domain::archive::FieldName;
use domain::custom_field::CustomFields;
use domain::quality::{FieldQuality, TeamQuality};
use leptos::prelude::*;

use super::load_quality_report;
use crate::auth::SignedIn;
use crate::i18n::{Locale, app_error_message, fill, use_locale, use_texts};
use crate::offline::field_label;

/// `/quality`.
#[component]
pub fn QualityPage() -> impl IntoView {
    view! {
        <SignedIn>
            <Report />
        </SignedIn>
    }
}

#[component]
fn Report() -> impl IntoView {
    let texts = use_texts();
    let t = texts.quality;
    let locale = use_locale();
    let report = Resource::new(|| (), |_| load_quality_report());
    view! {
        <section class="card">
            <h1>{t.title}</h1>
            <p class="muted">{t.help}</p>
        </section>
        <Transition fallback=move || view! { <p class="muted">{texts.loading}</p> }>
            {move || report.get().map(|result| match result {
                Ok(report) if report.teams.is_empty() => view! { <section class="card"><p class="muted">{t.empty}</p></section> }.into_any(),
                Ok(report) => {
                    let custom = report.custom_fields;
                    report.teams.into_iter().map(|team| view! { <TeamCard team custom=custom.clone() /> }).collect_view().into_any()
                }
                Err(error) => view! { <section class="card"><p class="form-error" role="alert">{app_error_message(locale, &error)}</p></section> }.into_any(),
            })}
        </Transition>
    }
}

/// What a reported field is called: a field of every archive, or a custom
/// field by the label the admin gave it.
fn label(locale: Locale, field: &str, custom: &CustomFields) -> String {
    if let Some(key) = field.strip_prefix("custom.") {
        return custom.get(key).map_or_else(|| key.to_owned(), |d| d.label(locale == Locale::En).to_owned());
    }
    FieldName::ALL
        .iter()
        .find(|n| n.as_str() == field)
        .map_or_else(|| field.to_owned(), |n| field_label(locale, *n))
}

#[component]
fn TeamCard(team: TeamQuality, custom: CustomFields) -> impl IntoView {
    let texts = use_texts();
    let t = texts.quality;
    let locale = use_locale();
    let name = team.team.clone().unwrap_or_else(|| t.pool.to_owned());
    let rows = team
        .fields
        .into_iter()
        .map(|field| {
            let label = label(locale, &field.field, &custom);
            view! { <FieldRow field label /> }
        })
        .collect_view();
    view! {
        <section class="card quality-team" data-team=team.team.unwrap_or_default()>
            <h2>{name}<span class="count-chip">{fill(t.archives, &[("n", &team.archives.to_string())])}</span></h2>
            <table class="data-table quality-table">
                <thead>
                    <tr><th scope="col">{t.field}</th><th scope="col">{t.complete}</th><th scope="col">{t.failing}</th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}

#[component]
fn FieldRow(field: FieldQuality, label: String) -> impl IntoView {
    let t = use_texts().quality;
    let open = RwSignal::new(false);
    let percent = if field.applicable == 0 { 100 } else { field.filled * 100 / field.applicable };
    let unlisted = field.failing as usize - field.examples.len().min(field.failing as usize);
    let examples = field.examples.clone();
    view! {
        <tr data-field=field.field.clone()>
            <th scope="row">{label}</th>
            <td>
                <meter class="quality-bar" min="0" max="100" value=percent.to_string()></meter>
                <span class="quality-percent">{format!("{percent}%")}</span>
            </td>
            <td>
                {if field.failing == 0 {
                    view! { <span class="muted">"0"</span> }.into_any()
                } else {
                    view! {
                        <button type="button" class="button failing-count" aria-label=t.show_failing
                            aria-expanded=move || open.get().to_string() on:click=move |_| open.update(|o| *o = !*o)>
                            {field.failing}
                        </button>
                    }.into_any()
                }}
            </td>
        </tr>
        <Show when=move || open.get()>
            <tr class="quality-examples">
                <td colspan="3">
                    <ul class="plain-list">
                        {examples.iter().map(|(id, name)| view! {
                            <li><a class="agenda-row" href=format!("/customers/{id}")>{name.clone()}</a></li>
                        }).collect_view()}
                    </ul>
                    {(unlisted > 0).then(|| view! { <p class="muted">{fill(t.more_failing, &[("n", &unlisted.to_string())])}</p> })}
                </td>
            </tr>
        </Show>
    }
}
