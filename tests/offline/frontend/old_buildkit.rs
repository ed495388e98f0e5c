//! A BuildKit without MergeOp (< 0.10): refused unless asked, then the pieces chained, with the same layers.

use crate::frontend::*;
use crate::support::definitions::*;
use crate::support::fake_gateway::*;
use prost::Message;
use scratchkit::llb::{digest_of, render};
use scratchkit::proto::pb;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

#[test]
fn old_buildkit_without_mergeop_gets_the_pieces_chained() {
    let mut fake = FakeGateway::old_buildkit(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[ALLOW_OLD]);

    let (images, _) = fake.images();
    assert_eq!(images.len(), 1);
    let image = fake.only(Kind::Image);
    assert!(!has_merge(image), "merge sent to a BuildKit without mergeop: {:#}", render(image));
    let head = head(image).expect("a head op");
    assert!(matches!(head.op, Some(pb::op::Op::File(_))), "head is not a file op: {head:?}");
    assert!(!head.inputs.is_empty(), "the head file op stands on nothing: the pieces are not chained");
    // Same image config as with MergeOp.
    assert_eq!(config(&images[0])["config"]["Entrypoint"], json!(["/out/app"]));
}

#[test]
fn a_buildkit_without_mergeop_is_refused_at_once_naming_the_minimum_version() {
    let mut fake = FakeGateway::old_buildkit(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[]);
    let error = fake.error();
    for want in ["BuildKit v0.10 or newer", "Docker Engine 23", "sticky bit", "SCRATCHKIT_ALLOW_OLD_BUILDKIT=true"] {
        assert!(error.contains(want), "no {want:?} in {error}");
    }
    assert!(fake.solved.is_empty(), "something was solved before the refusal: {} solves", fake.solved.len());
}

/// BuildKit v0.8 (Debian 12's docker.io 20.10): no MergeOp and no include/exclude patterns on copies.
#[test]
fn buildkit_0_8_gets_a_chain_that_merges_directories_and_a_zoneinfo_copy_without_excludes() {
    let mut fake = FakeGateway::old_buildkit(&fixture("ok/smallest.yaml"));
    fake.llb_caps.remove("file.copy.includeexcludepatterns");
    run_frontend(&mut fake, &[ALLOW_OLD]);
    let image = fake.only(Kind::Image);
    let by_digest: BTreeMap<String, pb::Op> =
        image.def.iter().map(|b| (digest_of(b), pb::Op::decode(b.as_slice()).expect("an Op"))).collect();
    // Walk the chain bottom up: each layer op copies its staged tops onto the layers below.
    let mut chain = Vec::new();
    let mut digest = pb::Op::decode(image.def.last().unwrap().as_slice()).unwrap().inputs[0].digest.clone();
    while let Some(pb::op::Op::File(file)) = &by_digest[&digest].op {
        chain.push(file.clone());
        match by_digest[&digest].inputs.first() {
            Some(below) if by_digest[&digest].inputs.len() > 1 => digest = below.digest.clone(),
            _ => break,
        }
    }
    chain.reverse();
    let mut present = BTreeSet::new();
    let mut merged_into_existing = 0;
    for file in &chain {
        for action in &file.actions {
            let Some(pb::file_action::Action::Copy(copy)) = &action.action else { continue };
            assert!(copy.exclude_patterns.is_empty(), "exclude patterns sent to a BuildKit without the cap: {copy:?}");
            // A top already laid down is merged into (its contents copied), a new one copied whole.
            assert_eq!(copy.dir_copy_contents, present.contains(&copy.dest), "{} onto {present:?}", copy.dest);
            merged_into_existing += usize::from(copy.dir_copy_contents);
        }
        present.extend(file.actions.iter().filter_map(|a| match &a.action {
            Some(pb::file_action::Action::Copy(c)) => Some(c.dest.clone()),
            _ => None,
        }));
    }
    let dests: Vec<Vec<(String, bool)>> = chain
        .iter()
        .map(|f| {
            f.actions
                .iter()
                .filter_map(|a| match &a.action {
                    Some(pb::file_action::Action::Copy(c)) => Some((c.dest.clone(), c.dir_copy_contents)),
                    _ => None,
                })
                .collect()
        })
        .collect();
    assert!(merged_into_existing >= 1, "the users and the certificates layers both hold /etc: {dests:?}");
    let warned = fake.warnings.iter().any(|w| w.message.contains("cannot leave files out of a copy"));
    assert!(warned, "no warning that zoneinfo keeps right/: {:?}", fake.warnings);
}

#[test]
fn with_and_without_mergeop_the_image_has_the_same_layers() {
    let spec = fixture("ok/smallest.yaml");
    let (mut modern, mut old) =
        (fake_with_dynamic_app(FakeGateway::modern(&spec)), fake_with_dynamic_app(FakeGateway::old_buildkit(&spec)));
    run_frontend(&mut modern, &[]);
    run_frontend(&mut old, &[ALLOW_OLD]);
    let (merged, chained) = (layer_names(modern.only(Kind::Image)), layer_names(old.only(Kind::Image)));
    assert_eq!(merged, chained, "the chain lost or reordered a layer");
    for layer in [
        "[rootfs] users, home, tmp, nsswitch",
        "[rootfs] ca-certificates, services, protocols, mime-types",
        "[rootfs] timezones",
        "[rootfs] libraries",
        "[app] /out/app",
    ] {
        assert!(merged.iter().any(|n| n == layer), "no `{layer}` layer in {merged:?}");
    }
    assert_eq!(merged.last().map(String::as_str), Some("[app] /out/app"), "the app is not the top layer: {merged:?}");
}
