//! The admin's review rules form, and "reviewed" on a record.

use domain::Change;
use domain::archive::{Category, FieldValue};
use domain::ids::CustomerId;
use domain::mutation::FieldEdit;
use domain::review::{DAYS_RANGE, ReviewRules};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{load_review_rules, save_review_rules};
use crate::form::record_error_message;
use crate::i18n::{Label, app_error_message, fill, use_locale, use_texts};
use crate::offline::{today, use_offline};

/// The categories a cycle can be set for.
const CATEGORIES: [Category; 3] = [Category::Vip, Category::Regular, Category::Churned];

/// Days as typed: empty is none; anything else must be in [`DAYS_RANGE`].
fn days(text: &str) -> Result<Option<u16>, ()> {
    match text.trim() {
        "" => Ok(None),
        typed => typed.parse::<u16>().ok().filter(|d| DAYS_RANGE.contains(d)).map(Some).ok_or(()),
    }
}

/// Review cycles per category and the quiet spell, for admins.
#[component]
pub fn ReviewRulesCard() -> impl IntoView {
    let texts = use_texts();
    let t = texts.review;
    let locale = use_locale();
    let loaded = RwSignal::new(None::<ReviewRules>);
    let message = RwSignal::new(None::<Result<(), String>>);
    let cycles: Vec<(Category, RwSignal<String>)> =
        CATEGORIES.iter().map(|c| (c.clone(), RwSignal::new(String::new()))).collect();
    let stale = RwSignal::new(String::new());
    let fill_in = {
        let cycles = cycles.clone();
        move |rules: &ReviewRules| {
            for (category, value) in &cycles {
                value.set(rules.cycle(category).map(|d| d.to_string()).unwrap_or_default());
            }
            stale.set(rules.stale_after_days.to_string());
        }
    };
    {
        let fill_in = fill_in.clone();
        Effect::new(move |_| {
            let fill_in = fill_in.clone();
            spawn_local(async move {
                match load_review_rules().await {
                    Ok(rules) => {
                        fill_in(&rules);
                        loaded.set(Some(rules));
                    }
                    Err(error) => message.set(Some(Err(app_error_message(locale, &error)))),
                }
            });
        });
    }
    let save = {
        let cycles = cycles.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let Some(mut rules) = loaded.get_untracked() else { return };
            for (category, value) in &cycles {
                let key = domain::archive::wire_name(category);
                match days(&value.get_untracked()) {
                    Ok(Some(d)) => drop(rules.cycles.insert(key, d)),
                    Ok(None) => drop(rules.cycles.remove(&key)),
                    Err(()) => return message.set(Some(Err(t.days_range.to_owned()))),
                }
            }
            match days(&stale.get_untracked()) {
                Ok(Some(d)) => rules.stale_after_days = d,
                _ => return message.set(Some(Err(t.days_range.to_owned()))),
            }
            message.set(None);
            let fill_in = fill_in.clone();
            spawn_local(async move {
                match save_review_rules(rules).await {
                    Ok(saved) => {
                        fill_in(&saved);
                        loaded.set(Some(saved));
                        message.set(Some(Ok(())));
                    }
                    Err(error) => message.set(Some(Err(app_error_message(locale, &error)))),
                }
            });
        }
    };
    view! {
        <section class="card" data-testid="review-rules">
            <h2>{t.title}</h2>
            <p class="muted">{t.help}</p>
            <form class="stacked-form" novalidate on:submit=save>
                {cycles.into_iter().map(|(category, value)| {
                    let id = format!("cycle-{}", domain::archive::wire_name(&category));
                    view! {
                        <label for=id.clone()>{fill(t.cycle_days, &[("category", &category.label(locale))])}</label>
                        <input id=id type="number" inputmode="numeric" min="7" max="730" placeholder=t.not_reviewed
                            prop:value=value on:input=move |ev| value.set(event_target_value(&ev)) />
                    }
                }).collect_view()}
                <label for="stale-days">{t.stale_days}</label>
                <input id="stale-days" type="number" inputmode="numeric" min="7" max="730"
                    prop:value=stale on:input=move |ev| stale.set(event_target_value(&ev)) />
                {move || match message.get() {
                    Some(Ok(())) => view! { <p class="form-done" role="status">{t.saved}</p> }.into_any(),
                    Some(Err(text)) => view! { <p class="form-error" role="alert">{text}</p> }.into_any(),
                    None => ().into_any(),
                }}
                <button type="submit" class="button primary" disabled=move || loaded.get().is_none()>{t.save}</button>
            </form>
        </section>
    }
}

/// "Reviewed": moves the next review by the cycle of the archive's category,
/// as a change like any other (offline too). Not shown for a category that
/// is not reviewed.
#[component]
pub fn ReviewedButton(customer: CustomerId, category: Category) -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let offline = use_offline();
    // Success shows as the new date itself (the facts are drawn anew).
    let failure = RwSignal::new(None::<String>);
    let category = StoredValue::new(category);
    let next = move || {
        category.with_value(|c| offline.read(|r| r.meta().review_rules.next_review(c, today()))).flatten()
    };
    let review = move |_| {
        let Some(next) = next() else { return };
        let edit = FieldEdit { value: FieldValue::NextReviewAt(Some(next)), base: offline.base(&customer) };
        if let Err(error) = offline.record(customer, Change::SetFields { edits: vec![edit] }) {
            failure.set(Some(record_error_message(locale, &error)));
        }
    };
    view! {
        <Show when=move || next().is_some()>
            <button type="button" class="button" data-action="reviewed" on:click=review>{texts.review.reviewed}</button>
        </Show>
        {move || failure.get().map(|text| view! { <p class="form-error" role="alert">{text}</p> })}
    }
}
