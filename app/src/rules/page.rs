//! `/admin/rules`: the rules, an editor, a preview and each rule's run log.

use domain::FieldError;
use domain::archive::{Category, FieldName, LifecycleStage, TaskKind, wire_name};
use domain::care::Template;
use domain::ids::{ItemId, UserId};
use domain::rules::{Action, Condition, DateField, Every, Preview, Rule, RunEntry, RunState, Trigger};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::api::{RulesView, delete_rule, load_rules, preview_rule, rule_log, save_rule};
use super::texts::RulesTexts;
use crate::form::{Check, Choice, Field, FormOutcome, Outcome, TextArea};
use crate::i18n::{
    Label, Locale, ago, app_error_message, field_error_message, fill, texts, use_locale, use_texts,
};
use crate::offline::now_ms;

fn rt(locale: Locale) -> &'static RulesTexts {
    texts(locale).rules
}

/// `/admin/rules`.
#[component]
pub fn RulesPage() -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let changed = RwSignal::new(0_u32);
    let loaded = LocalResource::new(move || {
        changed.track();
        load_rules()
    });
    move || {
        loaded
            .get()
            .map(|result| match result {
                Ok(view) => view! { <Rules view changed /> }.into_any(),
                Err(error) => view! {
                    <section class="card"><p class="form-error" role="alert">{app_error_message(locale, &error)}</p></section>
                }
                .into_any(),
            })
            .unwrap_or_else(|| view! { <section class="card"><p class="muted">{texts.loading}</p></section> }.into_any())
    }
}

#[component]
fn Rules(view: RulesView, changed: RwSignal<u32>) -> impl IntoView {
    let locale = use_locale();
    let t = rt(locale);
    let editing = RwSignal::new(None::<Rule>);
    let message: Outcome = RwSignal::new(None);
    let people = StoredValue::new(view.people.clone());
    let blank = move || Rule {
        id: ItemId::new().to_string(),
        name: String::new(),
        enabled: true,
        trigger: Trigger::OrderAdded,
        conditions: Vec::new(),
        actions: Vec::new(),
    };
    let rows = view
        .rules
        .into_iter()
        .map(|rule| view! { <RuleRow rule people=people.get_value() editing changed message /> })
        .collect_view();
    let empty = rows.is_empty();
    view! {
        <section class="card" data-testid="rules">
            <h1>{t.title}</h1>
            <p class="muted">{t.help}</p>
            {empty.then(|| view! { <p class="muted">{t.none}</p> })}
            <ul class="plain-list rule-list">{rows}</ul>
            <button type="button" class="button primary" id="rule-new" on:click=move |_| editing.set(Some(blank()))>
                {t.new_rule}
            </button>
            <FormOutcome outcome=message />
        </section>
        {move || {
            editing
                .get()
                .map(|rule| view! { <Editor rule people=people.get_value() editing changed message /> })
        }}
    }
}

#[component]
fn RuleRow(
    rule: Rule,
    people: Vec<(String, String)>,
    editing: RwSignal<Option<Rule>>,
    changed: RwSignal<u32>,
    message: Outcome,
) -> impl IntoView {
    let locale = use_locale();
    let t = rt(locale);
    let log = RwSignal::new(None::<Result<Vec<RunEntry>, String>>);
    let summary = format!(
        "{} → {}",
        trigger_text(locale, &rule.trigger),
        rule.actions.iter().map(|a| action_text(locale, a, &people)).collect::<Vec<_>>().join("；")
    );
    let id = rule.id.clone();
    let stored = StoredValue::new(rule.clone());
    let enabled = RwSignal::new(rule.enabled);
    // Only this row changes: reloading the list after each switch would
    // show a second switch, flipped meanwhile, as it was until its own save.
    let toggle = move |ev| {
        let mut rule = stored.get_value();
        rule.enabled = event_target_checked(&ev);
        enabled.set(rule.enabled);
        spawn_local(async move {
            match save_rule(rule).await {
                Ok(saved) => stored.set_value(saved),
                Err(error) => {
                    enabled.set(stored.with_value(|r| r.enabled));
                    message.set(Some(Err(app_error_message(locale, &error))));
                }
            }
        });
    };
    let show_log = {
        let id = id.clone();
        move |_| {
            if log.get_untracked().is_some() {
                return log.set(None);
            }
            let id = id.clone();
            spawn_local(async move {
                log.set(Some(rule_log(id).await.map_err(|e| app_error_message(locale, &e))));
            });
        }
    };
    let remove = move |_| {
        let id = id.clone();
        spawn_local(async move {
            match delete_rule(id).await {
                Ok(()) => {
                    message.set(Some(Ok(t.deleted.to_owned())));
                    changed.update(|n| *n += 1);
                }
                Err(error) => message.set(Some(Err(app_error_message(locale, &error)))),
            }
        });
    };
    view! {
        <li class="workflow-rule" data-name=rule.name.clone()>
            <div class="row-main">
                <span class="row-name">{rule.name.clone()}</span>
                <span class="muted">{summary}</span>
            </div>
            <div class="button-row">
                <label class="check">
                    <input type="checkbox" class="rule-enabled" prop:checked=enabled on:change=toggle />
                    <span>{t.enabled}</span>
                </label>
                <button type="button" class="button" on:click=move |_| editing.set(Some(stored.get_value()))>{t.edit}</button>
                <button type="button" class="button rule-log-button" on:click=show_log>{t.log}</button>
                <button type="button" class="button" on:click=remove>{t.delete}</button>
            </div>
            {move || log.get().map(|entries| match entries {
                Err(text) => view! { <p class="form-error" role="alert">{text}</p> }.into_any(),
                Ok(entries) if entries.is_empty() => view! { <p class="muted">{t.log_empty}</p> }.into_any(),
                Ok(entries) => view! { <RunLog entries /> }.into_any(),
            })}
        </li>
    }
}

#[component]
fn RunLog(entries: Vec<RunEntry>) -> impl IntoView {
    let locale = use_locale();
    let t = rt(locale);
    let now = now_ms();
    let row = move |e: RunEntry| {
        let state = match e.state {
            RunState::Pending => t.s_pending,
            RunState::Done => t.s_done,
            RunState::Skipped => t.s_skipped,
            RunState::Failed => t.s_failed,
        };
        let mut parts = vec![state.to_owned(), ago(locale, e.at, now)];
        if e.changes > 0 {
            parts.push(format!("{} {}", t.changes, e.changes));
        }
        if e.emails > 0 {
            parts.push(format!("{} {}", t.emails, e.emails));
        }
        if e.depth > 0 {
            parts.push(format!("{} {}", t.depth, e.depth));
        }
        let reason = e.reason.as_deref().map(|r| reason_text(locale, r));
        view! {
            <li class="run-row" data-state=wire_name(&e.state)>
                <a href=format!("/customers/{}", e.customer)>{e.name.clone()}</a>
                <span class="muted">{format!(" · {} · {}", e.day, parts.join(" · "))}</span>
                {reason.map(|r| view! { <span class="muted">{format!(" · {r}")}</span> })}
            </li>
        }
    };
    view! { <ul class="plain-list run-log">{entries.into_iter().map(row).collect_view()}</ul> }
}

/// Options of every kind of trigger.
fn trigger_options(t: &RulesTexts) -> Vec<(String, String)> {
    [
        ("order_added", t.t_order_added),
        ("customer_created", t.t_customer_created),
        ("field_changed", t.t_field_changed),
        ("complaint_opened", t.t_complaint_opened),
        ("complaint_overdue", t.t_complaint_overdue),
        ("date_offset", t.t_date_offset),
        ("schedule", t.t_schedule),
        ("churn_risk_above", t.t_churn_risk_above),
    ]
    .into_iter()
    .map(|(v, l)| (v.to_owned(), l.to_owned()))
    .collect()
}

fn field_options(locale: Locale, fields: &[FieldName]) -> Vec<(String, String)> {
    fields.iter().map(|f| (f.as_str().to_owned(), field_name_text(locale, *f).to_owned())).collect()
}

fn field_name_text(locale: Locale, field: FieldName) -> &'static str {
    let t = texts(locale);
    match field {
        FieldName::Stage => t.stage_label,
        FieldName::Category => t.category_label,
        FieldName::Owner => t.owner_label,
        FieldName::Source => t.source_label,
        FieldName::Industry => t.industry_label,
        FieldName::Region => t.region_label,
        FieldName::Kind => t.kind_label,
        FieldName::Gender => t.gender_label,
        FieldName::CompanySize => t.company_size_label,
        _ => "",
    }
}

const CATEGORIES: [Category; 3] = [Category::Vip, Category::Regular, Category::Churned];

/// The choices for a value of `field`, where it has a fixed set.
fn value_options(locale: Locale, field: &str) -> Option<Vec<(String, String)>> {
    match field {
        "stage" => Some(LifecycleStage::ALL.iter().map(|s| (wire_name(s), s.label(locale))).collect()),
        "category" => Some(CATEGORIES.iter().map(|c| (wire_name(c), c.label(locale))).collect()),
        _ => None,
    }
}

/// A value of `field` as people read it.
fn value_text(locale: Locale, field: FieldName, value: &str) -> String {
    value_options(locale, field.as_str())
        .and_then(|options| options.into_iter().find(|(v, _)| v == value).map(|(_, l)| l))
        .unwrap_or_else(|| value.to_owned())
}

fn date_text(t: &RulesTexts, date: &DateField) -> String {
    match date {
        DateField::Birthday => t.d_birthday.to_owned(),
        DateField::LastContact => t.d_last_contact.to_owned(),
        DateField::LastOrder => t.d_last_order.to_owned(),
        DateField::NextReview => t.d_next_review.to_owned(),
        DateField::OrderEnds => t.d_order_ends.to_owned(),
        DateField::Custom(key) => key.clone(),
    }
}

fn trigger_text(locale: Locale, trigger: &Trigger) -> String {
    let t = rt(locale);
    match trigger {
        Trigger::CustomerCreated => t.t_customer_created.to_owned(),
        Trigger::FieldChanged { field, from, to } => {
            let value =
                |v: &Option<String>| v.as_deref().map_or(t.any.to_owned(), |v| value_text(locale, *field, v));
            format!(
                "{}：{} {} → {}",
                t.t_field_changed,
                field_name_text(locale, *field),
                value(from),
                value(to)
            )
        }
        Trigger::OrderAdded => t.t_order_added.to_owned(),
        Trigger::ComplaintOpened => t.t_complaint_opened.to_owned(),
        Trigger::ComplaintOverdue => t.t_complaint_overdue.to_owned(),
        Trigger::DateOffset { date, days } => {
            let date = date_text(t, date);
            let n = days.abs().to_string();
            let template = match days.signum() {
                -1 => t.before_days,
                1 => t.after_days,
                _ => t.on_day,
            };
            fill(template, &[("date", &date), ("n", &n)])
        }
        Trigger::Schedule { every } => match every {
            Every::Day => t.e_day.to_owned(),
            Every::Week { weekday } => format!("{} {weekday}", t.e_week),
            Every::Month { day } => format!("{} {day}", t.e_month),
        },
        Trigger::ChurnRiskAbove { percent } => format!("{} {percent}%", t.t_churn_risk_above),
    }
}

fn condition_text(locale: Locale, condition: &Condition) -> String {
    let t = rt(locale);
    let values = |field: &FieldName, values: &[String]| {
        values.iter().map(|v| value_text(locale, *field, v)).collect::<Vec<_>>().join(" / ")
    };
    match condition {
        Condition::FieldIs { field, values: v } => {
            format!("{} {} {}", field_name_text(locale, *field), t.c_field_is, values(field, v))
        }
        Condition::FieldIsNot { field, values: v } => {
            format!("{} {} {}", field_name_text(locale, *field), t.c_field_is_not, values(field, v))
        }
        Condition::HasTag { tag } => format!("{} {tag}", t.c_has_tag),
        Condition::LacksTag { tag } => format!("{} {tag}", t.c_lacks_tag),
        Condition::ChurnRiskAtLeast { percent } => format!("{} {percent}%", t.c_churn_risk_at_least),
        Condition::HighValue => t.c_high_value.to_owned(),
        Condition::Kept => t.c_kept.to_owned(),
    }
}

fn action_text(locale: Locale, action: &Action, people: &[(String, String)]) -> String {
    let t = rt(locale);
    match action {
        Action::CreateTask { task, in_days, note, for_manager } => {
            let whom = if *for_manager { format!(" ({})", t.for_manager) } else { String::new() };
            let note = if note.is_empty() { String::new() } else { format!(" “{note}”") };
            let due = fill(t.due_in, &[("n", &in_days.to_string())]);
            format!("{}：{}{note}，{due}{whom}", t.a_create_task, task.label(locale))
        }
        Action::Assign { to } => match to {
            None => t.to_pool.to_owned(),
            Some(user) => {
                let name =
                    people.iter().find(|(id, _)| *id == user.0).map_or(user.0.as_str(), |(_, n)| n.as_str());
                format!("{} {name}", t.a_assign)
            }
        },
        Action::SetField { field, value } => {
            format!(
                "{}：{} = {}",
                t.a_set_field,
                field_name_text(locale, *field),
                value_text(locale, *field, value)
            )
        }
        Action::ApplySuggestedStage => t.a_apply_suggested_stage.to_owned(),
        Action::AddTag { tag } => format!("{} {tag}", t.a_add_tag),
        Action::RemoveTag { tag } => format!("{} {tag}", t.a_remove_tag),
        Action::EmailCustomer { template } => format!("{}：{}", t.a_email_customer, template.subject),
        Action::EmailKeeper { template } => format!("{}：{}", t.a_email_keeper, template.subject),
    }
}

/// What a run log's reason code means.
pub(crate) fn reason_text(locale: Locale, code: &str) -> String {
    let t = rt(locale);
    let (code, detail) = code.split_once(':').unwrap_or((code, ""));
    let text = match code {
        "rule.own_change" => t.r_own_change,
        "rule.chain_too_deep" => t.r_chain_too_deep,
        "rule.already_so" => t.r_already_so,
        "rule.no_manager" => t.r_no_manager,
        "rule.no_suggestion" => t.r_no_suggestion,
        "rule.gone" => t.r_rule_gone,
        "rule.disabled" => t.r_rule_disabled,
        "customer.gone" => t.r_customer_gone,
        "rule.unmet" => {
            return format!("{}（{}）", t.r_unmet, condition_kind_text(t, detail));
        }
        "care.no_email" => t.r_no_email,
        "care.no_consent" => t.r_no_consent,
        "care.capped" => t.r_capped,
        "rule.error" => t.r_error,
        "rule.bad_value" => t.r_bad_value,
        "rule.no_keeper" => t.r_no_keeper,
        "rule.keeper_no_email" => t.r_keeper_no_email,
        other => return crate::i18n::refusal_message(locale, other, &[]),
    };
    text.to_owned()
}

fn condition_kind_text(t: &RulesTexts, kind: &str) -> &'static str {
    match kind {
        "field_is" => t.c_field_is,
        "field_is_not" => t.c_field_is_not,
        "has_tag" => t.c_has_tag,
        "lacks_tag" => t.c_lacks_tag,
        "churn_risk_at_least" => t.c_churn_risk_at_least,
        "high_value" => t.c_high_value,
        _ => t.c_kept,
    }
}

fn number<T: std::str::FromStr>(field: &str, text: &str) -> Result<T, FieldError> {
    text.trim().parse().map_err(|_| FieldError::new(field, "out_of_range"))
}

fn list(text: &str) -> Vec<String> {
    text.split([',', '，']).map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned).collect()
}

#[component]
fn Editor(
    rule: Rule,
    people: Vec<(String, String)>,
    editing: RwSignal<Option<Rule>>,
    changed: RwSignal<u32>,
    message: Outcome,
) -> impl IntoView {
    let locale = use_locale();
    let t = rt(locale);
    let id = rule.id.clone();
    let name = RwSignal::new(rule.name.clone());
    let enabled = RwSignal::new(rule.enabled);
    let kind = RwSignal::new(rule.trigger.kind().to_owned());
    // Each trigger's settings, kept while another kind is chosen.
    let (mut tf_field, mut tf_from, mut tf_to) = ("stage".to_owned(), String::new(), String::new());
    let (mut date, mut days, mut every, mut every_n, mut percent) =
        ("birthday".to_owned(), "0".to_owned(), "day".to_owned(), "1".to_owned(), "70".to_owned());
    match &rule.trigger {
        Trigger::FieldChanged { field, from, to } => {
            tf_field = field.as_str().to_owned();
            tf_from = from.clone().unwrap_or_default();
            tf_to = to.clone().unwrap_or_default();
        }
        Trigger::DateOffset { date: d, days: n } => {
            date = wire_name(d);
            if let DateField::Custom(key) = d {
                date = format!("custom:{key}");
            }
            days = n.to_string();
        }
        Trigger::Schedule { every: e } => match e {
            Every::Day => every = "day".into(),
            Every::Week { weekday } => (every, every_n) = ("week".into(), weekday.to_string()),
            Every::Month { day } => (every, every_n) = ("month".into(), day.to_string()),
        },
        Trigger::ChurnRiskAbove { percent: p } => percent = p.to_string(),
        _ => {}
    }
    let (tf_field, tf_from, tf_to) = (RwSignal::new(tf_field), RwSignal::new(tf_from), RwSignal::new(tf_to));
    let (date, days, every, every_n, percent) = (
        RwSignal::new(date),
        RwSignal::new(days),
        RwSignal::new(every),
        RwSignal::new(every_n),
        RwSignal::new(percent),
    );
    let conditions = RwSignal::new(rule.conditions.clone());
    let actions = RwSignal::new(rule.actions.clone());
    let preview = RwSignal::new(None::<Result<Preview, String>>);
    let said: Outcome = RwSignal::new(None);
    let people = StoredValue::new(people);

    let read = move || -> Result<Rule, FieldError> {
        let trigger = match kind.get_untracked().as_str() {
            "customer_created" => Trigger::CustomerCreated,
            "field_changed" => {
                let field = serde_json::from_value(serde_json::json!(tf_field.get_untracked()))
                    .map_err(|_| FieldError::new("trigger", "invalid"))?;
                let some = |s: String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
                Trigger::FieldChanged {
                    field,
                    from: some(tf_from.get_untracked()),
                    to: some(tf_to.get_untracked()),
                }
            }
            "complaint_opened" => Trigger::ComplaintOpened,
            "complaint_overdue" => Trigger::ComplaintOverdue,
            "date_offset" => {
                let chosen = date.get_untracked();
                let date = match chosen.strip_prefix("custom:") {
                    Some(key) => DateField::Custom(key.to_owned()),
                    None => serde_json::from_value(serde_json::json!({ "kind": chosen }))
                        .map_err(|_| FieldError::new("trigger", "invalid"))?,
                };
                Trigger::DateOffset { date, days: number("trigger", &days.get_untracked())? }
            }
            "schedule" => Trigger::Schedule {
                every: match every.get_untracked().as_str() {
                    "week" => Every::Week { weekday: number("trigger", &every_n.get_untracked())? },
                    "month" => Every::Month { day: number("trigger", &every_n.get_untracked())? },
                    _ => Every::Day,
                },
            },
            "churn_risk_above" => {
                Trigger::ChurnRiskAbove { percent: number("trigger", &percent.get_untracked())? }
            }
            _ => Trigger::OrderAdded,
        };
        let rule = Rule {
            id: id.clone(),
            name: name.get_untracked().trim().to_owned(),
            enabled: enabled.get_untracked(),
            trigger,
            conditions: conditions.get_untracked(),
            actions: actions.get_untracked(),
        };
        rule.check()?;
        Ok(rule)
    };
    let read = StoredValue::new(read);
    let show_preview = move |_| match read.with_value(|read| read()) {
        Err(error) => said.set(Some(Err(field_error_message(locale, &error)))),
        Ok(rule) => spawn_local(async move {
            said.set(None);
            preview.set(Some(preview_rule(rule).await.map_err(|e| app_error_message(locale, &e))));
        }),
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match read.with_value(|read| read()) {
            Err(error) => said.set(Some(Err(field_error_message(locale, &error)))),
            Ok(rule) => spawn_local(async move {
                match save_rule(rule).await {
                    Ok(_) => {
                        message.set(Some(Ok(t.saved.to_owned())));
                        editing.set(None);
                        changed.update(|n| *n += 1);
                    }
                    Err(error) => said.set(Some(Err(app_error_message(locale, &error)))),
                }
            }),
        }
    };
    let watched = field_options(locale, &domain::rules::WATCHED_FIELDS);
    let value_input = move |id: &'static str, label: &'static str, value: RwSignal<String>| {
        move || match value_options(locale, &tf_field.get()) {
            Some(options) => {
                let mut all = vec![(String::new(), t.any.to_owned())];
                all.extend(options);
                view! { <Choice id label value options=all /> }.into_any()
            }
            None => view! { <Field id label value /> }.into_any(),
        }
    };
    let date_options: Vec<(String, String)> = [
        ("birthday", t.d_birthday),
        ("last_contact", t.d_last_contact),
        ("last_order", t.d_last_order),
        ("next_review", t.d_next_review),
        ("order_ends", t.d_order_ends),
    ]
    .into_iter()
    .map(|(v, l)| (v.to_owned(), l.to_owned()))
    .collect();
    let every_options: Vec<(String, String)> = [("day", t.e_day), ("week", t.e_week), ("month", t.e_month)]
        .into_iter()
        .map(|(v, l)| (v.to_owned(), l.to_owned()))
        .collect();
    view! {
        <section class="card narrow" data-testid="rule-editor">
            <h2>{t.new_rule}</h2>
            <form class="stacked-form" novalidate on:submit=save>
                <Field id="rule-name" label=t.name value=name />
                <Check id="rule-enabled" label=t.enabled value=enabled />
                <h3>{t.trigger}</h3>
                <Choice id="rule-trigger" label=t.trigger value=kind options=trigger_options(t) />
                {move || match kind.get().as_str() {
                    "field_changed" => view! {
                        <Choice id="rule-trigger-field" label=t.field value=tf_field options=watched.clone() />
                        {value_input("rule-trigger-from", t.from, tf_from)}
                        {value_input("rule-trigger-to", t.to, tf_to)}
                    }
                    .into_any(),
                    "date_offset" => view! {
                        <Choice id="rule-trigger-date" label=t.date value=date options=date_options.clone() />
                        <Field id="rule-trigger-days" label=t.days value=days kind="number" inputmode="numeric" />
                        <p class="muted">{t.days_help}</p>
                    }
                    .into_any(),
                    "schedule" => view! {
                        <Choice id="rule-trigger-every" label=t.every value=every options=every_options.clone() />
                        {move || match every.get().as_str() {
                            "week" => view! { <Field id="rule-trigger-n" label=t.weekday value=every_n kind="number" inputmode="numeric" /> }.into_any(),
                            "month" => view! { <Field id="rule-trigger-n" label=t.month_day value=every_n kind="number" inputmode="numeric" /> }.into_any(),
                            _ => ().into_any(),
                        }}
                    }
                    .into_any(),
                    "churn_risk_above" => view! {
                        <Field id="rule-trigger-percent" label=t.percent value=percent kind="number" inputmode="numeric" />
                    }
                    .into_any(),
                    _ => ().into_any(),
                }}
                <h3>{t.conditions}</h3>
                <Parts items=conditions describe=move |c: &Condition| condition_text(locale, c) empty=t.no_conditions />
                <AddCondition conditions />
                <h3>{t.actions}</h3>
                <Parts
                    items=actions
                    describe=move |a: &Action| people.with_value(|p| action_text(locale, a, p))
                    empty=t.no_actions
                />
                <AddAction actions people=people.get_value() />
                <div class="button-row">
                    <button type="button" class="button" id="rule-preview" on:click=show_preview>{t.preview}</button>
                    <button type="submit" class="button primary" id="rule-save">{t.save}</button>
                    <button type="button" class="button" on:click=move |_| editing.set(None)>{t.cancel}</button>
                </div>
                <FormOutcome outcome=said />
                {move || preview.get().map(|p| match p {
                    Err(text) => view! { <p class="form-error" role="alert">{text}</p> }.into_any(),
                    Ok(p) => view! { <PreviewList preview=p /> }.into_any(),
                })}
            </form>
        </section>
    }
}

#[component]
fn PreviewList(preview: Preview) -> impl IntoView {
    let locale = use_locale();
    let t = rt(locale);
    let matching = (preview.firings.is_empty() && preview.matching > 0).then(|| {
        let names = preview.examples.join("、");
        view! {
            <p>{fill(t.preview_matching, &[("n", &preview.matching.to_string())])}</p>
            <p class="muted">{names}</p>
        }
    });
    let firings = if preview.firings.is_empty() {
        (preview.matching == 0).then(|| view! { <p class="muted">{t.preview_none}</p> }.into_any())
    } else {
        let rows = preview
            .firings
            .into_iter()
            .map(|f| {
                let unmet =
                    f.unmet.map(|k| format!(" · {}{}", t.skipped_because, condition_kind_text(t, &k)));
                view! { <li>{format!("{} · {}{}", f.day, f.name, unmet.unwrap_or_default())}</li> }
            })
            .collect_view();
        Some(
            view! { <p>{t.preview_firings}</p><ul class="plain-list" data-testid="rule-preview">{rows}</ul> }
                .into_any(),
        )
    };
    view! { <div class="rule-preview">{matching}{firings}</div> }
}

/// The conditions or actions of the rule being edited, each removable.
#[component]
fn Parts<T, F>(items: RwSignal<Vec<T>>, describe: F, empty: &'static str) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    F: Fn(&T) -> String + Copy + Send + Sync + 'static,
{
    let t = rt(use_locale());
    move || {
        let list = items.get();
        if list.is_empty() {
            return view! { <p class="muted">{empty}</p> }.into_any();
        }
        let rows = list
            .iter()
            .enumerate()
            .map(|(n, item)| {
                let text = describe(item);
                let remove = move |_| {
                    items.update(|v| {
                        v.remove(n);
                    })
                };
                view! {
                    <li class="rule-part">
                        <span>{text}</span>
                        <button type="button" class="button" on:click=remove>{t.remove}</button>
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="plain-list">{rows}</ul> }.into_any()
    }
}

#[component]
fn AddCondition(conditions: RwSignal<Vec<Condition>>) -> impl IntoView {
    let locale = use_locale();
    let t = rt(locale);
    let kind = RwSignal::new("field_is".to_owned());
    let field = RwSignal::new("category".to_owned());
    let value = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let options: Vec<(String, String)> = [
        ("field_is", t.c_field_is),
        ("field_is_not", t.c_field_is_not),
        ("has_tag", t.c_has_tag),
        ("lacks_tag", t.c_lacks_tag),
        ("churn_risk_at_least", t.c_churn_risk_at_least),
        ("high_value", t.c_high_value),
        ("kept", t.c_kept),
    ]
    .into_iter()
    .map(|(v, l)| (v.to_owned(), l.to_owned()))
    .collect();
    let watched = field_options(locale, &domain::rules::WATCHED_FIELDS);
    let add = move |_| {
        let read = || -> Result<Condition, FieldError> {
            let field_name = || {
                serde_json::from_value::<FieldName>(serde_json::json!(field.get_untracked()))
                    .map_err(|_| FieldError::new("conditions", "invalid"))
            };
            let text = value.get_untracked().trim().to_owned();
            Ok(match kind.get_untracked().as_str() {
                "field_is" => Condition::FieldIs { field: field_name()?, values: list(&text) },
                "field_is_not" => Condition::FieldIsNot { field: field_name()?, values: list(&text) },
                "has_tag" => Condition::HasTag { tag: text },
                "lacks_tag" => Condition::LacksTag { tag: text },
                "churn_risk_at_least" => {
                    Condition::ChurnRiskAtLeast { percent: number("conditions", &text)? }
                }
                "high_value" => Condition::HighValue,
                _ => Condition::Kept,
            })
        };
        let checked = read().and_then(|c| domain::rules::check_condition(&c).map(|()| c));
        match checked {
            Ok(condition) => {
                conditions.update(|v| v.push(condition));
                value.set(String::new());
                error.set(None);
            }
            Err(e) => error.set(Some(field_error_message(locale, &e))),
        }
    };
    view! {
        <div class="rule-add" data-testid="rule-add-condition">
            <Choice id="rule-condition-kind" label=t.conditions value=kind options />
            {move || match kind.get().as_str() {
                "field_is" | "field_is_not" => view! {
                    <Choice id="rule-condition-field" label=t.field value=field options=watched.clone() />
                    {move || match value_options(locale, &field.get()) {
                        Some(options) => view! { <Choice id="rule-condition-value" label=t.value value options /> }.into_any(),
                        None => view! { <Field id="rule-condition-value" label=t.value value /><p class="muted">{t.values_help}</p> }.into_any(),
                    }}
                }
                .into_any(),
                "has_tag" | "lacks_tag" => view! { <Field id="rule-condition-value" label=t.tag value /> }.into_any(),
                "churn_risk_at_least" => view! {
                    <Field id="rule-condition-value" label=t.percent value kind="number" inputmode="numeric" />
                }
                .into_any(),
                _ => ().into_any(),
            }}
            <button type="button" class="button" id="rule-condition-add" on:click=add>{t.add}</button>
            <p class="field-error" role="alert">{move || error.get()}</p>
        </div>
    }
}

#[component]
fn AddAction(actions: RwSignal<Vec<Action>>, people: Vec<(String, String)>) -> impl IntoView {
    let locale = use_locale();
    let t = rt(locale);
    let kind = RwSignal::new("create_task".to_owned());
    let task = RwSignal::new("follow_up".to_owned());
    let in_days = RwSignal::new("7".to_owned());
    let note = RwSignal::new(String::new());
    let for_manager = RwSignal::new(false);
    let whom = RwSignal::new(String::new());
    let field = RwSignal::new("stage".to_owned());
    let value = RwSignal::new("active".to_owned());
    let tag = RwSignal::new(String::new());
    let subject = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let options: Vec<(String, String)> = [
        ("create_task", t.a_create_task),
        ("assign", t.a_assign),
        ("set_field", t.a_set_field),
        ("apply_suggested_stage", t.a_apply_suggested_stage),
        ("add_tag", t.a_add_tag),
        ("remove_tag", t.a_remove_tag),
        ("email_customer", t.a_email_customer),
        ("email_keeper", t.a_email_keeper),
    ]
    .into_iter()
    .map(|(v, l)| (v.to_owned(), l.to_owned()))
    .collect();
    let tasks: Vec<(String, String)> =
        [TaskKind::FollowUp, TaskKind::Maintenance, TaskKind::Review, TaskKind::Birthday]
            .iter()
            .map(|k| (wire_name(k), k.label(locale)))
            .collect();
    let mut whom_options = vec![(String::new(), t.to_pool.to_owned())];
    whom_options.extend(people);
    let settable = field_options(locale, &domain::rules::SETTABLE_FIELDS);
    let add = move |_| {
        let read = || -> Result<Action, FieldError> {
            Ok(match kind.get_untracked().as_str() {
                "create_task" => Action::CreateTask {
                    task: serde_json::from_value(serde_json::json!(task.get_untracked()))
                        .map_err(|_| FieldError::new("actions", "invalid"))?,
                    in_days: number("actions", &in_days.get_untracked())?,
                    note: note.get_untracked().trim().to_owned(),
                    for_manager: for_manager.get_untracked(),
                },
                "assign" => {
                    Action::Assign { to: Some(whom.get_untracked()).filter(|w| !w.is_empty()).map(UserId) }
                }
                "set_field" => {
                    let chosen = field.get_untracked();
                    // The value shown first when the one kept is not of this field.
                    let options = value_options(locale, &chosen).unwrap_or_default();
                    let mut picked = value.get_untracked();
                    if !options.iter().any(|(v, _)| *v == picked) {
                        picked = options.first().map(|(v, _)| v.clone()).unwrap_or_default();
                    }
                    Action::SetField {
                        field: serde_json::from_value(serde_json::json!(chosen))
                            .map_err(|_| FieldError::new("actions", "invalid"))?,
                        value: picked,
                    }
                }
                "apply_suggested_stage" => Action::ApplySuggestedStage,
                "add_tag" => Action::AddTag { tag: tag.get_untracked().trim().to_owned() },
                "remove_tag" => Action::RemoveTag { tag: tag.get_untracked().trim().to_owned() },
                "email_keeper" => Action::EmailKeeper {
                    template: Template { subject: subject.get_untracked(), body: body.get_untracked() },
                },
                _ => Action::EmailCustomer {
                    template: Template { subject: subject.get_untracked(), body: body.get_untracked() },
                },
            })
        };
        let checked = read().and_then(|a| domain::rules::check_action(&a).map(|()| a));
        match checked {
            Ok(action) => {
                actions.update(|v| v.push(action));
                error.set(None);
            }
            Err(e) => error.set(Some(field_error_message(locale, &e))),
        }
    };
    view! {
        <div class="rule-add" data-testid="rule-add-action">
            <Choice id="rule-action-kind" label=t.actions value=kind options />
            {move || match kind.get().as_str() {
                "create_task" => view! {
                    <Choice id="rule-action-task" label=t.task_kind value=task options=tasks.clone() />
                    <Field id="rule-action-days" label=t.in_days value=in_days kind="number" inputmode="numeric" />
                    <Field id="rule-action-note" label=t.note value=note />
                    <Check id="rule-action-manager" label=t.for_manager value=for_manager />
                }
                .into_any(),
                "assign" => view! { <Choice id="rule-action-whom" label=t.assignee value=whom options=whom_options.clone() /> }.into_any(),
                "set_field" => view! {
                    <Choice id="rule-action-field" label=t.field value=field options=settable.clone() />
                    {move || {
                        let options = value_options(locale, &field.get()).unwrap_or_default();
                        view! { <Choice id="rule-action-value" label=t.value value options /> }
                    }}
                }
                .into_any(),
                "add_tag" | "remove_tag" => view! { <Field id="rule-action-tag" label=t.tag value=tag /> }.into_any(),
                "email_customer" | "email_keeper" => view! {
                    <Field id="rule-action-subject" label=t.subject value=subject />
                    <TextArea id="rule-action-body" label=t.body value=body />
                    <p class="muted">{t.placeholders}</p>
                }
                .into_any(),
                _ => ().into_any(),
            }}
            <button type="button" class="button" id="rule-action-add" on:click=add>{t.add}</button>
            <p class="field-error" role="alert">{move || error.get()}</p>
        </div>
    }
}
