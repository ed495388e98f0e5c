//! `scratchkit init`: a first `scratch.yaml` for the project in a directory. It looks at the project files
//! only (`go.mod`, `Cargo.toml`, a C `Makefile`) and writes what a person would: the builder image, a `run`
//! line with the caches that language's tool keeps (mounted across builds), the copy of the binary, and
//! the entrypoint. Knows nothing of BuildKit or of the spec's model: its output is checked like any spec.

pub mod emit;
mod project;
mod runtime_project;
mod runtime_spec;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::reference;
pub use emit::image_name;
use emit::{shell_word, yaml_scalar};
pub use project::MAX_PROJECT_FILE;
use project::{
    cargo_binary, go_files, go_module, go_version, is_cargo_name, is_go_path_element, is_main_package, make_target,
    read_project_file, subdirectories,
};
pub use runtime_project::{Node, PyEntry, Python};

/// The frontend image `# syntax=` names unless `--frontend` says otherwise: the tag
/// `scripts/frontend-image.sh` builds (publish your own and pin it by digest; see the README).
pub const DEFAULT_FRONTEND: &str = "scratchkit:dev";
/// Where every generated build writes its binary in the builder.
const OUT: &str = "/out";

/// What kind of project a directory holds, and what its binary is called.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Project {
    /// `go.mod`: the module's last path element, the package to build (`.` or `./cmd/<name>`), and the
    /// Go version the module asks for (`go 1.22` → `1.22`), if any.
    Go { binary: String, package: String, version: Option<String> },
    /// `Cargo.toml` with a `[package]` name (or its first `[[bin]]` name); `locked` when `Cargo.lock` exists.
    Rust { binary: String, locked: bool },
    /// A `Makefile` next to `.c` files: the program its first rule (or `all`) builds.
    C { binary: String },
    /// `pyproject.toml` or `requirements.txt`: run by Debian's python3.
    Python(Python),
    /// `package.json`: run by Debian's node.
    Node(Node),
}

impl Project {
    pub fn binary(&self) -> &str {
        match self {
            Project::Go { binary, .. } | Project::Rust { binary, .. } | Project::C { binary } => binary,
            Project::Python(Python { name, .. }) | Project::Node(Node { name, .. }) => name,
        }
    }

    pub fn language(&self) -> &'static str {
        match self {
            Project::Go { .. } => "Go",
            Project::Rust { .. } => "Rust",
            Project::C { .. } => "C",
            Project::Python(_) => "Python",
            Project::Node(_) => "Node",
        }
    }

    /// The builder image when `--builder` is not given: the language's official image.
    pub fn default_builder(&self) -> String {
        match self {
            Project::Go { version, .. } => format!("golang:{}", version.as_deref().unwrap_or("1.23")),
            Project::Rust { .. } => "rust:1-bookworm".into(),
            Project::C { .. } => "gcc:14-bookworm".into(),
            Project::Python(_) | Project::Node(_) => runtime_spec::DEBIAN.into(),
        }
    }
}

/// Why a directory got no spec.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{0} already exists; pass --force to replace it")]
    Exists(PathBuf),
    #[error(
        "no go.mod, Cargo.toml, C Makefile, pyproject.toml, requirements.txt or package.json in {0}: `scratchkit init` writes a spec for Go, Rust, C, Python and Node projects; write scratch.yaml by hand for others (docs/spec.md)"
    )]
    Unknown(PathBuf),
    #[error("{file}: {why}")]
    Unreadable { file: PathBuf, why: String },
    #[error("{flag} `{value}` is not an image reference: {why}")]
    BadImage { flag: &'static str, value: String, why: String },
}

/// A project found in a directory, with what was passed over on the way (a `cmd/` directory whose name no
/// Go package can have, say), for the user to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detected {
    pub project: Project,
    pub notes: Vec<String>,
}

/// Looks at `dir` for a Go, Rust, C, Python or Node project, in that order.
pub fn detect(dir: &Path) -> Result<Detected, InitError> {
    if let Some(text) = read_project_file(&dir.join("go.mod"))? {
        return detect_go(dir, &text);
    }
    if let Some(text) = read_project_file(&dir.join("Cargo.toml"))? {
        let file = dir.join("Cargo.toml");
        let name = cargo_binary(&text).map_err(|why| InitError::Unreadable { file: file.clone(), why })?.ok_or_else(|| InitError::Unreadable {
            file: file.clone(),
            why: "it names no `[package]` or `[[bin]]` (a workspace root?); run `scratchkit init` in the member that builds the program".into(),
        })?;
        if !is_cargo_name(&name) {
            let why = format!("the binary name {name:?} is not one cargo accepts (ASCII letters, digits, `-` and `_`, starting with a letter)");
            return Err(InitError::Unreadable { file, why });
        }
        let locked = std::fs::symlink_metadata(dir.join("Cargo.lock")).is_ok_and(|m| m.is_file());
        return Ok(Detected { project: Project::Rust { binary: name, locked }, notes: Vec::new() });
    }
    for name in ["Makefile", "makefile", "GNUmakefile"] {
        if let Some(text) = read_project_file(&dir.join(name))? {
            let binary = make_target(&text).ok_or_else(|| InitError::Unreadable {
                file: dir.join(name),
                why: "no rule that builds a program (the first target, or what `all` depends on, named with letters, digits and `._-`)".into(),
            })?;
            return Ok(Detected { project: Project::C { binary }, notes: Vec::new() });
        }
    }
    if let Some(python) = runtime_project::detect_python(dir)? {
        let notes = (python.deps && !python.site).then(|| {
            "the project lists dependencies: install them into site-packages/ before the build (the spec says how)"
                .to_string()
        });
        return Ok(Detected { project: Project::Python(python), notes: notes.into_iter().collect() });
    }
    if let Some(node) = runtime_project::detect_node(dir)? {
        let notes = (node.deps && !node.modules)
            .then(|| "package.json lists dependencies and there is no node_modules/: run `npm ci --omit=dev` before the build".to_string());
        return Ok(Detected { project: Project::Node(node), notes: notes.into_iter().collect() });
    }
    Err(InitError::Unknown(dir.to_path_buf()))
}

/// A Go module: the binary is the module's last element (or the directory under `cmd/`), the package the
/// module root when it holds `package main`, else the first directory under `cmd/` that a Go package can
/// be named after.
fn detect_go(dir: &Path, text: &str) -> Result<Detected, InitError> {
    let file = dir.join("go.mod");
    let module = go_module(text)
        .ok_or_else(|| InitError::Unreadable { file: file.clone(), why: "it has no `module` line".into() })?;
    if !module.split('/').all(is_go_path_element) {
        let why = format!(
            "the module path {module:?} is not a Go module path (elements of ASCII letters, digits and `-._~`)"
        );
        return Err(InitError::Unreadable { file, why });
    }
    let version = go_version(text);
    let mut elements = module.rsplit('/');
    let last = elements.next().unwrap_or(&module);
    // `/v2` is a major version suffix, not the name.
    let is_major = last.len() > 1 && last.starts_with('v') && last[1..].bytes().all(|b| b.is_ascii_digit());
    let name = if is_major { elements.next().unwrap_or(last) } else { last }.to_string();
    let root_is_main = go_files(dir).iter().any(|f| read_head(f).is_some_and(|t| is_main_package(&t)));
    let mut notes = Vec::new();
    if !root_is_main {
        let (valid, invalid): (Vec<String>, Vec<String>) =
            subdirectories(&dir.join("cmd")).into_iter().partition(|n| is_go_path_element(n));
        for n in invalid {
            notes.push(format!(
                "passed over cmd/{n:?}: no Go package can have that name (ASCII letters, digits and `-._~`)"
            ));
        }
        if let Some(first) = valid.into_iter().next() {
            let package = format!("./cmd/{first}");
            return Ok(Detected { project: Project::Go { binary: first, package, version }, notes });
        }
    }
    Ok(Detected { project: Project::Go { binary: name, package: ".".into(), version }, notes })
}

/// The start of a `.go` file, where its package clause is: generated files can be megabytes long.
fn read_head(path: &Path) -> Option<String> {
    use std::io::Read as _;
    let mut head = Vec::new();
    std::fs::File::open(path).ok()?.take(64 * 1024).read_to_end(&mut head).ok()?;
    Some(String::from_utf8_lossy(&head).into_owned())
}

/// What the spec names besides the project: the frontend, the builder image, and a key that makes the
/// caches that must not be shared between projects (cargo's target directory) this project's own.
#[derive(Clone, Debug)]
pub struct Choices<'a> {
    pub frontend: &'a str,
    pub builder: &'a str,
    pub project_key: &'a str,
}

/// The spec text for `project`. Every value from the project is a YAML scalar from [`yaml_scalar`] and,
/// inside `run`, a shell word from [`shell_word`].
pub fn render(project: &Project, choices: &Choices) -> String {
    match project {
        Project::Python(p) => return runtime_spec::render_python(p, choices),
        Project::Node(p) => return runtime_spec::render_node(p, choices),
        _ => {}
    }
    let bin = project.binary();
    let out_bin = format!("{OUT}/{bin}");
    let image_bin = format!("/usr/local/bin/{bin}");
    let mut s = String::new();
    // A comment line cannot be escaped: the frontend reference was checked to hold no space or newline.
    let _ = writeln!(s, "# syntax={}", choices.frontend);
    let _ = writeln!(
        s,
        "# Written by `scratchkit init` for this {} project; the keys are in docs/spec.md.",
        project.language()
    );
    let _ = writeln!(s, "builder:");
    let _ = writeln!(s, "  image: {}", yaml_scalar(choices.builder));
    let run = match project {
        Project::Go { package, .. } => {
            // Set, not assumed: the Debian and the official images keep these in different places.
            let _ =
                writeln!(s, "  env: {{CGO_ENABLED: \"0\", GOCACHE: /root/.cache/go-build, GOMODCACHE: /go/pkg/mod}}");
            let _ = writeln!(s, "  cache: [/root/.cache/go-build, /go/pkg/mod]");
            format!("go build -trimpath -o {} {}", shell_word(&out_bin), shell_word(package))
        }
        Project::Rust { locked, .. } => {
            // The target directory is a cache mount, so the binary is copied out of it. Its directory in the
            // cache is this project's: two projects with one package name must never see each other's build.
            let target = format!("/cache/target/{bin}-{}", choices.project_key);
            let locked = if *locked { " --locked" } else { "" };
            let _ = writeln!(s, "  env: {{CARGO_HOME: /usr/local/cargo, CARGO_TARGET_DIR: {}}}", yaml_scalar(&target));
            let _ = writeln!(s, "  cache: [/usr/local/cargo/registry, /usr/local/cargo/git, /cache/target]");
            let built = format!("{target}/release/{bin}");
            format!("cargo build --release{locked} && mkdir -p {OUT} && cp {} {OUT}/", shell_word(&built))
        }
        Project::C { .. } => format!("make {} && mkdir -p {OUT} && cp {} {OUT}/", shell_word(bin), shell_word(bin)),
        // Rendered by `runtime_spec`, above.
        Project::Python(_) | Project::Node(_) => String::new(),
    };
    let _ = writeln!(s, "  run: {}", yaml_scalar(&run));
    let _ = writeln!(s, "copy:");
    let _ = writeln!(s, "  - {{from: {}, to: {}}}", yaml_scalar(&out_bin), yaml_scalar(&image_bin));
    let _ = writeln!(s, "image:");
    let _ = writeln!(s, "  entrypoint: [{}]", yaml_scalar(&image_bin));
    s
}

/// What `init` wrote and how to build it.
#[derive(Debug)]
pub struct Written {
    pub path: PathBuf,
    pub project: Project,
    /// What was passed over while looking at the project, for the user to read.
    pub notes: Vec<String>,
    /// The one command that builds the image.
    pub command: String,
}

/// Writes `dir/scratch.yaml` for the project in `dir` (not over an existing file unless `force`).
pub fn init(dir: &Path, frontend: &str, builder: Option<&str>, force: bool) -> Result<Written, InitError> {
    let path = dir.join("scratch.yaml");
    // A symlink counts as existing, dangling or not: it is never followed (see `write_spec`).
    if std::fs::symlink_metadata(&path).is_ok() && !force {
        return Err(InitError::Exists(path));
    }
    let image = |flag, value: &str| {
        reference::check(value).map_err(|why| InitError::BadImage {
            flag,
            value: value.escape_debug().to_string(),
            why,
        })
    };
    image("--frontend", frontend)?;
    if let Some(builder) = builder {
        image("--builder", builder)?;
    }
    let Detected { project, notes } = detect(dir)?;
    let builder = builder.map_or_else(|| project.default_builder(), str::to_string);
    let key = project_key(dir);
    let text = render(&project, &Choices { frontend, builder: &builder, project_key: &key });
    write_spec(&path, &text, force)?;
    let tag = image_name(project.binary());
    let command = match dir.to_string_lossy() {
        d if d == "." || d.is_empty() => format!("docker buildx build -f scratch.yaml -t {tag} --load ."),
        d => format!(
            "docker buildx build -f {} -t {tag} --load {}",
            shell_word(&format!("{d}/scratch.yaml")),
            shell_word(&d)
        ),
    };
    Ok(Written { path, project, notes, command })
}

/// Eight hex digits unique to this project and this run of `init`: the spec keeps them, so the project's
/// builds share its cache across runs and with nobody else.
fn project_key(dir: &Path) -> String {
    use sha2::{Digest as _, Sha256};
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let seed = format!("{}\0{}\0{}\0{call}", absolute.display(), now.as_nanos(), std::process::id());
    hex::encode(&Sha256::digest(seed.as_bytes())[..4])
}

/// Writes the spec without following a symlink at `path`: the text goes to a new file beside it (created
/// exclusively, so nothing already there is opened), which then takes the name. Without `force` the name is
/// taken only if it is free, atomically (a hard link fails on any existing entry, a dangling symlink too).
fn write_spec(path: &Path, text: &str, force: bool) -> Result<(), InitError> {
    use std::io::Write as _;
    let fail =
        |e: std::io::Error| InitError::Unreadable { file: path.to_path_buf(), why: format!("cannot write it: {e}") };
    let dir = path.parent().unwrap_or(Path::new("."));
    let temp = dir.join(format!(".scratch.yaml.{}.tmp", std::process::id()));
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&temp).map_err(fail)?;
    let written = file.write_all(text.as_bytes()).and_then(|()| file.sync_all());
    drop(file);
    let placed = written.and_then(|()| {
        if force {
            if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
                return Err(std::io::Error::other("it is a directory"));
            }
            std::fs::rename(&temp, path)
        } else {
            std::fs::hard_link(&temp, path)
        }
    });
    let _ = std::fs::remove_file(&temp);
    match placed {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(InitError::Exists(path.to_path_buf())),
        other => other.map_err(fail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices<'a>(frontend: &'a str, builder: &'a str) -> Choices<'a> {
        Choices { frontend, builder, project_key: "0123abcd" }
    }

    #[test]
    fn renders_each_language_with_its_caches() {
        let go = render(
            &Project::Go { binary: "hello".into(), package: ".".into(), version: None },
            &choices("reg/scratchkit@sha256:ab", "golang:1.23"),
        );
        assert!(go.starts_with("# syntax=reg/scratchkit@sha256:ab\n"), "{go}");
        assert!(
            go.contains("  run: go build -trimpath -o /out/hello .\n")
                && go.contains("  cache: [/root/.cache/go-build, /go/pkg/mod]\n"),
            "{go}"
        );
        let rust = render(
            &Project::Rust { binary: "tool".into(), locked: true },
            &choices(DEFAULT_FRONTEND, "rust:1-bookworm"),
        );
        assert!(rust.contains("CARGO_TARGET_DIR: /cache/target/tool-0123abcd}"), "{rust}");
        assert!(
            rust.contains(
                "cargo build --release --locked && mkdir -p /out && cp /cache/target/tool-0123abcd/release/tool /out/"
            ),
            "{rust}"
        );
        assert!(rust.contains("  cache: [/usr/local/cargo/registry, /usr/local/cargo/git, /cache/target]\n"), "{rust}");
        let c = render(&Project::C { binary: "hello".into() }, &choices(DEFAULT_FRONTEND, "gcc:14-bookworm"));
        assert!(c.contains("  run: make hello && mkdir -p /out && cp hello /out/\n") && !c.contains("cache:"), "{c}");
        for text in [go, rust, c] {
            assert!(text.contains("entrypoint: [/usr/local/bin/"), "{text}");
        }
    }

    #[test]
    fn default_builders_follow_the_language() {
        assert_eq!(
            Project::Go { binary: "a".into(), package: ".".into(), version: Some("1.22".into()) }.default_builder(),
            "golang:1.22"
        );
        assert_eq!(Project::Rust { binary: "a".into(), locked: false }.default_builder(), "rust:1-bookworm");
        assert_eq!(Project::C { binary: "a".into() }.default_builder(), "gcc:14-bookworm");
    }

    #[test]
    fn project_keys_differ_between_projects_and_runs() {
        let (a, b) = (project_key(Path::new("/p/one")), project_key(Path::new("/p/two")));
        assert_ne!(a, b);
        assert_ne!(project_key(Path::new("/p/one")), project_key(Path::new("/p/one")));
        assert!(a.len() == 8 && a.bytes().all(|c| c.is_ascii_hexdigit()), "{a}");
    }
}
