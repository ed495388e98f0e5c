//! Package metadata: the dpkg records of the packages whose files the image takes, in one layer.

use crate::frontend::*;
use crate::support::definitions::*;
use crate::support::fake_gateway::*;
use std::collections::BTreeMap;

#[test]
fn the_owning_packages_of_copied_builder_files_get_dpkg_metadata_in_one_layer() {
    let mut fake = with_dpkg(FakeGateway::modern(&fixture("ok/smallest.yaml")));
    run_frontend(&mut fake, &[]);
    fake.images();
    let image = fake.only(Kind::Image);
    let layers = layer_names(image);
    assert_eq!(layers.iter().filter(|n| *n == "[rootfs] package metadata").count(), 1, "{layers:#?}");
    assert_eq!(layers.last().map(String::as_str), Some("[app] /out/app"), "{layers:#?}");

    let staged = actions_of(image, "[internal] stage [rootfs] package metadata");
    let files: BTreeMap<String, String> = staged
        .iter()
        .filter_map(|a| Some((a["mkfile"].as_str()?.to_string(), a["data"].as_str()?.to_string())))
        .collect();
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "/var/lib/dpkg/status.d/base-files",
            "/var/lib/dpkg/status.d/ca-certificates",
            "/var/lib/dpkg/status.d/libc6",
            "/var/lib/dpkg/status.d/libc6.md5sums",
            "/var/lib/dpkg/status.d/netbase",
            "/var/lib/dpkg/status.d/tzdata",
            "/var/lib/dpkg/status.d/tzdata.md5sums",
        ],
        "gcc owns nothing copied, oldpkg is not installed"
    );
    // The stanza as is, continuation lines included; md5sums of the copied files only.
    assert_eq!(
        files["/var/lib/dpkg/status.d/libc6"],
        "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9+deb12u14\nDescription: GNU C Library: Shared libraries\n Contains the standard libraries.\n"
    );
    assert_eq!(
        files["/var/lib/dpkg/status.d/libc6.md5sums"],
        "11111111111111111111111111111111  usr/lib/x86_64-linux-gnu/libc.so.6\n33333333333333333333333333333333  usr/share/doc/libc6/copyright\n"
    );
    assert_eq!(
        files["/var/lib/dpkg/status.d/tzdata.md5sums"],
        "44444444444444444444444444444444  usr/share/zoneinfo/Europe/Amsterdam\n"
    );
    assert!(files["/var/lib/dpkg/status.d/ca-certificates"].contains("Version: 20230311+deb12u1\n"));
    assert!(staged.iter().filter(|a| a.get("mkfile").is_some()).all(|a| a["mode"] == "0644"), "{staged:#?}");

    // Copied from the builder itself: os-release (found at /usr/lib, which the probe does not hold) and the
    // copyright files it has (the probe cannot vouch for a missing one).
    let probe = probe_copies(fake.only(Kind::Probe));
    let copies: BTreeMap<String, String> = staged
        .iter()
        .filter_map(|a| {
            let src = a["copy"].as_str()?;
            assert_eq!(from_probe(&probe, src), None, "{src} is copied from the probe");
            Some((a["dest"].as_str()?.to_string(), src.to_string()))
        })
        .collect();
    let expected: BTreeMap<String, String> = [
        ("/etc/os-release", "/usr/lib/os-release"),
        ("/usr/share/doc/libc6/copyright", "/usr/share/doc/libc6/copyright"),
        ("/usr/share/doc/tzdata/copyright", "/usr/share/doc/tzdata/copyright"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(copies, expected);
}

#[test]
fn package_metadata_false_or_a_builder_without_dpkg_gives_no_metadata_layer() {
    let spec = format!("{}rootfs:\n  package-metadata: false\n", fixture("ok/smallest.yaml"));
    let mut fake = with_dpkg(FakeGateway::modern(&spec));
    run_frontend(&mut fake, &[]);
    fake.images();
    assert!(!layer_names(fake.only(Kind::Image)).iter().any(|n| n.contains("package metadata")));
    // No /var/lib/dpkg at all (the default fake): no error, no layer.
    let mut fake = fake_with_dynamic_app(FakeGateway::modern(&fixture("ok/smallest.yaml")));
    run_frontend(&mut fake, &[]);
    fake.images();
    assert!(!layer_names(fake.only(Kind::Image)).iter().any(|n| n.contains("package metadata")));
}

#[test]
fn package_metadata_layers_are_the_same_with_and_without_mergeop() {
    let mut modern = with_dpkg(FakeGateway::modern(&fixture("ok/smallest.yaml")));
    let mut old = with_dpkg(FakeGateway::old_buildkit(&fixture("ok/smallest.yaml")));
    run_frontend(&mut modern, &[]);
    run_frontend(&mut old, &[ALLOW_OLD]);
    assert_eq!(layer_names(modern.only(Kind::Image)), layer_names(old.only(Kind::Image)));
}
