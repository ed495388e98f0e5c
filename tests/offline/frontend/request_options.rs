//! Request options: read once and checked, labels, `-f`, build args.

use crate::frontend::*;
use crate::support::definitions::*;
use crate::support::fake_gateway::*;
use serde_json::{json, Value};

/// The options are read once, before anything is solved: a resolve mode BuildKit has not is refused with
/// the modes it has (it was passed on to BuildKit as given).
#[test]
fn an_unknown_image_resolve_mode_is_refused_before_any_solve() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[("image-resolve-mode", "always")]);
    assert!(
        fake.error().contains("image-resolve-mode `always` is not a resolve mode: use default, pull or local"),
        "{}",
        fake.error()
    );
    assert!(fake.solved.is_empty(), "{} solves", fake.solved.len());
}

#[test]
fn label_flags_reach_the_image_config_and_win_over_the_spec() {
    let spec = format!("{}image:\n  labels: {{team: spec, keep: spec}}\n", fixture("ok/smallest.yaml"));
    let mut fake = FakeGateway::modern(&spec);
    run_frontend(&mut fake, &[("label:team", "infra"), ("label:org.example.cost", "42")]);
    let labels = &config(&fake.images().0[0])["config"]["Labels"];
    assert_eq!(labels, &json!({ "team": "infra", "keep": "spec", "org.example.cost": "42" }));
}

#[test]
fn dash_f_reads_the_named_file_from_the_dockerfile_local() {
    // `docker buildx build -f sub/dir/x.yaml` sends the base name and the local key.
    let mut fake = FakeGateway::modern(&fixture("bad/unknown-key.yaml")).named("x.yaml");
    run_frontend(&mut fake, &[("filename", "x.yaml"), ("dockerfilekey", "dockerfile")]);

    let spec = sources(fake.only(Kind::Spec)).remove(0);
    assert_eq!(spec.identifier, "local://dockerfile");
    let follow: Value = serde_json::from_str(&spec.attrs["local.followpaths"]).unwrap();
    assert_eq!(follow, json!(["x.yaml"]));
    assert_eq!(spec.attrs.get("local.session").map(String::as_str), Some("session-1"));

    let error = fake.error();
    assert!(error.contains("x.yaml:1:1"), "{error}");
    assert!(!error.contains("scratch.yaml"), "{error}");
}

#[test]
fn build_args_reach_the_builder_run() {
    let mut fake = FakeGateway::modern(&fixture("ok/build-args.yaml")).with_file("/out/app-bonjour", 0o755);
    run_frontend(&mut fake, &[("build-arg:GREETING", "bonjour")]);

    let (images, _) = fake.images();
    let (_, meta) = the_exec(fake.only(Kind::Builder));
    // As with ARG in a Dockerfile: the value is in the environment and the script is as written, so the
    // shell expands it and never parses it.
    let script = meta.args.join(" ");
    assert!(script.contains("main.greeting=${GREETING}"), "{script}");
    assert!(script.contains("-o /out/app-${GREETING}"), "{script}");
    assert!(meta.env.contains(&"GREETING=bonjour".to_string()), "{:?}", meta.env);
    assert!(
        !meta.env.iter().chain(&meta.args).any(|s| s.contains("hello")),
        "the default leaked: {script} {:?}",
        meta.env
    );
    assert_eq!(config(&images[0])["config"]["Labels"]["greeting"], "bonjour");
}
