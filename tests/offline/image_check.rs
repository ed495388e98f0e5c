//! The image check (`verify::image`) over an image in memory: each finding, its message and the spec
//! line it points at; what `image.accept` leaves out; how links resolve inside the image; the walk.
use std::collections::BTreeMap;

use scratchkit::plan::{Plan, PlanInputs, CA_BUNDLE, ZONEINFO};
use scratchkit::platform::Platform;
use scratchkit::verify::image::{check, findings, ld_so_cache_dirs, Entry, Facts, ImageFs, Kind, Tree, Unresolved};
use scratchkit::verify::libraries;

const SPEC: &str = "\
builder:
  image: golang:1.22
  run: go build -o /out/app .
copy: [/out/app, {from: /out/site, to: /srv/site}]
rootfs:
  users: [{name: app, uid: 1000}]
  timezones: [Europe]
  dirs: [{path: /data, mode: \"0750\", owner: app}]
  files: [{path: /etc/app.conf, content: x}]
image:
  entrypoint: [/out/app]
  accept: [/srv/site/current]
";

fn planned(text: &str) -> Plan {
    scratchkit::compile::compile(text, "scratch.yaml", &PlanInputs::default())
        .unwrap_or_else(|e| panic!("{}", e.rendered))
        .plan
}

fn e(kind: Kind, mode: u32, uid: u32, gid: u32) -> Entry {
    Entry { kind, mode, uid, gid, size: 1 }
}

/// The image SPEC should give.
fn good() -> BTreeMap<String, Entry> {
    let dir = |m| e(Kind::Dir, m, 0, 0);
    let file = |m| e(Kind::File, m, 0, 0);
    [
        ("/etc", dir(0o755)),
        ("/etc/passwd", file(0o644)),
        ("/etc/group", file(0o644)),
        ("/etc/nsswitch.conf", file(0o644)),
        ("/etc/app.conf", file(0o644)),
        ("/etc/ssl", dir(0o755)),
        ("/etc/ssl/certs", dir(0o755)),
        ("/etc/ssl/certs/ca-certificates.crt", file(0o644)),
        ("/root", dir(0o700)),
        ("/home", dir(0o755)),
        ("/home/app", e(Kind::Dir, 0o700, 1000, 1000)),
        ("/tmp", dir(0o1777)),
        ("/data", e(Kind::Dir, 0o750, 1000, 1000)),
        ("/out", dir(0o755)),
        ("/out/app", file(0o755)),
        ("/srv", dir(0o755)),
        ("/srv/site", dir(0o755)),
        ("/srv/site/index.html", file(0o644)),
        ("/srv/site/home", e(Kind::Symlink("index.html".into()), 0o777, 0, 0)),
        ("/srv/site/current", e(Kind::Symlink("/mnt/releases/current".into()), 0o777, 0, 0)),
        ("/usr", dir(0o755)),
        ("/usr/share", dir(0o755)),
        ("/usr/share/zoneinfo", dir(0o755)),
        ("/usr/share/zoneinfo/Europe", dir(0o755)),
        ("/usr/share/zoneinfo/Europe/Amsterdam", file(0o644)),
        ("/usr/share/zoneinfo/Europe/Brussels", file(0o644)),
    ]
    .into_iter()
    .map(|(p, e)| (p.to_string(), e))
    .collect()
}

fn found_in(entries: BTreeMap<String, Entry>, text: &str) -> Vec<(String, usize)> {
    let plan = planned(text);
    let platform = Platform::linux_amd64();
    let facts = Facts { platform: &platform, elves: BTreeMap::new(), missing: Vec::new(), shebang: None };
    findings(&Tree::new(entries), &plan, &facts)
        .items
        .into_iter()
        .map(|d| (d.message, d.span.map_or(0, |s| s.line)))
        .collect()
}

fn found(change: impl FnOnce(&mut BTreeMap<String, Entry>)) -> Vec<(String, usize)> {
    let mut entries = good();
    change(&mut entries);
    found_in(entries, SPEC)
}

fn one(change: impl FnOnce(&mut BTreeMap<String, Entry>)) -> (String, usize) {
    let all = found(change);
    assert_eq!(all.len(), 1, "{all:#?}");
    all.into_iter().next().expect("one")
}

#[test]
fn the_image_the_spec_asks_for_has_no_findings() {
    assert_eq!(found(|_| {}), []);
}

#[test]
fn a_program_that_is_a_directory_is_an_error_at_the_entrypoint() {
    let (message, line) = one(|t| {
        t.insert("/out/app".into(), e(Kind::Dir, 0o755, 0, 0));
    });
    assert!(
        message.starts_with("entrypoint `/out/app` is not a regular file in the image: it is a directory"),
        "{message}"
    );
    assert_eq!(line, 11);
}

#[test]
fn a_program_the_user_cannot_execute_is_an_error() {
    // Owner-only execute bits: uid 1000 is neither the owner nor in its group.
    let (message, line) = one(|t| {
        t.insert("/out/app".into(), e(Kind::File, 0o744, 0, 0));
    });
    assert!(message.contains("cannot be executed by the image's user (uid 1000): it is a file, 0:0 0744"), "{message}");
    assert_eq!(line, 11);
    // The same bits, owned by the user: fine.
    assert_eq!(found(|t| drop(t.insert("/out/app".into(), e(Kind::File, 0o744, 1000, 1000)))), []);
    // The group's bits apply to a member of the group.
    assert_eq!(found(|t| drop(t.insert("/out/app".into(), e(Kind::File, 0o754, 0, 1000)))), []);
}

#[test]
fn a_program_behind_a_closed_directory_is_an_error() {
    let (message, _) = one(|t| {
        t.insert("/out".into(), e(Kind::Dir, 0o700, 0, 0));
    });
    assert!(
        message.contains("cannot be reached by the image's user (uid 1000): `/out` is a directory, 0:0 0700"),
        "{message}"
    );
}

#[test]
fn a_missing_program_names_what_is_missing() {
    let (message, _) = one(|t| {
        t.remove("/out/app");
    });
    assert!(message.contains("entrypoint `/out/app` cannot be started: `/out/app` is not in the image"), "{message}");
}

#[test]
fn tmp_that_lost_its_sticky_bit_is_an_error() {
    let (message, _) = one(|t| {
        t.insert("/tmp".into(), e(Kind::Dir, 0o755, 0, 0));
    });
    assert_eq!(
        message,
        "`rootfs.tmp`: `/tmp` should be a directory, 0:0 1777, but in the image it is a directory, 0:0 0755"
    );
}

#[test]
fn tmp_that_lost_its_mode_points_at_what_the_spec_puts_below_it() {
    // A `rootfs.files` entry below /tmp is where /tmp was most likely re-made (before issue 20's fix, as
    // 0755): its line (9), not the `dirs` entry above it (8) that is not below /tmp.
    let text = SPEC.replace(
        "{path: /etc/app.conf, content: x}]",
        "{path: /etc/app.conf, content: x}, {path: /tmp/note, content: x}]",
    );
    let mut entries = good();
    entries.insert("/tmp".into(), e(Kind::Dir, 0o755, 0, 0));
    entries.insert("/tmp/note".into(), e(Kind::File, 0o644, 0, 0));
    let all = found_in(entries, &text);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert!(all[0].0.starts_with("`rootfs.tmp`: `/tmp` should be a directory, 0:0 1777"), "{all:#?}");
    assert_eq!(all[0].1, 9, "the `files` line: {all:#?}");
}

#[test]
fn a_root_owned_home_is_an_error_at_its_user() {
    let (message, line) = one(|t| {
        t.insert("/home/app".into(), e(Kind::Dir, 0o755, 0, 0));
    });
    assert!(message.starts_with("the home `/home/app` should be a directory, 1000:1000 0700"), "{message}");
    assert_eq!(line, 6);
}

#[test]
fn dirs_and_files_entries_are_checked_at_their_entry() {
    let (message, line) = one(|t| {
        t.insert("/data".into(), e(Kind::Dir, 0o755, 0, 0));
    });
    assert!(message.starts_with("`rootfs.dirs`: `/data` should be a directory, 1000:1000 0750"), "{message}");
    assert_eq!(line, 8);
    let (message, line) = one(|t| {
        t.insert("/etc/app.conf".into(), e(Kind::Dir, 0o755, 0, 0));
    });
    assert!(message.starts_with("`rootfs.files`: `/etc/app.conf` should be a file, 0:0 0644"), "{message}");
    assert_eq!(line, 9);
}

#[test]
fn a_ca_bundle_that_is_a_directory_or_unreadable_is_an_error() {
    let (message, _) = one(|t| {
        t.insert(CA_BUNDLE.into(), e(Kind::Dir, 0o755, 0, 0));
    });
    assert!(
        message.starts_with("the CA bundle `/etc/ssl/certs/ca-certificates.crt` is not a regular file"),
        "{message}"
    );
    let (message, _) = one(|t| {
        t.insert(CA_BUNDLE.into(), e(Kind::File, 0o600, 0, 0));
    });
    assert!(message.contains("cannot be read by the image's user (uid 1000)"), "{message}");
    // A bundle reached through a symlink is followed.
    assert_eq!(
        found(|t| drop(t.insert(CA_BUNDLE.into(), e(Kind::Symlink("../../app.conf".into()), 0o777, 0, 0))),),
        []
    );
}

#[test]
fn a_ca_bundle_the_image_cannot_open_is_an_error() {
    // Unlike a data file the builder turned out not to have, the bundle is never optional.
    let dangling = found(|t| drop(t.insert(CA_BUNDLE.into(), e(Kind::Symlink("gone.pem".into()), 0o777, 0, 0))));
    let opened = |all: &[(String, usize)]| {
        all.iter().any(|(m, _)| m.starts_with("the CA bundle `/etc/ssl/certs/ca-certificates.crt` cannot be opened"))
    };
    assert!(opened(&dangling), "{dangling:#?}");
    let absent = found(|t| drop(t.remove(CA_BUNDLE)));
    assert!(opened(&absent), "{absent:#?}");
}

#[test]
fn zone_directories_without_x_are_one_error_naming_them() {
    let (message, line) = one(|t| {
        t.insert("/usr/share/zoneinfo/Europe".into(), e(Kind::Dir, 0o644, 0, 0));
    });
    assert_eq!(message, "the time zone database cannot be read by the image's user (uid 1000): `/usr/share/zoneinfo/Europe` (a directory, 0:0 0644)");
    assert_eq!(line, 7);
    let all = found(|t| {
        for z in ["Europe/Amsterdam", "Europe/Brussels"] {
            t.insert(format!("{ZONEINFO}/{z}"), e(Kind::File, 0o600, 0, 0));
        }
        t.insert("/usr/share/zoneinfo/Europe".into(), e(Kind::Dir, 0o700, 0, 0));
        t.insert("/usr/share/zoneinfo/Europe/Paris".into(), e(Kind::File, 0o600, 0, 0));
    });
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(all[0].0.ends_with(" and 1 more"), "{all:?}");
}

#[test]
fn a_dangling_symlink_is_an_error_at_the_copy_unless_accepted() {
    let (message, line) = one(|t| {
        t.insert("/srv/site/home".into(), e(Kind::Symlink("/etc/java/site.conf".into()), 0o777, 0, 0));
    });
    assert_eq!(message, "`/srv/site/home` is a symlink to `/etc/java/site.conf`, which does not resolve in the image: `/etc/java` is not in the image");
    assert_eq!(line, 4);
    // `/srv/site/current` dangles too, but `image.accept` lists it.
    let unaccepted = SPEC.replace("  accept: [/srv/site/current]\n", "");
    let all = found_in(good(), &unaccepted);
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(all[0].0.starts_with("`/srv/site/current` is a symlink to `/mnt/releases/current`"), "{all:?}");
}

#[test]
fn links_resolve_inside_the_image_never_outside() {
    let mut entries = good();
    // `..` stops at the image's root, as in a container: this names `/etc/passwd`.
    entries.insert("/srv/up".into(), e(Kind::Symlink("../../../../etc/passwd".into()), 0o777, 0, 0));
    entries.insert("/srv/loop".into(), e(Kind::Symlink("loop".into()), 0o777, 0, 0));
    let tree = Tree::new(entries);
    assert_eq!(tree.resolve("/srv/up", true), Ok("/etc/passwd".into()));
    assert_eq!(tree.resolve("/srv/up", false), Ok("/srv/up".into()));
    assert_eq!(tree.resolve("/srv/loop", true), Err(Unresolved::Loop));
    assert_eq!(tree.resolve("/etc/passwd/x", true), Err(Unresolved::NotADirectory("/etc/passwd".into())));
    assert_eq!(
        tree.resolve("/srv/site/home/../index.html", true),
        Err(Unresolved::NotADirectory("/srv/site/index.html".into()))
    );
}

#[test]
fn a_missing_library_is_an_error_at_the_copy_that_brought_the_program() {
    let plan = planned(SPEC);
    let platform = Platform::linux_amd64();
    let missing = vec![libraries::Missing {
        library: "libz.so.1".into(),
        needed_by: "/srv/site/bin/node".into(),
        searched: vec!["/lib".into()],
        ..Default::default()
    }];
    let facts = Facts { platform: &platform, elves: BTreeMap::new(), missing, shebang: None };
    let ds = findings(&Tree::new(good()), &plan, &facts);
    let d = ds.items.first().expect("a finding");
    assert_eq!(d.message, "`/srv/site/bin/node` needs `libz.so.1`, which is not in the image (searched /lib)");
    assert_eq!(d.span.map(|s| s.line), Some(4));
}

/// An image in memory: listings from the entries, bytes from `bytes`.
struct Memory {
    entries: BTreeMap<String, Entry>,
    bytes: BTreeMap<String, Vec<u8>>,
    lists: std::cell::Cell<usize>,
}

impl ImageFs for Memory {
    async fn list(&self, dir: &str) -> Result<Vec<(String, Entry)>, String> {
        self.lists.set(self.lists.get() + 1);
        let prefix = if dir == "/" { "/".to_string() } else { format!("{dir}/") };
        Ok(self
            .entries
            .iter()
            .filter_map(|(p, e)| {
                p.strip_prefix(&prefix)
                    .filter(|n| !n.is_empty() && !n.contains('/'))
                    .map(|n| (n.to_string(), e.clone()))
            })
            .collect())
    }
    async fn read_at(&self, path: &str, offset: u64, length: u64) -> Result<Vec<u8>, String> {
        let all = self.bytes.get(path).ok_or_else(|| format!("{path}: no such file"))?;
        let start = (offset as usize).min(all.len());
        Ok(all[start..(start + length as usize).min(all.len())].to_vec())
    }
}

fn run<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().build().expect("a runtime").block_on(f)
}

#[test]
fn the_walk_lists_each_directory_once_and_a_script_needs_its_interpreter() {
    let mut bytes = BTreeMap::new();
    bytes.insert("/out/app".to_string(), b"#!/bin/sh\necho hi\n".to_vec());
    let fs = Memory { entries: good(), bytes, lists: std::cell::Cell::new(0) };
    let plan = planned(SPEC);
    let ds = run(check(&fs, &plan, &Platform::linux_amd64())).expect("reads").diagnostics;
    let dirs = good().values().filter(|e| e.kind == Kind::Dir).count();
    assert_eq!(fs.lists.get(), dirs + 1, "each directory and the root, once");
    let messages: Vec<&str> = ds.items.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages, ["entrypoint `/out/app` is a script for `/bin/sh`, which the image cannot run"]);
}

#[test]
fn a_script_runs_where_its_interpreter_is_a_file_the_user_can_execute() {
    let findings_with = |interpreter: &[(&str, Entry)]| {
        let mut entries = good();
        entries.insert("/bin".into(), e(Kind::Dir, 0o755, 0, 0));
        entries.extend(interpreter.iter().map(|(p, e)| (p.to_string(), e.clone())));
        let bytes = BTreeMap::from([("/out/app".to_string(), b"#!/bin/sh -e\necho hi\n".to_vec())]);
        let fs = Memory { entries, bytes, lists: std::cell::Cell::new(0) };
        let ds = run(check(&fs, &planned(SPEC), &Platform::linux_amd64())).expect("reads").diagnostics;
        ds.items.into_iter().map(|d| d.message).collect::<Vec<_>>()
    };
    let cannot = ["entrypoint `/out/app` is a script for `/bin/sh`, which the image cannot run"];
    assert_eq!(findings_with(&[("/bin/sh", e(Kind::File, 0o755, 0, 0))]), Vec::<String>::new());
    let busybox =
        [("/bin/sh", e(Kind::Symlink("busybox".into()), 0o777, 0, 0)), ("/bin/busybox", e(Kind::File, 0o755, 0, 0))];
    assert_eq!(findings_with(&busybox), Vec::<String>::new());
    assert_eq!(findings_with(&[("/bin/sh", e(Kind::Dir, 0o755, 0, 0))]), cannot);
    assert_eq!(findings_with(&[("/bin/sh", e(Kind::File, 0o644, 0, 0))]), cannot);
}

#[test]
fn a_home_its_user_cannot_reach_is_an_error_at_the_user() {
    let spec = "copy: [context:app]\nrootfs:\n  users: [{name: app, uid: 1000, home: /srv/app}]\n  dirs: [{path: /srv, mode: \"0700\"}]\nimage: {entrypoint: [/app]}\n";
    let mut entries = good();
    entries.retain(|p, _| {
        !p.starts_with("/home")
            && !p.starts_with("/data")
            && !p.starts_with("/out")
            && !p.starts_with("/srv")
            && p != "/etc/app.conf"
    });
    entries.insert("/app".into(), e(Kind::File, 0o755, 0, 0));
    entries.insert("/srv".into(), e(Kind::Dir, 0o700, 0, 0));
    entries.insert("/srv/app".into(), e(Kind::Dir, 0o700, 1000, 1000));
    let all = found_in(entries, spec);
    let messages: Vec<&str> = all.iter().map(|(m, _)| m.as_str()).collect();
    assert!(
        messages
            .contains(&"the home `/srv/app` cannot be reached by its user (uid 1000): `/srv` is a directory, 0:0 0700"),
        "{all:#?}"
    );
    assert!(all.iter().any(|(m, line)| m.starts_with("the home") && *line == 3), "{all:#?}");
}

#[test]
fn a_zone_link_into_another_region_names_the_zone_to_add() {
    let plan = planned(SPEC);
    let platform = Platform::linux_amd64();
    let mut entries = good();
    entries
        .insert("/usr/share/zoneinfo/Europe/Nicosia".into(), e(Kind::Symlink("../Asia/Nicosia".into()), 0o777, 0, 0));
    let facts = Facts { platform: &platform, elves: BTreeMap::new(), missing: Vec::new(), shebang: None };
    let ds = findings(&Tree::new(entries), &plan, &facts);
    assert_eq!(ds.items.len(), 1, "{ds:?}");
    let d = &ds.items[0];
    assert_eq!(d.message, "`/usr/share/zoneinfo/Europe/Nicosia` is a symlink to `../Asia/Nicosia`, which does not resolve in the image: `/usr/share/zoneinfo/Asia` is not in the image");
    assert_eq!(d.hint.as_deref(), Some("add `Asia/Nicosia` to `rootfs.timezones`, or list `/usr/share/zoneinfo/Europe/Nicosia` under `image.accept`"));
    assert_eq!(d.span.map(|s| s.line), Some(7));
}

#[test]
fn a_dynamic_program_without_its_loader_in_the_image_is_an_error_at_its_copy() {
    // The host's own `true`: dynamically linked, so it needs a loader and libc the image does not have.
    let program = std::fs::read("/bin/true").expect("the host has /bin/true");
    let mut bytes = BTreeMap::new();
    bytes.insert("/out/app".to_string(), program);
    let fs = Memory { entries: good(), bytes, lists: std::cell::Cell::new(0) };
    let checked = run(check(&fs, &planned(SPEC), &Platform::linux_amd64())).expect("reads");
    assert_eq!(checked.elves, 1);
    let found: Vec<(String, Option<usize>)> =
        checked.diagnostics.items.iter().map(|d| (d.message.clone(), d.span.map(|s| s.line))).collect();
    assert!(
        found.iter().any(|(m, line)| m
            .starts_with("`/out/app` needs `/lib64/ld-linux-x86-64.so.2`, which is not in the image")
            && *line == Some(4)),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|(m, _)| m.starts_with("`/out/app` needs `libc.so.6`, which is not in the image (searched")),
        "{found:#?}"
    );
}

/// glibc's cache with one library: header, one entry, the strings (offsets from the header).
fn ld_so_cache(key: &str, path: &str) -> Vec<u8> {
    let mut bytes = b"glibc-ld.so.cache1.1".to_vec();
    bytes.extend(1u32.to_le_bytes()); // libraries
    let strings = 48 + 24;
    let table = format!("{key}\0{path}\0");
    bytes.extend((table.len() as u32).to_le_bytes());
    bytes.extend([0u8; 4 + 4 + 12]); // flags, extension offset, unused
    bytes.extend(0x303i32.to_le_bytes());
    bytes.extend((strings as u32).to_le_bytes());
    bytes.extend(((strings + key.len() + 1) as u32).to_le_bytes());
    bytes.extend([0u8; 4 + 8]);
    bytes.extend(table.as_bytes());
    bytes
}

#[test]
fn libraries_are_found_through_the_images_ld_so_cache() {
    assert_eq!(ld_so_cache_dirs(&ld_so_cache("libc.so.6", "/usr/local/lib/libc.so.6")), ["/usr/local/lib"]);
    assert!(ld_so_cache_dirs(b"not a cache").is_empty());
    let program = std::fs::read("/bin/true").expect("the host has /bin/true");
    // `size`: the cache's size as the image lists it (`None`: no cache); `conf`: an `ld.so.conf` too.
    let with_conf = |size: Option<fn(u64) -> u64>, conf: Option<&str>| {
        let mut entries = good();
        let mut bytes = BTreeMap::new();
        bytes.insert("/out/app".to_string(), program.clone());
        if let Some(conf) = conf {
            entries.insert("/etc/ld.so.conf".into(), e(Kind::File, 0o644, 0, 0));
            bytes.insert("/etc/ld.so.conf".into(), conf.as_bytes().to_vec());
        }
        for (path, contents) in [
            ("/lib64", None),
            ("/lib64/ld-linux-x86-64.so.2", Some(b"loader".to_vec())),
            ("/usr/local", None),
            ("/usr/local/lib", None),
            ("/usr/local/lib/libc.so.6", Some(b"libc".to_vec())),
        ] {
            let kind = if contents.is_some() { Kind::File } else { Kind::Dir };
            entries.insert(path.to_string(), e(kind, 0o755, 0, 0));
            bytes.extend(contents.map(|c| (path.to_string(), c)));
        }
        if let Some(size) = size {
            let cache = ld_so_cache("libc.so.6", "/usr/local/lib/libc.so.6");
            entries.insert(
                "/etc/ld.so.cache".into(),
                Entry { kind: Kind::File, mode: 0o644, uid: 0, gid: 0, size: size(cache.len() as u64) },
            );
            bytes.insert("/etc/ld.so.cache".into(), cache);
        }
        let fs = Memory { entries, bytes, lists: std::cell::Cell::new(0) };
        let checked = run(check(&fs, &planned(SPEC), &Platform::linux_amd64())).expect("reads");
        checked.diagnostics.items.iter().map(|d| d.message.clone()).collect::<Vec<_>>()
    };
    let with = |size: Option<fn(u64) -> u64>| with_conf(size, None);
    let only_libc_missing = |found: &[String]| {
        found.len() == 1 && found[0].starts_with("`/out/app` needs `libc.so.6`, which is not in the image")
    };
    let without = with(None);
    assert!(only_libc_missing(&without), "{without:#?}");
    assert_eq!(with(Some(|len| len)), Vec::<String>::new());
    // A cache over 4 MiB is not read (a few hundred KiB hold a large distribution's libraries).
    let oversized = with(Some(|_| (4 << 20) + 1));
    assert!(only_libc_missing(&oversized), "{oversized:#?}");
    // The loader reads the cache, not the conf it was made from: a conf that names other directories does
    // not hide the cache's; without a cache, the conf is read.
    assert_eq!(with_conf(Some(|len| len), Some("/nowhere\n")), Vec::<String>::new());
    assert_eq!(with_conf(None, Some("/usr/local/lib\n")), Vec::<String>::new());
}

#[test]
fn a_shared_library_in_the_image_needs_its_libraries_too() {
    let program = std::fs::read("/bin/true").expect("the host has /bin/true");
    let library = std::fs::read("/lib/x86_64-linux-gnu/libm.so.6").expect("the host has libm");
    let with_libc = |libc: bool| {
        let mut entries = good();
        let mut bytes = BTreeMap::new();
        bytes.insert("/out/app".to_string(), program.clone());
        bytes.insert("/srv/site/ext.so".to_string(), library.clone());
        entries.insert("/srv/site/ext.so".into(), e(Kind::File, 0o644, 0, 0));
        let mut files = vec![
            ("/lib64", None),
            ("/lib64/ld-linux-x86-64.so.2", Some(b"loader".to_vec())),
            ("/lib", None),
            ("/lib/x86_64-linux-gnu", None),
        ];
        if libc {
            files.push(("/lib/x86_64-linux-gnu/libc.so.6", Some(b"libc".to_vec())));
        }
        for (path, contents) in files {
            let kind = if contents.is_some() { Kind::File } else { Kind::Dir };
            entries.insert(path.to_string(), e(kind, 0o755, 0, 0));
            bytes.extend(contents.map(|c| (path.to_string(), c)));
        }
        let fs = Memory { entries, bytes, lists: std::cell::Cell::new(0) };
        let checked = run(check(&fs, &planned(SPEC), &Platform::linux_amd64())).expect("reads");
        checked.diagnostics.items.iter().map(|d| (d.message.clone(), d.span.map(|s| s.line))).collect::<Vec<_>>()
    };
    assert_eq!(with_libc(true), []);
    let found = with_libc(false);
    assert!(
        found.iter().any(|(m, line)| m.starts_with("`/srv/site/ext.so` needs `libc.so.6`, which is not in the image")
            && *line == Some(4)),
        "{found:#?}"
    );
}
