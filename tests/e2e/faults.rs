//! End to end on real BuildKit: load and faults. Twenty different specs built at once through one daemon;
//! a frontend killed in the middle of a build and a failing builder, which tag nothing and leave the next
//! build working; a secret that reaches no layer and no config; a context symlink that points outside the
//! context and cannot read it.
//!
//! Ignored by plain `cargo test` (they need Docker); scripts/test.sh runs them.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{
    buildx, docker_cmd, e2e, run_cmd, run_container, Out, BUILDER_IMAGE, BUILD_TIMEOUT, FRONTEND_IMAGE, RUN_TIMEOUT,
};

/// A fresh directory under the target dir for one test's contexts and outputs, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("e2e-faults-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// Writes `text` at `rel` (parents created) and returns its path.
    fn write(&self, rel: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Writes a spec at `rel` under the `# syntax=` line the examples carry ([`buildx`] swaps the frontend
    /// by build arg when `$SCRATCHKIT_FRONTEND` names another).
    fn write_spec(&self, rel: &str, body: impl AsRef<str>) -> PathBuf {
        self.write(rel, format!("# syntax={FRONTEND_IMAGE}\n{}", body.as_ref()))
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Where build times are collected (cargo test hides a passing test's output); scripts/test.sh removes the
/// file before the run and prints it after, so this only appends.
const TIMES_FILE: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/e2e-build-times.txt");

fn record_time(line: &str) {
    use std::io::Write;
    eprintln!("{line}");
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(TIMES_FILE) {
        let _ = writeln!(f, "{line}");
    }
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut buf)).expect("read /dev/urandom");
    buf
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `docker buildx build -f <context>/scratch.yaml <extra> <context>`.
fn build_in(context: &Path, extra: &[&str]) -> Out {
    run_cmd(buildx().arg("-f").arg(context.join("scratch.yaml")).args(extra).arg(context), BUILD_TIMEOUT)
}

/// `docker run --network none <image>` (detached, see `run_container`): its output, or a panic with it.
fn run_image(image: &str) -> String {
    let out = run_container(&["--network", "none"], image);
    assert!(out.ok, "{image} failed:\n{}", out.all());
    out.stdout
}

/// The image ID a tag names, `None` when `docker image inspect` finds no such image.
fn image_id(tag: &str) -> Option<String> {
    let out = run_cmd(docker_cmd().args(["image", "inspect", "--format", "{{.Id}}", tag]), Duration::from_secs(60));
    out.ok.then(|| out.stdout.trim().to_string())
}

fn remove_tags(tags: &[&str]) {
    for tag in tags {
        let _ = run_cmd(docker_cmd().args(["image", "rm", "--no-prune", tag]), Duration::from_secs(60));
    }
}

/// A tiny static C program: prints the id compiled into it, `$SPEC` and its uid, so each image shows it
/// is its own spec's.
const HELLO_C: &str = r#"#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#ifndef SPEC_ID
#define SPEC_ID "none"
#endif
int main(void) {
    const char *env = getenv("SPEC");
    printf("spec=%s env=%s uid=%d\n", SPEC_ID, env ? env : "(unset)", (int)getuid());
    return 0;
}
"#;

/// The `builder:` that compiles [`HELLO_C`] with `SPEC_ID` from the build arg `N`, after `steps`.
fn hello_builder(steps: &[&str]) -> String {
    let mut run: Vec<String> = steps.iter().map(|s| format!("    - {s}\n")).collect();
    run.push("    - mkdir -p /out && gcc -O2 -s -static -DSPEC_ID=\"\\\"$N\\\"\" -o /out/hello main.c\n".to_string());
    format!("builder:\n  image: {BUILDER_IMAGE}\n  run:\n{}", run.concat())
}

/// Twenty different specs built at once (`--no-cache`) through the one daemon: all succeed, and each
/// image runs its own program as its own user with its own environment. The builds deliberately run in
/// parallel; the e2e lock keeps the other tests away meanwhile.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn twenty_different_specs_build_at_once_and_each_image_is_its_own() {
    let _e2e = e2e();
    const N: u32 = 20;
    let scratch = Scratch::new("load");
    let specs: Vec<(u32, PathBuf, String)> = (0..N)
        .map(|n| {
            // Vary the graph too: time zones, /tmp and the layer of extra files differ between specs.
            let zones = ["all", "[UTC]", "none"][n as usize % 3];
            let spec = format!(
                "args:\n  N: \"{n}\"\n{}copy: [{{from: /out/hello, to: /usr/local/bin/hello-{n}}}]\n\
                 rootfs:\n  timezones: {zones}\n  tmp: {}\n  users: [{{name: user{n}, uid: {}}}]\n  files: [{{path: /etc/spec, content: \"{n}\"}}]\n\
                 image:\n  env: {{SPEC: env{n}}}\n",
                hello_builder(&[]),
                n % 2 == 0,
                10_000 + n
            );
            let dir = scratch.path(&format!("spec{n}"));
            scratch.write_spec(&format!("spec{n}/scratch.yaml"), spec);
            scratch.write(&format!("spec{n}/main.c"), HELLO_C);
            (n, dir, format!("scratchkit-e2e/faults-load-{n}"))
        })
        .collect();

    let start = Instant::now();
    let outs: Vec<(u32, Out, Duration)> = std::thread::scope(|s| {
        let handles: Vec<_> = specs
            .iter()
            .map(|(n, dir, tag)| {
                s.spawn(move || {
                    let out = build_in(dir, &["--no-cache", "--load", "-t", tag]);
                    (*n, out, start.elapsed())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("build thread")).collect()
    });
    let wall = start.elapsed();
    let failed: Vec<String> =
        outs.iter().filter(|(_, out, _)| !out.ok).map(|(n, out, _)| format!("spec {n}:\n{}", out.all())).collect();
    assert!(failed.is_empty(), "{} of {N} parallel builds failed:\n{}", failed.len(), failed.join("\n\n"));
    let fastest = outs.iter().map(|(_, _, t)| *t).min().unwrap();
    record_time(&format!("e2e_faults: {N} different specs built in parallel with --no-cache: {wall:.1?} in all (first done at {fastest:.1?})"));

    for (n, _, tag) in &specs {
        assert_eq!(run_image(tag), format!("spec={n} env=env{n} uid={}\n", 10_000 + n), "image {tag}");
    }
    remove_tags(&specs.iter().map(|(_, _, t)| t.as_str()).collect::<Vec<_>>());
}

/// The processes whose environment holds `needle` (the frontend gets each option as
/// `BUILDKIT_FRONTEND_OPT_<n>=build-arg:NAME=VALUE`). The daemon must run on this machine.
fn processes_with_env(needle: &str) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else { continue };
        if environ.split(|&b| b == 0).any(|var| var.ends_with(needle.as_bytes())) {
            pids.push(pid);
        }
    }
    pids
}

/// A build started in the background, its output going to a file that can be watched while it runs.
struct Background {
    child: std::process::Child,
    log: PathBuf,
}

impl Background {
    fn start(mut cmd: Command, log: PathBuf) -> Self {
        let file = std::fs::File::create(&log).unwrap();
        let child =
            cmd.stdin(Stdio::null()).stdout(file.try_clone().unwrap()).stderr(file).spawn().expect("start buildx");
        Background { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log contains `text`; panics with the log after `timeout` or if the build ends first.
    fn wait_for(&mut self, text: &str, timeout: Duration) {
        let start = Instant::now();
        while !self.log().contains(text) {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the build ended ({status}) before `{text}`:\n{}", self.log());
            }
            assert!(start.elapsed() < timeout, "no `{text}` within {timeout:?}:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for the build to end: (success, log).
    fn finish(mut self, timeout: Duration) -> (bool, String) {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status.success(), self.log());
            }
            if start.elapsed() > timeout {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("the build did not end within {timeout:?}:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A spec whose builder sleeps 30 s before compiling: the frontend is killed (SIGKILL) while the sleep
/// runs. The build fails, the target tag names no image, and the next build of the same spec works.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn a_frontend_killed_mid_build_tags_nothing_and_the_next_build_works() {
    let _e2e = e2e();
    let scratch = Scratch::new("kill");
    let context = scratch.path("ctx");
    let spec = format!("args:\n  N: killed\n  FAULT_ID: none\n{}copy: [/out/hello]\n", hello_builder(&["sleep 30"]));
    scratch.write_spec("ctx/scratch.yaml", spec);
    scratch.write("ctx/main.c", HELLO_C);
    let tag = "scratchkit-e2e/faults-killed";
    remove_tags(&[tag]);

    // The arg makes this build's frontend findable among any others on the machine.
    let build = |token: &str| {
        let mut cmd = buildx();
        cmd.arg("-f")
            .arg(context.join("scratch.yaml"))
            .args(["--load", "-t", tag, "--build-arg"])
            .arg(format!("FAULT_ID={token}"))
            .arg(&context);
        Background::start(cmd, scratch.path(&format!("build-{token}.log")))
    };
    let token = hex(&random_bytes(8));
    let mut first = build(&token);
    first.wait_for("sleep 30", Duration::from_secs(5 * 60));
    std::thread::sleep(Duration::from_secs(2)); // let the sleep start
    let frontends = processes_with_env(&format!("=build-arg:FAULT_ID={token}"));
    assert_eq!(frontends.len(), 1, "want exactly this build's frontend process, found {frontends:?}:\n{}", first.log());
    let killed_at = Instant::now();
    let kill = run_cmd(Command::new("kill").args(["-KILL", &frontends[0].to_string()]), Duration::from_secs(10));
    assert!(kill.ok, "{}", kill.all());
    let (ok, log) = first.finish(BUILD_TIMEOUT);
    let failed_after = killed_at.elapsed();
    record_time(&format!("e2e_faults: the build failed {failed_after:.1?} after its frontend was killed"));
    assert!(!ok, "the build succeeded although its frontend was killed:\n{log}");
    // Long before the sleep would have ended: the kill, not the build, ended it.
    assert!(failed_after < Duration::from_secs(20), "the build ended only {failed_after:?} after the kill:\n{log}");
    assert_eq!(image_id(tag), None, "a build whose frontend was killed tagged an image:\n{log}");

    let (ok, log) = build(&hex(&random_bytes(8))).finish(BUILD_TIMEOUT);
    assert!(ok, "the build after the killed one failed:\n{log}");
    assert_eq!(run_image(tag), "spec=killed env=(unset) uid=65532\n");
    remove_tags(&[tag]);
}

/// A builder that fails (`exit 1` when `FAIL=1`): the build fails, a tag that already named another image
/// still names it, a new tag names nothing; the same spec with `FAIL=0` then builds and takes the tag.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn a_failing_builder_tags_nothing_and_the_next_build_works() {
    let _e2e = e2e();
    let scratch = Scratch::new("fail");
    let context = scratch.path("ctx");
    let spec = format!(
        "args:\n  N: recovered\n  FAIL: \"1\"\n{}copy: [/out/hello]\n",
        hello_builder(&["if [ \"$FAIL\" = 1 ]; then exit 1; fi"])
    );
    scratch.write_spec("ctx/scratch.yaml", spec);
    scratch.write("ctx/main.c", HELLO_C);
    let (taken, fresh) = ("scratchkit-e2e/faults-failing", "scratchkit-e2e/faults-failing-new");
    remove_tags(&[taken, fresh]);
    let tagged = run_cmd(docker_cmd().args(["tag", BUILDER_IMAGE, taken]), Duration::from_secs(60));
    assert!(tagged.ok, "{}", tagged.all());
    let before = image_id(taken).expect("the pre-existing image");

    let out = build_in(&context, &["--load", "-t", taken, "-t", fresh]);
    assert!(!out.ok, "the build succeeded although its builder failed:\n{}", out.all());
    assert!(out.stderr.contains("exit code: 1"), "not the builder's failure:\n{}", out.all());
    assert_eq!(image_id(taken).as_deref(), Some(before.as_str()), "the failed build changed what `{taken}` names");
    assert_eq!(image_id(fresh), None, "the failed build tagged `{fresh}`");

    let out = build_in(&context, &["--load", "-t", taken, "--build-arg", "FAIL=0"]);
    assert!(out.ok, "the build after the failed one failed:\n{}", out.all());
    assert_ne!(image_id(taken).as_deref(), Some(before.as_str()), "the good build did not take the tag");
    assert_eq!(run_image(taken), "spec=recovered env=(unset) uid=65532\n");
    remove_tags(&[taken, fresh]);
}

/// The needles a leaked secret could show up as: its bytes, lower- and upper-case hex, base64.
fn secret_forms(secret: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("raw bytes", secret.to_vec()),
        ("hex", hex(secret).into_bytes()),
        ("HEX", hex(secret).to_uppercase().into_bytes()),
        ("base64", base64(secret).into_bytes()),
    ]
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    while out.len() % 4 != 0 {
        out.push('=');
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Unpacks an OCI layout tar and returns every blob's name and bytes, gzip blobs (the layers) decompressed,
/// and `index.json`.
fn oci_blobs(layout_tar: &Path, into: &Path) -> Vec<(String, Vec<u8>)> {
    std::fs::create_dir_all(into).unwrap();
    let out = run_cmd(Command::new("tar").arg("-xf").arg(layout_tar).arg("-C").arg(into), RUN_TIMEOUT);
    assert!(out.ok, "{}", out.all());
    let mut blobs = Vec::new();
    for entry in std::fs::read_dir(into.join("blobs/sha256")).expect("an OCI layout has blobs/sha256").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let bytes = std::fs::read(entry.path()).unwrap();
        let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
            let out = Command::new("gzip").arg("-dc").arg(entry.path()).output().expect("run gzip");
            assert!(out.status.success(), "gzip -dc {name}: {}", String::from_utf8_lossy(&out.stderr));
            out.stdout
        } else {
            bytes
        };
        blobs.push((name, bytes));
    }
    assert!(blobs.len() >= 3, "an image has at least a manifest, a config and a layer: {blobs:?}");
    blobs.push((
        "index.json".to_string(),
        std::fs::read(into.join("index.json")).expect("an OCI layout has index.json"),
    ));
    blobs
}

/// A random 32-byte secret mounted with `--secret` and used by `run` (read, hashed, copied inside the
/// builder) is nowhere in the exported OCI image: not in a layer, the config, a manifest or an attestation,
/// as bytes, hex or base64. The control build copies it into the image, and the same search finds it.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn a_secret_reaches_no_layer_and_no_config() {
    let _e2e = e2e();
    let scratch = Scratch::new("secret");
    let secret = random_bytes(32);
    let secret_file = scratch.write("tok", &secret);
    let uses = [
        "test \"$(wc -c < /run/secrets/tok)\" -eq 32",
        "od -An -tx1 /run/secrets/tok | tr -d ' \\n' > /src/tok.hex && sha256sum /run/secrets/tok && cp /run/secrets/tok /tmp/tok",
    ];
    let spec = |leak: bool| {
        let mut steps = uses.to_vec();
        let mut copy = "[/out/hello]".to_string();
        if leak {
            steps.push("mkdir -p /out && cp /run/secrets/tok /out/tok");
            copy = "[/out/hello, {from: /out/tok, to: /etc/tok}]\nimage:\n  entrypoint: [/out/hello]".to_string();
        }
        let builder = hello_builder(&steps).replace("  run:\n", "  secrets: [{id: tok}]\n  run:\n");
        format!("args:\n  N: secret\n{builder}copy: {copy}\n")
    };
    let secret_arg = format!("id=tok,src={}", secret_file.display());

    let mut found_in = Vec::new();
    for leak in [false, true] {
        let name = if leak { "control" } else { "image" };
        scratch.write_spec(&format!("{name}/scratch.yaml"), spec(leak));
        scratch.write(&format!("{name}/main.c"), HELLO_C);
        let layout = scratch.path(&format!("{name}.oci.tar"));
        let output = format!("type=oci,dest={}", layout.display());
        let out = build_in(&scratch.path(name), &["--no-cache", "--secret", &secret_arg, "--output", &output]);
        assert!(out.ok, "the {name} build failed:\n{}", out.all());
        for (form, needle) in secret_forms(&secret) {
            assert!(
                !contains(out.stdout.as_bytes(), &needle) && !contains(out.stderr.as_bytes(), &needle),
                "the build log shows the secret ({form})"
            );
        }
        let blobs = oci_blobs(&layout, &scratch.path(&format!("{name}.oci")));
        let hits: Vec<String> = blobs
            .iter()
            .flat_map(|(blob, bytes)| {
                secret_forms(&secret)
                    .into_iter()
                    .filter(|(_, n)| contains(bytes, n))
                    .map(move |(form, _)| format!("{blob} ({form})"))
            })
            .collect();
        if leak {
            found_in = hits;
        } else {
            assert!(hits.is_empty(), "the secret is in the image: {hits:?}");
            record_time(&format!(
                "e2e_faults: the 32-byte secret is in none of the {} files of the OCI image",
                blobs.len()
            ));
        }
    }
    // The control: had the secret reached a layer, the search above would have said so.
    assert!(
        found_in.iter().any(|hit| hit.ends_with("(raw bytes)")),
        "the control image copies the secret, yet the search did not find it: {found_in:?}"
    );
}

/// Symlinks in the build context that point outside it (absolute, relative, at a file and at `/etc`),
/// copied with `from: context:<link>` and read by `run`: nothing outside the context reaches the image.
/// BuildKit resolves a link inside the context it was sent, so the copy fails as "not found" (or, with a
/// link `etc -> /etc` in the context, "too many symlinks": `/etc` is that link itself).
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn a_context_symlink_cannot_read_outside_the_context() {
    let _e2e = e2e();
    let scratch = Scratch::new("symlink");
    let marker = format!("host-only-{}", hex(&random_bytes(8)));
    let host_file = scratch.write("outside/host-file", &marker);
    scratch.write("ctx/main.c", HELLO_C);
    let links = [
        ("abs-file", host_file.display().to_string()),
        ("rel-file", "../outside/host-file".to_string()),
        ("abs-dir", scratch.path("outside").display().to_string()),
        ("etc-dir", "/etc".to_string()),
        // Resolved inside the context, `/etc` is this link itself (and `etc-dir` leads to it).
        ("etc", "/etc".to_string()),
    ];
    for (link, target) in &links {
        std::os::unix::fs::symlink(target, scratch.path(&format!("ctx/{link}"))).unwrap();
    }
    // The builder sees the context's links as links, in its own filesystem: reading through them finds
    // nothing of the host's.
    let read_in_builder = "mkdir -p /out && (cat abs-file rel-file abs-dir/host-file 2>&1 || true) > /out/builder-view";
    let mut outcomes = Vec::new();
    // Each link copied with `context:`, then no such copy: only what `run` read through the links.
    for link in links.iter().map(|(l, _)| Some(*l)).chain([None]) {
        let leak = link.map(|l| format!(", {{from: \"context:{l}\", to: /leak}}")).unwrap_or_default();
        let spec = format!(
            "args:\n  N: symlink\n{}copy: [/out/hello, /out/builder-view{leak}]\nimage:\n  entrypoint: [/out/hello]\n",
            hello_builder(&[read_in_builder])
        );
        scratch.write_spec("ctx/scratch.yaml", spec);
        let tag = "scratchkit-e2e/faults-symlink";
        remove_tags(&[tag]);
        let out = build_in(&scratch.path("ctx"), &["--load", "-t", tag]);
        let log = out.all();
        let name = link.unwrap_or("run only");
        assert!(!log.contains(&marker), "the build log shows the host file's contents ({name}):\n{log}");
        if out.ok {
            let image = crate::support::Exported::new(tag);
            let leaked: Vec<_> = image
                .entries()
                .into_iter()
                .filter(|e| (e.path == "leak" || e.path.starts_with("leak/")) && e.kind != 'l')
                .collect();
            let view = image.read("out/builder-view").unwrap_or_default();
            remove_tags(&[tag]);
            assert!(!view.contains(&marker), "the builder read the host file through the links: {view}");
            assert!(view.contains("No such file"), "the builder's reads did not fail: {view}");
            assert!(leaked.is_empty(), "`context:{name}` copied files from outside the context: {leaked:?}");
            outcomes.push(format!("{name}: built, nothing from outside"));
        } else {
            let why = ["not found", "too many symlinks"].into_iter().find(|w| log.contains(w));
            let why = why.unwrap_or_else(|| panic!("`{name}` failed for another reason:\n{log}"));
            outcomes.push(format!("{name}: {why}"));
        }
    }
    // Pin what BuildKit does today, so that a change in it is seen: no link resolves.
    let want = [
        "abs-file: not found",
        "rel-file: not found",
        "abs-dir: not found",
        "etc-dir: too many symlinks",
        "etc: too many symlinks",
        "run only: built, nothing from outside",
    ];
    assert_eq!(outcomes, want);
}

#[test]
fn base64_is_rfc_4648() {
    let cases = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];
    for (plain, encoded) in cases {
        assert_eq!(base64(plain.as_bytes()), encoded);
    }
    assert_eq!(hex(&[0, 0xab]), "00ab");
}
