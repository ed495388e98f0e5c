//! End to end on real BuildKit: the build-time checks. Each class of mistake fails `docker buildx build`
//! with `<spec>:LINE:COL` and its own message; a musl program gets musl's loader only; a time-zone subset
//! holds only its zones. (cgo, gcc and static programs are in tests/e2e/pitfalls.rs.)
//!
//! Ignored by plain `cargo test` (they need Docker); scripts/test.sh runs them.

use crate::support::{e2e, image_files, run_cmd, Exported, BUILD_TIMEOUT};

/// `docker buildx build --progress plain -f <spec> <context> <extra>`: (success, all output).
fn build(spec: &str, context: &str, extra: &[&str]) -> (bool, String) {
    let out = run_cmd(crate::support::buildx().args(["-f", spec]).args(extra).arg(context), BUILD_TIMEOUT);
    (out.ok, format!("{}{}", out.stdout, out.stderr))
}

fn run_image(image: &str) -> String {
    let out = crate::support::run_container(&["--network", "none"], image);
    let text = format!("{}{}", out.stdout, out.stderr);
    assert!(out.ok, "{image} failed:\n{text}");
    text
}

fn example(name: &str) -> String {
    let image = format!("scratchkit-e2e/{name}");
    let (ok, log) =
        build(&format!("examples/{name}/scratch.yaml"), &format!("examples/{name}"), &["--load", "-t", &image]);
    assert!(ok, "building {name} failed:\n{log}");
    image
}

/// Each mistake: the build fails, buildx shows `<case>.yaml:LINE:COL`, the message and a hint.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn each_mistake_fails_the_build_with_its_location_and_message() {
    let _e2e = e2e();
    let cases = [
        ("not-executable", "6:5", "is not executable"),
        ("wrong-arch", "5:8", "but the image is for linux/amd64"),
        ("missing-library", "7:8", "needs `libgone.so`, which is not in the builder"),
        ("libraries-none", "5:8", "is dynamically linked"),
        ("no-ca-bundle", "3:10", "apt-get install ca-certificates"),
        ("unknown-zone", "3:10", "time zone `Mars/Olympus` is not in the builder"),
        ("unknown-user", "7:9", "no user named `ghost`"),
        ("missing-output", "5:8", "`/out/server` does not exist in the builder"),
        ("entrypoint-not-in-image", "7:15", "entrypoint `/usr/local/bin/app` is not in the image"),
        (
            "contents-over-passwd",
            "7:5",
            "`/out/etc/passwd` would be copied onto `/etc/passwd`, which `rootfs.users` and `rootfs.groups` writes",
        ),
    ];
    let mut failures = Vec::new();
    let cases = cases.iter().map(|(c, a, m)| (*c, *a, *m, "tests/e2e-fixtures/src")).chain([(
        "origin-moved",
        "11:5",
        "finds libraries relative to its own directory ($ORIGIN), but is copied to `/usr/local/bin/hello`",
        "tests/e2e-fixtures/runpath-origin",
    )]);
    for (case, at, message, context) in cases {
        let (ok, log) = build(&format!("tests/e2e-fixtures/{case}.yaml"), context, &[]);
        let location = format!("{case}.yaml:{at}");
        if ok || !log.contains(&location) || !log.contains(message) || !log.contains("= hint:") {
            failures
                .push(format!("{case}: want failure with `{location}`, `{message}` and a hint; got ok={ok}:\n{log}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn a_time_zone_subset_has_only_those_zones_and_they_load() {
    let _e2e = e2e();
    let image = "scratchkit-e2e/tz-subset";
    let (ok, log) = build("tests/e2e-fixtures/tz-subset.yaml", "examples/tz", &["--load", "-t", image]);
    assert!(ok, "{log}");
    assert!(run_image(image).contains("tz: Europe/Amsterdam CET CEST"));
    let zones: Vec<String> = image_files(image).into_iter().filter(|f| f.starts_with("usr/share/zoneinfo/")).collect();
    let mut zone_files: Vec<&str> =
        zones.iter().map(|f| f.trim_start_matches("usr/share/zoneinfo/")).filter(|z| *z != "Europe").collect();
    zone_files.sort();
    assert_eq!(zone_files, ["Europe/Amsterdam", "UTC"], "{zones:?}");
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn a_musl_program_runs_with_musls_loader_only() {
    let _e2e = e2e();
    let image = example("musl-c");
    assert!(run_image(&image).contains("musl-c: hello from musl"));
    let files = image_files(&image);
    assert!(files.iter().any(|f| f == "lib/ld-musl-x86_64.so.1"), "{files:?}");
    assert!(
        !files.iter().any(|f| f.ends_with("libc.so.6") || f == "etc/ld.so.cache"),
        "glibc pieces in a musl image: {files:?}"
    );
}

/// A builder without netbase and media-types: the build succeeds with a warning per package, and the image
/// has none of the three files; asking for `/etc/services` explicitly fails the build at the request.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn a_builder_without_netbase_warns_and_an_explicit_request_fails() {
    let _e2e = e2e();
    let image = "scratchkit-e2e/no-netbase";
    let (ok, log) = build("tests/e2e-fixtures/no-netbase.yaml", "tests/e2e-fixtures/src", &["--load", "-t", image]);
    assert!(ok, "{log}");
    for warning in [
        "the builder image has no `/etc/services` or `/etc/protocols`, so the image is built without them",
        "the builder image has no `/etc/mime.types`, so the image is built without it",
    ] {
        assert!(log.contains(warning), "no warning `{warning}` in:\n{log}");
    }
    let files = image_files(image);
    assert!(files.iter().any(|f| f == "busybox"), "{files:?}");
    for gone in ["etc/services", "etc/protocols", "etc/mime.types"] {
        assert!(!files.iter().any(|f| f == gone), "{gone} is in the image: {files:?}");
    }
    run_image(image);

    let (ok, log) = build("tests/e2e-fixtures/no-netbase-asked.yaml", "tests/e2e-fixtures/src", &[]);
    assert!(!ok, "the build succeeded without the requested /etc/services:\n{log}");
    for want in [
        "no-netbase-asked.yaml:10:13",
        "`rootfs.services: true`, but the builder image has no `/etc/services`",
        "apt-get install netbase",
    ] {
        assert!(log.contains(want), "no `{want}` in:\n{log}");
    }
}

/// A failing `run` is shown at its own spec line (a source map in the LLB), not at the `# syntax=` line,
/// with BuildKit's exit code.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn a_failing_run_is_shown_at_its_spec_line() {
    let _e2e = e2e();
    let (ok, log) = build("tests/e2e-fixtures/run-fails.yaml", "tests/e2e-fixtures/src", &[]);
    assert!(!ok, "the build succeeded:\n{log}");
    assert!(log.contains("run-fails.yaml:7"), "the failing step is not located at its line:\n{log}");
    assert!(log.contains(">>>     - echo \"this step fails\""), "the failing line is not marked:\n{log}");
    assert!(log.contains("exit code: 3"), "BuildKit's exit code is lost:\n{log}");
}

/// Warnings found when the spec is checked reach buildx's output through the frontend; copies into `/tmp`
/// and a home leave them as the rootfs makes them (1777 root, 0700 nonroot) in the stacked image, where
/// the copies' parents would otherwise be root's 0755.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn check_warnings_reach_buildx_and_copies_into_tmp_and_a_home_keep_their_modes() {
    let _e2e = e2e();
    let image = "scratchkit-e2e/into-rootfs-dirs";
    let (ok, log) = build(
        "tests/e2e-fixtures/into-rootfs-dirs.yaml",
        "tests/e2e-fixtures/src",
        &["--load", "-t", image, "--build-arg", "VERSON=1.2"],
    );
    assert!(ok, "{log}");
    for want in [
        "build arg `VERSON` is not used: no `args:` entry declares it; did you mean `VERSION`?",
        "mode 0666 makes `/srv/version` world-writable",
    ] {
        assert!(log.contains(want), "no warning `{want}` in:\n{log}");
    }
    let entries = Exported::new(image).entries();
    let entry = |path: &str| {
        entries.iter().find(|e| e.path == path).unwrap_or_else(|| panic!("no {path} in {entries:?}")).clone()
    };
    let (tmp, home) = (entry("tmp"), entry("home/nonroot"));
    assert_eq!((tmp.kind, tmp.mode, tmp.uid), ('d', 0o1777, 0), "{tmp:?}");
    assert_eq!((home.kind, home.mode, home.uid, home.gid), ('d', 0o700, 65532, 65532), "{home:?}");
    assert_eq!(entry("home/nonroot/.config/app.yaml").uid, 65532);
    assert_eq!(entry("tmp/seed.db").kind, '-');
    assert_eq!(entry("srv/version").mode, 0o666);
    run_image(image);
}
