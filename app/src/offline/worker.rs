//! Registers the service worker that lets the installed app boot offline.

use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

/// Asks the browser to install `/sw.js`; browsers without service workers
/// simply run the app online.
pub fn register_service_worker() {
    let get =
        |target: &leptos::wasm_bindgen::JsValue, name: &str| js_sys::Reflect::get(target, &name.into()).ok();
    let Some(navigator) = get(&window(), "navigator") else { return };
    let Some(workers) = get(&navigator, "serviceWorker").filter(|w| !w.is_undefined()) else { return };
    let Some(register) = get(&workers, "register").and_then(|f| f.dyn_into::<js_sys::Function>().ok()) else {
        return;
    };
    let _ = register.call1(&workers, &"/sw.js".into());
}
