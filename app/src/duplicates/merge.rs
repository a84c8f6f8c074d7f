//! `/duplicates/:key`: the two archives side by side, a choice per field,
//! what the merged archive will hold, then one merge change.

use domain::apply::is_empty;
use domain::archive::{Customer, FieldName, FieldValue};
use domain::mutation::FieldEdit;
use domain::views::DuplicatePairView;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::api::{MergePair, duplicate_pair};
use super::page::reason_text;
use crate::i18n::{Locale, app_error_message, fill, use_texts};
use crate::offline::{describe_value, field_label};

/// Fields united by the merge rather than chosen: both sides' values are kept.
const UNITED: &[FieldName] = &[FieldName::Phones, FieldName::Emails, FieldName::SharedWith];

/// Loads the pair named in the address and shows the merge form.
#[component]
pub fn MergePage() -> impl IntoView {
    let texts = use_texts();
    let t = texts.duplicates;
    let params = use_params_map();
    let key = move || params.read().get("key").unwrap_or_default();
    let pair = Resource::new(key, duplicate_pair);
    view! {
        <section class="card merge-screen">
            <a class="button" href="/duplicates">{t.back}</a>
            <h1>{t.merge_title}</h1>
            <Transition fallback=move || view! { <p class="muted">{texts.loading}</p> }>
                {move || pair.get().map(|result| match result {
                    Ok(pair) => view! { <MergeForm pair /> }.into_any(),
                    Err(_) => view! { <p class="muted" role="status">{t.gone}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// One row of the comparison: a field both archives fill differently.
struct Row {
    name: FieldName,
    a: FieldValue,
    b: FieldValue,
    /// True while the first archive's value is chosen.
    take_a: RwSignal<bool>,
}

/// The value a merge should keep by default: the one filled in, else the
/// one written last.
fn default_side(a: &Customer, b: &Customer, name: FieldName) -> bool {
    let (va, vb) = (FieldValue::read(&a.fields, name), FieldValue::read(&b.fields, name));
    match (is_empty(&va), is_empty(&vb)) {
        (false, true) => true,
        (true, false) => false,
        _ => {
            let written = |c: &Customer| c.field_meta.get(&name).map_or(0, |m| m.stamp.version);
            written(a) >= written(b)
        }
    }
}

#[component]
fn MergeForm(pair: DuplicatePairView) -> impl IntoView {
    let texts = use_texts();
    let t = texts.duplicates;
    let locale = use_context::<Locale>().unwrap_or_default();
    let merge = ServerAction::<MergePair>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if matches!(merge.value().get(), Some(Ok(()))) {
            navigate("/duplicates", Default::default());
        }
    });
    let DuplicatePairView { key, reasons, a, b, .. } = pair;
    // The archive created first stays by default: links to it are older.
    let keep_a = RwSignal::new(a.created_at.0 <= b.created_at.0);
    let rows: Vec<Row> = FieldName::ALL
        .iter()
        .filter(|name| !UNITED.contains(name))
        .filter_map(|&name| {
            let (va, vb) = (FieldValue::read(&a.fields, name), FieldValue::read(&b.fields, name));
            (va != vb).then(|| Row { name, take_a: RwSignal::new(default_side(&a, &b, name)), a: va, b: vb })
        })
        .collect();
    let count = |f: fn(&Customer) -> usize| (f(&a) + f(&b)).to_string();
    let items = fill(
        t.items_after,
        &[
            ("orders", &count(|c| c.orders.values().filter(|i| !i.hidden()).count())),
            ("interactions", &count(|c| c.interactions.values().filter(|i| !i.hidden()).count())),
            ("contacts", &count(|c| c.contacts.values().filter(|i| !i.hidden()).count())),
            ("feedback", &count(|c| c.feedback.values().filter(|i| !i.hidden()).count())),
            ("tasks", &count(|c| c.tasks.values().filter(|i| !i.hidden()).count())),
        ],
    );
    let chosen: Vec<(FieldValue, FieldValue, RwSignal<bool>)> =
        rows.iter().map(|r| (r.a.clone(), r.b.clone(), r.take_a)).collect();
    let (a_id, b_id) = (a.id.to_string(), b.id.to_string());
    let submit = {
        let (key, a_id, b_id) = (key.clone(), a_id.clone(), b_id.clone());
        move |_| {
            // Every differing field as chosen: the merge writes each over
            // what it would otherwise keep.
            let edits = chosen
                .iter()
                .map(|(va, vb, take_a)| FieldEdit {
                    value: if take_a.get() { va.clone() } else { vb.clone() },
                    base: 0,
                })
                .collect();
            let keep = if keep_a.get() { a_id.clone() } else { b_id.clone() };
            merge.dispatch(MergePair { key: key.clone(), keep, edits });
        }
    };
    let side = |customer: &Customer, first: bool| {
        let keeper = customer.fields.owner.as_ref().map_or_else(|| t.pool_keeper.to_owned(), |o| o.0.clone());
        let label =
            format!("{} · {keeper} · {}", customer.fields.name.as_str(), customer.created_at.local_date());
        view! {
            <label class="merge-choice">
                <input type="radio" name="keep" prop:checked=move || keep_a.get() == first on:change=move |_| keep_a.set(first) />
                {label}
            </label>
        }
    };
    let failure = move || merge.value().get().and_then(Result::err).map(|e| app_error_message(locale, &e));
    view! {
        <p class="muted">{reasons.iter().map(|r| reason_text(locale, r)).collect::<Vec<_>>().join("；")}</p>
        <p class="muted">{t.merge_help}</p>
        <fieldset class="merge-keep">
            <legend>{t.keep_label}</legend>
            {side(&a, true)}
            {side(&b, false)}
        </fieldset>
        <div class="table-scroll">
            <table class="merge-table" data-testid="merge-table">
                <thead>
                    <tr>
                        <th>{t.field}</th>
                        <th>{a.fields.name.as_str().to_owned()}</th>
                        <th>{b.fields.name.as_str().to_owned()}</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|row| {
                        let group = format!("field-{}", row.name.as_str());
                        let take_a = row.take_a;
                        view! {
                            <tr data-field=row.name.as_str()>
                                <th scope="row">{field_label(locale, row.name)}</th>
                                <td>
                                    <label class="merge-choice">
                                        <input type="radio" name=group.clone() value="a" prop:checked=move || take_a.get() on:change=move |_| take_a.set(true) />
                                        {describe_value(locale, &row.a)}
                                    </label>
                                </td>
                                <td>
                                    <label class="merge-choice">
                                        <input type="radio" name=group value="b" prop:checked=move || !take_a.get() on:change=move |_| take_a.set(false) />
                                        {describe_value(locale, &row.b)}
                                    </label>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                    {UNITED.iter().map(|&name| {
                        let (va, vb) = (FieldValue::read(&a.fields, name), FieldValue::read(&b.fields, name));
                        (va != vb).then(|| view! {
                            <tr data-field=name.as_str()>
                                <th scope="row">{format!("{}（{}）", field_label(locale, name), t.united)}</th>
                                <td>{describe_value(locale, &va)}</td>
                                <td>{describe_value(locale, &vb)}</td>
                            </tr>
                        })
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <p data-testid="merge-items">{items}</p>
        <p class="form-error" role="alert">{failure}</p>
        <div class="button-row">
            <button class="button primary" disabled=move || merge.pending().get() on:click=submit>{t.merge}</button>
        </div>
    }
}
