//! The build-time checks read the builder's output through the probe (`lower::probe`): what they read
//! there and what they still read in the builder, and what the image copies from the probe.

use crate::frontend::*;
use crate::support::definitions::*;
use crate::support::fake_gateway::*;

#[test]
fn a_static_binary_is_checked_through_the_probe_without_reading_the_builder() {
    let mut fake = with_dpkg(FakeGateway::modern(&fixture("ok/smallest.yaml")))
        .with_file("/out/app", 0o755)
        .with_file("/usr/share/doc/base-files/copyright", 0o644)
        .with_file("/usr/share/doc/ca-certificates/copyright", 0o644)
        .with_file("/etc/os-release", 0o644); // as Debian's symlink is seen (stat follows it)
    fake.builder_bytes.remove("/out/app"); // a static program: no library closure
    run_frontend(&mut fake, &[]);
    fake.images();
    // On a build whose steps all come from a cache, reading the builder is what pulls its image. Only a
    // copyright file the probe lacks is looked for there (a doc directory may be a symlink it cannot follow).
    assert_eq!(fake.builder_reads, ["/usr/share/doc/netbase/copyright"], "the checks read the builder itself");
    assert!(!fake.probe_reads.is_empty());
    // What the probe holds: the copy, the rootfs pieces, the dpkg database, os-release and copyright files.
    let copies = probe_copies(fake.only(Kind::Probe));
    for path in ["/out/app", CA_BUNDLE, ZONEINFO, SERVICES, "/var/lib/dpkg", "/etc/os-release", "/usr/share/doc"] {
        assert!(copies.iter().any(|c| c.holds(path)), "the probe lacks {path}");
    }
    // The image's copies of what the checks read as such take it from the probe: what was checked ships,
    // and a cache export carries the probe. The zone tree and copyright files, which the probe holds only
    // in part, come from the builder.
    let image = fake.only(Kind::Image);
    assert!(op_names(image).iter().any(|n| n == scratchkit::lower::probe::NAME), "the image does not use the probe");
    let probe = probe_copies(fake.only(Kind::Probe));
    let sources = |stage: &str| -> Vec<(Option<String>, String)> {
        let actions = actions_of(image, stage);
        assert!(!actions.is_empty(), "no op named {stage}");
        actions
            .iter()
            .filter_map(|a| a["copy"].as_str())
            .map(|src| (from_probe(&probe, src), src.to_string()))
            .collect()
    };
    let from_the_probe = |stage: &str| -> Vec<String> {
        sources(stage).into_iter().map(|(p, src)| p.unwrap_or_else(|| panic!("{src} is not from the probe"))).collect()
    };
    assert_eq!(from_the_probe("[internal] stage [app] /out/app"), ["/out/app"]);
    let mut etc = from_the_probe("[internal] stage [rootfs] ca-certificates, services, protocols, mime-types");
    etc.sort();
    assert_eq!(etc, [MIME_TYPES, PROTOCOLS, SERVICES, CA_BUNDLE]);
    assert_eq!(sources("[internal] stage [rootfs] timezones"), [(None, ZONEINFO.to_string())]);
    let metadata = sources("[internal] stage [rootfs] package metadata");
    assert!(metadata.contains(&(
        Some("/etc/os-release".into()),
        metadata.iter().find(|(p, _)| p.is_some()).map(|(_, s)| s.clone()).unwrap_or_default()
    )));
    assert!(
        metadata.iter().any(|(p, src)| p.is_none() && src == "/usr/share/doc/ca-certificates/copyright"),
        "{metadata:?}"
    );
}

#[test]
fn a_name_missing_from_a_held_directory_is_not_looked_for_in_the_builder() {
    // A copy of a directory's contents into /etc: whether it holds passwd, group, ... is asked below the
    // copied directory; the probe's listing of it answers for the builder.
    let spec = format!(
        "{}  - {{from: /out/etc/, to: /etc/}}\nimage:\n  entrypoint: [/out/app]\n",
        fixture("ok/smallest.yaml")
    );
    let mut fake = FakeGateway::modern(&spec).with_file("/out/etc", DIR | 0o755).with_file("/out/etc/app.conf", 0o644);
    run_frontend(&mut fake, &[]);
    fake.images();
    assert!(!fake.probe_reads.is_empty());
    assert!(!fake.builder_reads.iter().any(|p| p.starts_with("/out/etc")), "{:?}", fake.builder_reads);
    // And one that is there is found, through the probe.
    let mut fake = FakeGateway::modern(&spec)
        .with_file("/out/etc", DIR | 0o755)
        .with_file("/out/etc/app.conf", 0o644)
        .with_file("/out/etc/passwd", 0o644);
    run_frontend(&mut fake, &[]);
    assert!(fake.error().contains("`/out/etc/passwd` would be copied onto `/etc/passwd`"), "{}", fake.error());
}

#[test]
fn a_dynamic_binary_reads_only_its_libraries_from_the_builder() {
    let mut fake = fake_with_dynamic_app(FakeGateway::modern(&fixture("ok/smallest.yaml")));
    run_frontend(&mut fake, &[]);
    fake.images();
    assert!(!fake.builder_reads.is_empty(), "the library closure is found in the builder");
    let read_app = fake.builder_reads.iter().filter(|p| p.starts_with("/out")).collect::<Vec<_>>();
    assert!(read_app.is_empty(), "the binary was read from the builder, not the probe: {read_app:?}");
    assert!(fake.builder_reads.iter().any(|p| p.contains("libc.so.6")), "{:?}", fake.builder_reads);
}

#[test]
fn a_probe_that_fails_leaves_the_builder_to_be_read_and_the_image_without_it() {
    // Without /var/lib the dpkg reads cannot start: the probe fails, and the build goes on as before it.
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml")).without_file("/var/lib");
    run_frontend(&mut fake, &[]);
    fake.images();
    assert_eq!(fake.definitions(Kind::Probe).len(), 1);
    assert!(fake.builder_reads.iter().any(|p| p == "/out/app"), "{:?}", fake.builder_reads);
    let image = fake.only(Kind::Image);
    assert!(
        !op_names(image).iter().any(|n| n == scratchkit::lower::probe::NAME),
        "the image copies from a probe that failed"
    );
}

#[test]
fn a_name_listed_in_a_held_directory_but_not_readable_there_is_looked_for_in_the_builder() {
    // /out/etc/passwd links to the builder's /etc/passwd: the builder resolves it, the probe cannot.
    let spec = format!(
        "{}  - {{from: /out/etc/, to: /etc/}}\nimage:\n  entrypoint: [/out/app]\n",
        fixture("ok/smallest.yaml")
    );
    let mut fake = FakeGateway::modern(&spec)
        .with_file("/out/etc", DIR | 0o755)
        .with_file("/out/etc/app.conf", 0o644)
        .with_file("/etc/passwd", 0o644)
        .with_link("/out/etc/passwd", "/etc/passwd");
    run_frontend(&mut fake, &[]);
    assert!(fake.error().contains("`/out/etc/passwd` would be copied onto `/etc/passwd`"), "{}", fake.error());
    assert!(fake.builder_reads.iter().any(|p| p == "/out/etc/passwd"), "{:?}", fake.builder_reads);
}

/// A spec that copies `n` files out of `/out/files` (and the entrypoint), and a builder that has them.
fn sibling_copies(n: usize) -> FakeGateway {
    let mut spec =
        "# syntax=scratchkit:dev\nbuilder:\n  image: golang:1.23\n  run: make\ncopy:\n  - /out/app\n".to_string();
    spec.extend((0..n).map(|i| format!("  - /out/files/f{i:04}\n")));
    spec.push_str("image:\n  entrypoint: [/out/app]\n");
    (0..n).fold(FakeGateway::modern(&spec).with_file("/out/files", DIR | 0o755), |fake, i| {
        fake.with_file(&format!("/out/files/f{i:04}"), 0o644)
    })
}

/// How many of the probe's copies make BuildKit walk `dir`: a literal copy walks all that is below its
/// source, a pattern all that is below where it starts.
fn walks_of(copies: &[ProbeCopy], dir: &str) -> usize {
    copies.iter().filter(|c| c.from.as_deref().unwrap_or(&c.path) == dir).count()
}

#[test]
fn copies_out_of_one_directory_walk_it_once() {
    let mut sizes = Vec::new();
    for n in [3, 300] {
        let mut fake = sibling_copies(n);
        run_frontend(&mut fake, &[]);
        fake.images();
        let copies = probe_copies(fake.only(Kind::Probe));
        // One walk of the directory however many files are copied out of it (a pattern per file walked it
        // once per file: 1,000 files took 18 s, 3,000 took 89 s).
        assert_eq!(walks_of(&copies, "/out/files"), 1, "{n} copies");
        let files = copies.iter().find(|c| c.path == "/out/files").expect("a copy of /out/files");
        assert_eq!(files.include.len(), n);
        assert!((0..n).all(|i| files.holds(&format!("/out/files/f{i:04}"))));
        sizes.push(copies.len());
        // All read through the probe, and the image's copies of them take them from there.
        assert!(!fake.builder_reads.iter().any(|p| p.starts_with("/out")), "{:?}", fake.builder_reads);
        let image = fake.only(Kind::Image);
        let from_probe: Vec<String> = rendered_ops(image)
            .iter()
            .flat_map(|op| op["file"].as_array().cloned().unwrap_or_default())
            .filter_map(|a| from_probe(&copies, a["copy"].as_str()?))
            .collect();
        assert_eq!(from_probe.iter().filter(|p| p.starts_with("/out/files/")).count(), n, "{from_probe:?}");
    }
    assert_eq!(sizes[0], sizes[1], "the probe has a copy per file");
}

#[test]
fn a_layer_of_many_copies_is_named_by_its_first_eight() {
    let mut fake = sibling_copies(300);
    run_frontend(&mut fake, &[]);
    let names = op_names(fake.only(Kind::Image));
    let app =
        "[app] /out/app /out/files/f0000 /out/files/f0001 /out/files/f0002 /out/files/f0003 /out/files/f0004 /out/files/f0005 /out/files/f0006 and 293 more";
    assert!(
        names.iter().any(|n| n == app),
        "{:?}",
        names.iter().filter(|n| n.contains("[app]")).map(|n| &n[..n.len().min(200)]).collect::<Vec<_>>()
    );
    assert!(names.iter().all(|n| n.len() < 300), "a name grows with the copies");
}

#[test]
fn the_checks_have_at_most_16_gateway_requests_in_flight() {
    // 60 files checked at once, 16 requests at a time, whether the probe has them, lacks them (its listing
    // says so) or holds a link to outside it (then read in the builder).
    let n = 60;
    let missing = (0..n).fold(sibling_copies(n), |fake, i| fake.without_file(&format!("/out/files/f{i:04}")));
    let linked = (0..n).fold(sibling_copies(n).with_file("/opt/data", 0o644), |fake, i| {
        fake.with_link(&format!("/out/files/f{i:04}"), "/opt/data")
    });
    for (what, mut fake) in [("found", sibling_copies(n)), ("missing", missing), ("linked", linked)] {
        run_frontend(&mut fake, &[]);
        assert_eq!(fake.peak_in_flight, 16, "{what}");
    }
}

#[test]
fn a_copied_symlink_is_read_and_copied_from_the_builder() {
    // The probe copies the entries of /out as they are: /out/app, a link to /opt/app, points outside it.
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"))
        .with_file("/opt/app", 0o755)
        .with_link("/out/app", "/opt/app");
    run_frontend(&mut fake, &[]);
    fake.images();
    assert!(fake.builder_reads.iter().any(|p| p == "/out/app"), "{:?}", fake.builder_reads);
    let probe = probe_copies(fake.only(Kind::Probe));
    let app = actions_of(fake.only(Kind::Image), "[internal] stage [app] /out/app");
    let sources: Vec<(Option<String>, &str)> =
        app.iter().filter_map(|a| a["copy"].as_str()).map(|src| (from_probe(&probe, src), src)).collect();
    assert_eq!(sources, [(None, "/out/app")], "the image copies the link out of the probe");
}

#[test]
fn a_probe_buildkit_refuses_to_solve_is_dropped_too() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    fake.refuse_probe = true;
    run_frontend(&mut fake, &[]);
    fake.images();
    assert!(fake.builder_reads.iter().any(|p| p == "/out/app"), "{:?}", fake.builder_reads);
    assert!(!op_names(fake.only(Kind::Image)).iter().any(|n| n == scratchkit::lower::probe::NAME));
}

#[test]
fn buildkit_without_include_patterns_gets_no_probe() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    fake.llb_caps.remove("file.copy.includeexcludepatterns");
    run_frontend(&mut fake, &[]);
    fake.images();
    assert!(fake.definitions(Kind::Probe).is_empty());
    assert!(fake.builder_reads.iter().any(|p| p == "/out/app"));
}
