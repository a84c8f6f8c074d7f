//! The browser entry point, called by the JS glue cargo-leptos generates.

use wasm_bindgen::prelude::wasm_bindgen;

/// Hydrates the server-rendered page.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
