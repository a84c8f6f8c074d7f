//! `cargo run --bin size-report`: what the app shell costs a phone to download.
//!
//! Reads the release site under `target/site/pkg` and prints each file's size
//! raw, gzip and brotli: first what every first load fetches (the main wasm,
//! its JS glue with the loader of the split-off parts, the CSS), then each
//! part split off for pages loaded on demand and what opening each such page
//! fetches. It ends with one line tools can parse, about the first load:
//! `size-report: wasm_br=<bytes> js_br=<bytes> css_br=<bytes> total_br=<bytes>`.
//! The compressed sizes are those of the `.gz` and `.br` files the release
//! build wrote beside each file (brotli at quality 11): exactly what the
//! server sends a phone, and nothing compressed a second time here.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const OUTPUT_NAME: &str = "crm";
const BUILD_COMMAND: &str = "cargo xtask site";

#[derive(Debug)]
struct Sizes {
    raw: usize,
    gzip: usize,
    brotli: usize,
}

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_owned();
    let pkg =
        std::env::var_os("CRM_SITE_ROOT").map_or_else(|| root.join("target/site"), PathBuf::from).join("pkg");
    match report(&pkg) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("size-report: {message}");
            ExitCode::FAILURE
        }
    }
}

fn report(pkg: &Path) -> Result<(), String> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|_| {
            format!("{} is missing: build the release site first with `{BUILD_COMMAND}`", path.display())
        })
    };
    let show = |kind: &str, path: &Path, sizes: &Sizes| {
        println!("{kind:<6} {:>10} {:>10} {:>10}  {}", sizes.raw, sizes.gzip, sizes.brotli, path.display());
    };
    let mut first = Vec::new();
    println!("first load");
    println!("{:<6} {:>10} {:>10} {:>10}  file", "kind", "raw", "gzip", "brotli");
    for (kind, suffix) in [("wasm", ".wasm"), ("js", ".js"), ("css", ".css")] {
        let path = pkg.join(format!("{OUTPUT_NAME}{suffix}"));
        let bytes = read(&path)?;
        if kind == "wasm" && has_debug_info(&bytes) {
            return Err(format!(
                "{} is a debug build (it carries DWARF sections): build the release site with `{BUILD_COMMAND}`",
                path.display()
            ));
        }
        let mut sizes = measure(&path, &bytes)?;
        show(kind, &path, &sizes);
        // The glue imports the loader of the split-off parts: both load first.
        if kind == "js"
            && let Some(loader) = split_files(pkg)?.into_iter().find(|name| name.ends_with(".js"))
        {
            let path = pkg.join(loader);
            let loader = measure(&path, &read(&path)?)?;
            show("js", &path, &loader);
            sizes = Sizes {
                raw: sizes.raw + loader.raw,
                gzip: sizes.gzip + loader.gzip,
                brotli: sizes.brotli + loader.brotli,
            };
        }
        first.push(sizes.brotli);
    }
    let parts = split_files(pkg)?.into_iter().filter(|name| name.ends_with(".wasm")).collect::<Vec<_>>();
    if !parts.is_empty() {
        println!("loaded on demand");
        let mut part_brotli = std::collections::BTreeMap::new();
        for name in &parts {
            let path = pkg.join(name);
            let sizes = measure(&path, &read(&path)?)?;
            show("wasm", &path, &sizes);
            part_brotli.insert(name.trim_end_matches(".wasm").to_owned(), sizes.brotli);
        }
        let manifest = std::fs::read_to_string(pkg.join("__wasm_split_manifest.json")).unwrap_or_default();
        for (page, files) in manifest_entries(&manifest) {
            let brotli: usize = files.iter().filter_map(|file| part_brotli.get(file)).sum();
            println!("opening {}: {} part(s), brotli {brotli}", page_name(&page), files.len());
        }
        println!("size-report-parts: parts={} parts_br={}", parts.len(), part_brotli.values().sum::<usize>());
    }
    let total: usize = first.iter().sum();
    println!("size-report: wasm_br={} js_br={} css_br={} total_br={total}", first[0], first[1], first[2]);
    Ok(())
}

/// The files `cargo leptos --split` wrote beside the main wasm: the parts of
/// pages loaded on demand (`*.wasm`) and their loader (`__wasm_split*.js`).
fn split_files(pkg: &Path) -> Result<Vec<String>, String> {
    let main = format!("{OUTPUT_NAME}.wasm");
    let entries = std::fs::read_dir(pkg).map_err(|_| {
        format!("{} is missing: build the release site first with `{BUILD_COMMAND}`", pkg.display())
    })?;
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| {
            (name.ends_with(".wasm") && *name != main)
                || (name.starts_with("__wasm_split") && name.ends_with(".js"))
        })
        .collect();
    names.sort();
    Ok(names)
}

/// `dashboard` for the split named `__dashboard_view_5370070759724790383`.
fn page_name(split: &str) -> &str {
    let name = split.trim_start_matches('_');
    name.rsplit_once("_view_").map_or(name, |(page, _)| page)
}

/// The split manifest, `{"page": ["part", ...], ...}`, as pairs (a reader for
/// this one shape, so the report needs no JSON crate).
fn manifest_entries(json: &str) -> Vec<(String, Vec<String>)> {
    let mut entries: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_list = false;
    let mut rest = json;
    while let Some(at) = rest.find(['"', '[', ']']) {
        match rest.as_bytes()[at] {
            b'[' => in_list = true,
            b']' => in_list = false,
            _ => {
                let Some(len) = rest[at + 1..].find('"') else { break };
                let text = rest[at + 1..at + 1 + len].to_owned();
                rest = &rest[at + 2 + len..];
                match entries.last_mut() {
                    Some((_, files)) if in_list => files.push(text),
                    _ => entries.push((text, Vec::new())),
                }
                continue;
            }
        }
        rest = &rest[at + 1..];
    }
    entries
}

/// The sizes of `path` (whose content is `bytes`) and of its precompressed copies.
fn measure(path: &Path, bytes: &[u8]) -> Result<Sizes, String> {
    let compressed = |extension: &str| {
        let copy = PathBuf::from(format!("{}.{extension}", path.display()));
        let size = std::fs::metadata(&copy)
            .map(|m| m.len() as usize)
            .map_err(|_| format!("{} is missing: build the site with `{BUILD_COMMAND}`", copy.display()))?;
        // A copy older than its file belongs to an earlier build.
        let stale = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        if stale(&copy) < stale(path) {
            return Err(format!(
                "{} is older than the file: build again with `{BUILD_COMMAND}`",
                copy.display()
            ));
        }
        Ok(size)
    };
    Ok(Sizes { raw: bytes.len(), gzip: compressed("gz")?, brotli: compressed("br")? })
}

/// True when the module has a `.debug_*` custom section, which release
/// builds strip: it tells a dev build from a release one.
fn has_debug_info(wasm: &[u8]) -> bool {
    let mut pos = 8; // magic and version
    while pos < wasm.len() {
        let id = wasm[pos];
        pos += 1;
        let Some((size, after)) = leb128(wasm, pos) else { return false };
        let end = after + size;
        if id == 0
            && let Some((name_len, name_at)) = leb128(wasm, after)
            && wasm.get(name_at..name_at + name_len).unwrap_or_default().starts_with(b".debug_")
        {
            return true;
        }
        pos = end;
    }
    false
}

fn leb128(bytes: &[u8], mut pos: usize) -> Option<(usize, usize)> {
    let mut value = 0usize;
    let mut shift = 0;
    loop {
        let byte = *bytes.get(pos)?;
        pos += 1;
        value |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some((value, pos));
        }
        shift += 7;
        if shift > 35 {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(sections: &[(u8, &[u8])]) -> Vec<u8> {
        let mut out = b"\0asm\x01\0\0\0".to_vec();
        for (id, body) in sections {
            out.push(*id);
            out.push(body.len() as u8);
            out.extend_from_slice(body);
        }
        out
    }

    #[test]
    fn a_module_with_dwarf_is_recognised_as_a_debug_build() {
        let debug = module(&[(1, b"\x00"), (0, b"\x0b.debug_infoxx")]);
        assert!(has_debug_info(&debug));
        let release = module(&[(1, b"\x00"), (0, b"\x04namexx")]);
        assert!(!has_debug_info(&release));
    }

    #[test]
    fn the_split_manifest_names_each_page_and_the_parts_it_fetches() {
        let manifest = r#"{
  "dashboard_view_1": ["chunk_2_dashboard", "split_dashboard_view_1"],
  "pool_view_9": ["split_pool_view_9"]
}"#;
        assert_eq!(
            manifest_entries(manifest),
            vec![
                (
                    "dashboard_view_1".to_owned(),
                    vec!["chunk_2_dashboard".to_owned(), "split_dashboard_view_1".to_owned()]
                ),
                ("pool_view_9".to_owned(), vec!["split_pool_view_9".to_owned()]),
            ]
        );
        assert!(manifest_entries("").is_empty());
        assert_eq!(page_name("__dashboard_view_5370070759724790383"), "dashboard");
    }

    #[test]
    fn a_site_that_was_not_built_names_the_command_that_builds_it() {
        let empty = std::env::temp_dir().join(format!("size-report-empty-{}", std::process::id()));
        let message = report(&empty).unwrap_err();
        assert!(message.contains(BUILD_COMMAND), "{message}");
    }

    #[test]
    fn the_sizes_are_those_of_the_precompressed_copies_and_a_missing_one_is_named() {
        let dir = std::env::temp_dir().join(format!("size-report-copies-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("crm.js");
        std::fs::write(&file, b"customer ".repeat(1000)).unwrap();
        std::fs::write(dir.join("crm.js.br"), [0u8; 40]).unwrap();
        let missing = measure(&file, &std::fs::read(&file).unwrap()).unwrap_err();
        assert!(missing.contains("crm.js.gz") && missing.contains("cargo xtask site"), "{missing}");
        std::fs::write(dir.join("crm.js.gz"), [0u8; 60]).unwrap();
        let sizes = measure(&file, &std::fs::read(&file).unwrap()).unwrap();
        assert_eq!((sizes.raw, sizes.gzip, sizes.brotli), (9000, 60, 40));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
