//! Reading browser objects without a `web-sys` feature per API: a property
//! or a method looked up by name, absent when the browser lacks it.

use leptos::wasm_bindgen::{JsCast, JsValue};

/// `target[name]`, if it is there.
pub fn property(target: &JsValue, name: &str) -> Option<JsValue> {
    js_sys::Reflect::get(target, &name.into()).ok().filter(|v| !v.is_undefined())
}

/// `target[name]` when it is a function.
pub fn function(target: &JsValue, name: &str) -> Option<js_sys::Function> {
    property(target, name).and_then(|f| f.dyn_into().ok())
}
