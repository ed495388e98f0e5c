//! Lowering a plan (`scratchkit::lower`): the builder's environment and the image config's created time.

use scratchkit::compile::compile;
use scratchkit::lower::image_config;
use scratchkit::plan::PlanInputs;
use scratchkit::platform::Platform;

use crate::plan::BUILDER;

#[test]
fn the_created_time_is_right_on_a_leap_day_at_the_end_of_a_400_year_cycle() {
    for (epoch, want) in [
        (951_782_400, "2000-02-29T00:00:00Z"),
        (951_868_799, "2000-02-29T23:59:59Z"),
        (951_868_800, "2000-03-01T00:00:00Z"),
        (0, "1970-01-01T00:00:00Z"),
        (1_709_164_800, "2024-02-29T00:00:00Z"),
    ] {
        let inputs = PlanInputs {
            build_args: [("SOURCE_DATE_EPOCH".to_string(), epoch.to_string())].into(),
            ..PlanInputs::default()
        };
        let plan = compile(BUILDER, "scratch.yaml", &inputs).unwrap_or_else(|e| panic!("{}", e.rendered)).plan;
        let config = image_config(&plan, &Platform::linux_amd64());
        assert_eq!(config.created.as_deref(), Some(want), "epoch {epoch}");
    }
}

/// The builder's exec environment for `spec`, with `image_env` as the builder image's `Env`.
fn builder_env(spec: &str, image_env: &[&str]) -> Vec<String> {
    use prost::Message;
    use scratchkit::proto::pb;
    let plan = compile(spec, "scratch.yaml", &PlanInputs::default()).unwrap_or_else(|e| panic!("{}", e.rendered)).plan;
    let build = scratchkit::lower::BuildInputs::new(Platform::linux_amd64());
    let per_platform = scratchkit::lower::PlatformInputs {
        builder_env: scratchkit::llb::EnvList::parse(image_env),
        ..Default::default()
    };
    let found = scratchkit::plan::Found::default();
    let lowered = scratchkit::lower::lower_platform(&plan, &build, &per_platform, &found, &Platform::linux_amd64());
    let def = lowered.builder.expect("a builder stage").marshal(&scratchkit::llb::MarshalOptions::default());
    let execs: Vec<pb::ExecOp> = def
        .def
        .iter()
        .filter_map(|bytes| match pb::Op::decode(bytes.as_slice()).unwrap().op {
            Some(pb::op::Op::Exec(e)) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(execs.len(), 1, "one run command, one exec");
    execs[0].meta.as_ref().unwrap().env.clone()
}

#[test]
fn the_spec_env_wins_over_the_image_env_and_the_args_and_the_image_env_over_the_args() {
    let spec = "args: {MODE: fast, LEVEL: \"1\"}\nbuilder:\n  image: golang:1.23\n  run: make\n  env: {MODE: slow, PATH: /spec/bin}\ncopy: [/out/app]\n";
    let env = builder_env(spec, &["PATH=/image/bin", "LEVEL=image"]);
    let get = |k: &str| env.iter().filter(|kv| kv.split_once('=').unwrap().0 == k).cloned().collect::<Vec<_>>();
    assert_eq!(get("MODE"), ["MODE=slow"], "{env:?}");
    assert_eq!(get("PATH"), ["PATH=/spec/bin"], "{env:?}");
    assert_eq!(get("LEVEL"), ["LEVEL=image"], "like ARG, an ENV of the image wins: {env:?}");
    // A name twice in the image's Env: the later one wins, as a later `ENV` replaces an earlier one.
    let env = builder_env(BUILDER, &["GOPATH=/first", "GOPATH=/go"]);
    assert!(env.contains(&"GOPATH=/go".to_string()) && !env.contains(&"GOPATH=/first".to_string()), "{env:?}");
}
