//! The spec for a Python or Node project: Debian bookworm's interpreter as it is (the closure brings its
//! libraries), the project copied to `/app` by the builder, and the program run from there. Dependencies
//! are not fetched during the build: they are taken as the project has them installed beside it
//! (`node_modules/`, `site-packages/`), so the build needs no network and no package manager, and what the
//! image holds is what was reviewed.

use std::fmt::Write as _;

use super::emit::yaml_scalar;
use super::runtime_project::{Node, PyEntry, Python};
use super::Choices;

/// Debian bookworm's Python, the one `python3` is there: its paths name the version.
pub const PYTHON: &str = "python3.11";
/// The default builder of both: plain Debian, which gets the interpreter's package in `run`.
pub const DEBIAN: &str = "debian:bookworm-slim";

/// The builder's `run`: the interpreter's package when the builder is plain Debian (another builder is
/// taken to have it, as `scratchkit-test/runtimes:bookworm` does), then the project into `/out/app`
/// without what is not the program.
fn run(package: &str, builder: &str) -> String {
    let install = if builder.starts_with("debian:") {
        format!("apt-get update && apt-get install -y --no-install-recommends {package} && ")
    } else {
        String::new()
    };
    format!("{install}mkdir -p /out && cp -a . /out/app && rm -rf /out/app/.git /out/app/.venv /out/app/scratch.yaml")
}

fn head(s: &mut String, language: &str, choices: &Choices, package: &str) {
    // A comment line cannot be escaped: the frontend reference was checked to hold no space or newline.
    let _ = writeln!(s, "# syntax={}", choices.frontend);
    let _ = writeln!(s, "# Written by `scratchkit init` for this {language} project; the keys are in docs/spec.md.");
    let _ = writeln!(s, "builder:");
    let _ = writeln!(s, "  image: {}", yaml_scalar(choices.builder));
    let _ = writeln!(s, "  run: {}", yaml_scalar(&run(package, choices.builder)));
}

pub fn render_python(p: &Python, choices: &Choices) -> String {
    let mut s = String::new();
    head(&mut s, "Python", choices, PYTHON);
    if p.deps && !p.site {
        let _ =
            writeln!(s, "# The project lists dependencies: install them beside it before the build, with Python 3.11,");
        let _ = writeln!(
            s,
            "# `pip install --target site-packages -r requirements.txt` (or `.`); /app/site-packages is on PYTHONPATH."
        );
    }
    let _ = writeln!(s, "copy:");
    let _ = writeln!(s, "  - /usr/bin/{PYTHON}");
    let _ = writeln!(s, "  - /usr/lib/{PYTHON}/");
    let _ = writeln!(s, "  - {{from: /out/app/, to: /app/}}");
    let _ = writeln!(s, "image:");
    let _ = writeln!(s, "  entrypoint: [/usr/bin/{PYTHON}]");
    let cmd = match &p.entry {
        PyEntry::Script(file) => vec![format!("/app/{file}")],
        PyEntry::Function { module, function } => {
            // Both are dotted identifiers (checked when read), so they are Python code of one meaning.
            let first = function.split('.').next().unwrap_or(function);
            vec!["-c".into(), format!("import sys; from {module} import {first}; sys.exit({function}())")]
        }
    };
    let cmd: Vec<String> = cmd.iter().map(|c| yaml_scalar(c)).collect();
    let _ = writeln!(s, "  cmd: [{}]", cmd.join(", "));
    let _ = writeln!(s, "  workdir: /app");
    let mut path = Vec::new();
    if p.deps || p.site {
        path.push("/app/site-packages");
    }
    if p.src {
        path.push("/app/src");
    }
    if !path.is_empty() {
        let _ = writeln!(s, "  env: {{PYTHONPATH: {}}}", yaml_scalar(&path.join(":")));
    }
    s
}

pub fn render_node(p: &Node, choices: &Choices) -> String {
    let mut s = String::new();
    head(&mut s, "Node", choices, "nodejs");
    if p.deps && !p.modules {
        let _ = writeln!(
            s,
            "# package.json lists dependencies and there is no node_modules/: run `npm ci --omit=dev` before the"
        );
        let _ = writeln!(s, "# build; node_modules/ is copied with the project.");
    }
    let _ = writeln!(s, "copy:");
    let _ = writeln!(s, "  - /usr/bin/node");
    // Debian's node keeps modules it cannot start without (cjs-module-lexer, undici, acorn) here.
    let _ = writeln!(s, "  - /usr/share/nodejs/");
    let _ = writeln!(s, "  - {{from: /out/app/, to: /app/}}");
    let _ = writeln!(s, "image:");
    let _ = writeln!(s, "  entrypoint: [/usr/bin/node]");
    let _ = writeln!(s, "  cmd: [{}]", yaml_scalar(&format!("/app/{}", p.main)));
    let _ = writeln!(s, "  workdir: /app");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices(builder: &str) -> Choices<'_> {
        Choices { frontend: "scratchkit:dev", builder, project_key: "0123abcd" }
    }

    #[test]
    fn plain_debian_gets_the_package_and_other_builders_do_not() {
        let node = Node { name: "web".into(), main: "server.js".into(), deps: false, modules: false };
        let text = render_node(&node, &choices(DEBIAN));
        assert!(
            text.contains("run: apt-get update && apt-get install -y --no-install-recommends nodejs && mkdir -p /out"),
            "{text}"
        );
        let text = render_node(&node, &choices("scratchkit-test/runtimes:bookworm"));
        assert!(
            text.contains("  run: mkdir -p /out && cp -a . /out/app") && text.contains("  cmd: [/app/server.js]\n"),
            "{text}"
        );
        assert!(!text.contains("npm ci"), "{text}");
        let text = render_node(&Node { deps: true, ..node }, &choices(DEBIAN));
        assert!(text.contains("run `npm ci --omit=dev` before the"), "{text}");
    }

    #[test]
    fn a_python_function_entry_point_is_called_from_c() {
        let py = Python {
            name: "app".into(),
            entry: PyEntry::Function { module: "tool.cli".into(), function: "Cli.main".into() },
            src: true,
            deps: true,
            site: false,
        };
        let text = render_python(&py, &choices(DEBIAN));
        assert!(
            text.contains("  cmd: [\"-c\", import sys; from tool.cli import Cli; sys.exit(Cli.main())]\n"),
            "{text}"
        );
        assert!(
            text.contains("  env: {PYTHONPATH: /app/site-packages:/app/src}\n")
                && text.contains("pip install --target site-packages"),
            "{text}"
        );
        let py = Python { entry: PyEntry::Script("main.py".into()), src: false, deps: false, ..py };
        let text = render_python(&py, &choices(DEBIAN));
        assert!(
            text.contains("  cmd: [/app/main.py]\n")
                && !text.contains("PYTHONPATH")
                && text.contains("install -y --no-install-recommends python3.11 && "),
            "{text}"
        );
    }
}
