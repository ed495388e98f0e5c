//! End to end on real BuildKit: build every example under `examples/` with
//! `docker buildx build -f …/scratch.yaml` (the `# syntax=scratchkit:dev` line
//! makes BuildKit run the frontend image), run the image with no network and
//! assert what the program prints.
//!
//! Ignored by plain `cargo test` (they need Docker). `scripts/test.sh` prepares
//! the daemon, the builder image and the frontend image and runs them; then a
//! missing one is a failure.
//!
//! Builds run one at a time (a global lock): the test machine has two cores,
//! and parallel BuildKit solves only make every build slower.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::support::{assert_lines, docker, e2e, image_files, run_cmd, Exported, Out, BUILD_TIMEOUT, RUN_TIMEOUT};

/// `docker buildx build --progress plain --load -t scratchkit-e2e/<tag> -f <spec> <context> <extra…>`.
fn buildx(tag: &str, spec: &str, context: &str, extra: &[&str]) -> (String, Out) {
    let image = format!("scratchkit-e2e/{tag}");
    // The hand-written baselines go to Docker's own Dockerfile frontend, whatever SCRATCHKIT_FRONTEND says.
    let mut cmd = if spec.ends_with("Dockerfile.handwritten") {
        crate::support::buildx_dockerfile()
    } else {
        crate::support::buildx()
    };
    cmd.args(["--load", "-t", &image, "-f", spec]).args(extra).arg(context);
    let start = Instant::now();
    let out = run_cmd(&mut cmd, BUILD_TIMEOUT);
    let line = format!(
        "e2e: build {tag} ({spec}{}{}) took {:.1}s, {}",
        if extra.is_empty() { "" } else { " " },
        extra.join(" "),
        start.elapsed().as_secs_f64(),
        if out.ok { "ok" } else { "failed" }
    );
    eprintln!("{line}");
    record_time(&line);
    (image, out)
}

/// Where build times are collected, since cargo test hides the output of passing tests;
/// scripts/test.sh prints this file after the run.
const TIMES_FILE: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/e2e-build-times.txt");

fn record_time(line: &str) {
    use std::io::Write;
    static FIRST: OnceLock<()> = OnceLock::new();
    let truncate = FIRST.set(()).is_ok();
    let file =
        std::fs::OpenOptions::new().create(true).write(true).truncate(truncate).append(!truncate).open(TIMES_FILE);
    if let Ok(mut f) = file {
        let _ = writeln!(f, "{line}");
    }
}

/// Builds `examples/<name>/scratch.yaml` and returns the image name; fails the test on a build error.
fn build_example(name: &str, extra: &[&str]) -> String {
    build_spec(name, &format!("examples/{name}/scratch.yaml"), &format!("examples/{name}"), extra)
}

fn build_spec(tag: &str, spec: &str, context: &str, extra: &[&str]) -> String {
    let (image, out) = buildx(tag, spec, context, extra);
    assert!(out.ok, "building {spec} failed\n{}", out.all());
    image
}

/// `docker run --rm --network none <extra…> <image>`; fails the test unless the program exits 0.
fn run_image(image: &str, extra: &[&str]) -> String {
    let out = crate::support::run_container(&[&["--network", "none"], extra].concat(), image);
    assert!(out.ok, "running {image} {extra:?} failed\n{}", out.all());
    eprint!("{}", out.stdout);
    out.stdout
}

fn inspect(image: &str, format: &str) -> String {
    let out =
        run_cmd(Command::new(docker()).args(["image", "inspect", "--format", format, image]), Duration::from_secs(60));
    assert!(out.ok, "docker image inspect {image} failed\n{}", out.all());
    out.stdout.trim().to_string()
}

/// True when `text` holds `<file>:<digits>:<digits>` (a file:line:column location).
fn has_location(text: &str, file: &str) -> bool {
    text.match_indices(file).any(|(i, _)| {
        let rest = &text[i + file.len()..];
        let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
        let Some(rest) = rest.strip_prefix(':') else {
            return false;
        };
        let line = digits(rest);
        if line == 0 {
            return false;
        }
        let Some(rest) = rest[line..].strip_prefix(':') else {
            return false;
        };
        digits(rest) > 0
    })
}

const CERTS: &[&str] = &["certs: system pool ok (*", "certs: tls handshake ok"];
const TMP: &[&str] = &["tmp: mode dtrwxrwxrwx", "tmp: sticky 1777 ok"];
const USER: &[&str] = &["user: name=nonroot uid=65532 home=/home/nonroot", "user: root uid=0"];
const TZ: &[&str] = &["tz: Europe/Amsterdam CET CEST"];
const DNS: &[&str] = &["dns: example.com -> 127.0.0.1", "dns: nsswitch hosts: files dns"];
const ADD_HOST: &[&str] = &["--add-host", "example.com:127.0.0.1"];

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn certs() {
    let _e2e = e2e();
    let image = build_example("certs", &[]);
    assert_lines(&run_image(&image, &[]), CERTS);
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn tmp() {
    let _e2e = e2e();
    let image = build_example("tmp", &[]);
    let out = run_image(&image, &[]);
    assert_lines(&out, TMP);
    assert_lines(&out, &["tmp: created and removed a file in /tmp"]);
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn user() {
    let _e2e = e2e();
    let image = build_example("user", &[]);
    let out = run_image(&image, &[]);
    assert_lines(&out, USER);
    assert_lines(&out, &["user: group=nonroot gid=65532", "user: home /home/nonroot writable=true"]);
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn user_run_as_root_still_resolves_root() {
    let _e2e = e2e();
    let image = build_example("user", &[]);
    let out = run_image(&image, &["--user", "root"]);
    assert_lines(&out, &["user: name=root uid=0 home=/root*", "user: root uid=0"]);
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn tz() {
    let _e2e = e2e();
    let image = build_example("tz", &[]);
    assert_lines(&run_image(&image, &[]), TZ);
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn dns() {
    let _e2e = e2e();
    let image = build_example("dns", &[]);
    assert_lines(&run_image(&image, ADD_HOST), DNS);
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn smallest_spec_fixes_every_pitfall() {
    let _e2e = e2e();
    let image = build_example("smallest", &[]);
    let out = run_image(&image, ADD_HOST);
    for lines in [CERTS, TMP, USER, TZ, DNS] {
        assert_lines(&out, lines);
    }
    assert_lines(&out, &["smallest: all checks ok"]);
    // The defaults the spec promises for the image config.
    assert_eq!(inspect(&image, "{{json .Config.Entrypoint}}"), r#"["/out/app"]"#);
    let user = inspect(&image, "{{.Config.User}}");
    assert!(
        ["nonroot", "65532", "65532:65532", "nonroot:nonroot"].contains(&user.as_str()),
        "unexpected image user {user:?}"
    );
}

/// One structure expectation of distroless/static, checked on the exported image: the entry exists
/// with this type, mode and numeric owner. (distroless's own structure tests, base/testdata/base.yaml,
/// check existence and the exact user database; the modes and owners are what its rootfs carries.)
struct Expect {
    path: &'static str,
    kind: char,
    mode: u32,
    owner: (u32, u32),
    why: &'static str,
}

const fn expect(path: &'static str, kind: char, mode: u32, owner: (u32, u32), why: &'static str) -> Expect {
    Expect { path, kind, mode, owner, why }
}

const ROOT: (u32, u32) = (0, 0);
const DISTROLESS: &[Expect] = &[
    expect("tmp", 'd', 0o1777, ROOT, "os.CreateTemp"),
    expect("etc/passwd", '-', 0o644, ROOT, "user lookups"),
    expect("etc/group", '-', 0o644, ROOT, "group lookups"),
    expect("etc/nsswitch.conf", '-', 0o644, ROOT, "hosts: files dns"),
    expect("etc/ssl/certs/ca-certificates.crt", '-', 0o644, ROOT, "TLS"),
    expect("etc/services", '-', 0o644, ROOT, "netbase: service names"),
    expect("etc/protocols", '-', 0o644, ROOT, "netbase: protocol names"),
    expect("etc/mime.types", '-', 0o644, ROOT, "media-types: MIME types"),
    expect("usr/share/zoneinfo", 'd', 0o755, ROOT, "tzdata"),
    expect("usr/share/zoneinfo/Europe/Amsterdam", '-', 0o644, ROOT, "a zone"),
    expect("root", 'd', 0o700, ROOT, "root's home"),
    expect("home", 'd', 0o755, ROOT, "homes"),
    expect("home/nonroot", 'd', 0o700, (65532, 65532), "nonroot's home"),
    expect("etc/os-release", '-', 0o644, ROOT, "the distribution, for scanners"),
    expect("var/lib/dpkg/status.d", 'd', 0o755, ROOT, "dpkg metadata, one file per package"),
    expect("var/lib/dpkg/status.d/ca-certificates", '-', 0o644, ROOT, "ca-certificates' status stanza"),
    expect("var/lib/dpkg/status.d/tzdata", '-', 0o644, ROOT, "tzdata's status stanza"),
    expect("usr/share/doc/ca-certificates/copyright", '-', 0o644, ROOT, "the license of what is shipped"),
];

/// distroless/static's structure expectations, written here, applied to the default image of
/// examples/smallest: entries with their types, modes and owners read from the exported image, the user
/// database line by line, and the image user. Prints the table it checked.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn the_default_image_meets_distroless_structure_expectations() {
    let _e2e = e2e();
    let image = build_example("smallest", &[]);
    let exported = Exported::new(&image);
    let entries = exported.entries();
    let mut table =
        vec!["| distroless expects | in the image | mode | owner |".to_string(), "|---|---|---|---|".to_string()];
    let mut failures = Vec::new();
    for e in DISTROLESS {
        let found = entries.iter().find(|x| x.path == e.path);
        match found {
            Some(x) => {
                table.push(format!("| `/{}` ({}) | present | {:04o} | {}:{} |", e.path, e.why, x.mode, x.uid, x.gid));
                if (x.kind, x.mode, (x.uid, x.gid)) != (e.kind, e.mode, e.owner) {
                    failures.push(format!(
                        "/{}: {} {:04o} {}:{}, want {} {:04o} {}:{}",
                        e.path, x.kind, x.mode, x.uid, x.gid, e.kind, e.mode, e.owner.0, e.owner.1
                    ));
                }
            }
            None => {
                table.push(format!("| `/{}` ({}) | missing | | |", e.path, e.why));
                failures.push(format!("/{} is missing", e.path));
            }
        }
    }
    eprintln!("{}", table.join("\n"));
    let passwd = exported.read("etc/passwd").unwrap_or_default();
    let group = exported.read("etc/group").unwrap_or_default();
    let want_passwd = "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n";
    let want_group = "root:x:0:\nnonroot:x:65532:\nnogroup:x:65534:\n";
    if passwd != want_passwd {
        failures.push(format!("/etc/passwd is {passwd:?}, want {want_passwd:?}"));
    }
    if group != want_group {
        failures.push(format!("/etc/group is {group:?}, want {want_group:?}"));
    }
    let user = inspect(&image, "{{.Config.User}}");
    if user != "65532:65532" {
        failures.push(format!("the image runs as {user:?}, want 65532:65532 (nonroot)"));
    }
    assert!(failures.is_empty(), "{}\n{}", failures.join("\n"), table.join("\n"));
}

const RUNTIME_FILES: &[&str] = &[
    "services: tcp/postgresql -> 5432",
    "mime: .md -> text/markdown*",
    "nobody: uid=65534 gid=65534 group=nogroup home=/nonexistent",
    "runtime-files: all checks ok",
];
const RUNTIME_FILES_C: &[&str] = &[
    "runtime-files-c: getservbyname(postgresql, tcp) -> 5432",
    "runtime-files-c: getprotobyname(sctp) -> 132",
    "runtime-files-c: all checks ok",
];

/// The data files work for the programs that read them: Go's service and MIME lookups, a home for
/// root (`--user root`, HOME=/root) and for nonroot, the nobody user; glibc's getservbyname and
/// getprotobyname. With the pieces switched off, the same programs fail: the probes can tell.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn runtime_files_serve_go_and_c_programs() {
    let _e2e = e2e();
    let image = build_example("runtime-files", &[]);
    let out = run_image(&image, &[]);
    assert_lines(&out, RUNTIME_FILES);
    assert_lines(&out, &["home: uid 65532 wrote to /home/nonroot (drwx------)"]);
    let out = run_image(&image, &["--user", "root"]);
    assert_lines(&out, RUNTIME_FILES);
    assert_lines(&out, &["home: uid 0 wrote to /root (drwx------)"]);

    let image = build_example("runtime-files-c", &[]);
    assert_lines(&run_image(&image, &[]), RUNTIME_FILES_C);

    // The negative control: the same programs without the pieces.
    for (name, context, fails) in [
        ("runtime-files-off", "examples/runtime-files", &["services: FAIL: *", "mime: FAIL: *"][..]),
        (
            "runtime-files-c-off",
            "examples/runtime-files-c",
            &["runtime-files-c: FAIL: getservbyname*", "runtime-files-c: FAIL: getprotobyname*"][..],
        ),
    ] {
        let image = build_spec(name, &format!("tests/e2e-fixtures/{name}.yaml"), context, &[]);
        let out = crate::support::run_container(&["--network", "none"], &image);
        assert!(!out.ok, "{name} passed without the files:\n{}", out.all());
        assert_lines(&out.stderr, fails);
    }
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn build_arg_default_and_override() {
    let _e2e = e2e();
    let image = build_spec("buildarg-default", "examples/buildarg/scratch.yaml", "examples/buildarg", &[]);
    assert_lines(&run_image(&image, &[]), &["buildarg: greeting=hello"]);
    let image = build_spec(
        "buildarg",
        "examples/buildarg/scratch.yaml",
        "examples/buildarg",
        &["--build-arg", "GREETING=bonjour"],
    );
    assert_lines(&run_image(&image, &[]), &["buildarg: greeting=bonjour"]);
}

/// Build args are data, as `ARG` is in a Dockerfile: they reach `run` as environment variables, so a
/// value's quotes, `;`, `$(...)` and backticks arrive byte for byte in the program and nothing they spell
/// runs. When args were spliced into the script text, `BANNER` below ran three `touch`es whose files
/// the image would list, and `VERSION` broke the `go build` line (issue 9).
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn hostile_build_args_are_data_not_shell() {
    let _e2e = e2e();
    const VERSION: &str = r#"1.0";touch${IFS}/out/pwned-version;echo""#;
    const BANNER: &str =
        r#"a b" ; touch /out/pwned-banner ; echo "$(touch /out/pwned-subst) `touch /out/pwned-tick` 'single' \ back"#;
    let dir = "tests/e2e-fixtures/hostile-args";
    let (version, banner) = (format!("VERSION={VERSION}"), format!("BANNER={BANNER}"));
    let image = build_spec(
        "hostile-args",
        &format!("{dir}/scratch.yaml"),
        dir,
        &["--build-arg", &version, "--build-arg", &banner],
    );
    let out = run_image(&image, &[]);
    assert_lines(&out, &[&format!("version={VERSION}"), &format!("banner={BANNER}")]);
    let files: Vec<&str> = out.lines().filter_map(|l| l.strip_prefix("file=")).collect();
    assert_eq!(files, ["app"], "something the build args spell ran in the builder:\n{out}");
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn spec_in_a_subfolder_of_the_context() {
    let _e2e = e2e();
    let image = build_spec("subdir", "examples/subdir/deploy/scratch.yaml", "examples/subdir", &[]);
    assert_lines(&run_image(&image, &[]), &["subdir: ok (/out/app)"]);
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn bad_spec_fails_with_location_and_hint() {
    let _e2e = e2e();
    let (_, out) = buildx("bad", "examples/bad/scratch.yaml", "examples/bad", &[]);
    assert!(!out.ok, "the bad spec built\n{}", out.all());
    let text = format!("{}\n{}", out.stdout, out.stderr);
    assert!(has_location(&text, "scratch.yaml"), "no scratch.yaml:LINE:COL in the buildx output\n{}", out.all());
    let lower = text.to_lowercase();
    assert!(lower.contains("hint"), "no hint in the buildx output\n{}", out.all());
    assert!(lower.contains("builder"), "the hint does not suggest `builder`\n{}", out.all());
}

/// The hand-written Dockerfiles are the baseline of bench/compare.sh; they also
/// prove the example programs are right independently of the frontend, so a
/// failure above that this test does not share points at scratchkit.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn handwritten_baselines() {
    let _e2e = e2e();
    for (name, lines, extra) in [
        ("certs", CERTS, &[][..]),
        ("tmp", TMP, &[][..]),
        ("user", USER, &[][..]),
        ("tz", TZ, &[][..]),
        ("dns", DNS, ADD_HOST),
    ] {
        let dir = PathBuf::from("examples").join(name);
        let dockerfile = dir.join("Dockerfile.handwritten");
        let image = build_spec(
            &format!("handwritten-{name}"),
            dockerfile.to_str().expect("utf-8 path"),
            dir.to_str().expect("utf-8 path"),
            &[],
        );
        assert_lines(&run_image(&image, extra), lines);
    }
}

#[test]
fn tar_listing_lines_give_type_mode_and_owner() {
    let e = crate::support::parse_entry("drwxrwxrwt 0/0               0 1970-01-01 00:00 tmp/").unwrap();
    assert_eq!((e.path.as_str(), e.kind, e.mode, e.uid, e.gid), ("tmp", 'd', 0o1777, 0, 0));
    let e = crate::support::parse_entry("drwx------ 65532/65532       0 1970-01-01 00:00 home/nonroot/").unwrap();
    assert_eq!((e.path.as_str(), e.mode, e.uid, e.gid), ("home/nonroot", 0o700, 65532, 65532));
    let e = crate::support::parse_entry("-rwsr-xr-x 0/0           12813 2023-03-27 12:00 usr/bin/a b").unwrap();
    assert_eq!((e.path.as_str(), e.kind, e.mode, e.size), ("usr/bin/a b", '-', 0o4755, 12813));
    let e = crate::support::parse_entry("lrwxrwxrwx 0/0               0 2024-01-01 00:00 etc/mtab -> /proc/mounts")
        .unwrap();
    assert_eq!((e.path.as_str(), e.kind), ("etc/mtab", 'l'));
    assert!(crate::support::parse_entry("garbage").is_none());
}

#[test]
fn location_matcher() {
    assert!(has_location("x\nscratch.yaml:4:1: unknown key", "scratch.yaml"));
    assert!(has_location("scratch.yaml:1\nscratch.yaml:12:3", "scratch.yaml"));
    assert!(!has_location("scratch.yaml:1\n---", "scratch.yaml"));
    assert!(!has_location("scratch.yaml:4:", "scratch.yaml"));
    assert!(!has_location("scratch.yaml", "scratch.yaml"));
}

// ---- Build-time verification: dynamic binaries get their libraries, static ones none ----------

/// The files (not directories) of the layer whose history entry is `name` (e.g. `[rootfs]
/// libraries`), read from `docker save`; `None` when the image has no such layer.
fn layer_files(image: &str, name: &str) -> Option<Vec<String>> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("e2e-save-{}", image.replace(['/', ':'], "-")));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the docker save directory");
    let tar = dir.join("image.tar");
    let out = run_cmd(Command::new(docker()).args(["save", "-o"]).arg(&tar).arg(image), RUN_TIMEOUT);
    assert!(out.ok, "docker save {image} failed\n{}", out.all());
    let out = run_cmd(Command::new("tar").arg("-xf").arg(&tar).arg("-C").arg(&dir), RUN_TIMEOUT);
    assert!(out.ok, "unpacking docker save of {image} failed\n{}", out.all());
    let json = |rel: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(dir.join(rel))
            .unwrap_or_else(|e| panic!("{image}: cannot read {rel} of docker save: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{image}: {rel} is not JSON: {e}"))
    };
    let manifest = json("manifest.json");
    let config = json(manifest[0]["Config"].as_str().expect("manifest.json has Config"));
    let layers = manifest[0]["Layers"].as_array().expect("manifest.json has Layers");
    // History entries that made a layer, in the same order as the layers.
    let history: Vec<&str> = config["history"]
        .as_array()
        .expect("the image config has a history")
        .iter()
        .filter(|h| h["empty_layer"].as_bool() != Some(true))
        .map(|h| h["created_by"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(history.len(), layers.len(), "{image}: history {history:?} does not match {} layers", layers.len());
    let Some(index) = history.iter().position(|h| *h == name) else {
        let _ = std::fs::remove_dir_all(&dir);
        return None;
    };
    let blob = dir.join(layers[index].as_str().expect("a layer path"));
    let out = run_cmd(Command::new("tar").arg("-tf").arg(&blob), RUN_TIMEOUT);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.ok, "{image}: cannot list layer {name}\n{}", out.all());
    Some(out.stdout.lines().filter(|l| !l.ends_with('/')).map(str::to_string).collect())
}

const LIBRARIES_LAYER: &str = "[rootfs] libraries";
const GLIBC_LOADER: &str = "lib64/ld-linux-x86-64.so.2";
const LIBC: &str = "lib/x86_64-linux-gnu/libc.so.6";
const LD_SO_CACHE: &str = "etc/ld.so.cache";
/// `libc.so.6` lists the loader as `DT_NEEDED`; the loader satisfies that from itself, so this
/// second copy is allowed in the layer but not required.
const LOADER_BY_SONAME: &str = "lib/x86_64-linux-gnu/ld-linux-x86-64.so.2";

/// The image holds the loader and every `required` library, all of them in the one
/// `[rootfs] libraries` layer, and that layer holds nothing else.
fn assert_libraries_layer(image: &str, required: &[&str]) {
    let files = image_files(image);
    let layer =
        layer_files(image, LIBRARIES_LAYER).unwrap_or_else(|| panic!("{image} has no `{LIBRARIES_LAYER}` layer"));
    for want in [GLIBC_LOADER, LD_SO_CACHE].iter().chain(required) {
        assert!(files.iter().any(|f| f == want), "{want} is not in {image}: {files:?}");
        assert!(layer.iter().any(|f| f == want), "{want} is not in the libraries layer: {layer:?}");
    }
    let stray: Vec<&String> = layer
        .iter()
        .filter(|f| {
            ![GLIBC_LOADER, LD_SO_CACHE, LOADER_BY_SONAME].contains(&f.as_str()) && !required.contains(&f.as_str())
        })
        .collect();
    assert!(stray.is_empty(), "the libraries layer of {image} holds more than the closure: {stray:?}");
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn cgo_program_runs_with_the_libraries_found_at_build_time() {
    let _e2e = e2e();
    let image = build_example("cgo", &[]);
    assert_lines(&run_image(&image, &[]), &["cgo: user=nonroot uid=65532", "cgo: zlib 1.*"]);
    assert_libraries_layer(&image, &[LIBC, "lib/x86_64-linux-gnu/libz.so.1"]);
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn dynamic_c_program_runs_with_the_libraries_found_at_build_time() {
    let _e2e = e2e();
    let image = build_example("dynamic-c", &[]);
    let out = run_image(&image, &[]);
    assert_lines(&out, &["dynamic-c: sqlite 3.*"]);
    assert!(
        out.lines().any(|l| l.starts_with("dynamic-c: sqlite 3.") && l.ends_with(" in memory ok")),
        "sqlite did not open a database:\n{out}"
    );
    // libsqlite3 needs libm: the closure is transitive.
    assert_libraries_layer(&image, &[LIBC, "lib/x86_64-linux-gnu/libsqlite3.so.0", "lib/x86_64-linux-gnu/libm.so.6"]);
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn static_c_program_gets_no_library_files() {
    let _e2e = e2e();
    let image = build_example("static-c", &[]);
    assert_lines(&run_image(&image, &[]), &["static-c: hello"]);
    let files = image_files(&image);
    assert!(files.iter().any(|f| f == "out/hello"), "{files:?}");
    let libs: Vec<&String> = files
        .iter()
        .filter(|f| {
            ["lib", "lib64", "usr/lib"].iter().any(|d| *f == d || f.starts_with(&format!("{d}/")))
                || f.as_str() == LD_SO_CACHE
        })
        .collect();
    assert!(libs.is_empty(), "a static binary got library files: {libs:?}");
    assert_eq!(layer_files(&image, LIBRARIES_LAYER), None);
}

/// A project library next to the program, found through `DT_RUNPATH` `$ORIGIN/../lib`.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn project_library_found_through_runpath_origin() {
    let _e2e = e2e();
    let image = build_spec(
        "runpath-origin",
        "tests/e2e-fixtures/runpath-origin/scratch.yaml",
        "tests/e2e-fixtures/runpath-origin",
        &[],
    );
    assert_lines(&run_image(&image, &[]), &["runpath: hello from libgreet"]);
    assert_libraries_layer(&image, &[LIBC, "app/lib/libgreet.so.1"]);
}

/// glibc searches the executable's `DT_RPATH` (with `$ORIGIN` = the executable's directory) for
/// the dependencies of a library that has no `DT_RUNPATH`; the program runs in the builder.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn executable_rpath_origin_serves_its_libraries_dependencies() {
    let _e2e = e2e();
    let image = build_spec(
        "rpath-exe-origin",
        "tests/e2e-fixtures/rpath-exe-origin/scratch.yaml",
        "tests/e2e-fixtures/rpath-exe-origin",
        &[],
    );
    assert_lines(&run_image(&image, &[]), &["rpath: outer -> inner"]);
    assert_libraries_layer(&image, &[LIBC, "out/lib/libouter.so", "out/lib/libinner.so"]);
}

/// The build fails and buildx shows `<spec>:LINE:COL` and every one of `words`.
fn assert_build_error(tag: &str, spec: &str, context: &str, extra: &[&str], words: &[&str]) {
    let (_, out) = buildx(tag, spec, context, extra);
    assert!(!out.ok, "{spec} built\n{}", out.all());
    let text = format!("{}\n{}", out.stdout, out.stderr);
    let file = Path::new(spec).file_name().and_then(|f| f.to_str()).expect("a spec file name");
    assert!(has_location(&text, file), "no {file}:LINE:COL in the buildx output\n{}", out.all());
    for word in words {
        assert!(text.contains(word), "no {word:?} in the buildx output\n{}", out.all());
    }
}

/// An arm64 binary in an amd64 image, and a binary built natively (GOARCH forgotten) for an
/// arm64 image: both are stopped before the image is assembled.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn binary_for_another_architecture_fails_the_build() {
    let _e2e = e2e();
    assert_build_error(
        "wrong-arch",
        "tests/e2e-fixtures/wrong-arch.yaml",
        "tests/e2e-fixtures/src",
        &["--platform", "linux/amd64"],
        &["`/out/app` is built for", "but the image is for linux/amd64", "GOARCH=$TARGETARCH"],
    );
    assert_build_error(
        "native-for-arm64",
        "tests/e2e-fixtures/native-for-arm64.yaml",
        "tests/e2e-fixtures/src",
        &["--platform", "linux/arm64"],
        &["`/out/app` is built for", "but the image is for linux/arm64"],
    );
}
