//! Shared by the offline tests: compile a fixture the way `scratchkit llb` does; the in-memory gateway
//! (`fake_gateway`) and readers of what the frontend sends it (`definitions`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use scratchkit::compile::{compile, SpecError};
use scratchkit::llb::{render, MarshalOptions};
use scratchkit::lower::{BuildInputs, PlatformInputs};
use scratchkit::plan::Found;
use scratchkit::plan::PlanInputs;
use scratchkit::platform::Platform;
use scratchkit::proto::pb;

pub mod definitions;
pub mod fake_gateway;

pub fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

pub fn stem(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

/// Spec text → one Definition (and config) per platform, with the CLI's defaults.
pub fn build(text: &str, name: &str) -> Result<Vec<(Platform, pb::Definition, serde_json::Value)>, SpecError> {
    let compiled = compile(text, name, &PlanInputs::default())?;
    let build = BuildInputs::new(Platform::linux_amd64());
    Ok(scratchkit::lower::lower(&compiled.plan, &build, &PlatformInputs::default(), &Found::default())
        .into_iter()
        .map(|l| {
            (
                l.platform,
                l.image.marshal(&MarshalOptions::default()),
                serde_json::to_value(&l.config).expect("config JSON"),
            )
        })
        .collect())
}

pub fn definition_bytes(text: &str) -> Vec<u8> {
    let built = build(text, "scratch.yaml").expect("fixture compiles");
    prost::Message::encode_to_vec(&built[0].1)
}

pub fn view(text: &str, name: &str) -> serde_json::Value {
    let built = build(text, name).expect("fixture compiles");
    serde_json::Value::Array(
        built.into_iter().map(|(p, def, config)| serde_json::json!({ "platform": p.to_string(), "llb": render(&def), "config": config })).collect(),
    )
}

/// Every `.rs` file below `dir` (the tests that read `src/` as text).
pub fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// GitHub's anchor for a heading's text: lower case, spaces to `-`, and everything but letters, digits,
/// `-` and `_` dropped (a repeated heading's `-1`, `-2`, … are the caller's).
pub fn github_slug(heading: &str) -> String {
    heading
        .trim_start_matches('#')
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}
