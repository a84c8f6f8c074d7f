//! `cargo run --bin size-report`: what the app shell costs a phone to download.
//!
//! Reads the release site under `target/site/pkg` and prints each file's size
//! raw, gzip (level 9) and brotli (quality 11), ending with one line tools can
//! parse:
//! `size-report: wasm_br=<bytes> js_br=<bytes> css_br=<bytes> total_br=<bytes>`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const OUTPUT_NAME: &str = "crm";
const BUILD_COMMAND: &str = "cargo leptos build --release --frontend-only";

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
    let files = [("wasm", ".wasm"), ("js", ".js"), ("css", ".css")];
    let mut brotli = Vec::new();
    println!("{:<6} {:>10} {:>10} {:>10}  file", "kind", "raw", "gzip", "brotli");
    for (kind, suffix) in files {
        let path = pkg.join(format!("{OUTPUT_NAME}{suffix}"));
        let bytes = std::fs::read(&path).map_err(|_| {
            format!("{} is missing: build the release site first with `{BUILD_COMMAND}`", path.display())
        })?;
        if kind == "wasm" && has_debug_info(&bytes) {
            return Err(format!(
                "{} is a debug build (it carries DWARF sections): build the release site with `{BUILD_COMMAND}`",
                path.display()
            ));
        }
        let sizes = measure(&bytes)?;
        println!("{kind:<6} {:>10} {:>10} {:>10}  {}", sizes.raw, sizes.gzip, sizes.brotli, path.display());
        brotli.push(sizes.brotli);
    }
    let total: usize = brotli.iter().sum();
    println!("size-report: wasm_br={} js_br={} css_br={} total_br={total}", brotli[0], brotli[1], brotli[2]);
    Ok(())
}

fn measure(bytes: &[u8]) -> Result<Sizes, String> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes).map_err(|e| e.to_string())?;
    let gzip = gz.finish().map_err(|e| e.to_string())?.len();
    let mut br = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
        writer.write_all(bytes).map_err(|e| e.to_string())?;
    }
    Ok(Sizes { raw: bytes.len(), gzip, brotli: br.len() })
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
    fn a_site_that_was_not_built_names_the_command_that_builds_it() {
        let empty = std::env::temp_dir().join(format!("size-report-empty-{}", std::process::id()));
        let message = report(&empty).unwrap_err();
        assert!(message.contains(BUILD_COMMAND), "{message}");
    }

    #[test]
    fn compression_makes_repetitive_input_smaller() {
        let sizes = measure(&b"customer ".repeat(1000)).unwrap();
        assert_eq!(sizes.raw, 9000);
        assert!(sizes.gzip < 200 && sizes.brotli < 200);
    }
}
