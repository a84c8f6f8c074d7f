//! Address fields chosen from the national administrative divisions:
//! province, then one of its cities, then one of that city's districts.
//! The list (`/regions.json`, about 50 KB) is fetched only when a form with
//! an address first opens, and the service worker keeps it for offline use; when
//! it cannot be read, city and district are typed instead.

use std::cell::RefCell;
use std::sync::Arc;

use domain::standard::PROVINCES;
use leptos::prelude::*;
use leptos::wasm_bindgen::{JsCast, JsValue};

use crate::form::{Choice, Field, options_keeping, standard_options};
use crate::i18n::{use_locale, use_texts};
use crate::offline::{function, property};

/// Each province with its cities, each city with its districts, in the
/// order of their codes.
type Regions = Vec<(String, Vec<(String, Vec<String>)>)>;

thread_local! {
    /// The list once read: the browser runs the app on one thread.
    static LOADED: RefCell<Option<Arc<Regions>>> = const { RefCell::new(None) };
}

/// Reads `/regions.json`; none when the file cannot be fetched or read.
async fn load_regions() -> Option<Regions> {
    let window = JsValue::from(window());
    let fetch = function(&window, "fetch")?;
    let promise: js_sys::Promise = fetch.call1(&window, &"/regions.json".into()).ok()?.dyn_into().ok()?;
    let response = wasm_bindgen_futures::JsFuture::from(promise).await.ok()?;
    if property(&response, "ok").and_then(|ok| ok.as_bool()) != Some(true) {
        return None;
    }
    let text = function(&response, "text")?.call0(&response).ok()?.dyn_into::<js_sys::Promise>().ok()?;
    let text = wasm_bindgen_futures::JsFuture::from(text).await.ok()?.as_string()?;
    serde_json::from_str(&text).ok()
}

/// Province, city, district and street address, as the basics form edits them.
#[component]
pub fn AddressFields(
    province: RwSignal<String>,
    city: RwSignal<String>,
    district: RwSignal<String>,
    detail: RwSignal<String>,
) -> impl IntoView {
    let texts = use_texts();
    let locale = use_locale();
    let regions = RwSignal::new(LOADED.with_borrow(Clone::clone));
    // Fetched and parsed once per page life, however often a form opens.
    Effect::new(move |_| {
        if regions.get_untracked().is_some() {
            return;
        }
        leptos::task::spawn_local(async move {
            if let Some(list) = load_regions().await {
                let list = Arc::new(list);
                LOADED.set(Some(list.clone()));
                regions.set(Some(list));
            }
        });
    });
    // A new province or city empties the choices below it.
    Effect::new(move |before: Option<String>| {
        let now = province.get();
        if before.is_some_and(|b| b != now) {
            city.set(String::new());
            district.set(String::new());
        }
        now
    });
    Effect::new(move |before: Option<String>| {
        let now = city.get();
        if before.is_some_and(|b| b != now) {
            district.set(String::new());
        }
        now
    });
    let provinces = standard_options(PROVINCES, &province.get_untracked(), locale);
    let cities = move || {
        let list = regions.get()?;
        let chosen = province.get();
        let (_, cities) = list.iter().find(|(name, _)| *name == chosen)?;
        Some(cities.iter().map(|(name, _)| name.clone()).collect::<Vec<_>>())
    };
    let districts = move || {
        let list = regions.get()?;
        let (chosen_province, chosen_city) = (province.get(), city.get());
        let (_, cities) = list.iter().find(|(name, _)| *name == chosen_province)?;
        let (_, districts) = cities.iter().find(|(name, _)| *name == chosen_city)?;
        (!districts.is_empty()).then(|| districts.clone())
    };
    view! {
        <Choice id="edit-province" label=texts.province_label value=province options=provinces />
        {move || match cities() {
            Some(names) => view! {
                <Choice id="edit-city" label=texts.city_label value=city options=options_keeping(&city.get_untracked(), names.into_iter().map(|n| (n.clone(), n))) />
            }.into_any(),
            None => view! { <Field id="edit-city" label=texts.city_label value=city /> }.into_any(),
        }}
        {move || match districts() {
            Some(names) => view! {
                <Choice id="edit-district" label=texts.district_label value=district options=options_keeping(&district.get_untracked(), names.into_iter().map(|n| (n.clone(), n))) />
            }.into_any(),
            None => view! { <Field id="edit-district" label=texts.district_label value=district /> }.into_any(),
        }}
        <Field id="edit-detail" label=texts.address_label value=detail />
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_division_list_reads_and_names_every_province() {
        let text = include_str!("../../../public/regions.json");
        let regions: Regions = serde_json::from_str(text).unwrap();
        for province in PROVINCES {
            let cities = regions.iter().find(|(name, _)| name == province.zh).map(|(_, c)| c);
            assert!(cities.is_some_and(|c| !c.is_empty()), "{}", province.zh);
        }
        let districts: usize = regions.iter().flat_map(|(_, c)| c).map(|(_, d)| d.len()).sum();
        assert!(districts > 2_800, "{districts}");
    }
}
