//! Whatever bytes or YAML arrive, loading, planning, lowering and marshalling return (an error or a
//! graph) and never panic.

use proptest::prelude::*;

fn run_everything(text: &str) {
    if let Ok(built) = crate::support::build(text, "scratch.yaml") {
        for (_, def, _) in built {
            let _ = scratchkit::llb::render(&def);
        }
    }
}

/// YAML assembled from the spec's own keys and values, so the fuzzer gets past the parser.
fn yamlish() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "builder",
        "image",
        "run",
        "copy",
        "from",
        "to",
        "mode",
        "owner",
        "rootfs",
        "users",
        "name",
        "uid",
        "gid",
        "timezones",
        "tmp",
        "nsswitch",
        "services",
        "protocols",
        "mime-types",
        "ca-certificates",
        "libraries",
        "gconv",
        "dlopen",
        "packages",
        "dirs",
        "files",
        "path",
        "content",
        "entrypoint",
        "cmd",
        "user",
        "env",
        "expose",
        "labels",
        "platforms",
        "args",
        "workdir",
        "cache",
        "secrets",
        "id",
        "target",
        "ssh",
        "network",
        "platform",
        "version",
        "groups",
        "members",
        "x-extra",
        "bulder",
    ]);
    let value = prop::sample::select(vec![
        "golang:1.23",
        "/out/app",
        "0755",
        "1777",
        "0999",
        "true",
        "false",
        "all",
        "none",
        "auto",
        "[]",
        "{}",
        "[/out/app]",
        "app",
        "65532",
        "-1",
        "99999999999",
        "../..",
        "context:x/",
        "${X}",
        "${",
        "\"\"",
        "~",
        "linux/arm64",
        "8080/udp",
        "[UTC, Europe/Amsterdam]",
        "{from: /a, to: b/}",
        "root:root",
        "'quoted'",
    ]);
    let line = (0usize..4, any::<bool>(), key, value)
        .prop_map(|(indent, dash, k, v)| format!("{}{}{k}: {v}", "  ".repeat(indent), if dash { "- " } else { "" }));
    prop::collection::vec(line, 0..24).prop_map(|lines| lines.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        run_everything(&text);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        run_everything(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn spec_shaped_yaml_never_panics(text in yamlish()) {
        run_everything(&text);
    }
}

#[test]
fn every_fixture_survives_truncation_at_every_byte() {
    for path in crate::support::fixtures("ok").into_iter().chain(crate::support::fixtures("bad")) {
        let text = std::fs::read_to_string(&path).unwrap();
        for end in (0..=text.len()).filter(|i| text.is_char_boundary(*i)) {
            run_everything(&text[..end]);
        }
    }
}

/// Nesting `depth` levels deep in one of the forms YAML has, optionally under an ignored `x-` key.
fn nested(depth: usize, form: usize, under_extension: bool) -> String {
    let key = if under_extension { "x-deep" } else { "copy" };
    let body = match form {
        0 => format!("{key}: {}a\n", "- ".repeat(depth)),
        1 => format!("{key}:\n{}", (0..depth).map(|i| format!("{}-\n", "  ".repeat(i + 1))).collect::<String>()),
        2 => format!("{key}:\n{}", (0..depth).map(|i| format!("{}a:\n", " ".repeat(i + 1))).collect::<String>()),
        3 => format!("{key}: {}{}\n", "[".repeat(depth), "]".repeat(depth)),
        4 => format!("{key}: {}{}\n", "{a: ".repeat(depth), "}".repeat(depth)),
        _ => format!("{key}:\n{}", (0..depth).map(|i| format!("{}- [{{a: \n", "  ".repeat(i + 1))).collect::<String>()),
    };
    format!("builder: {{image: golang:1.23, run: go build -o /out/app .}}\n{body}")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Test threads have 2 MiB stacks: a parser recursing into 20,000 levels would abort the process.
    #[test]
    fn deep_nesting_never_overflows(depth in 1usize..6_000, form in 0usize..6, under_extension in any::<bool>()) {
        let text = nested(depth, form, under_extension);
        run_everything(&text);
        if depth > scratchkit::spec::scan::MAX_DEPTH {
            let err = crate::support::build(&text, "scratch.yaml").expect_err("too deep to compile");
            let refused = ["nests deeper than", "invalid YAML", "larger than"].iter().any(|w| err.rendered.contains(w));
            prop_assert!(refused, "{}", err.rendered);
        }
    }
}

#[test]
fn the_deepest_nesting_allowed_parses_on_a_small_stack() {
    for form in 0..6 {
        for depth in [scratchkit::spec::scan::MAX_DEPTH - 4, 20_000] {
            let text = nested(depth, form, true);
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || run_everything(&text))
                .unwrap()
                .join()
                .unwrap();
        }
    }
}

/// What used to print gigabytes: every problem of a 40,000-entry one-line list, each echoing the line.
#[test]
fn output_is_bounded_for_a_huge_one_line_spec() {
    let text = format!(
        "builder: {{image: golang:1.23, run: go build -o /out/app .}}\ncopy: [{}]\n",
        vec!["/a"; 40_000].join(",")
    );
    let start = std::time::Instant::now();
    let err = crate::support::build(&text, "scratch.yaml").expect_err("duplicates are errors");
    assert!(start.elapsed().as_secs() < 20, "took {:?}", start.elapsed());
    assert!(err.rendered.len() < 64 * 1024, "{} bytes", err.rendered.len());
    assert!(err.rendered.contains("more errors not shown"), "{}", &err.rendered[..2000]);
}
