//! The whole frontend (`gateway::frontend::run`) against an in-memory gateway: what it solves, what
//! it returns, and how it degrades on a BuildKit without MergeOp. No daemon needed.

use std::collections::{BTreeMap, BTreeSet};

use prost::Message;
use scratchkit::gateway::frontend::run;
use scratchkit::gateway::{Built, Caps, FileStat, Gateway, GatewayError, Options, ResolvedImage};
use scratchkit::platform::Platform;
use scratchkit::proto::pb;

/// What the fake answers, and everything the frontend sent it.
#[derive(Default)]
struct Fake {
    llb_caps: BTreeSet<String>,
    spec: String,
    /// Builder paths that exist, with their Go `FileMode` bits.
    builder_files: BTreeMap<String, u32>,
    solved: Vec<pb::Definition>,
    returned: Vec<Result<(Vec<Built>, bool), String>>,
}

impl Fake {
    fn modern(spec: &str) -> Self {
        let llb_caps = ["mergeop", "file.base", "source.image", "source.local", "exec.meta.base"].map(String::from).into();
        let mut builder_files = BTreeMap::new();
        builder_files.insert("/out/app".to_string(), 0o755);
        builder_files.insert("/etc/ssl/certs/ca-certificates.crt".to_string(), 0o644);
        builder_files.insert("/usr/share/zoneinfo".to_string(), (1 << 31) | 0o755);
        Fake { llb_caps, spec: spec.to_string(), builder_files, ..Fake::default() }
    }

    fn identifiers(def: &pb::Definition) -> Vec<String> {
        def.def
            .iter()
            .filter_map(|b| match pb::Op::decode(b.as_slice()).ok()?.op? {
                pb::op::Op::Source(s) => Some(s.identifier),
                _ => None,
            })
            .collect()
    }

    fn ops(def: &pb::Definition) -> Vec<pb::Op> {
        def.def.iter().map(|b| pb::Op::decode(b.as_slice()).unwrap()).collect()
    }

    /// The last definition whose graph ends in a merge or file op on the final image (the one returned).
    fn image_definition(&self) -> &pb::Definition {
        self.solved.last().expect("something was solved")
    }

    fn builder_definition(&self) -> &pb::Definition {
        self.solved.iter().find(|d| Self::ops(d).iter().any(|o| matches!(o.op, Some(pb::op::Op::Exec(_))))).expect("a builder was solved")
    }

    fn only_return(&self) -> &Result<(Vec<Built>, bool), String> {
        assert_eq!(self.returned.len(), 1, "Return must be called exactly once");
        &self.returned[0]
    }
}

impl Gateway for Fake {
    async fn ping(&mut self) -> Result<Caps, GatewayError> {
        Ok(Caps { frontend: BTreeSet::new(), llb: self.llb_caps.clone(), worker_platforms: vec![Platform::linux_amd64()] })
    }
    async fn resolve_image_config(&mut self, _r: &str, _p: &Platform, _m: &str) -> Result<ResolvedImage, GatewayError> {
        let config = br#"{"config":{"Env":["PATH=/usr/local/go/bin:/usr/bin:/bin","GOPATH=/go"]}}"#.to_vec();
        Ok(ResolvedImage { digest: format!("sha256:{}", "ab".repeat(32)), config })
    }
    async fn solve(&mut self, def: pb::Definition) -> Result<String, GatewayError> {
        self.solved.push(def);
        Ok(format!("ref-{}", self.solved.len() - 1))
    }
    async fn read_file(&mut self, ref_id: &str, path: &str) -> Result<Vec<u8>, GatewayError> {
        let def = &self.solved[ref_id.trim_start_matches("ref-").parse::<usize>().unwrap()];
        if Self::identifiers(def).iter().any(|i| i == "local://dockerfile") && path == "scratch.yaml" {
            return Ok(self.spec.clone().into_bytes());
        }
        if self.builder_files.contains_key(path) {
            return Ok(b"#!/bin/sh\n".to_vec()); // not ELF: no library closure needed
        }
        Err(GatewayError(format!("{path}: not found")))
    }
    async fn stat_file(&mut self, _ref_id: &str, path: &str) -> Result<FileStat, GatewayError> {
        if path == "." {
            return Ok(FileStat { mode: (1 << 31) | 0o755, ..FileStat::default() });
        }
        match self.builder_files.get(path) {
            Some(mode) => Ok(FileStat { mode: *mode, size: 10, linkname: String::new() }),
            None => Err(GatewayError(format!("stat {path}: no such file or directory"))),
        }
    }
    async fn return_images(&mut self, images: Vec<Built>, multi: bool) -> Result<(), GatewayError> {
        self.returned.push(Ok((images, multi)));
        Ok(())
    }
    async fn return_metadata(&mut self, _md: Vec<(String, Vec<u8>)>) -> Result<(), GatewayError> {
        self.returned.push(Err("metadata".into()));
        Ok(())
    }
    async fn return_error(&mut self, message: String) -> Result<(), GatewayError> {
        self.returned.push(Err(message));
        Ok(())
    }
}

const SMALLEST: &str = "builder:\n  image: golang:1.23\n  run: go build -o /out/app .\ncopy: [/out/app]\n";

fn options(extra: &[(&str, &str)]) -> Options {
    let mut vars: Vec<(String, String)> = vec![("BUILDKIT_FRONTEND_OPT_0".into(), "filename=scratch.yaml".into())];
    for (i, (k, v)) in extra.iter().enumerate() {
        vars.push((format!("BUILDKIT_FRONTEND_OPT_{}", i + 1), format!("{k}={v}")));
    }
    vars.push(("BUILDKIT_SESSION_ID".into(), "session-1".into()));
    Options::from_vars(vars)
}

fn frontend(fake: &mut Fake, opts: &Options) {
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(run(fake, opts)).unwrap();
}

#[test]
fn the_smallest_spec_returns_one_image_with_its_config() {
    let mut fake = Fake::modern(SMALLEST);
    frontend(&mut fake, &options(&[]));
    let (images, multi) = fake.only_return().as_ref().expect("an image");
    assert!(!multi);
    assert_eq!(images.len(), 1);
    let config: serde_json::Value = serde_json::from_slice(&images[0].config).unwrap();
    assert_eq!(config["config"]["User"], "65532:65532");
    assert_eq!(config["config"]["Entrypoint"], serde_json::json!(["/out/app"]));
    assert_eq!(config["architecture"], "amd64");

    // The builder is pinned to the resolved digest and keeps the image's PATH.
    let builder = fake.builder_definition();
    let ids = Fake::identifiers(builder);
    assert!(ids.contains(&format!("docker-image://docker.io/library/golang:1.23@sha256:{}", "ab".repeat(32))), "{ids:?}");
    let exec = Fake::ops(builder).into_iter().find_map(|o| match o.op { Some(pb::op::Op::Exec(e)) => Some(e), _ => None }).unwrap();
    let env = exec.meta.unwrap().env;
    assert!(env.contains(&"PATH=/usr/local/go/bin:/usr/bin:/bin".to_string()), "{env:?}");
    assert!(env.contains(&"TARGETARCH=amd64".to_string()), "{env:?}");

    // The image is a merge of the pieces.
    assert!(Fake::ops(fake.image_definition()).iter().any(|o| matches!(o.op, Some(pb::op::Op::Merge(_)))));
}

#[test]
fn without_mergeop_the_pieces_are_chained() {
    let mut fake = Fake::modern(SMALLEST);
    fake.llb_caps.remove("mergeop");
    frontend(&mut fake, &options(&[]));
    assert!(fake.only_return().is_ok());
    let ops = Fake::ops(fake.image_definition());
    assert!(!ops.iter().any(|o| matches!(o.op, Some(pb::op::Op::Merge(_)))), "merge sent to a BuildKit without mergeop");
    // The head (the app layer) stands on the pieces below it.
    let head = &ops[ops.len() - 2];
    assert!(matches!(head.op, Some(pb::op::Op::File(_))) && !head.inputs.is_empty());
}

#[test]
fn a_bad_spec_returns_its_rendered_error() {
    let mut fake = Fake::modern("bulder:\n  image: x\ncopy: [/out/app]\n");
    frontend(&mut fake, &options(&[]));
    let err = fake.only_return().as_ref().unwrap_err();
    assert!(err.contains("scratch.yaml:1:1") && err.contains("did you mean `builder`?"), "{err}");
}

#[test]
fn missing_outputs_and_bundles_and_modes_are_build_errors() {
    let mut fake = Fake::modern(SMALLEST);
    fake.builder_files.remove("/out/app");
    fake.builder_files.remove("/etc/ssl/certs/ca-certificates.crt");
    frontend(&mut fake, &options(&[]));
    let err = fake.only_return().as_ref().unwrap_err();
    assert!(err.contains("`/out/app` does not exist in the builder") && err.contains("scratch.yaml:4:8"), "{err}");
    assert!(err.contains("apt-get install ca-certificates"), "{err}");

    let mut fake = Fake::modern(SMALLEST);
    fake.builder_files.insert("/out/app".into(), 0o644);
    frontend(&mut fake, &options(&[]));
    let err = fake.only_return().as_ref().unwrap_err();
    assert!(err.contains("is not executable (mode 0644)"), "{err}");
}

#[test]
fn build_args_platforms_and_no_cache_are_honoured() {
    let spec = "args: {GREETING: hello}\nbuilder:\n  image: golang:1.23\n  run: go build -ldflags \"-X main.g=${GREETING}\" -o /out/app .\ncopy: [/out/app]\n";
    let mut fake = Fake::modern(spec);
    frontend(&mut fake, &options(&[("build-arg:GREETING", "bonjour"), ("platform", "linux/amd64,linux/arm64"), ("no-cache", "")]));
    let (images, multi) = fake.only_return().as_ref().expect("images");
    assert!(multi);
    let archs: Vec<&str> = images.iter().map(|b| b.platform.architecture.as_str()).collect();
    assert_eq!(archs, ["amd64", "arm64"]);
    let execs: Vec<pb::ExecOp> = fake
        .solved
        .iter()
        .flat_map(Fake::ops)
        .filter_map(|o| match o.op { Some(pb::op::Op::Exec(e)) => Some(e), _ => None })
        .collect();
    assert!(execs.iter().all(|e| e.meta.as_ref().unwrap().args[2].contains("main.g=bonjour")));
    assert!(execs.iter().any(|e| e.meta.as_ref().unwrap().env.contains(&"TARGETARCH=arm64".to_string())));
    let md = &fake.image_definition().metadata;
    assert!(md.values().all(|m| m.ignore_cache), "no-cache must reach every op");
}

#[test]
fn unknown_subrequests_are_refused_in_words_buildx_understands() {
    let mut fake = Fake::modern(SMALLEST);
    frontend(&mut fake, &options(&[("requestid", "frontend.something")]));
    assert_eq!(fake.only_return().as_ref().unwrap_err(), "unsupported request frontend.something");
}
