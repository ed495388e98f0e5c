//! The oldest engine a Debian 12 user gets from apt: docker.io 20.10 with BuildKit v0.8
//! (`scripts/old-engine.sh` runs it beside the others). Measured there: no MergeOp, no exclude patterns on
//! copies, no Warn, and file operations that drop the sticky bit. scratchkit refuses it at once, before
//! anything is built, naming the minimum version and why; with the documented opt-in it builds an image
//! whose certificates, users and time zones work and whose `/tmp` has lost its sticky bit, as warned.

use std::process::Command;
use std::time::Duration;

use crate::support::*;

/// The socket `scripts/old-engine.sh` serves the engine on.
const OLD_HOST: &str = "unix:///run/scratchkit-old/docker.sock";

/// The image on the first engine copied to the old one (it has no registry of its own here).
fn copy_image(image: &str) {
    let script = format!("{} save {image} | {} -H {OLD_HOST} load", docker(), docker());
    let out = run_cmd(Command::new("sh").args(["-c", &script]), Duration::from_secs(10 * 60));
    assert!(out.ok, "copying {image} to the old engine failed:\n{}", out.all());
}

fn on_old_engine(image: &str) -> bool {
    run_cmd(docker_on(OLD_HOST).args(["image", "inspect", "--format", "{{.Id}}", image]), Duration::from_secs(60)).ok
}

fn build_smallest(tag: &str, extra: &[&str]) -> Out {
    let mut cmd = buildx();
    cmd.env("DOCKER_HOST", OLD_HOST)
        .args(["-f", "examples/smallest/scratch.yaml", "-t", tag])
        .args(extra)
        .arg("examples/smallest");
    run_cmd(&mut cmd, BUILD_TIMEOUT)
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn buildkit_0_8_is_refused_at_once_and_builds_with_the_opt_in() {
    let _e2e = e2e();
    let version = run_cmd(docker_on(OLD_HOST).args(["version", "-f", "{{.Server.Version}}"]), Duration::from_secs(60));
    assert!(
        version.ok && version.stdout.starts_with("20.10."),
        "the old engine does not answer (scripts/old-engine.sh):\n{}",
        version.all()
    );
    copy_image(&frontend_image());
    if !on_old_engine(BUILDER_IMAGE) {
        copy_image(BUILDER_IMAGE);
    }

    let refused = build_smallest("scratchkit-e2e/old-refused", &["--no-cache"]);
    let log = refused.all();
    assert!(!refused.ok, "BuildKit v0.8 was not refused:\n{log}");
    for want in [
        "scratchkit needs BuildKit v0.10 or newer (Docker Engine 23 or newer)",
        "sticky bit",
        "SCRATCHKIT_ALLOW_OLD_BUILDKIT=true",
    ] {
        assert!(log.contains(want), "no {want:?} in the refusal:\n{log}");
    }
    assert!(!log.contains("[builder] RUN"), "the builder ran before the refusal:\n{log}");

    let tag = "scratchkit-e2e/old-allowed";
    let built = build_smallest(tag, &["--build-arg", "SCRATCHKIT_ALLOW_OLD_BUILDKIT=true"]);
    assert!(built.ok, "the opt-in build failed on BuildKit v0.8:\n{}", built.all());
    let run = run_container_on(OLD_HOST, &["--network", "none", "--add-host", "example.com:127.0.0.1"], tag);
    // What works: the chain of layers (no /etc/etc), certificates, users, time zones, the resolver.
    assert_lines(
        &run.stdout,
        &[
            "certs: system pool ok*",
            "certs: tls handshake ok",
            "user: name=nonroot uid=65532 home=/home/nonroot",
            "user: root uid=0",
            "tz: Europe/Amsterdam CET CEST",
            "dns: example.com -> 127.0.0.1*",
        ],
    );
    // What the refusal warns of, measured: /tmp is world-writable without the sticky bit.
    assert_lines(&run.stdout, &["tmp: mode drwxrwxrwx"]);
    assert!(
        run.stderr.contains("tmp: FAIL"),
        "the sticky bit survived on v0.8; the refusal's reason is out of date:\n{}",
        run.all()
    );
    let _ = run_cmd(docker_on(OLD_HOST).args(["image", "rm", "-f", tag]), Duration::from_secs(60));
}
