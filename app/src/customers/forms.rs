//! Creating and editing archives. Every form checks each field as it is
//! typed with the domain's own parsers, and saves by recording a change in
//! the replica: stored on the device first, sent when there is signal.

use domain::archive::{
    Address, Category, Contact, Customer, Feedback, FeedbackKind, FeedbackStatus, Fields, Interaction,
    InteractionKind, ItemKind, LabelledPhone, LifecycleStage, Order, PartyKind, PhoneLabel, Severity, Task,
    TaskKind, wire_name,
};
use domain::dedup::{DuplicateReason, duplicates};
use domain::ids::{ClientId, CustomerId, ItemId, MutationId};
use domain::money::{Currency, Money};
use domain::phone::PhoneKind;
use domain::time::{Date, Timestamp};
use domain::{ApplyContext, Change, CustomerName, Email, FieldError, Mutation, Phone, apply, validate};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::custom::{CustomInputs, read_drafts};
use crate::form::{Choice, Field, TextArea, check, optional, record_error_message};
use crate::i18n::{Label, Locale, field_error_message, use_locale, use_texts};
use crate::offline::{now_ms, today, use_offline};

/// Reads the phone list as typed: numbers separated by commas, 、 or spaces
/// around them; a mobile number is labelled mobile, any other work.
pub(super) fn parse_phones(text: &str) -> Result<Vec<LabelledPhone>, FieldError> {
    text.split([',', '，', '、', ';', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|raw| {
            let number = Phone::parse_field(raw, "phone")?;
            let label =
                if number.kind() == PhoneKind::Mobile { PhoneLabel::Mobile } else { PhoneLabel::Work };
            Ok(LabelledPhone { label, number })
        })
        .collect()
}

pub(super) fn parse_date(text: &str, field: &str) -> Result<Option<Date>, FieldError> {
    if text.trim().is_empty() { Ok(None) } else { Date::parse_field(text, field).map(Some) }
}

pub(crate) fn stage_options(locale: Locale) -> Vec<(String, String)> {
    LifecycleStage::ALL.iter().map(|s| (wire_name(s), s.label(locale))).collect()
}

/// `options` for a filter: "all" (no value) first.
pub(crate) fn with_all(all: &str, options: Vec<(String, String)>) -> Vec<(String, String)> {
    std::iter::once((String::new(), all.to_owned())).chain(options).collect()
}

/// The stage and category filters' choices, "all" first.
pub(crate) fn stage_and_category_filters(locale: Locale, all: &str) -> [Vec<(String, String)>; 2] {
    [with_all(all, stage_options(locale)), with_all(all, category_options(locale))]
}

pub(crate) fn category_options(locale: Locale) -> Vec<(String, String)> {
    [Category::Vip, Category::Regular, Category::Churned]
        .iter()
        .map(|c| (wire_name(c), c.label(locale)))
        .collect()
}

pub(super) fn from_wire<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

/// The message for the first error about `field` among `errors`.
fn message_for(locale: Locale, errors: &[FieldError], field: &str) -> Option<String> {
    errors.iter().find(|e| e.field == field).map(|e| field_error_message(locale, e))
}

/// The archive a draft would become, to look for duplicates of it.
fn draft(fields: Fields) -> Option<Customer> {
    let mutation = Mutation {
        id: MutationId::new(),
        client: ClientId::new(),
        seq: 1,
        author: fields.owner.clone().unwrap_or_else(|| domain::ids::UserId(String::new())),
        client_time: Timestamp(0),
        customer: CustomerId::new(),
        change: Change::Create { fields: Box::new(fields) },
    };
    apply(None, &mutation, &ApplyContext { version: 0, today: today() }).ok().map(|(c, _)| c)
}

/// `/customers/new`: a new archive, with possible duplicates shown as the
/// name and phone are typed.
#[component]
pub fn NewCustomerPage() -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let offline = use_offline();
    let navigate = use_navigate();
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new("person".to_owned());
    let phones = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let city = RwSignal::new(String::new());
    let stage = RwSignal::new("lead".to_owned());
    let category = RwSignal::new("regular".to_owned());
    let failure = RwSignal::new(None::<String>);
    let submitted = RwSignal::new(false);
    // The replica opens after the page: the fields appear once it has.
    let definitions =
        Memo::new(move |_| offline.read(|r| r.meta().custom_fields.clone()).unwrap_or_default());
    let drafts = RwSignal::new(std::collections::BTreeMap::new());

    let name_error = Signal::derive(move || {
        let text = name.get();
        if submitted.get() || !text.is_empty() {
            CustomerName::parse(&text).err().map(|e| field_error_message(locale, &e))
        } else {
            None
        }
    });
    let phone_error = Signal::derive(move || check(locale, &phones.get(), parse_phones));
    let email_error = Signal::derive(move || check(locale, &email.get(), Email::parse));

    let fields = move || -> Option<Fields> {
        let mut fields = Fields::named(CustomerName::parse(&name.get()).ok()?);
        fields.kind = from_wire(&kind.get()).unwrap_or(PartyKind::Person);
        fields.phones = parse_phones(&phones.get()).ok()?;
        fields.emails = match optional(&email.get()) {
            Some(e) => vec![Email::parse(&e).ok()?],
            None => Vec::new(),
        };
        fields.address = Address { city: optional(&city.get()), ..Address::default() };
        fields.stage = from_wire(&stage.get()).unwrap_or_default();
        fields.category = from_wire(&category.get()).unwrap_or_default();
        fields.owner = offline.user();
        Some(fields)
    };
    let dupes = Memo::new(move |_| {
        let candidate = fields().and_then(draft)?;
        offline.read(|r| {
            duplicates(&candidate, r.customers(), |c| r.cached(&c.id).map(|x| &x.keys))
                .into_iter()
                .take(5)
                .filter_map(|d| {
                    let other = r.customer(&d.id)?;
                    let why = match d.reasons.first()? {
                        DuplicateReason::SamePhone(_) => texts.dup_same_phone,
                        DuplicateReason::SameEmail(_) => texts.dup_same_email,
                        DuplicateReason::SameCompanyName | DuplicateReason::SameNameSameCity(_) => {
                            texts.dup_same_name
                        }
                        DuplicateReason::SimilarNameSameCity(_) => texts.dup_similar_name,
                    };
                    Some((d.id.to_string(), other.fields.name.as_str().to_owned(), why))
                })
                .collect::<Vec<_>>()
        })
    });

    // The whole archive, asked once typing settles (not per keystroke): a
    // colleague may keep this customer already, out of this device's sight.
    let settled = RwSignal::new(None::<Fields>);
    let timer = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        let draft =
            fields().filter(|f| !f.phones.is_empty() || !f.emails.is_empty() || f.address.city.is_some());
        if let Some(handle) = timer.get_value() {
            handle.clear();
        }
        let handle =
            set_timeout_with_handle(move || settled.set(draft), std::time::Duration::from_millis(600));
        timer.set_value(handle.ok());
    });
    let elsewhere = LocalResource::new(move || {
        let draft = settled.get();
        async move {
            match draft {
                // Offline the answer is an error: the device's own check stands alone.
                Some(fields) => super::api::duplicate_hints(fields).await.unwrap_or_default(),
                None => Vec::new(),
            }
        }
    });
    let hints = move || {
        let shown: Vec<String> = dupes.get().unwrap_or_default().into_iter().map(|(id, _, _)| id).collect();
        elsewhere
            .get()
            .unwrap_or_default()
            .into_iter()
            .filter(|h| h.customer.as_ref().is_none_or(|(id, _)| !shown.contains(id)))
            .map(|hint| {
                let why = match hint.reason {
                    DuplicateReason::SamePhone(_) => texts.dup_same_phone,
                    DuplicateReason::SameEmail(_) => texts.dup_same_email,
                    DuplicateReason::SameCompanyName | DuplicateReason::SameNameSameCity(_) => {
                        texts.dup_same_name
                    }
                    DuplicateReason::SimilarNameSameCity(_) => texts.dup_similar_name,
                };
                let keeper = hint.keeper.unwrap_or_else(|| texts.team.pool.to_owned());
                match hint.customer {
                    Some((id, name)) => view! {
                        <li><a href=format!("/customers/{id}")>{name}</a>" · "{why}" · "{keeper}</li>
                    }
                    .into_any(),
                    None => view! {
                        <li>{crate::i18n::fill(texts.dup_kept_by, &[("why", why), ("keeper", &keeper)])}</li>
                    }
                    .into_any(),
                }
            })
            .collect::<Vec<_>>()
    };

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        let Some(mut fields) = fields() else { return };
        match read_drafts(&definitions.get_untracked(), &drafts.get_untracked()) {
            Ok(values) => fields.custom = values.into_iter().filter_map(|(k, v)| Some((k, v?))).collect(),
            Err(error) => return failure.set(Some(field_error_message(locale, &error))),
        }
        let id = CustomerId::new();
        match offline.record(id, Change::Create { fields: Box::new(fields) }) {
            Ok(_) => navigate(&format!("/customers/{id}"), Default::default()),
            Err(error) => failure.set(Some(record_error_message(locale, &error))),
        }
    };

    view! {
        <section class="card">
            <h1>{texts.new_customer}</h1>
            <form class="stacked-form" novalidate on:submit=save>
                <Field id="customer-name" label=texts.name_label value=name error=name_error placeholder=texts.name_placeholder />
                <Choice
                    id="customer-kind"
                    label=texts.kind_label
                    value=kind
                    options=vec![
                        ("person".into(), PartyKind::Person.label(locale)),
                        ("company".into(), PartyKind::Company.label(locale)),
                    ]
                />
                <Field id="customer-phones" label=texts.phones_label value=phones error=phone_error kind="tel" inputmode="tel" />
                <Field id="customer-email" label=texts.email_label value=email error=email_error kind="email" />
                <Field id="customer-city" label=texts.city_label value=city />
                <Choice id="customer-stage" label=texts.stage_label value=stage options=stage_options(locale) />
                <Choice id="customer-category" label=texts.category_label value=category options=category_options(locale) />
                {move || view! { <CustomInputs definitions=definitions.get() drafts checked=submitted /> }}
                {move || {
                    dupes
                        .get()
                        .filter(|d| !d.is_empty())
                        .map(|list| {
                            view! {
                                <div class="duplicates" role="status">
                                    <strong>{texts.possible_duplicates}</strong>
                                    <ul class="plain-list">
                                        {list
                                            .into_iter()
                                            .map(|(id, name, why)| {
                                                view! {
                                                    <li>
                                                        <a href=format!("/customers/{id}")>{name}</a>
                                                        " · "
                                                        {why}
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                </div>
                            }
                        })
                }}
                {move || {
                    let list = hints();
                    (!list.is_empty())
                        .then(|| {
                            view! {
                                <div class="duplicates" role="status" data-testid="duplicates-elsewhere">
                                    <strong>{texts.duplicates_elsewhere}</strong>
                                    <ul class="plain-list">{list}</ul>
                                </div>
                            }
                        })
                }}
                <p class="form-error" role="alert">{move || failure.get()}</p>
                <button type="submit" class="button primary">{texts.save}</button>
            </form>
        </section>
    }
}

/// The id a saved item gets: its own when it is edited, a new one when added.
fn item_id<T>(existing: &Option<(ItemId, T)>) -> ItemId {
    existing.as_ref().map_or_else(ItemId::new, |(id, _)| *id)
}

/// Logs a call, visit or other contact, or corrects one (`existing`).
#[component]
pub fn InteractionForm(
    customer: CustomerId,
    kind: InteractionKind,
    summary: &'static str,
    #[prop(optional)] existing: Option<(ItemId, Interaction)>,
    #[prop(into)] on_done: Callback<()>,
) -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let offline = use_offline();
    let was = existing.as_ref().map(|(_, i)| i.clone());
    let kind_value = RwSignal::new(wire_name(&was.as_ref().map_or(kind, |i| i.kind)));
    let summary = RwSignal::new(was.as_ref().map_or_else(|| summary.to_owned(), |i| i.summary.clone()));
    let satisfaction =
        RwSignal::new(was.as_ref().and_then(|i| i.satisfaction).map(|s| s.to_string()).unwrap_or_default());
    let follow_up =
        RwSignal::new(was.as_ref().and_then(|i| i.next_follow_up).map(|d| d.to_string()).unwrap_or_default());
    let failure = RwSignal::new(None::<String>);
    let follow_up_error =
        Signal::derive(move || check(locale, &follow_up.get(), |s| Date::parse_field(s, "date")));
    let kinds: Vec<(String, String)> = {
        use InteractionKind::*;
        [Visit, Call, Chat, Email, Meeting, Consultation, Complaint, AfterSales]
            .iter()
            .map(|k| (wire_name(k), k.label(locale)))
            .collect()
    };
    let item = item_id(&existing);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let interaction = Interaction {
            kind: from_wire(&kind_value.get_untracked()).unwrap_or(kind),
            // A correction keeps when it happened.
            at: was.as_ref().map_or(Timestamp(now_ms()), |i| i.at),
            summary: summary.get_untracked().trim().to_owned(),
            satisfaction: satisfaction.get_untracked().parse().ok(),
            next_follow_up: match parse_date(&follow_up.get_untracked(), "date") {
                Ok(day) => day,
                Err(error) => return failure.set(Some(field_error_message(locale, &error))),
            },
        };
        if let Err(errors) = validate::interaction(&interaction) {
            return failure.set(message_for(locale, &errors, &errors[0].field));
        }
        let change = Change::PutInteraction { id: item, interaction, base: offline.base(&customer) };
        match offline.record(customer, change) {
            Ok(_) => on_done.run(()),
            Err(error) => failure.set(Some(record_error_message(locale, &error))),
        }
    };
    let remove = existing.map(|(id, _)| (customer, ItemKind::Interaction, id));
    view! {
        <form class="stacked-form quick-form" novalidate on:submit=save data-form="interaction">
            <Choice id="interaction-kind" label=texts.kind_label value=kind_value options=kinds />
            <TextArea id="interaction-summary" label=texts.summary_label value=summary />
            <Choice id="interaction-satisfaction" label=texts.satisfaction_label value=satisfaction options=satisfaction_options() />
            <Field id="interaction-follow-up" label=texts.next_follow_up_label value=follow_up error=follow_up_error kind="date" />
            <FormButtons failure on_done remove />
        </form>
    }
}

fn satisfaction_options() -> Vec<(String, String)> {
    std::iter::once((String::new(), "—".to_owned()))
        .chain((1..=5).map(|n| (n.to_string(), "★".repeat(n))))
        .collect()
}

/// Save and cancel, with the message of a failed save above them; for an
/// item being edited, a delete that asks once more before it records.
#[component]
pub(super) fn FormButtons(
    failure: RwSignal<Option<String>>,
    on_done: Callback<()>,
    /// The item this form edits, which may be removed.
    #[prop(optional_no_strip)]
    remove: Option<(CustomerId, ItemKind, ItemId)>,
) -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let offline = use_offline();
    let confirming = RwSignal::new(false);
    let remove_button = remove.map(|(customer, kind, id)| {
        let remove = move |_| {
            if !confirming.get_untracked() {
                return confirming.set(true);
            }
            match offline.record(customer, Change::RemoveItem { kind, id, base: offline.base(&customer) }) {
                Ok(_) => on_done.run(()),
                Err(error) => failure.set(Some(record_error_message(locale, &error))),
            }
        };
        view! {
            <button type="button" class="button danger" data-testid="remove-item" on:click=remove>
                {move || if confirming.get() { texts.remove_confirm } else { texts.remove_item }}
            </button>
        }
    });
    view! {
        <p class="form-error" role="alert">{move || failure.get()}</p>
        <div class="button-row">
            <button type="submit" class="button primary">{texts.save}</button>
            <button type="button" class="button" on:click=move |_| on_done.run(())>{texts.cancel}</button>
            {remove_button}
        </div>
    }
}

/// Adds an order, or corrects one (`existing`).
#[component]
pub fn OrderForm(
    customer: CustomerId,
    #[prop(optional)] existing: Option<(ItemId, Order)>,
    #[prop(into)] on_done: Callback<()>,
) -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let offline = use_offline();
    let was = existing.as_ref().map(|(_, o)| o);
    let product = RwSignal::new(was.map(|o| o.product.clone()).unwrap_or_default());
    let quantity = RwSignal::new(was.map_or(1, |o| o.quantity).to_string());
    let amount = RwSignal::new(
        was.map(|o| format!("{}.{:02}", o.amount.minor / 100, o.amount.minor % 100)).unwrap_or_default(),
    );
    // A correction keeps the order's currency.
    let currency = was.map_or_else(Currency::cny, |o| o.amount.currency.clone());
    let date = RwSignal::new(was.map_or_else(today, |o| o.date).to_string());
    let channel = RwSignal::new(was.and_then(|o| o.channel.clone()).unwrap_or_default());
    let ends_on = RwSignal::new(was.and_then(|o| o.ends_on).map(|d| d.to_string()).unwrap_or_default());
    let failure = RwSignal::new(None::<String>);
    let amount_error = Signal::derive({
        let currency = currency.clone();
        move || check(locale, &amount.get(), |s| Money::parse(s, currency.clone()))
    });
    let quantity_error = Signal::derive(move || match quantity.get().trim().parse::<u32>() {
        Ok(0) => Some(field_error_message(locale, &FieldError::new("quantity", "not_positive"))),
        Ok(_) => None,
        Err(_) => Some(field_error_message(locale, &FieldError::new("quantity", "invalid"))),
    });
    let date_error = Signal::derive(move || check(locale, &date.get(), |s| Date::parse_field(s, "date")));
    let ends_on_error = Signal::derive(move || check(locale, &ends_on.get(), |s| parse_date(s, "ends_on")));
    let item = item_id(&existing);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let order = (|| -> Result<Order, FieldError> {
            Ok(Order {
                product: product.get_untracked().trim().to_owned(),
                quantity: quantity
                    .get_untracked()
                    .trim()
                    .parse()
                    .map_err(|_| FieldError::new("quantity", "invalid"))?,
                amount: Money::parse(&amount.get_untracked(), currency.clone())?,
                date: Date::parse_field(&date.get_untracked(), "date")?,
                channel: optional(&channel.get_untracked()),
                ends_on: parse_date(&ends_on.get_untracked(), "ends_on")?,
            })
        })();
        let order = match order {
            Ok(order) => order,
            Err(error) => return failure.set(Some(field_error_message(locale, &error))),
        };
        if let Err(errors) = validate::order(&order) {
            return failure.set(message_for(locale, &errors, &errors[0].field));
        }
        let change = Change::PutOrder { id: item, order, base: offline.base(&customer) };
        match offline.record(customer, change) {
            Ok(_) => on_done.run(()),
            Err(error) => failure.set(Some(record_error_message(locale, &error))),
        }
    };
    let remove = existing.map(|(id, _)| (customer, ItemKind::Order, id));
    view! {
        <form class="stacked-form quick-form" novalidate on:submit=save data-form="order">
            <Field id="order-product" label=texts.product_label value=product />
            <Field id="order-quantity" label=texts.quantity_label value=quantity error=quantity_error inputmode="numeric" />
            <Field id="order-amount" label=texts.amount_label value=amount error=amount_error inputmode="decimal" />
            <Field id="order-date" label=texts.date_label value=date error=date_error kind="date" />
            <Field id="order-channel" label=texts.channel_label value=channel />
            <Field id="order-ends-on" label=texts.ends_on_label value=ends_on error=ends_on_error kind="date" />
            <FormButtons failure on_done remove />
        </form>
    }
}

/// Adds a reminder (a follow-up, maintenance date or review), or corrects one.
#[component]
pub fn TaskForm(
    customer: CustomerId,
    kind: TaskKind,
    #[prop(optional)] existing: Option<(ItemId, Task)>,
    #[prop(into)] on_done: Callback<()>,
) -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let offline = use_offline();
    let was = existing.as_ref().map(|(_, t)| t.clone());
    let kind_value = RwSignal::new(wire_name(&was.as_ref().map_or(kind, |t| t.kind)));
    let in_three_days = Date::from_days_since_epoch(today().days_since_epoch() + 3);
    let due = RwSignal::new(was.as_ref().map_or(in_three_days, |t| t.due).to_string());
    let note = RwSignal::new(was.as_ref().and_then(|t| t.note.clone()).unwrap_or_default());
    let failure = RwSignal::new(None::<String>);
    let due_error = Signal::derive(move || check(locale, &due.get(), |s| Date::parse_field(s, "due")));
    let kinds: Vec<(String, String)> =
        [TaskKind::FollowUp, TaskKind::Maintenance, TaskKind::Review, TaskKind::Birthday]
            .iter()
            .map(|k| (wire_name(k), k.label(locale)))
            .collect();
    let item = item_id(&existing);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let due = match Date::parse_field(&due.get_untracked(), "due") {
            Ok(day) => day,
            Err(error) => return failure.set(Some(field_error_message(locale, &error))),
        };
        let task = Task {
            kind: from_wire(&kind_value.get_untracked()).unwrap_or(kind),
            due,
            note: optional(&note.get_untracked()),
            done: was.as_ref().is_some_and(|t| t.done),
            assignee: was.as_ref().and_then(|t| t.assignee.clone()),
        };
        let change = Change::PutTask { id: item, task, base: offline.base(&customer) };
        match offline.record(customer, change) {
            Ok(_) => on_done.run(()),
            Err(error) => failure.set(Some(record_error_message(locale, &error))),
        }
    };
    let remove = existing.map(|(id, _)| (customer, ItemKind::Task, id));
    view! {
        <form class="stacked-form quick-form" novalidate on:submit=save data-form="task">
            <Choice id="task-kind" label=texts.kind_label value=kind_value options=kinds />
            <Field id="task-due" label=texts.due_label value=due error=due_error kind="date" />
            <Field id="task-note" label=texts.note_label value=note />
            <FormButtons failure on_done remove />
        </form>
    }
}

/// Records a complaint, suggestion or praise, or corrects one.
#[component]
pub fn FeedbackForm(
    customer: CustomerId,
    #[prop(optional)] existing: Option<(ItemId, Feedback)>,
    #[prop(into)] on_done: Callback<()>,
) -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let offline = use_offline();
    let was = existing.as_ref().map(|(_, f)| f.clone());
    let kind = RwSignal::new(was.as_ref().map_or_else(|| "complaint".to_owned(), |f| wire_name(&f.kind)));
    let content = RwSignal::new(was.as_ref().map(|f| f.content.clone()).unwrap_or_default());
    let satisfaction =
        RwSignal::new(was.as_ref().and_then(|f| f.satisfaction).map(|s| s.to_string()).unwrap_or_default());
    let severity = RwSignal::new(wire_name(&was.as_ref().map(|f| f.severity).unwrap_or_default()));
    let severities: Vec<(String, String)> =
        Severity::ALL.iter().map(|s| (wire_name(s), s.label(locale))).collect();
    let failure = RwSignal::new(None::<String>);
    let kinds: Vec<(String, String)> =
        [FeedbackKind::Complaint, FeedbackKind::Suggestion, FeedbackKind::Praise]
            .iter()
            .map(|k| (wire_name(k), k.label(locale)))
            .collect();
    let item = item_id(&existing);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A correction keeps its status, resolution and when it came in.
        let feedback = Feedback {
            kind: from_wire(&kind.get_untracked()).unwrap_or(FeedbackKind::Complaint),
            content: content.get_untracked().trim().to_owned(),
            status: was.as_ref().map_or(FeedbackStatus::Open, |f| f.status),
            resolution: was.as_ref().and_then(|f| f.resolution.clone()),
            satisfaction: satisfaction.get_untracked().parse().ok(),
            received_at: was.as_ref().map_or(Timestamp(now_ms()), |f| f.received_at),
            severity: from_wire(&severity.get_untracked()).unwrap_or_default(),
        };
        if let Err(errors) = validate::feedback(&feedback) {
            return failure.set(message_for(locale, &errors, &errors[0].field));
        }
        let change = Change::PutFeedback { id: item, feedback, base: offline.base(&customer) };
        match offline.record(customer, change) {
            Ok(_) => on_done.run(()),
            Err(error) => failure.set(Some(record_error_message(locale, &error))),
        }
    };
    let remove = existing.map(|(id, _)| (customer, ItemKind::Feedback, id));
    view! {
        <form class="stacked-form quick-form" novalidate on:submit=save data-form="feedback">
            <Choice id="feedback-kind" label=texts.kind_label value=kind options=kinds />
            <TextArea id="feedback-content" label=texts.content_label value=content />
            {move || (kind.get() == "complaint").then(|| view! {
                <Choice id="feedback-severity" label=texts.severity_label value=severity options=severities.clone() />
            })}
            <Choice id="feedback-satisfaction" label=texts.satisfaction_label value=satisfaction options=satisfaction_options() />
            <FormButtons failure on_done remove />
        </form>
    }
}

/// Adds a contact person at a company, or corrects one.
#[component]
pub fn ContactForm(
    customer: CustomerId,
    #[prop(optional)] existing: Option<(ItemId, Contact)>,
    #[prop(into)] on_done: Callback<()>,
) -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let offline = use_offline();
    let was = existing.as_ref().map(|(_, c)| c);
    let name = RwSignal::new(was.map(|c| c.name.as_str().to_owned()).unwrap_or_default());
    let role = RwSignal::new(was.and_then(|c| c.role.clone()).unwrap_or_default());
    let phones = RwSignal::new(
        was.map(|c| c.phones.iter().map(|p| p.number.national()).collect::<Vec<_>>().join(", "))
            .unwrap_or_default(),
    );
    let email =
        RwSignal::new(was.and_then(|c| c.email.as_ref()).map(|e| e.as_str().to_owned()).unwrap_or_default());
    let failure = RwSignal::new(None::<String>);
    let phone_error = Signal::derive(move || check(locale, &phones.get(), parse_phones));
    let email_error = Signal::derive(move || check(locale, &email.get(), Email::parse));
    let item = item_id(&existing);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let contact = (|| -> Result<Contact, FieldError> {
            Ok(Contact {
                name: CustomerName::parse(&name.get_untracked())?,
                role: optional(&role.get_untracked()),
                phones: parse_phones(&phones.get_untracked())?,
                email: optional(&email.get_untracked()).map(|e| Email::parse(&e)).transpose()?,
            })
        })();
        let contact = match contact {
            Ok(contact) => contact,
            Err(error) => return failure.set(Some(field_error_message(locale, &error))),
        };
        let change = Change::PutContact { id: item, contact, base: offline.base(&customer) };
        match offline.record(customer, change) {
            Ok(_) => on_done.run(()),
            Err(error) => failure.set(Some(record_error_message(locale, &error))),
        }
    };
    let remove = existing.map(|(id, _)| (customer, ItemKind::Contact, id));
    view! {
        <form class="stacked-form quick-form" novalidate on:submit=save data-form="contact">
            <Field id="contact-name" label=texts.contact_name_label value=name />
            <Field id="contact-role" label=texts.contact_role_label value=role />
            <Field id="contact-phones" label=texts.phones_label value=phones error=phone_error kind="tel" inputmode="tel" />
            <Field id="contact-email" label=texts.email_label value=email error=email_error kind="email" />
            <FormButtons failure on_done remove />
        </form>
    }
}

/// Adds a tag.
#[component]
pub fn TagForm(customer: CustomerId) -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let offline = use_offline();
    let tag = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let tag_text = match validate::tag(&tag.get_untracked()) {
            Ok(tag) => tag,
            Err(error) => return failure.set(Some(field_error_message(locale, &error))),
        };
        match offline.record(customer, Change::AddTag { tag: tag_text, base: offline.base(&customer) }) {
            Ok(_) => {
                tag.set(String::new());
                failure.set(None);
            }
            Err(error) => failure.set(Some(record_error_message(locale, &error))),
        }
    };
    view! {
        <form class="inline-form" novalidate on:submit=save>
            <label class="visually-hidden" for="tag-new">{texts.tag_label}</label>
            <input id="tag-new" type="text" placeholder=texts.tag_label prop:value=move || tag.get() on:input=move |ev| tag.set(event_target_value(&ev)) />
            <button type="submit" class="button">{texts.add_tag}</button>
            <p class="field-error" role="alert">{move || failure.get()}</p>
        </form>
    }
}
