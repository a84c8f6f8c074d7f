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
use leptos_router::{Lazy, LazyRoute, lazy_route, path};

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
                    <Route path=path!("/sync") view=offline::SyncPage />
                    <Route path=path!("/signin") view=auth::SignInPage />
                    // Pages a rep seldom opens load when first opened.
                    <Route path=path!("/dashboard") view={Lazy::<Dashboard>::new()} />
                    <Route path=path!("/dashboard/churn") view={Lazy::<Churn>::new()} />
                    <Route path=path!("/dashboard/value") view={Lazy::<Value>::new()} />
                    <Route path=path!("/notifications") view={Lazy::<Notifications>::new()} />
                    <Route path=path!("/account") view={Lazy::<Account>::new()} />
                    <Route path=path!("/admin/users") view={Lazy::<Users>::new()} />
                    <Route path=path!("/admin/fields") view={Lazy::<Fields>::new()} />
                    <Route path=path!("/admin/care") view={Lazy::<Care>::new()} />
                    <Route path=path!("/admin/rules") view={Lazy::<Rules>::new()} />
                    <Route path=path!("/import") view={Lazy::<Import>::new()} />
                    <Route path=path!("/team") view={Lazy::<Team>::new()} />
                    <Route path=path!("/audit") view={Lazy::<Audit>::new()} />
                    <Route path=path!("/quality") view={Lazy::<Quality>::new()} />
                    <Route path=path!("/pool") view={Lazy::<Pool>::new()} />
                    <Route path=path!("/duplicates") view={Lazy::<Duplicates>::new()} />
                    <Route path=path!("/duplicates/:key") view={Lazy::<Merge>::new()} />
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

/// A page that is not part of the first load: its code is split from the
/// main wasm (`cargo leptos --split`) and fetched the first time the page is
/// opened, then kept by the service worker for offline use. The first load
/// is what a rep needs in the field: sign-in, today, customers, a record, a
/// new customer and sync.
macro_rules! lazy_page {
    ($($route:ident => $page:path;)*) => {$(
        #[doc = concat!("Loads `", stringify!($page), "` on demand.")]
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                // The server sends only a mark for such a page, and the
                // browser mounts the app afresh on seeing it (as on the
                // offline shell): hydrating a split-off page's server HTML
                // (leptos_router 0.8.17, `hydrate_lazy`) left the page's
                // reactive parts detached from the document.
                if cfg!(feature = "ssr") {
                    view! { <div data-render-in-browser=""></div> }.into_any()
                } else {
                    $page().into_any()
                }
            }
        }
    )*};
}

lazy_page! {
    Dashboard => dashboard::DashboardPage;
    Churn => dashboard::ChurnPage;
    Value => dashboard::ValuePage;
    Notifications => notifications::NotificationsPage;
    Account => auth::AccountPage;
    Users => admin::UsersPage;
    Fields => admin::FieldsPage;
    Care => care::CarePage;
    Rules => rules::RulesPage;
    Import => import::ImportPage;
    Team => team::TeamPage;
    Audit => audit::AuditPage;
    Quality => quality::QualityPage;
    Pool => pool::PoolPage;
    Duplicates => duplicates::DuplicatesPage;
    Merge => duplicates::MergePage;
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
