//! The company's own fields on a record: shown with the labels the admin
//! gave them, edited with an input that suits each kind, and checked as
//! typed with the rules the server applies (the definitions come with the
//! pull, so this works offline).

use std::collections::{BTreeMap, BTreeSet};

use domain::custom_field::{CustomEdit, CustomField, CustomFields, CustomKind, CustomValue, Number};
use domain::time::Date;
use domain::{Change, FieldError};
use leptos::prelude::*;

use super::forms::FormButtons;
use crate::form::record_error_message;
use crate::i18n::{Locale, field_error_message, use_locale, use_texts};
use crate::offline::use_offline;

/// What a form holds for each custom field, as text: what was typed for
/// text, numbers and dates, the choice's key, or the keys joined by commas.
pub type Drafts = RwSignal<BTreeMap<String, String>>;

/// The form text of stored values.
pub fn drafts_of(values: &BTreeMap<String, CustomValue>) -> BTreeMap<String, String> {
    values.iter().map(|(key, value)| (key.clone(), value.text())).collect()
}

/// The value a form's text stands for (none when empty), checked against
/// its field as the server will check it.
pub fn read_draft(field: &CustomField, text: &str) -> Result<Option<CustomValue>, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return if field.required {
            Err(FieldError::new(&field.error_field(), "required"))
        } else {
            Ok(None)
        };
    }
    let as_field = |e: FieldError| FieldError {
        field: field.error_field(),
        code: e.code.replacen(&e.field, &field.error_field(), 1),
        ..e
    };
    let value = match field.kind {
        CustomKind::Text => CustomValue::Text(text.to_owned()),
        CustomKind::Number => CustomValue::Number(Number::parse(text).map_err(as_field)?),
        CustomKind::Date => CustomValue::Date(Date::parse_field(text, &field.error_field())?),
        CustomKind::Choice => CustomValue::Choice(text.to_owned()),
        CustomKind::MultiChoice => {
            let keys: BTreeSet<String> =
                text.split(',').filter(|k| !k.is_empty()).map(str::to_owned).collect();
            CustomValue::Choices(keys)
        }
    };
    // The form offers a retired choice only where it is stored; the
    // replica checks that it was (as the server will).
    field.check_kept(&value)?;
    Ok(Some(value))
}

/// Every field in use read from `drafts`, or the first error.
pub fn read_drafts(
    definitions: &CustomFields,
    drafts: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, Option<CustomValue>>, FieldError> {
    definitions
        .active()
        .map(|field| {
            let text = drafts.get(&field.key).map_or("", String::as_str);
            Ok((field.key.clone(), read_draft(field, text)?))
        })
        .collect()
}

/// An input for each field in use, with its message under it. `checked`
/// turns on the "required" messages once the person tried to save.
#[component]
pub fn CustomInputs(
    definitions: CustomFields,
    drafts: Drafts,
    #[prop(into)] checked: Signal<bool>,
) -> impl IntoView {
    let locale = use_locale();
    let english = locale == Locale::En;
    let texts = use_texts();
    definitions
        .active()
        .cloned()
        .map(|field| {
            let id = format!("custom-{}", field.key);
            let error_id = format!("{id}-error");
            let key = field.key.clone();
            let text = {
                let key = key.clone();
                move || drafts.with(|d| d.get(&key).cloned().unwrap_or_default())
            };
            let set = {
                let key = key.clone();
                move |value: String| drafts.update(|d| {
                    d.insert(key.clone(), value);
                })
            };
            let error = {
                let (field, text) = (field.clone(), text.clone());
                move || {
                    let typed = text();
                    if typed.trim().is_empty() && !checked.get() {
                        return None;
                    }
                    read_draft(&field, &typed).err().map(|e| field_error_message(locale, &e))
                }
            };
            let label = format!("{}{}", field.label(english), if field.required { " *" } else { "" });
            let input = match field.kind {
                CustomKind::Choice => {
                    // A choice since retired stays selectable where it is stored.
                    let stored = text();
                    let options: Vec<(String, String)> = field
                        .choices
                        .iter()
                        .filter(|c| !c.retired || c.key == stored)
                        .map(|c| (c.key.clone(), c.label(english).to_owned()))
                        .collect();
                    let text = text.clone();
                    view! {
                        <select id=id.clone() on:change=move |ev| set(event_target_value(&ev)) aria-describedby=error_id.clone()>
                            <option value="">{texts.not_set}</option>
                            {options.into_iter().map(|(value, shown)| {
                                let selected = { let (value, text) = (value.clone(), text.clone()); move || text() == value };
                                view! { <option value=value selected=selected>{shown}</option> }
                            }).collect_view()}
                        </select>
                    }
                    .into_any()
                }
                CustomKind::MultiChoice => {
                    let stored: BTreeSet<String> = text().split(',').map(str::to_owned).collect();
                    let boxes = field
                        .choices
                        .iter()
                        .filter(|c| !c.retired || stored.contains(&c.key))
                        .map(|c| {
                            let (choice, text, set) = (c.key.clone(), text.clone(), set.clone());
                            let checked_now = { let (choice, text) = (choice.clone(), text.clone()); move || text().split(',').any(|k| k == choice) };
                            let toggle = move |_| {
                                let mut keys: BTreeSet<String> = text().split(',').filter(|k| !k.is_empty()).map(str::to_owned).collect();
                                if !keys.remove(&choice) {
                                    keys.insert(choice.clone());
                                }
                                set(keys.into_iter().collect::<Vec<_>>().join(","));
                            };
                            view! {
                                <label class="check">
                                    <input type="checkbox" prop:checked=checked_now on:change=toggle />
                                    <span>{c.label(english).to_owned()}</span>
                                </label>
                            }
                        })
                        .collect_view();
                    view! { <div class="checks" id=id.clone() role="group" aria-describedby=error_id.clone()>{boxes}</div> }.into_any()
                }
                kind => {
                    let (kind_attr, inputmode) = match kind {
                        CustomKind::Date => ("date", None),
                        CustomKind::Number => ("text", Some("decimal")),
                        _ => ("text", None),
                    };
                    view! {
                        <input
                            id=id.clone()
                            type=kind_attr
                            inputmode=inputmode
                            autocomplete="off"
                            prop:value=text.clone()
                            on:input=move |ev| set(event_target_value(&ev))
                            aria-describedby=error_id.clone()
                        />
                    }
                    .into_any()
                }
            };
            view! {
                <label for=id.clone()>{label}</label>
                {input}
                <p id=error_id class="field-error" role="alert">{error}</p>
            }
        })
        .collect_view()
}

/// The record's custom fields: each one in use, and any other that holds a
/// value (a retired field's value is kept and shown).
#[component]
pub fn CustomFacts(values: BTreeMap<String, CustomValue>, definitions: CustomFields) -> impl IntoView {
    let locale = use_locale();
    let texts = use_texts();
    let english = locale == Locale::En;
    let mut rows: Vec<(String, String)> = definitions
        .fields
        .iter()
        .filter(|f| !f.retired || values.contains_key(&f.key))
        .map(|f| {
            let shown = values.get(&f.key).map_or_else(|| texts.not_set.to_owned(), |v| f.show(v, english));
            (f.label(english).to_owned(), shown)
        })
        .collect();
    // Values of fields this device has not heard of yet: shown by key.
    rows.extend(
        values.iter().filter(|(k, _)| definitions.get(k).is_none()).map(|(k, v)| (k.clone(), v.text())),
    );
    view! {
        <dl class="facts" data-testid="custom-fields">
            {rows.into_iter().map(|(label, value)| view! { <dt>{label}</dt><dd>{value}</dd> }).collect_view()}
        </dl>
    }
}

/// Edits the custom fields of `customer`; saving records one change with
/// the fields that differ.
#[component]
pub fn CustomForm(customer: domain::archive::Customer, #[prop(into)] on_done: Callback<()>) -> impl IntoView {
    let locale = use_locale();
    let offline = use_offline();
    let definitions = offline.read(|r| r.meta().custom_fields.clone()).unwrap_or_default();
    let stored = customer.fields.custom.clone();
    let drafts = RwSignal::new(drafts_of(&stored));
    let checked = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let id = customer.id;
    let save = {
        let definitions = definitions.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            checked.set(true);
            let values = match read_drafts(&definitions, &drafts.get_untracked()) {
                Ok(values) => values,
                Err(error) => return failure.set(Some(field_error_message(locale, &error))),
            };
            let base = offline.base(&id);
            let edits: Vec<CustomEdit> = values
                .into_iter()
                .filter(|(key, value)| stored.get(key) != value.as_ref())
                .map(|(key, value)| CustomEdit { key, value, base })
                .collect();
            if edits.is_empty() {
                return on_done.run(());
            }
            match offline.record(id, Change::SetCustom { edits }) {
                Ok(_) => on_done.run(()),
                Err(error) => failure.set(Some(record_error_message(locale, &error))),
            }
        }
    };
    view! {
        <form class="stacked-form" novalidate on:submit=save data-form="custom">
            <CustomInputs definitions drafts checked />
            <FormButtons failure on_done />
        </form>
    }
}

#[cfg(test)]
mod tests {
    use domain::custom_field::Choice;

    use super::*;

    fn field(kind: CustomKind, required: bool) -> CustomField {
        let choices = if kind.has_choices() {
            ["a", "b"]
                .map(|k| Choice { key: k.into(), zh: k.to_uppercase(), en: String::new(), retired: false })
                .into()
        } else {
            Vec::new()
        };
        CustomField {
            key: "f1".into(),
            zh: "字段".into(),
            en: String::new(),
            kind,
            required,
            choices,
            retired: false,
        }
    }

    #[test]
    fn form_text_becomes_the_value_the_server_would_store() {
        let number = read_draft(&field(CustomKind::Number, false), " 1,200.50 ").unwrap();
        assert_eq!(number.unwrap().text(), "1200.5");
        let many = read_draft(&field(CustomKind::MultiChoice, false), "b,a").unwrap().unwrap();
        assert!(many.holds("a") && many.holds("b"));
        assert_eq!(read_draft(&field(CustomKind::Text, false), "  ").unwrap(), None);
    }

    #[test]
    fn a_wrong_or_missing_value_names_the_field() {
        let required = read_draft(&field(CustomKind::Text, true), "").unwrap_err();
        assert_eq!(required.code, "custom.f1.required");
        let number = read_draft(&field(CustomKind::Number, false), "十二").unwrap_err();
        assert_eq!((number.field.as_str(), number.code.as_str()), ("custom.f1", "custom.f1.format"));
        let choice = read_draft(&field(CustomKind::Choice, false), "zzz").unwrap_err();
        assert_eq!(choice.code, "custom.f1.unknown");
        let date = read_draft(&field(CustomKind::Date, false), "2026-02-30").unwrap_err();
        assert_eq!(date.field, "custom.f1");
    }

    #[test]
    fn stored_values_come_back_as_the_form_text_they_were_read_from() {
        let values = BTreeMap::from([
            ("n".to_owned(), CustomValue::Number(Number::parse("7.50").unwrap())),
            ("m".to_owned(), CustomValue::Choices(["a".to_owned(), "b".to_owned()].into())),
        ]);
        let drafts = drafts_of(&values);
        assert_eq!(drafts["n"], "7.5");
        assert_eq!(drafts["m"], "a,b");
    }
}
