//! The customers page: create an archive (as a mutation pushed through
//! sync, like every other change) and the list, most recently changed first.

use domain::archive::Fields;
use domain::ids::{CustomerId, UserId};
use domain::mutation::Sequencer;
use domain::sync::Outcome;
use domain::time::Timestamp;
use domain::views::CustomerQuery;
use domain::{Change, CustomerName, FieldError};
use gloo_storage::{LocalStorage, Storage};
use leptos::prelude::*;

use super::list_customers;
use crate::auth::use_current_user;
use crate::error::AppError;
use crate::i18n::{Locale, app_error_message, field_error_message, use_texts};
use crate::sync::push;

/// Where this browser keeps its client id and sequence counter.
const SEQUENCER_KEY: &str = "crm.sequencer";

/// Why a create did not go through.
#[derive(Debug, Clone)]
enum CreateError {
    Field(FieldError),
    Rejected(String),
    Request(AppError),
}

/// This browser's client for `user`: the same id and counter across visits,
/// a fresh one when someone else signs in here.
fn sequencer(user: &UserId) -> Sequencer {
    match LocalStorage::get::<Sequencer>(SEQUENCER_KEY) {
        Ok(stored) if stored.author == *user => stored,
        _ => Sequencer::new(user.clone()),
    }
}

async fn create_archive(user: UserId, name: String) -> Result<(), CreateError> {
    let name = CustomerName::parse(&name).map_err(CreateError::Field)?;
    let mut fields = Fields::named(name);
    fields.owner = Some(user.clone());
    let change = Change::Create { fields: Box::new(fields) };
    let mut client = sequencer(&user);
    let now = Timestamp(js_sys::Date::now() as i64);
    let mut mutation = client.next(CustomerId::new(), change, now);
    for _ in 0..2 {
        // Stored before it is sent, so a retry never reuses a number.
        let _ = LocalStorage::set(SEQUENCER_KEY, &client);
        match push(client.client, vec![mutation.clone()]).await {
            Ok(reply) => {
                return match reply.results.into_iter().next().map(|r| r.outcome) {
                    Some(Outcome::Rejected { code, errors }) => match errors.into_iter().next() {
                        Some(error) => Err(CreateError::Field(error)),
                        None => Err(CreateError::Rejected(code)),
                    },
                    _ => Ok(()),
                };
            }
            // The counter here fell behind the server's (storage was cleared):
            // continue from where the server is.
            Err(AppError::SequenceGap { expected, .. }) => {
                client.last_seq = expected - 1;
                mutation = client.next(mutation.customer, mutation.change.clone(), now);
            }
            Err(error) => return Err(CreateError::Request(error)),
        }
    }
    Err(CreateError::Rejected("sync.sequence".into()))
}

/// Lists the archives the signed-in user may see and creates new ones.
#[component]
pub fn CustomersPage() -> impl IntoView {
    let texts = use_texts();
    let user = use_current_user();
    view! {
        <Transition fallback=move || view! { <p class="muted">{texts.loading}</p> }>
            {move || {
                user.get()
                    .map(|result| match result {
                        Ok(Some(user)) => view! { <Archive user=user.id /> }.into_any(),
                        _ => {
                            view! {
                                <section class="card">
                                    <p>{texts.need_sign_in}</p>
                                    <a class="button primary" href="/signin">
                                        {texts.sign_in}
                                    </a>
                                </section>
                            }
                                .into_any()
                        }
                    })
            }}
        </Transition>
    }
}

#[component]
fn Archive(user: UserId) -> impl IntoView {
    let texts = use_texts();
    let locale = use_context::<Locale>().unwrap_or_default();
    let create = Action::new(move |name: &String| create_archive(user.clone(), name.clone()));
    let customers =
        Resource::new(move || create.version().get(), |_| list_customers(CustomerQuery::default()));
    let name = RwSignal::new(String::new());

    let name_error = move || match create.value().get() {
        Some(Err(CreateError::Field(error))) if error.field == "name" => {
            Some(field_error_message(locale, &error))
        }
        _ => None,
    };
    let other_error = move || match create.value().get() {
        Some(Err(CreateError::Field(error))) if error.field != "name" => {
            Some(field_error_message(locale, &error))
        }
        Some(Err(CreateError::Rejected(code))) => Some(format!("{} ({code})", texts.rejected)),
        Some(Err(CreateError::Request(error))) => Some(app_error_message(locale, &error)),
        _ => None,
    };
    let saved = move || matches!(create.value().get(), Some(Ok(())));
    Effect::new(move |_| {
        if saved() {
            name.set(String::new());
        }
    });

    view! {
        <section class="card">
            <h1>{texts.new_customer}</h1>
            <form
                class="stacked-form"
                novalidate
                on:submit=move |event| {
                    event.prevent_default();
                    create.dispatch(name.get_untracked());
                }
            >
                <label for="customer-name">{texts.name_label}</label>
                <input
                    id="customer-name"
                    name="name"
                    type="text"
                    autocomplete="off"
                    placeholder=texts.name_placeholder
                    bind:value=name
                    aria-invalid=move || if name_error().is_some() { "true" } else { "false" }
                    aria-describedby="customer-name-error"
                />
                <p id="customer-name-error" class="field-error" role="alert">
                    {name_error}
                </p>
                <p class="form-error" role="alert">
                    {other_error}
                </p>
                <button type="submit" class="button primary" disabled=move || create.pending().get()>
                    {move || if create.pending().get() { texts.saving } else { texts.save }}
                </button>
                <p class="form-status" aria-live="polite">
                    {move || saved().then_some(texts.saved)}
                </p>
            </form>
        </section>
        <section class="card">
            <h2>{texts.customers_title}</h2>
            <Transition fallback=move || view! { <p class="muted">{texts.loading}</p> }>
                {move || {
                    customers
                        .get()
                        .map(|result| match result {
                            Ok(list) if list.is_empty() => {
                                view! { <p class="muted">{texts.no_customers}</p> }.into_any()
                            }
                            Ok(list) => {
                                view! {
                                    <ul class="customer-list">
                                        {list
                                            .into_iter()
                                            .map(|c| view! { <li class="customer-row">{c.name}</li> })
                                            .collect_view()}
                                    </ul>
                                }
                                    .into_any()
                            }
                            Err(error) => {
                                view! { <p class="form-error">{app_error_message(locale, &error)}</p> }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </section>
    }
}
