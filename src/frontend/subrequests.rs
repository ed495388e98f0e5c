//! Answers to `--call`/`--print` (BuildKit subrequests): `check` (lint), `targets`, `outline`, and
//! `describe`. Each is metadata only: `result.json`, `result.txt`, and for lint a status code.

use serde_json::{json, Value};

use crate::compile::compile;
use crate::plan::{PlanInputs, TARGETS};
use crate::spec;

pub const DESCRIBE: &str = "frontend.subrequests.describe";
pub const LINT: &str = "frontend.lint";
pub const TARGETS_REQUEST: &str = "frontend.targets";
pub const OUTLINE: &str = "frontend.outline";
pub const KNOWN: &[&str] = &[DESCRIBE, LINT, TARGETS_REQUEST, OUTLINE];

type Metadata = Vec<(String, Vec<u8>)>;

fn result(json: Value, txt: String) -> Metadata {
    vec![
        ("result.json".into(), serde_json::to_vec(&json).unwrap_or_default()),
        ("result.txt".into(), txt.into_bytes()),
        ("version".into(), b"1.0.0".to_vec()),
    ]
}

pub fn describe() -> Metadata {
    let list: Vec<Value> =
        KNOWN.iter().map(|name| json!({ "name": name, "version": "1.0.0", "type": "rpc" })).collect();
    let txt = KNOWN.iter().map(|n| format!("{n}\n")).collect();
    result(Value::Array(list), txt)
}

/// Answers a known subrequest for this spec.
pub fn answer(request: &str, text: &str, filename: &str, inputs: &PlanInputs) -> Metadata {
    match request {
        LINT => lint(text, filename, inputs),
        TARGETS_REQUEST => targets(),
        OUTLINE => outline(text, inputs),
        _ => describe(),
    }
}

/// `--call check`: every diagnostic as a lint warning; status 1 when there is any.
fn lint(text: &str, filename: &str, inputs: &PlanInputs) -> Metadata {
    let diagnostics = match compile(text, filename, inputs) {
        Ok(c) => c.warnings,
        Err(e) => e.diagnostics,
    };
    // As many as the text shows, escaped: buildx prints them to a terminal.
    let warnings: Vec<Value> = diagnostics
        .items
        .iter()
        .take(crate::diag::MAX_SHOWN)
        .map(|d| {
            let (line, column) = d.span.map_or((1, 1), |s| (s.line, s.column));
            let message = crate::diag::escape(&d.message, crate::diag::MAX_MESSAGE);
            let hint = d.hint.as_deref().map(|h| crate::diag::escape(h, crate::diag::MAX_MESSAGE));
            let d = crate::diag::Diagnostic { message, hint, ..d.clone() };
            json!({
                // BuildKit's lint rule: its name, what it means, where it is explained.
                "ruleName": d.rule.code,
                "description": d.rule.summary,
                "url": d.rule.url(),
                // buildx prints the rule name and this line.
                "detail": match &d.hint {
                    Some(h) => format!("{} (line {line}, column {column}); hint: {h}", d.message),
                    None => format!("{} (line {line}, column {column})", d.message),
                },
                "location": { "sourceIndex": 0, "ranges": [{ "start": { "line": line, "character": column }, "end": { "line": line, "character": column } }] },
            })
        })
        .collect();
    // The spec itself (escaped for a terminal), which buildx echoes under each finding; Go's JSON has bytes
    // as base64.
    use base64::Engine;
    let data = base64::engine::general_purpose::STANDARD.encode(crate::diag::escape_source(text));
    let json = json!({ "warnings": warnings, "sources": [{ "filename": filename, "language": "yaml", "data": data }] });
    let (txt, status) = if diagnostics.count() == 0 {
        (format!("{filename}: no problems found\n"), "0")
    } else {
        (diagnostics.render(filename, text), "1")
    };
    let mut md = result(json, txt);
    md.push(("result.statuscode".into(), status.as_bytes().to_vec()));
    md
}

/// `--call targets`: the default image and `debug`.
fn targets() -> Metadata {
    let list: Vec<Value> = TARGETS
        .iter()
        .map(|(name, description)| json!({ "name": name, "default": *name == "default", "description": description }))
        .collect();
    let mut txt = String::from("TARGET   DESCRIPTION\n");
    for (name, description) in TARGETS {
        txt.push_str(&format!("{name:<8} {description}{}\n", if *name == "default" { " (default)" } else { "" }));
    }
    result(json!({ "targets": list }), txt)
}

/// `--call outline`, shaped as the Dockerfile frontend's (BuildKit `frontend/subrequests/outline`): the
/// target, the build args the spec declares with their defaults, the secrets and the SSH agent the builder
/// mounts (each required: a build without them fails), and its cache mounts, each with its spec location.
fn outline(text: &str, inputs: &PlanInputs) -> Metadata {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let target = inputs.target.clone().filter(|t| !t.is_empty()).unwrap_or_else(|| "default".into());
    let description = TARGETS.iter().find(|(name, _)| *name == target).map(|(_, d)| *d).unwrap_or_default();
    let head = json!({ "name": target, "description": description });
    // The limits a build and `--call check` apply, before the parser builds anything.
    if let Err(d) = crate::compile::check_limits(text) {
        let why =
            d.items.first().map_or_else(String::new, |d| crate::diag::escape(&d.message, crate::diag::MAX_MESSAGE));
        return result(head, format!("{why}; run --call check\n"));
    }
    let Ok(s) = spec::load(text) else {
        return result(head, "the spec does not parse; run --call check\n".into());
    };
    let args: Vec<Value> = s
        .args
        .iter()
        .map(|(k, v)| json!({ "name": k.value, "value": v.value, "location": location(k.span) }))
        .collect();
    let builder = s.builder.unwrap_or_default();
    let secrets: Vec<Value> = builder
        .secrets
        .iter()
        .filter_map(|x| x.id.as_ref())
        .map(|id| json!({ "name": id.value, "required": true, "location": location(id.span) }))
        .collect();
    let ssh: Vec<Value> = match builder.ssh {
        Some(on) if on.value => vec![json!({ "name": "default", "required": true, "location": location(on.span) })],
        _ => Vec::new(),
    };
    let cache: Vec<Value> =
        builder.cache.iter().map(|c| json!({ "ID": c.value, "location": location(c.span) })).collect();
    let json = json!({ "name": head["name"], "description": head["description"], "args": args, "secrets": secrets, "ssh": ssh, "cache": cache });
    result(json.clone(), print_outline(&json))
}

/// A spec position as BuildKit's `pb.Location` (one source, the spec).
fn location(span: crate::diag::Span) -> Value {
    let at = json!({ "line": span.line, "character": span.column });
    json!({ "sourceIndex": 0, "ranges": [{ "start": at, "end": at }] })
}

/// The outline as buildx prints it: the target, then one table per kind (values escaped for a terminal).
fn print_outline(o: &Value) -> String {
    let field =
        |v: &Value, key: &str| crate::diag::escape(v[key].as_str().unwrap_or_default(), crate::diag::MAX_MESSAGE);
    let list = |key: &str| o[key].as_array().cloned().unwrap_or_default();
    let mut out = format!("TARGET:      {}\nDESCRIPTION: {}\n\n", field(o, "name"), field(o, "description"));
    let table = |out: &mut String, header: [&str; 2], rows: Vec<[String; 2]>| {
        if rows.is_empty() {
            return;
        }
        let width = rows.iter().map(|r| r[0].chars().count()).chain([header[0].len()]).max().unwrap_or(0) + 3;
        out.push_str(format!("{:<width$}{}", header[0], header[1]).trim_end());
        out.push('\n');
        for [a, b] in rows {
            out.push_str(format!("{a:<width$}{b}").trim_end());
            out.push('\n');
        }
        out.push('\n');
    };
    table(
        &mut out,
        ["BUILD ARG", "VALUE"],
        list("args").iter().map(|a| [field(a, "name"), field(a, "value")]).collect(),
    );
    table(
        &mut out,
        ["SECRET", "REQUIRED"],
        list("secrets").iter().map(|a| [field(a, "name"), "true".into()]).collect(),
    );
    table(&mut out, ["SSH", "REQUIRED"], list("ssh").iter().map(|a| [field(a, "name"), "true".into()]).collect());
    table(&mut out, ["CACHE", ""], list("cache").iter().map(|a| [field(a, "ID"), String::new()]).collect());
    out
}
