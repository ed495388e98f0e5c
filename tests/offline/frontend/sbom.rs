//! SBOM attestations the frontend makes itself (`BUILDKIT_SBOM_SCAN_STAGE` / `_CONTEXT`).

use crate::frontend::*;
use crate::support::definitions::*;
use crate::support::fake_gateway::*;
use prost::Message;
use scratchkit::llb::digest_of;
use scratchkit::platform::Platform;
use scratchkit::proto::pb;
use std::collections::BTreeMap;

/// The Definition a ref id names.
fn solved_def<'a>(fake: &'a FakeGateway, ref_id: &str) -> &'a pb::Definition {
    &fake.solved_ref(ref_id).expect("the attestation's ref was solved").def
}

/// The op a digest names in a Definition.
fn op_by_digest(def: &pb::Definition, digest: &str) -> pb::Op {
    let bytes = def.def.iter().find(|b| digest_of(b) == digest).unwrap_or_else(|| panic!("no op {digest}"));
    pb::Op::decode(bytes.as_slice()).expect("an Op")
}

#[test]
fn scan_args_make_the_frontend_run_the_generator_and_return_one_sbom_bundle_per_platform() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    let generator = format!("generator={SBOM_GENERATOR},mode=fast");
    let pairs = [
        ("attest:sbom", generator.as_str()),
        ("build-arg:BUILDKIT_SBOM_SCAN_STAGE", "true"),
        ("platform", "linux/amd64,linux/arm64"),
    ];
    run_frontend_attesting(&mut fake, &pairs, true);

    // The generator is resolved once, on the build platform, where BuildKit runs generators.
    let resolved: Vec<&(String, Platform)> = fake.resolved.iter().filter(|(r, _)| r == SBOM_GENERATOR).collect();
    assert_eq!(resolved.len(), 1, "{:?}", fake.resolved);
    assert_eq!(resolved[0].1, Platform::linux_amd64());

    let (images, _) = fake.images();
    assert_eq!(images.len(), 2);
    for image in images {
        assert_eq!(image.attestations.len(), 1, "{}: one SBOM bundle", image.platform);
        let bundle = &image.attestations[0];
        assert_eq!((bundle.predicate_type.as_str(), bundle.path.as_str()), ("https://spdx.dev/Document", ""));
        let metadata: BTreeMap<&str, &str> = bundle.metadata.iter().map(|(k, v)| (k.as_str(), text(v))).collect();
        assert_eq!(metadata, BTreeMap::from([("reason", "sbom"), ("sbom-core", "sbom")]));

        // The bundle is the generator's output directory alone: a copy of /run/out to the root of scratch.
        let def = solved_def(&fake, &bundle.ref_id);
        let statements = head(def).expect("a head op");
        let Some(pb::op::Op::File(copy)) = &statements.op else { panic!("the bundle is not a copy: {statements:?}") };
        let Some(pb::file_action::Action::Copy(c)) = &copy.actions[0].action else { panic!("not a copy") };
        assert_eq!((c.src.as_str(), c.dest.as_str(), copy.actions[0].input), ("/run/out", "/", -1));

        // The generator runs with BuildKit's protocol: its entrypoint and cmd, its env and workdir, the
        // image at the core path and the builder stage among the extras, all read-only.
        let (platform, exec) = execs(def)
            .into_iter()
            .find(|(_, e)| e.meta.as_ref().is_some_and(|m| m.args[0] == "/bin/scan"))
            .expect("the generator's exec");
        assert_eq!(platform_name(&platform), "linux/amd64", "{}: generators run on the build platform", image.platform);
        let meta = exec.meta.clone().unwrap();
        assert_eq!(
            (meta.args.as_slice(), meta.cwd.as_str()),
            (&["/bin/scan".to_string(), "--quiet".into()][..], "/work")
        );
        for var in [
            "PATH=/bin",
            "BUILDKIT_SCAN_DESTINATION=/run/out",
            "BUILDKIT_SCAN_SOURCE=/run/src/core/sbom",
            "BUILDKIT_SCAN_SOURCE_EXTRAS=/run/src/extras/",
            "BUILDKIT_SCAN_mode=fast",
        ] {
            assert!(meta.env.contains(&var.to_string()), "{var} missing from {:?}", meta.env);
        }
        let generator_op =
            ops(def).into_iter().find(|o| matches!(&o.op, Some(pb::op::Op::Exec(e)) if e.meta.as_ref().is_some_and(|m| m.args[0] == "/bin/scan"))).unwrap();
        let input_op = |dest: &str| -> pb::Op {
            let m = exec
                .mounts
                .iter()
                .find(|m| m.dest == dest)
                .unwrap_or_else(|| panic!("no mount at {dest}: {:?}", exec.mounts));
            assert!(m.readonly && m.output == -1, "{dest} must be a read-only input");
            op_by_digest(def, &generator_op.inputs[m.input as usize].digest)
        };
        assert!(
            matches!(input_op("/run/src/core/sbom").op, Some(pb::op::Op::Merge(_))),
            "the core target is the image (a merge of its layers)"
        );
        let Some(pb::op::Op::Exec(builder)) = input_op("/run/src/extras/sbom-builder").op else {
            panic!("the builder extra is not the builder's run")
        };
        assert!(builder.meta.unwrap().args.iter().any(|a| a.contains("go build")));
        let dests: Vec<&str> = exec.mounts.iter().map(|m| m.dest.as_str()).collect();
        assert!(!dests.contains(&"/run/src/extras/sbom-context"), "the context was not asked for: {dests:?}");
        let tmp = exec.mounts.iter().find(|m| m.dest == "/tmp").expect("a /tmp");
        assert_eq!(tmp.mount_type, pb::MountType::Tmpfs as i32);
        // The generator image is pinned to the digest it resolved to.
        let images: Vec<String> =
            sources(def).into_iter().map(|s| s.identifier).filter(|i| i.contains("sbom-generator")).collect();
        assert_eq!(images, [format!("docker-image://{SBOM_GENERATOR}@{DIGEST}")]);
    }
}

#[test]
fn scan_context_mounts_the_build_context_the_image_is_built_from() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    let generator = format!("generator={SBOM_GENERATOR}");
    run_frontend_attesting(
        &mut fake,
        &[("attest:sbom", generator.as_str()), ("build-arg:BUILDKIT_SBOM_SCAN_CONTEXT", "1")],
        true,
    );
    let (images, _) = fake.images();
    let def = solved_def(&fake, &images[0].attestations[0].ref_id);
    let (_, exec) = execs(def)
        .into_iter()
        .find(|(_, e)| e.meta.as_ref().is_some_and(|m| m.args[0] == "/bin/scan"))
        .expect("the generator's exec");
    let dests: Vec<&str> = exec.mounts.iter().map(|m| m.dest.as_str()).collect();
    assert_eq!(dests, ["/", "/run/src/core/sbom", "/run/src/extras/sbom-context", "/tmp"]);
    let context: Vec<pb::SourceOp> = sources(def).into_iter().filter(|s| s.identifier == "local://context").collect();
    assert_eq!(context.len(), 1, "one context source, shared with the build");
    assert_eq!(context[0].attrs.get("local.session").map(String::as_str), Some("session-1"));
}

#[test]
fn without_a_scan_arg_or_the_attestations_cap_the_frontend_returns_no_attestations() {
    let generator = format!("generator={SBOM_GENERATOR}");
    let cases: [(&[(&str, &str)], bool); 4] = [
        // --sbom alone: BuildKit's SBOM processor scans the image after the frontend.
        (&[("attest:sbom", generator.as_str())], true),
        // A scan arg without --sbom asks for nothing.
        (&[("build-arg:BUILDKIT_SBOM_SCAN_STAGE", "true")], true),
        (&[("attest:sbom", generator.as_str()), ("build-arg:BUILDKIT_SBOM_SCAN_STAGE", "false")], true),
        // A BuildKit that cannot take attestations from a frontend.
        (&[("attest:sbom", generator.as_str()), ("build-arg:BUILDKIT_SBOM_SCAN_STAGE", "true")], false),
    ];
    for (pairs, cap) in cases {
        let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
        run_frontend_attesting(&mut fake, pairs, cap);
        let (images, _) = fake.images();
        assert!(images[0].attestations.is_empty(), "{pairs:?}: {:?}", images[0].attestations);
        assert!(!fake.resolved.iter().any(|(r, _)| r == SBOM_GENERATOR), "{pairs:?}: the generator was resolved");
        assert!(execs(fake.solved.last().map(|s| &s.def).unwrap())
            .iter()
            .all(|(_, e)| e.meta.as_ref().unwrap().args[0] != "/bin/scan"));
        let warned = fake.warnings.iter().any(|w| w.message.contains("reference.attestations"));
        assert_eq!(warned, !cap, "{pairs:?}: a warning only when the cap is missing");
    }
}

#[test]
fn a_scan_arg_that_is_neither_a_boolean_nor_the_builder_stage_is_an_error() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend_attesting(&mut fake, &[("attest:sbom", ""), ("build-arg:BUILDKIT_SBOM_SCAN_STAGE", "final")], true);
    let error = fake.error();
    assert!(
        error.contains("BUILDKIT_SBOM_SCAN_STAGE names stage `final`") && error.contains("true, false or builder"),
        "{error}"
    );
}
