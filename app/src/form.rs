//! Form pieces every editor uses: a labelled input with its message under
//! it, checked as the person types by the same domain rules the server runs.

use domain::FieldError;
use domain::archive::wire_name;
use domain::replica::RecordError;
use domain::standard::Standard;
use leptos::prelude::*;

use crate::i18n::{Label, Locale, field_error_message, refusal_message, texts};

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

/// A labelled checkbox bound to `value`.
#[component]
pub fn Check(
    /// The input's id.
    id: &'static str,
    /// What ticking it means.
    label: &'static str,
    /// Ticked or not.
    value: RwSignal<bool>,
) -> impl IntoView {
    view! {
        <label class="check">
            <input
                id=id
                type="checkbox"
                prop:checked=move || value.get()
                on:change=move |ev| value.set(event_target_checked(&ev))
            />
            <span>{label}</span>
        </label>
    }
}

/// What became of a form's last submit: done (a status) or refused (an alert).
pub type Outcome = RwSignal<Option<Result<String, String>>>;

/// The line under a form saying what became of its last submit.
#[component]
pub fn FormOutcome(
    /// The outcome, none before the first submit.
    outcome: Outcome,
) -> impl IntoView {
    move || {
        outcome.get().map(|m| match m {
            Ok(text) => view! { <p class="form-done" role="status">{text}</p> }.into_any(),
            Err(text) => view! { <p class="form-error" role="alert">{text}</p> }.into_any(),
        })
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

/// Options (value, text) for a choice that may be left empty: none first,
/// then the value stored today when `choices` lacks it (so saving an
/// unrelated edit never loses it), then `choices`.
pub fn options_keeping(
    stored: &str,
    choices: impl IntoIterator<Item = (String, String)>,
) -> Vec<(String, String)> {
    let choices: Vec<(String, String)> = choices.into_iter().collect();
    let mut options = vec![(String::new(), "—".to_owned())];
    if !stored.is_empty() && !choices.iter().any(|(value, _)| value == stored) {
        options.push((stored.to_owned(), stored.to_owned()));
    }
    options.extend(choices);
    options
}

/// Options for an optional enum field: none, then each value by name.
pub fn optional_options<T: Label + serde::Serialize>(values: &[T], locale: Locale) -> Vec<(String, String)> {
    options_keeping("", values.iter().map(|v| (wire_name(v), v.label(locale))))
}

/// Options for a field with a national standard list: stored in Chinese,
/// shown in the interface's language.
pub fn standard_options(list: &[Standard], stored: &str, locale: Locale) -> Vec<(String, String)> {
    let chinese = locale == Locale::ZhCn;
    options_keeping(
        stored,
        list.iter().map(|s| (s.zh.to_owned(), if chinese { s.zh } else { s.en }.to_owned())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_value_off_the_list_stays_a_choice() {
        let names = || ["东城区", "西城区"].map(|n| (n.to_owned(), n.to_owned()));
        let values: Vec<String> = options_keeping("老城区", names()).into_iter().map(|(v, _)| v).collect();
        assert_eq!(values, ["", "老城区", "东城区", "西城区"]);
        assert_eq!(options_keeping("西城区", names()).len(), 3);
    }
}
