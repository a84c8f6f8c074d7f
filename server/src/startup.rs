//! Building the router and running the server until it is told to stop.

use std::future::Future;
use std::time::Duration;

use std::net::SocketAddr;
use std::sync::Arc;

use app::state::{AppState, SessionSettings};
use app::{App, shell};
use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use leptos::config::{Env, LeptosOptions};
use leptos_axum::{LeptosRoutes, generate_route_list};
use store::{Store, StoreError};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::config::Settings;

/// The name cargo-leptos gives the wasm, JS and CSS files (`name` in Cargo.toml).
pub const OUTPUT_NAME: &str = "crm";

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Why the server could not start or keep running; each maps to an exit code.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened, locked or migrated.
    #[error("{0}")]
    Database(#[from] StoreError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// Why the OS said no.
        source: std::io::Error,
    },
    /// Serving failed after start.
    #[error("server error: {0}")]
    Serve(std::io::Error),
}

impl StartError {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Database(StoreError::Locked { .. }) => 3,
            Self::Database(_) => 4,
            Self::Bind { .. } => 5,
            Self::Serve(_) => 1,
        }
    }
}

/// Leptos' options for these settings.
pub fn leptos_options(settings: &Settings) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_root(settings.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(settings.addr)
        .env(if cfg!(debug_assertions) { Env::DEV } else { Env::PROD })
        .build()
}

/// The state every request sees, for these settings.
pub fn app_state(leptos_options: LeptosOptions, store: Store, settings: &Settings) -> AppState {
    const DAY_MS: i64 = 24 * 3600 * 1000;
    let limits = store::SessionLimits {
        idle_ms: i64::from(settings.session_days) * DAY_MS,
        absolute_ms: i64::from(settings.session_max_days) * DAY_MS,
    };
    let sessions = SessionSettings { limits, secure: settings.secure_cookies };
    AppState {
        leptos_options,
        store,
        sessions,
        limiter: Arc::new(app::auth::SignInLimiter::default()),
        mail_configured: settings.mailer().is_some(),
    }
}

/// The whole application as an axum router: pages, server functions, static
/// files, health check, and the layers every request passes through.
pub fn router(state: AppState, limits: BodyLimits) -> Router {
    let secure = state.sessions.secure;
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let pwa = std::sync::Arc::new(crate::pwa::Pwa::new(&options));
    let shell_pwa = pwa.clone();
    let pages = Router::new()
        .route("/healthz", get(crate::health::healthz))
        .route("/api/sync/live", get(crate::live::live))
        .route("/api/customers/export", get(crate::export::customers))
        .route("/sw.js", get(move || std::future::ready(pwa.worker())))
        .route("/offline-shell", get(move || std::future::ready(shell_pwa.shell())))
        .leptos_routes_with_context(&state, routes, || (), move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // Every request but a file for import: this one limit decides, with a 413.
        .layer(RequestBodyLimitLayer::new(limits.request))
        // A file for import has a limit of its own, enforced while it is read.
        .route(
            app::import::UPLOAD_PATH,
            post(move |state, headers, query, body| {
                crate::import_upload::upload(state, headers, query, body, limits.import_file)
            }),
        )
        .layer(axum::middleware::map_response(client_errors_are_4xx))
        .layer(axum::middleware::from_fn(move |request, next| security_headers(secure, request, next)))
        .layer(axum::middleware::from_fn(same_origin_writes))
        .with_state(state);

    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let request_id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", id = %request_id, method = %request.method(), uri = %request.uri())
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(CompressionLayer::new())
        // Axum's own extractor limit is lifted: the limits above decide.
        .layer(DefaultBodyLimit::disable());
    pages.layer(layers)
}

/// The largest request bodies taken, in bytes.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Any request but a file for import.
    pub request: usize,
    /// A file for import.
    pub import_file: usize,
}

/// Server functions answer every error they could not attribute with 500,
/// including arguments that failed to decode. Those are the client's fault:
/// answer them with 400 so clients know retrying the same request is futile.
async fn client_errors_are_4xx(response: Response) -> Response {
    const SERVER_FN_ERROR_HEADER: &str = "serverfnerror";
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    };
    let is_request_error =
        serde_json::from_slice::<serde_json::Value>(&bytes).is_ok_and(|error| error["code"] == "request");
    if is_request_error {
        parts.status = StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Headers every answer carries. Pages set their own content security
/// policy (it names their nonce); everything else gets the strict default.
/// Pages and API answers can hold a user's data: no cache may keep them.
async fn security_headers(secure: bool, request: Request<Body>, next: axum::middleware::Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        response = crate::hang_up::finish_even_if_abandoned(response);
    }
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY)
        && let Ok(value) = HeaderValue::from_str(&app::security::content_security_policy(None))
    {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if (api || html) && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if secure {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    response
}

/// Refuses state-changing requests sent from another site's page. The
/// session cookie is `SameSite=Lax` already; this also covers older browsers
/// and same-site subdomains. Requests without an `Origin` (API clients,
/// curl) are not a cross-site form post and pass.
async fn same_origin_writes(request: Request<Body>, next: axum::middleware::Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe {
        return next.run(request).await;
    }
    let headers = request.headers();
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(|origin| origin.split_once("://").map_or(origin, |(_, rest)| rest));
    let cross_site = headers.get("sec-fetch-site").is_some_and(|v| v == "cross-site");
    let foreign_origin = matches!((origin_host, host), (Some(origin), Some(host)) if origin != host)
        || matches!((origin_host, host), (Some(_), None));
    if foreign_origin || cross_site {
        tracing::warn!(origin = ?origin_host, ?host, "refused a state-changing request from another origin");
        let body = r#"{"code":"forbidden","reason":"origin"}"#;
        return (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    }
    next.run(request).await
}

/// Opens the store, migrates, binds and serves until `shutdown` completes.
pub async fn run(
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let credentials = settings.credentials();
    let (store, report) = Store::open(&settings.database_url, credentials.as_ref()).await?;
    tracing::info!(applied = ?report.applied, schema_version = report.version, "database ready");
    // Devices learn the zone by pull; recording the same zone again writes nothing.
    if store.record_time_zone(&settings.time_zone).await? {
        tracing::info!(time_zone = settings.time_zone.name(), "company time zone recorded");
    }
    if matches!(store.has_users().await, Ok(false)) {
        tracing::warn!(
            "nobody can sign in yet: create the first admin with `server create-admin NAME` (password on stdin)"
        );
    }
    let listener = TcpListener::bind(settings.addr)
        .await
        .map_err(|source| StartError::Bind { addr: settings.addr, source })?;
    serve(listener, store, &settings, shutdown).await
}

/// Serves on an already bound listener (tests bind port 0 and pass it in).
pub async fn serve(
    listener: TcpListener,
    store: Store,
    settings: &Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let mut leptos_options = leptos_options(settings);
    if let Ok(addr) = listener.local_addr() {
        leptos_options.site_addr = addr;
        // The one line scripts and tests wait for.
        tracing::info!("listening on http://{addr}");
    }
    let state = app_state(leptos_options, store.clone(), settings);
    // Imports a stopped server left halfway carry on.
    let imports = app::import::resume_jobs(state.clone());
    let app = router(
        state,
        BodyLimits { request: settings.max_body_bytes, import_file: settings.max_import_bytes },
    );
    let jobs = crate::schedule::start(store.clone());
    // Without an SMTP server, care messages wait in the outbox.
    let mail = settings.mailer().map(|mailer| crate::mail::start(store.clone(), mailer));
    if mail.is_none() {
        tracing::info!("no SMTP server configured: mail waits in the outbox");
    }
    let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await;
    jobs.abort();
    imports.abort();
    if let Some(mail) = mail {
        mail.abort();
    }
    // Every request has finished and the router is gone: let the database
    // flush and release its directory before the process exits.
    if let Err(error) = store.close(SHUTDOWN_GRACE).await {
        tracing::warn!(%error, "database did not close cleanly");
    }
    served.map_err(StartError::Serve)?;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM, so in-flight requests finish before exit.
/// The handlers are installed by the call, not when the future is first
/// polled: a stop signal that arrives while the database is still opening
/// then stops the server gracefully as soon as it serves, instead of killing
/// the process on the spot (which left a restarted server of a pair dead
/// without closing its connection).
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        [SignalKind::interrupt(), SignalKind::terminate()].map(|kind| {
            signal(kind).map_err(|error| tracing::error!(%error, "cannot listen for a stop signal")).ok()
        })
    };
    async move {
        #[cfg(unix)]
        {
            async fn received(signal: Option<tokio::signal::unix::Signal>) {
                match signal {
                    Some(mut signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            let [interrupt, terminate] = signals;
            tokio::select! {
                () = received(interrupt) => {},
                () = received(terminate) => {},
            }
        }
        #[cfg(not(unix))]
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!("shutting down");
    }
}

/// How long in-flight requests get after a stop signal before the process exits anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
