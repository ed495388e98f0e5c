//! End to end: `scratchkit doctor` on images Docker's own Dockerfile frontend builds (and one scratchkit
//! builds), read from `docker save`: its findings for each, exactly.
//!
//! Ignored by plain `cargo test` (they need Docker); scripts/test.sh runs them.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{docker_cmd, e2e, run_cmd, BUILDER_IMAGE, BUILD_TIMEOUT, RUN_TIMEOUT};
use serde_json::Value;

#[path = "../shared/doctor.rs"]
mod shared;
use shared::{printed_spec, NAIVE};

const HELLO: &str = "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n";

fn context(name: &str, dockerfile: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scratchkit-e2e-doctor-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("Dockerfile"), dockerfile.replace("BUILDER", BUILDER_IMAGE)).unwrap();
    for (path, text) in files {
        std::fs::write(dir.join(path), text).unwrap();
    }
    dir
}

/// `docker save`s `image` next to the context and runs doctor on it: (exit code, findings as JSON).
fn doctor_of(image: &str, dir: &Path) -> (Option<i32>, Vec<Value>) {
    let archive = dir.join("image.tar");
    let saved = run_cmd(docker_cmd().args(["save", "-o"]).arg(&archive).arg(image), RUN_TIMEOUT);
    assert!(saved.ok, "docker save {image}: {}", saved.all());
    let out = Command::new(env!("CARGO_BIN_EXE_scratchkit")).args(["doctor", "--json"]).arg(&archive).output().unwrap();
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let images = report["images"].as_array().unwrap();
    assert_eq!(images.len(), 1, "{report:#}");
    printed_spec(archive.to_str().unwrap(), BUILDER_IMAGE, dir);
    (out.status.code(), images[0]["findings"].as_array().unwrap().clone())
}

/// Builds the Dockerfile with Docker's frontend, loads it as `scratchkit-e2e/doctor-<name>` and runs doctor.
fn built(name: &str, dockerfile: &str, files: &[(&str, &str)]) -> (Option<i32>, Vec<Value>) {
    let dir = context(name, dockerfile, files);
    let image = format!("scratchkit-e2e/doctor-{name}");
    let out = run_cmd(crate::support::buildx_dockerfile().args(["--load", "-t", &image]).arg(&dir), BUILD_TIMEOUT);
    assert!(out.ok, "building {name}: {}", out.all());
    doctor_of(&image, &dir)
}

fn codes(findings: &[Value]) -> Vec<&str> {
    findings.iter().map(|f| f["code"].as_str().unwrap()).collect()
}

#[test]
#[ignore = "needs Docker; run by scripts/test.sh"]
fn the_naive_scratch_go_image_lacks_what_scratch_lacks() {
    let _e2e = e2e();
    let (code, findings) = built(
        "naive",
        "FROM BUILDER AS build\nWORKDIR /src\nCOPY main.go .\nRUN CGO_ENABLED=0 go build -o /app main.go\nFROM scratch\nCOPY --from=build /app /app\nENTRYPOINT [\"/app\"]\n",
        &[("main.go", HELLO)],
    );
    assert_eq!(codes(&findings), NAIVE, "{findings:#?}");
    assert_eq!(code, Some(1));
}

#[test]
#[ignore = "needs Docker; run by scripts/test.sh"]
fn a_cgo_program_copied_without_its_libraries_names_them_and_the_loader() {
    let _e2e = e2e();
    let main = std::fs::read_to_string(crate::support::repo().join("examples/cgo/main.go")).unwrap();
    let gomod = std::fs::read_to_string(crate::support::repo().join("examples/cgo/go.mod")).unwrap();
    let (_, findings) = built(
        "cgo",
        "FROM BUILDER AS build\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=1 go build -o /app .\nFROM scratch\nCOPY --from=build /app /app\nENTRYPOINT [\"/app\"]\n",
        &[("main.go", &main), ("go.mod", &gomod)],
    );
    let libraries: Vec<&str> =
        findings.iter().filter(|f| f["code"] == "library").map(|f| f["problem"].as_str().unwrap()).collect();
    assert!(
        libraries.contains(&"`/app` needs `/lib64/ld-linux-x86-64.so.2`, which is not in the image (its loader)"),
        "{libraries:#?}"
    );
    assert!(
        libraries.iter().any(|p| p.starts_with("`/app` needs `libz.so.1`, which is not in the image (searched")),
        "{libraries:#?}"
    );
    let mut rest: Vec<&str> = codes(&findings).into_iter().filter(|c| *c != "library").collect();
    rest.dedup();
    assert_eq!(rest, NAIVE, "{findings:#?}");
}

#[test]
#[ignore = "needs Docker; run by scripts/test.sh"]
fn an_amd64_program_in_the_arm64_image_of_an_oci_index_is_an_error_there() {
    let _e2e = e2e();
    // The classic cross-build slip: the builder runs on the build platform and GOARCH is not set.
    let dir = context(
        "multi",
        "FROM --platform=$BUILDPLATFORM BUILDER AS build\nWORKDIR /src\nCOPY main.go .\nRUN CGO_ENABLED=0 go build -o /app main.go\nFROM scratch\nCOPY --from=build /app /app\nENTRYPOINT [\"/app\"]\n",
        &[("main.go", HELLO)],
    );
    let archive = dir.join("oci.tar");
    let output = format!("type=oci,dest={}", archive.display());
    let out = run_cmd(
        crate::support::buildx_dockerfile()
            .args(["--platform", "linux/amd64,linux/arm64", "--output", &output])
            .arg(&dir),
        BUILD_TIMEOUT,
    );
    assert!(out.ok, "building: {}", out.all());
    let out = Command::new(env!("CARGO_BIN_EXE_scratchkit"))
        .args(["doctor", "--json", "--fail-on", "error"])
        .arg(&archive)
        .output()
        .unwrap();
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let got: Vec<(&str, Vec<&str>)> = report["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["platform"].as_str().unwrap(), codes(i["findings"].as_array().unwrap())))
        .collect();
    let arm: Vec<&str> = ["platform"].iter().chain(NAIVE).copied().collect();
    assert_eq!(got, [("linux/amd64", NAIVE.to_vec()), ("linux/arm64", arm)], "{report:#}");
    assert_eq!(
        report["images"][1]["findings"][0]["problem"],
        "entrypoint `/app` is built for X86_64, but the image is for linux/arm64"
    );
    // Only the arm64 image has an error: `--fail-on error` fails for it.
    assert_eq!(out.status.code(), Some(1));
    printed_spec(archive.to_str().unwrap(), BUILDER_IMAGE, &dir);
}

#[test]
#[ignore = "needs Docker and the loopback registry; run by scripts/test.sh"]
fn an_index_in_the_loopback_registry_is_pulled_and_checked_per_platform() {
    let _e2e = e2e();
    let dir = context(
        "registry",
        "FROM --platform=$BUILDPLATFORM BUILDER AS build\nWORKDIR /src\nCOPY main.go .\nRUN CGO_ENABLED=0 go build -o /app main.go\nFROM scratch\nCOPY --from=build /app /app\nENTRYPOINT [\"/app\"]\n",
        &[("main.go", HELLO)],
    );
    let image = format!("{}/scratchkit-e2e/doctor-registry:latest", crate::support::REGISTRY);
    let out = run_cmd(
        crate::support::buildx_dockerfile()
            .args(["--platform", "linux/amd64,linux/arm64", "--push", "-t", &image])
            .arg(&dir),
        BUILD_TIMEOUT,
    );
    assert!(out.ok, "building and pushing: {}", out.all());
    // The image is read from the registry only: no file of that name exists.
    let out = Command::new(env!("CARGO_BIN_EXE_scratchkit")).args(["doctor", "--json", &image]).output().unwrap();
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let got: Vec<(&str, &str, Vec<&str>)> = report["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (i["image"].as_str().unwrap(), i["platform"].as_str().unwrap(), codes(i["findings"].as_array().unwrap()))
        })
        .collect();
    let arm: Vec<&str> = ["platform"].iter().chain(NAIVE).copied().collect();
    assert_eq!(
        got,
        [(image.as_str(), "linux/amd64", NAIVE.to_vec()), (image.as_str(), "linux/arm64", arm)],
        "{report:#}"
    );
    assert_eq!(out.status.code(), Some(1));
    printed_spec(&image, BUILDER_IMAGE, &dir);
}

#[test]
#[ignore = "needs Docker; run by scripts/test.sh"]
fn the_spec_doctor_prints_rebuilds_a_program_copied_without_its_libraries_and_it_runs() {
    let _e2e = e2e();
    // Debian's `go` is dynamically linked: copied alone it cannot start.
    let (_, findings) = built(
        "respec",
        "FROM BUILDER AS build\nFROM scratch\nCOPY --from=build /usr/lib/go-1.19/bin/go /usr/lib/go-1.19/bin/go\nENTRYPOINT [\"/usr/lib/go-1.19/bin/go\", \"version\"]\n",
        &[],
    );
    assert!(findings.iter().any(|f| f["code"] == "library"), "{findings:#?}");
    let dir = std::env::temp_dir().join("scratchkit-e2e-doctor-respec");
    let image = "scratchkit-e2e/doctor-respec-rebuilt";
    let out = run_cmd(
        crate::support::buildx().args(["-f", "scratch.yaml", "--load", "-t", image, "."]).current_dir(&dir),
        BUILD_TIMEOUT,
    );
    assert!(
        out.ok,
        "building the printed spec: {}\n{}",
        out.all(),
        std::fs::read_to_string(dir.join("scratch.yaml")).unwrap()
    );
    let run = crate::support::run_container(&[], image);
    assert!(run.ok && run.stdout.starts_with("go version go1.19"), "{}", run.all());
    // Rebuilt, the image has none of the pitfalls.
    let rebuilt = context("respec-rebuilt", "", &[]);
    let (code, findings) = doctor_of(image, &rebuilt);
    assert_eq!(codes(&findings), Vec::<&str>::new(), "{findings:#?}");
    assert_eq!(code, Some(0));
}

#[test]
#[ignore = "needs Docker; run by scripts/test.sh"]
fn a_shell_form_cmd_in_an_image_without_a_shell_is_an_error() {
    let _e2e = e2e();
    let (code, findings) = built(
        "shell",
        "FROM BUILDER AS build\nWORKDIR /src\nCOPY main.go .\nRUN CGO_ENABLED=0 go build -o /app main.go\nFROM scratch\nCOPY --from=build /app /app\nCMD /app\n",
        &[("main.go", HELLO)],
    );
    let want: Vec<&str> = ["shell-form"].iter().chain(NAIVE).copied().collect();
    assert_eq!(codes(&findings), want, "{findings:#?}");
    assert_eq!(findings[0]["problem"], "the command is shell form (`/bin/sh -c /app`), and the image has no /bin/sh");
    assert_eq!(code, Some(1));
}

#[test]
#[ignore = "needs Docker; run by scripts/test.sh"]
fn the_hand_written_image_with_every_pitfall_fixed_is_clean() {
    let _e2e = e2e();
    let dockerfile = r#"FROM BUILDER AS build
WORKDIR /src
COPY main.go .
RUN CGO_ENABLED=0 go build -o /app main.go
RUN mkdir -p /rootfs/etc /rootfs/tmp /rootfs/root /rootfs/home/nonroot /rootfs/var/lib/dpkg/status.d /rootfs/usr/share \
 && printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > /rootfs/etc/passwd \
 && printf 'root:x:0:\nnonroot:x:65532:\n' > /rootfs/etc/group \
 && printf 'hosts: files dns\n' > /rootfs/etc/nsswitch.conf \
 && printf 'text/html html\n' > /rootfs/etc/mime.types \
 && cp /etc/services /etc/protocols /rootfs/etc/ \
 && cp -a /usr/share/zoneinfo /rootfs/usr/share/ \
 && rm /rootfs/usr/share/zoneinfo/localtime \
 && for p in tzdata ca-certificates; do dpkg -s $p > /rootfs/var/lib/dpkg/status.d/$p; done \
 && chmod 1777 /rootfs/tmp && chmod 700 /rootfs/root /rootfs/home/nonroot && chown 65532:65532 /rootfs/home/nonroot
FROM scratch
COPY --from=build /rootfs/ /
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
COPY --from=build /app /app
USER nonroot
ENTRYPOINT ["/app"]
"#;
    // Debian's zoneinfo has a `localtime` link to `/etc/localtime`, which would dangle: it is removed.
    let (code, findings) = built("fixed", dockerfile, &[("main.go", HELLO)]);
    assert_eq!(codes(&findings), Vec::<&str>::new(), "{findings:#?}");
    assert_eq!(code, Some(0));
}

#[test]
#[ignore = "needs Docker; run by scripts/test.sh"]
fn the_production_ready_hand_written_image_still_lacks_two_things() {
    let _e2e = e2e();
    // `examples/certs/Dockerfile.handwritten`: the baseline bench/compare.sh measures scratchkit against.
    let image = "scratchkit-e2e/doctor-handwritten";
    let out = run_cmd(
        crate::support::buildx_dockerfile().args([
            "-f",
            "examples/certs/Dockerfile.handwritten",
            "--load",
            "-t",
            image,
            "examples/certs",
        ]),
        BUILD_TIMEOUT,
    );
    assert!(out.ok, "building: {}", out.all());
    let (code, findings) = doctor_of(image, &context("handwritten", "", &[]));
    let got: Vec<(&str, &str, &str)> = findings
        .iter()
        .map(|f| (f["code"].as_str().unwrap(), f["problem"].as_str().unwrap(), f["fix"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "symlink",
                "`/usr/share/zoneinfo/localtime` is a symlink to `/etc/localtime`, which does not resolve: `/etc/localtime` is not in the image",
                "rootfs.timezones"
            ),
            ("package-metadata", "no package database, yet the CA bundle and the zone database come from a distribution", "rootfs.package-metadata"),
        ]
    );
    assert_eq!(code, Some(1));
}

#[test]
#[ignore = "needs Docker; run by scripts/test.sh"]
fn every_scratchkit_example_image_is_clean() {
    let _e2e = e2e();
    let examples = crate::support::repo().join("examples");
    let mut names: Vec<String> =
        std::fs::read_dir(&examples).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let mut checked = 0;
    for name in names.iter().filter(|n| *n != "bad") {
        // `subdir` keeps its spec in `deploy/`, with the context one level up.
        let spec = ["scratch.yaml", "deploy/scratch.yaml"]
            .iter()
            .map(|s| format!("examples/{name}/{s}"))
            .find(|s| crate::support::repo().join(s).is_file());
        let Some(spec) = spec else { continue };
        let image = format!("scratchkit-e2e/doctor-example-{name}");
        let out = run_cmd(
            crate::support::buildx().args(["-f", &spec, "--load", "-t", &image, &format!("examples/{name}")]),
            BUILD_TIMEOUT,
        );
        assert!(out.ok, "building {spec}: {}", out.all());
        let dir = context(&format!("example-{name}"), "", &[]);
        let (code, findings) = doctor_of(&image, &dir);
        // examples/java-jdk ships Debian's src.zip link, which dangles in the builder too and which its spec
        // accepts (`image.accept`); the image does not carry what its spec accepted, so doctor reports it.
        let expected: &[&str] = if name == "java-jdk" { &["symlink"] } else { &[] };
        assert_eq!(codes(&findings), expected, "{name}: {findings:#?}");
        if name == "java-jdk" {
            assert!(
                findings[0]["problem"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("`/usr/lib/jvm/java-17-openjdk-amd64/lib/src.zip` is a symlink"),
                "{findings:#?}"
            );
        }
        assert_eq!(code, Some(if expected.is_empty() { 0 } else { 1 }), "{name}");
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} examples were checked");
}
