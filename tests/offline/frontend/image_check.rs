//! The image check: the assembled image, read through ReadDir, as its user meets it.

use crate::frontend::*;
use crate::support::fake_gateway::*;
use scratchkit::gateway::FileStat;
use std::collections::BTreeMap;

const SYMLINK: u32 = 1 << 27;
const STICKY: u32 = 1 << 20;

/// What SMALLEST_NO_BUILDER's image holds when it is right: `/app` 0755, `/tmp` 1777, nonroot's home.
fn right_image() -> BTreeMap<String, FileStat> {
    let stat = |mode: u32, uid: u32| FileStat { mode, uid, gid: uid, size: 10, ..FileStat::default() };
    [
        ("/app", stat(0o755, 0)),
        ("/etc", stat(DIR | 0o755, 0)),
        ("/etc/passwd", stat(0o644, 0)),
        ("/etc/group", stat(0o644, 0)),
        ("/etc/nsswitch.conf", stat(0o644, 0)),
        ("/root", stat(DIR | 0o700, 0)),
        ("/home", stat(DIR | 0o755, 0)),
        ("/home/nonroot", stat(DIR | 0o700, 65532)),
        ("/tmp", stat(DIR | STICKY | 0o777, 0)),
    ]
    .into_iter()
    .map(|(p, s)| (p.to_string(), s))
    .collect()
}

const NO_BUILDER: &str = "copy: [{from: context:app, to: /app}]\n";

#[test]
fn the_image_is_listed_once_per_directory_and_a_right_one_is_returned() {
    let mut fake = FakeGateway::modern(NO_BUILDER);
    fake.image = Some(right_image());
    run_frontend(&mut fake, &[]);
    assert!(matches!(fake.answer, Some(Answer::Images { .. })), "{:?}", fake.answer);
    let mut listed = fake.image_lists.clone();
    listed.sort();
    assert_eq!(listed, ["/", "/etc", "/home", "/home/nonroot", "/root", "/tmp"]);
}

#[test]
fn a_wrong_image_fails_the_build_with_located_errors() {
    let mut fake = FakeGateway::modern(NO_BUILDER);
    let mut image = right_image();
    image.insert("/tmp".into(), FileStat { mode: DIR | 0o755, ..FileStat::default() });
    image.insert("/app".into(), FileStat { mode: 0o744, ..FileStat::default() });
    image.insert(
        "/etc/motd".into(),
        FileStat { mode: SYMLINK | 0o777, linkname: "/run/motd".into(), ..FileStat::default() },
    );
    fake.image = Some(image);
    run_frontend(&mut fake, &[]);
    let Some(Answer::Error(message)) = &fake.answer else { panic!("the build succeeded: {:?}", fake.answer) };
    for want in [
        "entrypoint `/app` cannot be executed by the image's user (uid 65532): it is a file, 0:0 0744",
        "--> scratch.yaml:1:8",
        "`rootfs.tmp`: `/tmp` should be a directory, 0:0 1777, but in the image it is a directory, 0:0 0755",
        "`/etc/motd` is a symlink to `/run/motd`, which does not resolve in the image",
    ] {
        assert!(message.contains(want), "no `{want}` in:\n{message}");
    }
}

#[test]
fn without_readdir_the_image_is_not_read() {
    let mut fake = FakeGateway::modern(NO_BUILDER);
    run_frontend(&mut fake, &[]);
    assert!(matches!(fake.answer, Some(Answer::Images { .. })), "{:?}", fake.answer);
    assert!(fake.image_lists.is_empty());
}

/// Without MergeOp, file operations drop special bits (the build warns): `/tmp` at 0777 is not held
/// against the image, which a current BuildKit's image would be.
#[test]
fn a_buildkit_that_drops_special_bits_is_not_failed_for_tmp() {
    let mut image = right_image();
    image.insert("/tmp".into(), FileStat { mode: DIR | 0o777, ..FileStat::default() });
    let mut fake = FakeGateway::old_buildkit(NO_BUILDER);
    fake.image = Some(image.clone());
    run_frontend(&mut fake, &[ALLOW_OLD]);
    assert!(matches!(fake.answer, Some(Answer::Images { .. })), "{:?}", fake.answer);
    let mut fake = FakeGateway::modern(NO_BUILDER);
    fake.image = Some(image);
    run_frontend(&mut fake, &[]);
    assert!(
        matches!(&fake.answer, Some(Answer::Error(m)) if m.contains("`/tmp` should be a directory, 0:0 1777")),
        "{:?}",
        fake.answer
    );
}

/// The walk keeps at most 16 listings in flight (each is a snapshot mount in BuildKit), however wide the
/// image.
#[test]
fn the_image_is_read_with_bounded_concurrency() {
    let mut image = right_image();
    for i in 0..64 {
        image.insert(format!("/srv{i}"), FileStat { mode: DIR | 0o755, ..FileStat::default() });
    }
    let mut fake = FakeGateway::modern(NO_BUILDER);
    fake.image = Some(image);
    run_frontend(&mut fake, &[]);
    assert!(matches!(fake.answer, Some(Answer::Images { .. })), "{:?}", fake.answer);
    assert_eq!(fake.image_lists.len(), 6 + 64);
    assert!(fake.peak_in_flight <= 16, "{} requests in flight at once", fake.peak_in_flight);
}
