//! End to end on real BuildKit, the release properties: one image per platform with binaries for that
//! platform, reproducible digests with SOURCE_DATE_EPOCH, layers that follow how images change, a
//! fully cached rebuild, persistent cache mounts, the `debug` target, and a builder that runs on the
//! target platform under emulation (tests/e2e-fixtures/emulated/).
//!
//! Ignored by plain `cargo test` (they need Docker); scripts/test.sh runs them. Each test works on its own copy of tests/e2e-fixtures/release/ so edits never touch the
//! repository.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{docker_cmd, e2e, run_cmd, run_in_container, run_output, run_step, BUILD_TIMEOUT};

/// Runs a command with the build deadline; returns (success, stdout + stderr).
fn run(cmd: &mut Command) -> (bool, String) {
    let out = run_cmd(cmd, BUILD_TIMEOUT);
    (out.ok, format!("{}{}", out.stdout, out.stderr))
}

fn must(cmd: &mut Command) -> String {
    let shown = format!("{cmd:?}");
    let (ok, text) = run(cmd);
    assert!(ok, "{shown} failed:\n{text}");
    text
}

/// A fresh copy of the release example in a temporary directory.
fn workspace(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scratchkit-e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e-fixtures/release");
    for f in ["main.go", "go.mod", "scratch.yaml"] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    dir
}

fn buildx(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = crate::support::buildx();
    cmd.current_dir(dir).args(["-f", "scratch.yaml"]).args(args).arg(".");
    cmd
}

fn layers(image: &str) -> Vec<String> {
    let out = must(docker_cmd().args(["image", "inspect", "-f", "{{json .RootFS.Layers}}", image]));
    serde_json::from_str(out.trim()).unwrap()
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

fn blob(oci: &Path, digest: &str) -> serde_json::Value {
    read_json(&oci.join("blobs/sha256").join(digest.trim_start_matches("sha256:")))
}

fn untar(tar: &Path, into: &Path) {
    std::fs::create_dir_all(into).unwrap();
    must(Command::new("tar").arg("-C").arg(into).arg("-xf").arg(tar));
}

/// `e_machine` of an ELF file.
fn elf_machine(path: &Path) -> u16 {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[..4], b"\x7fELF", "{} is not ELF", path.display());
    u16::from_le_bytes([bytes[18], bytes[19]])
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn two_platforms_give_an_index_with_a_binary_for_each() {
    let _e2e = e2e();
    let dir = workspace("platforms");
    let platforms = ["--platform", "linux/amd64,linux/arm64"];
    must(&mut buildx(&dir, &[&platforms[..], &["--output", "type=oci,dest=image.tar"]].concat()));
    let oci = dir.join("oci");
    untar(&dir.join("image.tar"), &oci);
    let index = read_json(&oci.join("index.json"));
    let list = blob(&oci, index["manifests"][0]["digest"].as_str().unwrap());
    let mut archs: Vec<String> = list["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["platform"]["os"] == "linux")
        .map(|m| {
            let config = blob(&oci, blob(&oci, m["digest"].as_str().unwrap())["config"]["digest"].as_str().unwrap());
            assert_eq!(config["architecture"], m["platform"]["architecture"], "config and manifest disagree");
            m["platform"]["architecture"].as_str().unwrap().to_string()
        })
        .collect();
    archs.sort();
    assert_eq!(archs, ["amd64", "arm64"], "{list}");

    // The same build to a local directory: each platform's binary is for that platform.
    must(&mut buildx(&dir, &[&platforms[..], &["--output", "type=local,dest=out"]].concat()));
    assert_eq!(elf_machine(&dir.join("out/linux_amd64/out/app")), 62, "x86-64");
    assert_eq!(elf_machine(&dir.join("out/linux_arm64/out/app")), 183, "AArch64");
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn source_date_epoch_builds_are_reproducible() {
    let _e2e = e2e();
    let dir = workspace("reproducible");
    let digest = |n: usize| {
        let tar = format!("r{n}.tar");
        let output = format!("type=oci,dest={tar}");
        must(&mut buildx(
            &dir,
            &["--no-cache", "--provenance=false", "--build-arg", "SOURCE_DATE_EPOCH=1700000000", "--output", &output],
        ));
        let oci = dir.join(format!("r{n}"));
        untar(&dir.join(&tar), &oci);
        let index = read_json(&oci.join("index.json"));
        let manifest = blob(&oci, index["manifests"][0]["digest"].as_str().unwrap());
        let config = blob(&oci, manifest["config"]["digest"].as_str().unwrap());
        assert_eq!(config["created"], "2023-11-14T22:13:20Z", "created comes from SOURCE_DATE_EPOCH");
        index["manifests"][0]["digest"].as_str().unwrap().to_string()
    };
    let (first, second) = (digest(1), digest(2));
    assert_eq!(first, second, "two clean builds of the same sources differ");
}

/// A `SOURCE_DATE_EPOCH` past what file times hold (here 10000-01-01) is a warning, and the image gets no
/// `created` from it. The frontend wrote `created: 10000-01-01T00:00:00Z`, which BuildKit's exporter
/// refuses: "invalid image config for export: parsing time …", so the build failed.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn a_source_date_epoch_past_2262_builds_with_a_warning_and_no_created_from_it() {
    let _e2e = e2e();
    let dir = workspace("late-epoch");
    let log = must(&mut buildx(
        &dir,
        &["--provenance=false", "--build-arg", "SOURCE_DATE_EPOCH=253402300800", "--output", "type=oci,dest=late.tar"],
    ));
    assert!(log.contains("`SOURCE_DATE_EPOCH` is 253402300800, later than 2262-04-11T23:47:16Z"), "{log}");
    let oci = dir.join("late");
    untar(&dir.join("late.tar"), &oci);
    let index = read_json(&oci.join("index.json"));
    let manifest = blob(&oci, index["manifests"][0]["digest"].as_str().unwrap());
    let config = blob(&oci, manifest["config"]["digest"].as_str().unwrap());
    // BuildKit writes the export time when the frontend's config has none.
    let created = config["created"].as_str().unwrap_or_default();
    assert!(!created.starts_with("10000"), "created {created}");
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn a_code_change_changes_only_the_application_layer() {
    let _e2e = e2e();
    let dir = workspace("layers");
    let image = "scratchkit-e2e/release-layers";
    must(&mut buildx(&dir, &["--load", "-t", image]));
    let before = layers(image);
    let main = dir.join("main.go");
    let edited = std::fs::read_to_string(&main).unwrap().replace("release: version", "release: build version");
    std::fs::write(&main, edited).unwrap();
    must(&mut buildx(&dir, &["--load", "-t", image]));
    let after = layers(image);
    assert_eq!(before.len(), after.len(), "layer count changed");
    // The written files (users, home, /tmp, nsswitch), the builder's /etc files (certificates, services,
    // protocols, MIME types), the zones, the package metadata, the app: the hand-written Dockerfile's
    // four, plus the dpkg metadata it does not have.
    assert_eq!(before.len(), 5, "{before:#?}");
    let changed: Vec<usize> = (0..before.len()).filter(|&i| before[i] != after[i]).collect();
    assert_eq!(changed, vec![before.len() - 1], "only the last ([app]) layer may change:\n{before:#?}\n{after:#?}");
    let history = must(docker_cmd().args(["history", "--format", "{{.CreatedBy}}", image]));
    assert!(history.lines().next().unwrap_or_default().starts_with("[app]"), "top layer is not the app:\n{history}");
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn an_unchanged_rebuild_is_fully_cached_and_cache_mounts_persist() {
    let _e2e = e2e();
    let dir = workspace("cache");
    // A cache directory of its own, so earlier runs on this machine cannot fill it.
    let cache_dir = format!(
        "CACHE_DIR=/cache/go-build-{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
    );
    let image = "scratchkit-e2e/release-cache";
    let first = must(&mut buildx(&dir, &["--load", "-t", image, "--build-arg", &cache_dir]));
    let output = run_output(&["--network", "none"], image);
    assert!(output.contains("cached=0"), "the new cache mount should start empty: {output}");

    let again = must(&mut buildx(&dir, &["--load", "-t", image, "--build-arg", &cache_dir]));
    assert!(!run_step(&first).contains("CACHED"), "first build was cached:\n{first}");
    assert!(run_step(&again).contains("CACHED"), "unchanged rebuild ran the build again:\n{again}");
    // Steps with inputs report CACHED; BuildKit reports the input-less file ops (the generated files) as an
    // instant DONE, since their result is the cache key itself. Nothing may take time.
    for piece in [
        "[rootfs] users, home, tmp, nsswitch",
        "[rootfs] ca-certificates",
        "[rootfs] timezones",
        "[app] /out/app",
        "merge (",
    ] {
        let at = again.find(piece).unwrap_or_else(|| panic!("no {piece} step in:\n{again}"));
        let block = &again[at..again[at..].find("\n\n").map_or(again.len(), |e| at + e)];
        assert!(block.contains("CACHED") || block.contains("DONE 0.0s"), "{piece} was not cached:\n{block}");
    }

    // A source change re-runs the build, which now finds the first build's objects in the cache mount.
    let main = dir.join("main.go");
    std::fs::write(&main, std::fs::read_to_string(&main).unwrap() + "\n// edited\n").unwrap();
    must(&mut buildx(&dir, &["--load", "-t", image, "--build-arg", &cache_dir]));
    let output = run_output(&["--network", "none"], image);
    assert!(!output.contains("cached=0") && output.contains("cached="), "the cache mount did not persist: {output}");
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn an_exported_cache_is_imported_by_cache_from_after_the_local_cache_is_gone() {
    let _e2e = e2e();
    let dir = workspace("cache-io");
    // The RUN also writes the time it ran into the image, so an image whose RUN ran again differs even
    // though Go builds are reproducible; a cached result pulled from the import may show as a download
    // rather than `CACHED`, so the layers, not the progress word, are the proof.
    let spec = dir.join("scratch.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    let stamped = text
        .replace("n=$(find", "mkdir -p /out && date +%s%N > /out/stamp && n=$(find")
        .replace("copy: [/out/app]", "copy: [/out/app, /out/stamp]\nimage: {entrypoint: [/out/app]}");
    assert!(
        stamped.contains("/out/stamp &&") && stamped.contains("entrypoint"),
        "tests/e2e-fixtures/release/scratch.yaml changed shape; update this rewrite"
    );
    std::fs::write(&spec, stamped).unwrap();
    // A version no earlier build used, so only the exported cache can hold this RUN's result.
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let version = format!("VERSION=cache-io-{nanos}");
    // Outside the build context: an export inside it would change the context and so every cache key.
    let cache = dir.with_extension("cache");
    let _ = std::fs::remove_dir_all(&cache);
    let (to, from) =
        (format!("type=local,dest={},mode=max", cache.display()), format!("type=local,src={}", cache.display()));
    let image = "scratchkit-e2e/release-cache-io";
    let prune = || must(docker_cmd().args(["buildx", "prune", "--all", "--force"]));

    let first = must(&mut buildx(&dir, &["--load", "-t", image, "--build-arg", &version, "--cache-to", &to]));
    assert!(!run_step(&first).contains("CACHED"), "the first build was cached:\n{first}");
    let before = layers(image);

    // With the build cache gone and no import, the RUN runs again: the control.
    prune();
    let control = must(&mut buildx(&dir, &["--load", "-t", image, "--build-arg", &version]));
    assert!(!run_step(&control).contains("CACHED"), "the RUN was cached with no cache to import:\n{control}");
    assert_ne!(layers(image), before, "a RUN that ran again left the same layers: the stamp proves nothing");

    // With the build cache gone and --cache-from, the RUN comes from the exported cache.
    prune();
    let imported = must(&mut buildx(&dir, &["--load", "-t", image, "--build-arg", &version, "--cache-from", &from]));
    assert!(imported.contains("importing cache manifest from"), "--cache-from imported nothing:\n{imported}");
    assert_eq!(
        layers(image),
        before,
        "--cache-from did not serve the builder RUN: the image has other layers (another stamp)\n{imported}"
    );
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn a_label_flag_reaches_the_image_config() {
    let _e2e = e2e();
    let dir = workspace("label");
    let image = "scratchkit-e2e/release-label";
    must(&mut buildx(&dir, &["--load", "-t", image, "--label", "org.example.team=infra"]));
    let labels = must(docker_cmd().args(["image", "inspect", "-f", "{{json .Config.Labels}}", image]));
    let labels: serde_json::Value = serde_json::from_str(labels.trim()).unwrap();
    assert_eq!(labels["org.example.team"], "infra", "{labels}");
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn the_debug_target_adds_a_shell_and_the_default_has_none() {
    let _e2e = e2e();
    let dir = workspace("debug");
    let (default, debug) = ("scratchkit-e2e/release-default", "scratchkit-e2e/release-debug");
    must(&mut buildx(&dir, &["--load", "-t", default]));
    must(&mut buildx(&dir, &["--load", "-t", debug, "--target", "debug"]));
    let shell = |image: &str| {
        let out = run_in_container(
            &["--network", "none", "--entrypoint", "/busybox"],
            image,
            &["sh", "-c", "id -u; ls /out"],
        );
        (out.ok, format!("{}{}", out.stdout, out.stderr))
    };
    let (ok, out) = shell(debug);
    assert!(ok, "no shell in the debug image:\n{out}");
    assert!(out.contains("65532") && out.contains("app"), "{out}");
    let (ok, out) = shell(default);
    assert!(!ok, "the default image has /busybox:\n{out}");
    let app = run_output(&["--network", "none"], debug);
    assert!(app.contains("release: version=dev"), "{app}");

    let targets = must(&mut buildx(&dir, &["--call", "targets"]));
    assert!(targets.contains("debug") && targets.contains("default"), "{targets}");
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn a_target_platform_builder_runs_emulated() {
    let _e2e = e2e();
    let dir = std::env::temp_dir().join(format!("scratchkit-e2e-emulated-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e-fixtures/emulated/scratch.yaml"),
        dir.join("scratch.yaml"),
    )
    .unwrap();

    // The builder is an arm64-only image: it can only run on the target platform, through QEMU.
    must(&mut buildx(&dir, &["--platform", "linux/arm64", "--output", "type=local,dest=out"]));
    let arch = std::fs::read_to_string(dir.join("out/out/arch")).unwrap();
    assert_eq!(arch.trim(), "aarch64", "the builder's RUN did not run as arm64");
    assert_eq!(elf_machine(&dir.join("out/out/busybox")), 183, "AArch64");

    // And the image runs (emulated too) as the platform it was built for.
    let image = "scratchkit-e2e/release-emulated";
    must(&mut buildx(&dir, &["--platform", "linux/arm64", "--load", "-t", image]));
    let output = run_output(&["--network", "none", "--platform", "linux/arm64"], image);
    assert_eq!(output.trim(), "aarch64", "{output}");
}
