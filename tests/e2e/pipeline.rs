//! End to end on real BuildKit: what buildx users pass in pipelines, and `scratchkit init`.
//! - `--build-context` named like the builder image replaces it (its `Env` with it), and
//!   `from: context:NAME:path` copies from a named local directory, minus its own `.dockerignore`; an
//!   unknown name fails with its spec location;
//! - `--annotation` reaches the exported OCI manifest;
//! - `--call outline` lists the args with their defaults, the secrets and the SSH agent;
//! - `scratchkit init` then the command it prints then `docker run`, for a Go, a C and two Rust projects of
//!   one package name (each ships its own program).
//!
//! Ignored by plain `cargo test` (they need Docker); scripts/test.sh runs them.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{
    buildx, docker_cmd, e2e, frontend_image, run_cmd, run_container, Exported, BUILDER_IMAGE, BUILD_TIMEOUT,
    RUN_TIMEOUT,
};

/// A fresh directory for one test's files.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-pipeline").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
}

/// The spec with the `# syntax=` line of the frontend under test.
fn with_syntax(spec: &str) -> String {
    format!("# syntax={}\n{spec}", frontend_image())
}

fn must(cmd: &mut Command) -> String {
    let shown = format!("{cmd:?}");
    let out = run_cmd(cmd, BUILD_TIMEOUT);
    assert!(out.ok, "{shown} failed\n{}", out.all());
    format!("{}{}", out.stdout, out.stderr)
}

fn run_image(image: &str) -> String {
    let out = run_container(&["--network", "none"], image);
    assert!(out.ok, "{image} failed:\n{}", out.all());
    out.stdout
}

/// An image `FROM base` with more Dockerfile lines, built by Docker's own frontend (offline: the base is local).
fn derived_image(tag: &str, context: &Path, dockerfile: &str) {
    write(context, &[("Dockerfile", dockerfile)]);
    let dir = context.to_str().unwrap();
    must(crate::support::buildx_dockerfile().args(["--load", "-t", tag, dir]));
}

const GO_MAIN: &str = "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello from the pipeline\") }\n";

/// The spec of the named-context test: the builder is `golang:1.23` (not in the image store, and no registry
/// is reachable), its `run` records the image's `SCRATCHKIT_MIRROR`, and `assets` comes from a named context.
const NAMED_SPEC: &str = r#"builder:
  image: golang:1.23
  run: mkdir -p /out && printf '%s' "$SCRATCHKIT_MIRROR" > /out/mirror && CGO_ENABLED=0 go build -o /out/app .
copy:
  - /out/app
  - {from: /out/mirror, to: /etc/mirror}
  - {from: "context:assets:", to: /srv/}
image:
  entrypoint: [/out/app]
"#;

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn build_contexts_replace_the_builder_image_and_feed_copies() {
    let _e2e = e2e();
    let dir = scratch_dir("named");
    write(
        &dir,
        &[
            ("src/go.mod", "module example.com/pipeline\n\ngo 1.19\n"),
            ("src/main.go", GO_MAIN),
            ("src/scratch.yaml", &with_syntax(NAMED_SPEC)),
        ],
    );
    write(
        &dir,
        &[
            ("assets/index.html", "<p>hi</p>\n"),
            ("assets/draft.tmp", "not shipped\n"),
            ("assets/.dockerignore", "*.tmp\n"),
        ],
    );
    let out = run_cmd(docker_cmd().args(["image", "inspect", "golang:1.23"]), RUN_TIMEOUT);
    assert!(!out.ok, "golang:1.23 is in the image store: the test would not show the replacement");
    let mirror = "scratchkit-e2e/mirror-go:env";
    derived_image(
        mirror,
        &dir.join("mirror"),
        &format!("FROM {BUILDER_IMAGE}\nENV SCRATCHKIT_MIRROR=from-the-mirror\n"),
    );

    let image = "scratchkit-e2e/pipeline-named";
    let spec = dir.join("src/scratch.yaml");
    let assets = format!("assets={}", dir.join("assets").display());
    let log = must(buildx().args(["-f", spec.to_str().unwrap(), "--load", "-t", image]).args([
        "--build-context",
        &format!("golang:1.23=docker-image://{mirror}"),
        "--build-context",
        &assets,
        dir.join("src").to_str().unwrap(),
    ]));
    assert!(log.contains("[context assets] load from client"), "{log}");
    assert_eq!(run_image(image).trim(), "hello from the pipeline");
    let files = Exported::new(image);
    // The builder ran on the mirror image, with its Env.
    assert_eq!(files.read("etc/mirror").as_deref(), Some("from-the-mirror"));
    // The named directory minus what its .dockerignore lists (the file itself is sent, as for the main context).
    let srv: Vec<String> = files.paths().into_iter().filter(|p| p.starts_with("srv/")).collect();
    assert_eq!(srv, ["srv/.dockerignore", "srv/index.html"]);

    // Without `--build-context assets=…` the build stops before anything runs, at the copy's line.
    let out = run_cmd(
        buildx().args([
            "-f",
            spec.to_str().unwrap(),
            "--build-context",
            &format!("golang:1.23=docker-image://{mirror}"),
            dir.join("src").to_str().unwrap(),
        ]),
        BUILD_TIMEOUT,
    );
    let log = out.all();
    assert!(!out.ok, "{log}");
    assert!(log.contains("scratch.yaml:8:5") && log.contains("no build context named `assets`"), "{log}");
    let _ = run_cmd(docker_cmd().args(["image", "rm", image, mirror]), RUN_TIMEOUT);
}

/// The JSON file `name` inside an OCI layout tar.
fn oci_blob(tar: &Path, name: &str) -> serde_json::Value {
    let out = run_cmd(Command::new("tar").args(["-xOf", tar.to_str().unwrap(), name]), RUN_TIMEOUT);
    assert!(out.ok, "{name} not in {}: {}", tar.display(), out.all());
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{name}: {e}: {}", out.stdout))
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn annotations_reach_the_exported_manifest() {
    let _e2e = e2e();
    let dir = scratch_dir("annotation");
    let tar = dir.join("image.tar");
    must(buildx().args(["-f", "examples/smallest/scratch.yaml"]).args([
        "--annotation",
        "manifest:org.opencontainers.image.title=scratchkit-annotated",
        "--annotation",
        "org.example.team=infra",
        "--output",
        &format!("type=oci,dest={}", tar.display()),
        "examples/smallest",
    ]));
    let index = oci_blob(&tar, "index.json");
    let digest = index["manifests"][0]["digest"].as_str().unwrap_or_else(|| panic!("{index}"));
    let mut manifest = oci_blob(&tar, &format!("blobs/{}", digest.replace(':', "/")));
    if manifest["manifests"].is_array() {
        // An index (with an attestation manifest): the image manifest is its first entry.
        let inner = manifest["manifests"][0]["digest"].as_str().unwrap().to_string();
        manifest = oci_blob(&tar, &format!("blobs/{}", inner.replace(':', "/")));
    }
    let annotations = &manifest["annotations"];
    assert_eq!(annotations["org.opencontainers.image.title"], "scratchkit-annotated", "{manifest}");
    assert_eq!(annotations["org.example.team"], "infra", "{manifest}");
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn call_outline_lists_args_secrets_and_ssh() {
    let _e2e = e2e();
    let dir = scratch_dir("outline");
    let spec = "args:\n  VERSION: dev\n  GREETING: hello\nbuilder:\n  image: scratchkit-test/go:bookworm\n  run: go build -o /out/app .\n  cache: [/root/.cache/go-build]\n  secrets: [{id: netrc, target: /root/.netrc}]\n  ssh: true\ncopy: [/out/app]\n";
    write(&dir, &[("scratch.yaml", &with_syntax(spec))]);
    let file = dir.join("scratch.yaml");
    let table = must(buildx().args(["--call", "outline", "-f", file.to_str().unwrap(), dir.to_str().unwrap()]));
    let lines: Vec<Vec<&str>> = table.lines().map(|l| l.split_whitespace().collect()).collect();
    for want in [
        &["VERSION", "dev"][..],
        &["GREETING", "hello"],
        &["SECRET", "REQUIRED"],
        &["netrc", "true"],
        &["SSH", "REQUIRED"],
        &["default", "true"],
    ] {
        assert!(lines.iter().any(|l| l == want), "no line {want:?} in:\n{table}");
    }
    let json =
        must(buildx().args(["--call", "outline,format=json", "-f", file.to_str().unwrap(), dir.to_str().unwrap()]));
    let start = json.find('{').unwrap_or_else(|| panic!("no JSON in:\n{json}"));
    let outline: serde_json::Value =
        serde_json::Deserializer::from_str(&json[start..]).into_iter().next().unwrap().unwrap();
    assert_eq!(outline["args"][1]["name"], "GREETING", "{outline}");
    assert_eq!(outline["args"][1]["location"]["ranges"][0]["start"]["line"], 4, "{outline}");
    assert_eq!(outline["secrets"][0]["name"], "netrc", "{outline}");
    assert_eq!(outline["cache"][0]["ID"], "/root/.cache/go-build", "{outline}");
}

/// `scratchkit init` in `dir`, then the command it printed, run there by the shell; returns the image's output.
fn init_build_run(dir: &Path, builder: &str, image: &str) -> String {
    let init = run_cmd(
        Command::new(env!("CARGO_BIN_EXE_scratchkit"))
            .args(["init", "--builder", builder, "--frontend", &frontend_image()])
            .current_dir(dir),
        RUN_TIMEOUT,
    );
    assert!(init.ok, "{}", init.all());
    let command = init.stdout.trim();
    assert_eq!(command, format!("docker buildx build -f scratch.yaml -t {image} --load ."));
    let spec = std::fs::read_to_string(dir.join("scratch.yaml")).unwrap();
    must(Command::new("sh").args(["-c", &format!("{command} --progress plain")]).current_dir(dir));
    let out = run_image(image);
    let _ = run_cmd(docker_cmd().args(["image", "rm", image]), RUN_TIMEOUT);
    eprintln!("{spec}");
    out
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn init_then_build_then_run_a_go_project() {
    let _e2e = e2e();
    let dir = scratch_dir("init-go");
    write(&dir, &[("go.mod", "module example.com/scratchkit-init-go\n\ngo 1.19\n"), ("main.go", GO_MAIN)]);
    assert_eq!(init_build_run(&dir, BUILDER_IMAGE, "scratchkit-init-go").trim(), "hello from the pipeline");
}

/// The Rust builder `scripts/rust-builder-image.sh` makes (the host's toolchain on the builder image).
const RUST_IMAGE: &str = "scratchkit-test/rust:bookworm";

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn init_gives_two_rust_projects_of_one_name_each_its_own_binary() {
    // Both build `twin` in a target directory that is a cache mount shared by every build on the engine:
    // with one directory for both, cargo found the first project's build fresh and the second image
    // shipped the first program.
    let _e2e = e2e();
    let dir = scratch_dir("init-rust-twins");
    // Both written first, so the second's sources are older than the first's build, as with any two
    // checkouts: cargo's mtime check then cannot tell them apart.
    let twins = [("a", "first twin"), ("b", "second twin")];
    for (project, says) in twins {
        let main = format!("fn main() {{ println!(\"{says}\"); }}\n");
        write(
            &dir.join(project),
            &[
                ("Cargo.toml", "[package]\nname = \"twin\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
                ("src/main.rs", &main),
            ],
        );
    }
    for (project, says) in twins {
        assert_eq!(init_build_run(&dir.join(project), RUST_IMAGE, "twin").trim(), says);
    }
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn init_then_build_then_run_a_c_project() {
    let _e2e = e2e();
    let dir = scratch_dir("init-c");
    // The local builder has gcc but not make: add the host's (both are Debian 12).
    let with_make = "scratchkit-e2e/c-builder:make";
    let make_dir = dir.join("builder");
    std::fs::create_dir_all(&make_dir).unwrap();
    std::fs::copy("/usr/bin/make", make_dir.join("make")).expect("make is installed on the host");
    derived_image(with_make, &make_dir, &format!("FROM {BUILDER_IMAGE}\nCOPY make /usr/bin/make\n"));
    let project = dir.join("project");
    write(
        &project,
        &[
            (
                "Makefile",
                "CFLAGS = -O2\nall: scratchkit-init-c\n\nscratchkit-init-c: main.c\n\t$(CC) $(CFLAGS) -o $@ main.c\n\nclean:\n\trm -f scratchkit-init-c\n",
            ),
            ("main.c", "#include <stdio.h>\nint main(void) { puts(\"hello from make\"); return 0; }\n"),
        ],
    );
    assert_eq!(init_build_run(&project, with_make, "scratchkit-init-c").trim(), "hello from make");
    let _ = run_cmd(docker_cmd().args(["image", "rm", with_make]), RUN_TIMEOUT);
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn a_frontend_pushed_to_a_registry_and_pinned_by_digest_builds() {
    let _e2e = e2e();
    let registry = crate::support::REGISTRY;
    let out = run_cmd(
        Command::new("curl").args(["-fsS", "--max-time", "10", &format!("http://{registry}/v2/")]),
        RUN_TIMEOUT,
    );
    assert!(out.ok, "no registry answers on {registry} (run scripts/registry.sh; scripts/test.sh does)\n{}", out.all());
    // As the README says: push, read the digest, pin it.
    let tag = format!("{registry}/scratchkit-e2e/frontend:pinned");
    must(docker_cmd().args(["tag", &frontend_image(), &tag]));
    must(docker_cmd().args(["push", &tag]));
    let digest =
        must(docker_cmd().args(["buildx", "imagetools", "inspect", &tag, "--format", "{{json .Manifest.Digest}}"]));
    let digest = digest.trim().trim_matches('"').to_string();
    assert!(digest.starts_with("sha256:") && digest.len() == 71, "{digest}");
    let _ = run_cmd(docker_cmd().args(["image", "rm", &tag]), RUN_TIMEOUT);

    let dir = scratch_dir("pinned");
    let pinned = format!("{registry}/scratchkit-e2e/frontend@{digest}");
    write(&dir, &[("go.mod", "module example.com/pinned\n\ngo 1.19\n"), ("main.go", GO_MAIN)]);
    write(
        &dir,
        &[("scratch.yaml", &format!("# syntax={pinned}\nbuilder:\n  image: {BUILDER_IMAGE}\n  run: CGO_ENABLED=0 go build -o /out/app .\ncopy: [/out/app]\n"))],
    );
    let image = "scratchkit-e2e/pipeline-pinned";
    // Docker's own `buildx build`, no BUILDKIT_SYNTAX: only the syntax line names the frontend.
    let log = must(crate::support::buildx_dockerfile().args([
        "-f",
        dir.join("scratch.yaml").to_str().unwrap(),
        "--load",
        "-t",
        image,
        dir.to_str().unwrap(),
    ]));
    assert!(log.contains(&digest), "the build did not resolve the pinned frontend:\n{log}");
    assert_eq!(run_image(image).trim(), "hello from the pipeline");
    let _ = run_cmd(docker_cmd().args(["image", "rm", image]), RUN_TIMEOUT);
}
