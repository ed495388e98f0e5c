//! End to end with a registry and a remote builder, as CI pipelines use scratchkit: the frontend image and the
//! builder image live in a registry (`scripts/registry.sh`, 127.0.0.1:5000), and a second Docker engine with an
//! empty image store (`scripts/remote-engine.sh`, the newest engine Debian ships) builds from there with
//! `# syntax=<registry>/scratchkit:TAG`, pushes the result, and the first engine pulls and runs it. Errors keep
//! their `scratch.yaml:LINE:COL` location in the remote build's output, and a registry cache exported by the
//! first engine (`--cache-to`) makes the remote engine's builder `RUN` step `CACHED` (`--cache-from`).
//!
//! Ignored by plain `cargo test` (they need both engines and the registry); scripts/test.sh runs them. Each test
//! works on copies of the specs whose `# syntax=` line and `builder.image` name the registry tags.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::support::{
    assert_lines, docker_cmd, docker_on, e2e, frontend_image, remote_host, repo, run_cmd, run_step, Out, BUILDER_IMAGE,
    BUILD_TIMEOUT, REGISTRY,
};

const CERTS: &[&str] = &["certs: system pool ok (*", "certs: tls handshake ok"];
const TMP: &[&str] = &["tmp: mode dtrwxrwxrwx", "tmp: sticky 1777 ok"];
const USER: &[&str] = &["user: name=nonroot uid=65532 home=/home/nonroot", "user: root uid=0"];
const TZ: &[&str] = &["tz: Europe/Amsterdam CET CEST"];
const DNS: &[&str] = &["dns: example.com -> 127.0.0.1", "dns: nsswitch hosts: files dns"];

/// Where build times are collected (scripts/test.sh prints the file); appended to, never truncated here.
const TIMES_FILE: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/e2e-build-times.txt");

fn record_time(line: &str) {
    use std::io::Write;
    eprintln!("{line}");
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(TIMES_FILE) {
        let _ = writeln!(f, "{line}");
    }
}

/// Runs a command with the build deadline and records how long it took under `label`.
fn timed(label: &str, cmd: &mut Command) -> Out {
    let start = Instant::now();
    let out = run_cmd(cmd, BUILD_TIMEOUT);
    record_time(&format!(
        "e2e-remote: {label} took {:.1}s, {}",
        start.elapsed().as_secs_f64(),
        if out.ok { "ok" } else { "failed" }
    ));
    out
}

fn must(cmd: &mut Command) -> String {
    let shown = format!("{cmd:?}");
    let out = run_cmd(cmd, BUILD_TIMEOUT);
    assert!(out.ok, "{shown} failed\n{}", out.all());
    out.stdout
}

/// `image` under the registry: `127.0.0.1:5000/<image>` (an image already named there is kept).
fn in_registry(image: &str) -> String {
    if image.starts_with(&format!("{REGISTRY}/")) {
        image.to_string()
    } else {
        format!("{REGISTRY}/{image}")
    }
}

/// The frontend and builder images as the remote engine knows them: registry tags, pushed from the first engine
/// once per test run. The remote engine's own copies and its build cache are removed first, so its builds get
/// both from the registry, as a fresh CI builder would.
struct Registry {
    frontend: String,
    builder: String,
}

fn registry() -> &'static Registry {
    static DONE: OnceLock<Registry> = OnceLock::new();
    DONE.get_or_init(|| {
        let host = remote_host();
        let out =
            run_cmd(docker_on(&host).args(["version", "--format", "{{.Server.Version}}"]), Duration::from_secs(60));
        assert!(
            out.ok,
            "the remote engine at {host} is unreachable (run scripts/remote-engine.sh; scripts/test.sh does)\n{}",
            out.all()
        );
        eprintln!("e2e-remote: remote engine {} at {host}", out.stdout.trim());
        let out = run_cmd(
            Command::new("curl").args(["-fsS", "--max-time", "10", &format!("http://{REGISTRY}/v2/")]),
            Duration::from_secs(30),
        );
        assert!(
            out.ok,
            "no registry answers on {REGISTRY} (run scripts/registry.sh; scripts/test.sh does)\n{}",
            out.all()
        );

        let mut pushed = Vec::new();
        for local in [frontend_image(), BUILDER_IMAGE.to_string()] {
            let remote = in_registry(&local);
            if remote != local {
                must(docker_cmd().args(["tag", &local, &remote]));
            }
            let out = timed(&format!("push {remote}"), docker_cmd().args(["push", "--quiet", &remote]));
            assert!(out.ok, "pushing {remote} from the first engine failed\n{}", out.all());
            // Not in the remote engine's store: its builds must get it from the registry.
            let _ = run_cmd(docker_on(&host).args(["image", "rm", "--force", &remote]), Duration::from_secs(60));
            let out = run_cmd(docker_on(&host).args(["image", "inspect", &remote]), Duration::from_secs(60));
            assert!(!out.ok, "{remote} is still in the remote engine's store");
            pushed.push(remote);
        }
        // And no build cache of earlier runs: every layer the remote builds need comes from the registry.
        let out = timed(
            "buildx prune --all on the remote engine",
            docker_on(&host).args(["buildx", "prune", "--all", "--force"]),
        );
        assert!(out.ok, "pruning the remote engine's build cache failed\n{}", out.all());
        let builder = pushed.pop().unwrap();
        let frontend = pushed.pop().unwrap();
        Registry { frontend, builder }
    })
}

/// A temporary directory holding `spec` (relative to the repository) as `name`, its `# syntax=` line and its
/// `builder.image` rewritten to the registry tags (same lines, so locations keep their numbers), plus `files`
/// of `context` copied beside it.
fn workspace(case: &str, spec: &str, name: &str, context: &str, files: &[&str]) -> PathBuf {
    let reg = registry();
    let dir = std::env::temp_dir().join(format!("scratchkit-e2e-remote-{case}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(repo().join(spec)).unwrap_or_else(|e| panic!("{spec}: {e}"));
    let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
    assert!(first.starts_with("# syntax="), "{spec} does not start with a # syntax= line");
    let builder_line = format!("image: {BUILDER_IMAGE}");
    assert!(rest.contains(&builder_line), "{spec} does not name {BUILDER_IMAGE} as `{builder_line}`");
    let rewritten =
        format!("# syntax={}\n{}", reg.frontend, rest.replace(&builder_line, &format!("image: {}", reg.builder)));
    std::fs::write(dir.join(name), rewritten).unwrap();
    for f in files {
        std::fs::copy(repo().join(context).join(f), dir.join(f)).unwrap_or_else(|e| panic!("{context}/{f}: {e}"));
    }
    dir
}

/// `docker buildx build --progress plain -f <spec> <extra…> <context>` on the remote engine (`Some(host)`) or the
/// first one (`None`), with no `BUILDKIT_SYNTAX`: the spec's own `# syntax=` line picks the frontend, as for a user.
fn build_on(host: Option<&str>, spec: &Path, context: &Path, extra: &[&str]) -> Command {
    let mut cmd = match host {
        Some(host) => docker_on(host),
        None => docker_cmd(),
    };
    cmd.args(["buildx", "build", "--progress", "plain", "-f"]).arg(spec).args(extra).arg(context);
    cmd
}

/// The download and extraction lines of the builder's steps in a plain progress log: BuildKit prints them
/// under the `[builder] FROM` step when it pulls the image (`#8 sha256:… 52.4MB / 260MB`, `#8 extracting
/// sha256:…`), or under the `[builder] RUN` step when something needs the run's cached result, which
/// stands on the image's layers.
fn builder_layers_pulled(log: &str) -> Vec<String> {
    let steps: Vec<String> = log
        .lines()
        .filter(|l| l.contains(" [builder] "))
        .filter_map(|l| l.split(' ').next())
        .map(|s| format!("{s} "))
        .collect();
    log.lines()
        .filter(|l| steps.iter().any(|s| l.starts_with(s.as_str())) && (l.contains("extracting") || l.contains(" / ")))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_pull_shows_as_download_and_extraction_lines_of_the_from_step() {
    let pulled = "#8 [builder] FROM r/go\n#8 resolve r/go done\n#8 sha256:ab 52.43MB / 260.1MB 2.1s\n#8 extracting sha256:ab 10.6s done\n#8 DONE 13.1s\n#9 [app] x\n#9 sha256:cd 3MB / 3MB done\n";
    assert_eq!(builder_layers_pulled(pulled).len(), 2);
    let lazy = "#8 [builder] FROM r/go\n#8 resolve r/go done\n#8 DONE 0.0s\n#12 [internal] probe\n#12 sha256:cd 4MB / 4MB done\n";
    assert!(builder_layers_pulled(lazy).is_empty());
    // A pull that shows under the run step: something needed the run's result, and so the image.
    let under_run =
        "#10 [builder] FROM r/go\n#10 DONE 0.0s\n#13 [builder] RUN go build\n#13 sha256:26 5.24MB / 260.32MB 0.2s\n#13 extracting sha256:26 42.2s done\n";
    assert_eq!(builder_layers_pulled(under_run).len(), 2);
}

/// The log of a remote build that imported `cache`, pulled no builder layer and ran the checks `step`.
fn warm_and_not_pulled(out: &Out, cache: &str, step: &str) -> String {
    let remote = format!("{}{}", out.stdout, out.stderr);
    assert!(out.ok, "the remote build with --cache-from failed\n{remote}");
    assert!(
        remote.contains(&format!("importing cache manifest from {cache}")),
        "the remote build did not import {cache}\n{remote}"
    );
    let pulled = builder_layers_pulled(&remote);
    assert!(pulled.is_empty(), "the remote build pulled the builder image:\n{}\n{remote}", pulled.join("\n"));
    assert!(remote.contains(step), "no `{step}` step in the remote build\n{remote}");
    remote
}

fn layers(image: &str) -> Vec<String> {
    let out = must(docker_cmd().args(["image", "inspect", "-f", "{{json .RootFS.Layers}}", image]));
    serde_json::from_str(out.trim()).unwrap()
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn the_remote_engine_builds_from_the_registry_pushes_and_the_image_runs_on_the_first_engine() {
    let _e2e = e2e();
    let host = remote_host();
    let dir = workspace(
        "smallest",
        "examples/smallest/scratch.yaml",
        "scratch.yaml",
        "examples/smallest",
        &["go.mod", "main.go"],
    );
    let image = format!("{REGISTRY}/scratchkit-e2e/smallest:remote");
    let out = timed(
        "build --push smallest on the remote engine",
        &mut build_on(Some(&host), &dir.join("scratch.yaml"), &dir, &["--push", "-t", &image]),
    );
    assert!(out.ok, "the remote build failed\n{}", out.all());
    let log = format!("{}{}", out.stdout, out.stderr);
    assert!(log.contains(&format!("pushing manifest for {image}")), "the remote build did not push {image}\n{log}");

    let out = timed("pull smallest on the first engine", docker_cmd().args(["pull", "--quiet", &image]));
    assert!(out.ok, "pulling {image} on the first engine failed\n{}", out.all());
    let run = crate::support::run_container(&["--network", "none", "--add-host", "example.com:127.0.0.1"], &image);
    assert!(run.ok, "running {image} failed\n{}", run.all());
    for lines in [CERTS, TMP, USER, TZ, DNS] {
        assert_lines(&run.stdout, lines);
    }
    assert_lines(&run.stdout, &["smallest: all checks ok"]);
    let entrypoint = must(docker_cmd().args(["image", "inspect", "-f", "{{json .Config.Entrypoint}}", &image]));
    assert_eq!(entrypoint.trim(), r#"["/out/app"]"#);
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn errors_keep_their_location_in_the_remote_builds_output() {
    let _e2e = e2e();
    let host = remote_host();
    // A spec error: the misspelled top-level key, found before anything is built.
    let dir = workspace("bad", "examples/bad/scratch.yaml", "scratch.yaml", "examples/bad", &[]);
    let out = timed(
        "examples/bad on the remote engine",
        &mut build_on(Some(&host), &dir.join("scratch.yaml"), &repo().join("examples/bad"), &[]),
    );
    let log = format!("{}{}", out.stdout, out.stderr);
    assert!(!out.ok, "the bad spec built on the remote engine\n{log}");
    for want in ["scratch.yaml:5:1", "unknown top-level key `bulder`", "did you mean `builder`?"] {
        assert!(log.contains(want), "no {want:?} in the remote build's output\n{log}");
    }

    // A build-time verification error: found in the builder's output after its RUN step ran.
    let dir = workspace(
        "missing-output",
        "tests/e2e-fixtures/missing-output.yaml",
        "missing-output.yaml",
        "tests/e2e-fixtures/src",
        &[],
    );
    let out = timed(
        "tests/e2e-fixtures/missing-output.yaml on the remote engine",
        &mut build_on(Some(&host), &dir.join("missing-output.yaml"), &repo().join("tests/e2e-fixtures/src"), &[]),
    );
    let log = format!("{}{}", out.stdout, out.stderr);
    assert!(!out.ok, "missing-output.yaml built on the remote engine\n{log}");
    for want in ["missing-output.yaml:5:8", "`/out/server` does not exist in the builder", "= hint:"] {
        assert!(log.contains(want), "no {want:?} in the remote build's output\n{log}");
    }
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
/// Across BuildKit versions: Docker 26.1.5 (v0.13) exports, 28.5.2 imports; the checks through the gateway
/// and the probe (`SCRATCHKIT_CHECKS=gateway`, as BuildKit before v0.13 takes), whose probe the cache carries.
/// The execs (the default) across versions: the cgo test below.
fn a_registry_cache_from_the_first_engine_makes_the_remote_builder_step_cached() {
    let _e2e = e2e();
    let host = remote_host();
    let dir = workspace(
        "cache",
        "examples/smallest/scratch.yaml",
        "scratch.yaml",
        "examples/smallest",
        &["go.mod", "main.go"],
    );
    // Sources no engine has built before, so only the imported cache can make the remote RUN step CACHED.
    let nonce = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
    );
    let main = dir.join("main.go");
    std::fs::write(&main, std::fs::read_to_string(&main).unwrap() + &format!("\n// e2e-remote cache test {nonce}\n"))
        .unwrap();
    let cache = format!("{REGISTRY}/cache/smallest");
    let spec = dir.join("scratch.yaml");
    // The RUN also writes the time it ran into the image: if the remote engine ran it again instead of
    // taking its result from the cache, the two images differ.
    let text = std::fs::read_to_string(&spec).unwrap();
    let stamped = text
        .replace(
            "run: CGO_ENABLED=0 go build -o /out/app .",
            "run: date +%s%N > /out-stamp && CGO_ENABLED=0 go build -o /out/app .",
        )
        .replace("copy:\n  - /out/app", "copy:\n  - /out/app\n  - /out-stamp\nimage:\n  entrypoint: [/out/app]");
    assert_ne!(stamped, text, "the smallest example changed shape; update this test's rewrite");
    std::fs::write(&spec, stamped).unwrap();
    let (first_image, remote_image) = (
        format!("{REGISTRY}/scratchkit-e2e/smallest:cache-first"),
        format!("{REGISTRY}/scratchkit-e2e/smallest:cache-remote"),
    );

    let out = timed(
        "build --cache-to registry on the first engine",
        &mut build_on(
            None,
            &spec,
            &dir,
            &[
                GATEWAY_CHECKS,
                "--cache-to",
                &format!("type=registry,ref={cache},mode=max"),
                "--push",
                "-t",
                &first_image,
            ],
        ),
    );
    let first = format!("{}{}", out.stdout, out.stderr);
    assert!(out.ok, "the first engine's build with --cache-to failed\n{first}");
    assert!(
        !run_step(&first).contains("CACHED"),
        "the first engine's RUN step was cached although its sources are new:\n{first}"
    );

    let out = timed(
        "build --cache-from registry on the remote engine",
        &mut build_on(
            Some(&host),
            &spec,
            &dir,
            &[GATEWAY_CHECKS, "--cache-from", &format!("type=registry,ref={cache}"), "--push", "-t", &remote_image],
        ),
    );
    // Nor is the builder image pulled: the checks read the probe's small layer from the cache, as a
    // hand-written Dockerfile's cached `COPY --from` never reads the builder (it was 260 MB, 13 s here).
    warm_and_not_pulled(&out, &cache, "[internal] probe the builder's output");
    // The proof that the RUN did not run again is below: the image carries the first engine's stamp. The
    // progress shows the step `CACHED`, or (when the cached result must be pulled first) as a download.

    // Both images, pulled on the first engine: the same layers, since the remote one reused the cached build.
    for image in [&first_image, &remote_image] {
        must(docker_cmd().args(["pull", "--quiet", image]));
    }
    assert_eq!(
        layers(&first_image),
        layers(&remote_image),
        "the remote image has other layers: its RUN ran again instead of coming from the cache"
    );
}

/// The checks through gateway requests and the probe (docs/dev/analysis-exec.md; the default is the execs).
const GATEWAY_CHECKS: &str = "--build-arg=SCRATCHKIT_CHECKS=gateway";

/// examples/cgo on a fresh runner with a warm registry cache (issue 20), the checks as execs (the default): its loader
/// and libraries are found by the checks in the builder, so a runner that ran them again would pull the
/// whole builder image (12.5 s against 1.0 s for examples/smallest before). The exporter is the first
/// engine, Docker 26.1.5 (BuildKit v0.13), and the runner 28.5.2, whose JSON of an exec's mounts differs:
/// the builder's check has its root mount only, which BuildKit keys alike on both (docs/dev/analysis-exec.md).
/// The verdict comes from the cache, no builder layer is pulled, and the image is the exporter's.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn a_warm_registry_cache_rebuild_of_the_cgo_example_pulls_no_builder_layer() {
    let _e2e = e2e();
    let host = remote_host();
    let reg = registry();
    let dir =
        workspace("cache-cgo", "examples/cgo/scratch.yaml", "scratch.yaml", "examples/cgo", &["go.mod", "main.go"]);
    let nonce = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
    );
    let main = dir.join("main.go");
    std::fs::write(
        &main,
        std::fs::read_to_string(&main).unwrap() + &format!("\n// e2e-remote cgo cache test {nonce}\n"),
    )
    .unwrap();
    let cache = format!("{REGISTRY}/cache/cgo");
    let spec = dir.join("scratch.yaml");
    let (first_image, remote_image) =
        (format!("{REGISTRY}/scratchkit-e2e/cgo:cache-first"), format!("{REGISTRY}/scratchkit-e2e/cgo:cache-remote"));

    let out = timed(
        "build cgo --cache-to registry on the first engine",
        &mut build_on(
            None,
            &spec,
            &dir,
            &["--cache-to", &format!("type=registry,ref={cache},mode=max"), "--push", "-t", &first_image],
        ),
    );
    let first = format!("{}{}", out.stdout, out.stderr);
    assert!(out.ok, "the exporting build with --cache-to failed\n{first}");
    // A fresh runner again: no build cache, neither the builder nor the frontend image in its store.
    for image in [&reg.builder, &reg.frontend] {
        let _ = run_cmd(docker_on(&host).args(["image", "rm", "--force", image]), Duration::from_secs(60));
    }
    let out = timed(
        "buildx prune --all on the remote engine",
        docker_on(&host).args(["buildx", "prune", "--all", "--force"]),
    );
    assert!(out.ok, "pruning the remote engine's build cache failed\n{}", out.all());

    let out = timed(
        "build cgo --cache-from registry on the remote engine",
        &mut build_on(
            Some(&host),
            &spec,
            &dir,
            &["--cache-from", &format!("type=registry,ref={cache}"), "--push", "-t", &remote_image],
        ),
    );
    warm_and_not_pulled(&out, &cache, "[internal] check the builder's output");
    for image in [&first_image, &remote_image] {
        must(docker_cmd().args(["pull", "--quiet", image]));
    }
    // The libraries layer included: the runner took the loader and libc from the cache too.
    assert_eq!(
        layers(&first_image),
        layers(&remote_image),
        "the remote cgo image has other layers than the exporter's"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
