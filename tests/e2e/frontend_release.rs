//! End to end: the release path of the frontend image itself. The top-level `Dockerfile` is built for real,
//! offline: from a Rust builder image made here (`scripts/rust-builder-image.sh`) and a context holding the
//! repository's tracked files plus its crates (`cargo vendor`). The image is pushed to the loopback registry,
//! pinned by digest in a `# syntax=` line, and builds and runs `examples/smallest` with every pitfall fixed.
//!
//! Ignored by plain `cargo test` (it needs Docker and the registry); scripts/test.sh runs it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{
    assert_lines, buildx_dockerfile, docker_cmd, e2e, repo, run_cmd, Exported, BUILDER_IMAGE, BUILD_TIMEOUT, REGISTRY,
    RUN_TIMEOUT,
};

/// The Rust builder image scripts/rust-builder-image.sh makes (the local builder image plus the host's toolchain).
const RUST_IMAGE: &str = "scratchkit-test/rust:bookworm";
/// A release build compiles every crate with LTO on two cores: minutes, not seconds.
const RELEASE_BUILD_TIMEOUT: Duration = Duration::from_secs(40 * 60);
const TIMES_FILE: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/e2e-build-times.txt");

fn record(line: &str) {
    use std::io::Write;
    eprintln!("{line}");
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(TIMES_FILE) {
        let _ = writeln!(f, "{line}");
    }
}

fn must(cmd: &mut Command, timeout: Duration) -> String {
    let shown = format!("{cmd:?}");
    let out = run_cmd(cmd, timeout);
    assert!(out.ok, "{shown} failed\n{}", out.all());
    out.stdout
}

/// A fresh directory for this test's contexts.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scratchkit-e2e-release-image-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The build context a release pipeline would have: the repository's tracked files (as a clean clone has
/// them, whatever `target/` holds here) and, since the build container has no network, the locked crates
/// vendored beside them with the `.cargo/config.toml` that points cargo at them.
fn release_context() -> PathBuf {
    let dir = scratch_dir("context");
    let listed = must(Command::new("git").arg("-C").arg(repo()).args(["ls-files", "-z"]), RUN_TIMEOUT);
    let mut copied = 0;
    for rel in listed.split('\0').filter(|s| !s.is_empty()) {
        let from = repo().join(rel);
        if !from.is_file() {
            continue; // deleted in the work tree, or a submodule
        }
        let to = dir.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("{rel}: {e}"));
        copied += 1;
    }
    assert!(copied > 50 && dir.join("Dockerfile").is_file(), "only {copied} tracked files copied");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let config = must(
        Command::new(cargo).current_dir(&dir).args(["vendor", "--locked", "--versioned-dirs", "vendor"]),
        BUILD_TIMEOUT,
    );
    assert!(config.contains("vendored-sources"), "cargo vendor printed no source replacement:\n{config}");
    std::fs::create_dir_all(dir.join(".cargo")).unwrap();
    std::fs::write(dir.join(".cargo/config.toml"), config).unwrap();
    dir
}

fn smallest_spec(dir: &Path, frontend: &str) {
    let text = std::fs::read_to_string(repo().join("examples/smallest/scratch.yaml")).unwrap();
    let (first, rest) = text.split_once('\n').unwrap();
    assert!(first.starts_with("# syntax="), "examples/smallest/scratch.yaml does not start with # syntax=");
    std::fs::write(dir.join("scratch.yaml"), format!("# syntax={frontend}\n{rest}")).unwrap();
    for f in ["go.mod", "main.go"] {
        std::fs::copy(repo().join("examples/smallest").join(f), dir.join(f)).unwrap();
    }
}

#[test]
#[ignore = "needs Docker, the registry and the Rust builder image: scripts/test.sh runs it"]
fn the_release_dockerfile_builds_offline_and_its_image_serves_as_the_frontend() {
    let _e2e = e2e();
    let have_rust = run_cmd(docker_cmd().args(["image", "inspect", "--format", "{{.Id}}", RUST_IMAGE]), RUN_TIMEOUT);
    assert!(have_rust.ok, "image {RUST_IMAGE} is missing; run scripts/rust-builder-image.sh (scripts/test.sh does)");
    let registry_up = run_cmd(
        Command::new("curl").args(["-fsS", "--max-time", "10", &format!("http://{REGISTRY}/v2/")]),
        RUN_TIMEOUT,
    );
    assert!(
        registry_up.ok,
        "no registry answers on {REGISTRY} (run scripts/registry.sh; scripts/test.sh does)\n{}",
        registry_up.all()
    );

    // The top-level Dockerfile, as a release pipeline runs it (Docker's own frontend: no BUILDKIT_SYNTAX).
    let context = release_context();
    let tag = format!("{REGISTRY}/scratchkit-e2e/release:test");
    let start = Instant::now();
    let out = run_cmd(
        buildx_dockerfile()
            .args(["--build-arg", &format!("RUST_IMAGE={RUST_IMAGE}"), "--load", "-t", &tag])
            .arg(&context),
        RELEASE_BUILD_TIMEOUT,
    );
    assert!(out.ok, "the release Dockerfile did not build\n{}", out.all());
    record(&format!("e2e-frontend-release: the release Dockerfile built in {:.1}s", start.elapsed().as_secs_f64()));

    // What the release image is: one static file, the frontend's labels and entrypoint.
    let image = Exported::new(&tag);
    let docker_own = |p: &str| {
        [".dockerenv", "etc/hosts", "etc/hostname", "etc/resolv.conf", "etc/mtab"].contains(&p)
            || ["dev/", "proc/", "sys/"].iter().any(|d| p.starts_with(d))
    };
    let files: Vec<String> = image
        .entries()
        .into_iter()
        .filter(|e| e.kind != 'd' && !docker_own(&e.path))
        .map(|e| format!("{} {}", e.kind, e.path))
        .collect();
    assert_eq!(files, ["- scratchkit"], "the release image holds more than the frontend binary");
    let layers = must(docker_cmd().args(["image", "inspect", "-f", "{{len .RootFS.Layers}}", &tag]), RUN_TIMEOUT);
    assert_eq!(layers.trim(), "1", "the release image has more than the binary's layer");
    let config = must(docker_cmd().args(["image", "inspect", "-f", "{{json .Config}}", &tag]), RUN_TIMEOUT);
    let config: serde_json::Value = serde_json::from_str(config.trim()).unwrap();
    assert_eq!(config["Entrypoint"], serde_json::json!(["/scratchkit"]));
    assert_eq!(config["Labels"]["moby.buildkit.frontend.network.none"], "true");
    assert!(config["Labels"]["moby.buildkit.frontend.caps"]
        .as_str()
        .unwrap_or("")
        .contains("moby.buildkit.frontend.contexts"));
    let size = must(docker_cmd().args(["image", "inspect", "-f", "{{.Size}}", &tag]), RUN_TIMEOUT);
    record(&format!("e2e-frontend-release: the release image is {} bytes", size.trim()));

    // Published and pinned by digest, as the README tells users to; the local tag goes, so the syntax line
    // can only be met from the registry.
    must(docker_cmd().args(["push", &tag]), BUILD_TIMEOUT);
    let digest = must(
        docker_cmd().args(["buildx", "imagetools", "inspect", &tag, "--format", "{{json .Manifest.Digest}}"]),
        RUN_TIMEOUT,
    );
    let digest = digest.trim().trim_matches('"').to_string();
    assert!(digest.starts_with("sha256:") && digest.len() == 71, "{digest}");
    must(docker_cmd().args(["image", "rm", &tag]), RUN_TIMEOUT);

    let dir = scratch_dir("smallest");
    let pinned = format!("{REGISTRY}/scratchkit-e2e/release@{digest}");
    smallest_spec(&dir, &pinned);
    let built = "scratchkit-e2e/release-smallest";
    let out = run_cmd(
        buildx_dockerfile().arg("-f").arg(dir.join("scratch.yaml")).args(["--load", "-t", built]).arg(&dir),
        BUILD_TIMEOUT,
    );
    let log = out.all();
    assert!(out.ok, "the build with the released frontend failed:\n{log}");
    assert!(log.contains(&digest), "the build did not resolve the released frontend by its digest:\n{log}");
    assert!(log.contains(BUILDER_IMAGE), "the build did not run the spec's builder:\n{log}");
    let run = crate::support::run_container(&["--network", "none", "--add-host", "example.com:127.0.0.1"], built);
    assert!(run.ok, "running {built} failed\n{}", run.all());
    assert_lines(
        &run.stdout,
        &[
            "certs: tls handshake ok",
            "tmp: sticky 1777 ok",
            "user: name=nonroot uid=65532 home=/home/nonroot",
            "smallest: all checks ok",
        ],
    );
    let _ = run_cmd(docker_cmd().args(["image", "rm", built]), RUN_TIMEOUT);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&context);
}
