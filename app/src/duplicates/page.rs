//! `/duplicates`: the queue of likely duplicate pairs.

use domain::dedup::DuplicateReason;
use domain::views::DuplicatePairView;
use leptos::prelude::*;

use super::api::{DismissPair, SweepDuplicates, duplicate_queue};
use crate::i18n::{Locale, app_error_message, fill, use_texts};

/// Why a pair looks alike, in words.
pub(super) fn reason_text(locale: Locale, reason: &DuplicateReason) -> String {
    let t = crate::i18n::texts(locale).duplicates;
    match reason {
        DuplicateReason::SamePhone(phone) => format!("{} {phone}", t.same_phone),
        DuplicateReason::SameEmail(email) => format!("{} {}", t.same_email, email.as_str()),
        DuplicateReason::SameCompanyName => t.same_company.to_owned(),
        DuplicateReason::SameNameSameCity(city) => fill(t.same_name_city, &[("city", city)]),
        DuplicateReason::SimilarNameSameCity(city) => fill(t.similar_name_city, &[("city", city)]),
    }
}

/// The queue, a sweep over every archive, and for each pair: compare and
/// merge, or "not a duplicate".
#[component]
pub fn DuplicatesPage() -> impl IntoView {
    let texts = use_texts();
    let t = texts.duplicates;
    let locale = use_context::<Locale>().unwrap_or_default();
    let sweep = ServerAction::<SweepDuplicates>::new();
    let dismiss = ServerAction::<DismissPair>::new();
    let queue =
        Resource::new(move || (sweep.version().get(), dismiss.version().get()), |_| duplicate_queue());
    let swept = move || {
        sweep.value().get().map(|result| match result {
            Ok((scanned, pairs)) => view! {
                <p class="form-done" role="status">
                    {fill(t.swept, &[("scanned", &scanned.to_string()), ("pairs", &pairs.to_string())])}
                </p>
            }
            .into_any(),
            Err(error) => {
                view! { <p class="form-error" role="alert">{app_error_message(locale, &error)}</p> }
                    .into_any()
            }
        })
    };
    view! {
        <section class="card">
            <h1>{t.title}</h1>
            <p class="muted">{t.help}</p>
            <button class="button" disabled=move || sweep.pending().get() on:click=move |_| { sweep.dispatch(SweepDuplicates {}); }>
                {t.sweep}
            </button>
            {swept}
        </section>
        <section class="card">
            <Transition fallback=move || view! { <p class="muted">{texts.loading}</p> }>
                {move || queue.get().map(|result| match result {
                    Ok(pairs) if pairs.is_empty() => view! { <p class="muted">{t.empty}</p> }.into_any(),
                    Ok(pairs) => view! {
                        <ul class="plain-list duplicate-pairs">
                            {pairs.into_iter().map(|pair| view! { <PairRow pair dismiss /> }).collect_view()}
                        </ul>
                    }
                    .into_any(),
                    Err(error) => view! { <p class="form-error" role="alert">{app_error_message(locale, &error)}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn PairRow(pair: DuplicatePairView, dismiss: ServerAction<DismissPair>) -> impl IntoView {
    let texts = use_texts();
    let t = texts.duplicates;
    let locale = use_context::<Locale>().unwrap_or_default();
    let reasons: Vec<String> = pair.reasons.iter().map(|r| reason_text(locale, r)).collect();
    let key = pair.key.clone();
    view! {
        <li class="duplicate-pair" data-key=pair.key.clone()>
            <p>
                <strong>{pair.a.fields.name.as_str().to_owned()}</strong>
                " ⇄ "
                <strong>{pair.b.fields.name.as_str().to_owned()}</strong>
                <span class="muted">{format!(" · {}", fill(t.score, &[("score", &pair.score.to_string())]))}</span>
            </p>
            <p class="muted">{reasons.join("；")}</p>
            <div class="button-row">
                <a class="button primary" href=format!("/duplicates/{}", pair.key)>{t.open_merge}</a>
                <button class="button" on:click=move |_| { dismiss.dispatch(DismissPair { key: key.clone() }); }>
                    {t.not_duplicate}
                </button>
            </div>
        </li>
    }
}
