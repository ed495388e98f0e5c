//! The checks' exec (docs/dev/analysis-exec.md): scratchkit's own static binary, from the frontend's
//! image, runs `scratchkit analyze` with the request and the checked filesystem mounted read-only and
//! writes its verdict into its root, where the frontend reads it. No network; the build platform (the
//! binary only reads files, so a foreign builder needs no emulation here).

use crate::llb::{CopyOptions, Exec, FileAction, Mount, MountKind, Network, State};
use crate::platform::Platform;

/// The request file, in its mount.
pub const REQUEST_DIR: &str = "/request";
pub const REQUEST: &str = "/request/request.json";
/// Where the image is mounted.
pub const IMAGE: &str = "/image";
/// The verdict, in the exec's root.
pub const VERDICT: &str = "/verdict.json";
/// The binary in the frontend image (scripts/frontend-image.sh, the Dockerfile).
pub const BINARY: &str = "/scratchkit";

pub const BUILDER_NAME: &str = "[internal] check the builder's output";
pub const IMAGE_NAME: &str = "[internal] check the image";

/// Where the builder's check keeps the analyzer, its request and its verdict, inside the builder's root.
pub const IN_ROOT: &str = "/.scratchkit-analysis";

/// The builder's verdict (`VERDICT` in a state of its own): an exec whose only mount is its root, the
/// builder's output with the analyzer and the request copied in. BuildKit leaves the mounts of such an
/// exec out of its cache key (as for a Dockerfile `RUN`), so the key is the same on both sides of
/// BuildKit v0.13/v0.14, whose JSON of a mount differs (docs/dev/analysis-exec.md), and a cache exported
/// by either is found by both. The verdict is copied out into a state of its own, so that reading it
/// loads one small layer, not the builder's.
pub fn builder_verdict(analyzer: &State, request: Vec<u8>, builder: &State, build_platform: &Platform) -> State {
    let binary = format!("{IN_ROOT}/scratchkit");
    let (request_path, verdict_path) = (format!("{IN_ROOT}/request.json"), format!("{IN_ROOT}/verdict.json"));
    let copy_binary = FileAction::Copy {
        from: analyzer.clone(),
        src: BINARY.into(),
        dest: binary.clone(),
        options: CopyOptions { create_dest_path: true, ..CopyOptions::default() },
    };
    let request =
        FileAction::Mkfile { path: request_path.clone(), mode: 0o444, data: request, owner: None, timestamp: Some(0) };
    let root = builder.file(vec![copy_binary, request]).named("[internal] analysis request");
    let mut exec = Exec::default();
    exec.args = vec![binary, "analyze".into(), request_path, "/".into(), verdict_path.clone()];
    exec.cwd = "/".into();
    exec.network = Network::None;
    exec.platform = Some(build_platform.clone());
    let checked = root.run(exec).named(BUILDER_NAME);
    let copy_out =
        FileAction::Copy { from: checked, src: verdict_path, dest: VERDICT.into(), options: CopyOptions::default() };
    State::scratch().file(vec![copy_out]).named("[internal] the builder's verdict")
}

/// The image's verdict: an exec with the image mounted read-only at `IMAGE` (never written into) and the
/// request beside it; the verdict is written into the exec's own root.
pub fn image_verdict(analyzer: &State, request: Vec<u8>, image: &State, build_platform: &Platform) -> State {
    let file = FileAction::Mkfile {
        path: "/request.json".into(),
        mode: 0o444,
        data: request,
        owner: None,
        timestamp: Some(0),
    };
    let request = State::scratch().file(vec![file]).named("[internal] analysis request");
    let read_only = |dest: &str, from: State| Mount { dest: dest.to_string(), kind: MountKind::ReadOnlyByKey { from } };
    let mut exec = Exec::default();
    exec.args = vec![BINARY.into(), "analyze".into(), REQUEST.into(), IMAGE.into(), VERDICT.into()];
    exec.cwd = "/".into();
    exec.network = Network::None;
    exec.mounts = vec![read_only(REQUEST_DIR, request), read_only(IMAGE, image.clone())];
    exec.platform = Some(build_platform.clone());
    analyzer.run(exec).named(IMAGE_NAME)
}

/// Ties the builder's verdict into the image's graph, so that a `mode=max` cache export carries it (a
/// frontend's own solves are not exported): a copy out of it of a pattern that matches nothing, into
/// `actions`' first top-level path, changes no file. A runner importing that cache then reads the
/// verdict's small layer instead of running the exec over the builder, which would pull the builder image.
pub fn tie(actions: &mut Vec<FileAction>, verdict: &State) {
    let first = actions.first().map(|a| match a {
        FileAction::Mkdir { path, .. } | FileAction::Mkfile { path, .. } => path,
        FileAction::Copy { dest, .. } => dest,
    });
    let Some(top) = first.and_then(|p| p.trim_start_matches('/').split('/').next()).filter(|t| !t.is_empty()) else {
        return;
    };
    let options = CopyOptions { allow_wildcard: true, allow_empty_wildcard: true, ..CopyOptions::default() };
    // `[.]` is a pattern, and the analyzer's root has no `.verdict-tie`.
    actions.push(FileAction::Copy {
        from: verdict.clone(),
        src: "/[.]verdict-tie".into(),
        dest: format!("/{top}"),
        options,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llb::{render, MarshalOptions};

    fn text(state: &State) -> String {
        format!("{:#}", render(&state.marshal(&MarshalOptions::default())))
    }

    #[test]
    fn the_exec_runs_the_analyzer_offline_over_read_only_mounts_keyed_by_their_inputs() {
        let platform = Platform::linux_amd64();
        let analyzer = State::image("docker.io/library/scratchkit:x", &platform, None);
        let image = State::image("docker.io/library/golang:1", &platform, None);
        let t = text(&image_verdict(&analyzer, b"{}".to_vec(), &image, &platform));
        assert!(t.contains("\"/scratchkit\",\n") && t.contains("\"analyze\"") && t.contains("\"/image\",\n"), "{t}");
        assert!(t.contains("\"network\": \"none\""), "{t}");
        // Both mounts read-only, neither hashed by content (BuildKit would hash the whole builder).
        assert_eq!(t.matches("\"readonly\": true").count(), 2, "{t}");
        assert_eq!(t.matches("\"content_cache\": \"off\"").count(), 2, "{t}");
        assert!(t.contains("\"env\": []"), "no BUILDKIT_* variable: the binary must not start as a frontend: {t}");
    }

    #[test]
    fn the_builders_check_has_its_root_mount_only_and_its_verdict_is_copied_out() {
        let platform = Platform::linux_amd64();
        let analyzer = State::image("docker.io/library/scratchkit:x", &platform, None);
        let builder = State::image("docker.io/library/golang:1", &platform, None);
        let t = text(&builder_verdict(&analyzer, b"{}".to_vec(), &builder, &platform));
        // One mount, `/`, writable: BuildKit then leaves the mounts out of the exec's cache key.
        assert_eq!(t.matches("\"dest\": \"/\"").count(), 1, "{t}");
        assert!(!t.contains("\"readonly\": true") && !t.contains("content_cache"), "{t}");
        assert!(t.contains("\"/.scratchkit-analysis/scratchkit\",\n") && t.contains("\"analyze\""), "{t}");
        // The builder has no `/.scratchkit-analysis`: the copy of the analyzer makes it.
        assert_eq!(t.matches("\"create_dest_path\": true").count(), 1, "{t}");
        assert!(t.contains("\"network\": \"none\""), "{t}");
        assert!(
            t.contains("\"copy\": \"/.scratchkit-analysis/verdict.json\"") && t.contains("\"dest\": \"/verdict.json\""),
            "{t}"
        );
        assert!(t.contains("\"env\": []"), "{t}");
    }

    #[test]
    fn the_tie_copies_nothing_into_an_existing_top() {
        let platform = Platform::linux_amd64();
        let verdict = State::image("docker.io/library/scratchkit:x", &platform, None);
        let mut actions = vec![FileAction::Mkdir {
            path: "/out/x".into(),
            mode: 0o755,
            make_parents: true,
            owner: None,
            timestamp: None,
        }];
        tie(&mut actions, &verdict);
        let FileAction::Copy { src, dest, options, .. } = &actions[1] else { panic!("{actions:?}") };
        assert_eq!((src.as_str(), dest.as_str()), ("/[.]verdict-tie", "/out"));
        assert!(options.allow_wildcard && options.allow_empty_wildcard);
        let mut none = Vec::new();
        tie(&mut none, &verdict);
        assert!(none.is_empty());
    }
}
