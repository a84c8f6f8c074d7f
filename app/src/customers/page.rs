//! The customers page: a form to create one and the list, newest first.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::{CreateCustomer, list_customers};
use crate::i18n::{Locale, app_error_message, field_error_message, use_texts};

/// Lists customers and creates new ones.
#[component]
pub fn CustomersPage() -> impl IntoView {
    let texts = use_texts();
    let locale = use_context::<Locale>().unwrap_or_default();
    let create = ServerAction::<CreateCustomer>::new();
    // Refetch the list whenever a create completes.
    let customers = Resource::new(move || create.version().get(), |_| list_customers());

    let name_error = move || {
        create
            .value()
            .get()
            .and_then(|result| result.err())
            .and_then(|error| error.field("name").map(|field| field_error_message(locale, field)))
    };
    let other_error = move || {
        create
            .value()
            .get()
            .and_then(|result| result.err())
            .filter(|e| e.field("name").is_none())
            .map(|error| app_error_message(locale, &error))
    };
    let saved = move || matches!(create.value().get(), Some(Ok(_)));

    // Empty the field after a successful save, ready for the next customer.
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if saved()
            && let Some(input) = input.get()
        {
            input.set_value("");
        }
    });

    view! {
        <section class="card">
            <h1>{texts.new_customer}</h1>
            <ActionForm action=create attr:class="stacked-form" attr:novalidate=true>
                <label for="customer-name">{texts.name_label}</label>
                <input
                    id="customer-name"
                    name="name"
                    type="text"
                    autocomplete="off"
                    placeholder=texts.name_placeholder
                    node_ref=input
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
            </ActionForm>
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
