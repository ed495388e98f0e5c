//! Golden snapshots: the rendered LLB and image config of every spec under tests/fixtures/ok/, and the
//! rendered diagnostics of every spec under tests/fixtures/bad/. A change to either shows up as a diff.

use crate::support::{build, fixtures, stem, view};

#[test]
fn ok_fixtures_render_to_their_snapshots() {
    for path in fixtures("ok") {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = stem(&path);
        insta::assert_json_snapshot!(format!("ok__{name}"), view(&text, "scratch.yaml"));
    }
}

#[test]
fn bad_fixtures_fail_with_their_snapshots() {
    for path in fixtures("bad") {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = stem(&path);
        let err = match build(&text, "scratch.yaml") {
            Ok(_) => panic!("{name}: a bad fixture compiled"),
            Err(e) => e,
        };
        assert!(err.rendered.contains("--> scratch.yaml:"), "{name}: no location in\n{}", err.rendered);
        assert!(err.rendered.contains("= hint:"), "{name}: no hint in\n{}", err.rendered);
        assert!(
            !err.rendered.contains(|c: char| c.is_control() && c != '\n'),
            "{name}: a control character is printed raw\n{}",
            err.rendered
        );
        insta::assert_snapshot!(format!("bad__{name}"), err.rendered);
    }
}

/// Legal but risky specs under tests/fixtures/warn/ compile, and their rendered warnings are snapshots.
/// A fixture's `# build-arg: NAME=VALUE` lines are passed as `--build-arg`s.
#[test]
fn warn_fixtures_compile_with_their_warnings() {
    use scratchkit::compile::compile;
    use scratchkit::plan::PlanInputs;
    for path in fixtures("warn") {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = stem(&path);
        let build_args = text
            .lines()
            .filter_map(|l| l.strip_prefix("# build-arg: ")?.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let compiled = compile(&text, "scratch.yaml", &PlanInputs { build_args, ..PlanInputs::default() })
            .unwrap_or_else(|e| panic!("{name}: a warn fixture failed\n{}", e.rendered));
        assert!(compiled.warnings.errors().next().is_none());
        let rendered = compiled.warnings.render("scratch.yaml", &text);
        assert!(compiled.warnings.warnings().count() > 0, "{name}: no warning");
        assert!(compiled.warnings.warnings().all(|w| w.hint.is_some()), "{name}: a warning without a hint\n{rendered}");
        insta::assert_snapshot!(format!("warn__{name}"), rendered);
    }
}

/// Each error class the spec promises has a fixture and says what it must.
#[test]
fn each_error_class_names_its_problem() {
    let cases = [
        ("unknown-key", "did you mean `builder`?"),
        ("escapes-root", "escapes the root"),
        ("relative-dest", "is not an absolute path"),
        ("non-octal-mode", "is not an octal number"),
        ("duplicate-uid", "share uid 10001"),
        ("unknown-user", "no user named `ap`"),
        ("entrypoint-not-copied", "is not in the image"),
        ("no-copy", "no `copy:` section"),
        ("undeclared-arg", "`${GO_VERSION}` names no build arg"),
        ("duplicate-key", "duplicate key `image`"),
        ("nobody-taken", "collides with `nobody` (uid 65534)"),
        ("nobody-taken", "group `nogroup` is defined twice"),
        ("data-file-without-builder", "there is no builder to take `/etc/services` from"),
        ("passwd-forged-by-arg", "home `/home/a:x:0:0::/:/bin/sh` contains `:`"),
        ("passwd-newline", "is not a valid group name"),
        ("duplicate-group", "group `data` is defined twice"),
        ("home-system-dir", "home `/etc` is a system directory"),
        ("shared-home", "share the home `/srv/app`"),
        ("id-out-of-range", "uid 4294967296 is out of range"),
        ("owner-out-of-range", "owner `4294967295`: uid 4294967295 is out of range"),
        ("owner-out-of-range", "owner `0:4294967295`: gid 4294967295 is out of range"),
        ("nul-in-values", "`builder.env.GOFLAGS` contains a NUL byte"),
        ("nul-in-values", "a `builder.run` command contains a NUL byte"),
        ("nul-in-values", "`image.entrypoint` contains a NUL byte"),
        ("nul-in-values", "`image.cmd` contains a NUL byte"),
        ("nul-in-values", "`image.env.MODE` contains a NUL byte"),
        ("nul-in-values", "a label has an empty name"),
        ("nul-in-values", "the name of label `team\\u{0}` contains a NUL byte"),
        ("nul-in-values", "label `owner` contains a NUL byte"),
        ("nul-in-values", "`image.stop-signal` contains a NUL byte"),
        ("path-too-long", "has a name of 256 bytes; Linux takes at most 255 a name"),
        ("path-too-long", "is 4101 bytes long; Linux takes at most 4095"),
        ("path-too-long", "is 4096 bytes long; Linux takes at most 4095"),
        ("path-too-long", "context path `nnnn"),
        ("cache-over-outputs", "the cache mount `/work` covers `builder.workdir` `/work/src`"),
        ("cache-over-outputs", "`/cache/target/release/app` is in the cache mount `/cache/target` (`builder.cache`, line 7): a cache mount's contents are not in the builder's output"),
        ("cache-over-outputs", "`/cache/target` is in the cache mount `/cache/target`"),
        ("cache-over-outputs", "`/usr/local/cargo/registry/index` is in the cache mount `/usr/local/cargo/registry`"),
        ("empty-copy", "`copy` lists nothing\n --> scratch.yaml:5:1\n"),
        ("no-entrypoint", "no entrypoint: `copy` lists 2 files, so none is the obvious one\n --> scratch.yaml:5:1\n"),
        ("image-reference", "`UPPER` has upper-case letters"),
        ("control-characters", "unknown top-level key `\\u{1b}[2J\\u{1b}[31mimage`"),
        ("raw-escape", "3 | \\u{1b}[31mcopy: [/out/app]"),
        ("deep-nesting", "the spec nests deeper than 64 levels"),
        ("second-document", "a second YAML document starts here"),
        ("odd-paths", "secret id `..` is not a name"),
        ("mount-points", "builder.cache path `/proc/self/cwd` is under `/proc`"),
        ("ca-from-directory", "must name one file"),
        ("copy-into-root", "is copied into `/`: what the build leaves there would cover the root filesystem"),
        ("copy-over-rootfs", "`/etc/passwd` is written by `rootfs.users` and `rootfs.groups`: this copy would replace it"),
        ("copy-over-rootfs", "set `rootfs.nsswitch: false` to ship your own"),
        ("copy-over-rootfs", "`/tmp` is the directory `rootfs.tmp` makes (mode 1777)"),
        ("copy-over-rootfs", "`/etc` holds `/etc/passwd`"),
        ("copy-over-rootfs", "`/usr/share/zoneinfo/UTC` is inside `/usr/share/zoneinfo`, which `rootfs.timezones` writes"),
        ("copy-over-rootfs", "`/home/nonroot` is the directory the home of `nonroot` makes"),
        ("platforms", "scratchkit builds Linux images only"),
        ("platforms", "`mips` is not an architecture scratchkit builds for"),
        ("platforms", "`v8` is not a variant of arm"),
        ("reserved-args", "arg `PATH` would be overridden in every `run`"),
        ("reserved-args", "arg `TARGETARCH` would be overridden in every `run`"),
        ("package-metadata-without-builder", "there is no builder to describe packages of"),
        ("unknown-group", "did you mean `data`? groups are: root, app, nogroup, data"),
        ("cmd-not-in-image", "cmd[0] `/usr/bin/app` is not in the image"),
        ("load-and-plan-errors", "unknown key `chache` in `builder`"),
        ("load-and-plan-errors", "mode `0855` is not an octal number"),
    ];
    for (name, needle) in cases {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/bad/{name}.yaml"));
        let text = std::fs::read_to_string(&path).unwrap();
        let err = build(&text, "scratch.yaml").err().unwrap_or_else(|| panic!("{name} compiled"));
        assert!(err.rendered.contains(needle), "{name}: expected `{needle}` in\n{}", err.rendered);
    }
}

/// Every field written into /etc/passwd and /etc/group is checked after `--build-arg` substitution.
#[test]
fn build_args_cannot_forge_passwd_or_group_rows() {
    use scratchkit::compile::compile;
    use scratchkit::plan::PlanInputs;
    let text = "args: {NAME: app, HOME: /home/app, SHELL: /sbin/nologin, GROUP: data}\n\
                builder: {image: golang:1.23, run: go build -o /out/app .}\ncopy: [/out/app]\n\
                rootfs:\n  users: [{name: \"${NAME}\", uid: 10001, home: \"${HOME}\", shell: \"${SHELL}\"}]\n\
                \x20 groups: [{name: \"${GROUP}\", gid: 2000, members: [\"${NAME}\"]}]\n";
    let with =
        |k: &str, v: &str| PlanInputs { build_args: [(k.to_string(), v.to_string())].into(), ..PlanInputs::default() };
    assert!(compile(text, "scratch.yaml", &PlanInputs::default()).is_ok());
    for (arg, value, needle) in [
        ("HOME", "/home/a:x:0:0::/:/bin/sh", "contains `:`"),
        ("HOME", "/home/a\nevil::0:0::/:/bin/sh", "contains a newline"),
        ("SHELL", "/bin/sh\nevil::0:0::/:/bin/sh", "contains a newline"),
        ("SHELL", "/bin/sh\0", "contains a NUL byte"),
        ("NAME", "evil::0:0::/:/bin/sh\nx", "is not a valid user name"),
        ("GROUP", "wheel:x:0:app\nx", "is not a valid group name"),
        ("HOME", "/etc", "is a system directory"),
    ] {
        let err = compile(text, "scratch.yaml", &with(arg, value))
            .err()
            .unwrap_or_else(|| panic!("{arg}={value:?} compiled"));
        assert!(err.rendered.contains(needle), "{arg}={value:?}: expected `{needle}` in\n{}", err.rendered);
        assert!(
            !err.rendered.contains("\nevil"),
            "{arg}={value:?}: a raw newline reached the output\n{}",
            err.rendered
        );
    }
}

/// After a value of the wrong type only the loader's errors are shown: the plan would see the value
/// missing and say so a second time.
#[test]
fn a_wrong_type_does_not_cascade_into_plan_errors() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad/wrong-type-hides-cascade.yaml");
    let err = build(&std::fs::read_to_string(path).unwrap(), "scratch.yaml").err().unwrap();
    let messages: Vec<&str> = err.diagnostics.items.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages, ["`rootfs.users[].uid` must be a single value, found a list"], "{}", err.rendered);
}

#[test]
fn many_problems_are_reported_at_once() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad/many-problems.yaml");
    let err = build(&std::fs::read_to_string(path).unwrap(), "scratch.yaml").err().unwrap();
    assert!(err.diagnostics.errors().count() >= 7, "{}", err.rendered);
}

#[test]
fn the_debug_target_adds_busybox_and_nothing_else() {
    use scratchkit::compile::compile;
    use scratchkit::llb::{render, MarshalOptions};
    use scratchkit::plan::PlanInputs;
    let text = "builder: {image: golang:1.23, run: go build -o /out/app .}\ncopy: [/out/app]\ndebug: {image: example/busybox:1}\n";
    let names = |target: Option<&str>| -> Vec<String> {
        let inputs = PlanInputs { target: target.map(str::to_string), ..PlanInputs::default() };
        let plan = compile(text, "scratch.yaml", &inputs).unwrap().plan;
        let lowered = scratchkit::lower::lower(
            &plan,
            &scratchkit::lower::BuildInputs::new(scratchkit::platform::Platform::linux_amd64()),
            &scratchkit::lower::PlatformInputs::default(),
            &scratchkit::plan::Found::default(),
        );
        let view = render(&lowered[0].image.marshal(&MarshalOptions::default()));
        view["ops"].as_array().unwrap().iter().filter_map(|o| o["name"].as_str().map(String::from)).collect()
    };
    let default = names(None);
    let debug = names(Some("debug"));
    assert!(!default.iter().any(|n| n.contains("busybox")), "{default:?}");
    assert!(debug.contains(&"[debug] busybox".to_string()), "{debug:?}");
    assert!(debug.contains(&"[debug] FROM example/busybox:1".to_string()), "{debug:?}");
    assert_eq!(debug.len(), default.len() + 3, "only the busybox source, its staging and its layer are added");
    let err = compile(text, "scratch.yaml", &PlanInputs { target: Some("prod".into()), ..PlanInputs::default() })
        .err()
        .unwrap();
    assert!(
        err.rendered.contains("unknown target `prod`") && err.rendered.contains("default, debug"),
        "{}",
        err.rendered
    );
}

/// The README's "legal but risky" warnings come back with the plan, not as errors.
#[test]
fn risky_choices_are_warnings() {
    use scratchkit::compile::compile;
    use scratchkit::plan::PlanInputs;
    let warnings = |text: &str| -> Vec<String> {
        compile(text, "scratch.yaml", &PlanInputs::default())
            .expect("compiles")
            .warnings
            .items
            .into_iter()
            .map(|d| d.message)
            .collect()
    };
    let base = "builder: {image: golang:1.23, run: go build -o /out/app .}\ncopy: [/out/app]\n";
    assert!(warnings(base).is_empty(), "{:?}", warnings(base));
    let root = format!("{base}image: {{user: root}}\n");
    assert_eq!(warnings(&root), ["the image runs as root"]);
    // Located at what makes it root: `image.user`, or the `users` key.
    let span = |text: &str| {
        compile(text, "scratch.yaml", &PlanInputs::default()).unwrap().warnings.items[0]
            .span
            .map(|s| (s.line, s.column))
    };
    assert_eq!(span(&root), Some((3, 15)));
    assert_eq!(span(&format!("{base}rootfs:\n  users: []\n")), Some((4, 3)));
    let tz = format!("{base}rootfs: {{timezones: none}}\nimage: {{env: {{TZ: Europe/Amsterdam}}}}\n");
    assert_eq!(warnings(&tz), ["`TZ` is set but `rootfs.timezones` is `none`"]);
    // A builder with only an image is a file source (a program copied out of a published image), or where
    // the libraries of a program copied from the context come from: neither is warned about.
    assert!(warnings("builder: {image: example/tools:1}\ncopy: [/usr/bin/tool]\n").is_empty());
    assert!(warnings("builder: {image: example/tools:1}\ncopy: [{from: \"context:tool\", to: /tool}]\n").is_empty());
}

/// Issue 9's wrong refusals: `..` inside a path is normalised, `/opt/.` names a directory, quoted empty
/// strings are values, and a BOM is not part of the first key.
#[test]
fn legal_input_that_used_to_be_refused() {
    use scratchkit::compile::compile;
    use scratchkit::plan::PlanInputs;
    let text = "\u{feff}builder: {image: golang:1.23, run: go build -o /out/app .}\n\
                copy:\n  - {from: /out/app, to: /opt/x/..}\n  - {from: /out/lib.so, to: /usr/lib/.}\n\
                image: {entrypoint: [/opt/app], cmd: [\"\"], env: {FOO: \"\"}}\n";
    let plan = compile(text, "scratch.yaml", &PlanInputs::default()).unwrap_or_else(|e| panic!("{}", e.rendered)).plan;
    let dests: Vec<&str> = plan.copies.iter().map(|c| c.dest.as_str()).collect();
    assert_eq!(dests, ["/opt/app", "/usr/lib/lib.so"], "`/opt/x/..` and `/usr/lib/.` name directories");
    assert_eq!(plan.image.cmd, Some(vec![String::new()]));
    assert!(plan.image.env.contains(&("FOO".to_string(), String::new())), "{:?}", plan.image.env);

    // A directory copied without a trailing `/` may hold the entrypoint; `$$` is a literal `$`.
    let text = "args: {V: \"1\"}\nbuilder: {image: golang:1.23, run: go build -o /out/static/app .}\n\
                copy: [{from: /out/static, to: /srv/}]\n\
                image: {entrypoint: [/srv/static/app], labels: {note: \"$${V} is ${V}\"}}\n";
    let plan = compile(text, "scratch.yaml", &PlanInputs::default()).unwrap_or_else(|e| panic!("{}", e.rendered)).plan;
    assert_eq!(plan.image.labels, [("note".to_string(), "${V} is 1".to_string())]);
}

/// What lowering adds once the builder has run (the libraries and package metadata layers) and the debug
/// target's busybox, and a listed zone, with `SOURCE_DATE_EPOCH`: each copy's options (owner, mode, symlinks, timestamps) are
/// in the snapshot. A package whose name is not a Debian package name is left out.
#[test]
fn the_layers_from_the_builders_output_render_to_their_snapshot() {
    use scratchkit::compile::compile;
    use scratchkit::llb::{render, MarshalOptions};
    use scratchkit::lower::{lower_platform, BuildInputs, PlatformInputs};
    use scratchkit::plan::PlanInputs;
    use scratchkit::plan::{Found, PackageFiles, PackageMetadata};
    use scratchkit::platform::Platform;

    // The fixture ends inside `rootfs:`; one listed zone adds the per-zone copies.
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ok/dynamic-cgo.yaml"))
        .unwrap()
        + "  timezones: [Europe/Amsterdam]\n";
    let inputs = PlanInputs {
        build_args: [("SOURCE_DATE_EPOCH".to_string(), "1700000000".to_string())].into(),
        target: Some("debug".into()),
        ..PlanInputs::default()
    };
    let plan = compile(&text, "scratch.yaml", &inputs).unwrap_or_else(|e| panic!("{}", e.rendered)).plan;
    let package = |name: &str, md5sums: &str, copyright: Option<&str>| PackageFiles {
        name: name.into(),
        stanza: format!("Package: {name}\nStatus: install ok installed\n"),
        md5sums: md5sums.into(),
        copyright: copyright.map(str::to_string),
    };
    let packages = PackageMetadata {
        packages: vec![
            package(
                "libc6",
                "0123456789abcdef0123456789abcdef  lib/x86_64-linux-gnu/libc.so.6\n",
                Some("/usr/share/doc/libc6/copyright"),
            ),
            package("tzdata", "", None),
            package("../../etc/passwd", "", None),
        ],
        os_release: Some("/usr/lib/os-release".into()),
    };
    let libraries = vec!["/lib64/ld-linux-x86-64.so.2".into(), "/lib/x86_64-linux-gnu/libc.so.6".into()];
    let found = Found { libraries, packages, ..Found::default() };
    let lowered = lower_platform(
        &plan,
        &BuildInputs::new(Platform::linux_amd64()),
        &PlatformInputs::default(),
        &found,
        &Platform::linux_amd64(),
    );
    let llb = render(&lowered.image.marshal(&MarshalOptions::default()));
    assert!(!llb.to_string().contains("../../etc/passwd"), "a package name became a path");
    insta::assert_json_snapshot!("builder_output_layers", llb);
}
