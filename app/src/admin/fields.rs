//! `/admin/fields`: the company's custom fields. An admin adds a field
//! (label in Chinese and English, kind, required or not, choices), edits
//! its labels and choices, and retires a field or a choice. A field's kind
//! never changes and nothing is deleted, so no stored value loses its meaning.

use domain::custom_field::{Choice, CustomField, CustomFields, CustomKind, is_key, next_key};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{list_custom_fields, save_custom_fields};
use crate::i18n::{Locale, Texts, app_error_message, use_locale, use_texts};

/// What a kind is called.
fn kind_name(texts: &Texts, kind: CustomKind) -> &'static str {
    match kind {
        CustomKind::Text => texts.kind_text,
        CustomKind::Number => texts.kind_number,
        CustomKind::Date => texts.kind_date,
        CustomKind::Choice => texts.kind_choice,
        CustomKind::MultiChoice => texts.kind_multi_choice,
    }
}

/// The key a new field gets: its English label as a key when that reads as
/// one and is free, else `f1`, `f2`, ...
fn new_key(english: &str, taken: &[CustomField]) -> String {
    let slug: String = english
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .trim_matches('_')
        .to_owned();
    if is_key(&slug) && taken.iter().all(|f| f.key != slug) {
        slug
    } else {
        next_key("f", taken.iter().map(|f| f.key.as_str()))
    }
}

/// New choices from text, one per line, `中文 | English` or just `中文`.
fn add_choices(field: &mut CustomField, text: &str) {
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (zh, en) = line.split_once(['|', '｜']).unwrap_or((line, ""));
        let key = next_key("c", field.choices.iter().map(|c| c.key.as_str()));
        field.choices.push(Choice {
            key,
            zh: zh.trim().to_owned(),
            en: en.trim().to_owned(),
            retired: false,
        });
    }
}

/// Which field the editor is open on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Editing {
    New,
    Field(usize),
}

/// The custom fields page.
#[component]
pub fn FieldsPage() -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let fields = RwSignal::new(None::<CustomFields>);
    let editing = RwSignal::new(None::<Editing>);
    let message = RwSignal::new(None::<Result<(), String>>);
    Effect::new(move |_| {
        spawn_local(async move {
            match list_custom_fields().await {
                Ok(list) => fields.set(Some(list)),
                Err(error) => message.set(Some(Err(app_error_message(locale, &error)))),
            }
        });
    });
    // Every change sends the whole list; the server checks nothing is lost.
    let save = move |list: Vec<CustomField>| {
        message.set(None);
        spawn_local(async move {
            match save_custom_fields(list).await {
                Ok(saved) => {
                    fields.set(Some(saved));
                    editing.set(None);
                    message.set(Some(Ok(())));
                }
                Err(error) => message.set(Some(Err(app_error_message(locale, &error)))),
            }
        });
    };
    let open = move |which: Editing| {
        editing.set(Some(which));
        window().scroll_to_with_x_and_y(0.0, 0.0);
    };
    let toggle_retired = move |index: usize| {
        if let Some(mut list) = fields.get_untracked().map(|f| f.fields) {
            list[index].retired = !list[index].retired;
            save(list);
        }
    };

    view! {
        // The editor opens at the top, where the tap that opened it can see it.
        {move || editing.get().and_then(|which| {
            let list = fields.get_untracked()?.fields;
            let field = match which {
                Editing::New => None,
                Editing::Field(index) => Some(list.get(index)?.clone()),
            };
            Some(view! { <FieldEditor list field on_save=save on_cancel=move || editing.set(None) /> })
        })}
        <section class="card">
            <h1>{texts.custom_fields_title}</h1>
            <p class="muted">{texts.custom_fields_help}</p>
            {move || match message.get() {
                Some(Ok(())) => view! { <p class="form-done" role="status">{texts.custom_fields_saved}</p> }.into_any(),
                Some(Err(text)) => view! { <p class="form-error" role="alert">{text}</p> }.into_any(),
                None => ().into_any(),
            }}
            {move || match fields.get() {
                None => view! { <p class="muted">{texts.loading}</p> }.into_any(),
                Some(list) if list.fields.is_empty() => view! { <p class="muted">{texts.none_yet}</p> }.into_any(),
                Some(list) => view! {
                    <ul class="plain-list field-list">
                        {list.fields.into_iter().enumerate().map(|(index, field)| {
                            let english = locale == Locale::En;
                            let choices = field.choices.iter()
                                .map(|c| if c.retired { format!("{}（{}）", c.label(english), texts.custom_retired) } else { c.label(english).to_owned() })
                                .collect::<Vec<_>>()
                                .join("、");
                            view! {
                                <li class="item-row" data-field=field.key.clone() class:retired=field.retired>
                                    <span>
                                        <strong>{field.label(english).to_owned()}</strong>
                                        {format!(" · {}", kind_name(texts, field.kind))}
                                        {field.required.then(|| format!(" · {}", texts.custom_required))}
                                        {field.retired.then(|| format!(" · {}", texts.custom_retired))}
                                        {(!choices.is_empty()).then(|| view! { <br /><span class="muted">{choices}</span> })}
                                    </span>
                                    <span class="button-row">
                                        <button type="button" class="button" on:click=move |_| open(Editing::Field(index))>{texts.edit}</button>
                                        <button type="button" class="button" on:click=move |_| toggle_retired(index)>
                                            {if field.retired { texts.custom_restore } else { texts.custom_retire }}
                                        </button>
                                    </span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
            // Opened before the list is in, the editor would have nothing to
            // add to (and stayed shut once it came): the button waits for it.
            <button
                type="button"
                class="button primary"
                disabled=move || fields.with(Option::is_none)
                on:click=move |_| open(Editing::New)
            >
                {texts.custom_add}
            </button>
        </section>
        // What every archive is held to, beside what every archive holds.
        <crate::review::ReviewRulesCard />
    }
}

/// The form for one field: a new one (`field` none) or an existing one.
#[component]
fn FieldEditor(
    list: Vec<CustomField>,
    field: Option<CustomField>,
    on_save: impl Fn(Vec<CustomField>) + Copy + 'static,
    on_cancel: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let texts = use_texts();
    let is_new = field.is_none();
    let start = field.clone().unwrap_or(CustomField {
        key: String::new(),
        zh: String::new(),
        en: String::new(),
        kind: CustomKind::Text,
        required: false,
        choices: Vec::new(),
        retired: false,
    });
    let zh = RwSignal::new(start.zh.clone());
    let en = RwSignal::new(start.en.clone());
    let kind = RwSignal::new(start.kind);
    let required = RwSignal::new(start.required);
    let choices = RwSignal::new(start.choices.clone());
    let new_choices = RwSignal::new(String::new());
    let title = if is_new { texts.custom_add.to_owned() } else { format!("{}：{}", texts.edit, start.zh) };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut list = list.clone();
        let mut edited = CustomField {
            zh: zh.get_untracked().trim().to_owned(),
            en: en.get_untracked().trim().to_owned(),
            kind: kind.get_untracked(),
            required: required.get_untracked(),
            choices: choices.get_untracked(),
            ..start.clone()
        };
        if edited.kind.has_choices() {
            add_choices(&mut edited, &new_choices.get_untracked());
        } else {
            edited.choices.clear();
        }
        match list.iter_mut().find(|f| f.key == edited.key && !is_new) {
            Some(slot) => *slot = edited,
            None => {
                edited.key = new_key(&edited.en, &list);
                list.push(edited);
            }
        }
        on_save(list);
    };
    let kinds = CustomKind::ALL;
    view! {
        <section class="card">
            <h2>{title}</h2>
            <form class="stacked-form" novalidate on:submit=submit data-form="custom-field">
                <label for="field-zh">{texts.custom_label_zh}</label>
                <input id="field-zh" type="text" prop:value=move || zh.get() on:input=move |ev| zh.set(event_target_value(&ev)) />
                <label for="field-en">{texts.custom_label_en}</label>
                <input id="field-en" type="text" prop:value=move || en.get() on:input=move |ev| en.set(event_target_value(&ev)) />
                <label for="field-kind">{texts.custom_kind}</label>
                // The kind of a field that exists is fixed: its values were stored as that kind.
                <select id="field-kind" disabled=!is_new on:change=move |ev| {
                    let picked = event_target_value(&ev);
                    if let Some(k) = kinds.iter().find(|k| format!("{k:?}") == picked) {
                        kind.set(*k);
                    }
                }>
                    {kinds.iter().map(|k| {
                        let k = *k;
                        view! { <option value=format!("{k:?}") selected=move || kind.get() == k>{kind_name(texts, k)}</option> }
                    }).collect_view()}
                </select>
                <label class="check">
                    <input id="field-required" type="checkbox" prop:checked=move || required.get() on:change=move |ev| required.set(event_target_checked(&ev)) />
                    <span>{texts.custom_required}</span>
                </label>
                {move || kind.get().has_choices().then(|| view! {
                    <fieldset class="choices">
                        <legend>{texts.custom_choices}</legend>
                        {move || choices.get().into_iter().enumerate().map(|(i, c)| view! {
                            <div class="choice-row">
                                <input type="text" aria-label=texts.custom_label_zh prop:value=c.zh.clone()
                                    on:input=move |ev| choices.update(|list| list[i].zh = event_target_value(&ev)) />
                                <input type="text" aria-label=texts.custom_label_en prop:value=c.en.clone()
                                    on:input=move |ev| choices.update(|list| list[i].en = event_target_value(&ev)) />
                                <label class="check">
                                    <input type="checkbox" prop:checked=c.retired
                                        on:change=move |ev| choices.update(|list| list[i].retired = event_target_checked(&ev)) />
                                    <span>{texts.custom_retired}</span>
                                </label>
                            </div>
                        }).collect_view()}
                        <label for="field-new-choices">{texts.custom_new_choices}</label>
                        <textarea id="field-new-choices" rows="4" prop:value=move || new_choices.get()
                            on:input=move |ev| new_choices.set(event_target_value(&ev))></textarea>
                    </fieldset>
                })}
                <div class="button-row">
                    <button type="submit" class="button primary">{texts.save}</button>
                    <button type="button" class="button" on:click=move |_| on_cancel()>{texts.cancel}</button>
                </div>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_field_takes_its_english_label_as_key_when_it_can() {
        assert_eq!(new_key("Plate number", &[]), "plate_number");
        assert_eq!(new_key("车牌", &[]), "f1");
        assert_eq!(new_key("2nd phone", &[]), "f1", "a key starts with a letter");
    }

    #[test]
    fn choices_are_read_one_per_line_with_an_optional_english_label() {
        let mut field = CustomField {
            key: "level".into(),
            zh: "等级".into(),
            en: String::new(),
            kind: CustomKind::Choice,
            required: false,
            choices: Vec::new(),
            retired: false,
        };
        add_choices(&mut field, "金卡 | Gold\n\n银卡\n");
        let read: Vec<(&str, &str, &str)> =
            field.choices.iter().map(|c| (c.key.as_str(), c.zh.as_str(), c.en.as_str())).collect();
        assert_eq!(read, [("c1", "金卡", "Gold"), ("c2", "银卡", "")]);
    }
}
