//! End to end on real BuildKit: what the image takes from the builder by the spec's word, besides its
//! copies and their closure: `rootfs.gconv` (the charsets chosen, resolved through glibc's gconv
//! configuration), `rootfs.dlopen` (libraries and plugins programs open by name) and `rootfs.packages`
//! (whole Debian packages), and the libraries a `.note.dlopen` requires. Each image is run as its user;
//! each name the builder lacks is a located error. On the old main the specs with the keys were refused
//! (the keys did not exist), and the note's library was missing at run time.
//!
//! Ignored by plain `cargo test` (they need Docker); scripts/test.sh runs them.

use crate::support::{e2e, run_cmd, Exported, BUILD_TIMEOUT};

const DIR: &str = "tests/e2e-fixtures/brought";

/// Builds `tests/e2e-fixtures/brought/<spec>`: (success, all output).
fn build(spec: &str, extra: &[&str]) -> (bool, String) {
    let out =
        run_cmd(crate::support::buildx().args(["-f", &format!("{DIR}/{spec}")]).args(extra).arg(DIR), BUILD_TIMEOUT);
    (out.ok, format!("{}{}", out.stdout, out.stderr))
}

/// Builds `spec` into `image` and runs it as its user; returns what it printed.
fn build_and_run(spec: &str, image: &str) -> String {
    let (ok, log) = build(spec, &["--load", "-t", image]);
    assert!(ok, "building {spec} failed:\n{log}");
    let out = crate::support::run_container(&["--network", "none"], image);
    let text = format!("{}{}", out.stdout, out.stderr);
    assert!(out.ok, "{image} failed:\n{text}");
    text
}

/// The build of `spec` fails, and its output has each of `want`.
fn refused(spec: &str, want: &[&str]) {
    let (ok, log) = build(spec, &[]);
    assert!(!ok, "{spec} was built:\n{log}");
    for w in want {
        assert!(log.contains(w), "no `{w}` in:\n{log}");
    }
}

const GCONV: &str = "usr/lib/x86_64-linux-gnu/gconv";

/// `rootfs.gconv: [windows-1252]`: the alias resolves to CP1252's module, which converts; the image has the
/// configuration and that module, not the other 250.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn gconv_brings_the_charsets_listed() {
    let _e2e = e2e();
    let image = "scratchkit-e2e/gconv-list";
    let out = build_and_run("gconv.yaml", image);
    assert!(out.contains("iconv: café € 5"), "{out}");
    let files = Exported::new(image).paths();
    let modules: Vec<&String> = files.iter().filter(|f| f.starts_with(GCONV) && f.ends_with(".so")).collect();
    assert_eq!(modules, [&format!("{GCONV}/CP1252.so")], "{files:?}");
    for config in ["gconv-modules", "gconv-modules.d/gconv-modules-extra.conf"] {
        assert!(files.contains(&format!("{GCONV}/{config}")), "no {config} in {files:?}");
    }
}

/// A charset the configuration does not know is an error at its entry.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn gconv_refuses_an_unknown_charset_at_its_entry() {
    let _e2e = e2e();
    refused("gconv-unknown.yaml", &["gconv-unknown.yaml:9:19", "has no charset `KLINGON`", "iconv --list"]);
}

/// `rootfs.dlopen: [libz.so.1, /opt/plugins/greet.so]`: both open, and the plugin's own `DT_NEEDED`
/// library (libbz2) came with it.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn dlopen_brings_libraries_and_plugins_with_their_closure() {
    let _e2e = e2e();
    let out = build_and_run("dlopen.yaml", "scratchkit-e2e/dlopen");
    assert!(out.contains("zlib 1.2.13; bzip2 1.0.8"), "{out}");
}

/// A soname no system directory of the builder has is an error at its entry.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn dlopen_refuses_a_library_the_builder_lacks_at_its_entry() {
    let _e2e = e2e();
    refused(
        "dlopen-unknown.yaml",
        &["dlopen-unknown.yaml:9:23", "`rootfs.dlopen` names `libnope.so.9`, which is not in the builder (searched"],
    );
}

/// `rootfs.packages: [fonts-dejavu-core, libnss3]`: the font reads as the image's user, NSS opens (its
/// libraries from libnspr4 came by closure), and both packages have their dpkg metadata.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn packages_bring_their_files_closure_and_metadata() {
    let _e2e = e2e();
    let image = "scratchkit-e2e/packages";
    let out = build_and_run("packages.yaml", image);
    assert!(out.contains("font 00010000; NSS 3."), "{out}");
    let files = Exported::new(image).paths();
    for want in [
        "var/lib/dpkg/status.d/fonts-dejavu-core",
        "var/lib/dpkg/status.d/libnss3",
        "var/lib/dpkg/status.d/libnspr4",
        "x86_64-linux-gnu/libnspr4.so",
        "x86_64-linux-gnu/libsoftokn3.so",
    ] {
        assert!(files.iter().any(|f| f.ends_with(want)), "no {want} among the image's {} paths", files.len());
    }
}

/// A package the builder has not installed is an error naming it and the builder image.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn packages_refuse_one_the_builder_lacks_at_its_entry() {
    let _e2e = e2e();
    refused(
        "packages-unknown.yaml",
        &["packages-unknown.yaml:9:33", "package `libpq5` is not installed in the builder image", "runtimes:bookworm"],
    );
}

/// A library whose `.note.dlopen` requires `libbar.so.1` (built in the builder: no Debian 12 library
/// carries such a note): libbar comes into the image though nothing names it. On the old main the build
/// was green and the program printed `libbar.so.1: cannot open shared object file`.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn a_required_dlopen_note_brings_its_library() {
    let _e2e = e2e();
    let out = build_and_run("note.yaml", "scratchkit-e2e/dlopen-note");
    assert!(out.contains("bar: opened through the note"), "{out}");
}
