//! The checks of the builder's output: missing files, modes, files that would replace the rootfs's own,
//! debug information.

use crate::frontend::*;
use crate::support::fake_gateway::*;
use scratchkit::rules::codes::*;

#[test]
fn missing_builder_output_points_at_its_copy_entry() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml")).without_file("/out/app");
    run_frontend(&mut fake, &[]);

    let error = fake.error();
    assert!(reports(error, SK327, "`/out/app`"), "{error}");
    // smallest.yaml line 6: `  - /out/app`.
    assert!(error.contains("scratch.yaml:6:5"), "{error}");
    assert!(fake.definitions(Kind::Image).is_empty(), "the image was solved despite the error");
}

#[test]
fn missing_ca_bundle_names_the_package_to_install() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml")).without_file(CA_BUNDLE);
    run_frontend(&mut fake, &[]);

    let error = fake.error();
    assert!(reports(error, SK333, CA_BUNDLE), "{error}");
    assert!(error.contains("apt-get install ca-certificates"), "{error}");
    // smallest.yaml line 3: `  image: golang:1.23`, the value.
    assert!(error.contains("scratch.yaml:3:10"), "{error}");
}

/// A copy of a directory's contents into `/etc/` is legal at check time; what the directory holds is only
/// known after `run`. A `passwd` or `nsswitch.conf` among it would replace the rootfs's files unseen.
#[test]
fn a_copied_directory_holding_passwd_or_nsswitch_is_refused_after_the_build() {
    let spec = "# syntax=scratchkit:dev\nbuilder:\n  image: golang:1.23\n  run: make\ncopy:\n  - /out/app\n  - {from: /out/etc/, to: /etc/}\n";
    let mut fake = FakeGateway::modern(spec)
        .with_file("/out/etc", DIR | 0o755)
        .with_file("/out/etc/app.toml", 0o644)
        .with_file("/out/etc/passwd", 0o644)
        .with_file("/out/etc/nsswitch.conf", 0o644);
    run_frontend(&mut fake, &[]);
    let error = fake.error();
    assert!(
        error.contains(
            "`/out/etc/passwd` would be copied onto `/etc/passwd`, which `rootfs.users` and `rootfs.groups` writes"
        ),
        "{error}"
    );
    assert!(
        error.contains(
            "`/out/etc/nsswitch.conf` would be copied onto `/etc/nsswitch.conf`, which `rootfs.nsswitch` writes"
        ),
        "{error}"
    );
    assert!(error.contains("set `rootfs.nsswitch: false` to ship your own"), "{error}");
    // The copy entry's line: `  - {from: /out/etc/, to: /etc/}`.
    assert!(error.contains("scratch.yaml:7:5"), "{error}");
    assert!(!error.contains("app.toml"), "{error}");
    assert!(fake.definitions(Kind::Image).is_empty(), "the image was solved despite the error");

    // Without those two files, the same spec builds, and the contents land in /etc.
    let mut fake = FakeGateway::modern(spec).with_file("/out/etc", DIR | 0o755).with_file("/out/etc/app.toml", 0o644);
    run_frontend(&mut fake, &[]);
    assert_eq!(fake.images().0.len(), 1);
}

#[test]
fn entrypoint_without_execute_bit_hints_at_mode() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml")).with_file("/out/app", 0o644);
    run_frontend(&mut fake, &[]);

    let error = fake.error();
    assert!(error.contains("entrypoint `/out/app` is not executable (mode 0644)"), "{error}");
    assert!(error.contains(r#"mode: "0755""#), "{error}");
}

/// With `cmd` and no entrypoint, `cmd[0]` is the program: the build-time error names it and points at it.
#[test]
fn cmd_program_without_execute_bit_is_named_cmd() {
    let spec = "# syntax=scratchkit:dev\nbuilder:\n  image: golang:1.23\n  run: make\ncopy: [/out/app, /out/tool]\nimage:\n  cmd: [/out/tool, --serve]\n";
    let mut fake = FakeGateway::modern(spec).with_file("/out/tool", 0o644);
    run_frontend(&mut fake, &[]);

    let error = fake.error();
    assert!(error.contains("cmd[0] `/out/tool` is not executable (mode 0644)"), "{error}");
    // Line 7, `  cmd: [/out/tool, --serve]`: the first item.
    assert!(error.contains("scratch.yaml:7:9"), "{error}");
}

/// A static C program whose debug information is most of the file (2 MiB of it).
fn mostly_debug_information() -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!("scratchkit-fake-debug-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (src, plain, pad, out) = (dir.join("hello.c"), dir.join("plain"), dir.join("pad"), dir.join("padded"));
    std::fs::write(&src, "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n").unwrap();
    let status = std::process::Command::new("gcc")
        .args(["-static", "-g", "-o"])
        .arg(&plain)
        .arg(&src)
        .status()
        .expect("gcc runs");
    assert!(status.success(), "gcc failed");
    std::fs::write(&pad, vec![0x5a; 2 << 20]).unwrap();
    let section = format!(".debug_pad={}", pad.display());
    let status = std::process::Command::new("objcopy")
        .args(["--add-section", &section])
        .arg(&plain)
        .arg(&out)
        .status()
        .expect("objcopy runs");
    assert!(status.success(), "objcopy failed");
    std::fs::read(&out).unwrap()
}

#[test]
fn debug_information_is_a_note_in_the_log_not_a_build_warning() {
    let mut fake =
        FakeGateway::modern(&fixture("ok/smallest.yaml")).with_bytes("/out/app", 0o755, mostly_debug_information());
    run_frontend(&mut fake, &[]);

    assert!(!fake.definitions(Kind::Image).is_empty(), "the image was not solved");
    // buildx would print "1 warning found" for it: the note (SK331) stays in the daemon log.
    assert!(fake.warnings.is_empty(), "a note was sent as a warning: {:?}", fake.warnings);
}
