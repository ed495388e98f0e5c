//! What the frontend solves, in which order, and returns: one image, or one per platform.

use crate::frontend::*;
use crate::support::definitions::*;
use crate::support::fake_gateway::*;
use scratchkit::llb::render;
use scratchkit::platform::Platform;
use serde_json::{json, Value};

#[test]
fn smallest_spec_returns_one_image_assembled_by_merge_from_a_pinned_builder() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[]);

    let (images, multi_platform) = fake.images();
    assert!(!multi_platform);
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].platform, Platform::linux_amd64());
    let config = config(&images[0]);
    assert_eq!(config["config"]["User"], "65532:65532");
    assert_eq!(config["config"]["Entrypoint"], json!(["/out/app"]));
    assert_eq!((config["os"].as_str(), config["architecture"].as_str()), (Some("linux"), Some("amd64")));

    // Solved in order: spec, .dockerignore, builder, its probe (checked), image; the image returned is the last one.
    let kinds: Vec<Kind> = fake.solved.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, [Kind::Spec, Kind::DockerIgnore, Kind::Builder, Kind::Probe, Kind::Image]);
    assert_eq!(images[0].ref_id, "ref-4");
    assert!(has_merge(fake.only(Kind::Image)), "{:#}", render(fake.only(Kind::Image)));

    // The builder image was resolved once, for the build platform, and pinned to the digest.
    assert_eq!(fake.resolved, [("docker.io/library/golang:1.23".to_string(), Platform::linux_amd64())]);
    let builder = fake.only(Kind::Builder);
    let ids: Vec<String> = sources(builder).into_iter().map(|s| s.identifier).collect();
    assert!(ids.contains(&format!("docker-image://docker.io/library/golang:1.23@{DIGEST}")), "{ids:?}");

    let (platform, meta) = the_exec(builder);
    assert_eq!(platform_name(&platform), "linux/amd64");
    for var in ["PATH=/usr/local/go/bin:/usr/bin:/bin", "GOPATH=/go", "TARGETARCH=amd64", "TARGETOS=linux"] {
        assert!(meta.env.contains(&var.to_string()), "{var} missing from {:?}", meta.env);
    }
    assert!(meta.args.last().is_some_and(|a| a.contains("go build -o /out/app")), "{:?}", meta.args);
    assert!(fake.warnings.is_empty(), "unexpected warnings: {:?}", fake.warnings);
}

#[test]
fn independent_requests_are_in_flight_together() {
    // The spec and .dockerignore are read together, and so are the checks of the builder's output
    // (/out/app, the CA bundle, the zone database): each request is a round trip to BuildKit.
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[]);
    fake.images();
    assert!(fake.peak_in_flight >= 3, "at most {} requests were in flight at once", fake.peak_in_flight);
}

#[test]
fn two_platforms_return_two_images_built_on_the_build_platform() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[("platform", "linux/amd64,linux/arm64")]);

    let (images, multi_platform) = fake.images();
    assert!(multi_platform);
    let archs: Vec<&str> = images.iter().map(|b| b.platform.architecture.as_str()).collect();
    assert_eq!(archs, ["amd64", "arm64"]);
    let config_archs: Vec<Value> = images.iter().map(|b| config(b)["architecture"].clone()).collect();
    assert_eq!(config_archs, [json!("amd64"), json!("arm64")]);
    assert_ne!(images[0].ref_id, images[1].ref_id);

    let builders = fake.definitions(Kind::Builder);
    assert_eq!(builders.len(), 2);
    let (platform, meta) = the_exec(builders[1]);
    assert_eq!(platform_name(&platform), "linux/amd64", "the arm64 builder must run on the build platform");
    assert!(meta.env.contains(&"TARGETARCH=arm64".to_string()), "{:?}", meta.env);
    assert!(meta.env.contains(&"BUILDARCH=amd64".to_string()), "{:?}", meta.env);
    // Both builders resolve the image for the build platform.
    assert!(fake.resolved.iter().all(|(_, p)| *p == Platform::linux_amd64()), "{:?}", fake.resolved);
}

#[test]
#[should_panic(expected = "the frontend returned twice")]
fn the_fake_refuses_a_second_answer() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[]);
    let _ = fake.return_error("again".into(), Vec::new());
}
