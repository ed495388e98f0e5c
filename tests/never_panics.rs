//! Whatever bytes or YAML arrive, loading, planning, lowering and marshalling return (an error or a
//! graph) and never panic.

mod common;

use proptest::prelude::*;

fn run_everything(text: &str) {
    if let Ok(built) = common::build(text, "scratch.yaml") {
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
    let line =
        (0usize..4, any::<bool>(), key, value).prop_map(|(indent, dash, k, v)| format!("{}{}{k}: {v}", "  ".repeat(indent), if dash { "- " } else { "" }));
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
    for path in common::fixtures("ok").into_iter().chain(common::fixtures("bad")) {
        let text = std::fs::read_to_string(&path).unwrap();
        for end in (0..=text.len()).filter(|i| text.is_char_boundary(*i)) {
            run_everything(&text[..end]);
        }
    }
}
