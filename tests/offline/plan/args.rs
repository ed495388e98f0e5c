//! `args`, build args and `${NAME}` substitution: limits, offsets of undeclared names, reserved names,
//! suggestions for unused build args.

use scratchkit::rules::codes::SK265;
use std::collections::BTreeMap;

use scratchkit::compile::compile;
use scratchkit::plan::substitute;

use super::*;

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
