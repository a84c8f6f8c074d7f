//! Form pieces every editor uses: a labelled input with its message under
//! it, checked as the person types by the same domain rules the server runs.

use domain::FieldError;
use domain::replica::RecordError;
use leptos::prelude::*;

use crate::i18n::{Locale, field_error_message, refusal_message, texts};

/// A labelled input bound to `value`, with `error` shown under it.
#[component]
pub fn Field(
    /// The input's id (also names it for tests).
    id: &'static str,
    /// What the field is called.
    label: &'static str,
    /// Its text.
    value: RwSignal<String>,
    /// The message under it, if its text breaks a rule.
    #[prop(into, optional)]
    error: Signal<Option<String>>,
    /// The input type (`text` when empty).
    #[prop(optional)]
    kind: &'static str,
    /// A hint inside the empty input.
    #[prop(optional)]
    placeholder: &'static str,
    /// The keyboard a phone shows (`tel`, `numeric`, `decimal`).
    #[prop(optional)]
    inputmode: &'static str,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <label for=id>{label}</label>
        <input
            id=id
            name=id
            type=if kind.is_empty() { "text" } else { kind }
            inputmode=(!inputmode.is_empty()).then_some(inputmode)
            placeholder=placeholder
            autocomplete="off"
            prop:value=move || value.get()
            on:input=move |ev| value.set(event_target_value(&ev))
            aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
            aria-describedby=error_id.clone()
        />
        <p id=error_id class="field-error" role="alert">
            {move || error.get()}
        </p>
    }
}

/// A labelled multi-line input.
#[component]
pub fn TextArea(
    /// The input's id.
    id: &'static str,
    /// What the field is called.
    label: &'static str,
    /// Its text.
    value: RwSignal<String>,
    /// The message under it.
    #[prop(into, optional)]
    error: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <textarea id=id name=id rows="3" prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))></textarea>
        <p class="field-error" role="alert">
            {move || error.get()}
        </p>
    }
}

/// A labelled choice among `options` (value, text).
#[component]
pub fn Choice(
    /// The select's id.
    id: &'static str,
    /// What the field is called.
    label: &'static str,
    /// The chosen value.
    value: RwSignal<String>,
    /// Value and text of each option.
    options: Vec<(String, String)>,
) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <select id=id name=id on:change=move |ev| value.set(event_target_value(&ev))>
            {options
                .into_iter()
                .map(|(v, text)| {
                    let selected = {
                        let v = v.clone();
                        move || value.get() == v
                    };
                    view! { <option value=v selected=selected>{text}</option> }
                })
                .collect_view()}
        </select>
    }
}

/// The message for a field check, when the text is not empty.
pub fn check<T>(
    locale: Locale,
    text: &str,
    parse: impl FnOnce(&str) -> Result<T, FieldError>,
) -> Option<String> {
    if text.trim().is_empty() {
        None
    } else {
        parse(text.trim()).err().map(|e| field_error_message(locale, &e))
    }
}

/// The message for a change the replica would not record.
pub fn record_error_message(locale: Locale, error: &RecordError) -> String {
    match error {
        RecordError::Full => texts(locale).storage_full.to_owned(),
        RecordError::Refused(r) => refusal_message(locale, &r.code, &r.errors),
    }
}

/// Text to an optional value: blank is none.
pub fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}
