//! Named contexts (`--build-context NAME=…`): replacing the builder image, copies from a named context.

use crate::frontend::*;
use crate::support::definitions::*;
use crate::support::fake_gateway::*;
use scratchkit::llb::render;
use scratchkit::platform::Platform;
use scratchkit::proto::pb;
use scratchkit::rules::codes::*;

const MIRROR: &str = "127.0.0.1:5000/mirror/golang:1.23";

#[test]
fn a_build_context_named_like_the_builder_image_replaces_it_pinned() {
    for name in ["golang:1.23", "docker.io/library/golang:1.23"] {
        let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
        let mirror = format!("docker-image://{MIRROR}");
        run_frontend(&mut fake, &[(&format!("context:{name}"), &mirror)]);
        fake.images();
        // Only the mirror is resolved, and the builder runs on it, pinned to its digest.
        assert_eq!(fake.resolved, [(MIRROR.to_string(), Platform::linux_amd64())], "{name}");
        let ids: Vec<String> = sources(fake.only(Kind::Builder)).into_iter().map(|s| s.identifier).collect();
        assert!(ids.contains(&format!("docker-image://{MIRROR}@{DIGEST}")), "{name}: {ids:?}");
        assert!(!ids.iter().any(|i| i.contains("docker.io/library/golang")), "{name}: {ids:?}");
        let (_, meta) = the_exec(fake.only(Kind::Builder));
        assert!(meta.env.contains(&"GOPATH=/go".to_string()), "the mirror's Env: {:?}", meta.env);
    }
}

#[test]
fn a_context_for_another_image_or_platform_leaves_the_builder_alone() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(
        &mut fake,
        &[
            ("context:golang:1.22", "docker-image://x/golang:1.22"),
            ("context:golang:1.23::linux/arm64", "docker-image://x/arm"),
        ],
    );
    fake.images();
    assert_eq!(fake.resolved, [("docker.io/library/golang:1.23".to_string(), Platform::linux_amd64())]);
}

#[test]
fn a_local_directory_cannot_replace_the_builder_image() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[("context:golang:1.23", "local:golang:1.23")]);
    let error = fake.error();
    assert!(error.contains("scratch.yaml:3:10"), "{error}");
    assert!(
        error.contains("a local directory; the builder must be an image")
            && error.contains("golang:1.23=docker-image://"),
        "{error}"
    );
    assert!(fake.definitions(Kind::Builder).is_empty());
}

const NAMED_COPY: &str = "builder: {image: golang:1.23, run: go build -o /out/app .}\ncopy:\n  - /out/app\n  - {from: \"context:assets:static/\", to: /srv/}\n";

#[test]
fn copy_from_a_named_context_reads_that_local_directory_minus_its_dockerignore() {
    let mut fake = FakeGateway::modern(NAMED_COPY).with_dockerignore("*.tmp\n");
    run_frontend(&mut fake, &[("context:assets", "local:assets"), ("local-sessionid:assets", "session-2")]);
    fake.images();
    let image = fake.only(Kind::Image);
    let assets: Vec<pb::SourceOp> = sources(image).into_iter().filter(|s| s.identifier == "local://assets").collect();
    assert_eq!(assets.len(), 1, "{:#}", render(image));
    assert_eq!(assets[0].attrs.get("local.session").map(String::as_str), Some("session-2"));
    assert_eq!(assets[0].attrs.get("local.sharedkeyhint").map(String::as_str), Some("context:assets"));
    assert_eq!(assets[0].attrs.get("local.excludepatterns").map(String::as_str), Some(r#"["*.tmp"]"#));
    // Its .dockerignore was read from that local, not the main context's.
    let ignores: Vec<String> =
        fake.definitions(Kind::DockerIgnore).iter().flat_map(|d| sources(d)).map(|s| s.identifier).collect();
    assert!(
        ignores.contains(&"local://assets".to_string()) && ignores.contains(&"local://context".to_string()),
        "{ignores:?}"
    );
    // The copy reads `static/` of that context into /srv.
    assert!(copy_destinations(image).iter().any(|d| d.starts_with("/srv")), "{:?}", copy_destinations(image));
    assert!(
        rendered_ops(image)
            .iter()
            .any(|op| op.to_string().contains("\"/static/\"") || op.to_string().contains("\"/static\"")),
        "{:#}",
        render(image)
    );
}

#[test]
fn copy_from_a_named_image_context_reads_the_image() {
    let mut fake = FakeGateway::modern(NAMED_COPY);
    run_frontend(&mut fake, &[("context:assets", "docker-image://busybox:musl")]);
    fake.images();
    let ids: Vec<String> = sources(fake.only(Kind::Image)).into_iter().map(|s| s.identifier).collect();
    assert!(ids.contains(&"docker-image://docker.io/library/busybox:musl".to_string()), "{ids:?}");
}

#[test]
fn copy_from_an_unknown_or_unreadable_named_context_is_a_located_error() {
    let mut fake = FakeGateway::modern(NAMED_COPY);
    run_frontend(&mut fake, &[]);
    let error = fake.error();
    assert!(error.contains("scratch.yaml:4:5") && reports(error, SK402, "`assets`"), "{error}");
    assert!(error.contains("--build-context assets=<directory>"), "{error}");
    assert!(fake.definitions(Kind::Builder).is_empty(), "the build ran before the error");

    let mut fake = FakeGateway::modern(NAMED_COPY);
    run_frontend(&mut fake, &[("context:assets", "git://example.com/assets.git")]);
    let error = fake.error();
    assert!(error.contains("scratch.yaml:4:5") && reports(error, SK404, "`git`"), "{error}");
}

/// A context for one platform (`NAME::<platform>`) is checked against each target platform, not the
/// build platform: it serves an arm64 image built on amd64, and a platform without one is an error.
#[test]
fn named_contexts_are_checked_for_each_target_platform() {
    let mut fake = FakeGateway::modern(NAMED_COPY);
    run_frontend(&mut fake, &[("platform", "linux/arm64"), ("context:assets::linux/arm64", "local:assets")]);
    let (images, _) = fake.images();
    assert_eq!(images.len(), 1);

    let mut fake = FakeGateway::modern(NAMED_COPY);
    run_frontend(
        &mut fake,
        &[("platform", "linux/amd64,linux/arm64"), ("context:assets::linux/amd64", "local:assets")],
    );
    let error = fake.error();
    assert!(
        error.contains("scratch.yaml:4:5") && reports(error, SK403, "`assets` was passed for linux/arm64"),
        "{error}"
    );
    assert!(fake.definitions(Kind::Builder).is_empty(), "the build ran before the error");

    let mut fake = FakeGateway::modern(NAMED_COPY);
    run_frontend(
        &mut fake,
        &[
            ("platform", "linux/amd64,linux/arm64"),
            ("context:assets", "local:assets"),
            ("context:assets::linux/arm64", "git://x/y.git"),
        ],
    );
    let error = fake.error();
    assert!(reports(error, SK404, "`assets` for linux/arm64"), "{error}");
}
