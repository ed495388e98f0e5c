//! `scratchkit analyze`, the checks as BuildKit's exec runs them (docs/dev/analysis-exec.md): the release
//! binary's own subcommand over a directory, from a request file to a verdict file, as the frontend's
//! exec runs it with the builder's output or the image mounted.

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use scratchkit::analysis::{Check, Request, Verdict};
use scratchkit::plan::PlanInputs;
use scratchkit::platform::Platform;

/// A fresh directory of this test's own.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scratchkit-analysis-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `scratchkit analyze` as the exec does and reads its verdict.
fn analyze(dir: &Path, request: &Request, root: &Path) -> Verdict {
    let request_file = dir.join("request.json");
    std::fs::write(&request_file, serde_json::to_vec(request).unwrap()).unwrap();
    let verdict_file = dir.join("verdict.json");
    let out = Command::new(env!("CARGO_BIN_EXE_scratchkit"))
        .arg("analyze")
        .arg(&request_file)
        .arg(root)
        .arg(&verdict_file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&std::fs::read(verdict_file).unwrap()).unwrap()
}

fn request(spec: &str, check: Check) -> Request {
    let amd64 = Platform::linux_amd64();
    let inputs = PlanInputs { default_platform: Some(amd64.clone()), ..PlanInputs::default() };
    Request::new(spec, "scratch.yaml", &inputs, &amd64, check)
}

/// The host stands in for a builder (as in tests/elf_host.rs): a dynamic program of it needs its loader and
/// libc, found by the exec in the mounted directory; a copy the builder lacks is an error at its line.
#[test]
fn the_builder_check_finds_libraries_and_missing_files_in_the_mounted_directory() {
    let dir = scratch_dir("builder");
    let spec = "builder:\n  image: debian:12\n  run: \"true\"\ncopy:\n  - /usr/bin/true\n  - /out/missing\nrootfs:\n  ca-certificates: false\n  timezones: none\n  package-metadata: false\nimage:\n  entrypoint: [/usr/bin/true]\n";
    let verdict =
        analyze(&dir, &request(spec, Check::Builder { context_roots: Vec::new(), iconv: Vec::new() }), Path::new("/"));
    let Verdict::Builder { diagnostics, libraries, .. } = verdict else { panic!("{verdict:?}") };
    assert!(libraries.iter().any(|l| l.ends_with("/libc.so.6")), "{libraries:?}");
    assert!(libraries.iter().any(|l| l.ends_with("/ld-linux-x86-64.so.2")), "{libraries:?}");
    let missing: Vec<_> = diagnostics
        .items
        .iter()
        .filter(|d| d.message.contains("`/out/missing` does not exist in the builder"))
        .collect();
    assert_eq!(missing.len(), 1, "{diagnostics:?}");
    assert_eq!(missing[0].span.map(|s| s.line), Some(6));
    std::fs::remove_dir_all(dir).unwrap();
}

/// The image check reads the mounted image, not the machine it runs on: an entrypoint that is an absolute
/// link to `/usr/bin/true` (which this machine has) leads nowhere in an image without it; and the
/// request's `accept` paths are not held against the image.
#[test]
fn the_image_check_reads_the_mounted_image_only() {
    let dir = scratch_dir("image");
    let image = dir.join("rootfs");
    std::fs::create_dir_all(image.join("tmp")).unwrap();
    std::fs::set_permissions(image.join("tmp"), std::fs::Permissions::from_mode(0o755)).unwrap();
    symlink("/usr/bin/true", image.join("app")).unwrap();
    let spec = "copy:\n  - {from: context:app, to: /app}\nimage:\n  entrypoint: [/app]\n";
    let verdict = analyze(&dir, &request(spec, Check::Image { accept: Vec::new() }), &image);
    let Verdict::Image { diagnostics, entries, .. } = verdict else { panic!("{verdict:?}") };
    let text: Vec<&str> = diagnostics.items.iter().map(|d| d.message.as_str()).collect();
    assert!(entries >= 2, "{entries}");
    assert!(text.iter().any(|m| m.contains("/app")), "{text:#?}");
    assert!(text.iter().any(|m| m.contains("/tmp")), "{text:#?}");
    // Accepted paths are not held against the image.
    let verdict = analyze(&dir, &request(spec, Check::Image { accept: vec!["/tmp".into()] }), &image);
    let Verdict::Image { diagnostics, .. } = verdict else { panic!("{verdict:?}") };
    assert!(!diagnostics.items.iter().any(|d| d.message.contains("/tmp")), "{diagnostics:#?}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// A request it cannot use is a verdict that says so (the frontend shows it), not a crash.
#[test]
fn a_bad_request_is_a_failed_verdict() {
    let dir = scratch_dir("bad");
    let mut bad = request("copy: [/x]\n", Check::Image { accept: Vec::new() });
    bad.platform = "nonsense".into();
    let verdict = analyze(&dir, &bad, &dir);
    assert!(matches!(&verdict, Verdict::Failed { message } if message.contains("nonsense")), "{verdict:?}");
    std::fs::remove_dir_all(dir).unwrap();
}
