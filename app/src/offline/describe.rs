//! Archive values and changes in words, for conflicts, history and the
//! list of what waits to sync.

use domain::Mutation;
use domain::archive::{Customer, FieldName, FieldValue, ItemKind};
use domain::mutation::Change;
use domain::replica::{Replica, Shelf};

use crate::i18n::{Label, Locale, texts};

/// What a field is called.
pub fn field_label(locale: Locale, name: FieldName) -> String {
    let t = texts(locale);
    let zh = locale == Locale::ZhCn;
    let text = match name {
        FieldName::Kind => t.kind_label,
        FieldName::Name => t.name_label,
        FieldName::Gender => {
            if zh {
                "性别"
            } else {
                "Gender"
            }
        }
        FieldName::Birthday => t.birthday_label,
        FieldName::Occupation => t.occupation_label,
        FieldName::Industry => t.industry_label,
        FieldName::CompanySize => {
            if zh {
                "企业规模"
            } else {
                "Company size"
            }
        }
        FieldName::Phones => t.phones_label,
        FieldName::Emails => t.email_label,
        FieldName::Address => t.address_label,
        FieldName::Region => t.region_label,
        FieldName::Source => {
            if zh {
                "来源"
            } else {
                "Source"
            }
        }
        FieldName::Category => t.category_label,
        FieldName::Stage => t.stage_label,
        FieldName::Preferences => t.tab_preferences,
        FieldName::Consent => {
            if zh {
                "营销授权"
            } else {
                "Marketing consent"
            }
        }
        FieldName::Owner => t.owner_label,
        FieldName::NextReviewAt => t.next_review_label,
        FieldName::IdNumber => {
            if zh {
                "证件号"
            } else {
                "ID number"
            }
        }
        FieldName::SharedWith => {
            if zh {
                "共享给"
            } else {
                "Shared with"
            }
        }
    };
    text.to_owned()
}

/// What a list of items is called.
pub fn item_label(locale: Locale, kind: ItemKind) -> String {
    let t = texts(locale);
    let zh = locale == Locale::ZhCn;
    match kind {
        ItemKind::Contact => t.contacts_title,
        ItemKind::Order => {
            if zh {
                "订单"
            } else {
                "an order"
            }
        }
        ItemKind::Interaction => {
            if zh {
                "互动记录"
            } else {
                "an interaction"
            }
        }
        ItemKind::Feedback => {
            if zh {
                "反馈"
            } else {
                "feedback"
            }
        }
        ItemKind::Task => {
            if zh {
                "提醒"
            } else {
                "a reminder"
            }
        }
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
        FieldValue::Occupation(v)
        | FieldValue::Industry(v)
        | FieldValue::Region(v)
        | FieldValue::IdNumber(v) => opt(v),
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
        other => domain::archive::wire_name(other),
    }
}

/// One line for a change: whose archive and what it does.
pub fn change_summary<S: Shelf>(locale: Locale, replica: &Replica<S>, mutation: &Mutation) -> String {
    let zh = locale == Locale::ZhCn;
    let name = replica
        .customer(&mutation.customer)
        .or_else(|| replica.cached(&mutation.customer).map(|c| &c.customer))
        .map(|c: &Customer| c.fields.name.as_str().to_owned())
        .unwrap_or_else(|| mutation.customer.to_string());
    let what = match &mutation.change {
        Change::Create { .. } => (if zh { "新建档案" } else { "new record" }).to_owned(),
        Change::SetFields { edits } | Change::ResolveConflict { edits } => edits
            .iter()
            .map(|e| {
                format!("{} → {}", field_label(locale, e.value.name()), describe_value(locale, &e.value))
            })
            .collect::<Vec<_>>()
            .join("；"),
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
        Change::Delete { .. } => (if zh { "删除" } else { "delete" }).to_owned(),
        Change::Restore { .. } => (if zh { "恢复" } else { "restore" }).to_owned(),
        Change::Merge { .. } => (if zh { "合并" } else { "merge" }).to_owned(),
    };
    format!("{name}：{what}")
}
