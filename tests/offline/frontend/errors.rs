//! Errors: a bad spec's rendered diagnostics, a failed build's message and details as BuildKit gave them.

use crate::frontend::*;
use crate::support::fake_gateway::*;

#[test]
fn bad_spec_returns_its_rendered_error() {
    let mut fake = FakeGateway::modern(&fixture("bad/unknown-key.yaml"));
    run_frontend(&mut fake, &[("filename", "scratch.yaml")]);

    let error = fake.error();
    assert!(error.contains("scratch.yaml:1:1"), "{error}");
    assert!(error.contains("did you mean `builder`"), "{error}");
    // Nothing but the spec and (read alongside it) the .dockerignore was solved: no builder.
    let mut kinds: Vec<Kind> = fake.solved.iter().map(|s| s.kind).collect();
    kinds.sort_by_key(|k| format!("{k:?}"));
    assert_eq!(kinds, [Kind::DockerIgnore, Kind::Spec]);
    assert!(fake.resolved.is_empty());
}

#[test]
fn build_failure_is_returned_as_is() {
    let failure =
        r#"process "/bin/sh -c CGO_ENABLED=0 go build -o /out/app ." did not complete successfully: exit code: 1"#;
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml")).failing_build(failure);
    run_frontend(&mut fake, &[]);

    assert_eq!(fake.error(), failure);
    assert!(fake.definitions(Kind::Image).is_empty(), "the image was solved after the build failed");
}

#[test]
fn build_failure_details_are_passed_back_unchanged() {
    // What BuildKit attaches to a failed exec: typed details buildx renders (the step, its source lines).
    let details = vec![
        prost_types::Any {
            type_url: "github.com/moby/buildkit/solver/errdefs.Source".into(),
            value: vec![10, 3, 1, 2, 3],
        },
        prost_types::Any { type_url: "github.com/moby/buildkit/solver/pb.ExitStatus".into(), value: vec![8, 1] },
    ];
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml")).failing_build("exit code: 1");
    fake.build_failure_details = details.clone();
    run_frontend(&mut fake, &[]);
    assert_eq!(fake.error(), "exit code: 1");
    assert_eq!(fake.returned_details, details);
}

#[test]
fn a_spec_error_carries_no_buildkit_details() {
    let mut fake = FakeGateway::modern(&fixture("bad/unknown-key.yaml"));
    run_frontend(&mut fake, &[]);
    fake.error();
    assert!(fake.returned_details.is_empty());
}
