//! The Leptos application: the same components render on the server and
//! hydrate in the browser. Features live in their own modules; each keeps its
//! server functions in `api.rs` and its server-only code in `server.rs`.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod customers;
pub mod error;
pub mod i18n;
#[cfg(feature = "ssr")]
pub mod state;
pub mod sync;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::i18n::{Locale, use_texts};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang=Locale::default().html_lang()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="theme-color" content="#1f6feb" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: header, navigation and the routed pages.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(Locale::default());
    provide_context(auth::current_user());
    let texts = use_texts();
    // Effects run only in the browser, after hydration: scripts and browser
    // tests wait for this mark before they interact with the page.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "");
        }
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/crm.css" />
        <Title text=texts.app_name />
        <Router>
            <header class="top-bar">
                <a class="brand" href="/">
                    {texts.app_name}
                </a>
                <auth::SignOutButton />
            </header>
            <main class="page">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=customers::CustomersPage />
                    <Route path=path!("/signin") view=auth::SignInPage />
                    <Route path=path!("/admin/users") view=admin::UsersPage />
                </Routes>
            </main>
        </Router>
    }
}

/// Any path no route matches; the server answers it with status 404.
#[component]
fn NotFound() -> impl IntoView {
    let texts = use_texts();
    view! {
        <section class="card">
            <h1>{texts.not_found}</h1>
            <a class="button" href="/">
                {texts.back_home}
            </a>
        </section>
    }
}
