//! `rootfs` pieces taken from the builder: time zone names and the CA bundle.

use super::*;

#[test]
fn every_unsafe_zone_name_is_refused_on_its_own() {
    // Each breaks exactly one of the rules, so dropping any one rule lets its name through.
    for zone in ["/etc/passwd", "Europe/../../etc", "Europe//Paris", "Europe/Par is", "Europe/Paris;"] {
        let spec = format!("{BUILDER}rootfs:\n  timezones: [\"{zone}\"]\n");
        assert_eq!(errors(&spec, &[]).len(), 1, "{zone} was accepted");
    }
    assert!(errors(
        &format!("{BUILDER}rootfs:\n  timezones: [Europe/Amsterdam, America/Port-au-Prince, Etc/GMT+1, UTC]\n"),
        &[]
    )
    .is_empty());
}

#[test]
fn the_ca_bundle_must_be_one_file() {
    for from in ["/", "/etc/ssl/certs/", "context:.", "context:certs/"] {
        let ds = diagnostics(&format!("{BUILDER}rootfs:\n  ca-certificates: {{from: \"{from}\"}}\n"), &[]);
        let errors: Vec<_> = ds.iter().filter(|d| d.0 == scratchkit::diag::Severity::Error).collect();
        assert_eq!(errors.len(), 1, "{from}: {ds:?}");
        assert!(errors[0].1.contains("must name one file"), "{from}: {ds:?}");
    }
    assert!(
        errors(&format!("{BUILDER}rootfs:\n  ca-certificates: {{from: \"context:certs/ca.pem\"}}\n"), &[]).is_empty()
    );
}

#[test]
fn all_time_zones_need_a_builder() {
    let spec = "copy: [{from: \"context:app\", to: /app}]\nimage: {entrypoint: [/app]}\nrootfs:\n  timezones: all\n";
    let errs = errors(spec, &[]);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("no builder to take time zones from"), "{errs:?}");
}
