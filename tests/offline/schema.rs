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
        let target = second
            .strip_prefix("# yaml-language-server: $schema=")
            .unwrap_or_else(|| panic!("{}: line 2 is {second:?}", spec.display()));
        let resolved = spec.parent().unwrap().join(target);
        assert!(
            resolved.canonicalize().ok() == repo().join("docs/scratch.schema.json").canonicalize().ok(),
            "{}: the schema path {target} does not lead to docs/scratch.schema.json",
            spec.display()
        );
    }
}

/// Validates each file against the schema with Python's jsonschema (a validator we did not write) and
/// returns, for each file, the first error (`None`: accepted). YAML is read as editors read it (YAML 1.2's
/// core schema): PyYAML's YAML 1.1 extras (`yes`/`on` as booleans, dates) are left out, since they would
/// make the schema judge values the spec's loader never sees.
fn python_verdicts(files: &[PathBuf]) -> Vec<Option<String>> {
    let script = r#"
import json, re, sys, yaml, jsonschema
class Loader(yaml.SafeLoader):
    pass
Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema)
for path in sys.argv[2:]:
    try:
        doc = yaml.load(open(path, encoding="utf-8"), Loader=Loader)
    except Exception as e:
        print("refused: not YAML: " + str(e).replace("\n", " "))
        continue
    errors = list(validator.iter_errors(doc))
    print("refused: " + errors[0].message.replace("\n", " ") if errors else "accepted")
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(repo().join("docs/scratch.schema.json"))
        .args(files)
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "python3 failed: {}", String::from_utf8_lossy(&out.stderr));
    let verdicts: Vec<Option<String>> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| (l != "accepted").then(|| l.to_string())).collect();
    assert_eq!(verdicts.len(), files.len(), "one verdict per file");
    verdicts
}

/// The files the schema refuses, with the reason.
fn refused_by_python(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .zip(python_verdicts(files))
        .filter_map(|(f, v)| v.map(|why| format!("{}: {why}", f.display())))
        .collect()
}

#[test]
#[ignore = "needs python3 with jsonschema and PyYAML: scripts/test.sh installs them and runs this"]
fn python_jsonschema_accepts_good_specs_and_refuses_bad_shapes() {
    let mut good: Vec<PathBuf> =
        examples().into_iter().filter(|p| !p.starts_with(repo().join("examples/bad"))).collect();
    for entry in std::fs::read_dir(repo().join("tests/fixtures/ok")).unwrap() {
        good.push(entry.unwrap().path());
    }
    let refused = refused_by_python(&good);
    assert!(refused.is_empty(), "the schema refuses specs the loader accepts:\n{}", refused.join("\n"));

    // Shapes the loader refuses, each caught by the schema too: an unknown key, wrong types, a missing
    // required key, a word that is not one of the choices.
    let bad = [
        "examples/bad/scratch.yaml",
        "tests/fixtures/bad/unknown-key.yaml",
        "tests/fixtures/bad/wrong-types.yaml",
        "tests/fixtures/bad/no-copy.yaml",
    ];
    let dir = std::env::temp_dir().join(format!("scratchkit-schema-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let network = dir.join("network.yaml");
    std::fs::write(&network, "builder: {image: golang, network: internet}\ncopy: [/a]\n").unwrap();
    let mut files: Vec<PathBuf> = bad.iter().map(|b| repo().join(b)).collect();
    files.push(network);
    let refused = refused_by_python(&files);
    for file in &files {
        assert!(
            refused.iter().any(|r| r.starts_with(&file.display().to_string())),
            "the schema accepts {}",
            file.display()
        );
    }
}

/// What `scratchkit check` says of a spec's shape, which is all a schema can judge: `Some(true)` when it
/// finds no problem of shape, `Some(false)` when it does (a loader error, a word that is not a choice, a
/// list entry without a key it needs), `None` when it refuses the text for a reason of YAML itself that a
/// JSON schema cannot express (duplicate keys, anchors, tags, depth, a second document).
fn check_shape(text: &str) -> Option<bool> {
    use scratchkit::compile::compile;
    use scratchkit::plan::PlanInputs;
    use scratchkit::rules::{codes::*, Rule};
    // Duplicate keys, anchors, tags, depth, a second document.
    const YAML_ONLY: &[&Rule] = &[SK108, SK104, SK106, SK101, SK102];
    // A word that is not a choice; an entry without a key it needs.
    const PLAN_SHAPE: &[&Rule] = &[SK212, SK213, SK235, SK245, SK290, SK111, SK210, SK224, SK226, SK252, SK261, SK262];
    let (spec, loaded) = scratchkit::spec::load_partial(text);
    if loaded.errors().any(|d| YAML_ONLY.iter().any(|r| d.is(r))) {
        return None;
    }
    if spec.is_none() || loaded.has_errors() {
        return Some(false);
    }
    let errors = match compile(text, "scratch.yaml", &PlanInputs::default()) {
        Ok(_) => return Some(true),
        Err(e) => e.diagnostics,
    };
    let shape_error = errors.errors().any(|d| PLAN_SHAPE.iter().any(|r| d.is(r)));
    Some(!shape_error)
}

/// The value of a mapping section that has what it needs and nothing else, so one change shows alone.
fn filler(section: &dyn scratchkit::spec::keys::Keys) -> serde_json::Value {
    use serde_json::json;
    let mut map = serde_json::Map::new();
    for key in section.keys().into_iter().filter(|k| k.required) {
        let value = match (section.path(), key.key) {
            ("", "copy") => json!(["/out/app"]),
            (_, "image") => json!("golang:1.23"),
            (_, "from") => json!("/out/app"),
            (_, "id") => json!("netrc"),
            (_, "name") => json!("app"),
            (_, "uid") => json!(10001),
            (_, "gid") => json!(2000),
            (_, "path") => json!("/data"),
            (_, "content") => json!("x"),
            // The program the image runs (the corpus copies `/out/app`).
            ("image.healthcheck", "test") => json!(["/out/app"]),
            (p, k) => panic!("no filler for the required key {p}.{k}"),
        };
        map.insert(key.key.to_string(), value);
    }
    if section.path().is_empty() {
        map.insert("builder".into(), json!({"image": "golang:1.23", "run": "make"}));
    }
    serde_json::Value::Object(map)
}

/// Every spec of one change to a valid spec: each key of each section set to each kind of value (text, a
/// number, `true`, `"true"`, `"yes"`, null, `""`, lists and mappings), each needed key left out, an unknown
/// key and an `x-` key added, for every section reached through the key tables. Written as JSON, which is
/// YAML: strings are quoted, `true`, numbers and `null` are not.
fn generated_specs() -> Vec<String> {
    use scratchkit::spec::keys::{Keys, Shape, SPEC};
    use serde_json::{json, Value};
    /// A path to a section: each step is the filler of the section holding the key, the key, and
    /// whether its value is a list of the next section's entries.
    type Path = Vec<(Value, &'static str, bool)>;
    fn wrap(path: &Path, value: Value) -> String {
        let mut value = value;
        for (holder, key, list) in path.iter().rev() {
            let inner = if *list { json!([value]) } else { value };
            let mut holder = holder.clone();
            holder[*key] = inner;
            value = holder;
        }
        value.to_string()
    }
    fn walk(section: &'static dyn Keys, path: Path, out: &mut Vec<String>) {
        let here = filler(section);
        let candidates = [
            json!("text"),
            json!(5),
            json!(true),
            json!("true"),
            json!("False"),
            json!("yes"),
            Value::Null,
            json!(""),
            json!([]),
            json!(["a"]),
            json!([null]),
            json!({}),
            json!({"A": "b"}),
            json!({"A": null}),
        ];
        for key in section.keys() {
            for candidate in &candidates {
                let mut value = here.clone();
                value[key.key] = candidate.clone();
                out.push(wrap(&path, value));
            }
            if key.required {
                let mut value = here.clone();
                value.as_object_mut().unwrap().remove(key.key);
                out.push(wrap(&path, value));
            }
            let nested: Vec<Shape> = match key.shape {
                Shape::AnyOf(shapes) => shapes.to_vec(),
                other => vec![other],
            };
            for shape in nested {
                if let Shape::Mapping(inner) | Shape::ListOf(inner) = shape {
                    let mut deeper = path.clone();
                    deeper.push((here.clone(), key.key, matches!(shape, Shape::ListOf(_))));
                    walk(inner, deeper, out);
                }
            }
        }
        for extra in ["bogus", "x-note"] {
            let mut value = here.clone();
            value[extra] = json!(1);
            out.push(wrap(&path, value));
        }
    }
    let mut out = Vec::new();
    walk(&SPEC, Vec::new(), &mut out);
    out.sort();
    out.dedup();
    out
}

/// `check` and the JSON schema judge the same corpus the same way: every fixture, every example and the
/// generated specs above (888). A spec `check` takes must validate (an editor must not flag it), and a
/// spec `check` refuses for its shape must not.
#[test]
#[ignore = "needs python3 with jsonschema and PyYAML: scripts/test.sh installs them and runs this"]
fn check_and_the_schema_agree_on_every_spec_of_the_corpus() {
    let dir = std::env::temp_dir().join(format!("scratchkit-corpus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = examples();
    for kind in ["ok", "warn", "bad"] {
        for entry in std::fs::read_dir(repo().join("tests/fixtures").join(kind)).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    let generated = generated_specs();
    assert!(generated.len() > 500, "only {} generated specs", generated.len());
    for (i, text) in generated.iter().enumerate() {
        let file = dir.join(format!("generated-{i:04}.yaml"));
        std::fs::write(&file, text).unwrap();
        files.push(file);
    }
    let verdicts = python_verdicts(&files);
    let mut disagree = Vec::new();
    let mut compared = 0;
    for (file, schema) in files.iter().zip(verdicts) {
        let text = std::fs::read_to_string(file).unwrap();
        let Some(check) = check_shape(&text) else { continue };
        compared += 1;
        if check != schema.is_none() {
            let name = if file.starts_with(&dir) { text.clone() } else { file.display().to_string() };
            let check = if check { "check takes it" } else { "check refuses its shape" };
            disagree.push(format!("{name}\n    {check}; the schema: {}", schema.as_deref().unwrap_or("accepted")));
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(compared > 500, "only {compared} specs compared");
    assert!(disagree.is_empty(), "check and the schema disagree on {} specs:\n{}", disagree.len(), disagree.join("\n"));
}
