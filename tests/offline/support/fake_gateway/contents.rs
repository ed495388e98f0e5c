//! Builder contents beyond the fake's defaults: real ELF bytes from the host (a program compiled by its
//! gcc, its loader and libc) and a small dpkg database.

use super::FakeGateway;

/// A C program compiled by the host's gcc (dynamically linked against the host's glibc), compiled once
/// for all tests (they run in parallel and would race on the files).
pub fn compiled_c_program() -> Vec<u8> {
    static PROGRAM: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    PROGRAM
        .get_or_init(|| {
            let dir = std::env::temp_dir().join(format!("scratchkit-fake-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let (src, out) = (dir.join("hello.c"), dir.join("hello"));
            std::fs::write(&src, "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n").unwrap();
            let status = std::process::Command::new("gcc").arg("-o").arg(&out).arg(&src).status().expect("gcc runs");
            assert!(status.success(), "gcc failed");
            std::fs::read(&out).unwrap()
        })
        .clone()
}

/// The host's dynamic loader and libc, at the paths a Debian amd64 builder has them.
pub const LOADER: &str = "/lib64/ld-linux-x86-64.so.2";
pub const LIBC: &str = "/lib/x86_64-linux-gnu/libc.so.6";

/// A modern BuildKit whose builder produced a real dynamically linked `/out/app` and has glibc.
pub fn fake_with_dynamic_app(fake: FakeGateway) -> FakeGateway {
    let host = |p: &str| std::fs::read(p).unwrap_or_else(|e| panic!("the host has no {p}: {e}"));
    fake.with_bytes("/out/app", 0o755, compiled_c_program()).with_bytes(LOADER, 0o755, host(LOADER)).with_bytes(
        LIBC,
        0o755,
        host(LIBC),
    )
}

/// A small dpkg database in the builder: on a merged-/usr system (`/lib` and `/usr/lib` list the same),
/// libc6 lists its libc under `/usr/lib` while the closure finds it under `/lib`; ca-certificates lists
/// only directories (its bundle is generated); tzdata has a `right/` zone that is not copied; gcc owns
/// nothing the image takes; an old package is removed but left its configuration.
pub fn with_dpkg(fake: FakeGateway) -> FakeGateway {
    let info = |name: &str| format!("/var/lib/dpkg/info/{name}");
    let status = "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9+deb12u14\nDescription: GNU C Library: Shared libraries\n Contains the standard libraries.\n\n\
Package: gcc\nStatus: install ok installed\nArchitecture: amd64\nVersion: 4:12.2.0-3\n\n\
Package: ca-certificates\nStatus: install ok installed\nArchitecture: all\nVersion: 20230311+deb12u1\n\n\
Package: tzdata\nStatus: install ok installed\nArchitecture: all\nVersion: 2026b-0+deb12u1\n\n\
Package: netbase\nStatus: install ok installed\nArchitecture: all\nVersion: 6.4\n\n\
Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4+deb12u12\n\n\
Package: oldpkg\nStatus: deinstall ok config-files\nArchitecture: all\nVersion: 1\n";
    let host = |p: &str| std::fs::read(p).unwrap_or_else(|e| panic!("the host has no {p}: {e}"));
    fake_with_dynamic_app(fake)
        .with_bytes(&format!("/usr{LIBC}"), 0o755, host(LIBC))
        .with_bytes(&info("libc6:amd64.list"), 0o644, b"/.\n/usr/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu/libc.so.6\n/usr/lib/x86_64-linux-gnu/libm.so.6\n/lib64/ld-linux-x86-64.so.2\n/usr/share/doc/libc6/copyright\n".to_vec())
        .with_bytes(&info("libc6:amd64.md5sums"), 0o644, b"11111111111111111111111111111111  usr/lib/x86_64-linux-gnu/libc.so.6\n22222222222222222222222222222222  usr/lib/x86_64-linux-gnu/libm.so.6\n33333333333333333333333333333333  usr/share/doc/libc6/copyright\n".to_vec())
        .with_bytes(&info("libc6:amd64.postinst"), 0o755, b"#!/bin/sh\n".to_vec())
        .with_bytes(&info("gcc.list"), 0o644, b"/usr/bin/gcc\n".to_vec())
        .with_bytes(&info("ca-certificates.list"), 0o644, b"/etc/ssl\n/etc/ssl/certs\n/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt\n".to_vec())
        .with_bytes(&info("tzdata.list"), 0o644, b"/usr/share/zoneinfo\n/usr/share/zoneinfo/Europe/Amsterdam\n/usr/share/zoneinfo/right/UTC\n".to_vec())
        .with_bytes(&info("tzdata.md5sums"), 0o644, b"44444444444444444444444444444444  usr/share/zoneinfo/Europe/Amsterdam\n55555555555555555555555555555555  usr/share/zoneinfo/right/UTC\n".to_vec())
        .with_bytes(&info("netbase.list"), 0o644, b"/etc/services\n/etc/protocols\n".to_vec())
        .with_bytes(&info("base-files.list"), 0o644, b"/etc/os-release\n/usr/lib/os-release\n".to_vec())
        .with_bytes(&info("oldpkg.list"), 0o644, b"/etc/services\n".to_vec())
        .with_bytes("/var/lib/dpkg/status", 0o644, status.as_bytes().to_vec())
        .with_bytes("/usr/lib/os-release", 0o644, b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n".to_vec())
        // The fake has no symlinks: `/lib` shows what `/usr/lib` has, as the merged-/usr symlink would.
        .with_file("/lib/os-release", 0o644)
        .with_file("/usr/share/doc/libc6/copyright", 0o644)
        .with_file("/usr/share/doc/tzdata/copyright", 0o644)
}
