//! Subrequests (`--call check`, `--call outline`, unknown ones) and the spec size limit at every entry point.

use crate::frontend::*;
use crate::support::definitions::*;
use crate::support::fake_gateway::*;
use serde_json::{json, Value};

/// A spec over the item limit (here 1 MiB of `copy: [a,a,…]`, 524,000 items) is refused by every entry
/// point before the parser builds its tree: a build, `--call check` and `--call outline` (which parsed it
/// whole: 227 MB).
#[test]
fn every_entry_point_refuses_a_spec_over_the_item_limit() {
    let head = "args: {VERSION: dev}\nbuilder: {image: golang:1.23, run: make}\ncopy: [";
    let items = (scratchkit::compile::MAX_SPEC_BYTES - head.len() - 2) / 2;
    let spec = format!("{head}{}]\n", vec!["a"; items].join(","));
    assert!(spec.len() <= scratchkit::compile::MAX_SPEC_BYTES);
    let refused = "the spec has more than 100000 keys and list items";

    let mut fake = FakeGateway::modern(&spec);
    run_frontend(&mut fake, &[]);
    assert!(fake.error().contains(refused), "build: {}", fake.error());

    let mut fake = FakeGateway::modern(&spec);
    run_frontend(&mut fake, &[("requestid", "frontend.lint")]);
    let txt = String::from_utf8_lossy(&fake.metadata()["result.txt"]).into_owned();
    assert!(txt.contains(refused), "check: {txt}");

    let mut fake = FakeGateway::modern(&spec);
    run_frontend(&mut fake, &[("requestid", "frontend.outline")]);
    let txt = String::from_utf8_lossy(&fake.metadata()["result.txt"]).into_owned();
    assert!(txt.starts_with(refused) && txt.ends_with("; run --call check\n"), "outline: {txt}");
    let outline: Value = serde_json::from_slice(&fake.metadata()["result.json"]).unwrap();
    assert_eq!(outline, json!({ "name": "default", "description": TARGETS_DEFAULT }), "no args read from the spec");
}

const TARGETS_DEFAULT: &str = "the FROM-scratch image, without a shell";

#[test]
fn unknown_subrequest_is_refused_in_words_buildx_understands() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[("requestid", "frontend.compose")]);

    assert_eq!(fake.error(), "unsupported request frontend.compose");
    assert!(fake.solved.is_empty(), "a refused request solved something");
}

#[test]
fn outline_subrequest_lists_the_build_args() {
    let mut fake = FakeGateway::modern(&fixture("ok/build-args.yaml"));
    run_frontend(&mut fake, &[("requestid", "frontend.outline")]);

    let outline: Value = serde_json::from_slice(&fake.metadata()["result.json"]).unwrap();
    assert_eq!((&outline["args"][0]["name"], &outline["args"][0]["value"]), (&json!("GREETING"), &json!("hello")));
    assert!(fake.definitions(Kind::Builder).is_empty(), "a subrequest ran the build");
}

#[test]
fn lint_subrequest_on_a_bad_spec_reports_status_one() {
    let mut fake = FakeGateway::modern(&fixture("bad/unknown-key.yaml"));
    run_frontend(&mut fake, &[("requestid", "frontend.lint")]);

    let md = fake.metadata();
    assert_eq!(text(&md["result.statuscode"]), "1");
    let txt = text(&md["result.txt"]);
    assert!(txt.contains("scratch.yaml:1:1") && txt.contains("did you mean `builder`"), "{txt}");
    let json: Value = serde_json::from_slice(&md["result.json"]).unwrap();
    // The rule is the code of an unknown key, with what it means and where it is explained.
    let rule = scratchkit::rules::codes::SK113;
    assert_eq!(json["warnings"][0]["ruleName"], rule.code);
    assert_eq!(json["warnings"][0]["description"], rule.summary);
    assert_eq!(json["warnings"][0]["url"], rule.url());
    // The spec's text, which buildx echoes under each finding.
    use base64::Engine;
    let data = base64::engine::general_purpose::STANDARD
        .decode(json["sources"][0]["data"].as_str().unwrap_or_default())
        .unwrap_or_default();
    assert_eq!(String::from_utf8_lossy(&data), fixture("bad/unknown-key.yaml"));
}

#[test]
fn outline_lists_args_with_defaults_secrets_ssh_and_caches_where_the_spec_declares_them() {
    let mut fake = FakeGateway::modern(&fixture("ok/full.yaml"));
    run_frontend(&mut fake, &[("requestid", "frontend.outline"), ("target", "debug")]);

    let outline: Value = serde_json::from_slice(&fake.metadata()["result.json"]).unwrap();
    let at = |line: usize, character: usize| json!({ "sourceIndex": 0, "ranges": [{ "start": { "line": line, "character": character }, "end": { "line": line, "character": character } }] });
    assert_eq!(outline["name"], "debug");
    assert_eq!(outline["args"], json!([{ "name": "VERSION", "value": "dev", "location": at(5, 3) }]));
    assert_eq!(outline["secrets"], json!([{ "name": "netrc", "required": true, "location": at(13, 18) }]));
    assert_eq!(outline["ssh"], json!([{ "name": "default", "required": true, "location": at(14, 8) }]));
    assert_eq!(
        outline["cache"],
        json!([{ "ID": "/root/.cache/go-build", "location": at(12, 11) }, { "ID": "/go/pkg/mod", "location": at(12, 34) }])
    );
    let txt = text(&fake.metadata()["result.txt"]);
    for line in [
        "TARGET:      debug",
        "BUILD ARG   VALUE",
        "VERSION     dev",
        "SECRET   REQUIRED",
        "netrc    true",
        "SSH       REQUIRED",
        "default   true",
        "/go/pkg/mod",
    ] {
        assert!(txt.lines().any(|l| l == line), "no line {line:?} in:\n{txt}");
    }
    assert!(fake.definitions(Kind::Builder).is_empty(), "a subrequest ran the build");
}

#[test]
fn outline_of_a_spec_without_builder_lists_nothing_but_the_target() {
    let mut fake = FakeGateway::modern("copy: [app]\n");
    run_frontend(&mut fake, &[("requestid", "frontend.outline")]);
    let outline: Value = serde_json::from_slice(&fake.metadata()["result.json"]).unwrap();
    assert_eq!(outline["name"], "default");
    assert_eq!(
        (outline["args"].clone(), outline["secrets"].clone(), outline["ssh"].clone()),
        (json!([]), json!([]), json!([]))
    );
}
