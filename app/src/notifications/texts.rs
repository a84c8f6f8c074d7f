//! The notifications' words, in zh-CN and English.

/// Every string of the notifications page and Today's line about them.
#[derive(Debug)]
#[allow(missing_docs)]
pub struct NotificationTexts {
    pub title: &'static str,
    pub help: &'static str,
    pub empty: &'static str,
    pub unread_n: &'static str,
    pub mark_all_read: &'static str,
    pub mark_read: &'static str,
    pub birthday: &'static str,
    pub maintenance: &'static str,
    pub follow_up: &'static str,
    pub complaint_due: &'static str,
    pub complaint_overdue: &'static str,
    pub offline: &'static str,
    pub run_now: &'static str,
    pub ran: &'static str,
}

pub(crate) const ZH: NotificationTexts = NotificationTexts {
    title: "提醒",
    help: "每天清晨，系统把您负责的客户近几天的生日（含农历生日）、保养到期、跟进日期和投诉处理期限发到这里；生日和保养提前 3 天提醒。投诉超期会告知负责人的经理。",
    empty: "暂无提醒。",
    unread_n: "{n} 条新提醒",
    mark_all_read: "全部标为已读",
    mark_read: "已读",
    birthday: "{date} 生日",
    maintenance: "{date} 保养到期",
    follow_up: "{date} 该跟进了",
    complaint_due: "投诉今天（{date}）到处理期限",
    complaint_overdue: "{keeper} 负责的投诉已超期（{date}），请督办",
    offline: "离线时看不到提醒；“今日”页仍列出近期生日和待办。",
    run_now: "立即发出今天的提醒",
    ran: "已发出 {n} 条新提醒（早已发出的不会重复）。",
};

pub(crate) const EN: NotificationTexts = NotificationTexts {
    title: "Reminders",
    help: "Every morning the system sends here the coming birthdays (lunar ones too), maintenance dates, follow-ups and complaint deadlines of the customers you keep; birthdays and maintenance three days ahead. An overdue complaint is told to the keeper's manager.",
    empty: "No reminders.",
    unread_n: "{n} new reminders",
    mark_all_read: "Mark all read",
    mark_read: "Read",
    birthday: "Birthday on {date}",
    maintenance: "Maintenance due {date}",
    follow_up: "Follow up on {date}",
    complaint_due: "A complaint is due to be resolved today ({date})",
    complaint_overdue: "A complaint {keeper} keeps is overdue ({date}): please see to it",
    offline: "Reminders need a connection; Today still lists coming birthdays and tasks.",
    run_now: "Send today's reminders now",
    ran: "{n} new reminders sent (none sent twice).",
};
