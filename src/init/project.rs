//! Reading a project the user may have just cloned: every file is read as a bounded, regular file, and
//! every name that goes into the spec is checked against the rules of the tool that owns it (Go's module
//! path elements, Cargo's package names, a make target) and refused or skipped with a message when it is
//! not one. Nothing here is trusted to be a plain word.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use super::InitError;

/// The largest project file read (`go.mod`, `Cargo.toml`, a `Makefile`, a `.go` file at the root).
/// Real ones are a few KiB; a symlink to `/dev/zero` or a huge file is refused, not read.
pub const MAX_PROJECT_FILE: u64 = 1 << 20;

/// `path`'s text, or `None` when there is nothing at `path`. A FIFO, a device, a directory, a file over
/// [`MAX_PROJECT_FILE`] or one that is not UTF-8 is an error naming the file: none is ever opened for a
/// read that could hang or run on. A symlink to a regular file is read (projects use them).
pub fn read_project_file(path: &Path) -> Result<Option<String>, InitError> {
    let unreadable = |why: String| InitError::Unreadable { file: path.to_path_buf(), why };
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unreadable(e.to_string())),
        Ok(_) => {}
    }
    // Checked before opening: opening a FIFO for reading waits for a writer.
    let meta = std::fs::metadata(path).map_err(|e| unreadable(format!("it cannot be followed: {e}")))?;
    if !meta.is_file() {
        return Err(unreadable(
            "it is not a regular file (a directory, FIFO, socket or device); replace it with the project's own file"
                .into(),
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| unreadable(e.to_string()))?;
    // And again on what was opened, in case the path changed in between.
    if !file.metadata().map_err(|e| unreadable(e.to_string()))?.is_file() {
        return Err(unreadable("it is not a regular file".into()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_PROJECT_FILE + 1).read_to_end(&mut bytes).map_err(|e| unreadable(e.to_string()))?;
    if bytes.len() as u64 > MAX_PROJECT_FILE {
        return Err(unreadable(format!("it is larger than {} KiB, which no project file is", MAX_PROJECT_FILE / 1024)));
    }
    String::from_utf8(bytes).map(Some).map_err(|_| unreadable("it is not UTF-8 text".into()))
}

/// The entries of `dir` that are themselves directories (symlinks are not followed), sorted.
pub fn subdirectories(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    names.sort();
    names
}

/// The regular `.go` files directly in `dir` (symlinks are not followed), sorted.
pub fn go_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "go"))
        .collect();
    files.sort();
    files
}

/// A Go module path element, as `go mod` checks it (golang.org/x/mod `checkElem`): ASCII letters, digits
/// and `-._~`, not empty, not starting or ending with a dot. Also the rule for a package directory under
/// `cmd/` that `go build ./cmd/<name>` can name.
pub fn is_go_path_element(element: &str) -> bool {
    !element.is_empty()
        && !element.starts_with('.')
        && !element.ends_with('.')
        && element.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// A Cargo package or binary name as `cargo new` accepts it: ASCII letters, digits, `-` and `_`, starting
/// with a letter or `_`, at most 64 characters (crates.io's limit).
pub fn is_cargo_name(name: &str) -> bool {
    name.len() <= 64
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A make target that is a program's file name: ASCII letters, digits, `._-`, not starting with `.` or `-`.
pub fn is_program_name(name: &str) -> bool {
    name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        && name.len() <= 255
}

/// `go.mod`'s module path, read as the go command reads it: `//` comments dropped, the path bare,
/// double-quoted or back-quoted, also inside a `module ( … )` block.
pub fn go_module(text: &str) -> Option<String> {
    let mut lines = text.lines().map(strip_go_comment).map(str::trim);
    while let Some(line) = lines.next() {
        let Some(rest) = line.strip_prefix("module") else { continue };
        if !rest.is_empty() && !rest.starts_with([' ', '\t', '(']) {
            continue; // `modulefoo`
        }
        let rest = rest.trim();
        let path = if rest == "(" {
            lines.by_ref().map(str::trim).find(|l| !l.is_empty())?
        } else {
            rest.trim_start_matches('(').trim_end_matches(')').trim()
        };
        return unquote_go(path).filter(|p| !p.is_empty());
    }
    None
}

/// `go 1.22.3` → `1.22` (the image tags are per minor version).
pub fn go_version(text: &str) -> Option<String> {
    let v = text.lines().map(strip_go_comment).find_map(|l| l.trim().strip_prefix("go "))?.trim();
    let mut parts = v.split('.');
    let (major, minor) = (parts.next()?, parts.next()?);
    let digits = |s: &str| !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit());
    (digits(major) && digits(minor)).then(|| format!("{major}.{minor}"))
}

/// Whether a Go file's package clause is `package main` (comments and blank lines before it skipped).
pub fn is_main_package(text: &str) -> bool {
    let mut in_block = false;
    for line in text.lines() {
        let mut line = line.trim();
        if in_block {
            match line.find("*/") {
                Some(end) => {
                    in_block = false;
                    line = line[end + 2..].trim();
                }
                None => continue,
            }
        }
        if let Some(start) = line.strip_prefix("/*") {
            if !start.contains("*/") {
                in_block = true;
                continue;
            }
        }
        let code = strip_go_comment(line).trim();
        if code.is_empty() || code.starts_with("/*") {
            continue;
        }
        let mut words = code.split_whitespace();
        return words.next() == Some("package") && words.next() == Some("main");
    }
    false
}

fn strip_go_comment(line: &str) -> &str {
    // A `//` inside a quoted module path is not a comment; module paths hold no quotes or slashes-pairs
    // that the go command accepts anyway, so the first `//` outside quotes ends the line.
    let mut quote = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '`') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '/') if line[i..].starts_with("//") => return &line[..i],
            _ => {}
        }
    }
    line
}

fn unquote_go(word: &str) -> Option<String> {
    if let Some(inner) = word.strip_prefix('"').and_then(|w| w.strip_suffix('"')) {
        // An escape in a module path is never valid; refuse rather than guess.
        return (!inner.contains('\\')).then(|| inner.to_string());
    }
    if let Some(inner) = word.strip_prefix('`').and_then(|w| w.strip_suffix('`')) {
        return Some(inner.to_string());
    }
    (!word.contains(char::is_whitespace)).then(|| word.to_string())
}

/// The binary `cargo build` makes, read with a TOML parser as cargo reads it: the first `[[bin]]`'s
/// name, else `[package]`'s. `Err` carries why the file cannot be used.
pub fn cargo_binary(text: &str) -> Result<Option<String>, String> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| format!("it is not valid TOML: {}", e.message()))?;
    let name_in = |table: Option<&toml::Value>| {
        table.and_then(|t| t.get("name")).and_then(toml::Value::as_str).map(str::to_string)
    };
    let bin = doc.get("bin").and_then(toml::Value::as_array).and_then(|bins| bins.first());
    Ok(name_in(bin).or_else(|| name_in(doc.get("package"))))
}

/// The program a Makefile builds: what `all` depends on first, or else the first rule's target that is not
/// special (`.PHONY`), a pattern (`%.o`), a variable or an object file. Targets that are not plain
/// program names are passed over.
pub fn make_target(text: &str) -> Option<String> {
    let rules: Vec<(String, Vec<String>)> = text
        .lines()
        .filter(|l| !l.starts_with('\t') && !l.trim_start().starts_with('#'))
        .filter_map(|l| {
            let (target, deps) = l.split_once(':')?;
            // `X := v` and `X ::= v` are assignments, not rules.
            if deps.starts_with('=') || deps.starts_with(":=") || target.contains('=') {
                return None;
            }
            let deps = deps.split('#').next().unwrap_or_default();
            Some((target.trim().to_string(), deps.split_whitespace().map(str::to_string).collect()))
        })
        .collect();
    let program = |t: &str| {
        is_program_name(t)
            && !t.ends_with(".o")
            && !["all", "clean", "install", "test", "check", "distclean"].contains(&t)
    };
    if let Some((_, deps)) = rules.iter().find(|(t, _)| t == "all") {
        if let Some(d) = deps.iter().find(|d| program(d)) {
            return Some(d.clone());
        }
    }
    rules.iter().map(|(t, _)| t.as_str()).find(|t| program(t)).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_mod_is_read_as_the_go_command_reads_it() {
        assert_eq!(go_module("module example.com/x/hello\n\ngo 1.22.3\n").as_deref(), Some("example.com/x/hello"));
        assert_eq!(go_module("module example.com/hello // the service\n").as_deref(), Some("example.com/hello"));
        assert_eq!(go_module("// module wrong\nmodule \"example.com/q\"\n").as_deref(), Some("example.com/q"));
        assert_eq!(go_module("module `example.com/raw`\n").as_deref(), Some("example.com/raw"));
        assert_eq!(go_module("module (\n\texample.com/block\n)\n").as_deref(), Some("example.com/block"));
        assert_eq!(go_module("modulex y\n"), None);
        assert_eq!(go_module("module \"a\\nb\"\n"), None);
        assert_eq!(go_module("module two words\n"), None);
        assert_eq!(go_version("module m\ngo 1.22.3 // toolchain\n").as_deref(), Some("1.22"));
        assert_eq!(go_version("module m\ngo 1.19\n").as_deref(), Some("1.19"));
        assert_eq!(go_version("module m\n"), None);
        assert_eq!(go_version("module m\ngo banana\n"), None);
    }

    #[test]
    fn package_main_is_found_past_comments() {
        assert!(is_main_package("// Copyright\n/* a\n block */\npackage main // the program\n"));
        assert!(is_main_package("package main\n"));
        assert!(!is_main_package("package mainly\n"));
        assert!(!is_main_package("// package main\npackage lib\n"));
    }

    #[test]
    fn cargo_names_are_read_with_a_toml_parser_bin_first() {
        assert_eq!(
            cargo_binary("[package]\nname = \"tool\" # the CLI\nversion = \"0.1.0\"\n").unwrap().as_deref(),
            Some("tool")
        );
        assert_eq!(
            cargo_binary("[package]\nname = \"lib-x\"\n[dependencies]\nname = \"x\"\n[[bin]]\nname = 'cli'\npath = \"src/main.rs\"\n").unwrap().as_deref(),
            Some("cli")
        );
        assert_eq!(cargo_binary("[workspace]\nmembers = [\"a\"]\n").unwrap(), None);
        assert!(cargo_binary("[package\nname = \"x\"\n").unwrap_err().contains("not valid TOML"));
    }

    #[test]
    fn names_follow_their_tools_rules() {
        assert!(is_go_path_element("server") && is_go_path_element("my-svc_2.v~x"));
        for bad in ["", ".hidden", "end.", "0;id>&2;echo\n  network: host", "a b", "ü", "a/b"] {
            assert!(!is_go_path_element(bad), "{bad:?}");
        }
        assert!(is_cargo_name("tool") && is_cargo_name("_x-y_1"));
        for bad in ["", "1tool", "my tool", "a;b", "x\n", &"a".repeat(65)] {
            assert!(!is_cargo_name(bad), "{bad:?}");
        }
        assert!(is_program_name("hello") && is_program_name("a.out") && is_program_name("_x"));
        for bad in ["", "-rf", ".x", "$(PROG)", "a b", "x;y"] {
            assert!(!is_program_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn reads_the_program_a_makefile_builds() {
        assert_eq!(
            make_target("CC = gcc\nall: hello\n\nhello: hello.o util.o\n\t$(CC) -o $@ $^\n%.o: %.c\n\t$(CC) -c $<\nclean:\n\trm -f hello\n").as_deref(),
            Some("hello")
        );
        assert_eq!(
            make_target("CFLAGS := -O2\n.PHONY: clean\nserver: main.c\n\tcc -o server main.c\n").as_deref(),
            Some("server")
        );
        assert_eq!(make_target("all: $(PROG)\nclean:\n\trm -f x\n"), None);
        assert_eq!(make_target("X ::= y\n"), None);
        assert_eq!(make_target("all: x;rm # a\nx;rm: a.c\nok: b.c\n").as_deref(), Some("ok"));
    }

    #[test]
    fn project_files_are_bounded_regular_files() {
        let dir = std::env::temp_dir().join(format!("scratchkit-init-read-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        assert!(read_project_file(&dir.join("absent")).unwrap().is_none());
        std::fs::write(dir.join("go.mod"), "module m\n").unwrap();
        assert_eq!(read_project_file(&dir.join("go.mod")).unwrap().as_deref(), Some("module m\n"));
        std::os::unix::fs::symlink("/dev/zero", dir.join("zero")).unwrap();
        let e = read_project_file(&dir.join("zero")).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
        std::fs::write(dir.join("big"), vec![b'a'; MAX_PROJECT_FILE as usize + 1]).unwrap();
        let e = read_project_file(&dir.join("big")).unwrap_err().to_string();
        assert!(e.contains("larger than 1024 KiB"), "{e}");
        std::fs::write(dir.join("exact"), vec![b'a'; MAX_PROJECT_FILE as usize]).unwrap();
        assert!(read_project_file(&dir.join("exact")).unwrap().is_some());
        std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("dangling")).unwrap();
        assert!(read_project_file(&dir.join("dangling")).unwrap_err().to_string().contains("cannot be followed"));
        std::fs::create_dir(dir.join("cmd")).unwrap();
        assert!(read_project_file(&dir.join("cmd")).unwrap_err().to_string().contains("not a regular file"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
