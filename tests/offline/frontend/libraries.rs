//! Dynamically linked programs: their loader and libraries in the `[rootfs] libraries` layer, from the
//! builder; the errors when they cannot be had.

use crate::frontend::*;
use crate::support::definitions::*;
use crate::support::fake_gateway::*;
use scratchkit::proto::pb;
use scratchkit::rules::codes::*;

#[test]
fn a_real_dynamic_binary_gets_its_loader_and_libc_in_the_libraries_layer() {
    let mut fake = fake_with_dynamic_app(FakeGateway::modern(&fixture("ok/smallest.yaml")));
    run_frontend(&mut fake, &[]);
    fake.images();
    let image = fake.only(Kind::Image);
    let copies: Vec<String> = rendered_ops(image)
        .iter()
        .filter(|op| op["name"].as_str() == Some("[internal] stage [rootfs] libraries"))
        .flat_map(|op| op["file"].as_array().cloned().unwrap_or_default())
        .filter_map(|action| action["copy"].as_str().map(str::to_string))
        .collect();
    for wanted in [LOADER, LIBC] {
        assert!(copies.iter().any(|c| c == wanted), "{wanted} is not copied into the libraries layer: {copies:?}");
    }
}

/// The builder paths the `[rootfs] libraries` layer copies.
fn library_copies(image: &pb::Definition) -> Vec<String> {
    rendered_ops(image)
        .iter()
        .filter(|op| op["name"].as_str() == Some("[internal] stage [rootfs] libraries"))
        .flat_map(|op| op["file"].as_array().cloned().unwrap_or_default())
        .filter_map(|action| action["copy"].as_str().map(str::to_string))
        .collect()
}

/// The image was built, and its libraries layer copies the loader and libc.
fn assert_loader_and_libc_are_brought(fake: &FakeGateway) {
    fake.images();
    let copies = library_copies(fake.only(Kind::Image));
    for wanted in [LOADER, LIBC] {
        assert!(copies.iter().any(|c| c == wanted), "{wanted} is not copied into the libraries layer: {copies:?}");
    }
}

#[test]
fn a_dynamic_binary_inside_a_copied_directory_gets_its_loader_and_libc() {
    let spec = "builder:\n  image: golang:1.23\n  run: make\ncopy:\n  - {from: /out/tree, to: /opt/app}\nimage:\n  entrypoint: [/opt/app/bin/app]\n";
    let host = |p: &str| std::fs::read(p).unwrap_or_else(|e| panic!("the host has no {p}: {e}"));
    let mut fake = FakeGateway::modern(spec)
        .with_file("/out/tree", DIR | 0o755)
        .with_file("/out/tree/bin", DIR | 0o755)
        .with_bytes("/out/tree/bin/app", 0o755, compiled_c_program())
        .with_bytes(
            "/out/tree/README",
            0o644,
            b"not a program, and long enough to be looked at: only its first bytes are read".to_vec(),
        )
        .with_bytes(LOADER, 0o755, host(LOADER))
        .with_bytes(LIBC, 0o755, host(LIBC));
    run_frontend(&mut fake, &[]);
    assert_loader_and_libc_are_brought(&fake);
}

#[test]
fn a_dynamic_binary_from_the_context_without_a_builder_is_a_located_error() {
    let spec = "copy:\n  - hello\n";
    let mut fake = FakeGateway::modern(spec).with_context_file("/hello", compiled_c_program());
    run_frontend(&mut fake, &[]);
    let error = fake.error();
    for want in [
        "scratch.yaml:2:5",
        "`context:hello` is dynamically linked: it needs /lib64/ld-linux-x86-64.so.2 and libc.so.6",
        "without a `builder`",
        "no `run` needed",
    ] {
        assert!(error.contains(want), "no `{want}` in:\n{error}");
    }
    assert!(fake.definitions(Kind::Image).is_empty(), "no image is solved");
    // A static file (here a script) from the context needs nothing.
    let mut fake = FakeGateway::modern(spec)
        .with_context_file("/hello", b"#!/bin/sh\necho hi, as a long enough script to be looked at\n".to_vec());
    run_frontend(&mut fake, &[]);
    fake.images();
}

#[test]
fn a_dynamic_binary_from_a_named_context_without_a_builder_is_a_located_error() {
    let mut fake = FakeGateway::modern("copy:\n  - {from: \"context:web:bin/hello\", to: /hello}\n")
        .with_context_file("/bin/hello", compiled_c_program());
    run_frontend(&mut fake, &[("context:web", "local:web")]);
    let error = fake.error();
    assert!(reports(error, SK317, "`context:web:bin/hello`") && error.contains("scratch.yaml:2:5"), "{error}");
}

#[test]
fn a_dynamic_binary_from_the_context_gets_its_libraries_from_the_builder_image() {
    // A builder with no `run`: its image only provides the libraries.
    let spec = "builder:\n  image: golang:1.23\ncopy:\n  - {from: \"context:hello\", to: /usr/local/bin/hello}\nimage:\n  entrypoint: [/usr/local/bin/hello]\n";
    let host = |p: &str| std::fs::read(p).unwrap_or_else(|e| panic!("the host has no {p}: {e}"));
    let mut fake = FakeGateway::modern(spec)
        .with_context_file("/hello", compiled_c_program())
        .with_bytes(LOADER, 0o755, host(LOADER))
        .with_bytes(LIBC, 0o755, host(LIBC));
    run_frontend(&mut fake, &[]);
    assert_loader_and_libc_are_brought(&fake);
    // The builder without them: the error names the context's file, at its copy entry.
    let mut fake = FakeGateway::modern(spec).with_context_file("/hello", compiled_c_program()).with_bytes(
        LOADER,
        0o755,
        host(LOADER),
    );
    run_frontend(&mut fake, &[]);
    let error = fake.error();
    assert!(
        reports(error, SK313, "`context:hello` needs `libc.so.6`") && error.contains("scratch.yaml:4:5"),
        "{error}"
    );
}

#[test]
fn a_static_script_gets_no_libraries_layer() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[]);
    assert!(!layer_names(fake.only(Kind::Image)).iter().any(|n| n.contains("libraries")));
}

#[test]
fn a_binary_for_another_machine_fails_the_build_before_the_image() {
    let mut elf = compiled_c_program();
    // e_machine (offset 18, little endian): 183 is AArch64.
    elf[18..20].copy_from_slice(&183u16.to_le_bytes());
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml")).with_bytes("/out/app", 0o755, elf);
    run_frontend(&mut fake, &[]);
    let error = fake.error();
    assert!(reports(error, SK330, "linux/amd64"), "{error}");
    assert!(fake.definitions(Kind::Image).is_empty(), "the image was solved despite the error");
}

#[test]
fn a_library_missing_from_the_builder_is_named() {
    let mut fake = fake_with_dynamic_app(FakeGateway::modern(&fixture("ok/smallest.yaml"))).without_file(LIBC);
    fake.builder_bytes.remove(LIBC);
    run_frontend(&mut fake, &[]);
    let error = fake.error();
    assert!(reports(error, SK313, "`libc.so.6`"), "{error}");
}
