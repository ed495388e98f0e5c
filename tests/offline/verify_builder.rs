//! The build-time checks (`verify::builder_output`) on a builder filesystem laid out in a temporary
//! directory: each test writes exactly the files its case needs, with real ELF binaries from the host's gcc
//! where the case is about ELF. Written for mutants that survived the fake-gateway tests (the README's
//! mutation figures).

use scratchkit::rules::codes::*;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;

use scratchkit::compile::compile;
use scratchkit::plan::{Plan, PlanInputs};
use scratchkit::platform::Platform;
use scratchkit::verify::{builder_output, copied, Entry, FileStat, Filesystem, Kind as EntryKind, Verified};

const LOADER: &str = "/lib64/ld-linux-x86-64.so.2";
const LIBC: &str = "/lib/x86_64-linux-gnu/libc.so.6";

/// A builder's root filesystem in a fresh temporary directory.
struct Tree {
    root: PathBuf,
    /// The largest `length` a read asked for: BuildKit answers a read in one gRPC message (4 MiB at most).
    largest_read: std::cell::Cell<u64>,
}

impl Tree {
    /// A builder with what the default rootfs takes: the CA bundle, a zone database with two zones and the
    /// three data files.
    fn builder(name: &str) -> Tree {
        let root = std::env::temp_dir().join(format!("scratchkit-verify-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        Tree { root, largest_read: std::cell::Cell::new(0) }
            .file("/etc/ssl/certs/ca-certificates.crt", b"-----BEGIN CERTIFICATE-----\n", 0o644)
            .file("/usr/share/zoneinfo/UTC", b"TZif2", 0o644)
            .file("/usr/share/zoneinfo/Europe/Amsterdam", b"TZif2", 0o644)
            .file("/etc/services", b"http 80/tcp\n", 0o644)
            .file("/etc/protocols", b"tcp 6 TCP\n", 0o644)
            .file("/etc/mime.types", b"text/plain txt\n", 0o644)
    }

    fn path(&self, p: &str) -> PathBuf {
        self.root.join(p.trim_start_matches('/'))
    }

    fn file(self, path: &str, bytes: &[u8], mode: u32) -> Tree {
        let to = self.path(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(&to, bytes).unwrap();
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(mode)).unwrap();
        self
    }

    fn dir(self, path: &str) -> Tree {
        std::fs::create_dir_all(self.path(path)).unwrap();
        self
    }

    fn without(self, path: &str) -> Tree {
        let p = self.path(path);
        if p.is_dir() {
            std::fs::remove_dir_all(p).unwrap();
        } else {
            std::fs::remove_file(p).unwrap();
        }
        self
    }

    /// The host's loader and libc at a Debian amd64 builder's paths.
    fn with_glibc(self) -> Tree {
        let host = |p: &str| std::fs::read(p).unwrap_or_else(|e| panic!("the host has no {p}: {e}"));
        self.file(LOADER, &host(LOADER), 0o755).file(LIBC, &host(LIBC), 0o755)
    }

    /// dpkg's database with one package, ca-certificates, whose script generates the CA bundle.
    fn with_dpkg(self) -> Tree {
        self.file("/var/lib/dpkg/info/ca-certificates.list", b"/usr/share/ca-certificates\n", 0o644).file(
            "/var/lib/dpkg/status",
            b"Package: ca-certificates\nStatus: install ok installed\nArchitecture: all\nVersion: 20230311\n\n",
            0o644,
        )
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

impl Tree {
    /// `path` in the tree with its symlinks followed inside the tree, as BuildKit resolves them in a
    /// snapshot: an absolute target is taken from the tree's root, not the host's.
    fn resolve(&self, path: &str) -> PathBuf {
        let mut rest: std::collections::VecDeque<String> =
            path.split('/').filter(|c| !c.is_empty()).map(String::from).collect();
        let mut at: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(c) = rest.pop_front() {
            match c.as_str() {
                "." => continue,
                ".." => {
                    at.pop();
                    continue;
                }
                _ => at.push(c),
            }
            if let Ok(target) = std::fs::read_link(self.root.join(at.join("/"))) {
                hops += 1;
                assert!(hops < 40, "a symlink loop at {path}");
                at.pop();
                let target = target.to_string_lossy().into_owned();
                if target.starts_with('/') {
                    at.clear();
                }
                for c in target.split('/').filter(|c| !c.is_empty()).rev() {
                    rest.push_front(c.to_string());
                }
            }
        }
        self.root.join(at.join("/"))
    }

    fn link(self, path: &str, target: &str) -> Tree {
        let at = self.path(path);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, at).unwrap();
        self
    }
}

impl Filesystem for Tree {
    async fn stat(&self, path: &str) -> Result<FileStat, String> {
        let m = std::fs::metadata(self.resolve(path)).map_err(|e| format!("stat {path}: {e}"))?;
        Ok(FileStat { is_dir: m.is_dir(), mode: m.permissions().mode() & 0o7777, size: m.len() })
    }
    async fn read_at(&self, path: &str, offset: u64, length: u64) -> Result<Vec<u8>, String> {
        self.largest_read.set(self.largest_read.get().max(length));
        let mut f = std::fs::File::open(self.resolve(path)).map_err(|e| format!("open {path}: {e}"))?;
        f.seek(SeekFrom::Start(offset)).map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        f.take(length).read_to_end(&mut buf).map_err(|e| format!("read {path}: {e}"))?;
        Ok(buf)
    }
    async fn read_dir(&self, path: &str) -> Result<Vec<String>, String> {
        let entries = std::fs::read_dir(self.resolve(path)).map_err(|e| format!("readdir {path}: {e}"))?;
        Ok(entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
    }
    /// As BuildKit's ReadDir answers: symlinks as links, with their targets.
    async fn list(&self, path: &str) -> Result<Vec<(String, Entry)>, String> {
        let dir = self.resolve(path);
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("readdir {path}: {e}"))?;
        let mut out = Vec::new();
        for e in entries.filter_map(|e| e.ok()) {
            let m = std::fs::symlink_metadata(e.path()).unwrap();
            let kind = if m.file_type().is_symlink() {
                EntryKind::Symlink(std::fs::read_link(e.path()).unwrap().to_string_lossy().into_owned())
            } else if m.is_dir() {
                EntryKind::Dir
            } else {
                EntryKind::File
            };
            out.push((e.file_name().to_string_lossy().into_owned(), Entry { kind, size: m.len(), ..Entry::default() }));
        }
        Ok(out)
    }
}

fn plan(spec: &str) -> Plan {
    compile(spec, "scratch.yaml", &PlanInputs::default())
        .unwrap_or_else(|e| panic!("the spec does not compile:\n{}", e.rendered))
        .plan
}

fn verify(tree: &Tree, spec: &str) -> Verified {
    let plan = plan(spec);
    let platform = Platform::linux_amd64();
    let run = builder_output(tree, &plan, &platform);
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(run)
        .expect("the builder's output is readable")
}

fn messages(v: &Verified) -> Vec<String> {
    v.diagnostics.items.iter().map(|d| d.message.clone()).collect()
}

/// A C program from the host's gcc, linked against the host's glibc, with extra linker flags.
fn gcc(name: &str, flags: &[&str]) -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!("scratchkit-verify-gcc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (src, out) = (dir.join(format!("{name}.c")), dir.join(name));
    std::fs::write(&src, "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n").unwrap();
    let status = Command::new("gcc").arg("-o").arg(&out).arg(&src).args(flags).status().expect("gcc runs");
    assert!(status.success(), "gcc failed for {name}");
    std::fs::read(&out).unwrap()
}

const SCRIPT: &[u8] = b"#!/bin/sh\necho hi\n";

fn spec(copy: &str, rest: &str) -> String {
    format!("builder:\n  image: golang:1.23\n  run: make\ncopy:\n{copy}{rest}")
}

#[test]
fn a_clean_builder_gives_no_diagnostic() {
    let tree = Tree::builder("clean").file("/out/app", SCRIPT, 0o755);
    let v = verify(&tree, &spec("  - /out/app\n", ""));
    assert!(v.diagnostics.items.is_empty(), "{:?}", messages(&v));
    assert!(v.absent.is_empty() && v.libraries.is_empty());
}

#[test]
fn a_directory_copied_whole_is_not_read_as_elf() {
    let tree = Tree::builder("dir-whole").file("/out/app", SCRIPT, 0o755).dir("/out/static").file(
        "/out/static/index.html",
        b"<p>",
        0o644,
    );
    let v = verify(
        &tree,
        &spec("  - /out/app\n  - {from: /out/static, to: /srv/static}\n", "image:\n  entrypoint: [/out/app]\n"),
    );
    assert!(v.diagnostics.items.is_empty(), "{:?}", messages(&v));
}

#[test]
fn the_zone_database_and_each_listed_zone_must_be_in_the_builder() {
    let tree = Tree::builder("zones").file("/out/app", SCRIPT, 0o755).without("/usr/share/zoneinfo");
    let v = verify(&tree, &spec("  - /out/app\n", ""));
    assert_eq!(messages(&v), ["the builder image has no time zone database at `/usr/share/zoneinfo`"]);

    let tree = Tree::builder("zone-list").file("/out/app", SCRIPT, 0o755);
    let v = verify(&tree, &spec("  - /out/app\n", "rootfs:\n  timezones: [Europe/Amsterdam, Asia/Tokyo]\n"));
    assert_eq!(messages(&v), ["time zone `Asia/Tokyo` is not in the builder's `/usr/share/zoneinfo`"]);
}

#[test]
fn contents_copied_below_etc_ssl_may_not_replace_the_ca_bundle() {
    // The first file the rootfs writes (in path order) is not below `/etc/ssl/`: the lookup must start at
    // the destination's own run of files, not at the beginning.
    let tree = Tree::builder("ssl-contents").file("/out/app", SCRIPT, 0o755).file(
        "/out/ssl/certs/ca-certificates.crt",
        b"mine",
        0o644,
    );
    let v = verify(
        &tree,
        &spec("  - /out/app\n  - {from: /out/ssl/, to: /etc/ssl/}\n", "image:\n  entrypoint: [/out/app]\n"),
    );
    let found = messages(&v);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with(
            "`/out/ssl/certs/ca-certificates.crt` would be copied onto `/etc/ssl/certs/ca-certificates.crt`"
        ),
        "{found:?}"
    );
}

#[test]
fn package_metadata_is_looked_up_only_when_asked_and_the_checks_passed() {
    let tree = Tree::builder("dpkg").file("/out/app", SCRIPT, 0o755).with_dpkg();
    let names = |v: &Verified| v.packages.packages.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
    // The control: by default the CA bundle's package is found.
    assert_eq!(names(&verify(&tree, &spec("  - /out/app\n", ""))), ["ca-certificates"]);
    assert!(names(&verify(&tree, &spec("  - /out/app\n", "rootfs:\n  package-metadata: false\n"))).is_empty());
    // The bundle is what makes ca-certificates an owner (its script generates it): without it, no stanza.
    assert!(names(&verify(&tree, &spec("  - /out/app\n", "rootfs:\n  ca-certificates: false\n"))).is_empty());
    // After an error nothing is described: the build stops.
    let failed = verify(&tree, &spec("  - /out/app\n  - /out/missing\n", "image:\n  entrypoint: [/out/app]\n"));
    assert!(failed.diagnostics.has_errors());
    assert!(names(&failed).is_empty());
}

#[test]
fn no_read_asks_for_more_than_a_grpc_message_holds() {
    // tonic's default limit is 4 MiB for the whole message: a read of dpkg's status must leave room for
    // the message's own fields, or a large status file fails the build instead of being read.
    let tree = Tree::builder("read-size").file("/out/app", SCRIPT, 0o755).with_dpkg();
    assert_eq!(verify(&tree, &spec("  - /out/app\n", "")).packages.packages.len(), 1);
    let largest = tree.largest_read.get();
    assert!(largest > 1 << 20 && largest <= (4 << 20) - (64 << 10), "largest read {largest}");
}

#[test]
fn the_copied_paths_name_each_listed_zone_and_only_the_data_files_the_builder_has() {
    let plan = plan(&spec("  - /out/app\n", "rootfs:\n  timezones: [Europe/Amsterdam, UTC]\n"));
    let c = copied(&plan, &[], &["/etc/services".to_string()]);
    for want in [
        "/usr/share/zoneinfo/Europe/Amsterdam",
        "/usr/share/zoneinfo/UTC",
        "/etc/protocols",
        "/etc/mime.types",
        "/out/app",
    ] {
        assert!(c.files.iter().any(|f| f == want), "{want} is not in {:?}", c.files);
    }
    assert!(!c.files.iter().any(|f| f == "/etc/services"), "an absent data file is described: {:?}", c.files);
    assert!(
        !c.trees.iter().any(|(t, _)| t == "/usr/share/zoneinfo"),
        "a zone list is not the whole tree: {:?}",
        c.trees
    );
}

/// `bin/app` needing `libgreet.so` through `runpath` (e.g. `$ORIGIN/../lib`), and `libgreet.so`, as bytes.
fn app_and_library(name: &str, runpath: &str) -> (Vec<u8>, Vec<u8>) {
    let dir = std::env::temp_dir().join(format!("scratchkit-verify-greet-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("greet.c"), "#include <stdio.h>\nvoid greet(void) { puts(\"hi\"); }\n").unwrap();
    std::fs::write(dir.join("main.c"), "void greet(void);\nint main(void) { greet(); return 0; }\n").unwrap();
    let gcc = |args: &[&str]| {
        assert!(Command::new("gcc").current_dir(&dir).args(args).status().unwrap().success(), "gcc {args:?}")
    };
    gcc(&["-shared", "-fPIC", "-o", "libgreet.so", "greet.c"]);
    gcc(&["-o", "app", "main.c", "-L.", "-lgreet", &format!("-Wl,--enable-new-dtags,-rpath,{runpath}")]);
    (std::fs::read(dir.join("app")).unwrap(), std::fs::read(dir.join("libgreet.so")).unwrap())
}

#[test]
fn origin_is_the_directory_the_image_has_the_file_in() {
    for (name, runpath) in [("origin", "$ORIGIN/../lib"), ("origin-braced", "${ORIGIN}/../lib")] {
        let (app, lib) = app_and_library(name, runpath);
        let tree = Tree::builder(name).with_glibc().file("/out/bin/app", &app, 0o755).file(
            "/out/lib/libgreet.so",
            &lib,
            0o755,
        );
        // Moved alone: its library is not where $ORIGIN/../lib points in the image.
        let moved = verify(
            &tree,
            &spec(
                "  - {from: /out/bin/app, to: /usr/local/bin/app}
",
                "",
            ),
        );
        let origin_moved =
            moved.diagnostics.of(SK311).any(|d| d.message.contains("`/usr/local/bin/app`, where `libgreet.so`"));
        assert!(origin_moved, "{runpath}: {:?}", messages(&moved));
        // Kept in place: the library is brought from the same place in the builder.
        let kept = verify(
            &tree,
            &spec(
                "  - /out/bin/app
",
                "",
            ),
        );
        assert!(kept.diagnostics.items.is_empty(), "{runpath}: {:?}", messages(&kept));
        assert!(
            kept.libraries.iter().any(|l| l == "/out/lib/libgreet.so") && kept.libraries.iter().any(|l| l == LIBC),
            "{:?}",
            kept.libraries
        );
    }
    let (app, lib) = app_and_library("origin-moved-along", "$ORIGIN/../lib");
    let tree = Tree::builder("origin-moved-along").with_glibc().file("/out/bin/app", &app, 0o755).file(
        "/out/lib/libgreet.so",
        &lib,
        0o755,
    );
    // Moved with its library to the same place relative to it: the copy provides it, nothing is brought.
    let along = verify(
        &tree,
        &spec(
            "  - {from: /out/bin/app, to: /opt/app/bin/app}
  - {from: /out/lib, to: /opt/app/lib}
",
            "image:
  entrypoint: [/opt/app/bin/app]
",
        ),
    );
    assert!(along.diagnostics.items.is_empty(), "{:?}", messages(&along));
    assert!(!along.libraries.iter().any(|l| l.contains("greet")), "the copy ships it: {:?}", along.libraries);
    assert!(along.libraries.iter().any(|l| l == LIBC), "{:?}", along.libraries);
    // A whole tree: its files are read, and their $ORIGIN is where the image has them.
    let whole = verify(
        &tree,
        &spec(
            "  - {from: /out, to: /opt/app}
",
            "image:
  entrypoint: [/opt/app/bin/app]
",
        ),
    );
    assert!(whole.diagnostics.items.is_empty(), "{:?}", messages(&whole));
    assert!(
        whole.libraries.iter().any(|l| l == LIBC) && whole.libraries.iter().any(|l| l == LOADER),
        "{:?}",
        whole.libraries
    );
    assert!(!whole.libraries.iter().any(|l| l.contains("greet")), "{:?}", whole.libraries);
    // Only the tree of the program: its library is not in the image, and the error is at that copy.
    let half = verify(
        &tree,
        &spec(
            "  - /out/lib/libgreet.so
  - {from: /out/bin, to: /opt/bin}
",
            "image:
  entrypoint: [/opt/bin/app]
",
        ),
    );
    let found = messages(&half);
    assert!(
        found.iter().any(|m| m.starts_with(
            "`/out/bin/app` finds libraries relative to its own directory ($ORIGIN), but is copied to `/opt/bin/app`"
        )),
        "{found:?}"
    );
    assert_eq!(half.diagnostics.items[0].span.map(|s| s.line), Some(6), "at the tree's copy entry");
    // Without $ORIGIN a binary may move anywhere.
    let plain = gcc("plain", &[]);
    let tree = Tree::builder("plain").with_glibc().file("/out/bin/app", &plain, 0o755);
    let moved = verify(
        &tree,
        &spec(
            "  - {from: /out/bin/app, to: /usr/local/bin/app}
",
            "",
        ),
    );
    assert!(moved.diagnostics.items.is_empty(), "{:?}", messages(&moved));
}

#[test]
fn a_library_the_tree_ships_under_its_soname_satisfies_the_others() {
    // As the JDK: lib/libjava.so needs `libjvm.so` with no search path to it; lib/server/libjvm.so has that
    // soname and is loaded first, by its path, so glibc takes it for the name.
    let dir = std::env::temp_dir().join(format!("scratchkit-verify-gcc-soname-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("server")).unwrap();
    std::fs::write(dir.join("jvm.c"), "int jvm(void) { return 0; }\n").unwrap();
    std::fs::write(dir.join("java.c"), "int jvm(void);\nint java(void) { return jvm(); }\n").unwrap();
    let gcc = |args: &[&str]| {
        assert!(Command::new("gcc").current_dir(&dir).args(args).status().unwrap().success(), "gcc {args:?}")
    };
    gcc(&["-shared", "-fPIC", "-o", "server/libjvm.so", "-Wl,-soname,libjvm.so", "jvm.c"]);
    gcc(&["-shared", "-fPIC", "-o", "libjava.so", "java.c", "-Lserver", "-ljvm"]);
    let read = |p: &str| std::fs::read(dir.join(p)).unwrap();
    let tree = Tree::builder("soname").with_glibc().file("/out/app", SCRIPT, 0o755).file(
        "/opt/jdk/lib/libjava.so",
        &read("libjava.so"),
        0o644,
    );
    let spec_text = spec("  - /out/app\n  - /opt/jdk\n", "image:\n  entrypoint: [/out/app]\n");
    let without = verify(&tree, &spec_text);
    assert!(
        without.diagnostics.of(SK313).any(|d| d.message.starts_with("`/opt/jdk/lib/libjava.so` needs `libjvm.so`")),
        "{:?}",
        messages(&without)
    );
    let with = verify(&tree.file("/opt/jdk/lib/server/libjvm.so", &read("server/libjvm.so"), 0o644), &spec_text);
    assert!(with.diagnostics.items.is_empty(), "{:?}", messages(&with));
}

#[test]
fn a_loader_the_spec_copies_is_not_brought_again() {
    // The program's interpreter is at its path in the image by a copy from elsewhere in the builder: the
    // libraries layer brings libc only, not the copy's source to its builder path.
    let loader = std::fs::read(LOADER).unwrap_or_else(|e| panic!("the host has no {LOADER}: {e}"));
    let tree = Tree::builder("copied-loader").with_glibc().file("/out/app", &gcc("copied-loader", &[]), 0o755).file(
        "/opt/glibc/ld.so",
        &loader,
        0o755,
    );
    let copies = format!("  - /out/app\n  - {{from: /opt/glibc/ld.so, to: {LOADER}}}\n");
    let v = verify(&tree, &spec(&copies, "image:\n  entrypoint: [/out/app]\n"));
    assert!(v.diagnostics.items.is_empty(), "{:?}", messages(&v));
    assert_eq!(v.libraries, [LIBC]);
}

#[test]
fn the_files_inside_a_copied_directory_have_their_libraries() {
    // A Python-like tree: a program-less directory of extension modules, one of them needing a library
    // that only the builder's system directories have, one needing a library no one has.
    let (_, lib) = app_and_library("tree-ext", "/nowhere");
    let needs_absent = {
        let dir = std::env::temp_dir().join(format!("scratchkit-verify-absent-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.c"), "int absent(void) { return 0; }\n").unwrap();
        std::fs::write(dir.join("m.c"), "int absent(void);\nint module(void) { return absent(); }\n").unwrap();
        let gcc = |args: &[&str]| {
            assert!(Command::new("gcc").current_dir(&dir).args(args).status().unwrap().success(), "gcc {args:?}")
        };
        gcc(&["-shared", "-fPIC", "-o", "libabsent.so", "a.c"]);
        gcc(&["-shared", "-fPIC", "-o", "m.so", "m.c", "-L.", "-labsent"]);
        std::fs::read(dir.join("m.so")).unwrap()
    };
    let tree = Tree::builder("tree-ext")
        .with_glibc()
        .file("/out/app", SCRIPT, 0o755)
        .file("/usr/lib/x86_64-linux-gnu/libgreet.so", &lib, 0o644)
        .file("/usr/lib/py/lib-dynload/greet_ext.so", &lib, 0o644)
        .file("/usr/lib/py/lib-dynload/deeper/more/greet_ext2.so", &lib, 0o644)
        .file("/usr/lib/py/os.py", b"import sys\n# a module, not ELF: only its first bytes are read\n", 0o644);
    let copy_tree = spec("  - /out/app\n  - /usr/lib/py\n", "image:\n  entrypoint: [/out/app]\n");
    let v = verify(&tree, &copy_tree);
    assert!(v.diagnostics.items.is_empty(), "{:?}", messages(&v));
    assert!(v.libraries.iter().any(|l| l == LIBC), "a library in a copied tree gets libc: {:?}", v.libraries);

    let tree = tree.file("/usr/lib/py/lib-dynload/needs_absent.so", &needs_absent, 0o644);
    let v = verify(&tree, &copy_tree);
    let found = messages(&v);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]
            .starts_with("`/usr/lib/py/lib-dynload/needs_absent.so` needs `libabsent.so`, which is not in the builder"),
        "{found:?}"
    );
    assert_eq!(v.diagnostics.items[0].span.map(|s| s.line), Some(6), "at the tree's copy entry");
    // A file that starts like ELF but is cut short (test data) is named in a warning, not an error.
    let cut = Tree::builder("tree-cut").with_glibc().file("/out/app", SCRIPT, 0o755).file(
        "/usr/lib/py/testdata/cut.so",
        &lib[..200],
        0o644,
    );
    let v = verify(&cut, &spec("  - /out/app\n  - /usr/lib/py\n", "image:\n  entrypoint: [/out/app]\n"));
    assert!(!v.diagnostics.has_errors(), "{:?}", messages(&v));
    assert!(v.diagnostics.of(SK308).any(|d| d.message.contains("`/usr/lib/py/testdata/cut.so`")), "{:?}", messages(&v));
    // With `libraries: none` the tree is not looked into.
    let none = verify(
        &tree,
        &spec(
            "  - /out/app
  - /usr/lib/py
",
            "image:
  entrypoint: [/out/app]
rootfs:
  libraries: none
",
        ),
    );
    assert!(none.diagnostics.items.is_empty(), "{:?}", messages(&none));
}

// ---------------------------------------------------------------------------------------------------
// What glibc opens without DT_NEEDED, and symlinks out of copied directories
// ---------------------------------------------------------------------------------------------------

/// A C program from `source`, from the host's gcc.
fn gcc_source(name: &str, source: &str, flags: &[&str]) -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!("scratchkit-verify-src-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (src, out) = (dir.join(format!("{name}.c")), dir.join(name));
    std::fs::write(&src, source).unwrap();
    let status = Command::new("gcc").arg("-o").arg(&out).arg(&src).args(flags).status().expect("gcc runs");
    assert!(status.success(), "gcc failed for {name}");
    std::fs::read(&out).unwrap()
}

pub const CANCEL_C: &str = "#include <pthread.h>\n#include <stdio.h>\n#include <unistd.h>\n\
static void *run(void *a) { for (;;) pause(); return a; }\n\
int main(void) { pthread_t t; pthread_create(&t, 0, run, 0); pthread_cancel(t); pthread_join(t, 0); puts(\"cancelled\"); return 0; }\n";
pub const EXIT_C: &str = "#include <pthread.h>\nint main(void) { pthread_exit(0); }\n";
pub const ICONV_C: &str = "#include <iconv.h>\n#include <stdio.h>\n#include <string.h>\n\
int main(void) { iconv_t cd = iconv_open(\"UTF-8\", \"CP1252\"); if (cd == (iconv_t)-1) { perror(\"iconv_open\"); return 1; }\n\
char in[] = \"caf\\xe9 \\x80\"; char out[32]; char *ip = in, *op = out; size_t il = strlen(in), ol = sizeof out - 1;\n\
if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) { perror(\"iconv\"); return 1; } *op = 0; puts(out); return 0; }\n";

const LIBGCC_S: &str = "/lib/x86_64-linux-gnu/libgcc_s.so.1";
const GCONV: &str = "/usr/lib/x86_64-linux-gnu/gconv";

fn host(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("the host has no {path}: {e}"))
}

#[test]
fn a_program_that_cancels_or_exits_a_thread_gets_libgcc_s() {
    for (name, source) in [("cancel", CANCEL_C), ("exit", EXIT_C)] {
        let tree = Tree::builder(name)
            .with_glibc()
            .file("/out/app", &gcc_source(name, source, &["-pthread"]), 0o755)
            .file(LIBGCC_S, &host(LIBGCC_S), 0o644);
        let v = verify(&tree, &spec("  - /out/app\n", ""));
        assert!(v.diagnostics.items.is_empty(), "{:?}", messages(&v));
        assert!(v.libraries.iter().any(|l| l == LIBGCC_S), "{name}: {:?}", v.libraries);
        // Without it in the builder, the program would abort at run time: an error naming it.
        let v = verify(&tree.without(LIBGCC_S), &spec("  - /out/app\n", ""));
        let found = messages(&v);
        assert!(
            found.len() == 1
                && found[0].contains("calls pthread_cancel or pthread_exit, for which glibc opens `libgcc_s.so.1`"),
            "{name}: {found:?}"
        );
    }
    // A program that does neither does not get it.
    let tree = Tree::builder("no-cancel").with_glibc().file("/out/app", &gcc("no-cancel", &[]), 0o755).file(
        LIBGCC_S,
        &host(LIBGCC_S),
        0o644,
    );
    let v = verify(&tree, &spec("  - /out/app\n", ""));
    assert!(!v.libraries.iter().any(|l| l == LIBGCC_S), "{:?}", v.libraries);
}

#[test]
fn a_program_that_calls_iconv_open_gets_the_gconv_modules_with_their_closure() {
    let tree = Tree::builder("iconv").with_glibc().file("/out/app", &gcc_source("iconv", ICONV_C, &[]), 0o755);
    let tree = ["gconv-modules", "CP1252.so", "EUC-JP.so", "libJIS.so"]
        .iter()
        .fold(tree, |t, f| t.file(&format!("{GCONV}/{f}"), &host(&format!("{GCONV}/{f}")), 0o644));
    let v = verify(&tree, &spec("  - /out/app\n", ""));
    assert!(v.diagnostics.items.is_empty(), "{:?}", messages(&v));
    assert!(v.libraries.iter().any(|l| l == GCONV), "the whole directory: {:?}", v.libraries);
    assert!(
        !v.libraries.iter().any(|l| l.starts_with(&format!("{GCONV}/"))),
        "nothing inside it twice: {:?}",
        v.libraries
    );
    // EUC-JP.so needs libJIS.so through RUNPATH $ORIGIN: the modules' own closure is checked.
    let v = verify(&tree.without(&format!("{GCONV}/libJIS.so")), &spec("  - /out/app\n", ""));
    assert!(v.diagnostics.of(SK313).any(|d| d.message.contains("EUC-JP.so` needs `libJIS.so`")), "{:?}", messages(&v));
    // A program that does not call it gets none.
    let plain = Tree::builder("no-iconv").with_glibc().file("/out/app", &gcc("no-iconv", &[]), 0o755).file(
        &format!("{GCONV}/gconv-modules"),
        b"# none\n",
        0o644,
    );
    assert!(!verify(&plain, &spec("  - /out/app\n", "")).libraries.iter().any(|l| l.contains("gconv")));
    // A builder without the modules: a warning, as UTF-8 and ASCII still convert.
    let bare =
        Tree::builder("iconv-bare").with_glibc().file("/out/app", &gcc_source("iconv-bare", ICONV_C, &[]), 0o755);
    let v = verify(&bare, &spec("  - /out/app\n", ""));
    assert!(!v.diagnostics.has_errors(), "{:?}", messages(&v));
    assert!(v.diagnostics.has(SK305), "{:?}", messages(&v));
}

#[test]
fn charsets_named_in_the_spec_bring_each_module_once() {
    let tree =
        Tree::builder("iconv-list").with_glibc().file("/out/app", &gcc_source("iconv-list", ICONV_C, &[]), 0o755);
    let tree = ["gconv-modules", "CP1252.so", "ISO8859-15.so", "ISO8859-1.so"]
        .iter()
        .fold(tree, |t, f| t.file(&format!("{GCONV}/{f}"), &host(&format!("{GCONV}/{f}")), 0o644));
    // WINDOWS-1252 is an alias of CP1252: one module for two names, and the next one still comes.
    let v = verify(&tree, &spec("  - /out/app\n", "rootfs:\n  gconv: [WINDOWS-1252, CP1252, ISO-8859-15]\n"));
    assert!(v.diagnostics.items.is_empty(), "{:?}", messages(&v));
    let modules: Vec<&str> =
        v.libraries.iter().filter(|l| l.ends_with(".so") && l.contains("/gconv/")).map(String::as_str).collect();
    assert_eq!(modules, [format!("{GCONV}/CP1252.so"), format!("{GCONV}/ISO8859-15.so")], "{:?}", v.libraries);
}

#[test]
fn symlinks_out_of_a_copied_directory_bring_their_targets() {
    let jdk = "/usr/lib/jvm/jdk";
    let tree = Tree::builder("links")
        .file("/out/app", SCRIPT, 0o755)
        .file(&format!("{jdk}/release"), b"JAVA_VERSION=17\n", 0o644)
        .file("/etc/java-17/security/java.security", b"securerandom.source=file:/dev/random\n", 0o644)
        .link(&format!("{jdk}/conf/security/java.security"), "/etc/java-17/security/java.security")
        .link(&format!("{jdk}/conf/inside"), "../release")
        .link(&format!("{jdk}/conf/mounts"), "/proc/self/mounts")
        .link(&format!("{jdk}/lib/cacerts"), "/etc/ssl/certs/ca-certificates.crt");
    let copy = format!("  - /out/app\n  - {jdk}\n");
    let v = verify(&tree, &spec(&copy, "image:\n  entrypoint: [/out/app]\n"));
    assert!(v.diagnostics.items.is_empty(), "{:?}", messages(&v));
    // Brought like a library; the link inside the tree, the one into /proc and the one to the rootfs's
    // CA bundle bring nothing.
    assert_eq!(v.libraries, ["/etc/java-17/security/java.security"]);

    // A target the builder lacks too: a warning naming the link.
    let dangling = tree.link(&format!("{jdk}/lib/src.zip"), "/usr/share/jdk/src.zip");
    let v = verify(&dangling, &spec(&copy, "image:\n  entrypoint: [/out/app]\n"));
    assert!(!v.diagnostics.has_errors(), "{:?}", messages(&v));
    assert_eq!(
        messages(&v),
        [format!("`{jdk}/lib/src.zip` is a symlink to `/usr/share/jdk/src.zip`, which the builder does not have either: it dangles in the image")]
    );
    // Accepted in the spec (the image check leaves it too): nothing to say.
    let v = verify(&dangling, &spec(&copy, &format!("image:\n  entrypoint: [/out/app]\n  accept: [{jdk}/lib]\n")));
    assert!(v.diagnostics.items.is_empty(), "{:?}", messages(&v));

    // A relative link out of a directory copied elsewhere cannot keep its target: an error at the copy.
    let tree = Tree::builder("links-moved")
        .file("/out/app", SCRIPT, 0o755)
        .file("/out/share/data", b"x", 0o644)
        .link("/out/tree/data", "../share/data");
    let v = verify(
        &tree,
        &spec("  - /out/app\n  - {from: /out/tree, to: /opt/tree}\n", "image:\n  entrypoint: [/out/app]\n"),
    );
    assert_eq!(
        messages(&v),
        ["`/out/tree/data` is a symlink to `../share/data`, outside the directory copied; in the image it would lead to `/opt/share/data`"]
    );
    assert_eq!(v.diagnostics.items[0].span.map(|s| s.line), Some(6));
    // ... unless the image has it there through another copy.
    let v = verify(
        &tree,
        &spec(
            "  - /out/app\n  - {from: /out/tree, to: /opt/tree}\n  - {from: /out/share, to: /opt/share}\n",
            "image:\n  entrypoint: [/out/app]\n",
        ),
    );
    assert!(v.diagnostics.items.is_empty() && v.libraries.is_empty(), "{:?} {:?}", messages(&v), v.libraries);
}

// ---------------------------------------------------------------------------------------------------
// What the probe copies out of the builder (`planned_reads`)
// ---------------------------------------------------------------------------------------------------

fn reads_of(spec: &str) -> Vec<scratchkit::plan::BuilderRead> {
    scratchkit::verify::planned_reads(&plan(spec))
}

#[test]
fn needed_paths_are_read_as_they_are_and_optional_ones_from_a_small_directory() {
    let reads = reads_of("builder:\n  image: golang:1\n  run: go build -o /out/app .\ncopy:\n  - /out/app\n");
    let find =
        |path: &str| reads.iter().find(|r| r.path == path).unwrap_or_else(|| panic!("no read of {path}: {reads:#?}"));
    assert_eq!(find("/etc/ssl/certs/ca-certificates.crt").optional_below, None);
    // A copy's source is looked for from its directory: the checks, not a failed probe, say it is missing.
    assert_eq!(find("/out/app").optional_below.as_deref(), Some("/out"));
    assert!(find("/out/app").exhaustive && find("/etc/ssl/certs/ca-certificates.crt").exhaustive);
    // Data files nobody asked for may be absent: the image then goes without them.
    assert_eq!(find("/etc/services").optional_below.as_deref(), Some("/etc"));
    // Whether the zone database is there, from a few of its files: a miss is not final.
    assert!(!find("/usr/share/zoneinfo").only.is_empty() && !find("/usr/share/zoneinfo").exhaustive);
    // The dpkg database, from /var/lib (a builder without dpkg has no /var/lib/dpkg): what the checks read of it.
    let dpkg = find("/var/lib/dpkg");
    assert_eq!(dpkg.optional_below.as_deref(), Some("/var/lib"));
    assert!(dpkg.flat && dpkg.exhaustive);
    assert_eq!(dpkg.only, ["status", "info/*.list", "info/*.md5sums"]);
    assert!(!find("/usr/share/doc").exhaustive);
    assert!(
        reads.iter().all(|r| r.optional_below.as_deref() != Some("/")),
        "a pattern from / walks the whole builder: {reads:#?}"
    );
}

#[test]
fn a_data_file_the_spec_asks_for_is_needed() {
    let reads = reads_of(
        "builder:\n  image: golang:1\n  run: go build -o /out/app .\ncopy:\n  - /out/app\nrootfs:\n  services: true\n",
    );
    let services = reads.iter().find(|r| r.path == "/etc/services").expect("a read of /etc/services");
    assert_eq!(services.optional_below, None);
}

#[test]
fn the_root_and_paths_with_glob_characters_are_left_to_the_builder() {
    let spec = "builder:\n  image: golang:1\n  run: go build -o /out/app .\ncopy:\n  - /out/app\n  - {from: \"/out/a[1]*\", to: /x}\n  - {from: /, to: /y/}\nimage:\n  entrypoint: [/out/app]\n";
    let reads = reads_of(spec);
    let paths: Vec<&str> = reads.iter().map(|r| r.path.as_str()).collect();
    let top = reads_of("builder:\n  image: golang:1\n  run: go build -o /app .\ncopy:\n  - /app\n");
    assert_eq!(
        top.iter().find(|r| r.path == "/app").map(|r| r.optional_below.clone()),
        Some(None),
        "a pattern from / walks the whole builder"
    );
    assert!(paths.contains(&"/out/app"), "{paths:?}");
    assert!(!paths.iter().any(|p| *p == "/" || p.contains('[')), "{paths:?}");
}

#[test]
fn without_package_metadata_or_a_builder_nothing_of_dpkg_is_read() {
    let reads = reads_of("builder:\n  image: golang:1\n  run: go build -o /out/app .\ncopy:\n  - /out/app\nrootfs:\n  package-metadata: false\n");
    assert!(!reads.iter().any(|r| r.path.starts_with("/var/lib/dpkg") || r.path == "/usr/share/doc"), "{reads:#?}");
    assert!(reads_of("copy:\n  - {from: context:app, to: /app}\nimage:\n  entrypoint: [/app]\n").is_empty());
}

#[test]
fn zones_the_spec_lists_are_needed_one_by_one() {
    let reads = reads_of("builder:\n  image: golang:1\n  run: go build -o /out/app .\ncopy:\n  - /out/app\nrootfs:\n  timezones: [Europe/Amsterdam, UTC]\n");
    for zone in ["/usr/share/zoneinfo/Europe/Amsterdam", "/usr/share/zoneinfo/UTC"] {
        let read = reads.iter().find(|r| r.path == zone).unwrap_or_else(|| panic!("no read of {zone}: {reads:#?}"));
        assert_eq!(read.optional_below, None, "{zone}");
    }
    assert!(!reads.iter().any(|r| r.path == "/usr/share/zoneinfo"), "{reads:#?}");
}

// ---------------------------------------------------------------------------------------------------
// Merged /usr, asked only where it matters (`packages::find`)
// ---------------------------------------------------------------------------------------------------

fn owners(tree: &Tree, copied: &[&str]) -> Vec<String> {
    let copied = scratchkit::verify::packages::Copied {
        files: copied.iter().map(|f| f.to_string()).collect(),
        trees: Vec::new(),
    };
    let found = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(scratchkit::verify::packages::find(tree, &copied));
    found.packages.into_iter().map(|p| p.name).collect()
}

/// A dpkg builder whose `libfoo` lists its library under `/usr/lib` and whose `/lib` is `dir`'s own.
fn dpkg_builder(name: &str) -> Tree {
    Tree::builder(name)
        .file(
            "/var/lib/dpkg/status",
            b"Package: libfoo\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1\n\n",
            0o644,
        )
        .file("/var/lib/dpkg/info/libfoo.list", b"/usr/lib/x86_64-linux-gnu/libfoo.so.1\n", 0o644)
        .file("/usr/lib/x86_64-linux-gnu/libfoo.so.1", b"\x7fELF", 0o644)
}

#[test]
fn a_split_usr_builder_keeps_lib_and_usr_lib_apart() {
    // /lib and /usr/lib are two directories: the copied /lib file is not the one dpkg lists under /usr/lib.
    let tree = dpkg_builder("split-usr").file("/lib/x86_64-linux-gnu/libfoo.so.1", b"\x7fELF", 0o644).file(
        "/usr/lib/os-release",
        b"ID=debian\n",
        0o644,
    );
    assert_eq!(owners(&tree, &["/lib/x86_64-linux-gnu/libfoo.so.1"]), Vec::<String>::new());
    assert_eq!(owners(&tree, &["/usr/lib/x86_64-linux-gnu/libfoo.so.1"]), ["libfoo"]);
}

#[test]
fn a_merged_usr_builder_has_one_directory_under_two_names() {
    let tree = dpkg_builder("merged-usr");
    std::os::unix::fs::symlink("usr/lib", tree.path("/lib")).unwrap();
    assert_eq!(owners(&tree, &["/lib/x86_64-linux-gnu/libfoo.so.1"]), ["libfoo"]);
}

#[test]
fn a_ca_bundle_that_is_a_directory_in_the_builder_is_an_error() {
    let tree =
        Tree::builder("ca-dir").file("/out/app", SCRIPT, 0o755).file("/etc/pki/certs/one.pem", b"-----BEGIN", 0o644);
    let v = verify(&tree, &spec("  - /out/app\n", "rootfs:\n  ca-certificates: {from: /etc/pki/certs}\n"));
    assert_eq!(messages(&v), ["the CA bundle `/etc/pki/certs` is a directory in the builder"]);
}

#[test]
fn a_file_copied_where_another_copy_puts_files_is_an_error() {
    // Listed first, the plan cannot tell: `/out/app` might be a directory copied whole.
    let tree = Tree::builder("file-under").file("/out/app", SCRIPT, 0o755).file("/out/app.toml", b"x", 0o644);
    let v = verify(
        &tree,
        &spec(
            "  - {from: /out/app, to: /opt/app}\n  - {from: /out/app.toml, to: /opt/app/conf/app.toml}\n",
            "image:\n  entrypoint: [/opt/app]\n",
        ),
    );
    assert_eq!(
        messages(&v),
        ["`/out/app` is a file, but the copy to `/opt/app/conf/app.toml` (line 6) puts files inside `/opt/app`"]
    );
}

/// A static C program with `extra` bytes of one more debug section (`objcopy --add-section`).
fn static_with_debug(name: &str, extra: usize) -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!("scratchkit-verify-debug-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (plain, padded, pad) = (dir.join(format!("{name}.plain")), dir.join(name), dir.join(format!("{name}.pad")));
    std::fs::write(&plain, gcc(name, &["-static", "-g"])).unwrap();
    std::fs::write(&pad, vec![0x5a; extra]).unwrap();
    let section = format!(".debug_pad={}", pad.display());
    let status = Command::new("objcopy")
        .args(["--add-section", &section])
        .arg(&plain)
        .arg(&padded)
        .status()
        .expect("objcopy runs");
    assert!(status.success(), "objcopy failed for {name}");
    std::fs::read(&padded).unwrap()
}

#[test]
fn debug_information_is_a_note_only_when_stripping_would_halve_the_file() {
    // A static hello-world is about 800 KiB: 2 MiB of debug information is most of the file.
    let mostly_debug = static_with_debug("mostly-debug", 2 << 20);
    let tree = Tree::builder("debug-mostly").file("/out/app", &mostly_debug, 0o755);
    let v = verify(&tree, &spec("  - /out/app\n", ""));
    assert_eq!(v.diagnostics.items.len(), 1, "{:?}", messages(&v));
    let note = &v.diagnostics.items[0];
    // A note, not a warning: a build does not report it to buildx.
    assert!(note.is(scratchkit::rules::codes::SK331) && note.severity == scratchkit::diag::Severity::Note, "{note:?}");
    // It says how many bytes stripping saves: at least the 2 MiB added.
    let saved: u64 = note
        .message
        .split("would save ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(saved >= 2 << 20 && saved < mostly_debug.len() as u64, "{}", note.message);
    // And which share of the file that is, in percent.
    let share: u64 =
        note.message.split("it is ").nth(1).and_then(|r| r.split('%').next()).and_then(|n| n.parse().ok()).unwrap_or(0);
    assert_eq!(share, saved * 100 / mostly_debug.len() as u64, "{}", note.message);
    // A third of the file, as in a default Go build: no note.
    let some_debug = static_with_debug("some-debug", 300 << 10);
    let tree = Tree::builder("debug-some").file("/out/app", &some_debug, 0o755);
    let v = verify(&tree, &spec("  - /out/app\n", ""));
    assert!(v.diagnostics.items.is_empty(), "{:?}", messages(&v));
}

// ---------------------------------------------------------------------------------------------------
// rootfs.gconv, rootfs.dlopen, rootfs.packages and .note.dlopen
// ---------------------------------------------------------------------------------------------------

/// A shared library `soname`, from the host's gcc; `note` is C declaring its sections (a dlopen note).
fn shared_library(soname: &str, note: &str) -> Vec<u8> {
    let flags = ["-shared", "-fPIC", "-Wl,-soname", soname];
    gcc_source(&soname.replace('.', "_"), &format!("int answer(void) {{ return 42; }}\n{note}"), &flags)
}

/// The payload of a dlopen note, as systemd's `ELF_NOTE_DLOPEN` lays it out: owner `FDO`, type 0x407c0c0a.
fn dlopen_note(json: &str) -> String {
    let desc = json.replace('"', "\\\"");
    let size = json.len() + 1;
    let padded = size.div_ceil(4) * 4;
    format!(
        "__attribute__((used, section(\".note.dlopen\"), aligned(4))) static const struct {{ unsigned n, d, t; char name[4]; char desc[{padded}]; }} \
         note = {{ 4, {size}, 0x407c0c0a, \"FDO\", \"{desc}\" }};\n"
    )
}

const LIBDIR: &str = "/usr/lib/x86_64-linux-gnu";

#[test]
fn a_required_dlopen_note_brings_its_library_and_a_missing_one_is_an_error() {
    let note = dlopen_note(
        r#"[{"feature":"bar","priority":"required","soname":["libbar.so.1"]},{"feature":"baz","priority":"suggested","soname":["libbaz.so.1"]}]"#,
    );
    let libfoo = shared_library("libfoo.so.1", &note);
    let dir = std::env::temp_dir().join(format!("scratchkit-verify-note-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("libfoo.so.1"), &libfoo).unwrap();
    let app = gcc_source(
        "note-app",
        "int answer(void);\nint main(void) { return answer() - 42; }\n",
        &[&format!("{}/libfoo.so.1", dir.display())],
    );
    let tree = Tree::builder("note")
        .with_glibc()
        .file("/out/app", &app, 0o755)
        .file(&format!("{LIBDIR}/libfoo.so.1"), &libfoo, 0o644)
        .file(&format!("{LIBDIR}/libbar.so.1"), &shared_library("libbar.so.1", ""), 0o644)
        .file(&format!("{LIBDIR}/libbaz.so.1"), &shared_library("libbaz.so.1", ""), 0o644);
    let v = verify(&tree, &spec("  - /out/app\n", ""));
    assert!(v.diagnostics.items.is_empty(), "{:?}", messages(&v));
    assert!(v.libraries.contains(&format!("{LIBDIR}/libbar.so.1")), "the required one: {:?}", v.libraries);
    assert!(!v.libraries.contains(&format!("{LIBDIR}/libbaz.so.1")), "not the suggested one: {:?}", v.libraries);
    let v = verify(&tree.without(&format!("{LIBDIR}/libbar.so.1")), &spec("  - /out/app\n", ""));
    let found = messages(&v);
    assert!(
        found
            .iter()
            .any(|m| m.contains("libfoo.so.1` requires `libbar.so.1` for its feature `bar` (its .note.dlopen)")),
        "{found:?}"
    );
}

#[test]
fn a_musl_programs_dlopen_note_is_looked_up_where_musl_looks() {
    // `/usr/local/lib` is in musl's default path, not in glibc's: the note's library is found there only
    // through the program's own loader. No libc in either library (musl's would be the loader itself).
    let library = |soname: &str, note: &str| {
        let flags = ["-shared", "-fPIC", "-nostdlib", "-Wl,-soname", soname];
        gcc_source(
            &format!("musl_{}", soname.replace('.', "_")),
            &format!("int answer(void) {{ return 42; }}\n{note}"),
            &flags,
        )
    };
    let libfoo =
        library("libfoo.so.1", &dlopen_note(r#"[{"feature":"bar","priority":"required","soname":["libbar.so.1"]}]"#));
    let dir = std::env::temp_dir().join(format!("scratchkit-verify-musl-note-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("libfoo.so.1"), &libfoo).unwrap();
    let linked = format!("{}/libfoo.so.1", dir.display());
    let main = "int answer(void);\nint main(void) { return answer() - 42; }\n";
    let app = gcc_source("musl-note-app", main, &[&linked, "-Wl,--dynamic-linker=/lib/ld-musl-x86_64.so.1"]);
    let tree = Tree::builder("musl-note")
        .file("/lib/ld-musl-x86_64.so.1", b"musl", 0o755)
        .file("/out/app", &app, 0o755)
        .file("/usr/local/lib/libfoo.so.1", &libfoo, 0o644)
        .file("/usr/local/lib/libbar.so.1", &library("libbar.so.1", ""), 0o644);
    let v = verify(&tree, &spec("  - /out/app\n", ""));
    assert!(v.diagnostics.items.is_empty(), "{:?}", messages(&v));
    assert!(v.libraries.contains(&"/usr/local/lib/libbar.so.1".to_string()), "{:?}", v.libraries);
}

#[test]
fn gconv_listed_brings_the_configuration_and_the_modules_of_those_charsets() {
    let files = [
        "gconv-modules",
        "gconv-modules.cache",
        "gconv-modules.d/gconv-modules-extra.conf",
        "CP1252.so",
        "EUC-JP.so",
        "libJIS.so",
    ];
    let tree = files
        .iter()
        .fold(Tree::builder("gconv-list").with_glibc().file("/out/app", &gcc("gconv-list", &[]), 0o755), |t, f| {
            t.file(&format!("{GCONV}/{f}"), &host(&format!("{GCONV}/{f}")), 0o644)
        });
    let v = verify(&tree, &spec("  - /out/app\n", "rootfs:\n  gconv: [windows-1252]\n"));
    assert!(v.diagnostics.items.is_empty(), "{:?}", messages(&v));
    for want in ["gconv-modules", "gconv-modules.cache", "gconv-modules.d", "CP1252.so"] {
        assert!(v.libraries.contains(&format!("{GCONV}/{want}")), "{want}: {:?}", v.libraries);
    }
    assert!(!v.libraries.iter().any(|l| l.contains("EUC-JP") || l == GCONV), "{:?}", v.libraries);
    let v = verify(&tree, &spec("  - /out/app\n", "rootfs:\n  gconv: [EUC-JP, KLINGON]\n"));
    assert!(v.libraries.contains(&format!("{GCONV}/libJIS.so")), "a module's own library: {:?}", v.libraries);
    assert_eq!(
        messages(&v),
        [format!("the builder's gconv configuration (`{GCONV}/gconv-modules`) has no charset `KLINGON`")]
    );
    // `none`: nothing, even for a program that calls iconv_open.
    let iconv = tree.file("/out/app", &gcc_source("iconv-none", ICONV_C, &[]), 0o755);
    assert!(!verify(&iconv, &spec("  - /out/app\n", "rootfs:\n  gconv: none\n"))
        .libraries
        .iter()
        .any(|l| l.contains("gconv")));
}

#[test]
fn dlopen_and_packages_bring_what_they_name_with_its_closure() {
    let libqux = shared_library("libqux.so.1", "");
    let tree = Tree::builder("named")
        .with_glibc()
        .with_dpkg()
        .file("/out/app", &gcc("named", &[]), 0o755)
        .file(&format!("{LIBDIR}/libqux.so.1"), &libqux, 0o644)
        .file("/usr/share/fonts/x.ttf", b"\0\x01\0\0font", 0o644)
        .file(
            "/var/lib/dpkg/info/fonts-x.list",
            b"/.\n/usr\n/usr/share\n/usr/share/fonts\n/usr/share/fonts/x.ttf\n/usr/share/doc/fonts-x/changelog.gz\n",
            0o644,
        )
        .file("/var/lib/dpkg/info/libqux1:amd64.list", format!("/.\n{LIBDIR}/libqux.so.1\n").as_bytes(), 0o644);
    let v =
        verify(&tree, &spec("  - /out/app\n", "rootfs:\n  dlopen: [libqux.so.1]\n  packages: [fonts-x, libqux1]\n"));
    assert!(!v.diagnostics.has_errors(), "{:?}", messages(&v));
    for want in [&format!("{LIBDIR}/libqux.so.1"), "/usr/share/fonts/x.ttf"] {
        assert!(v.libraries.iter().any(|l| l == want), "{want}: {:?}", v.libraries);
    }
    // Directories and what the builder lacks (a slim image's excluded docs) are not brought.
    assert!(!v.libraries.iter().any(|l| l == "/usr/share/fonts" || l.contains("changelog")), "{:?}", v.libraries);
    let v = verify(&tree, &spec("  - /out/app\n", "rootfs:\n  dlopen: [libnope.so.9]\n  packages: [libpq5]\n"));
    let found = messages(&v);
    assert!(
        found.iter().any(|m| m.starts_with("`rootfs.dlopen` names `libnope.so.9`, which is not in the builder")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|m| m == "package `libpq5` is not installed in the builder image `golang:1.23`"),
        "{found:?}"
    );
}
