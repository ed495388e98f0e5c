//! The command-line tool as a user runs it: help and version on stdout with exit 0, errors with their
//! location and exit 1, and `llb` flags that make its graph the one the frontend sends.

use std::process::{Command, Output};

fn scratchkit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scratchkit"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn help_goes_to_stdout_and_exits_zero() {
    for args in [&["--help"][..], &["help"], &["llb", "--help"], &["check", "-h"]] {
        let out = scratchkit(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).contains("Usage: scratchkit"), "{args:?}: {}", stdout(&out));
        assert!(!stderr(&out).contains("error"), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn version_is_the_crate_version() {
    let out = scratchkit(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out).trim(), format!("scratchkit {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn a_usage_mistake_exits_two_with_the_reason() {
    let out = scratchkit(&["llb", "--platform", "linux-amd64", "tests/fixtures/ok/smallest.yaml"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("linux-amd64"), "{}", stderr(&out));
    let out = scratchkit(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("<SPEC>"), "{}", stderr(&out));
}

#[test]
fn check_reports_located_errors_and_exit_one() {
    let out = scratchkit(&["check", "tests/fixtures/bad/unknown-key.yaml"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("unknown-key.yaml:"), "{}", stderr(&out));
    let ok = scratchkit(&["check", "tests/fixtures/ok/smallest.yaml"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
}

#[test]
fn llb_takes_what_the_frontend_learns_from_buildkit() {
    let pinned =
        "docker.io/library/golang:1.23@sha256:0000000000000000000000000000000000000000000000000000000000000000";
    let out = scratchkit(&[
        "llb",
        "--json",
        "--builder-ref",
        pinned,
        "--builder-env",
        "PATH=/usr/local/go/bin:/usr/bin:/bin",
        "--library",
        "/lib64/ld-linux-x86-64.so.2",
        "--library",
        "/lib/x86_64-linux-gnu/libc.so.6",
        "tests/fixtures/ok/dynamic-cgo.yaml",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let view: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = view["llb"].to_string();
    assert!(text.contains(&format!("docker-image://{pinned}")), "the builder is not the pinned reference:\n{text}");
    assert!(text.contains("PATH=/usr/local/go/bin:/usr/bin:/bin"), "the builder Env is not in the exec:\n{text}");
    assert!(text.contains("[rootfs] libraries"), "no libraries layer:\n{text}");
    assert!(text.contains("/lib/x86_64-linux-gnu/libc.so.6"), "libc is not copied:\n{text}");

    // Without the flags there is no libraries layer: the difference the help text describes.
    let plain = scratchkit(&["llb", "--json", "tests/fixtures/ok/dynamic-cgo.yaml"]);
    assert!(!stdout(&plain).contains("[rootfs] libraries"));
    // Neither is there the package metadata the frontend reads from the builder, and the help says so.
    assert!(!stdout(&plain).contains("[rootfs] package metadata"));
    let help = stdout(&scratchkit(&["llb", "--help"]));
    assert!(help.contains("package") && help.contains("--library") && help.contains("--build-context"), "{help}");
}

#[test]
fn check_reads_at_most_one_byte_past_the_size_limit() {
    // An endless file is refused after 1 MiB + 1 byte, not read into memory.
    let out = scratchkit(&["check", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("larger than 1024 KiB"), "{}", stderr(&out));
    // A regular file one byte over the limit gets the same error; one at the limit is read (and parsed).
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("size-limit");
    std::fs::create_dir_all(&dir).unwrap();
    let pad = |n: usize| format!("copy: [context:app]\n#{}\n", "x".repeat(n));
    let base = pad(0).len();
    let over = dir.join("over.yaml");
    std::fs::write(&over, pad(1024 * 1024 + 1 - base)).unwrap();
    let at = dir.join("at.yaml");
    std::fs::write(&at, pad(1024 * 1024 - base)).unwrap();
    let out = scratchkit(&["check", over.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("larger than 1024 KiB"), "{}", stderr(&out));
    let out = scratchkit(&["check", at.to_str().unwrap()]);
    assert!(!stderr(&out).contains("larger than"), "{}", stderr(&out));
}

#[test]
fn completions_are_printed_for_bash() {
    let out = scratchkit(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("_scratchkit()"), "{}", stdout(&out));
}

#[test]
fn config_takes_label_flags_over_the_spec() {
    let out = scratchkit(&["config", "--label", "org.example.team=infra", "tests/fixtures/ok/smallest.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let config: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(config["config"]["Labels"]["org.example.team"], "infra");
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    use std::io::Read;
    use std::process::Stdio;
    // Output well past a pipe's 64 KiB buffer, so the writer is still writing when the reader leaves.
    let files: String =
        (0..2000).map(|i| format!("    - {{path: /etc/app/f{i}, content: \"file number {i}\"}}\n")).collect();
    let spec = std::env::temp_dir().join(format!("scratchkit-cli-big-{}.yaml", std::process::id()));
    std::fs::write(&spec, format!("copy: [context:app]\nrootfs:\n  files:\n{files}")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_scratchkit"))
        .args(["llb", "--json"])
        .arg(&spec)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap(); // then the pipe closes, like `| head -c 16`
    let out = child.wait_with_output().unwrap();
    let _ = std::fs::remove_file(&spec);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn a_copy_list_bigger_than_buildkit_can_record_is_an_error_at_the_copy_key() {
    // 10,000 short copies built (an 8.3 MB build record); 20,000 would pass BuildKit's 16 MiB message limit
    // once the rootfs and the probe are added, and the build would fail after its export.
    let copies = |n: usize| (0..n).map(|i| format!("  - /out/files/f{i:06}\n")).collect::<String>();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("record");
    std::fs::create_dir_all(&dir).unwrap();
    for (n, code) in [(10_000, 0), (20_000, 1)] {
        let spec = dir.join(format!("copies-{n}.yaml"));
        std::fs::write(
            &spec,
            format!(
                "builder:\n  image: golang:1.23\n  run: make\ncopy:\n{}image:\n  entrypoint: [/out/files/f000000]\n",
                copies(n)
            ),
        )
        .unwrap();
        let out = scratchkit(&["check", spec.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(code), "{n} copies: {}", stderr(&out));
        if code == 1 {
            assert!(stderr(&out).contains(&format!("error[SK281]: `copy` lists {n} entries")), "{}", stderr(&out));
            assert!(
                stderr(&out).contains(&format!("--> copies-{n}.yaml:4:1\n")),
                "at the `copy` key: {}",
                stderr(&out)
            );
            assert!(stderr(&out).contains("copy whole directories"), "{}", stderr(&out));
        }
    }
}

/// A fresh directory under the target's temporary directory with these files.
fn project(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("init").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    dir
}

#[test]
fn init_writes_a_spec_that_checks_for_go_rust_and_c_and_prints_the_build_command() {
    let cases = [
        (
            "go",
            vec![
                ("go.mod", "module example.com/tools/hello/v2\n\ngo 1.22.1\n"),
                ("main.go", "package main\n\nfunc main() {}\n"),
            ],
            "hello",
            "golang:1.22",
            "go build -trimpath -o /out/hello .",
        ),
        (
            "go-cmd",
            vec![
                ("go.mod", "module example.com/svc\n"),
                ("lib.go", "package svc\n"),
                ("cmd/server/main.go", "package main\n"),
            ],
            "server",
            "golang:1.23",
            "go build -trimpath -o /out/server ./cmd/server",
        ),
        (
            "rust",
            vec![
                ("Cargo.toml", "[package]\nname = \"tool\"\nversion = \"0.1.0\"\n"),
                ("Cargo.lock", ""),
                ("src/main.rs", "fn main() {}\n"),
            ],
            "tool",
            "rust:1-bookworm",
            "cargo build --release --locked",
        ),
        (
            "c",
            vec![
                ("Makefile", "all: hello\nhello: hello.c\n\tcc -O2 -o hello hello.c\nclean:\n\trm -f hello\n"),
                ("hello.c", "int main(void) { return 0; }\n"),
            ],
            "hello",
            "gcc:14-bookworm",
            "make hello",
        ),
    ];
    for (name, files, binary, builder, run) in cases {
        let dir = project(name, &files);
        let out = scratchkit(&["init", dir.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        let d = dir.display();
        assert_eq!(stdout(&out), format!("docker buildx build -f {d}/scratch.yaml -t {binary} --load {d}\n"), "{name}");
        assert!(stderr(&out).contains(&format!("program `{binary}`")), "{name}: {}", stderr(&out));
        let spec = std::fs::read_to_string(dir.join("scratch.yaml")).unwrap();
        assert!(spec.starts_with("# syntax=scratchkit:dev\n"), "{name}: {spec}");
        assert!(spec.contains(&format!("  image: {builder}\n")) && spec.contains(run), "{name}: {spec}");
        assert!(spec.contains(&format!("entrypoint: [/usr/local/bin/{binary}]")), "{name}: {spec}");
        // What init writes is a valid spec, without warnings.
        let check = scratchkit(&["check", dir.join("scratch.yaml").to_str().unwrap()]);
        assert_eq!(check.status.code(), Some(0), "{name}: {}\n{spec}", stderr(&check));
        assert!(!stderr(&check).contains("warning"), "{name}: {}", stderr(&check));
    }
}

#[test]
fn init_keeps_an_existing_spec_unless_forced_and_takes_the_frontend_and_builder() {
    let dir = project("force", &[("go.mod", "module m\n"), ("main.go", "package main\n"), ("scratch.yaml", "mine\n")]);
    let d = dir.to_str().unwrap();
    let out = scratchkit(&["init", d]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("scratch.yaml already exists; pass --force"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(dir.join("scratch.yaml")).unwrap(), "mine\n");
    assert!(stdout(&out).is_empty());

    let pinned = "127.0.0.1:5000/scratchkit@sha256:0000000000000000000000000000000000000000000000000000000000000000";
    let out = scratchkit(&["init", "--force", "--frontend", pinned, "--builder", "scratchkit-test/go:bookworm", d]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let spec = std::fs::read_to_string(dir.join("scratch.yaml")).unwrap();
    assert!(
        spec.starts_with(&format!("# syntax={pinned}\n")) && spec.contains("  image: scratchkit-test/go:bookworm\n"),
        "{spec}"
    );
}

#[test]
fn init_elsewhere_says_what_it_looks_for() {
    let dir = project("python", &[("setup.py", "")]);
    let out = scratchkit(&["init", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no go.mod, Cargo.toml, C Makefile, pyproject.toml, requirements.txt or package.json in"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.join("scratch.yaml").exists());
    let dir = project("workspace", &[("Cargo.toml", "[workspace]\nmembers = [\"a\"]\n")]);
    let out = scratchkit(&["init", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("Cargo.toml: it names no `[package]`"), "{}", stderr(&out));
}

#[test]
fn config_honours_source_date_epoch_and_warns_on_a_bad_one() {
    let out = scratchkit(&["config", "--build-arg", "SOURCE_DATE_EPOCH=1700000000", "tests/fixtures/ok/smallest.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let config: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(config["created"], "2023-11-14T22:13:20Z");
    let bad = scratchkit(&["config", "--build-arg", "SOURCE_DATE_EPOCH=soon", "tests/fixtures/ok/smallest.yaml"]);
    assert_eq!(bad.status.code(), Some(0), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("`SOURCE_DATE_EPOCH` is `soon`, not a number of seconds"), "{}", stderr(&bad));
    let config: serde_json::Value = serde_json::from_slice(&bad.stdout).unwrap();
    assert!(config.get("created").is_none(), "a bad epoch gives no `created`: {config}");
}

/// Parses a written spec with the spec loader: what the frontend would read, not what the text looks like.
fn loaded(dir: &std::path::Path) -> serde_json::Value {
    let out = scratchkit(&["llb", "--json", dir.join("scratch.yaml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn init_passes_over_a_cmd_directory_whose_name_is_yaml_and_shell() {
    // A cloned repository's directory name tried to add keys to the spec and run a shell in the builder.
    let hostile = "0;id>&2;echo\n  network: host\n  ssh: true\n#";
    let dir = project("hostile-cmd", &[("go.mod", "module example.com/svc\n"), ("lib.go", "package svc\n")]);
    std::fs::create_dir_all(dir.join("cmd").join(hostile)).unwrap();
    std::fs::write(dir.join("cmd").join(hostile).join("main.go"), "package main\n").unwrap();
    std::fs::create_dir_all(dir.join("cmd/server")).unwrap();
    let out = scratchkit(&["init", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            r#"note: passed over cmd/"0;id>&2;echo\n  network: host\n  ssh: true\n#": no Go package can have that name"#
        ),
        "{}",
        stderr(&out)
    );
    let spec = std::fs::read_to_string(dir.join("scratch.yaml")).unwrap();
    assert!(!spec.contains("network") && !spec.contains("ssh") && !spec.contains(";id"), "{spec}");
    assert!(spec.contains("go build -trimpath -o /out/server ./cmd/server"), "{spec}");
    // Alone, it is passed over too: the module root is built.
    std::fs::remove_dir_all(dir.join("cmd/server")).unwrap();
    let out = scratchkit(&["init", "--force", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let spec = std::fs::read_to_string(dir.join("scratch.yaml")).unwrap();
    assert!(!spec.contains("network") && !spec.contains("ssh") && spec.contains("-o /out/svc .\n"), "{spec}");
    let check = scratchkit(&["check", dir.join("scratch.yaml").to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
}

#[test]
fn init_refuses_names_no_toolchain_accepts() {
    let cases = [
        (
            "bad-module",
            "go.mod",
            "module example.com/a;id\n",
            "the module path \"example.com/a;id\" is not a Go module path",
        ),
        (
            "bad-crate",
            "Cargo.toml",
            "[package]\nname = \"x\\n  network: host\"\n",
            r#"the binary name "x\n  network: host" is not one cargo accepts"#,
        ),
        (
            "bad-bin",
            "Cargo.toml",
            "[package]\nname = \"ok\"\n[[bin]]\nname = \"$(id)\"\n",
            r#"the binary name "$(id)" is not one cargo accepts"#,
        ),
    ];
    for (name, file, text, message) in cases {
        let dir = project(name, &[(file, text)]);
        let out = scratchkit(&["init", dir.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{name}: {}", stderr(&out));
        assert!(std::fs::symlink_metadata(dir.join("scratch.yaml")).is_err(), "{name}");
    }
    // A flag value lands on the `# syntax=` comment line, which nothing can quote.
    let dir = project("bad-frontend", &[("go.mod", "module m\n"), ("main.go", "package main\n")]);
    let out = scratchkit(&["init", "--frontend", "x\nbuilder: {image: evil}", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(r"--frontend `x\nbuilder: {image: evil}` is not an image reference"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn init_reads_names_as_the_toolchains_do_and_prints_a_valid_tag() {
    let dir = project(
        "comments",
        &[
            ("go.mod", "module example.com/Hello_Svc // our service\n\ngo 1.22 // minimum\n"),
            ("main.go", "// Package main.\npackage main // x\n"),
        ],
    );
    let out = scratchkit(&["init", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(" -t hello-svc --load "), "{}", stdout(&out));
    let spec = loaded(&dir);
    assert_eq!(spec["config"]["config"]["Entrypoint"], serde_json::json!(["/usr/local/bin/Hello_Svc"]), "{spec}");

    let dir =
        project("toml-comment", &[("Cargo.toml", "[package]\nname = \"MyTool\" # the CLI\nversion = \"0.1.0\"\n")]);
    let out = scratchkit(&["init", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(" -t mytool --load "), "{}", stdout(&out));
    let spec = std::fs::read_to_string(dir.join("scratch.yaml")).unwrap();
    assert!(spec.contains("/release/MyTool /out/") && spec.contains("entrypoint: [/usr/local/bin/MyTool]"), "{spec}");
}

#[test]
fn init_never_writes_through_a_symlink_at_the_spec_path() {
    let dir = project("symlinked-spec", &[("go.mod", "module m\n"), ("main.go", "package main\n")]);
    let outside = project("symlinked-spec-outside", &[("authorized_keys", "keep\n")]);
    let target = outside.join("authorized_keys");
    let dangling = outside.join("created-by-init");
    std::os::unix::fs::symlink(&dangling, dir.join("scratch.yaml")).unwrap();
    let out = scratchkit(&["init", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("scratch.yaml already exists; pass --force"), "{}", stderr(&out));
    assert!(std::fs::symlink_metadata(&dangling).is_err(), "init created the link's target");

    std::fs::remove_file(dir.join("scratch.yaml")).unwrap();
    std::os::unix::fs::symlink(&target, dir.join("scratch.yaml")).unwrap();
    let out = scratchkit(&["init", "--force", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep\n", "init wrote through the link");
    let meta = std::fs::symlink_metadata(dir.join("scratch.yaml")).unwrap();
    assert!(meta.file_type().is_file(), "the link is replaced by the spec itself");
    assert!(
        std::fs::read_dir(&dir).unwrap().flatten().all(|e| !e.file_name().to_string_lossy().ends_with(".tmp")),
        "no temporary file is left"
    );
}

#[test]
fn init_reads_only_bounded_regular_files() {
    let dir = project("go-mod-zero", &[("main.go", "package main\n")]);
    std::os::unix::fs::symlink("/dev/zero", dir.join("go.mod")).unwrap();
    let out = scratchkit(&["init", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("go.mod: it is not a regular file"), "{}", stderr(&out));

    // A FIFO would block a reader until someone writes: it must be refused without being opened.
    let dir = project("cargo-fifo", &[]);
    std::fs::create_dir_all(&dir).unwrap();
    let made = Command::new("mkfifo").arg(dir.join("Cargo.toml")).status().expect("mkfifo runs");
    assert!(made.success());
    let mut child = Command::new(env!("CARGO_BIN_EXE_scratchkit"))
        .args(["init", dir.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("init hung on a FIFO named Cargo.toml");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("Cargo.toml: it is not a regular file"), "{}", stderr(&out));
}

#[test]
fn init_gives_two_rust_projects_of_one_name_their_own_target_directory() {
    let files =
        [("Cargo.toml", "[package]\nname = \"tool\"\nversion = \"0.1.0\"\n"), ("src/main.rs", "fn main() {}\n")];
    let (a, b) = (project("rust-twin-a", &files), project("rust-twin-b", &files));
    let target_dir = |dir: &std::path::Path| {
        assert_eq!(scratchkit(&["init", dir.to_str().unwrap()]).status.code(), Some(0));
        // The builder's environment as the frontend would send it.
        let graph = loaded(dir).to_string();
        let dir =
            graph.split("\"CARGO_TARGET_DIR=").nth(1).and_then(|r| r.split('"').next()).unwrap_or_default().to_string();
        assert!(
            dir.starts_with("/cache/target/tool-") && graph.contains(&format!("cp {dir}/release/tool /out/")),
            "{graph}"
        );
        dir
    };
    assert_ne!(target_dir(&a), target_dir(&b));
}

#[test]
fn healthcheck_and_volumes_reach_the_config_as_docker_writes_them() {
    let check = scratchkit(&["check", "tests/fixtures/ok/healthcheck.yaml"]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    assert!(!stderr(&check).contains("warning"), "{}", stderr(&check));
    let out = scratchkit(&["config", "tests/fixtures/ok/healthcheck.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let config: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let expected = serde_json::json!({
        "Test": ["CMD", "/out/app", "-health"],
        "Interval": 90_000_000_000_i64,
        "Timeout": 5_000_000_000_i64,
        "StartPeriod": 500_000_000,
        "StartInterval": 1_000_000_000,
        "Retries": 4,
    });
    assert_eq!(config["config"]["Healthcheck"], expected, "{config}");
    assert_eq!(config["config"]["Volumes"], serde_json::json!({"/data": {}}), "{config}");
    // Without them the config has neither key, so the images of other specs keep their digests.
    let plain = scratchkit(&["config", "tests/fixtures/ok/smallest.yaml"]);
    let plain: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert!(plain["config"].get("Healthcheck").is_none() && plain["config"].get("Volumes").is_none(), "{plain}");
}

#[test]
fn init_writes_a_spec_that_checks_for_python_and_node() {
    let cases = [
        (
            "python-scripts",
            vec![
                ("pyproject.toml", "[project]\nname = \"tool\"\ndependencies = [\"pyyaml\"]\n[project.scripts]\ntool = \"tool.cli:main\"\n"),
                ("src/tool/cli.py", "def main():\n    return 0\n"),
            ],
            "tool",
            "  cmd: [\"-c\", import sys; from tool.cli import main; sys.exit(main())]\n  workdir: /app\n  env: {PYTHONPATH: /app/site-packages:/app/src}\n",
            "python3.11",
        ),
        (
            "python-requirements",
            vec![("requirements.txt", "# none\n"), ("main.py", "print('hi')\n")],
            "app",
            "  cmd: [/app/main.py]\n  workdir: /app\n",
            "python3.11",
        ),
        (
            "node",
            vec![
                ("package.json", "{\"name\": \"@org/web\", \"main\": \"./lib/server\", \"dependencies\": {\"x\": \"1\"}}"),
                ("lib/server.js", ""),
                ("node_modules/x/index.js", ""),
            ],
            "org-web",
            "  cmd: [/app/lib/server.js]\n  workdir: /app\n",
            "nodejs",
        ),
    ];
    for (name, files, tag, image, package) in cases {
        let dir = project(name, &files);
        let out = scratchkit(&["init", dir.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        let d = dir.display();
        assert_eq!(stdout(&out), format!("docker buildx build -f {d}/scratch.yaml -t {tag} --load {d}\n"), "{name}");
        let spec = std::fs::read_to_string(dir.join("scratch.yaml")).unwrap();
        assert!(
            spec.contains("  image: debian:bookworm-slim\n")
                && spec.contains(&format!("--no-install-recommends {package} && mkdir -p /out")),
            "{name}: {spec}"
        );
        assert!(spec.ends_with(image), "{name}: {spec}");
        // Dependencies are the project's own (`node_modules/` here): no hint then.
        assert_eq!(spec.contains("before the"), name == "python-scripts", "{name}: {spec}");
        let check = scratchkit(&["check", dir.join("scratch.yaml").to_str().unwrap()]);
        assert_eq!(check.status.code(), Some(0), "{name}: {}\n{spec}", stderr(&check));
        assert!(!stderr(&check).contains("warning"), "{name}: {}", stderr(&check));
    }
}

#[test]
fn init_refuses_python_and_node_names_their_tools_would_not_take() {
    let deep = "[".repeat(10_000);
    let cases = [
        (
            "node-main-out",
            vec![("package.json", "{\"main\": \"../../etc/passwd\"}")],
            "is not a path inside the project",
        ),
        (
            "node-bin-shell",
            vec![("package.json", "{\"bin\": {\"x\": \"$(id).js\"}}")],
            "is not a path inside the project",
        ),
        (
            "node-name",
            vec![("package.json", "{\"name\": \"x\\n  network: host\"}"), ("index.js", "")],
            "is not one npm accepts",
        ),
        (
            "node-missing",
            vec![("package.json", "{\"main\": \"server.js\"}")],
            "which is not a regular file in the project",
        ),
        ("node-deep", vec![("package.json", &deep)], "it is not valid JSON"),
        (
            "py-script",
            vec![("pyproject.toml", "[project.scripts]\nx = \"os:system('id')\"\n")],
            "is not `module:function`",
        ),
        ("py-nothing", vec![("requirements.txt", "flask\n")], "no program to run"),
    ];
    for (name, files, want) in cases {
        let dir = project(name, &files);
        let out = scratchkit(&["init", dir.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(want), "{name}: {}", stderr(&out));
        assert!(!dir.join("scratch.yaml").exists(), "{name}");
    }
    // A `main` that is a symlink (to a file outside the project) is not a regular file of the project.
    let dir = project("node-link", &[("package.json", "{\"main\": \"index.js\"}")]);
    std::os::unix::fs::symlink("/etc/passwd", dir.join("index.js")).unwrap();
    let out = scratchkit(&["init", dir.to_str().unwrap()]);
    assert!(
        out.status.code() == Some(1) && stderr(&out).contains("not a regular file in the project"),
        "{}",
        stderr(&out)
    );
}
