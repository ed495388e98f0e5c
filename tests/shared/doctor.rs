//! Shared by the offline and the end-to-end `doctor` tests, each of which includes this file with `#[path]`
//! (the two test binaries share no crate): what scratch lacks, and a spec `doctor --spec` prints that
//! `check` accepts.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What scratch lacks: the findings of a static program alone in a `FROM scratch` image.
pub const NAIVE: &[&str] = &[
    "passwd",
    "group",
    "root",
    "ca-certificates",
    "tmp",
    "zoneinfo",
    "nsswitch",
    "services",
    "protocols",
    "mime-types",
];

/// `scratchkit doctor --spec --builder <builder> <input>` (an image layout, archive or reference), written to
/// `dir/scratch.yaml`, which `scratchkit check` must accept: the spec and its path.
pub fn printed_spec(input: &str, builder: &str, dir: &Path) -> (String, PathBuf) {
    let out = Command::new(env!("CARGO_BIN_EXE_scratchkit"))
        .args(["doctor", "--spec", "--builder", builder, input])
        .output()
        .unwrap();
    let spec = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "doctor --spec {input}: {spec}{}", String::from_utf8_lossy(&out.stderr));
    let path = dir.join("scratch.yaml");
    std::fs::write(&path, &spec).unwrap();
    let check = Command::new(env!("CARGO_BIN_EXE_scratchkit")).arg("check").arg(&path).output().unwrap();
    assert!(
        check.status.success(),
        "check refuses the spec of {input}:\n{spec}\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
    (spec, path)
}
