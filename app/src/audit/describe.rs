//! An audit entry in words: what changed, and the value before and after,
//! for the record's history, the audit page and its export.

use domain::archive::{FieldName, FieldValue, ItemKind};
use domain::custom_field::CustomValue;
use domain::views::AuditEntry;

use crate::i18n::{Locale, subject_label, texts};
use crate::offline::{describe_value, field_label, item_label};

/// What an entry says, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    /// What was done or changed: a field, a tag, an item, an action.
    pub what: String,
    /// The value before, if the entry has one.
    pub old: String,
    /// The value after (or the action's details), if any.
    pub new: String,
}

/// `entry` in words. Values that do not read as what the subject names
/// (a masked value, an older format) are shown as stored.
pub fn describe_entry(locale: Locale, entry: &AuditEntry) -> Described {
    let t = texts(locale);
    let raw = |v: &Option<String>| v.clone().unwrap_or_default();
    let (old, new) = (raw(&entry.old), raw(&entry.new));
    let Some(subject) = entry.subject.as_deref() else {
        let what = action_label(locale, &entry.action);
        // An archive's creation carries all its first facts: too much to show.
        let new = if entry.action == "create" { String::new() } else { new };
        return Described { what, old, new };
    };
    let field = |v: &str| {
        serde_json::from_str::<FieldValue>(v)
            .map(|v| describe_value(locale, &v))
            .unwrap_or_else(|_| v.to_owned())
    };
    let custom = |v: &str| {
        serde_json::from_str::<CustomValue>(v)
            .map(|v| crate::i18n::custom_value_text(locale, subject, &v))
            .unwrap_or_else(|_| v.to_owned())
    };
    let present = |v: &str| match v {
        "true" => t.audit.present.to_owned(),
        "false" => t.audit.absent.to_owned(),
        other => other.to_owned(),
    };
    let shown = |f: &dyn Fn(&str) -> String, v: &str| if v.is_empty() { String::new() } else { f(v) };
    if let Some(name) = subject.strip_prefix("field:") {
        let what = FieldName::ALL
            .iter()
            .find(|f| f.as_str() == name)
            .map_or_else(|| name.to_owned(), |f| field_label(locale, *f));
        return Described { what, old: shown(&field, &old), new: shown(&field, &new) };
    }
    if subject.starts_with("custom:") {
        return Described {
            what: subject_label(locale, subject),
            old: shown(&custom, &old),
            new: shown(&custom, &new),
        };
    }
    if subject.starts_with("tag:") || subject == "deletion" {
        let what =
            if subject == "deletion" { t.audit.deleted.to_owned() } else { subject_label(locale, subject) };
        return Described { what, old: shown(&present, &old), new: shown(&present, &new) };
    }
    let kind = subject.split(':').next().unwrap_or_default();
    let item =
        [ItemKind::Contact, ItemKind::Order, ItemKind::Interaction, ItemKind::Feedback, ItemKind::Task]
            .into_iter()
            .find(|k| k.as_str() == kind);
    match item {
        Some(kind) => {
            let verb = match (old.is_empty(), new.is_empty()) {
                (true, _) => t.audit.item_added,
                (false, true) => t.audit.item_removed,
                (false, false) => t.audit.item_changed,
            };
            Described {
                what: format!("{}（{verb}）", item_label(locale, kind)),
                old: String::new(),
                new: String::new(),
            }
        }
        None => Described { what: subject.to_owned(), old, new },
    }
}

/// What an action is called; an action this version does not know, by its code.
pub fn action_label(locale: Locale, action: &str) -> String {
    let zh = locale == Locale::ZhCn;
    let (zh_text, en_text) = match action {
        "create" => ("创建档案", "Record created"),
        "set_fields" => ("修改资料", "Facts changed"),
        "set_custom" => ("修改自定义字段", "Custom fields changed"),
        "resolve_conflict" => ("解决冲突", "Conflict resolved"),
        "reassign" => ("转交", "Handed over"),
        "reassign_over_limit" => ("超出上限分配", "Assigned past the hold limit"),
        "claim" => ("认领", "Claimed"),
        "recycle" => ("回收到公海", "Recycled to the pool"),
        "pool_rules" => ("修改公海规则", "Pool rules changed"),
        "add_tag" => ("添加标签", "Tag added"),
        "remove_tag" => ("移除标签", "Tag removed"),
        "put_contact" => ("联系人", "Contact"),
        "put_order" => ("订单", "Order"),
        "put_interaction" => ("互动", "Interaction"),
        "put_feedback" => ("反馈", "Feedback"),
        "put_task" => ("提醒", "Reminder"),
        "remove_item" => ("删除条目", "Item removed"),
        "delete" => ("删除档案", "Record deleted"),
        "restore" => ("恢复档案", "Record restored"),
        "merge" => ("合并档案", "Records merged"),
        "export" => ("导出", "Export"),
        "view_sensitive" => ("查看敏感信息", "Sensitive values viewed"),
        "import" => ("导入", "Import"),
        "import_undo" => ("撤销导入", "Import undone"),
        "handover" => ("批量移交", "Handover"),
        "not_duplicate" => ("标记为不是重复", "Marked not a duplicate"),
        "user_created" => ("创建用户", "User created"),
        "user_disabled" => ("停用用户", "User disabled"),
        "user_enabled" => ("启用用户", "User enabled"),
        "user_role_team" => ("修改角色和团队", "Role and team changed"),
        "password_reset" => ("重设密码", "Password reset"),
        "custom_fields" => ("修改自定义字段定义", "Custom fields defined"),
        "review_rules" => ("修改复核周期", "Review rules changed"),
        "time_zone" => ("修改公司时区", "Company time zone changed"),
        "care_settings" => ("修改客户关怀设置", "Care settings changed"),
        "rule_save" => ("保存自动化规则", "Workflow rule saved"),
        "rule_delete" => ("删除自动化规则", "Workflow rule deleted"),
        other => return other.to_owned(),
    };
    if zh { zh_text } else { en_text }.to_owned()
}

/// Every action the audit page offers as a filter, by code.
pub const ACTIONS: &[&str] = &[
    "create",
    "set_fields",
    "set_custom",
    "reassign",
    "reassign_over_limit",
    "claim",
    "recycle",
    "handover",
    "not_duplicate",
    "add_tag",
    "remove_tag",
    "put_contact",
    "put_order",
    "put_interaction",
    "put_feedback",
    "put_task",
    "remove_item",
    "delete",
    "restore",
    "merge",
    "resolve_conflict",
    "export",
    "view_sensitive",
    "import",
    "import_undo",
    "user_created",
    "user_disabled",
    "user_enabled",
    "user_role_team",
    "password_reset",
    "custom_fields",
    "review_rules",
    "pool_rules",
    "time_zone",
    "care_settings",
    "rule_save",
    "rule_delete",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(subject: Option<&str>, old: Option<&str>, new: Option<&str>) -> AuditEntry {
        AuditEntry {
            at: "2026-12-04T08:00:00Z".into(),
            version: Some(3),
            user: "a".into(),
            client: None,
            customer: Some("c".into()),
            mutation: Some("m".into()),
            action: "set_fields".into(),
            subject: subject.map(str::to_owned),
            old: old.map(str::to_owned),
            new: new.map(str::to_owned),
            reason: None,
        }
    }

    #[test]
    fn a_field_change_reads_as_its_label_and_both_values() {
        let region = |r: &str| serde_json::to_string(&FieldValue::Region(Some(r.into()))).unwrap();
        let described = describe_entry(
            Locale::ZhCn,
            &entry(Some("field:region"), Some(&region("华东")), Some(&region("华北"))),
        );
        assert_eq!(described, Described { what: "销售区域".into(), old: "华东".into(), new: "华北".into() });
    }

    #[test]
    fn a_masked_or_unknown_value_is_shown_as_stored_and_every_action_has_words() {
        let described = describe_entry(Locale::En, &entry(Some("field:phones"), Some("******"), None));
        assert_eq!(described.old, "******");
        let tag = describe_entry(Locale::ZhCn, &entry(Some("tag:VIP"), Some("false"), Some("true")));
        assert_eq!((tag.what.as_str(), tag.new.as_str()), ("# VIP", "有"));
        for action in ACTIONS {
            assert_ne!(action_label(Locale::ZhCn, action), *action, "{action} has no words");
            assert_ne!(action_label(Locale::En, action), *action, "{action} has no words");
        }
    }
}
