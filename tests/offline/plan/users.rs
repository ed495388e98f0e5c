//! `rootfs.users`, `rootfs.groups` and the owners copies name: ids, root, hints for unknown names.

use super::*;

#[test]
fn only_root_itself_may_be_listed_with_uid_0() {
    let users = |list: &str| errors(&format!("{BUILDER}rootfs:\n  users: {list}\n"), &[]);
    assert!(users("[{name: root, uid: 0}, {name: app, uid: 1000}]").is_empty());
    assert_eq!(users("[{name: root, uid: 1000}]").len(), 1, "root with another uid");
    assert_eq!(users("[{name: admin, uid: 0}]").len(), 1, "another name with uid 0");
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
