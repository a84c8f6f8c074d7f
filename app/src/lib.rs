//! The Leptos application: the same components render on the server and
//! hydrate in the browser. Features live in their own modules; each keeps its
//! server functions in `api.rs` and its server-only code in `server.rs`.

// The record page's view tree is deep; its type outgrows the default limit
// when the release build computes the layout of its hydration future.
#![recursion_limit = "256"]

pub mod admin;
pub mod audit;
pub mod auth;
pub mod care;
pub mod csv;
pub mod customers;
pub mod dashboard;
pub mod duplicates;
pub mod error;
pub mod form;
pub mod i18n;
pub mod import;
pub mod notifications;
pub mod offline;
pub mod pool;
pub mod quality;
pub mod review;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod security;
#[cfg(feature = "ssr")]
pub mod state;
pub mod sync;
pub mod team;
pub mod today;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

use crate::i18n::{Locale, use_texts};
use crate::offline::Offline;

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    security::send_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang=Locale::detect().html_lang()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
                <meta name="theme-color" content="#1f6feb" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <link rel="manifest" href="/manifest.webmanifest" />
                <link rel="apple-touch-icon" href="/icons/icon-192.png" />
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
    provide_context(Locale::detect());
    let user = auth::current_user();
    provide_context(user);
    let offline = Offline::new();
    provide_context(offline);
    let texts = use_texts();
    // Effects run only in the browser, after hydration (or after mounting the
    // offline shell): open the signed-in user's replica there.
    Effect::new(move |_| {
        // A sign-out made offline is finished before anyone's archive opens.
        if auth::owes_sign_out() {
            auth::settle_sign_out();
            return;
        }
        if let Some(Ok(Some(user))) = user.get() {
            auth::remember_user(&user);
            offline.start(&user.id);
        }
    });
    // Scripts and browser tests wait for this mark before they interact.
    Effect::new(|_| {
        offline::register_service_worker();
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
                <offline::SyncBadge />
                <auth::SignOutButton />
            </header>
            <main class="page">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=today::TodayPage />
                    <ParentRoute path=path!("/customers") view=customers::CustomersLayout>
                        <Route path=path!("") view=customers::NoSelection />
                        <Route path=path!("new") view=customers::NewCustomerPage />
                        <Route path=path!(":id") view=customers::CustomerPage />
                    </ParentRoute>
                    <Route path=path!("/dashboard") view=dashboard::DashboardPage />
                    <Route path=path!("/dashboard/churn") view=dashboard::ChurnPage />
                    <Route path=path!("/dashboard/value") view=dashboard::ValuePage />
                    <Route path=path!("/sync") view=offline::SyncPage />
                    <Route path=path!("/notifications") view=notifications::NotificationsPage />
                    <Route path=path!("/signin") view=auth::SignInPage />
                    <Route path=path!("/account") view=auth::AccountPage />
                    <Route path=path!("/admin/users") view=admin::UsersPage />
                    <Route path=path!("/admin/fields") view=admin::FieldsPage />
                    <Route path=path!("/admin/care") view=care::CarePage />
                    <Route path=path!("/admin/rules") view=rules::RulesPage />
                    <Route path=path!("/import") view=import::ImportPage />
                    <Route path=path!("/team") view=team::TeamPage />
                    <Route path=path!("/audit") view=audit::AuditPage />
                    <Route path=path!("/quality") view=quality::QualityPage />
                    <Route path=path!("/pool") view=pool::PoolPage />
                    <Route path=path!("/duplicates") view=duplicates::DuplicatesPage />
                    <Route path=path!("/duplicates/:key") view=duplicates::MergePage />
                </Routes>
            </main>
            <nav class="bottom-nav" aria-label=texts.app_name>
                <a href="/">{texts.nav_today}</a>
                <a href="/customers">{texts.nav_customers}</a>
                <a href="/customers/new">{texts.nav_new}</a>
                <a href="/dashboard">{crate::i18n::texts(Locale::detect()).dashboard.nav}</a>
                <a href="/sync">{texts.nav_sync}</a>
            </nav>
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
