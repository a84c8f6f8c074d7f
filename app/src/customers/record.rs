//! One customer's page: figures at the top, quick actions, conflicts, and
//! tabs for basics and contacts, orders, interactions, preferences and tags,
//! feedback, and history. Everything reads the replica, so it works offline.

use domain::Change;
use domain::archive::{
    Customer, FeedbackStatus, FieldValue, InteractionKind, Item, ItemKind, PartyKind, Task, TaskKind,
};
use domain::derived::figures;
use domain::ids::{CustomerId, ItemId, UserId};
use domain::replica::Cached;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;

use super::basics::BasicsForm;
use super::conflicts::ConflictPanel;
use super::custom::{CustomFacts, CustomForm};
use super::forms::{ContactForm, FeedbackForm, InteractionForm, OrderForm, TagForm, TaskForm};
use super::get_customer;
use super::preferences::{ConsentForm, PreferencesForm};
use crate::form::record_error_message;
use crate::i18n::{Label, Locale, birthday_text, fill, money, use_locale, use_texts};
use crate::offline::{
    Offline, consent_summary, describe_value, field_label, item_label, now_ms, today, use_offline,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Basics,
    Orders,
    Interactions,
    Preferences,
    Feedback,
    History,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quick {
    Visit,
    Call,
    Order,
    FollowUp,
    Edit,
    Contact,
    Feedback,
    Task,
    Preferences,
    Consent,
    Custom,
    Reassign,
    Release,
    EditContact(ItemId),
    EditOrder(ItemId),
    EditInteraction(ItemId),
    EditTask(ItemId),
    EditFeedback(ItemId),
}

/// `/customers/:id`.
#[component]
pub fn CustomerPage() -> impl IntoView {
    let texts = use_texts();
    let offline = use_offline();
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|s| s.parse::<CustomerId>().ok()));
    let customer = Memo::new(move |_| {
        let id = id.get()?;
        offline.read(|r| (r.customer(&id).cloned(), r.cached(&id).is_some_and(|c| c.masked)))
    });
    // Opened online but not on this device (evicted, or new to this
    // person): fetch it once and keep it.
    Effect::new(move |_| {
        if let (Some(id), Some((None, _))) = (id.get(), customer.get()) {
            spawn_local(async move {
                if let Ok(detail) = get_customer(id.to_string()).await {
                    offline.keep(Cached {
                        customer: detail.customer,
                        masked: detail.masked,
                        keys: Default::default(),
                        used: now_ms(),
                    });
                }
            });
        }
    });
    Effect::new(move |_| {
        if let Some(id) = id.get() {
            offline.touch(id);
        }
    });

    // The record is built once per archive: a pull that changes it updates
    // what is shown in place and never closes a form the rep is typing in.
    let shown = Memo::new(move |_| customer.get().map(|(c, _)| c.map(|c| c.id)));
    move || match shown.get() {
        None => view! { <p class="muted">{texts.loading}</p> }.into_any(),
        Some(None) => view! {
            <section class="card">
                <p class="muted">{texts.not_cached}</p>
                <a class="button" href="/customers">{texts.back}</a>
            </section>
        }
        .into_any(),
        Some(Some(id)) => {
            let current = Signal::derive(move || customer.get().and_then(|(c, m)| Some((c?, m))));
            view! { <Record id current /> }.into_any()
        }
    }
}

/// The archive as it is now, and whether its sensitive fields are masked.
type Current = Signal<Option<(Customer, bool)>>;

/// Whether the one thing the viewer may do with the archive is claim it
/// (a rep looking into their pool): the record then offers no form the
/// server would refuse.
#[derive(Debug, Clone, Copy)]
struct ClaimOnly(Signal<bool>);

/// Whether the record's forms are offered (see [`ClaimOnly`]).
fn forms_offered() -> impl Fn() -> bool + Copy {
    let claim_only = use_context::<ClaimOnly>();
    move || !claim_only.is_some_and(|c| c.0.get())
}

#[component]
fn Record(id: CustomerId, current: Current) -> impl IntoView {
    let texts = use_texts();
    let tab = RwSignal::new(Tab::Basics);
    let quick = RwSignal::new(None::<Quick>);
    let close = Callback::new(move |()| quick.set(None));
    let user = crate::auth::use_current_user();
    provide_context(ClaimOnly(Signal::derive(move || {
        let viewer = user.get().and_then(Result::ok).flatten().map(|u| u.viewer());
        current.with(|c| match (viewer, c) {
            (Some(viewer), Some((customer, _))) => domain::policy::only_claimable(&viewer, customer),
            _ => false,
        })
    })));
    let offered = forms_offered();
    let quick_button = move |which: Quick, text: &'static str| {
        view! {
            <button
                class="button quick"
                aria-pressed=move || (quick.get() == Some(which)).to_string()
                on:click=move |_| quick.update(|q| *q = if *q == Some(which) { None } else { Some(which) })
            >
                {text}
            </button>
        }
    };
    let tab_button = move |which: Tab, text: &'static str| {
        view! {
            <button
                role="tab"
                class="tab"
                aria-selected=move || (tab.get() == which).to_string()
                on:click=move |_| tab.set(which)
            >
                {text}
            </button>
        }
    };

    view! {
        <article class="record" data-customer=id.to_string()>
            <section class="card record-head">
                <a class="button link back-link" href="/customers">{texts.back}</a>
                {move || current.get().map(|(customer, masked)| view! { <Summary customer masked /> })}
                <Show
                    when=offered
                    fallback=move || view! { <p class="muted" data-testid="claim-to-edit">{texts.pool.claim_to_edit}</p> }
                >
                    <div class="quick-actions">
                        {quick_button(Quick::Visit, texts.quick_visit)}
                        {quick_button(Quick::Call, texts.quick_call)}
                        {quick_button(Quick::Order, texts.quick_order)}
                        {quick_button(Quick::FollowUp, texts.quick_follow_up)}
                    </div>
                </Show>
                {move || quick.get().map(|q| match q {
                    Quick::Visit => view! { <InteractionForm customer=id kind=InteractionKind::Visit summary=texts.visit_default on_done=close /> }.into_any(),
                    Quick::Call => view! { <InteractionForm customer=id kind=InteractionKind::Call summary=texts.call_default on_done=close /> }.into_any(),
                    Quick::Order => view! { <OrderForm customer=id on_done=close /> }.into_any(),
                    Quick::FollowUp => view! { <TaskForm customer=id kind=TaskKind::FollowUp on_done=close /> }.into_any(),
                    Quick::Task => view! { <TaskForm customer=id kind=TaskKind::Maintenance on_done=close /> }.into_any(),
                    // The form starts from the archive as it was when opened.
                    Quick::Edit => match current.get_untracked() {
                        Some((customer, masked)) => view! { <BasicsForm customer masked on_done=close /> }.into_any(),
                        None => ().into_any(),
                    },
                    Quick::Preferences => match current.get_untracked() {
                        Some((customer, _)) => view! { <PreferencesForm customer on_done=close /> }.into_any(),
                        None => ().into_any(),
                    },
                    Quick::Consent => match current.get_untracked() {
                        Some((customer, _)) => view! { <ConsentForm customer on_done=close /> }.into_any(),
                        None => ().into_any(),
                    },
                    Quick::Custom => match current.get_untracked() {
                        Some((customer, _)) => view! { <CustomForm customer on_done=close /> }.into_any(),
                        None => ().into_any(),
                    },
                    Quick::Reassign => match current.get_untracked() {
                        Some((customer, _)) => view! {
                            <super::reassign::ReassignForm customer=id keeper=customer.fields.owner.clone() on_done=close />
                        }.into_any(),
                        None => ().into_any(),
                    },
                    Quick::Release => view! { <crate::pool::ReleaseForm customer=id on_done=close /> }.into_any(),
                    Quick::Contact => view! { <ContactForm customer=id on_done=close /> }.into_any(),
                    // An item's form starts from the item as it was when opened.
                    Quick::EditContact(item) => match item_of(current, item, |c| &c.contacts) {
                        Some(contact) => view! { <ContactForm customer=id existing=(item, contact) on_done=close /> }.into_any(),
                        None => ().into_any(),
                    },
                    Quick::EditOrder(item) => match item_of(current, item, |c| &c.orders) {
                        Some(order) => view! { <OrderForm customer=id existing=(item, order) on_done=close /> }.into_any(),
                        None => ().into_any(),
                    },
                    Quick::EditInteraction(item) => match item_of(current, item, |c| &c.interactions) {
                        Some(i) => view! { <InteractionForm customer=id kind=i.kind summary="" existing=(item, i) on_done=close /> }.into_any(),
                        None => ().into_any(),
                    },
                    Quick::EditTask(item) => match item_of(current, item, |c| &c.tasks) {
                        Some(task) => view! { <TaskForm customer=id kind=task.kind existing=(item, task) on_done=close /> }.into_any(),
                        None => ().into_any(),
                    },
                    Quick::EditFeedback(item) => match item_of(current, item, |c| &c.feedback) {
                        Some(feedback) => view! { <FeedbackForm customer=id existing=(item, feedback) on_done=close /> }.into_any(),
                        None => ().into_any(),
                    },
                    Quick::Feedback => view! { <FeedbackForm customer=id on_done=close /> }.into_any(),
                })}
            </section>
            {move || {
                current
                    .get()
                    .filter(|(c, _)| c.has_conflicts())
                    .map(|(customer, _)| view! { <ConflictPanel customer /> })
            }}
            <nav class="tabs" role="tablist">
                {tab_button(Tab::Basics, texts.tab_basics)}
                {tab_button(Tab::Orders, texts.tab_orders)}
                {tab_button(Tab::Interactions, texts.tab_interactions)}
                {tab_button(Tab::Preferences, texts.tab_preferences)}
                {tab_button(Tab::Feedback, texts.tab_feedback)}
                {tab_button(Tab::History, texts.tab_history)}
            </nav>
            <section class="card tab-panel" role="tabpanel">
                {move || {
                    let (c, _) = current.get()?;
                    Some(match tab.get() {
                        Tab::Basics => view! { <Basics customer=c quick /> }.into_any(),
                        Tab::Orders => view! { <Orders customer=c quick /> }.into_any(),
                        Tab::Interactions => view! { <Interactions customer=c quick /> }.into_any(),
                        Tab::Preferences => view! { <PreferencesAndTags customer=c quick /> }.into_any(),
                        Tab::Feedback => view! { <FeedbackList customer=c quick /> }.into_any(),
                        Tab::History => view! { <History customer=c /> }.into_any(),
                    })
                }}
            </section>
        </article>
    }
}

/// Name, classification and the figures at the top of the record.
#[component]
fn Summary(customer: Customer, masked: bool) -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let offline = use_offline();
    let id = customer.id;
    let pending = move || offline.read(|r| r.has_pending(&id)).unwrap_or(false);
    let sums = figures(&customer, today());
    let total = if sums.total_spent.is_empty() {
        money(0, "CNY")
    } else {
        sums.total_spent.iter().map(|(c, m)| money(*m, c.as_str())).collect::<Vec<_>>().join(" + ")
    };
    let last = match sums.days_since_last_contact {
        Some(days) => fill(texts.days_ago, &[("n", &days.to_string())]),
        None => texts.never_contacted.to_owned(),
    };
    let satisfaction =
        sums.satisfaction_x100.map_or("—".to_owned(), |s| format!("{:.1}", f64::from(s) / 100.0));
    view! {
        <h1 class="record-name">{customer.fields.name.as_str().to_owned()}</h1>
        <p class="row-meta">
            <span class="chip">{customer.fields.stage.label(locale)}</span>
            <span class="chip">{customer.fields.category.label(locale)}</span>
            {customer.fields.address.city.clone().map(|c| view! { <span class="chip">{c}</span> })}
            {move || pending().then(|| view! { <span class="chip pending">{texts.unsynced}</span> })}
        </p>
        {masked.then(|| view! { <p class="muted">{texts.masked_note}</p> })}
        <dl class="figures">
            <div><dt>{texts.total_spent}</dt><dd data-testid="total-spent">{total}</dd></div>
            <div><dt>{texts.order_count}</dt><dd data-testid="order-count">{sums.order_count}</dd></div>
            <div><dt>{texts.last_contact}</dt><dd>{last}</dd></div>
            <div><dt>{texts.avg_satisfaction}</dt><dd>{satisfaction}</dd></div>
        </dl>
    }
}

/// The current content of one item of the archive, if it is still shown.
fn item_of<T: Clone + PartialEq>(
    current: Current,
    item: ItemId,
    list: impl Fn(&Customer) -> &std::collections::BTreeMap<ItemId, Item<T>>,
) -> Option<T> {
    let (customer, _) = current.get_untracked()?;
    list(&customer).get(&item).filter(|i| !i.hidden()).map(|i| i.value().clone())
}

/// A small button on a listed item that opens its form.
fn edit_button(quick: RwSignal<Option<Quick>>, which: Quick) -> impl IntoView {
    let texts = use_texts();
    view! {
        <Show when=forms_offered()>
            <button class="button link item-edit" data-testid="edit-item" on:click=move |_| {
                quick.set(Some(which));
                window().scroll_to_with_x_and_y(0.0, 0.0);
            }>{texts.edit}</button>
        </Show>
    }
}

/// What a colleague is called: their display name once a pull has brought it.
fn name_of(offline: Offline, user: &UserId) -> String {
    offline.read(|r| r.name_of(user).to_owned()).unwrap_or_else(|| user.0.clone())
}

/// A button that opens one of the record's forms.
fn open_button(quick: RwSignal<Option<Quick>>, which: Quick, text: &'static str) -> impl IntoView {
    view! {
        <Show when=forms_offered()>
            <button class="button" on:click=move |_| {
                quick.set(Some(which));
                window().scroll_to_with_x_and_y(0.0, 0.0);
            }>{text}</button>
        </Show>
    }
}

#[component]
fn Basics(customer: Customer, quick: RwSignal<Option<Quick>>) -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let offline = use_offline();
    let f = &customer.fields;
    let customer_id = customer.id;
    let definitions = offline.read(|r| r.meta().custom_fields.clone()).unwrap_or_default();
    let not_set = || texts.not_set.to_owned();
    let fact = |label: &'static str, value: String| view! { <dt>{label}</dt><dd>{value}</dd> };
    // Managers and admins hand an archive over from here; the server checks it again.
    let user = crate::auth::use_current_user();
    let runs_team = move || {
        user.get().and_then(Result::ok).flatten().is_some_and(|u| domain::policy::may_reassign(&u.viewer()))
    };
    // A rep keeping it may send it back to the pool; from the pool anyone may claim it.
    let keeper = f.owner.clone();
    let keeps_it = move || {
        user.get().and_then(Result::ok).flatten().is_some_and(|u| Some(&u.id) == keeper.as_ref())
            && !runs_team()
    };
    let in_pool = f.owner.is_none();
    let review_category = f.category.clone();
    let claim_failure = RwSignal::new(None::<String>);
    let claim = move |_| claim_failure.set(crate::pool::claim(offline, locale, customer_id).err());
    let phones = f
        .phones
        .iter()
        .map(|p| view! { <a class="phone-link" href=format!("tel:{}", p.number.e164())>{format!("{} {}", p.label.label(locale), p.number)}</a> })
        .collect_view();
    let contacts: Vec<_> = customer
        .contacts
        .iter()
        .filter(|(_, c)| !c.hidden())
        .map(|(id, c)| (*id, c.value().clone()))
        .collect();
    let tasks: Vec<(ItemId, Task)> = customer
        .tasks
        .iter()
        .filter(|(_, t)| !t.hidden() && !t.value().done)
        .map(|(id, t)| (*id, t.value().clone()))
        .collect();
    let id = customer.id;
    // A person's own facts, or a company's: those of the kind it is now.
    let kind_facts = match f.kind {
        PartyKind::Person => view! {
            {fact(texts.gender_label, describe_value(locale, &FieldValue::Gender(f.gender)))}
            {fact(texts.birthday_label, f.birthday.map_or_else(not_set, |d| birthday_text(locale, d, f.birthday_lunar)))}
            {fact(texts.occupation_label, f.occupation.clone().unwrap_or_else(not_set))}
        }
        .into_any(),
        PartyKind::Company => view! {
            {fact(texts.industry_label, describe_value(locale, &FieldValue::Industry(f.industry.clone())))}
            {fact(texts.company_size_label, describe_value(locale, &FieldValue::CompanySize(f.company_size)))}
        }
        .into_any(),
    };
    view! {
        <div class="section-head">
            <h2>{texts.tab_basics}</h2>
            {open_button(quick, Quick::Edit, texts.edit)}
        </div>
        <dl class="facts" data-testid="basics">
            {fact(texts.kind_label, f.kind.label(locale))}
            {kind_facts}
            {f.id_number.clone().map(|number| fact(texts.id_number_label, number))}
            <dt>{texts.phones_label}</dt>
            <dd data-testid="phones">{if f.phones.is_empty() { view! { <span>{not_set()}</span> }.into_any() } else { phones.into_any() }}</dd>
            {fact(texts.email_label, describe_value(locale, &FieldValue::Emails(f.emails.clone())))}
            {fact(texts.address_whole_label, describe_value(locale, &FieldValue::Address(f.address.clone())))}
            {fact(texts.region_label, f.region.clone().unwrap_or_else(not_set))}
            {fact(texts.source_label, f.source.label(locale))}
            <dt>{texts.owner_label}</dt>
            <dd data-testid="keeper">
                {f.owner.as_ref().map_or_else(not_set, |o| name_of(offline, o))}
                <Show when=runs_team>{open_button(quick, Quick::Reassign, texts.team.reassign)}</Show>
                <Show when=keeps_it>{open_button(quick, Quick::Release, texts.pool.release)}</Show>
                {in_pool.then(|| view! {
                    <button class="button primary" data-action="claim" on:click=claim>{texts.pool.claim}</button>
                })}
                {move || claim_failure.get().map(|m| view! { <p class="form-error">{m}</p> })}
            </dd>
            <dt>{texts.next_review_label}</dt>
            <dd data-testid="next-review">
                {f.next_review_at.map_or_else(not_set, |d| d.to_string())}
                <Show when=forms_offered()>
                    <crate::review::ReviewedButton customer=customer_id category=review_category.clone() />
                </Show>
            </dd>
        </dl>
        {(definitions.active().next().is_some() || !f.custom.is_empty()).then(|| view! {
            <div class="section-head">
                <h2>{texts.custom_fields_title}</h2>
                {open_button(quick, Quick::Custom, texts.edit)}
            </div>
            <CustomFacts values=f.custom.clone() definitions />
        })}
        <div class="section-head">
            <h2>{texts.contacts_title}</h2>
            {open_button(quick, Quick::Contact, texts.add_contact)}
        </div>
        {if contacts.is_empty() {
            view! { <p class="muted">{texts.none_yet}</p> }.into_any()
        } else {
            view! {
                <ul class="plain-list">
                    {contacts.into_iter().map(|(item, c)| view! {
                        <li class="item-row" data-testid="contact">
                            <span>
                                <strong>{c.name.as_str().to_owned()}</strong>
                                {c.role.map(|r| format!(" · {r}"))}
                                {c.phones.first().map(|p| view! { " · " <a href=format!("tel:{}", p.number.e164())>{p.number.to_string()}</a> })}
                            </span>
                            {edit_button(quick, Quick::EditContact(item))}
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        <div class="section-head">
            <h2>{texts.tasks_title}</h2>
            {open_button(quick, Quick::Task, texts.add_task)}
        </div>
        <TaskList customer=id tasks quick />
    }
}

#[component]
fn TaskList(
    customer: CustomerId,
    tasks: Vec<(ItemId, Task)>,
    quick: RwSignal<Option<Quick>>,
) -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let offline = use_offline();
    let failure = RwSignal::new(None::<String>);
    if tasks.is_empty() {
        return view! { <p class="muted">{texts.none_yet}</p> }.into_any();
    }
    view! {
        <ul class="plain-list task-list">
            {tasks.into_iter().map(|(item, task)| {
                let done = Task { done: true, ..task.clone() };
                view! {
                    <li class="task">
                        <span>{format!("{} · {}", task.kind.label(locale), task.due)}{task.note.map(|n| format!(" · {n}"))}</span>
                        <button class="button" on:click=move |_| {
                            let change = Change::PutTask { id: item, task: done.clone(), base: offline.base(&customer) };
                            if let Err(error) = offline.record(customer, change) {
                                failure.set(Some(record_error_message(locale, &error)));
                            }
                        }>{texts.mark_done}</button>
                        {edit_button(quick, Quick::EditTask(item))}
                    </li>
                }
            }).collect_view()}
        </ul>
        <p class="form-error" role="alert">{move || failure.get()}</p>
    }
    .into_any()
}

#[component]
fn Orders(customer: Customer, quick: RwSignal<Option<Quick>>) -> impl IntoView {
    let texts = use_texts();
    let mut orders: Vec<_> =
        customer.orders.iter().filter(|(_, o)| !o.hidden()).map(|(id, o)| (*id, o.value().clone())).collect();
    orders.sort_by_key(|(_, o)| std::cmp::Reverse(o.date));
    let total: i64 =
        orders.iter().filter(|(_, o)| o.amount.currency.as_str() == "CNY").map(|(_, o)| o.amount.minor).sum();
    view! {
        <div class="section-head">
            <h2>{texts.tab_orders}</h2>
            {open_button(quick, Quick::Order, texts.quick_order)}
        </div>
        {if orders.is_empty() {
            view! { <p class="muted">{texts.none_yet}</p> }.into_any()
        } else {
            view! {
                <table class="data-table orders">
                    <thead><tr><th>{texts.date_label}</th><th>{texts.product_label}</th><th>{texts.quantity_label}</th><th class="num">{texts.amount_label}</th><th><span class="visually-hidden">{texts.edit}</span></th></tr></thead>
                    <tbody>
                        {orders.into_iter().map(|(item, o)| view! {
                            <tr data-testid="order">
                                <td>{o.date.to_string()}</td>
                                <td>
                                    {o.product}{o.channel.map(|c| format!(" · {c}"))}
                                    {o.ends_on.map(|end| view! {
                                        <span class="muted ends-on">{texts.ends_on_label}" "<time datetime=end.to_string()>{end.to_string()}</time></span>
                                    })}
                                </td>
                                <td>{o.quantity}</td>
                                <td class="num">{money(o.amount.minor, o.amount.currency.as_str())}</td>
                                <td>{edit_button(quick, Quick::EditOrder(item))}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                    <tfoot><tr><th colspan="3">{texts.total_spent}</th><th class="num">{money(total, "CNY")}</th><th></th></tr></tfoot>
                </table>
            }.into_any()
        }}
    }
}

#[component]
fn Interactions(customer: Customer, quick: RwSignal<Option<Quick>>) -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let mut items: Vec<_> = customer
        .interactions
        .iter()
        .filter(|(_, i)| !i.hidden())
        .map(|(id, i)| (*id, i.value().clone()))
        .collect();
    items.sort_by_key(|(_, i)| std::cmp::Reverse(i.at));
    view! {
        <div class="section-head">
            <h2>{texts.tab_interactions}</h2>
            {open_button(quick, Quick::Visit, texts.add_interaction)}
        </div>
        {if items.is_empty() {
            view! { <p class="muted">{texts.none_yet}</p> }.into_any()
        } else {
            view! {
                <ol class="timeline">
                    {items.into_iter().map(|(item, i)| view! {
                        <li class="timeline-item" data-testid="interaction">
                            {edit_button(quick, Quick::EditInteraction(item))}
                            <span class="timeline-when">{i.at.local_date().to_string()}</span>
                            <strong>{i.kind.label(locale)}</strong>
                            <p>{i.summary}</p>
                            {i.satisfaction.map(|s| view! { <span class="muted">{"★".repeat(s as usize)}</span> })}
                            {i.next_follow_up.map(|d| view! { <span class="muted">{format!(" · {} {d}", texts.next_follow_up_label)}</span> })}
                        </li>
                    }).collect_view()}
                </ol>
            }.into_any()
        }}
    }
}

#[component]
fn PreferencesAndTags(customer: Customer, quick: RwSignal<Option<Quick>>) -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let offline = use_offline();
    let id = customer.id;
    let failure = RwSignal::new(None::<String>);
    let prefs = customer.fields.preferences.clone();
    let consent = consent_summary(locale, &customer.fields.consent);
    let tags: Vec<String> = customer.visible_tags().map(str::to_owned).collect();
    let join = |set: &std::collections::BTreeSet<String>| {
        if set.is_empty() {
            texts.not_set.to_owned()
        } else {
            set.iter().cloned().collect::<Vec<_>>().join("、")
        }
    };
    view! {
        <h2>{texts.tags_title}</h2>
        <ul class="tag-list">
            {tags.into_iter().map(|tag| {
                let removing = tag.clone();
                view! {
                    <li class="tag">
                        <span>{tag}</span>
                        <button class="button link" aria-label=texts.remove on:click=move |_| {
                            let change = Change::RemoveTag { tag: removing.clone(), base: offline.base(&id) };
                            if let Err(error) = offline.record(id, change) {
                                failure.set(Some(record_error_message(locale, &error)));
                            }
                        }>"×"</button>
                    </li>
                }
            }).collect_view()}
        </ul>
        <p class="form-error" role="alert">{move || failure.get()}</p>
        <TagForm customer=id />
        <div class="section-head">
            <h2>{texts.preferences_title}</h2>
            {open_button(quick, Quick::Preferences, texts.edit_preferences)}
        </div>
        <dl class="facts" data-testid="preferences">
            <dt>{texts.brands_label}</dt><dd>{join(&prefs.brands)}</dd>
            <dt>{texts.colours_label}</dt><dd>{join(&prefs.colours)}</dd>
            <dt>{texts.contact_channel_label}</dt><dd>{prefs.contact_channel.map_or_else(|| texts.not_set.to_owned(), |c| c.label(locale))}</dd>
            <dt>{texts.contact_time_label}</dt><dd>{prefs.contact_time.unwrap_or_else(|| texts.not_set.to_owned())}</dd>
            {prefs.notes.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
        </dl>
        <div class="section-head">
            <h2>{texts.consent_label}</h2>
            {open_button(quick, Quick::Consent, texts.edit_consent)}
        </div>
        <p data-testid="consent">{consent}</p>
    }
}

#[component]
fn FeedbackList(customer: Customer, quick: RwSignal<Option<Quick>>) -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let offline = use_offline();
    let id = customer.id;
    let failure = RwSignal::new(None::<String>);
    let items: Vec<_> =
        customer.feedback.iter().filter(|(_, f)| !f.hidden()).map(|(k, f)| (*k, f.value().clone())).collect();
    view! {
        <div class="section-head">
            <h2>{texts.tab_feedback}</h2>
            {open_button(quick, Quick::Feedback, texts.add_feedback)}
        </div>
        {if items.is_empty() {
            view! { <p class="muted">{texts.none_yet}</p> }.into_any()
        } else {
            view! {
                <ul class="plain-list feedback-list">
                    {items.into_iter().map(|(item, fb)| {
                        let current = fb.status;
                        let next: Vec<FeedbackStatus> = [FeedbackStatus::InProgress, FeedbackStatus::Resolved, FeedbackStatus::Closed]
                            .into_iter()
                            .filter(|s| *s != current && current.may_become(*s))
                            .collect();
                        let feedback = fb.clone();
                        view! {
                            <li class="feedback">
                                <strong>{format!("{} · {}", fb.kind.label(locale), fb.status.label(locale))}</strong>
                                // A complaint names its severity and the day it is due by.
                                {(fb.kind == domain::archive::FeedbackKind::Complaint).then(|| view! {
                                    <p class="muted" data-testid="complaint-deadline">
                                        {fill(texts.complaint_deadline, &[
                                            ("severity", &fb.severity.label(locale)),
                                            ("date", &fb.deadline().to_string()),
                                        ])}
                                    </p>
                                })}
                                <p>{fb.content.clone()}</p>
                                <div class="button-row">
                                    {edit_button(quick, Quick::EditFeedback(item))}
                                    {next.into_iter().map(|status| {
                                        let updated = domain::archive::Feedback { status, ..feedback.clone() };
                                        view! {
                                            <button class="button" on:click=move |_| {
                                                let change = Change::PutFeedback { id: item, feedback: updated.clone(), base: offline.base(&id) };
                                                if let Err(error) = offline.record(id, change) {
                                                    failure.set(Some(record_error_message(locale, &error)));
                                                }
                                            }>{status.label(locale)}</button>
                                        }
                                    }).collect_view()}
                                </div>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        <p class="form-error" role="alert">{move || failure.get()}</p>
    }
}

/// Who changed what, from the stamps every value carries, newest first;
/// changes made here and not yet synced come first.
#[component]
fn History(customer: Customer) -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let offline = use_offline();
    let id = customer.id;
    let local: Vec<String> = offline
        .read(|r| {
            r.pending()
                .iter()
                .filter(|m| m.customer == id)
                .map(|m| crate::offline::change_summary(locale, r, m))
                .collect()
        })
        .unwrap_or_default();
    // Online, the server's trail: every change with its old and new value.
    // Offline, what the archive itself remembers: who last changed what.
    let trail = Resource::new(move || id.to_string(), crate::audit::customer_history);
    let known = move || {
        let entries = history(&customer, locale, |user| name_of(offline, user));
        view! {
            <p class="muted">{texts.audit.offline_history}</p>
            <ol class="timeline history">
                {entries.into_iter().map(|(when, line)| view! {
                    <li class="timeline-item"><span class="timeline-when">{when}</span><p>{line}</p></li>
                }).collect_view()}
            </ol>
        }
    };
    view! {
        <h2>{texts.tab_history}</h2>
        // Changes waiting to sync, above whichever history is shown.
        <ol class="timeline pending-changes">
            {local.into_iter().map(|line| view! {
                <li class="timeline-item local"><span class="timeline-when">{texts.history_local}</span><p>{line}</p></li>
            }).collect_view()}
        </ol>
        <Transition fallback=move || view! { <p class="muted">{texts.loading}</p> }>
            {move || trail.get().map(|result| match result {
                Ok(entries) => view! { <crate::audit::AuditEntries entries /> }.into_any(),
                Err(_) => known().into_any(),
            })}
        </Transition>
    }
}

fn history(customer: &Customer, locale: Locale, person: impl Fn(&UserId) -> String) -> Vec<(String, String)> {
    let t = crate::i18n::texts(locale);
    let when = |ms: i64| domain::time::Timestamp(ms).local_date().to_string();
    let mut entries: Vec<(i64, u64, String)> = Vec::new();
    let created = customer.field_meta.values().map(|m| m.stamp.version).min().unwrap_or(0);
    entries.push((
        customer.created_at.0,
        created,
        fill(t.history_created, &[("who", &person(&customer.created_by))]),
    ));
    for (name, meta) in &customer.field_meta {
        if meta.stamp.version > created {
            let line = fill(
                t.history_field,
                &[("who", &person(&meta.stamp.author)), ("field", &field_label(locale, *name))],
            );
            entries.push((meta.stamp.client_time.0, meta.stamp.version, line));
        }
    }
    entries.extend(item_lines(&customer.orders, &item_label(locale, ItemKind::Order), t, &person));
    entries.extend(item_lines(
        &customer.interactions,
        &item_label(locale, ItemKind::Interaction),
        t,
        &person,
    ));
    entries.extend(item_lines(&customer.feedback, &item_label(locale, ItemKind::Feedback), t, &person));
    entries.extend(item_lines(&customer.tasks, &item_label(locale, ItemKind::Task), t, &person));
    entries.extend(item_lines(&customer.contacts, &item_label(locale, ItemKind::Contact), t, &person));
    entries.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
    entries.into_iter().map(|(ms, _, line)| (when(ms), line)).collect()
}

/// History lines of one list's items (when, version, line): each added, then
/// edited or removed. An item's `removed` register keeps the stamp of its
/// adding until it is removed.
fn item_lines<T: Clone + PartialEq>(
    list: &std::collections::BTreeMap<ItemId, Item<T>>,
    what: &str,
    t: &crate::i18n::Texts,
    person: &impl Fn(&UserId) -> String,
) -> Vec<(i64, u64, String)> {
    let line = |template: &str, who: &UserId| fill(template, &[("who", &person(who)), ("kind", what)]);
    let mut lines = Vec::new();
    for item in list.values() {
        let (content, removed) = (&item.content.stamp, &item.removed.stamp);
        let added = if item.hidden() { content } else { removed };
        lines.push((added.client_time.0, added.version, line(t.history_item, &item.added_by)));
        if item.hidden() {
            lines.push((
                removed.client_time.0,
                removed.version,
                line(t.history_item_removed, &removed.author),
            ));
        } else if content.version > removed.version {
            lines.push((
                content.client_time.0,
                content.version,
                line(t.history_item_edited, &content.author),
            ));
        }
    }
    lines
}
