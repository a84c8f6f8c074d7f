//! The customers list: search as you type and filters over the cached
//! portfolio, most recently contacted first. On a tablet or desktop the
//! list stays on the left and the open record shows beside it.

use std::collections::BTreeSet;

use domain::portfolio::{Filter, Search, first_by_last_contact, last_contact};
use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_location;

use crate::auth::SignedIn;
use crate::i18n::{Label, fill, use_locale, use_texts};
use crate::offline::use_offline;

/// Rows drawn at first, and how many more each "show more" adds: a phone
/// screen holds about eight, and every drawn row costs each keystroke.
const PAGE: usize = 30;

/// `/customers` and everything under it: the list, and the record beside it.
#[component]
pub fn CustomersLayout() -> impl IntoView {
    let location = use_location();
    let has_record = move || location.pathname.get().trim_end_matches('/') != "/customers";
    view! {
        <SignedIn>
            <div class="two-pane" class:has-record=has_record>
                <div class="pane-list">
                    <CustomerList />
                </div>
                <div class="pane-record">
                    <Outlet />
                </div>
            </div>
        </SignedIn>
    }
}

/// Beside the list when no record is open (tablets and desktops).
#[component]
pub fn NoSelection() -> impl IntoView {
    let texts = use_texts();
    view! { <p class="muted pick-hint">{texts.pick_customer}</p> }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Row {
    id: String,
    name: String,
    stage: String,
    category: String,
    city: Option<String>,
    last_contact: Option<String>,
    pending: bool,
    conflicted: bool,
}

#[component]
fn CustomerList() -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let offline = use_offline();
    let filter = RwSignal::new(Filter::default());
    let shown = RwSignal::new(PAGE);
    // Managers and admins also search the whole archive on the server.
    let user = crate::auth::use_current_user();
    let runs_team = move || {
        user.get().and_then(Result::ok).flatten().is_some_and(|u| domain::policy::may_reassign(&u.viewer()))
    };

    // Tags and cities present in the portfolio, for the filter choices.
    let choices = Memo::new(move |_| {
        offline
            .read(|r| {
                let mut tags = BTreeSet::new();
                let mut cities = BTreeSet::new();
                for c in r.kept() {
                    tags.extend(c.visible_tags().map(str::to_owned));
                    cities.extend(c.fields.address.city.clone());
                }
                (tags.into_iter().collect::<Vec<_>>(), cities.into_iter().collect::<Vec<_>>())
            })
            .unwrap_or_default()
    });
    let rows = Memo::new(move |_| {
        let filter = filter.get();
        let shown = shown.get();
        let search = Search::new(&filter);
        offline.read(|r| {
            let mut found: Vec<_> =
                r.kept().filter(|c| search.matches(c, r.cached(&c.id).map(|x| &x.keys))).collect();
            // Only the rows shown are put in order.
            first_by_last_contact(&mut found, shown);
            let total = found.len();
            let rows: Vec<Row> = found
                .into_iter()
                .take(shown)
                .map(|c| Row {
                    id: c.id.to_string(),
                    name: c.fields.name.as_str().to_owned(),
                    stage: c.fields.stage.label(locale),
                    category: c.fields.category.label(locale),
                    city: c.fields.address.city.clone(),
                    last_contact: last_contact(c).map(|d| d.to_string()),
                    pending: r.has_pending(&c.id),
                    conflicted: c.has_conflicts(),
                })
                .collect();
            (total, rows)
        })
    });

    let [stages, categories] = super::forms::stage_and_category_filters(locale, texts.all);
    let set = move |f: fn(&mut Filter, String)| move |ev| filter.update(|x| f(x, event_target_value(&ev)));
    // Each choice of each custom choice field in use, as `key=choice`.
    let custom_choices = Memo::new(move |_| {
        let english = locale == crate::i18n::Locale::En;
        offline
            .read(|r| {
                r.meta()
                    .custom_fields
                    .active()
                    .filter(|f| f.kind.has_choices())
                    .map(|f| {
                        let choices: Vec<(String, String)> = f
                            .choices
                            .iter()
                            .filter(|c| !c.retired)
                            .map(|c| {
                                (
                                    format!("{}={}", f.key, c.key),
                                    format!("{}: {}", f.label(english), c.label(english)),
                                )
                            })
                            .collect();
                        (f.label(english).to_owned(), choices)
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });

    view! {
        <section class="card list-card">
            <div class="list-head">
                <h1>{texts.customers_title}</h1>
                <a class="button" href="/pool">{texts.pool.nav}</a>
                <a class="button primary" href="/customers/new">{texts.new_customer}</a>
            </div>
            <label class="visually-hidden" for="customer-search">{texts.search_label}</label>
            <input
                id="customer-search"
                type="search"
                placeholder=texts.search_placeholder
                autocomplete="off"
                prop:value=move || filter.get().text
                on:input=move |ev| {
                    shown.set(PAGE);
                    filter.update(|f| f.text = event_target_value(&ev));
                }
            />
            <div class="filters">
                <select aria-label=texts.filter_stage on:change=set(|f, v| f.stage = v)>
                    {stages.into_iter().map(|(v, t)| view! { <option value=v>{t}</option> }).collect_view()}
                </select>
                <select aria-label=texts.filter_category on:change=set(|f, v| f.category = v)>
                    {categories.into_iter().map(|(v, t)| view! { <option value=v>{t}</option> }).collect_view()}
                </select>
                <select aria-label=texts.filter_tag on:change=set(|f, v| f.tag = v)>
                    <option value="">{format!("{}: {}", texts.filter_tag, texts.all)}</option>
                    {move || choices.get().0.into_iter().map(|t| { let v = t.clone(); view! { <option value=v>{t}</option> } }).collect_view()}
                </select>
                <select aria-label=texts.filter_city on:change=set(|f, v| f.city = v)>
                    <option value="">{format!("{}: {}", texts.filter_city, texts.all)}</option>
                    {move || choices.get().1.into_iter().map(|c| { let v = c.clone(); view! { <option value=v>{c}</option> } }).collect_view()}
                </select>
                {move || {
                    let groups = custom_choices.get();
                    (!groups.is_empty()).then(|| view! {
                        <select aria-label=texts.custom_fields_title data-testid="custom-filter" on:change=set(|f, v| f.custom = v)>
                            <option value="">{format!("{}: {}", texts.custom_fields_title, texts.all)}</option>
                            {groups.into_iter().map(|(label, options)| view! {
                                <optgroup label=label>
                                    {options.into_iter().map(|(v, t)| view! { <option value=v>{t}</option> }).collect_view()}
                                </optgroup>
                            }).collect_view()}
                        </select>
                    })
                }}
            </div>
            <super::export::ExportMenu filter=filter.into() />
            {move || match rows.get() {
                None => view! { <p class="muted">{texts.loading}</p> }.into_any(),
                Some((0, _)) if filter.get() == Filter::default() => {
                    view! { <p class="muted">{texts.no_customers}</p> }.into_any()
                }
                Some((0, _)) => view! { <p class="muted">{texts.no_match}</p> }.into_any(),
                Some((total, _)) => {
                    view! { <p class="muted count">{fill(texts.customer_count, &[("n", &total.to_string())])}</p> }
                        .into_any()
                }
            }}
            // Keyed by the whole row: a keystroke that keeps a row keeps its
            // DOM, and only rows that appear, go or change are drawn.
            <ul class="customer-list">
                <For
                    each=move || rows.get().map(|(_, rows)| rows).unwrap_or_default()
                    key=|row| row.clone()
                    children=move |row| {
                        view! {
                            <li class="customer-row">
                                <a href=format!("/customers/{}", row.id)>
                                    <span class="row-main">
                                        <span class="row-name">{row.name}</span>
                                        {row.conflicted.then(|| view! { <span class="chip warn">"!"</span> })}
                                        {row.pending.then(|| view! { <span class="chip pending">{texts.unsynced}</span> })}
                                    </span>
                                    <span class="row-meta">
                                        {format!(
                                            "{} · {}{} · {}",
                                            row.stage,
                                            row.category,
                                            row.city.map(|c| format!(" · {c}")).unwrap_or_default(),
                                            row.last_contact.unwrap_or_else(|| texts.never_contacted.to_owned()),
                                        )}
                                    </span>
                                </a>
                            </li>
                        }
                    }
                />
            </ul>
            <Show when=runs_team>
                <super::archive_search::ArchiveSearch text=Signal::derive(move || filter.get().text) />
            </Show>
            {move || {
                let (total, drawn) = rows.get().map(|(t, r)| (t, r.len())).unwrap_or_default();
                (total > drawn).then(|| {
                    let rest = (total - drawn).to_string();
                    view! {
                        <button type="button" class="button more" on:click=move |_| shown.update(|n| *n += PAGE)>
                            {fill(texts.show_more, &[("n", &rest)])}
                        </button>
                    }
                })
            }}
        </section>
    }
}
