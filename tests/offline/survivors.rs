//! Tests written for mutants that `cargo mutants` found surviving the other offline tests (the README's
//! mutation figures): each pins a behaviour a wrong operator or a deleted check would change.

use scratchkit::rules::codes::SK265;
use std::collections::BTreeMap;

use scratchkit::compile::compile;
use scratchkit::lower::image_config;
use scratchkit::plan::{substitute, Mode, PlanInputs};
use scratchkit::platform::Platform;

const BUILDER: &str = "builder:\n  image: golang:1.23\n  run: go build -o /out/app .\ncopy: [/out/app]\n";

fn inputs(build_args: &[(&str, &str)]) -> PlanInputs {
    PlanInputs {
        build_args: build_args.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..PlanInputs::default()
    }
}

fn errors(text: &str, build_args: &[(&str, &str)]) -> Vec<String> {
    match compile(text, "scratch.yaml", &inputs(build_args)) {
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
    assert!(errors(
        &format!("{BUILDER}rootfs:\n  timezones: [Europe/Amsterdam, America/Port-au-Prince, Etc/GMT+1, UTC]\n"),
        &[]
    )
    .is_empty());
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

/// Each diagnostic as (message, hint, line) for a spec that is expected to compile or not.
fn diagnostics(
    text: &str,
    build_args: &[(&str, &str)],
) -> Vec<(scratchkit::diag::Severity, String, String, Option<usize>)> {
    let inputs = PlanInputs {
        build_args: build_args.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..PlanInputs::default()
    };
    let ds = match compile(text, "scratch.yaml", &inputs) {
        Ok(c) => c.warnings,
        Err(e) => e.diagnostics,
    };
    ds.items
        .iter()
        .map(|d| (d.severity, d.message.clone(), d.hint.clone().unwrap_or_default(), d.span.map(|s| s.line)))
        .collect()
}

fn plan(text: &str, build_args: &[(&str, &str)]) -> scratchkit::plan::Plan {
    let inputs = PlanInputs {
        build_args: build_args.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..PlanInputs::default()
    };
    compile(text, "scratch.yaml", &inputs).unwrap_or_else(|e| panic!("{}", e.rendered)).plan
}

#[test]
fn ssh_auth_sock_is_reserved_for_the_forwarded_agent() {
    let ds = diagnostics(&format!("args: {{SSH_AUTH_SOCK: /tmp/agent}}\n{BUILDER}"), &[]);
    assert_eq!(ds.len(), 1, "{ds:?}");
    assert!(ds[0].1.contains("would be overridden in every `run`") && ds[0].2.contains("builder.ssh"), "{ds:?}");
}

#[test]
fn an_invalid_source_date_epoch_is_located_at_its_own_args_entry() {
    let ds = diagnostics(&format!("args:\n  A: x\n  SOURCE_DATE_EPOCH: soon\n{BUILDER}"), &[]);
    let epoch: Vec<_> = ds.iter().filter(|d| d.1.contains("SOURCE_DATE_EPOCH")).collect();
    assert_eq!(epoch.len(), 1, "{ds:?}");
    assert_eq!(epoch[0].3, Some(3), "{ds:?}");
}

#[test]
fn only_root_itself_may_be_listed_with_uid_0() {
    let users = |list: &str| errors(&format!("{BUILDER}rootfs:\n  users: {list}\n"), &[]);
    assert!(users("[{name: root, uid: 0}, {name: app, uid: 1000}]").is_empty());
    assert_eq!(users("[{name: root, uid: 1000}]").len(), 1, "root with another uid");
    assert_eq!(users("[{name: admin, uid: 0}]").len(), 1, "another name with uid 0");
}

#[test]
fn a_context_file_copied_into_a_directory_keeps_its_name() {
    let p = plan("copy:\n  - {from: \"context:conf/app.toml\", to: /etc/app/}\n  - {from: \"context:conf/other.toml\", to: /etc/other.toml}\nimage: {entrypoint: [/etc/app/app.toml]}\n", &[]);
    let dests: Vec<&str> = p.copies.iter().map(|c| c.dest.as_str()).collect();
    assert_eq!(dests, ["/etc/app/app.toml", "/etc/other.toml"]);
}

#[test]
fn the_ca_bundle_must_be_one_file() {
    for from in ["/", "/etc/ssl/certs/", "context:.", "context:certs/"] {
        let ds = diagnostics(&format!("{BUILDER}rootfs:\n  ca-certificates: {{from: \"{from}\"}}\n"), &[]);
        let errors: Vec<_> = ds.iter().filter(|d| d.0 == scratchkit::diag::Severity::Error).collect();
        assert_eq!(errors.len(), 1, "{from}: {ds:?}");
        assert!(errors[0].1.contains("must name one file"), "{from}: {ds:?}");
    }
    assert!(
        errors(&format!("{BUILDER}rootfs:\n  ca-certificates: {{from: \"context:certs/ca.pem\"}}\n"), &[]).is_empty()
    );
}

#[test]
fn all_time_zones_need_a_builder() {
    let spec = "copy: [{from: \"context:app\", to: /app}]\nimage: {entrypoint: [/app]}\nrootfs:\n  timezones: all\n";
    let errs = errors(spec, &[]);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("no builder to take time zones from"), "{errs:?}");
}

#[test]
fn tz_is_a_warning_only_when_time_zones_are_off() {
    let tz_warnings = |rootfs: &str, env: &str| {
        diagnostics(&format!("{BUILDER}{rootfs}image:\n  env: {env}\n"), &[])
            .into_iter()
            .filter(|d| d.1.contains("TZ"))
            .count()
    };
    assert_eq!(tz_warnings("rootfs: {timezones: none}\n", "{TZ: Europe/Amsterdam}"), 1);
    assert_eq!(tz_warnings("", "{TZ: Europe/Amsterdam}"), 0);
    assert_eq!(tz_warnings("rootfs: {timezones: none}\n", "{TZZ: x}"), 0, "another name");
}

#[test]
fn port_0_is_not_a_port() {
    let errs = errors(&format!("{BUILDER}image:\n  expose: [\"0\", \"0/udp\", \"1\"]\n"), &[]);
    assert_eq!(errs.len(), 2, "{errs:?}");
}

#[test]
fn a_build_arg_of_exactly_the_limit_is_taken_and_one_byte_more_is_not() {
    let limit = 256 * 1024; // MAX_ARG_VALUE
    let spec = format!("args: {{BIG: x}}\n{BUILDER}");
    assert!(errors(&spec, &[("BIG", &"b".repeat(limit))]).is_empty());
    assert_eq!(errors(&spec, &[("BIG", &"b".repeat(limit + 1))]).len(), 1);
}

#[test]
fn only_the_first_unused_build_args_get_a_suggestion() {
    // Each suggestion is a pass over the declared names: a few, then none, so many typos stay linear.
    let declared: String = (0..40).map(|i| format!("NAME_{i:02}: x, ")).collect();
    let spec = format!("args: {{{declared}}}\n{BUILDER}");
    let typos: Vec<(String, String)> = (0..40).map(|i| (format!("NAME_{i:02}X"), "v".to_string())).collect();
    let args: Vec<(&str, &str)> = typos.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let ds = diagnostics(&spec, &args);
    let unused: Vec<_> = ds.iter().filter(|d| d.1.contains("is not used")).collect();
    assert_eq!(unused.len(), 40, "{ds:?}");
    let suggested = unused.iter().filter(|d| d.1.contains("did you mean")).count();
    assert_eq!(suggested, 31, "the first 31 of 40");
}

#[test]
fn only_the_first_unknown_owners_get_a_suggestion() {
    let copies: String = (0..40).map(|i| format!("  - {{from: /out/f{i}, to: /f{i}, owner: nonrooot}}\n")).collect();
    let spec = format!("builder:\n  image: golang:1.23\n  run: go build -o /out/app .\ncopy:\n  - /out/app\n{copies}");
    let errs = errors(&spec, &[]);
    let hints: Vec<_> =
        diagnostics(&spec, &[]).into_iter().filter(|d| d.1.contains("owner `nonrooot`")).map(|d| d.2).collect();
    assert_eq!(hints.len(), 40, "{errs:?}");
    assert_eq!(hints.iter().filter(|h| h.contains("did you mean `nonroot`")).count(), 31, "{hints:?}");
    assert!(hints[39].contains("users are: "), "{}", hints[39]);
}

#[test]
fn the_whole_spec_may_grow_by_8_mib_through_build_args_and_the_excess_is_one_error() {
    // 200 KiB per value: under the per-value limit; 40 of them (8000 KiB) fit the total, 45 do not.
    let long = "v".repeat(200 * 1024);
    let spec = |n: usize| {
        let env: String = (0..n).map(|i| format!("V{i}: \"${{LONG}}\", ")).collect();
        format!("args: {{LONG: x, SHORT: x}}\n{BUILDER}image:\n  env: {{{env}LAST: \"${{SHORT}}\"}}\n")
    };
    let args = [("LONG", long.as_str()), ("SHORT", "short")];
    assert!(errors(&spec(40), &args).is_empty());
    let errs = errors(&spec(45), &args);
    assert_eq!(errs.len(), 1, "reported once: {:?}", errs.iter().map(|e| &e[..e.len().min(80)]).collect::<Vec<_>>());
    assert!(errs[0].contains("in all"), "{}", errs[0]);
}

#[test]
fn each_value_over_the_limit_is_its_own_error() {
    // 200 KiB twice is 400 KiB, over the 256 KiB a value may have: A and C are errors. Had the first
    // spent the spec's whole allowance, C would pass unexpanded and unreported.
    let long = "v".repeat(200 * 1024);
    let spec = format!("args: {{LONG: x, SHORT: x}}\n{BUILDER}image:\n  env: {{A: \"${{LONG}}${{LONG}}\", B: \"${{SHORT}}\", C: \"${{LONG}}${{LONG}}\"}}\n");
    let errs = errors(&spec, &[("LONG", &long), ("SHORT", "short")]);
    assert_eq!(errs.len(), 2, "{:?}", errs.iter().map(|e| &e[..e.len().min(80)]).collect::<Vec<_>>());
    let codes: Vec<&str> = compile(&spec, "scratch.yaml", &inputs(&[("LONG", &long), ("SHORT", "short")]))
        .err()
        .map_or_else(Vec::new, |e| e.diagnostics.errors().map(|d| d.rule.code).collect());
    assert_eq!(codes, [SK265.code, SK265.code], "each value over the limit, not the spec's total (SK280)");
}

#[test]
fn a_substitution_that_exactly_fills_the_limit_is_kept() {
    let args: BTreeMap<String, String> = [("A".to_string(), "12345".to_string())].into();
    let s = substitute("${A}xyz", &args, 8);
    assert!(!s.too_long);
    assert_eq!(s.text, "12345xyz");
    assert!(substitute("${A}xyz", &args, 7).too_long);
    assert!(!substitute("p${A}", &args, 6).too_long);
    assert!(substitute("p${A}", &args, 5).too_long, "the limit is at least the text's own length, 5");
}

#[test]
fn an_undeclared_name_after_a_lone_dollar_is_reported_at_its_offset() {
    let s = substitute("a$b${NOPE}", &BTreeMap::new(), 1 << 20);
    assert_eq!(s.undeclared, vec![("NOPE".to_string(), 3)]);
    let s = substitute("$x$y${NOPE}", &BTreeMap::new(), 1 << 20);
    assert_eq!(s.undeclared, vec![("NOPE".to_string(), 4)]);
}

#[test]
fn an_unknown_group_hint_counts_the_groups_it_does_not_show() {
    let groups: String = (0..12).map(|i| format!("{{name: g{i:02}, gid: {}}}, ", 3000 + i)).collect();
    let spec = format!(
        "{BUILDER}rootfs:\n  groups: [{groups}]\ncopy:\n  - {{from: /out/f, to: /f, owner: \"nonroot:zzzzzzzz\"}}\n"
    );
    let spec = spec.replace("copy: [/out/app]\n", "");
    let hints: Vec<String> =
        diagnostics(&spec, &[]).into_iter().filter(|d| d.1.contains("zzzzzzzz")).map(|d| d.2).collect();
    assert_eq!(hints.len(), 1, "{hints:?}");
    // root, nonroot, nobody's nogroup and the 12 listed: 10 shown, the rest counted.
    assert!(hints[0].contains("groups are: ") && hints[0].ends_with(" more"), "{}", hints[0]);
}

#[test]
fn a_uid_that_is_no_number_says_so_and_a_negative_one_is_out_of_range() {
    let users = |list: &str| errors(&format!("{BUILDER}rootfs:\n  users: {list}\n"), &[]);
    assert_eq!(users("[{name: app, uid: abc}]"), ["uid `abc` is not a number"]);
    assert_eq!(users("[{name: app, uid: \"1e3\"}]"), ["uid `1e3` is not a number"]);
    assert_eq!(users("[{name: app, uid: -1}]"), ["uid -1 is out of range"]);
    assert_eq!(users("[{name: app, uid: \"-\"}]"), ["uid `-` is not a number"]);
}
