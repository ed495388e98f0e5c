//! The JSON schema of `scratch.yaml` and the key overview of `docs/spec.md`, generated from the key tables
//! in [`super::keys`], so editors, docs and the loader cannot disagree about which keys exist.
//!
//! The schema describes the shape `scratchkit check` accepts, not everything it checks: values are
//! scalars (the loader reads every scalar as the text written, so `uid: 10001` and `mode: 0755` are fine),
//! the keys a list entry needs are required (the plan refuses an entry without them), and paths, names,
//! modes and references are checked later, after `${NAME}` substitution. `tests/offline/schema.rs` runs one corpus
//! through both and fails where they disagree.

use serde_json::{json, Map, Value};

use super::keys::{Keys, Shape, SPEC};

/// The JSON schema (draft-07, which editors' YAML language servers read) of a whole spec.
pub fn json_schema() -> Value {
    let mut schema = Map::new();
    schema.insert("$schema".into(), json!("http://json-schema.org/draft-07/schema#"));
    schema.insert("title".into(), json!("scratch.yaml"));
    schema.insert(
        "description".into(),
        json!("A scratchkit spec: a FROM-scratch image from a builder stage, the files to copy and the pieces of a working root filesystem. Reference: docs/spec.md."),
    );
    if let Value::Object(body) = mapping(&SPEC) {
        schema.extend(body);
    }
    Value::Object(schema)
}

/// The schema as `docs/scratch.schema.json` holds it.
pub fn json_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&json_schema()).expect("a JSON value always serializes");
    text.push('\n');
    text
}

/// Any scalar: the loader reads numbers and booleans as the text written.
fn scalar() -> Value {
    json!({"type": ["string", "number", "boolean"]})
}

fn shape(of: &Shape) -> Value {
    match of {
        Shape::Text => scalar(),
        Shape::TextOrNothing => json!({"type": ["string", "number", "boolean", "null"]}),
        Shape::Word(words) => json!({"enum": words}),
        // Quoted booleans are accepted too (`"true"`); `yes`/`no`/`on`/`off` are not.
        Shape::Flag => {
            json!({"anyOf": [{"type": "boolean"}, {"enum": ["true", "True", "TRUE", "false", "False", "FALSE"]}]})
        }
        Shape::List { single: false } => json!({"type": "array", "items": scalar()}),
        Shape::List { single: true } => json!({"anyOf": [scalar(), {"type": "array", "items": scalar()}]}),
        Shape::Names => json!({"type": "object", "additionalProperties": scalar()}),
        Shape::Mapping(keys) => mapping(*keys),
        Shape::ListOf(keys) => json!({"type": "array", "items": mapping(*keys)}),
        Shape::AnyOf(shapes) => json!({"anyOf": shapes.iter().map(shape).collect::<Vec<_>>()}),
    }
}

/// A section: its keys, `x-` extension keys, nothing else; a plain string too when it has a shorthand.
fn mapping(section: &dyn Keys) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for key in section.keys() {
        let mut property = shape(&key.shape);
        if let Value::Object(p) = &mut property {
            p.insert("description".into(), json!(format!("{} Default: {}.", key.doc.about, key.doc.default)));
        }
        properties.insert(key.key.into(), property);
        if key.required {
            required.push(key.key);
        }
    }
    let mut object = json!({
        "type": "object",
        "properties": properties,
        "patternProperties": {"^x-": {}},
        "additionalProperties": false,
    });
    if !required.is_empty() {
        object["required"] = json!(required);
    }
    match section.shorthand() {
        Some(_) => json!({"anyOf": [scalar(), object]}),
        None => object,
    }
}

/// The rows of the overview table in `docs/spec.md`: every key of every mapping section, lists of
/// mappings as one row each.
pub fn overview() -> String {
    let mut out = String::from("| key | type | default |\n|---|---|---|\n");
    rows(&SPEC, "", &mut out);
    out
}

fn rows(section: &dyn Keys, prefix: &str, out: &mut String) {
    for key in section.keys() {
        let path = if prefix.is_empty() { key.key.to_string() } else { format!("{prefix}.{}", key.key) };
        let shown = match key.shape {
            Shape::ListOf(_) if !prefix.is_empty() => format!("{path}[]"),
            _ => path.clone(),
        };
        out.push_str(&format!("| [`{shown}`](#{}) | {} | {} |\n", key.doc.anchor, key.doc.ty, key.doc.default));
        if let Shape::Mapping(inner) = key.shape {
            rows(inner, &path, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_names_every_key_and_refuses_others() {
        let schema = json_schema();
        assert_eq!(schema["required"], json!(["copy"]));
        assert_eq!(schema["additionalProperties"], json!(false));
        let builder = &schema["properties"]["builder"];
        assert_eq!(builder["required"], json!(["image"]));
        assert_eq!(builder["properties"]["network"]["enum"], json!(["default", "none", "host"]));
        let copy_item = &schema["properties"]["copy"]["items"]["anyOf"];
        assert_eq!(copy_item[0], scalar(), "the shorthand `- /out/app`");
        assert_eq!(copy_item[1]["required"], json!(["from"]));
        let users = &schema["properties"]["rootfs"]["properties"]["users"]["items"];
        assert_eq!(
            users["properties"].as_object().unwrap().keys().collect::<Vec<_>>(),
            ["name", "uid", "gid", "home", "shell"]
        );
        // Keys a list entry needs are required in the schema, though `plan` is what refuses their absence.
        assert_eq!(users["required"], json!(["name", "uid"]));
        let rootfs = &schema["properties"]["rootfs"]["properties"];
        assert_eq!(rootfs["groups"]["items"]["required"], json!(["name", "gid"]));
        assert_eq!(rootfs["dirs"]["items"]["anyOf"][1]["required"], json!(["path"]));
        assert_eq!(rootfs["files"]["items"]["required"], json!(["path", "content"]));
        assert_eq!(schema["properties"]["builder"]["properties"]["secrets"]["items"]["required"], json!(["id"]));
        assert_eq!(
            rootfs["files"]["items"]["properties"]["content"]["type"],
            json!(["string", "number", "boolean", "null"])
        );
    }

    /// The docs' "required" and the schema's cannot drift apart.
    #[test]
    fn every_key_documented_as_required_is_required() {
        fn walk(section: &dyn Keys, out: &mut Vec<String>) {
            for key in section.keys() {
                if key.doc.default.starts_with("required") != key.required {
                    out.push(format!("{}.{}", section.path(), key.key));
                }
                let nested: Vec<Shape> = match key.shape {
                    Shape::AnyOf(shapes) => shapes.to_vec(),
                    other => vec![other],
                };
                for shape in nested {
                    if let Shape::Mapping(inner) | Shape::ListOf(inner) = shape {
                        walk(inner, out);
                    }
                }
            }
        }
        let mut disagree = Vec::new();
        walk(&SPEC, &mut disagree);
        assert!(disagree.is_empty(), "documented as required or not, and marked otherwise: {disagree:?}");
    }

    #[test]
    fn the_overview_has_a_row_per_key() {
        let table = overview();
        for row in [
            "| [`builder.image`](#builder) | image reference |",
            "| [`rootfs.users[]`](#rootfsusers) |",
            "| [`copy`](#copy) |",
            "| [`debug.image`](#debug) |",
        ] {
            assert!(table.contains(row), "{row} missing from\n{table}");
        }
        assert!(!table.contains("rootfs.users[].name"), "list items are documented in their own section");
    }
}
