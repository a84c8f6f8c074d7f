//! The browser entry point, called by the JS glue cargo-leptos generates.

// The record page's view tree is deep; its type outgrows the default limit
// when the release build computes the layout of its hydration future.
#![recursion_limit = "256"]

use wasm_bindgen::prelude::wasm_bindgen;

/// Hydrates the server-rendered page, or mounts the app afresh so its router
/// renders whichever path was opened: on the offline shell (a page the
/// service worker serves without data, marked `data-shell`) and on a page
/// whose code is split off and fetched on demand, which the server sends as a
/// mark only (`data-render-in-browser`).
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let document = leptos::prelude::document();
    let body = document.body();
    let shell = body.as_ref().is_some_and(|b| b.has_attribute("data-shell"));
    let split_off = document.query_selector("[data-render-in-browser]").ok().flatten().is_some();
    if shell || split_off {
        if let Some(body) = body {
            body.set_inner_html("");
        }
        leptos::mount::mount_to_body(app::App);
    } else {
        leptos::mount::hydrate_body(app::App);
    }
}
