//! The build context local: its session, its `.dockerignore` and its key.

use crate::frontend::*;
use crate::support::definitions::*;
use crate::support::fake_gateway::*;
use scratchkit::proto::pb;
use serde_json::{json, Value};

/// `local-sessionid:context` names the session that serves the build context, as BuildKit's dockerui
/// reads it for every local (it was read for named contexts only).
#[test]
fn the_build_context_is_read_through_its_own_session() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[("local-sessionid:context", "session-2")]);
    fake.images();
    let contexts: Vec<pb::SourceOp> =
        fake.solved.iter().flat_map(|s| sources(&s.def)).filter(|s| s.identifier == "local://context").collect();
    assert!(!contexts.is_empty());
    assert!(
        contexts.iter().all(|s| s.attrs.get("local.session").map(String::as_str) == Some("session-2")),
        "{contexts:#?}"
    );
}

#[test]
fn dockerignore_patterns_exclude_files_from_the_context() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml")).with_dockerignore("# secrets\nsecret.txt\n");
    run_frontend(&mut fake, &[]);

    let context = sources(fake.only(Kind::Builder))
        .into_iter()
        .find(|s| s.identifier == "local://context")
        .expect("a context local");
    let excludes: Value = serde_json::from_str(&context.attrs["local.excludepatterns"]).unwrap();
    assert_eq!(excludes, json!(["secret.txt"]));
    assert_eq!(context.attrs.get("local.session").map(String::as_str), Some("session-1"));
}

#[test]
fn without_dockerignore_the_context_has_no_excludes() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[]);

    let context = sources(fake.only(Kind::Builder))
        .into_iter()
        .find(|s| s.identifier == "local://context")
        .expect("a context local");
    assert!(!context.attrs.contains_key("local.excludepatterns"), "{:?}", context.attrs);
}

#[test]
fn contextkey_names_one_local_for_dockerignore_and_context() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml")).with_dockerignore("secret.txt\n");
    run_frontend(&mut fake, &[("contextkey", "ctx")]);

    let ignore = sources(fake.only(Kind::DockerIgnore)).remove(0).identifier;
    let context = sources(fake.only(Kind::Builder))
        .into_iter()
        .find(|s| s.identifier.starts_with("local://"))
        .expect("a context local");
    assert_eq!(ignore, context.identifier, ".dockerignore and the context it filters come from different locals");
}
