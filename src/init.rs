//! `scratchkit init`: a first `scratch.yaml` for the project in a directory. It looks at the project files
//! only (`go.mod`, `Cargo.toml`, a C `Makefile`) and writes what a person would: the builder image, a `run`
//! line with the caches that language's tool keeps (mounted across builds), the copy of the binary, and
//! the entrypoint. Knows nothing of BuildKit or of the spec's model: its output is checked like any spec.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

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
}

impl Project {
    pub fn binary(&self) -> &str {
        match self {
            Project::Go { binary, .. } | Project::Rust { binary, .. } | Project::C { binary } => binary,
        }
    }

    pub fn language(&self) -> &'static str {
        match self {
            Project::Go { .. } => "Go",
            Project::Rust { .. } => "Rust",
            Project::C { .. } => "C",
        }
    }

    /// The builder image when `--builder` is not given: the language's official image.
    pub fn default_builder(&self) -> String {
        match self {
            Project::Go { version, .. } => format!("golang:{}", version.as_deref().unwrap_or("1.23")),
            Project::Rust { .. } => "rust:1-bookworm".into(),
            Project::C { .. } => "gcc:14-bookworm".into(),
        }
    }
}

/// Why a directory got no spec.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{0} already exists; pass --force to replace it")]
    Exists(PathBuf),
    #[error("no go.mod, Cargo.toml or C Makefile in {0}: `scratchkit init` writes a spec for Go, Rust and C projects; write scratch.yaml by hand for others (docs/spec.md)")]
    Unknown(PathBuf),
    #[error("{file}: {why}")]
    Unreadable { file: PathBuf, why: String },
}

/// Looks at `dir` for a Go, Rust or C project, in that order.
pub fn detect(dir: &Path) -> Result<Project, InitError> {
    let read = |name: &str| -> Result<Option<String>, InitError> {
        let file = dir.join(name);
        match std::fs::read_to_string(&file) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(InitError::Unreadable { file, why: e.to_string() }),
        }
    };
    if let Some(text) = read("go.mod")? {
        let module = go_module(&text).ok_or_else(|| InitError::Unreadable { file: dir.join("go.mod"), why: "it has no `module` line".into() })?;
        let (binary, package) = go_main(dir, &module);
        return Ok(Project::Go { binary, package, version: go_version(&text) });
    }
    if let Some(text) = read("Cargo.toml")? {
        let binary = cargo_binary(&text).ok_or_else(|| InitError::Unreadable {
            file: dir.join("Cargo.toml"),
            why: "it names no `[package]` or `[[bin]]` (a workspace root?); run `scratchkit init` in the member that builds the program".into(),
        })?;
        return Ok(Project::Rust { binary, locked: dir.join("Cargo.lock").is_file() });
    }
    for name in ["Makefile", "makefile", "GNUmakefile"] {
        if let Some(text) = read(name)? {
            let binary = make_target(&text).ok_or_else(|| InitError::Unreadable {
                file: dir.join(name),
                why: "no rule that builds a program (the first target, or what `all` depends on)".into(),
            })?;
            return Ok(Project::C { binary });
        }
    }
    Err(InitError::Unknown(dir.to_path_buf()))
}

/// `module example.com/x/hello/v2` → `example.com/x/hello/v2`.
fn go_module(text: &str) -> Option<String> {
    text.lines().find_map(|l| l.trim().strip_prefix("module ")).map(|m| m.trim().trim_matches('"').to_string()).filter(|m| !m.is_empty())
}

/// `go 1.22.3` → `1.22` (the image tags are per minor version).
fn go_version(text: &str) -> Option<String> {
    let v = text.lines().find_map(|l| l.trim().strip_prefix("go "))?.trim();
    let mut parts = v.split('.');
    let (major, minor) = (parts.next()?, parts.next()?);
    (major.chars().all(|c| c.is_ascii_digit()) && !minor.is_empty() && minor.chars().all(|c| c.is_ascii_digit())).then(|| format!("{major}.{minor}"))
}

/// The binary's name and the package to build: the module root when it holds `package main`, else the
/// only (or first) directory under `cmd/`.
fn go_main(dir: &Path, module: &str) -> (String, String) {
    let mut parts = module.rsplit('/');
    let last = parts.next().unwrap_or(module);
    // `/v2` is a major version suffix, not the name.
    let is_major = last.len() > 1 && last.starts_with('v') && last[1..].chars().all(|c| c.is_ascii_digit());
    let name = if is_major { parts.next().unwrap_or(last) } else { last };
    let root_is_main = std::fs::read_dir(dir).into_iter().flatten().flatten().any(|e| {
        let path = e.path();
        path.extension().is_some_and(|x| x == "go") && std::fs::read_to_string(&path).is_ok_and(|t| t.lines().any(|l| l.trim() == "package main"))
    });
    if !root_is_main {
        let mut commands: Vec<String> = std::fs::read_dir(dir.join("cmd"))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .collect();
        commands.sort();
        if let Some(first) = commands.into_iter().next() {
            return (safe_name(&first), format!("./cmd/{first}"));
        }
    }
    (safe_name(name), ".".into())
}

/// The value of `name = "…"` in a TOML table of `Cargo.toml`: `[[bin]]` first (it names the program),
/// then `[package]`.
fn cargo_binary(text: &str) -> Option<String> {
    let in_table = |table: &str| {
        let mut inside = false;
        let mut found = None;
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                if found.is_some() {
                    break;
                }
                inside = line == table;
                continue;
            }
            if inside {
                if let Some(v) = line.strip_prefix("name").map(str::trim_start).and_then(|r| r.strip_prefix('=')) {
                    found = Some(v.trim().trim_matches('"').trim_matches('\'').to_string());
                }
            }
        }
        found.filter(|n| !n.is_empty())
    };
    in_table("[[bin]]").or_else(|| in_table("[package]")).map(|n| safe_name(&n))
}

/// The program a Makefile builds: what `all` depends on first, or else the first rule's target that is not
/// special (`.PHONY`), a pattern (`%.o`) or an object file.
fn make_target(text: &str) -> Option<String> {
    let rules: Vec<(String, Vec<String>)> = text
        .lines()
        .filter(|l| !l.starts_with('\t') && !l.trim_start().starts_with('#'))
        .filter_map(|l| {
            let (target, deps) = l.split_once(':')?;
            // `X := v` and `X ::= v` are assignments, not rules.
            if deps.starts_with('=') || deps.starts_with(":=") || target.contains('=') {
                return None;
            }
            Some((target.trim().to_string(), deps.split_whitespace().map(str::to_string).collect()))
        })
        .collect();
    let program = |t: &str| !t.is_empty() && !t.starts_with('.') && !t.contains('%') && !t.contains('$') && !t.ends_with(".o") && !t.contains(' ');
    let not_phony = |t: &str| !["clean", "install", "test", "check", "distclean"].contains(&t);
    if let Some((_, deps)) = rules.iter().find(|(t, _)| t == "all") {
        if let Some(d) = deps.iter().find(|d| program(d) && not_phony(d)) {
            return Some(safe_name(d));
        }
    }
    rules.iter().map(|(t, _)| t.as_str()).find(|t| program(t) && not_phony(t) && *t != "all").map(safe_name)
}

/// A name safe in a path and a shell word: anything but letters, digits, `.`, `_` and `-` becomes `-`.
fn safe_name(name: &str) -> String {
    let base = name.rsplit('/').next().unwrap_or(name);
    let cleaned: String = base.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '-' }).collect();
    let cleaned = cleaned.trim_start_matches(['.', '-']).to_string();
    if cleaned.is_empty() {
        "app".into()
    } else {
        cleaned
    }
}

/// The spec text for `project`.
pub fn render(project: &Project, frontend: &str, builder: &str) -> String {
    let bin = project.binary();
    let mut s = String::new();
    let _ = writeln!(s, "# syntax={frontend}");
    let _ = writeln!(s, "# Written by `scratchkit init` for this {} project; the keys are in docs/spec.md.", project.language());
    let _ = writeln!(s, "builder:");
    let _ = writeln!(s, "  image: {builder}");
    match project {
        Project::Go { package, .. } => {
            // Set, not assumed: the Debian and the official images keep these in different places.
            let _ = writeln!(s, "  env: {{CGO_ENABLED: \"0\", GOCACHE: /root/.cache/go-build, GOMODCACHE: /go/pkg/mod}}");
            let _ = writeln!(s, "  run: go build -trimpath -o {OUT}/{bin} {package}");
            let _ = writeln!(s, "  cache: [/root/.cache/go-build, /go/pkg/mod]");
        }
        Project::Rust { locked, .. } => {
            // The target directory is a cache mount, so the binary is copied out of it.
            let locked = if *locked { " --locked" } else { "" };
            let _ = writeln!(s, "  env: {{CARGO_HOME: /usr/local/cargo, CARGO_TARGET_DIR: /cache/target}}");
            let _ = writeln!(s, "  run: cargo build --release{locked} && mkdir -p {OUT} && cp /cache/target/release/{bin} {OUT}/");
            let _ = writeln!(s, "  cache: [/usr/local/cargo/registry, /usr/local/cargo/git, /cache/target]");
        }
        Project::C { .. } => {
            let _ = writeln!(s, "  run: make {bin} && mkdir -p {OUT} && cp {bin} {OUT}/");
        }
    }
    let _ = writeln!(s, "copy:");
    let _ = writeln!(s, "  - {{from: {OUT}/{bin}, to: /usr/local/bin/{bin}}}");
    let _ = writeln!(s, "image:");
    let _ = writeln!(s, "  entrypoint: [/usr/local/bin/{bin}]");
    s
}

/// What `init` wrote and how to build it.
#[derive(Debug)]
pub struct Written {
    pub path: PathBuf,
    pub project: Project,
    /// The one command that builds the image.
    pub command: String,
}

/// Writes `dir/scratch.yaml` for the project in `dir` (not over an existing file unless `force`).
pub fn init(dir: &Path, frontend: &str, builder: Option<&str>, force: bool) -> Result<Written, InitError> {
    let path = dir.join("scratch.yaml");
    if path.exists() && !force {
        return Err(InitError::Exists(path));
    }
    let project = detect(dir)?;
    let builder = builder.map_or_else(|| project.default_builder(), str::to_string);
    let text = render(&project, frontend, &builder);
    std::fs::write(&path, text).map_err(|e| InitError::Unreadable { file: path.clone(), why: format!("cannot write it: {e}") })?;
    let command = match dir.to_string_lossy() {
        d if d == "." || d.is_empty() => format!("docker buildx build -f scratch.yaml -t {} --load .", project.binary()),
        d => format!("docker buildx build -f {} -t {} --load {}", shell_word(&format!("{d}/scratch.yaml")), project.binary(), shell_word(&d)),
    };
    Ok(Written { path, project, command })
}

/// `text` as one shell word: as is when it is plain, else in single quotes.
fn shell_word(text: &str) -> String {
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c)) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_go_modules() {
        assert_eq!(go_module("module example.com/x/hello\n\ngo 1.22.3\n").as_deref(), Some("example.com/x/hello"));
        assert_eq!(go_version("module m\ngo 1.22.3\n").as_deref(), Some("1.22"));
        assert_eq!(go_version("module m\ngo 1.19\n").as_deref(), Some("1.19"));
        assert_eq!(go_version("module m\n"), None);
        assert_eq!(go_version("module m\ngo banana\n"), None);
    }

    #[test]
    fn reads_cargo_names_bin_first() {
        assert_eq!(cargo_binary("[package]\nname = \"tool\"\nversion = \"0.1.0\"\n").as_deref(), Some("tool"));
        assert_eq!(
            cargo_binary("[package]\nname = \"lib-x\"\n[dependencies]\nname = \"x\"\n[[bin]]\nname = 'cli'\npath = \"src/main.rs\"\n").as_deref(),
            Some("cli")
        );
        assert_eq!(cargo_binary("[workspace]\nmembers = [\"a\"]\n"), None);
    }

    #[test]
    fn reads_the_program_a_makefile_builds() {
        assert_eq!(
            make_target("CC = gcc\nall: hello\n\nhello: hello.o util.o\n\t$(CC) -o $@ $^\n%.o: %.c\n\t$(CC) -c $<\nclean:\n\trm -f hello\n").as_deref(),
            Some("hello")
        );
        assert_eq!(make_target("CFLAGS := -O2\n.PHONY: clean\nserver: main.c\n\tcc -o server main.c\n").as_deref(), Some("server"));
        assert_eq!(make_target("all: $(PROG)\nclean:\n\trm -f x\n"), None);
        assert_eq!(make_target("X ::= y\n"), None);
    }

    #[test]
    fn directories_are_quoted_for_the_shell() {
        assert_eq!(shell_word("src/app"), "src/app");
        assert_eq!(shell_word("my app"), "'my app'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }

    #[test]
    fn names_are_safe_in_paths_and_shell_words() {
        assert_eq!(safe_name("hello"), "hello");
        assert_eq!(safe_name("a b;rm -rf"), "a-b-rm--rf");
        assert_eq!(safe_name(".."), "app");
        assert_eq!(safe_name("x/y"), "y");
    }

    #[test]
    fn renders_each_language_with_its_caches() {
        let go = render(&Project::Go { binary: "hello".into(), package: ".".into(), version: None }, "reg/scratchkit@sha256:ab", "golang:1.23");
        assert!(go.starts_with("# syntax=reg/scratchkit@sha256:ab\n"), "{go}");
        assert!(go.contains("  run: go build -trimpath -o /out/hello .\n") && go.contains("  cache: [/root/.cache/go-build, /go/pkg/mod]\n"), "{go}");
        let rust = render(&Project::Rust { binary: "tool".into(), locked: true }, DEFAULT_FRONTEND, "rust:1-bookworm");
        assert!(rust.contains("cargo build --release --locked && mkdir -p /out && cp /cache/target/release/tool /out/"), "{rust}");
        assert!(rust.contains("  cache: [/usr/local/cargo/registry, /usr/local/cargo/git, /cache/target]\n"), "{rust}");
        let c = render(&Project::C { binary: "hello".into() }, DEFAULT_FRONTEND, "gcc:14-bookworm");
        assert!(c.contains("  run: make hello && mkdir -p /out && cp hello /out/\n") && !c.contains("cache:"), "{c}");
        for text in [go, rust, c] {
            assert!(text.contains("entrypoint: [/usr/local/bin/"), "{text}");
        }
    }

    #[test]
    fn default_builders_follow_the_language() {
        assert_eq!(Project::Go { binary: "a".into(), package: ".".into(), version: Some("1.22".into()) }.default_builder(), "golang:1.22");
        assert_eq!(Project::Rust { binary: "a".into(), locked: false }.default_builder(), "rust:1-bookworm");
        assert_eq!(Project::C { binary: "a".into() }.default_builder(), "gcc:14-bookworm");
    }
}
