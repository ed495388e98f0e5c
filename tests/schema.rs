//! The JSON schema and the docs' key overview are generated from the key tables (`src/spec/keys.rs`); the
//! checked-in copies must be what the tables give, every example must name the schema, and the schema
//! must accept the specs the loader accepts and refuse the shapes it refuses.

use std::path::{Path, PathBuf};
use std::process::Command;

use scratchkit::spec::schema::{json_schema_text, overview};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

const REGENERATE: &str = "regenerate it: cargo run -q -- schema > docs/scratch.schema.json";

#[test]
fn the_checked_in_schema_is_the_generated_one() {
    let file = std::fs::read_to_string(repo().join("docs/scratch.schema.json")).expect("docs/scratch.schema.json");
    assert!(file == json_schema_text(), "docs/scratch.schema.json differs from the key tables; {REGENERATE}");
}

#[test]
fn the_docs_overview_is_the_generated_one() {
    let docs = std::fs::read_to_string(repo().join("docs/spec.md")).unwrap();
    let begin = docs.find("<!-- generated from src/spec/keys.rs").expect("the overview's begin marker in docs/spec.md");
    let body = &docs[begin..];
    let body = &body[body.find('\n').unwrap() + 1..];
    let end = body.find("<!-- end of the generated overview -->").expect("the overview's end marker");
    assert!(body[..end] == overview(), "the key overview in docs/spec.md differs from the key tables; replace it with `cargo run -q -- schema --overview`");
}

/// Every spec under `examples/`.
fn examples() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![repo().join("examples")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.file_name().is_some_and(|n| n == "scratch.yaml") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[test]
fn every_example_names_the_schema_on_its_second_line() {
    let examples = examples();
    assert!(examples.len() >= 10, "found only {examples:?}");
    for spec in examples {
        let text = std::fs::read_to_string(&spec).unwrap();
        let second = text.lines().nth(1).unwrap_or_default();
        let target = second.strip_prefix("# yaml-language-server: $schema=").unwrap_or_else(|| panic!("{}: line 2 is {second:?}", spec.display()));
        let resolved = spec.parent().unwrap().join(target);
        assert!(
            resolved.canonicalize().ok() == repo().join("docs/scratch.schema.json").canonicalize().ok(),
            "{}: the schema path {target} does not lead to docs/scratch.schema.json",
            spec.display()
        );
    }
}

/// Validates each file against the schema with Python's jsonschema (a validator we did not write) and
/// returns the files it refused.
fn refused_by_python(files: &[PathBuf]) -> Vec<String> {
    let script = r#"
import json, sys, yaml, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema)
for path in sys.argv[2:]:
    errors = list(validator.iter_errors(yaml.safe_load(open(path))))
    if errors:
        print(path + ": " + errors[0].message)
"#;
    let out = Command::new("python3").arg("-c").arg(script).arg(repo().join("docs/scratch.schema.json")).args(files).output().expect("python3 runs");
    assert!(out.status.success(), "python3 failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
}

#[test]
#[ignore = "needs python3 with jsonschema and PyYAML: scripts/test.sh installs them and runs this"]
fn python_jsonschema_accepts_good_specs_and_refuses_bad_shapes() {
    let mut good: Vec<PathBuf> = examples().into_iter().filter(|p| !p.starts_with(repo().join("examples/bad"))).collect();
    for entry in std::fs::read_dir(repo().join("tests/fixtures/ok")).unwrap() {
        good.push(entry.unwrap().path());
    }
    let refused = refused_by_python(&good);
    assert!(refused.is_empty(), "the schema refuses specs the loader accepts:\n{}", refused.join("\n"));

    // Shapes the loader refuses, each caught by the schema too: an unknown key, wrong types, a missing
    // required key, a word that is not one of the choices.
    let bad = ["examples/bad/scratch.yaml", "tests/fixtures/bad/unknown-key.yaml", "tests/fixtures/bad/wrong-types.yaml", "tests/fixtures/bad/no-copy.yaml"];
    let dir = std::env::temp_dir().join(format!("scratchkit-schema-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let network = dir.join("network.yaml");
    std::fs::write(&network, "builder: {image: golang, network: internet}\ncopy: [/a]\n").unwrap();
    let mut files: Vec<PathBuf> = bad.iter().map(|b| repo().join(b)).collect();
    files.push(network);
    let refused = refused_by_python(&files);
    for file in &files {
        assert!(refused.iter().any(|r| r.starts_with(&file.display().to_string())), "the schema accepts {}", file.display());
    }
}
