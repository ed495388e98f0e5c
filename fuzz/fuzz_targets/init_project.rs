//! `scratchkit init` on any project tree: detection reads whatever files a repository holds and the spec
//! it writes loads and says only what init means to (one `run`, one copy of `/out/<binary>` as the
//! entrypoint, or for Python and Node the interpreter running a checked file or entry point; no network,
//! SSH or secrets), never a panic or a hang.
//!
//! Input: records split by NUL, each `path` SOH `content`; a path is made relative and its `..` dropped,
//! a trailing `/` makes a directory. (tests/offline/init_projects.rs runs the same property in `cargo test`.)
#![no_main]

use std::path::{Component, Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use scratchkit::init::{detect, render, Choices, Node, Project, PyEntry, Python};
use scratchkit::plan::{Network, PlanInputs, Source};

fn tree_root() -> PathBuf {
    std::env::temp_dir().join(format!("scratchkit-fuzz-init-{}", std::process::id()))
}

fn lay_out(root: &Path, data: &[u8]) {
    let _ = std::fs::remove_dir_all(root);
    std::fs::create_dir_all(root).unwrap();
    for record in data.split(|&b| b == 0).take(16) {
        let (path, content) = match record.iter().position(|&b| b == 1) {
            Some(i) => (&record[..i], &record[i + 1..]),
            None => (record, &[][..]),
        };
        let text = String::from_utf8_lossy(path);
        let relative: PathBuf = Path::new(text.as_ref()).components().filter_map(|c| if let Component::Normal(n) = c { Some(n) } else { None }).collect();
        if relative.as_os_str().is_empty() || relative.components().count() > 4 {
            continue;
        }
        let target = root.join(&relative);
        if text.ends_with('/') {
            let _ = std::fs::create_dir_all(&target);
        } else if let Some(parent) = target.parent() {
            let _ = std::fs::create_dir_all(parent);
            let _ = std::fs::write(&target, content);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let root = tree_root();
    lay_out(&root, data);
    if let Ok(found) = detect(&root) {
        let bin = found.project.binary().to_string();
        let text = render(&found.project, &Choices { frontend: "scratchkit:dev", builder: &found.project.default_builder(), project_key: "0123abcd" });
        let compiled = scratchkit::compile::compile(&text, "scratch.yaml", &PlanInputs::default()).unwrap_or_else(|e| panic!("{}\n{text}", e.rendered));
        let plan = compiled.plan;
        let builder = plan.builder.as_ref().expect("a builder");
        assert_eq!(builder.run.len(), 1, "{text}");
        assert!(matches!(builder.network, Network::Default) && !builder.ssh && builder.secrets.is_empty(), "{text}");
        let (program, cmd) = match &found.project {
            Project::Python(Python { entry: PyEntry::Script(file), .. }) => ("/usr/bin/python3.11", vec![format!("/app/{file}")]),
            Project::Python(Python { entry: PyEntry::Function { module, function }, .. }) => {
                let ident = |s: &str| s.split('.').all(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
                assert!(ident(module) && ident(function), "{text}");
                let first = function.split('.').next().unwrap_or_default();
                ("/usr/bin/python3.11", vec!["-c".into(), format!("import sys; from {module} import {first}; sys.exit({function}())")])
            }
            Project::Node(Node { main, .. }) => {
                assert!(main.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-@+/".contains(&b)) && !main.contains(".."), "{text}");
                ("/usr/bin/node", vec![format!("/app/{main}")])
            }
            _ => ("", Vec::new()),
        };
        if !program.is_empty() {
            assert_eq!(plan.copies.len(), 3, "{text}");
            assert_eq!(plan.image.entrypoint.as_deref(), Some(&[program.to_string()][..]), "{text}");
            assert_eq!(plan.image.cmd.as_deref(), Some(&cmd[..]), "{text}");
            return;
        }
        assert_eq!(plan.copies.len(), 1, "{text}");
        assert!(matches!(&plan.copies[0].from, Source::Builder(p) if p.as_str() == format!("/out/{bin}")), "{text}");
        assert_eq!(plan.image.entrypoint.as_deref(), Some(&[format!("/usr/local/bin/{bin}")][..]), "{text}");
    }
});
