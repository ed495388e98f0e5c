//! End to end on real BuildKit: the library closure covers what the loader does not name. glibc opens
//! `libgcc_s.so.1` for `pthread_cancel` and the gconv modules for `iconv_open`; a binary from the build
//! context takes its libraries from the builder image, or, without one, stops the build at its copy
//! entry. Each image is run: the test passes only if the program does what it does in the builder.
//!
//! Ignored by plain `cargo test` (they need Docker); scripts/test.sh runs them.

use std::path::PathBuf;
use std::process::Command;

use crate::support::{e2e, run_cmd, BUILD_TIMEOUT};

/// `docker buildx build --progress plain -f <spec> <context> <extra>`: (success, all output).
fn build(spec: &str, context: &str, extra: &[&str]) -> (bool, String) {
    let out = run_cmd(crate::support::buildx().args(["-f", spec]).args(extra).arg(context), BUILD_TIMEOUT);
    (out.ok, format!("{}{}", out.stdout, out.stderr))
}

/// Builds `spec` into `image` and runs it; returns what it printed, or panics with the build log or the
/// run's output.
fn build_and_run(spec: &str, context: &str, image: &str) -> String {
    let (ok, log) = build(spec, context, &["--load", "-t", image]);
    assert!(ok, "building {spec} failed:\n{log}");
    let out = crate::support::run_container(&["--network", "none"], image);
    let text = format!("{}{}", out.stdout, out.stderr);
    assert!(out.ok, "{image} failed (on the old main a dlopen'd file or a library is missing here):\n{text}");
    text
}

/// A C program calling `pthread_cancel`: without `libgcc_s.so.1` in the image it aborts with
/// `libgcc_s.so.1 must be installed for pthread_cancel to work` (exit 134), as it did before.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn a_c_program_that_cancels_a_thread_runs() {
    let _e2e = e2e();
    let dir = "tests/e2e-fixtures/glibc-dlopen";
    let out = build_and_run(&format!("{dir}/cancel.yaml"), dir, "scratchkit-e2e/cancel");
    assert!(out.contains("cancel: the thread was cancelled"), "{out}");
}

/// A C program converting CP1252 to UTF-8: without the gconv modules `iconv_open` fails with
/// `iconv: CP1252: Invalid argument`, as it did before.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn a_c_program_that_converts_from_cp1252_runs() {
    let _e2e = e2e();
    // The program is the one the `rootfs.gconv` tests build: its source is in their context.
    let (spec, context) = ("tests/e2e-fixtures/glibc-dlopen/iconv.yaml", "tests/e2e-fixtures/brought");
    let out = build_and_run(spec, context, "scratchkit-e2e/iconv");
    assert!(out.contains("iconv: café € 5"), "{out}");
}

/// A build context holding `hello`, a dynamically linked C program compiled here with the host's gcc
/// (Debian 12, like the builder image): a binary built earlier in CI.
fn context_with_a_dynamic_binary(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scratchkit-e2e-context-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("hello.c"),
        "#include <stdio.h>\nint main(void) { puts(\"hello from the build context\"); return 0; }\n",
    )
    .unwrap();
    let status =
        Command::new("gcc").current_dir(&dir).args(["-O2", "-s", "-o", "hello", "hello.c"]).status().expect("gcc runs");
    assert!(status.success(), "gcc failed");
    dir
}

/// With a builder image and no `run`, the image takes the binary's loader and libc from it. Before, the
/// image had none: `exec /usr/local/bin/hello: no such file or directory`.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn a_dynamic_binary_from_the_context_runs_with_the_builders_libraries() {
    let _e2e = e2e();
    let dir = context_with_a_dynamic_binary("with-builder");
    let spec = dir.join("scratch.yaml");
    std::fs::write(
        &spec,
        "# syntax=scratchkit:dev\nbuilder:\n  image: scratchkit-test/go:bookworm\ncopy:\n  - {from: \"context:hello\", to: /usr/local/bin/hello}\nimage:\n  entrypoint: [/usr/local/bin/hello]\n",
    )
    .unwrap();
    let out = build_and_run(&spec.display().to_string(), &dir.display().to_string(), "scratchkit-e2e/context-dynamic");
    assert!(out.contains("hello from the build context"), "{out}");
    let _ = std::fs::remove_dir_all(dir);
}

/// Without a builder the same binary cannot run: the build stops at its copy entry with a hint. Before,
/// the build was green and the image failed with `exec /hello: no such file or directory`.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn a_dynamic_binary_from_the_context_without_a_builder_is_a_located_error() {
    let _e2e = e2e();
    let dir = context_with_a_dynamic_binary("no-builder");
    let spec = dir.join("scratch.yaml");
    std::fs::write(&spec, "# syntax=scratchkit:dev\ncopy:\n  - hello\n").unwrap();
    let (ok, log) = build(&spec.display().to_string(), &dir.display().to_string(), &[]);
    assert!(!ok, "the build succeeded:\n{log}");
    for want in [
        "scratch.yaml:3:5",
        "`context:hello` is dynamically linked: it needs /lib64/ld-linux-x86-64.so.2 and libc.so.6",
        "no `run` needed",
    ] {
        assert!(log.contains(want), "no `{want}` in:\n{log}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Debian's Go SDK directory copied whole: `bin/go` inside it is dynamically linked, and its `src` is a
/// relative symlink out of the directory (to `/usr/share/go-1.19/src`). Before, the build was green and
/// the image failed with `exec /usr/lib/go-1.19/bin/go: no such file or directory`; with the loader alone,
/// `go list std` would fail for want of `src`.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn a_directory_copied_whole_runs_its_program_with_its_symlinked_parts() {
    let _e2e = e2e();
    let dir = "tests/e2e-fixtures/go-sdk";
    let out = build_and_run(&format!("{dir}/scratch.yaml"), dir, "scratchkit-e2e/go-sdk");
    for package in ["archive/tar", "net/http", "unicode/utf8"] {
        assert!(out.lines().any(|l| l == package), "no `{package}` in:\n{out}");
    }
}
