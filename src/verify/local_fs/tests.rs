use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::PathBuf;

use super::*;
use crate::verify::image::{Entry as ImageEntry, Kind as ImageKind};

/// A fresh directory of this test's own, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("scratchkit-local-fs-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }
    fn file(&self, path: &str, content: &str) {
        let p = self.0.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    fn link(&self, path: &str, target: &str) {
        let p = self.0.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        symlink(target, p).unwrap();
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
}

fn read(fs: &LocalFs, path: &str) -> Result<String, String> {
    block_on(Filesystem::read_at(fs, path, 0, 1 << 20)).map(|b| String::from_utf8(b).unwrap())
}

#[test]
fn an_absolute_link_resolves_against_the_mount_root() {
    let d = Dir::new("absolute");
    d.file("etc/hostname", "inside");
    d.link("out/name", "/etc/hostname");
    d.link("out/root", "/");
    let fs = LocalFs::new(&d.0);
    // The host's /etc/hostname is not read (it would say the machine's name).
    assert_eq!(read(&fs, "/out/name").unwrap(), "inside");
    assert_eq!(read(&fs, "/out/root/etc/hostname").unwrap(), "inside");
    assert_eq!(read(&fs, "/out/root/out/name").unwrap(), "inside");
}

#[test]
fn dot_dot_never_climbs_above_the_root() {
    let d = Dir::new("dotdot");
    d.file("etc/hostname", "inside");
    d.link("a/b/up", "../../../../../../etc/hostname");
    let fs = LocalFs::new(&d.0);
    assert_eq!(read(&fs, "/a/b/up").unwrap(), "inside");
    assert_eq!(read(&fs, "/../../etc/hostname").unwrap(), "inside");
    assert_eq!(read(&fs, "/a/../a/b/../../etc/./hostname").unwrap(), "inside");
}

#[test]
fn a_link_loop_and_a_file_used_as_a_directory_are_errors() {
    let d = Dir::new("loop");
    d.link("a", "b");
    d.link("b", "/a");
    d.file("f", "x");
    let fs = LocalFs::new(&d.0);
    let e = read(&fs, "/a").unwrap_err();
    assert!(e.contains("too many levels of symbolic links"), "{e}");
    let e = read(&fs, "/f/x").unwrap_err();
    assert!(e.contains("not a directory"), "{e}");
    let e = read(&fs, "/missing").unwrap_err();
    assert_eq!(e, "`/missing`: no such file or directory");
    // Not the host path: messages name paths inside the mount only.
    assert!(!e.contains(d.0.to_str().unwrap()), "{e}");
}

#[test]
fn only_regular_files_are_opened() {
    let d = Dir::new("fifo");
    let status = std::process::Command::new("mkfifo").arg(d.0.join("pipe")).status().unwrap();
    assert!(status.success());
    let fs = LocalFs::new(&d.0);
    // Opening a FIFO would block until a writer comes: the read is refused instead.
    let e = read(&fs, "/pipe").unwrap_err();
    assert!(e.contains("not a regular file"), "{e}");
    let e = read(&fs, "/").unwrap_err();
    assert!(e.contains("not a regular file"), "{e}");
}

#[test]
fn stat_follows_links_and_a_listing_shows_them() {
    let d = Dir::new("list");
    d.file("out/app", "12345");
    std::fs::set_permissions(d.0.join("out/app"), std::fs::Permissions::from_mode(0o4755)).unwrap();
    d.link("out/link", "app");
    d.link("out/dangling", "/nowhere");
    std::fs::create_dir(d.0.join("out/sub")).unwrap();
    let fs = LocalFs::new(&d.0);
    let stat = block_on(fs.stat("/out/link")).unwrap();
    assert_eq!(stat, FileStat { is_dir: false, mode: 0o755, size: 5 });
    assert!(block_on(fs.stat("/out/dangling")).is_err());
    assert_eq!(block_on(fs.read_dir("/out")).unwrap(), ["app", "dangling", "link", "sub"]);
    let listed = block_on(Filesystem::list(&fs, "/out")).unwrap();
    let kinds: Vec<(&str, &Kind)> = listed.iter().map(|(name, e)| (name.as_str(), &e.kind)).collect();
    assert_eq!(
        kinds,
        [
            ("app", &Kind::File),
            ("dangling", &Kind::Symlink("/nowhere".into())),
            ("link", &Kind::Symlink("app".into())),
            ("sub", &Kind::Dir)
        ]
    );
}

#[test]
fn the_image_listing_has_special_bits_and_owners() {
    let d = Dir::new("image");
    std::fs::create_dir(d.0.join("tmp")).unwrap();
    std::fs::set_permissions(d.0.join("tmp"), std::fs::Permissions::from_mode(0o1777)).unwrap();
    d.link("bin", "usr/bin");
    d.file("app", "");
    let meta = std::fs::metadata(d.0.join("app")).unwrap();
    let fs = LocalFs::new(&d.0);
    let listed = block_on(ImageFs::list(&fs, "/")).unwrap();
    let by_name: std::collections::BTreeMap<String, ImageEntry> = listed.into_iter().collect();
    assert_eq!(by_name["tmp"].kind, ImageKind::Dir);
    assert_eq!(by_name["tmp"].mode, 0o1777);
    assert_eq!(by_name["bin"].kind, ImageKind::Symlink("usr/bin".into()));
    assert_eq!((by_name["app"].uid, by_name["app"].gid), (meta.uid(), meta.gid()));
    assert_eq!(block_on(ImageFs::read_at(&fs, "/app", 0, 10)).unwrap(), b"");
}
