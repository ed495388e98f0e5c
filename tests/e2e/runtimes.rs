//! End to end on real BuildKit: runtimes that are more than one binary, from Debian's packages as they are
//! (`scripts/runtime-image.sh` makes their builder image): python3 with its stdlib and a C extension, node,
//! a jlink runtime and Debian's JDK directory. Each image is built from its example and run as its user.
//!
//! Ignored by plain `cargo test` (they need Docker); scripts/test.sh runs them.

use crate::support::{buildx, docker_cmd, e2e, run_cmd, run_container, run_in_container, BUILD_TIMEOUT, RUN_TIMEOUT};

/// The builder image of the runtime examples.
const RUNTIMES: &str = "scratchkit-test/runtimes:bookworm";

fn build_example(name: &str) -> String {
    let have = run_cmd(docker_cmd().args(["image", "inspect", "--format", "{{.Id}}", RUNTIMES]), RUN_TIMEOUT);
    assert!(have.ok, "image {RUNTIMES} is missing; run scripts/runtime-image.sh (scripts/test.sh does)");
    let image = format!("scratchkit-e2e/runtime-{name}");
    let out = run_cmd(
        buildx().args([
            "--load",
            "-t",
            &image,
            "-f",
            &format!("examples/{name}/scratch.yaml"),
            &format!("examples/{name}"),
        ]),
        BUILD_TIMEOUT,
    );
    assert!(out.ok, "building examples/{name} failed\n{}", out.all());
    let size = run_cmd(docker_cmd().args(["image", "inspect", "--format", "{{.Size}}", &image]), RUN_TIMEOUT);
    eprintln!("e2e: examples/{name}: {} bytes", size.stdout.trim());
    image
}

/// Runs the image as its user, with no network; its output, or a failure with it.
fn run(image: &str) -> String {
    let out = run_container(&["--network", "none"], image);
    assert!(out.ok, "running {image} failed\n{}", out.all());
    out.stdout
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn python_runs_with_tls_sqlite_and_a_c_extension() {
    let _e2e = e2e();
    let image = build_example("python");
    let out = run(&image);
    assert!(out.contains("ssl: OpenSSL CA certificates: True\n"), "{out}");
    assert!(out.contains("sqlite3: True\n") && out.contains("yaml C loader: True\n"), "{out}");
}

/// Every stdlib module the builder's python imports, the image's imports too (the seed imported 37 fewer).
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn python_imports_every_stdlib_module_the_builder_imports() {
    let _e2e = e2e();
    let image = build_example("python");
    let script = "import importlib, sys\n\
                  for name in sorted(sys.stdlib_module_names):\n    \
                      try:\n        importlib.import_module(name)\n    \
                      except BaseException as e:\n        print('FAIL', name)\n";
    let failing = |out: crate::support::Out| -> Vec<String> {
        assert!(out.ok, "{}", out.all());
        // Importing `this` prints the Zen of Python: only the marked lines count.
        out.stdout.lines().filter_map(|l| l.strip_prefix("FAIL ")).map(str::to_string).collect()
    };
    let in_builder = failing(run_in_container(&["--network", "none"], RUNTIMES, &["python3.11", "-c", script]));
    let in_image = failing(run_in_container(
        &["--network", "none", "--entrypoint", "/usr/bin/python3.11"],
        &image,
        &["-c", script],
    ));
    let lost: Vec<&String> = in_image.iter().filter(|m| !in_builder.contains(m)).collect();
    assert!(
        lost.is_empty(),
        "modules that import in the builder and not in the image: {lost:?}\n(builder fails {in_builder:?})"
    );
    assert!(in_builder.len() < 20, "the builder itself fails {in_builder:?}");
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn node_runs_with_crypto_zlib_and_intl_time_zones() {
    let _e2e = e2e();
    let out = run(&build_example("node"));
    assert_eq!(out, "crypto: true\nzlib: true\nIntl: 14\n", "{out}");
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn a_jlink_runtime_runs_with_tls_and_time_zones() {
    let _e2e = e2e();
    let out = run(&build_example("java-jlink"));
    assert!(out.starts_with("java: 17.") && out.contains("\ntls: true\nzone: true\n"), "{out}");
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn debians_jdk_directory_runs_as_it_is() {
    let _e2e = e2e();
    let out = run(&build_example("java-jdk"));
    assert!(out.starts_with("java: 17.") && out.contains("\ntls: true\nzone: true\n"), "{out}");
}

/// `scratchkit init` on a project the test writes, with the runtimes builder (`--builder`: plain Debian
/// would install the interpreter, which needs the network), built and run as the image's user.
fn init_and_build(name: &str, files: &[(&str, &str)]) -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-init").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    let init = run_cmd(
        std::process::Command::new(env!("CARGO_BIN_EXE_scratchkit")).args(["init", "--builder", RUNTIMES]).arg(&dir),
        RUN_TIMEOUT,
    );
    assert!(init.ok, "init {name}:\n{}", init.all());
    let image = format!("scratchkit-e2e/init-{name}");
    let spec = dir.join("scratch.yaml");
    let out = run_cmd(buildx().args(["--load", "-t", &image, "-f"]).arg(&spec).arg(&dir), BUILD_TIMEOUT);
    assert!(out.ok, "building {name} failed\n{}\n{}", std::fs::read_to_string(&spec).unwrap_or_default(), out.all());
    image
}

/// Old main: `no go.mod, Cargo.toml or C Makefile`. Now the `[project.scripts]` function runs from the
/// `src/` layout, with the stdlib's C modules and a dependency installed beside the project.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn init_builds_a_python_project_that_runs_as_its_user() {
    let _e2e = e2e();
    let cli = "import os, ssl, sqlite3, greet\n\
               def main():\n    \
                   print(greet.hello(), os.getuid(), ssl.OPENSSL_VERSION.split()[0], sqlite3.connect(':memory:').execute('select 41+1').fetchone()[0])\n    \
                   return 0\n";
    let image = init_and_build(
        "python",
        &[
            (
                "pyproject.toml",
                "[project]\nname = \"tool\"\ndependencies = [\"greet\"]\n[project.scripts]\ntool = \"tool.cli:main\"\n",
            ),
            ("src/tool/__init__.py", ""),
            ("src/tool/cli.py", cli),
            ("site-packages/greet.py", "def hello():\n    return 'hello from site-packages'\n"),
        ],
    );
    assert_eq!(run(&image), "hello from site-packages 65532 OpenSSL 42\n");
}

/// Old main: `no go.mod, Cargo.toml or C Makefile`. Now `main` runs, with a module from `node_modules/`.
#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn init_builds_a_node_project_that_runs_as_its_user() {
    let _e2e = e2e();
    let server = "const greet = require('greet');\nconst crypto = require('crypto');\n\
                  console.log(greet(), process.getuid(), crypto.createHash('sha256').update('x').digest('hex').length);\n";
    let image = init_and_build(
        "node",
        &[
            (
                "package.json",
                "{\"name\": \"web\", \"main\": \"lib/server.js\", \"dependencies\": {\"greet\": \"1.0.0\"}}",
            ),
            ("lib/server.js", server),
            ("node_modules/greet/package.json", "{\"name\": \"greet\", \"main\": \"index.js\"}"),
            ("node_modules/greet/index.js", "module.exports = () => 'hello from node_modules';\n"),
        ],
    );
    assert_eq!(run(&image), "hello from node_modules 65532 64\n");
}
