//! Archive values and changes in words, for conflicts, history and the
//! list of what waits to sync.

use domain::Mutation;
use domain::archive::{Consent, Customer, FieldName, FieldValue, ItemKind, Preferences};
use domain::mutation::Change;
use domain::replica::{Replica, Shelf};
use domain::standard;

use crate::i18n::{Label, Locale, texts};

/// What a field is called.
pub fn field_label(locale: Locale, name: FieldName) -> String {
    let t = texts(locale);
    let text = match name {
        FieldName::Kind => t.kind_label,
        FieldName::Name => t.name_label,
        FieldName::Gender => t.gender_label,
        FieldName::Birthday => t.birthday_label,
        FieldName::BirthdayLunar => t.birthday_lunar_label,
        FieldName::Occupation => t.occupation_label,
        FieldName::Industry => t.industry_label,
        FieldName::CompanySize => t.company_size_label,
        FieldName::Phones => t.phones_label,
        FieldName::Emails => t.email_label,
        FieldName::Address => t.address_whole_label,
        FieldName::Region => t.region_label,
        FieldName::Source => t.source_label,
        FieldName::Category => t.category_label,
        FieldName::Stage => t.stage_label,
        FieldName::Preferences => t.tab_preferences,
        FieldName::Consent => t.consent_label,
        FieldName::Owner => t.owner_label,
        FieldName::NextReviewAt => t.next_review_label,
        FieldName::IdNumber => t.id_number_label,
        FieldName::SharedWith => t.shared_with_label,
    };
    text.to_owned()
}

/// What one item of a list is called.
pub fn item_label(locale: Locale, kind: ItemKind) -> String {
    let t = texts(locale);
    match kind {
        ItemKind::Contact => t.item_contact,
        ItemKind::Order => t.item_order,
        ItemKind::Interaction => t.item_interaction,
        ItemKind::Feedback => t.item_feedback,
        ItemKind::Task => t.item_task,
    }
    .to_owned()
}

/// A field's value as people read it.
pub fn describe_value(locale: Locale, value: &FieldValue) -> String {
    let not_set = || texts(locale).not_set.to_owned();
    let opt = |v: &Option<String>| v.clone().filter(|s| !s.is_empty()).unwrap_or_else(not_set);
    match value {
        FieldValue::Kind(kind) => kind.label(locale),
        FieldValue::Name(name) => name.as_str().to_owned(),
        FieldValue::Birthday(day) | FieldValue::NextReviewAt(day) => {
            day.map_or_else(not_set, |d| d.to_string())
        }
        FieldValue::BirthdayLunar(lunar) => {
            if *lunar { texts(locale).yes } else { texts(locale).no }.to_owned()
        }
        FieldValue::Occupation(v) | FieldValue::Region(v) | FieldValue::IdNumber(v) => opt(v),
        FieldValue::Industry(v) => v.as_deref().map_or_else(not_set, |industry| {
            standard::display(standard::INDUSTRIES, industry, locale == Locale::ZhCn).to_owned()
        }),
        FieldValue::Phones(phones) if phones.is_empty() => not_set(),
        FieldValue::Phones(phones) => phones
            .iter()
            .map(|p| format!("{} {}", p.label.label(locale), p.number))
            .collect::<Vec<_>>()
            .join("，"),
        FieldValue::Emails(emails) if emails.is_empty() => not_set(),
        FieldValue::Emails(emails) => emails.iter().map(|e| e.as_str()).collect::<Vec<_>>().join("，"),
        FieldValue::Address(a) => {
            let parts: Vec<&str> = [&a.province, &a.city, &a.district, &a.detail]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect();
            if parts.is_empty() { not_set() } else { parts.join(" ") }
        }
        FieldValue::Category(c) => c.label(locale),
        FieldValue::Stage(s) => s.label(locale),
        FieldValue::Owner(owner) => owner.as_ref().map_or_else(not_set, |o| o.0.clone()),
        FieldValue::SharedWith(users) => users.iter().map(|u| u.0.as_str()).collect::<Vec<_>>().join("，"),
        FieldValue::Gender(gender) => gender.map_or_else(not_set, |g| g.label(locale)),
        FieldValue::CompanySize(size) => size.map_or_else(not_set, |s| s.label(locale)),
        FieldValue::Source(source) => source.label(locale),
        FieldValue::Consent(consent) => consent_summary(locale, consent),
        FieldValue::Preferences(preferences) => preferences_summary(locale, preferences),
    }
}

/// One line for a change: whose archive and what it does.
pub fn change_summary<S: Shelf>(locale: Locale, replica: &Replica<S>, mutation: &Mutation) -> String {
    let t = texts(locale);
    let name = replica
        .customer(&mutation.customer)
        .or_else(|| replica.cached(&mutation.customer).map(|c| &c.customer))
        .map(|c: &Customer| c.fields.name.as_str().to_owned())
        .unwrap_or_else(|| mutation.customer.to_string());
    let what = match &mutation.change {
        Change::Create { .. } => t.change_created.to_owned(),
        Change::SetFields { edits } | Change::ResolveConflict { edits } => edits
            .iter()
            .map(|e| {
                format!("{} → {}", field_label(locale, e.value.name()), describe_value(locale, &e.value))
            })
            .collect::<Vec<_>>()
            .join("；"),
        Change::SetCustom { edits } => {
            let definitions = &replica.meta().custom_fields;
            edits
                .iter()
                .map(|e| {
                    let english = locale == Locale::En;
                    let field = definitions.get(&e.key);
                    let label = field.map_or(e.key.as_str(), |f| f.label(english));
                    let value = match (&e.value, field) {
                        (None, _) => "—".to_owned(),
                        (Some(value), Some(field)) => field.show(value, english),
                        (Some(value), None) => value.text(),
                    };
                    format!("{label} → {value}")
                })
                .collect::<Vec<_>>()
                .join("；")
        }
        Change::PutOrder { order, .. } => {
            format!("{}: {}", item_label(locale, ItemKind::Order), order.product)
        }
        Change::PutInteraction { interaction, .. } => {
            format!("{}: {}", interaction.kind.label(locale), interaction.summary)
        }
        Change::PutFeedback { feedback, .. } => {
            format!("{}: {}", feedback.kind.label(locale), feedback.content)
        }
        Change::PutTask { task, .. } => format!("{}: {}", task.kind.label(locale), task.due),
        Change::PutContact { contact, .. } => {
            format!("{}: {}", item_label(locale, ItemKind::Contact), contact.name.as_str())
        }
        Change::AddTag { tag, .. } => format!("+ {tag}"),
        Change::RemoveTag { tag, .. } => format!("− {tag}"),
        Change::RemoveItem { kind, .. } => format!("− {}", item_label(locale, *kind)),
        Change::Reassign { owner, .. } => format!(
            "{} → {}",
            field_label(locale, FieldName::Owner),
            owner.as_ref().map_or("—".to_owned(), |o| o.0.clone())
        ),
        Change::Claim { .. } => t.pool.claim.to_owned(),
        Change::Recycle { .. } => t.pool.warnings_title.to_owned(),
        Change::Delete { .. } => t.change_deleted.to_owned(),
        Change::Restore { .. } => t.change_restored.to_owned(),
        Change::Merge { .. } => t.change_merged.to_owned(),
    };
    format!("{name}：{what}")
}

/// Whether marketing is allowed, by which channel, when and how it was given.
pub fn consent_summary(locale: Locale, consent: &Consent) -> String {
    let t = texts(locale);
    let mut parts = vec![format!("{}：{}", t.marketing_label, if consent.marketing { t.yes } else { t.no })];
    parts.extend(consent.channel.map(|c| c.label(locale)));
    parts.extend(consent.at.map(|at| at.local_date().to_string()));
    parts.extend(consent.how.clone());
    parts.join("，")
}

/// Brands, colours, channel, time and notes, those that are set.
pub fn preferences_summary(locale: Locale, preferences: &Preferences) -> String {
    let t = texts(locale);
    let join = |set: &std::collections::BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>().join("、");
    let mut parts = Vec::new();
    if !preferences.brands.is_empty() {
        parts.push(format!("{}：{}", t.brands_label, join(&preferences.brands)));
    }
    if !preferences.colours.is_empty() {
        parts.push(format!("{}：{}", t.colours_label, join(&preferences.colours)));
    }
    parts.extend(
        preferences.contact_channel.map(|c| format!("{}：{}", t.contact_channel_label, c.label(locale))),
    );
    parts.extend(preferences.contact_time.as_ref().map(|time| format!("{}：{time}", t.contact_time_label)));
    parts.extend(preferences.notes.iter().map(|(k, v)| format!("{k}：{v}")));
    if parts.is_empty() { t.not_set.to_owned() } else { parts.join("；") }
}
