//! Tests written for mutants that `cargo mutants` found surviving the other offline tests (the README's
//! mutation figures): each pins a behaviour a wrong operator or a deleted check would change.

use std::collections::BTreeMap;

use scratchkit::compile::compile;
use scratchkit::lower::image_config;
use scratchkit::plan::{substitute, Mode, PlanInputs};
use scratchkit::platform::Platform;

const BUILDER: &str = "builder:\n  image: golang:1.23\n  run: go build -o /out/app .\ncopy: [/out/app]\n";

fn errors(text: &str, build_args: &[(&str, &str)]) -> Vec<String> {
    let inputs = PlanInputs { build_args: build_args.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), ..PlanInputs::default() };
    match compile(text, "scratch.yaml", &inputs) {
        Ok(_) => Vec::new(),
        Err(e) => e.diagnostics.errors().map(|d| d.message.clone()).collect(),
    }
}

#[test]
fn every_unsafe_zone_name_is_refused_on_its_own() {
    // Each breaks exactly one of the rules, so dropping any one rule lets its name through.
    for zone in ["/etc/passwd", "Europe/../../etc", "Europe//Paris", "Europe/Par is", "Europe/Paris;"] {
        let spec = format!("{BUILDER}rootfs:\n  timezones: [\"{zone}\"]\n");
        assert_eq!(errors(&spec, &[]).len(), 1, "{zone} was accepted");
    }
    assert!(errors(&format!("{BUILDER}rootfs:\n  timezones: [Europe/Amsterdam, America/Port-au-Prince, Etc/GMT+1, UTC]\n"), &[]).is_empty());
}

#[test]
fn modes_have_at_most_five_digits() {
    assert_eq!(Mode::parse("01777").map(|m| m.bits()), Some(0o1777));
    assert!(Mode::parse("000755").is_none(), "six digits");
    assert!(Mode::parse("0o0000755").is_none(), "seven digits after 0o");
}

#[test]
fn a_long_but_allowed_expansion_is_kept() {
    let value = "v".repeat(100 * 1024);
    let spec = format!("args: {{LONG: x}}\n{BUILDER}image:\n  env: {{V: \"${{LONG}}\"}}\n");
    assert!(errors(&spec, &[("LONG", &value)]).is_empty(), "a 100 KiB value is under the 256 KiB limit");
}

#[test]
fn undeclared_names_are_reported_at_their_offset_after_a_shell_default_or_an_escape() {
    let args = BTreeMap::new();
    let s = substitute("abc${x:-y}-${NOPE}", &args, 1 << 20);
    assert_eq!(s.undeclared, vec![("NOPE".to_string(), 11)]);
    // After a `$$` escape too.
    let s = substitute("x$${A}${NOPE}", &args, 1 << 20);
    assert_eq!(s.undeclared, vec![("NOPE".to_string(), 6)]);
}

#[test]
fn the_created_time_is_right_on_a_leap_day_at_the_end_of_a_400_year_cycle() {
    for (epoch, want) in [
        (951_782_400, "2000-02-29T00:00:00Z"),
        (951_868_799, "2000-02-29T23:59:59Z"),
        (951_868_800, "2000-03-01T00:00:00Z"),
        (0, "1970-01-01T00:00:00Z"),
        (1_709_164_800, "2024-02-29T00:00:00Z"),
    ] {
        let inputs = PlanInputs { build_args: [("SOURCE_DATE_EPOCH".to_string(), epoch.to_string())].into(), ..PlanInputs::default() };
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
    let mut ctx = scratchkit::lower::Context::new(Platform::linux_amd64());
    ctx.builder_env = image_env.iter().map(|s| s.to_string()).collect();
    let lowered = scratchkit::lower::lower_platform(&plan, &ctx, &Platform::linux_amd64());
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
