//! What a customer likes and how they agreed to be contacted: shown on the
//! record's preferences tab and edited there, offline like every field.

use std::collections::{BTreeMap, BTreeSet};

use domain::archive::{Consent, ContactChannel, Customer, FieldValue, Preferences, wire_name};
use domain::mutation::FieldEdit;
use domain::time::Timestamp;
use domain::{Change, validate};
use leptos::prelude::*;

use super::forms::{FormButtons, from_wire};
use crate::form::{Choice, Field, TextArea, optional, optional_options, record_error_message};
use crate::i18n::{Locale, field_error_message, use_locale, use_texts};
use crate::offline::{Offline, now_ms, today, use_offline};

const CHANNELS: [ContactChannel; 5] = [
    ContactChannel::Phone,
    ContactChannel::Sms,
    ContactChannel::Wechat,
    ContactChannel::Email,
    ContactChannel::Visit,
];

/// A list typed as one line: items separated by commas or 、.
fn parse_list(text: &str) -> BTreeSet<String> {
    text.split([',', '，', '、', ';', '；']).filter_map(optional).collect()
}

fn join_list(set: &BTreeSet<String>) -> String {
    set.iter().cloned().collect::<Vec<_>>().join("、")
}

/// Notes typed one per line as `key: value` (or `key：value`); a line with
/// no colon is a note under its own words.
fn parse_notes(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            if line.is_empty() {
                return None;
            }
            Some(match line.split_once([':', '：']) {
                Some((key, value)) => (key.trim().to_owned(), value.trim().to_owned()),
                None => (line.to_owned(), String::new()),
            })
        })
        .collect()
}

fn write_notes(notes: &BTreeMap<String, String>) -> String {
    notes
        .iter()
        .map(|(k, v)| if v.is_empty() { k.clone() } else { format!("{k}：{v}") })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Records one field's new value, if it changed.
fn save_field(
    offline: Offline,
    customer: &Customer,
    value: FieldValue,
    locale: Locale,
    failure: RwSignal<Option<String>>,
    on_done: Callback<()>,
) {
    if let Err(error) = validate::field(&value, today()) {
        return failure.set(Some(field_error_message(locale, &error)));
    }
    if value == FieldValue::read(&customer.fields, value.name()) {
        return on_done.run(());
    }
    let edits = vec![FieldEdit { value, base: offline.base(&customer.id) }];
    match offline.record(customer.id, Change::SetFields { edits }) {
        Ok(_) => on_done.run(()),
        Err(error) => failure.set(Some(record_error_message(locale, &error))),
    }
}

/// Edits brands, colours, the preferred channel and time, and other notes.
#[component]
pub fn PreferencesForm(customer: Customer, #[prop(into)] on_done: Callback<()>) -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let offline = use_offline();
    let p = customer.fields.preferences.clone();
    let brands = RwSignal::new(join_list(&p.brands));
    let colours = RwSignal::new(join_list(&p.colours));
    let channel = RwSignal::new(p.contact_channel.map(|c| wire_name(&c)).unwrap_or_default());
    let time = RwSignal::new(p.contact_time.clone().unwrap_or_default());
    let notes = RwSignal::new(write_notes(&p.notes));
    let failure = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let preferences = Preferences {
            brands: parse_list(&brands.get_untracked()),
            colours: parse_list(&colours.get_untracked()),
            notes: parse_notes(&notes.get_untracked()),
            contact_channel: from_wire(&channel.get_untracked()),
            contact_time: optional(&time.get_untracked()),
        };
        save_field(offline, &customer, FieldValue::Preferences(preferences), locale, failure, on_done);
    };
    view! {
        <form class="stacked-form" novalidate on:submit=save data-form="preferences">
            <Field id="pref-brands" label=texts.brands_label value=brands placeholder=texts.list_hint />
            <Field id="pref-colours" label=texts.colours_label value=colours placeholder=texts.list_hint />
            <Choice id="pref-channel" label=texts.contact_channel_label value=channel options=optional_options(&CHANNELS, locale) />
            <Field id="pref-time" label=texts.contact_time_label value=time />
            <TextArea id="pref-notes" label=texts.preference_notes_label value=notes />
            <p class="muted">{texts.preference_notes_hint}</p>
            <FormButtons failure on_done />
        </form>
    }
}

/// Edits the marketing consent: yes or no, for which channel, and how it
/// was given. The time is when this edit was made.
#[component]
pub fn ConsentForm(customer: Customer, #[prop(into)] on_done: Callback<()>) -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let offline = use_offline();
    let c = customer.fields.consent.clone();
    let marketing = RwSignal::new(if c.marketing { "yes" } else { "no" }.to_owned());
    let channel = RwSignal::new(c.channel.map(|ch| wire_name(&ch)).unwrap_or_default());
    let how = RwSignal::new(c.how.clone().unwrap_or_default());
    let failure = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut consent = Consent {
            marketing: marketing.get_untracked() == "yes",
            channel: from_wire(&channel.get_untracked()),
            at: c.at,
            how: optional(&how.get_untracked()),
        };
        if consent != c {
            consent.at = Some(Timestamp(now_ms()));
        }
        save_field(offline, &customer, FieldValue::Consent(consent), locale, failure, on_done);
    };
    let answers = vec![("yes".to_owned(), texts.yes.to_owned()), ("no".to_owned(), texts.no.to_owned())];
    view! {
        <form class="stacked-form" novalidate on:submit=save data-form="consent">
            <Choice id="consent-marketing" label=texts.marketing_label value=marketing options=answers />
            <Choice id="consent-channel" label=texts.contact_channel_label value=channel options=optional_options(&CHANNELS, locale) />
            <Field id="consent-how" label=texts.consent_how_label value=how placeholder=texts.consent_how_hint />
            <FormButtons failure on_done />
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_notes_read_back_as_they_were_written() {
        let brands = parse_list("华为、 小米，Apple, ");
        assert_eq!(brands.iter().map(String::as_str).collect::<Vec<_>>(), ["Apple", "华为", "小米"]);
        assert_eq!(parse_list(&join_list(&brands)), brands);
        let notes = parse_notes("口味：少糖\nsize: L\n\n不吃辣");
        assert_eq!(notes.get("口味").map(String::as_str), Some("少糖"));
        assert_eq!(notes.get("size").map(String::as_str), Some("L"));
        assert_eq!(notes.get("不吃辣").map(String::as_str), Some(""));
        assert_eq!(parse_notes(&write_notes(&notes)), notes);
    }
}
