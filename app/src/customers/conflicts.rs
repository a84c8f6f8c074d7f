//! Conflicts on a customer's page: every value competing for a field, tag
//! or item, who wrote it and when; one tap keeps one of them.

use domain::Change;
use domain::archive::{Customer, FieldValue, Item, ItemKind, Subject};
use domain::custom_field::{CustomEdit, CustomFields};
use domain::ids::ItemId;
use domain::merge::{Candidate, Register};
use domain::mutation::FieldEdit;
use leptos::prelude::*;

use crate::form::record_error_message;
use crate::i18n::{Label, Locale, ago, texts, use_locale, use_texts};
use crate::offline::{describe_value, field_label, item_label, now_ms, use_offline};

/// One way to settle a conflict.
#[derive(Clone)]
struct Pick {
    value: String,
    author: String,
    client_time: i64,
    change: Change,
}

/// The open conflicts of `customer`, each with its competing values.
#[component]
pub fn ConflictPanel(customer: Customer) -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let offline = use_offline();
    let id = customer.id;
    let base = offline.base(&id);
    let failure = RwSignal::new(None::<String>);
    let definitions = offline.read(|r| r.meta().custom_fields.clone()).unwrap_or_default();
    let groups: Vec<(String, Vec<Pick>)> = customer
        .conflicts()
        .into_iter()
        .filter_map(|s| choices(&customer, &definitions, &s, base, locale))
        .collect();
    let now = now_ms();
    view! {
        <section class="card conflicts" role="region" aria-label=texts.conflict_title>
            <h2>{texts.conflict_title}</h2>
            <p class="muted">{texts.conflict_help}</p>
            {groups.into_iter().map(|(title, options)| { let subject = title.clone(); view! {
                <div class="conflict" data-subject=subject>
                    <h3>{title}</h3>
                    <ul class="plain-list">
                        {options.into_iter().map(|option| {
                            let change = option.change.clone();
                            view! {
                                <li class="candidate">
                                    <span class="candidate-value">{option.value}</span>
                                    <span class="muted">{format!("{} · {}", option.author, ago(locale, option.client_time, now))}</span>
                                    <button class="button primary" on:click=move |_| {
                                        if let Err(error) = offline.record(id, change.clone()) {
                                            failure.set(Some(record_error_message(locale, &error)));
                                        }
                                    }>{texts.keep_this}</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </div>
            }}).collect_view()}
            <p class="form-error" role="alert">{move || failure.get()}</p>
        </section>
    }
}

/// The distinct values of a register, each with the change that keeps it.
fn options_of<V: Clone + PartialEq>(
    register: &Register<V>,
    describe: impl Fn(&V) -> String,
    keep: impl Fn(V) -> Change,
) -> Vec<Pick> {
    let mut out: Vec<(V, Pick)> = Vec::new();
    for Candidate { value, stamp } in register.candidates() {
        if out.iter().any(|(v, _)| v == value) {
            continue;
        }
        let option = Pick {
            value: describe(value),
            author: stamp.author.0.clone(),
            client_time: stamp.client_time.0,
            change: keep(value.clone()),
        };
        out.push((value.clone(), option));
    }
    out.into_iter().map(|(_, o)| o).collect()
}

fn item_options<T: Clone + PartialEq>(
    items: &std::collections::BTreeMap<ItemId, Item<T>>,
    id: &ItemId,
    describe: impl Fn(&T) -> String,
    keep: impl Fn(ItemId, T) -> Change,
) -> Option<Vec<Pick>> {
    let item = items.get(id)?;
    Some(options_of(&item.content, describe, |v| keep(*id, v)))
}

fn choices(
    customer: &Customer,
    definitions: &CustomFields,
    subject: &Subject,
    base: u64,
    locale: Locale,
) -> Option<(String, Vec<Pick>)> {
    match subject {
        Subject::Field(name) => {
            let meta = customer.field_meta.get(name)?;
            let current = FieldValue::read(&customer.fields, *name);
            let register =
                Register { value: current, stamp: meta.stamp.clone(), rivals: meta.rivals.clone() };
            let options = options_of(
                &register,
                |v| describe_value(locale, v),
                |value| Change::ResolveConflict { edits: vec![FieldEdit { value, base }] },
            );
            Some((field_label(locale, *name), options))
        }
        Subject::Custom(key) => {
            let register = customer.custom_meta.get(key)?.register(customer.fields.custom.get(key).cloned());
            let english = locale == Locale::En;
            let field = definitions.get(key);
            let options = options_of(
                &register,
                |v| match (v, field) {
                    (None, _) => "—".to_owned(),
                    (Some(v), Some(field)) => field.show(v, english),
                    (Some(v), None) => v.text(),
                },
                |value| Change::SetCustom { edits: vec![CustomEdit { key: key.clone(), value, base }] },
            );
            Some((field.map_or(key.clone(), |f| f.label(english).to_owned()), options))
        }
        Subject::Tag(tag) => {
            let register = customer.tags.get(tag)?;
            let (on, off) = (texts(locale).keep_tag, texts(locale).drop_tag);
            let options = options_of(
                register,
                |v| (if *v { on } else { off }).to_owned(),
                |v| {
                    let tag = tag.clone();
                    if v { Change::AddTag { tag, base } } else { Change::RemoveTag { tag, base } }
                },
            );
            Some((format!("# {tag}"), options))
        }
        Subject::Item(kind, id) => {
            let title = item_label(locale, *kind);
            let options = match kind {
                ItemKind::Order => item_options(
                    &customer.orders,
                    id,
                    |o| format!("{} × {} · {}", o.product, o.quantity, o.amount),
                    |id, order| Change::PutOrder { id, order, base },
                ),
                ItemKind::Interaction => item_options(
                    &customer.interactions,
                    id,
                    |i| format!("{} · {}", i.kind.label(locale), i.summary),
                    |id, interaction| Change::PutInteraction { id, interaction, base },
                ),
                ItemKind::Feedback => item_options(
                    &customer.feedback,
                    id,
                    |f| format!("{} · {} · {}", f.kind.label(locale), f.status.label(locale), f.content),
                    |id, feedback| Change::PutFeedback { id, feedback, base },
                ),
                ItemKind::Task => item_options(
                    &customer.tasks,
                    id,
                    |t| format!("{} · {}{}", t.kind.label(locale), t.due, if t.done { " ✓" } else { "" }),
                    |id, task| Change::PutTask { id, task, base },
                ),
                ItemKind::Contact => item_options(
                    &customer.contacts,
                    id,
                    |c| c.name.as_str().to_owned(),
                    |id, contact| Change::PutContact { id, contact, base },
                ),
            }?;
            Some((title, options))
        }
        Subject::Deletion => None,
    }
}
