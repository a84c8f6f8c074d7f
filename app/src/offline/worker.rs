//! Registers the service worker that lets the installed app boot offline.

use leptos::prelude::*;

use super::js::{function, property};

/// Asks the browser to install `/sw.js`; browsers without service workers
/// simply run the app online.
pub fn register_service_worker() {
    let Some(workers) = property(&window(), "navigator").and_then(|n| property(&n, "serviceWorker")) else {
        return;
    };
    if let Some(register) = function(&workers, "register") {
        let _ = register.call1(&workers, &"/sw.js".into());
    }
}
