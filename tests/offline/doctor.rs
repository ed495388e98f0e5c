//! `scratchkit doctor` on images these tests write themselves: OCI layouts (directory and archive, one and
//! several platforms, gzip and plain layers) and `docker save` archives. Each finding appears in the image
//! that has the pitfall and not in the one without it; whiteouts delete what lower layers put there.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use scratchkit::doctor::{doctor, Limits, Report};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

#[path = "../shared/doctor.rs"]
mod shared;
use shared::{printed_spec, NAIVE};

/// One entry of a layer.
enum E {
    Dir(&'static str, u32),
    File(&'static str, u32, Vec<u8>),
    Owned(&'static str, u32, u32, Vec<u8>),
    Link(&'static str, &'static str),
    Hard(&'static str, &'static str),
}

fn layer(entries: Vec<E>) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mtime(0);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mode(0o644);
        let (path, data): (&str, Vec<u8>) = match e {
            E::Dir(p, mode) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(mode);
                (p, vec![])
            }
            E::File(p, mode, data) => {
                h.set_mode(mode);
                (p, data)
            }
            E::Owned(p, mode, uid, data) => {
                h.set_mode(mode);
                h.set_uid(uid.into());
                h.set_gid(uid.into());
                (p, data)
            }
            E::Link(p, target) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_link_name(target).unwrap();
                h.set_mode(0o777);
                (p, vec![])
            }
            E::Hard(p, target) => {
                h.set_entry_type(tar::EntryType::Link);
                h.set_link_name(target).unwrap();
                (p, vec![])
            }
        };
        h.set_size(data.len() as u64);
        b.append_data(&mut h, path, data.as_slice()).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    g.write_all(data).unwrap();
    g.finish().unwrap()
}

fn digest(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// A directory of files by relative path, written out as a directory or a tar archive.
#[derive(Default)]
struct Files(Vec<(String, Vec<u8>)>);

impl Files {
    fn blob(&mut self, data: Vec<u8>) -> String {
        let d = digest(&data);
        self.0.push((format!("blobs/sha256/{}", &d[7..]), data));
        d
    }
    fn write_dir(&self, dir: &Path) {
        for (p, data) in &self.0 {
            let path = dir.join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, data).unwrap();
        }
    }
    fn write_tar(&self, file: &Path) {
        let mut b = tar::Builder::new(std::fs::File::create(file).unwrap());
        for (p, data) in &self.0 {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            b.append_data(&mut h, p, data.as_slice()).unwrap();
        }
        b.finish().unwrap();
    }
}

/// One image: its platform, its config's `config` and its layers (bottom first).
struct Img {
    platform: &'static str,
    config: Value,
    layers: Vec<Vec<u8>>,
}

fn manifest(files: &mut Files, img: &Img, gz: bool) -> Value {
    let (os, arch) = img.platform.split_once('/').unwrap();
    let config = serde_json::to_vec(
        &json!({ "os": os, "architecture": arch, "config": img.config, "rootfs": {"type": "layers", "diff_ids": []} }),
    )
    .unwrap();
    let config_digest = files.blob(config);
    let layers: Vec<Value> = img
        .layers
        .iter()
        .map(|l| {
            let data = if gz { gzip(l) } else { l.clone() };
            let size = data.len();
            let media = if gz {
                "application/vnd.oci.image.layer.v1.tar+gzip"
            } else {
                "application/vnd.oci.image.layer.v1.tar"
            };
            json!({ "mediaType": media, "digest": files.blob(data), "size": size })
        })
        .collect();
    let m = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": 0 },
        "layers": layers,
    }))
    .unwrap();
    let size = m.len();
    json!({ "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": files.blob(m), "size": size, "platform": { "os": os, "architecture": arch } })
}

/// An OCI layout of one index with these images (what `--output type=oci` writes), plus an attestation
/// manifest that is not an image.
fn oci(imgs: &[Img], gz: bool) -> Files {
    let mut files = Files::default();
    let mut descriptors: Vec<Value> = imgs.iter().map(|i| manifest(&mut files, i, gz)).collect();
    let attestation = files.blob(b"{}".to_vec());
    descriptors.push(json!({ "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": attestation, "size": 2,
        "platform": {"os": "unknown", "architecture": "unknown"}, "annotations": {"vnd.docker.reference.type": "attestation-manifest"} }));
    let index = serde_json::to_vec(&json!({ "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": descriptors })).unwrap();
    let size = index.len();
    let index_digest = files.blob(index);
    let top = json!({ "schemaVersion": 2, "manifests": [{ "mediaType": "application/vnd.oci.image.index.v1+json", "digest": index_digest, "size": size,
        "annotations": {"io.containerd.image.name": "example.test/app:1"} }] });
    files.0.push(("index.json".into(), serde_json::to_vec(&top).unwrap()));
    files.0.push(("oci-layout".into(), br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec()));
    files
}

/// A `docker save` archive as engines before 25 write it: `manifest.json` and `<id>/layer.tar`.
fn docker_save(img: &Img) -> Files {
    let mut files = Files::default();
    let (os, arch) = img.platform.split_once('/').unwrap();
    let config = serde_json::to_vec(&json!({ "os": os, "architecture": arch, "config": img.config })).unwrap();
    let config_name = format!("{}.json", &digest(&config)[7..]);
    files.0.push((config_name.clone(), config));
    let mut layers = Vec::new();
    for (i, l) in img.layers.iter().enumerate() {
        let name = format!("layer{i}/layer.tar");
        files.0.push((name.clone(), l.clone()));
        layers.push(name);
    }
    files.0.push((
        "manifest.json".into(),
        serde_json::to_vec(&json!([{ "Config": config_name, "RepoTags": ["naive:latest"], "Layers": layers }]))
            .unwrap(),
    ));
    files
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scratchkit-doctor-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn static_program() -> Vec<u8> {
    // The host's `ldconfig` is static (static-pie): a program that needs nothing from the image.
    std::fs::read("/sbin/ldconfig").expect("the host has a static /sbin/ldconfig")
}

/// The naive `FROM scratch` image: the program, nothing else.
fn naive() -> Img {
    Img {
        platform: "linux/amd64",
        config: json!({ "Entrypoint": ["/app"] }),
        layers: vec![layer(vec![E::File("app", 0o755, static_program())])],
    }
}

/// The same program with every pitfall fixed, over two layers.
fn fixed() -> Img {
    let files = vec![
        E::Dir("etc", 0o755),
        E::File(
            "etc/passwd",
            0o644,
            b"root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
                .to_vec(),
        ),
        E::File("etc/group", 0o644, b"root:x:0:\nnonroot:x:65532:\n".to_vec()),
        E::File("etc/nsswitch.conf", 0o644, b"hosts: files dns\n".to_vec()),
        E::File("etc/services", 0o644, b"http 80/tcp\n".to_vec()),
        E::File("etc/protocols", 0o644, b"tcp 6 TCP\n".to_vec()),
        E::File("etc/mime.types", 0o644, b"text/html html\n".to_vec()),
        E::File("etc/ssl/certs/ca-certificates.crt", 0o644, b"-----BEGIN CERTIFICATE-----\n".to_vec()),
        E::File("usr/share/zoneinfo/UTC", 0o644, b"TZif".to_vec()),
        E::Link("usr/share/zoneinfo/Etc/UTC", "../UTC"),
        E::File("var/lib/dpkg/status.d/tzdata", 0o644, b"Package: tzdata\n".to_vec()),
        E::Dir("tmp", 0o1777),
        E::Dir("root", 0o700),
        E::Dir("home/nonroot", 0o700),
    ];
    Img {
        platform: "linux/amd64",
        config: json!({ "Entrypoint": ["/app"], "User": "nonroot" }),
        layers: vec![layer(files), layer(vec![E::File("app", 0o755, static_program())])],
    }
}

fn codes(report: &Report) -> Vec<&'static str> {
    report.findings.iter().map(|f| f.code).collect()
}

fn one(dir: &Path) -> Report {
    let mut reports = doctor(dir, Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reports.len(), 1, "{reports:#?}");
    reports.remove(0)
}

fn written(img: Img, name: &str) -> PathBuf {
    let dir = temp(name);
    oci(&[img], true).write_dir(&dir);
    dir
}

#[test]
fn the_naive_image_lacks_what_scratch_lacks_in_every_input_format() {
    let dir = temp("naive");
    oci(&[naive()], true).write_dir(&dir.join("layout"));
    oci(&[naive()], false).write_tar(&dir.join("oci.tar"));
    docker_save(&naive()).write_tar(&dir.join("save.tar"));
    for input in ["layout", "oci.tar", "save.tar"] {
        let r = one(&dir.join(input));
        assert_eq!(codes(&r), NAIVE, "{input}: {r:#?}");
        assert_eq!(r.platform, "linux/amd64");
    }
    assert_eq!(one(&dir.join("layout")).image, "example.test/app:1");
    assert_eq!(one(&dir.join("save.tar")).image, "naive:latest");
}

#[test]
fn the_image_with_every_pitfall_fixed_is_clean() {
    let r = one(&written(fixed(), "fixed"));
    assert_eq!(codes(&r), Vec::<&str>::new(), "{r:#?}");
}

#[test]
fn whiteouts_delete_what_lower_layers_put_there() {
    let mut img = fixed();
    // A later layer deletes /tmp, empties the zone database (opaque) but for a new zone, and links to a
    // zone of the lower layer: that link dangles because the lower `UTC` is gone.
    img.layers.push(layer(vec![
        E::File(".wh.tmp", 0o644, vec![]),
        E::File("usr/share/zoneinfo/.wh..wh..opq", 0o644, vec![]),
        E::File("usr/share/zoneinfo/Paris", 0o644, b"TZif".to_vec()),
        E::Link("etc/localtime", "/usr/share/zoneinfo/UTC"),
    ]));
    let r = one(&written(img, "whiteout"));
    assert_eq!(codes(&r), ["tmp", "symlink"], "{r:#?}");
    assert_eq!(r.findings[0].problem, "/tmp is missing");
    assert_eq!(
        r.findings[1].problem,
        "`/etc/localtime` is a symlink to `/usr/share/zoneinfo/UTC`, which does not resolve: `/usr/share/zoneinfo/UTC` is not in the image"
    );

    let mut img = fixed();
    img.layers.push(layer(vec![
        E::File("etc/ssl/certs/.wh.ca-certificates.crt", 0o644, vec![]),
        E::File("etc/.wh.passwd", 0o644, vec![]),
    ]));
    let r = one(&written(img, "whiteout2"));
    // With no passwd, `User: nonroot` cannot be resolved and the container does not start.
    assert_eq!(codes(&r), ["user", "passwd", "ca-certificates"], "{r:#?}");
    assert_eq!(r.findings[0].problem, "`User` `nonroot` is not in the image's /etc/passwd");
    assert_eq!(r.findings[0].severity, scratchkit::doctor::Severity::Error);
}

#[test]
fn a_shell_form_cmd_without_a_shell_is_an_error() {
    let mut img = fixed();
    img.config = json!({ "Cmd": ["/bin/sh", "-c", "/app --serve"], "User": "nonroot" });
    let r = one(&written(img, "shell"));
    assert_eq!(codes(&r), ["shell-form"], "{r:#?}");
    assert_eq!(
        r.findings[0].problem,
        "the command is shell form (`/bin/sh -c /app --serve`), and the image has no /bin/sh"
    );
}

#[test]
fn a_dynamic_program_names_its_missing_loader_and_libraries() {
    let mut img = fixed();
    img.layers.push(layer(vec![E::File("app", 0o755, std::fs::read("/bin/true").unwrap())]));
    let r = one(&written(img, "dynamic"));
    let problems: Vec<&str> = r.findings.iter().map(|f| f.problem.as_str()).collect();
    assert_eq!(r.findings.iter().map(|f| f.code).collect::<BTreeSet<_>>(), BTreeSet::from(["library"]), "{r:#?}");
    assert!(
        problems.contains(&"`/app` needs `/lib64/ld-linux-x86-64.so.2`, which is not in the image (its loader)"),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.starts_with("`/app` needs `libc.so.6`, which is not in the image (searched")),
        "{problems:#?}"
    );
    assert!(r.findings.iter().all(|f| f.fix == "rootfs.libraries"));
}

#[test]
fn an_amd64_program_in_an_arm64_image_and_a_program_the_user_cannot_run() {
    let mut img = fixed();
    img.platform = "linux/arm64";
    let r = one(&written(img, "arm64"));
    assert_eq!(codes(&r), ["platform"], "{r:#?}");
    assert_eq!(r.findings[0].problem, "entrypoint `/app` is built for X86_64, but the image is for linux/arm64");

    let mut img = fixed();
    img.layers.push(layer(vec![E::File("app", 0o700, static_program())]));
    let r = one(&written(img, "mode"));
    assert_eq!(codes(&r), ["program"], "{r:#?}");
}

#[test]
fn users_homes_links_and_certificates_from_the_config() {
    let mut img = fixed();
    img.config =
        json!({ "Entrypoint": ["app"], "Env": ["PATH=/bin:/", "SSL_CERT_FILE=/certs/ca.pem"], "User": "4242" });
    img.layers.push(layer(vec![
        E::Link("etc/localtime", "/usr/share/zoneinfo/Nowhere"),
        E::Owned("home/.wh.nonroot", 0o644, 0, vec![]),
    ]));
    let r = one(&written(img, "config"));
    assert_eq!(codes(&r), ["user", "home", "ca-certificates", "symlink"], "{r:#?}");
    assert_eq!(r.findings[0].problem, "the image's user (uid 4242) has no line in /etc/passwd");
    assert_eq!(r.findings[1].problem, "the home `/home/nonroot` of user `nonroot` is not a directory in the image");
    assert!(r.findings[2].problem.starts_with("SSL_CERT_FILE is `/certs/ca.pem`"), "{r:#?}");
}

#[test]
fn each_platform_of_an_index_is_checked() {
    let mut arm = naive();
    arm.platform = "linux/arm64";
    let dir = temp("multi");
    oci(&[fixed(), arm], true).write_dir(&dir);
    let reports = doctor(&dir, Limits::default()).unwrap();
    let got: Vec<(&str, Vec<&str>)> = reports.iter().map(|r| (r.platform.as_str(), codes(r))).collect();
    // The amd64 program in the arm64 image is an error there, before what scratch lacks.
    let naive_arm: Vec<&str> = ["platform"].iter().chain(NAIVE).copied().collect();
    assert_eq!(got, [("linux/amd64", vec![]), ("linux/arm64", naive_arm)]);
}

#[test]
fn packaged_files_without_a_package_database_are_reported() {
    let mut img = fixed();
    img.layers.push(layer(vec![E::File("var/lib/dpkg/.wh.status.d", 0o644, vec![])]));
    let r = one(&written(img, "packages"));
    assert_eq!(codes(&r), ["package-metadata"], "{r:#?}");
}

#[test]
fn a_limit_that_is_hit_is_an_error_and_hard_links_are_read() {
    let dir = written(naive(), "limit");
    let err = doctor(&dir, Limits { bytes: 1000, entries: 100 }).unwrap_err();
    assert!(err.contains("more than 0 MiB") || err.contains("doctor reads at most that"), "{err}");
    let err = doctor(&dir, Limits { bytes: 1 << 30, entries: 1 }).unwrap_err();
    assert!(err.contains("more than 1 entries"), "{err}");

    let mut img = fixed();
    img.layers.push(layer(vec![E::Hard("usr/local/bin/app", "app")]));
    img.config = json!({ "Entrypoint": ["/usr/local/bin/app"], "User": "nonroot" });
    assert_eq!(codes(&one(&written(img, "hard"))), Vec::<&str>::new());
}

fn cli(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_scratchkit")).arg("doctor").args(args).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

#[test]
fn the_command_exits_0_clean_1_problems_2_unreadable() {
    let naive = written(naive(), "cli-naive");
    let fixed = written(fixed(), "cli-fixed");
    let (code, out) = cli(&[naive.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("SEVERITY  PROBLEM") && out.contains("rootfs.ca-certificates"), "{out}");
    // The naive image has only warnings: `--fail-on error` passes it.
    assert_eq!(cli(&["--fail-on", "error", naive.to_str().unwrap()]).0, Some(0));
    let (code, out) = cli(&["--json", fixed.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["images"][0]["findings"], json!([]));
    let (code, out) = cli(&["--json", naive.to_str().unwrap()]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, Some(1));
    assert_eq!(v["images"][0]["findings"][0]["code"], "passwd");
    assert_eq!(v["images"][0]["findings"][0]["severity"], "warning");
    let (code, out) = cli(&["/nonexistent/image.tar"]);
    assert_eq!(code, Some(2), "{out}");
    let empty = temp("empty");
    let (code, out) = cli(&[empty.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("neither `index.json`"), "{out}");
}

#[test]
fn a_program_is_found_in_path_or_the_working_directory_as_docker_run_finds_it() {
    let mut img = fixed();
    // The program moves to /srv: `./app` must be looked up there, not at the root.
    img.layers.push(layer(vec![E::File(".wh.app", 0o644, vec![]), E::File("srv/app", 0o755, static_program())]));
    img.config = json!({ "Entrypoint": ["./app"], "WorkingDir": "/srv", "User": "nonroot" });
    assert_eq!(codes(&one(&written(img, "workdir"))), Vec::<&str>::new());

    let mut img = fixed();
    img.config = json!({ "Cmd": ["app"], "Env": ["PATH=/usr/bin:/bin"], "User": "nonroot" });
    let r = one(&written(img, "path"));
    assert_eq!(codes(&r), ["program"], "{r:#?}");
    assert_eq!(r.findings[0].problem, "cmd[0] `app` is not in any directory of PATH");

    let mut img = fixed();
    img.config = json!({ "Cmd": ["app"], "Env": ["PATH=/usr/bin:/"], "User": "nonroot" });
    assert_eq!(codes(&one(&written(img, "path2"))), Vec::<&str>::new());
}

#[test]
fn what_the_runtime_mounts_and_system_users_homes_are_not_findings() {
    let mut img = fixed();
    img.layers.push(layer(vec![
        // Debian's base images: `/dev/stdout` resolves once the runtime mounts `/proc`.
        E::Link("dev/stdout", "/proc/self/fd/1"),
        // A system user whose spool directory the image has not: no program of the image uses it.
        E::File(
            "etc/passwd",
            0o644,
            b"root:x:0:0:root:/root:/sbin/nologin\nlp:x:7:7:lp:/var/spool/lpd:/usr/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\napp:x:1000:1000::/home/app:/bin/false\n"
                .to_vec(),
        ),
    ]));
    let r = one(&written(img, "runtime"));
    // The person-added user `app` (uid 1000) without its home is one; `lp` and `/dev/stdout` are not.
    assert_eq!(codes(&r), ["home"], "{r:#?}");
    assert_eq!(r.findings[0].problem, "the home `/home/app` of user `app` is not a directory in the image");
}

#[test]
fn a_zstd_layer_is_a_clear_error() {
    let mut img = naive();
    // zstd's magic number, then anything: doctor tells by the first bytes, not the media type.
    img.layers.push(vec![0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]);
    let dir = temp("zstd");
    oci(&[img], false).write_dir(&dir);
    let err = doctor(&dir, Limits::default()).unwrap_err();
    assert!(
        err.starts_with("layer 2 (`blobs/sha256/") && err.contains("it is zstd-compressed, which doctor does not read"),
        "{err}"
    );
    assert_eq!(cli(&[dir.to_str().unwrap()]).0, Some(2));
}

#[test]
fn a_passwd_too_large_to_read_is_an_error_not_a_partial_read() {
    let mut img = fixed();
    let mut passwd = b"root:x:0:0:root:/root:/sbin/nologin\n".repeat(30_000);
    passwd.extend(b"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n");
    img.layers.push(layer(vec![E::File("etc/passwd", 0o644, passwd)]));
    let err = doctor(&written(img, "bigpasswd"), Limits::default()).unwrap_err();
    assert!(err.contains("`/etc/passwd` is larger than 1 MiB: doctor reads at most that"), "{err}");
}

/// A registry in the test: serves the blobs of `files` under `/v2/app/` (manifests by digest and the
/// index at tag `1`) only with the token its `/token` endpoint grants, as Docker Hub does. Returns the
/// address and the request lines with their `Authorization` header, as they came.
fn registry(files: Files) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (seen, realm) = (log.clone(), format!("http://{addr}/token"));
    let top: Value = serde_json::from_slice(&files.0.iter().find(|(p, _)| p == "index.json").unwrap().1).unwrap();
    let tag = top["manifests"][0]["digest"].as_str().unwrap().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut line, mut auth) = (String::new(), String::new());
            reader.read_line(&mut line).unwrap();
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                if h.trim().is_empty() {
                    break;
                }
                if let Some(v) = h.strip_prefix("Authorization: ").or(h.strip_prefix("authorization: ")) {
                    auth = v.trim().to_string();
                }
            }
            let path = line.split(' ').nth(1).unwrap_or_default().to_string();
            seen.lock().unwrap().push(format!("{path} {auth}"));
            let blob = |d: &str| {
                files
                    .0
                    .iter()
                    .find(|(p, _)| *p == format!("blobs/sha256/{}", d.trim_start_matches("sha256:")))
                    .map(|(_, b)| b.clone())
            };
            let (status, body, extra) = if path.starts_with("/token?") {
                ("200 OK", br#"{"token":"t0k"}"#.to_vec(), String::new())
            } else if auth != "Bearer t0k" {
                let challenge = format!(
                    "WWW-Authenticate: Bearer realm=\"{realm}\",service=\"test\",scope=\"repository:app:pull\"\r\n"
                );
                ("401 Unauthorized", b"{}".to_vec(), challenge)
            } else {
                let name = path.rsplit('/').next().unwrap_or_default();
                match blob(if name == "1" { &tag } else { name }) {
                    Some(b) => ("200 OK", b, String::new()),
                    None => ("404 Not Found", b"{}".to_vec(), String::new()),
                }
            };
            let head =
                format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n", body.len());
            let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body));
        }
    });
    (addr, log)
}

#[test]
fn an_image_in_a_registry_is_pulled_with_an_anonymous_token_and_checked_per_platform() {
    let arm = Img { platform: "linux/arm64", ..naive() };
    let (addr, log) = registry(oci(&[naive(), arm], true));
    let (code, out) = cli(&["--json", &format!("{addr}/app:1")]);
    assert_eq!(code, Some(1), "{out}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let got: Vec<(&str, &str, Vec<&str>)> = v["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["image"].as_str().unwrap(),
                i["platform"].as_str().unwrap(),
                i["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect(),
            )
        })
        .collect();
    let name = format!("{addr}/app:1");
    let arm_codes: Vec<&str> = ["platform"].iter().chain(NAIVE).copied().collect();
    assert_eq!(got, [(name.as_str(), "linux/amd64", NAIVE.to_vec()), (name.as_str(), "linux/arm64", arm_codes)]);
    let log = log.lock().unwrap();
    // The first request is refused, the token is asked for with the challenge's service and scope, and
    // every request after it carries the token.
    assert_eq!(log[0], "/v2/app/manifests/1 ", "{log:#?}");
    assert_eq!(log[1], "/token?service=test&scope=repository%3Aapp%3Apull ", "{log:#?}");
    assert!(log[2..].iter().all(|l| l.ends_with(" Bearer t0k")), "{log:#?}");
    // The index, two manifests, two configs and two layers (the attestation manifest is not fetched).
    assert_eq!(log.len(), 2 + 7, "{log:#?}");
}

#[test]
fn a_blob_whose_bytes_are_not_its_digest_is_refused() {
    let mut files = oci(&[naive()], true);
    // The layer's bytes are changed after its digest went into the manifest.
    let layer = files.0.iter_mut().max_by_key(|(_, b)| b.len()).unwrap();
    layer.1[20] ^= 0xff;
    let digest = format!("sha256:{}", layer.0.rsplit('/').next().unwrap());
    let (addr, _) = registry(files);
    let (code, out) = cli(&[&format!("{addr}/app:1")]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains(&format!("the registry sent content for {digest} whose digest is sha256:")), "{out}");
}

#[test]
fn a_spec_rebuilds_the_image_with_its_pitfalls_fixed_and_check_accepts_it() {
    let mut img = fixed();
    img.layers.push(layer(vec![
        E::Owned("srv/data/it's \"odd\": ${X}.txt", 0o640, 65532, b"x".to_vec()),
        E::Dir("var/empty", 0o700),
        E::Link("srv/gone", "/nowhere"),
        E::Link("srv/here", "/app"),
    ]));
    img.config = json!({ "Entrypoint": ["app"], "Cmd": ["--port", "8080"], "User": "nonroot", "WorkingDir": "/",
        "Env": ["PATH=/usr/bin:/", "GREETING=a: b # ${NOT_AN_ARG}"], "ExposedPorts": {"8080/tcp": {}}, "Labels": {"org.example/note": "yes"} });
    let dir = written(img, "spec");
    // `check` accepts it, and it says what the image holds.
    let (spec, _) = printed_spec(dir.to_str().unwrap(), "scratchkit-test/go:bookworm", &dir);
    for line in [
        "  image: scratchkit-test/go:bookworm",
        "  - /app",
        "  - from: \"/srv/data/it's \\\"odd\\\": $${X}.txt\"",
        "    owner: \"65532:65532\"",
        "    - {name: nonroot, uid: 65532, gid: 65532, home: /home/nonroot}",
        "    - {path: /var/empty, mode: \"0700\", owner: \"0:0\"}",
        "  entrypoint: [/app]",
        "  cmd: [\"--port\", \"8080\"]",
        "  user: nonroot",
        "    GREETING: \"a: b # $${NOT_AN_ARG}\"",
        "  expose: [\"8080/tcp\"]",
        "    org.example/note: \"yes\"",
        // A copy follows links: one that resolves is copied, one that dangles cannot be.
        "  - /srv/here",
        "  # Not copied (symlinks that do not resolve in the image): /srv/gone",
    ] {
        assert!(spec.lines().any(|l| l == line), "no line {line:?} in\n{spec}");
    }
    // What rootfs writes is not copied.
    assert!(!spec.contains("/etc/passwd") && !spec.contains("zoneinfo/UTC") && !spec.contains("status.d"), "{spec}");
}
