//! `scratchkit init` on generated project trees with hostile names: whatever the repository holds, the spec
//! it writes (if any) loads, checks without warnings, and says only what init means to say: one build
//! command, one copy of `/out/<binary>` as the entrypoint, no network or SSH switch, no other keys.
//! (The fuzz target `fuzz/fuzz_targets/init_project.rs` does the same from raw bytes.)

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use scratchkit::init::{detect, render, Choices, Node, Project, PyEntry, Python};
use scratchkit::plan::{Network, PlanInputs, Source};

/// Names from an alphabet of what breaks YAML, shells and paths, and plain letters.
fn name() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "a",
        "Tool",
        "x_1",
        "-",
        ".",
        "~",
        "v2",
        ":",
        ": ",
        "#",
        " #",
        "\n",
        "\n  network: host",
        "'",
        "\"",
        ";",
        "$(id)",
        "`id`",
        "{",
        "[",
        ",",
        "&",
        "*",
        "!",
        "|",
        ">",
        "%",
        "@",
        " ",
        "\t",
        "\\",
        "é",
        "\u{202e}",
        "..",
        "yes",
        "null",
        "1.5",
        "0;id>&2;echo",
    ]);
    prop::collection::vec(piece, 1..5).prop_map(|p| p.concat())
}

/// A hostile name, or now and then a plain one a tool accepts, so that detection gets past the name.
fn name_or_plain() -> impl Strategy<Value = String> {
    prop_oneof![name(), "[a-z][a-z0-9_]{0,6}", "[a-z]{1,4}/[a-z]{1,4}\\.js"]
}

#[derive(Clone, Debug)]
enum Tree {
    Go {
        module: String,
        comment: bool,
        cmds: Vec<String>,
        root_main: bool,
    },
    Cargo {
        package: String,
        bin: Option<String>,
    },
    Make {
        target: String,
    },
    /// `pyproject.toml` with a name and a script entry, and/or `requirements.txt`, and a root script.
    Python {
        name: String,
        script: Option<String>,
        requirements: bool,
        main_py: bool,
    },
    /// `package.json` with a name, a `main` and a `bin`, and the files they name (made when they can be).
    Node {
        name: String,
        main: Option<String>,
        bin: Option<String>,
    },
}

fn tree() -> impl Strategy<Value = Tree> {
    prop_oneof![
        (name(), any::<bool>(), prop::collection::vec(name(), 0..3), any::<bool>()).prop_map(
            |(module, comment, cmds, root_main)| Tree::Go {
                module: format!("example.com/{module}"),
                comment,
                cmds,
                root_main
            }
        ),
        (name(), prop::option::of(name())).prop_map(|(package, bin)| Tree::Cargo { package, bin }),
        name().prop_map(|target| Tree::Make { target }),
        (name_or_plain(), prop::option::of((name_or_plain(), name_or_plain())), any::<bool>(), any::<bool>()).prop_map(
            |(name, script, requirements, main_py)| Tree::Python {
                name,
                script: script.map(|(m, f)| format!("{m}:{f}")),
                requirements,
                main_py
            }
        ),
        (name_or_plain(), prop::option::of(name_or_plain()), prop::option::of(name_or_plain()))
            .prop_map(|(name, main, bin)| Tree::Node { name, main, bin }),
    ]
}

/// A TOML basic string for `text` (escaped as TOML reads it), so the names reach the parser whole.
fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn lay_out(dir: &Path, tree: &Tree) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    match tree {
        Tree::Go { module, comment, cmds, root_main } => {
            let comment = if *comment { " // the module" } else { "" };
            std::fs::write(dir.join("go.mod"), format!("module {module}{comment}\n\ngo 1.22\n")).unwrap();
            std::fs::write(dir.join("main.go"), if *root_main { "package main\n" } else { "package lib\n" }).unwrap();
            for cmd in cmds {
                // Not every name is a directory name (`/`, NUL, `.`, `..`): those are simply not made.
                let _ = std::fs::create_dir_all(dir.join("cmd").join(cmd));
            }
        }
        Tree::Cargo { package, bin } => {
            let mut text = format!("[package]\nname = {}\nversion = \"0.1.0\"\n", toml_string(package));
            if let Some(bin) = bin {
                text.push_str(&format!("[[bin]]\nname = {}\npath = \"src/main.rs\"\n", toml_string(bin)));
            }
            std::fs::write(dir.join("Cargo.toml"), text).unwrap();
        }
        Tree::Make { target } => {
            std::fs::write(dir.join("Makefile"), format!("all: {target}\n{target}: main.c\n\tcc -o $@ main.c\n"))
                .unwrap();
        }
        Tree::Python { name, script, requirements, main_py } => {
            let mut text = format!("[project]\nname = {}\ndependencies = [\"x\"]\n", toml_string(name));
            if let Some(script) = script {
                text.push_str(&format!("[project.scripts]\n{} = {}\n", toml_string(name), toml_string(script)));
            }
            std::fs::write(dir.join("pyproject.toml"), text).unwrap();
            if *requirements {
                std::fs::write(dir.join("requirements.txt"), format!("{name}\n")).unwrap();
            }
            if *main_py {
                std::fs::write(dir.join("main.py"), "print(1)\n").unwrap();
            }
        }
        Tree::Node { name, main, bin } => {
            let mut doc = serde_json::json!({"name": name});
            if let Some(main) = main {
                doc["main"] = main.as_str().into();
                // Not every name is a file name: those are simply not made.
                let _ = std::fs::create_dir_all(dir.join(main).parent().unwrap_or(dir));
                let _ = std::fs::write(dir.join(main), "");
            }
            if let Some(bin) = bin {
                doc["bin"] = serde_json::json!({ name.as_str(): bin });
                let _ = std::fs::write(dir.join(bin), "");
            }
            std::fs::write(dir.join("package.json"), doc.to_string()).unwrap();
        }
    }
}

fn scratch(n: u64) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("init-projects").join(n.to_string())
}

/// What init wrote says exactly what it means to, and nothing a name could add.
fn assert_says_only_what_init_means(project: &Project, text: &str) {
    let compiled = scratchkit::compile::compile(text, "scratch.yaml", &PlanInputs::default())
        .unwrap_or_else(|e| panic!("{}\n{text}", e.rendered));
    assert!(compiled.warnings.items.is_empty(), "{text}");
    let plan = compiled.plan;
    let bin = project.binary();
    let builder = plan.builder.as_ref().expect("a builder");
    assert_eq!(builder.run.len(), 1, "{text}");
    assert!(matches!(builder.network, Network::Default) && !builder.ssh && builder.secrets.is_empty(), "{text}");
    if let Project::Python(_) | Project::Node(_) = project {
        return assert_runtime(project, &plan, text);
    }
    assert!(
        builder
            .env
            .iter()
            .all(|(k, _)| ["CGO_ENABLED", "GOCACHE", "GOMODCACHE", "CARGO_HOME", "CARGO_TARGET_DIR"]
                .contains(&k.as_str())),
        "{text}"
    );
    assert_eq!(plan.copies.len(), 1, "{text}");
    assert!(matches!(&plan.copies[0].from, Source::Builder(p) if p.as_str() == format!("/out/{bin}")), "{text}");
    assert_eq!(plan.image.entrypoint.as_deref(), Some(&[format!("/usr/local/bin/{bin}")][..]), "{text}");
    // The name is one the toolchain accepts, so it is one shell word without quotes.
    assert!(bin.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-~".contains(&b)), "{bin:?}");
}

/// A Python or Node spec: the interpreter, its tree and the project; the program named as init means.
fn assert_runtime(project: &Project, plan: &scratchkit::plan::Plan, text: &str) {
    let builder = plan.builder.as_ref().expect("a builder");
    assert!(
        builder.env.is_empty()
            && builder.run[0].ends_with(
                "mkdir -p /out && cp -a . /out/app && rm -rf /out/app/.git /out/app/.venv /out/app/scratch.yaml"
            ),
        "{text}"
    );
    let from: Vec<String> = plan.copies.iter().map(|c| format!("{:?}", c.from)).collect();
    let (interpreter, cmd) = match project {
        Project::Python(Python { entry, .. }) => {
            let cmd = match entry {
                PyEntry::Script(file) => vec![format!("/app/{file}")],
                PyEntry::Function { module, function } => {
                    let ident = |s: &str| {
                        s.split('.').all(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
                    };
                    assert!(ident(module) && ident(function), "{module:?}:{function:?}");
                    let first = function.split('.').next().unwrap();
                    vec!["-c".to_string(), format!("import sys; from {module} import {first}; sys.exit({function}())")]
                }
            };
            assert_eq!(
                from,
                [
                    r#"Builder(AbsPath("/usr/bin/python3.11"))"#,
                    r#"Builder(AbsPath("/usr/lib/python3.11"))"#,
                    r#"Builder(AbsPath("/out/app"))"#
                ],
                "{text}"
            );
            ("/usr/bin/python3.11", cmd)
        }
        Project::Node(Node { main, .. }) => {
            assert!(
                main.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-@+/".contains(&b)) && !main.contains(".."),
                "{main:?}"
            );
            assert_eq!(
                from,
                [
                    r#"Builder(AbsPath("/usr/bin/node"))"#,
                    r#"Builder(AbsPath("/usr/share/nodejs"))"#,
                    r#"Builder(AbsPath("/out/app"))"#
                ],
                "{text}"
            );
            ("/usr/bin/node", vec![format!("/app/{main}")])
        }
        _ => unreachable!("only runtimes come here"),
    };
    assert_eq!(plan.image.entrypoint.as_deref(), Some(&[interpreter.to_string()][..]), "{text}");
    assert_eq!(plan.image.cmd.as_deref(), Some(&cmd[..]), "{text}");
    assert!(plan.image.env.iter().all(|(k, _)| k == "PATH" || k == "SSL_CERT_FILE" || k == "PYTHONPATH"), "{text}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn generated_projects_give_specs_that_say_only_what_init_means(tree in tree(), n in any::<u64>()) {
        let dir = scratch(n);
        lay_out(&dir, &tree);
        if let Ok(found) = detect(&dir) {
            let text = render(&found.project, &Choices { frontend: "scratchkit:dev", builder: &found.project.default_builder(), project_key: "0123abcd" });
            assert_says_only_what_init_means(&found.project, &text);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
