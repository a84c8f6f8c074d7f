//! What makes the app installable and bootable without a network: the
//! service worker (served from the root so it controls every path) and the
//! offline shell it falls back to.
//!
//! The worker's cache is named after a hash of the files it precaches, so a
//! new build gets a new cache; the new worker takes over when the app next
//! starts, and drops the old cache then.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;

use axum::http::header;
use axum::response::IntoResponse;
use leptos::prelude::LeptosOptions;

/// Files the shell needs, relative to the site root, besides the shell page.
/// The worker installs only once it holds every one of them.
/// `split` is what [`split_files`] found.
fn shell_files(split: &[String], output_name: &str) -> Vec<String> {
    let mut files = vec![
        format!("pkg/{output_name}.js"),
        format!("pkg/{output_name}.wasm"),
        format!("pkg/{output_name}.css"),
        "manifest.webmanifest".into(),
        "favicon.svg".into(),
        "icons/icon-192.png".into(),
        "icons/icon-512.png".into(),
        // Loaded only by the address fields, and kept for them offline.
        "regions.json".into(),
    ];
    // The loader of the split-off parts: the app's script imports it.
    files.extend(split.iter().filter(|name| name.ends_with(".js")).map(|name| format!("pkg/{name}")));
    files
}

/// The parts of the wasm `cargo leptos --split` split off for pages loaded on
/// demand, relative to the site root. The worker keeps them after it installs,
/// one by one (see `keepParts` in the worker), so those pages open offline too.
fn part_files(split: &[String]) -> Vec<String> {
    split.iter().filter(|name| name.ends_with(".wasm")).map(|name| format!("pkg/{name}")).collect()
}

/// What `cargo leptos --split` wrote beside the main wasm in `pkg`: a part per
/// page loaded on demand (and parts such pages share), and the script that
/// loads them. Compressed copies are the server's business, not the worker's.
fn split_files(pkg: &Path, output_name: &str) -> Vec<String> {
    let main = format!("{output_name}.wasm");
    let mut names: Vec<String> = std::fs::read_dir(pkg)
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| {
            (name.ends_with(".wasm") && *name != main)
                || (name.starts_with("__wasm_split") && name.ends_with(".js"))
        })
        .collect();
    names.sort();
    names
}

/// The service worker and shell for one build of the site.
#[derive(Debug, Clone)]
pub struct Pwa {
    worker: String,
    shell: String,
    /// The shell's content security policy, naming its one inline script by
    /// hash. The worker caches the header with the page, so it holds offline too.
    shell_policy: String,
}

impl Pwa {
    /// Reads the built site under `options.site_root` and prepares both.
    pub fn new(options: &LeptosOptions) -> Self {
        let name = options.output_name.to_string();
        let root = Path::new(options.site_root.as_ref());
        // `pkg` is read once, for the shell's files and the parts alike.
        let split = split_files(&root.join("pkg"), &name);
        let files = shell_files(&split, &name);
        let parts = part_files(&split);
        let mut hasher = DefaultHasher::new();
        env!("CARGO_PKG_VERSION").hash(&mut hasher);
        for file in files.iter().chain(&parts) {
            // A file missing here (a test without a built site) still gets a
            // stable name; the worker then fails to install, which is right.
            std::fs::read(root.join(file)).unwrap_or_default().hash(&mut hasher);
        }
        let version = format!("{:016x}", hasher.finish());
        let precache: Vec<String> = std::iter::once("/offline-shell".to_owned())
            .chain(files.iter().map(|f| format!("/{f}")))
            .collect();
        let parts: Vec<String> = parts.iter().map(|f| format!("/{f}")).collect();
        let worker = WORKER
            .replace("__VERSION__", &version)
            .replace("__PRECACHE__", &serde_json::to_string(&precache).unwrap_or_default())
            .replace("__PARTS__", &serde_json::to_string(&parts).unwrap_or_default());
        let shell = SHELL.replace("__NAME__", &name).replace("__VERSION__", &version);
        let shell_policy = app::security::content_security_policy(Some(&script_hash(&shell)));
        Self { worker, shell, shell_policy }
    }

    /// `GET /sw.js`.
    pub fn worker(&self) -> impl IntoResponse + use<> {
        (
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                // Browsers check for a new worker on every start; never let a
                // cache answer for the server.
                (header::CACHE_CONTROL, "no-cache"),
            ],
            self.worker.clone(),
        )
    }

    /// `GET /offline-shell`.
    pub fn shell(&self) -> impl IntoResponse + use<> {
        (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
                (header::CACHE_CONTROL, "no-cache".to_owned()),
                (header::CONTENT_SECURITY_POLICY, self.shell_policy.clone()),
            ],
            self.shell.clone(),
        )
    }
}

/// The CSP source (`'sha256-…'`) of the one inline script in `page`.
fn script_hash(page: &str) -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let start = page.find(SCRIPT_OPEN).map_or(0, |i| i + SCRIPT_OPEN.len());
    let end = page[start..].find("</script>").map_or(start, |i| start + i);
    let digest = Sha256::digest(page[start..end].as_bytes());
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest))
}

const SCRIPT_OPEN: &str = r#"<script type="module">"#;

/// A page with no data: the browser entry sees `data-shell` and mounts the
/// app, whose router renders whatever path the person opened, from the
/// device's own storage.
const SHELL: &str = r##"<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="theme-color" content="#1f6feb">
<meta name="crm-version" content="__VERSION__">
<link rel="icon" type="image/svg+xml" href="/favicon.svg">
<link rel="manifest" href="/manifest.webmanifest">
<link rel="stylesheet" href="/pkg/__NAME__.css">
<title>客户档案</title>
<script type="module">
import init, { hydrate } from "/pkg/__NAME__.js";
init({ module_or_path: "/pkg/__NAME__.wasm" }).then(() => hydrate());
</script>
</head>
<body data-shell></body>
</html>
"##;

/// The service worker. Server functions and other API calls never touch the
/// cache; pages come from the network when it answers and from the shell
/// when it does not; the shell's files come from the cache first.
const WORKER: &str = r#"// Generated by the server for this build.
const CACHE = "crm-shell-__VERSION__";
const PRECACHE = __PRECACHE__;
const PARTS = __PARTS__;
let partsKept = false;
let keeping = null;

// The parts of pages loaded on demand, kept one by one once the shell is in:
// a part that fails to download never keeps the app from installing; it is
// tried again at the next page opened, or fetched when its own page opens.
// One download at a time: a hundred at once held the browser's connections
// (six per server) and the cache, so the page's own requests and the
// worker's taking control waited behind them on a busy phone.
// One round at a time, so pages opened quickly do not fetch a part twice.
function keepParts() {
  if (partsKept) return Promise.resolve();
  if (keeping) return keeping;
  keeping = caches.open(CACHE)
    .then((cache) => PARTS.reduce((before, part) => before.then((allKept) =>
      cache.match(part)
        .then((hit) => hit || fetch(part).then((response) => {
          if (!response.ok) throw new Error(`${part}: ${response.status}`);
          return cache.put(part, response);
        }))
        .then(() => allKept, () => false)
    ), Promise.resolve(true)))
    .then((allKept) => { partsKept = allKept; })
    .finally(() => { keeping = null; });
  return keeping;
}

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)));
});

self.addEventListener("activate", (event) => {
  const claimed = caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("crm-shell-") && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim());
  event.waitUntil(claimed);
  // Once the pages are this worker's, and not part of activation (their
  // requests would wait for it).
  claimed.then(() => keepParts());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) {
    return;
  }
  if (request.mode === "navigate") {
    event.waitUntil(keepParts());
    event.respondWith(
      fetch(request).catch(() => caches.match("/offline-shell", { cacheName: CACHE }))
    );
    return;
  }
  if (PRECACHE.includes(url.pathname)) {
    event.respondWith(
      caches.match(request, { cacheName: CACHE, ignoreSearch: true }).then((hit) => hit || fetch(request))
    );
  } else if (PARTS.includes(url.pathname)) {
    event.respondWith(
      caches.open(CACHE).then((cache) =>
        cache.match(url.pathname).then((hit) => hit || fetch(request).then((response) => {
          if (response.ok) cache.put(url.pathname, response.clone());
          return response;
        }))
      )
    );
  }
});
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worker_precaches_the_shell_and_never_touches_server_functions() {
        let options = LeptosOptions::builder().output_name("crm").site_root("/nowhere").build();
        let pwa = Pwa::new(&options);
        assert!(pwa.worker.contains(r#""/offline-shell","/pkg/crm.js","/pkg/crm.wasm","/pkg/crm.css""#));
        assert!(pwa.worker.contains(r#"url.pathname.startsWith("/api/")"#));
        assert!(!pwa.worker.contains("__"), "every placeholder is filled");
        assert!(pwa.shell.contains("<body data-shell>"));
        assert!(pwa.shell.contains(r#"import init, { hydrate } from "/pkg/crm.js""#));
    }

    #[test]
    fn the_parts_of_the_wasm_split_off_for_later_pages_are_kept_after_the_shell_installs() {
        let site = tempfile::tempdir().expect("temporary site");
        let pkg = site.path().join("pkg");
        std::fs::create_dir_all(&pkg).expect("pkg directory");
        for file in [
            "crm.js",
            "crm.wasm",
            "crm.wasm.br",
            "crm.css",
            "split_dashboard_view_1.wasm",
            "split_dashboard_view_1.wasm.br",
            "chunk_3_dashboard_view.wasm",
            "__wasm_split.______________________.js",
            "__wasm_split_manifest.json",
        ] {
            std::fs::write(pkg.join(file), file).expect("site file");
        }
        let root = site.path().to_str().expect("utf-8 path");
        let options = LeptosOptions::builder().output_name("crm").site_root(root).build();
        let worker = Pwa::new(&options).worker;
        let list = |name: &str| {
            let line = worker.lines().find(|l| l.starts_with(&format!("const {name} = "))).expect("the list");
            line.to_owned()
        };
        let (shell, parts) = (list("PRECACHE"), list("PARTS"));
        assert!(
            shell.contains(r#""/pkg/__wasm_split.______________________.js""#),
            "the loader installs with the shell"
        );
        assert!(shell.contains(r#""/pkg/crm.wasm""#) && !shell.contains("dashboard"), "{shell}");
        assert_eq!(
            parts,
            r#"const PARTS = ["/pkg/chunk_3_dashboard_view.wasm","/pkg/split_dashboard_view_1.wasm"];"#
        );
        assert!(!worker.contains(".br\""), "compressed copies are not precached");
        assert!(!worker.contains("manifest.json"), "the server's manifest is not precached");
    }
}
