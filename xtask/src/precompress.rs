//! The compressed copies of the site the server hands to browsers that
//! accept them: `<file>.br` (brotli, quality 11) and `<file>.gz` (gzip -9)
//! beside every file.
//!
//! cargo-leptos can write them (`--precompress`), but its compressor is part
//! of a debug build of cargo-leptos (which halves its install time) and took
//! 62 s alone, 146 s beside the tests, for the wasm. Debian's `brotli` and
//! `gzip` take 12 s and make slightly smaller files.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

/// Writes `.br` and `.gz` copies of every file under `site`, replacing older ones.
/// Returns how many files it compressed.
pub fn site(site: &Path) -> Result<usize, String> {
    let mut files = Vec::new();
    collect(site, &mut files)?;
    // The wasm is most of the work and the rest is small: every file's two
    // compressors start at once.
    let mut running: Vec<(String, Child)> = Vec::with_capacity(files.len() * 2);
    for file in &files {
        for (name, args, extension) in [
            ("brotli", &["--quality=11", "--stdout", "--"][..], "br"),
            ("gzip", &["-9", "--no-name", "--stdout", "--"][..], "gz"),
        ] {
            // Written through stdout: both tools would give the copy the
            // original's time (truncated to the second), and a copy older
            // than its file reads as left over from an earlier build.
            let copy = PathBuf::from(format!("{}.{extension}", file.display()));
            let out =
                std::fs::File::create(&copy).map_err(|e| format!("cannot write {}: {e}", copy.display()))?;
            let child = Command::new(name)
                .args(args)
                .arg(file)
                .stdout(out)
                .spawn()
                .map_err(|e| format!("cannot run {name}: {e}"))?;
            running.push((format!("{name} {}", file.display()), child));
        }
    }
    let mut failed = Vec::new();
    for (name, mut child) in running {
        match child.wait() {
            Ok(status) if status.success() => {}
            Ok(status) => failed.push(format!("{name} ({status})")),
            Err(e) => failed.push(format!("{name} ({e})")),
        }
    }
    if failed.is_empty() {
        Ok(files.len())
    } else {
        Err(format!("compressing the site failed: {}", failed.join(", ")))
    }
}

/// Every file under `dir` that is not itself a compressed copy.
fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else if !matches!(path.extension().and_then(|e| e.to_str()), Some("br" | "gz")) {
            files.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unpacked(program: &str, file: &Path) -> Vec<u8> {
        let out = Command::new(program).args(["--decompress", "--stdout"]).arg(file).output().unwrap();
        assert!(out.status.success(), "{program} could not read {}", file.display());
        out.stdout
    }

    #[test]
    fn every_file_gets_a_brotli_and_a_gzip_copy_that_unpack_to_it_and_copies_are_not_copied() {
        let dir = std::env::temp_dir().join(format!("crm-precompress-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        let wasm = "fn main() {} ".repeat(500).into_bytes();
        std::fs::write(dir.join("pkg/app.wasm"), &wasm).unwrap();
        std::fs::write(dir.join("index.html"), b"<html></html>").unwrap();
        // A copy from an earlier build is replaced, never compressed again.
        std::fs::write(dir.join("index.html.br"), b"stale").unwrap();

        assert_eq!(site(&dir).unwrap(), 2);
        assert_eq!(unpacked("brotli", &dir.join("pkg/app.wasm.br")), wasm);
        assert_eq!(unpacked("gzip", &dir.join("pkg/app.wasm.gz")), wasm);
        assert_eq!(unpacked("brotli", &dir.join("index.html.br")), b"<html></html>");
        assert!(!dir.join("index.html.br.gz").exists());
        // Newer than what they copy, as the size report expects of a fresh build.
        let modified = |p: &str| std::fs::metadata(dir.join(p)).unwrap().modified().unwrap();
        assert!(modified("pkg/app.wasm.br") >= modified("pkg/app.wasm"));
        assert!(modified("pkg/app.wasm.gz") >= modified("pkg/app.wasm"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
