//! Cache imports (`--cache-from`) reach every solve; `--no-cache` marks every op.

use crate::frontend::*;
use crate::support::definitions::*;
use crate::support::fake_gateway::*;
use scratchkit::gateway::CacheImport;

#[test]
fn cache_from_reaches_every_builder_and_image_solve_of_every_platform() {
    let imports =
        r#"[{"Type":"registry","Attrs":{"ref":"127.0.0.1:5000/cache:app"}},{"Type":"local","Attrs":{"src":"/tmp/c"}}]"#;
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[("cache-imports", imports), ("platform", "linux/amd64,linux/arm64")]);
    assert_eq!(fake.images().0.len(), 2);
    let builds: Vec<&Solved> = fake.solved.iter().filter(|s| matches!(s.kind, Kind::Builder | Kind::Image)).collect();
    assert_eq!(builds.len(), 4, "a builder and an image solve per platform");
    for solved in builds {
        let got: Vec<(&str, &str)> = solved
            .cache_imports
            .iter()
            .map(|c| (c.kind.as_str(), c.attrs.values().next().map_or("", String::as_str)))
            .collect();
        assert_eq!(got, [("registry", "127.0.0.1:5000/cache:app"), ("local", "/tmp/c")], "{:?} solve", solved.kind);
    }
}

#[test]
fn legacy_cache_from_refs_are_registry_imports() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[("cache-from", "127.0.0.1:5000/cache:app")]);
    let builder = fake.solved.iter().find(|s| s.kind == Kind::Builder).expect("a builder solve");
    assert_eq!(
        builder.cache_imports,
        [CacheImport {
            kind: "registry".into(),
            attrs: [("ref".to_string(), "127.0.0.1:5000/cache:app".to_string())].into()
        }]
    );
}

#[test]
fn without_cache_from_no_solve_imports_a_cache() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[]);
    assert!(fake.solved.iter().all(|s| s.cache_imports.is_empty()));
}

#[test]
fn a_malformed_cache_imports_option_is_an_error_not_ignored() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[("cache-imports", "{not json")]);
    assert!(fake.error().contains("cache-imports"), "{}", fake.error());
}

/// A 200 KB option is quoted cut, as diagnostics are: its start, `…`, and its size (it was echoed whole,
/// and serde's reason quoted the value a second time).
#[test]
fn a_huge_bad_cache_imports_option_is_quoted_cut() {
    // A list of one string: serde's reason quotes the string too.
    let option = format!("[\"{}\\u001b\"]", "x".repeat(200_000));
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[("cache-imports", &option)]);
    let error = fake.error();
    assert!(error.starts_with("cannot read the cache-imports option `[\"xxx"), "{error}");
    assert!(error.len() < 1000, "{} bytes: {}…", error.len(), &error[..200]);
    assert!(error.contains("…` (200010 bytes): invalid type: string \"xxx"), "{error}");
}

#[test]
fn no_cache_marks_every_op_of_the_image() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[("no-cache", "")]);

    for def in [fake.only(Kind::Builder), fake.only(Kind::Image)] {
        let ops = rendered_ops(def);
        let (terminal, vertices) = ops.split_last().unwrap();
        assert_eq!(terminal["terminal"], true);
        for op in vertices {
            assert_eq!(op["ignore_cache"], true, "op without ignore_cache: {op:#}");
        }
    }
    // The spec and .dockerignore loads stay cached.
    assert!(rendered_ops(fake.only(Kind::Spec)).iter().all(|op| op.get("ignore_cache").is_none()));
}

#[test]
fn without_no_cache_nothing_ignores_the_cache() {
    let mut fake = FakeGateway::modern(&fixture("ok/smallest.yaml"));
    run_frontend(&mut fake, &[]);

    assert!(rendered_ops(fake.only(Kind::Image)).iter().all(|op| op.get("ignore_cache").is_none()));
}
