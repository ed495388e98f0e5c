//! `rootfs` data files (services, protocols, MIME types) the builder may lack.

use crate::frontend::*;
use crate::support::definitions::*;
use crate::support::fake_gateway::*;

#[test]
fn a_builder_without_netbase_or_media_types_warns_and_the_image_goes_without_them() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"))
        .without_file(SERVICES)
        .without_file(PROTOCOLS)
        .without_file(MIME_TYPES);
    run_frontend(&mut fake, &[]);

    let (images, _) = fake.images();
    assert_eq!(images.len(), 1);
    // One warning per package, at the builder image (smallest.yaml line 3, the value), naming what to install.
    let warnings: Vec<(String, String, usize, usize)> = fake
        .warnings
        .iter()
        .map(|w| (w.message.clone(), w.hint.clone().unwrap_or_default(), w.line, w.column))
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert_eq!(
        warnings[0].0,
        "the builder image has no `/etc/services` or `/etc/protocols`, so the image is built without them"
    );
    assert!(
        warnings[0].1.contains("apt-get install netbase") && warnings[0].1.contains("`rootfs.services: false`"),
        "{warnings:#?}"
    );
    assert_eq!(warnings[1].0, "the builder image has no `/etc/mime.types`, so the image is built without it");
    assert!(warnings[1].1.contains("apt-get install media-types"), "{warnings:#?}");
    assert!(warnings.iter().all(|w| (w.2, w.3) == (3, 10)), "{warnings:#?}");
    // The pieces are left out; the CA bundle still comes in its layer.
    let dests = copy_destinations(fake.only(Kind::Image));
    for gone in [SERVICES, PROTOCOLS, MIME_TYPES] {
        assert!(!dests.iter().any(|d| d == gone), "{gone} is still copied: {dests:?}");
    }
    assert!(dests.iter().any(|d| d == CA_BUNDLE), "{dests:?}");
    assert!(
        rendered_ops(fake.only(Kind::Image)).iter().any(|op| op["name"] == "[rootfs] ca-certificates"),
        "the layer is not named for what it holds"
    );
}

#[test]
fn with_netbase_and_media_types_the_files_share_the_ca_bundle_layer() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[]);
    fake.images();
    let dests = copy_destinations(fake.only(Kind::Image));
    for want in [SERVICES, PROTOCOLS, MIME_TYPES] {
        assert!(dests.iter().any(|d| d == want), "{want} is not copied: {dests:?}");
    }
    let names: Vec<String> =
        rendered_ops(fake.only(Kind::Image)).iter().filter_map(|op| op["name"].as_str().map(str::to_string)).collect();
    assert!(names.iter().any(|n| n == "[rootfs] ca-certificates, services, protocols, mime-types"), "{names:#?}");
}

#[test]
fn a_data_file_the_spec_asks_for_must_be_in_the_builder() {
    // data-files.yaml asks for `services: true` (line 9), switches protocols off, leaves mime-types default.
    let mut fake = FakeGateway::modern(&fixture("ok/data-files.yaml")).without_file(SERVICES).without_file(MIME_TYPES);
    run_frontend(&mut fake, &[]);

    let error = fake.error();
    assert!(
        error.contains("error[SK336]: `rootfs.services: true`, but the builder image has no `/etc/services`"),
        "{error}"
    );
    assert!(error.contains("scratch.yaml:9:13"), "{error}");
    assert!(error.contains("apt-get install netbase"), "{error}");
    // The optional file is only a warning, shown with the error.
    assert!(error.contains("warning[SK338]: the builder image has no `/etc/mime.types`"), "{error}");
    assert!(error.contains("1 error and 1 warning found"), "{error}");
    assert!(fake.definitions(Kind::Image).is_empty(), "the image was solved despite the error");
}
