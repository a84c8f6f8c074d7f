//! What pages may load and run, told to the browser in response headers.
//! Scripts run only from this site or with the nonce of the page they are
//! in, so an injected `<script>` does nothing; no page may be framed.

use axum::http::HeaderValue;
use axum::http::header::CONTENT_SECURITY_POLICY;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

/// The policy for a response whose inline scripts `scripts` names (a
/// `'nonce-…'` or a `'sha256-…'` source), or none.
pub fn content_security_policy(scripts: Option<&str>) -> String {
    let inline = scripts.map(|s| format!(" {s}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'{inline} 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self'; \
         manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// Sends the policy for the page being rendered, allowing the inline
/// hydration script by the nonce Leptos gave it.
pub fn send_page_policy() {
    let Some(response) = use_context::<ResponseOptions>() else { return };
    let nonce = leptos::nonce::use_nonce().map(|n| format!("'nonce-{}'", &*n));
    if let Ok(value) = HeaderValue::from_str(&content_security_policy(nonce.as_deref())) {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}
