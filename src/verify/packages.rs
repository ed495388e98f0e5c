//! The Debian packages that own the files the image takes from the builder, and what scanners need to
//! see them: each package's stanza of `/var/lib/dpkg/status`, the md5sums of its copied files, its
//! copyright file, and the builder's os-release.
//!
//! Ownership comes from dpkg's own database, `/var/lib/dpkg/info/<package>[:arch].list`: the directory is
//! listed once and every `.list` file read in parallel (each read is a round trip to BuildKit). Paths are
//! compared in their canonical form: on a merged-/usr system `/lib` is a symlink to `/usr/lib`, so a
//! library the closure found at `/lib/x86_64-linux-gnu/libz.so.1` is the file dpkg lists as either
//! `/lib/...` or `/usr/lib/...`.
//!
//! A builder without dpkg (Alpine, busybox, distroless, a bare toolchain image) has no
//! `/var/lib/dpkg/info`: that is not an error, the image then simply gets no package metadata.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::{join, join_all};

use super::Filesystem;
use crate::plan::{PackageFiles, PackageMetadata};

pub const DPKG: &str = "/var/lib/dpkg";
pub const DPKG_INFO: &str = "/var/lib/dpkg/info";
pub const DPKG_STATUS: &str = "/var/lib/dpkg/status";
/// Where distroless (and so every scanner) expects one stanza per package.
pub const STATUS_D: &str = "/var/lib/dpkg/status.d";
/// os-release candidates, in the order the spec (os-release(5)) reads them.
pub const OS_RELEASE: &[&str] = &["/etc/os-release", "/usr/lib/os-release"];
/// The most a metadata file read asks for (tonic's default message limit is 4 MiB).
const READ_LIMIT: u64 = (4 << 20) - (64 << 10);

/// Files that no package lists because a package's script generates them, and the package that does.
const GENERATED: &[(&str, &str)] = &[("/etc/ssl/certs/ca-certificates.crt", "ca-certificates")];

/// The top-level directories that are symlinks into `/usr` on a merged-/usr system.
const MERGED: &[&str] = &["bin", "sbin", "lib", "lib32", "lib64", "libx32"];

/// What the image takes from the builder, in builder paths: single files, and directory trees (each
/// with the names of the subtrees left out, like `right` of the zone database).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Copied {
    pub files: Vec<String>,
    pub trees: Vec<(String, Vec<String>)>,
}

/// `.`/`..` folded, and on a merged-/usr system `/lib/...` written as `/usr/lib/...`.
pub fn canonical(path: &str, merged_usr: bool) -> String {
    let folded = crate::plan::fold_clamped(path);
    let first = folded[1..].split('/').next().unwrap_or_default();
    if merged_usr && MERGED.contains(&first) {
        format!("/usr{folded}")
    } else {
        folded
    }
}

/// `libc6:amd64.list` → (`libc6:amd64`, `libc6`); other names are not package lists.
pub fn list_name(file: &str) -> Option<(&str, &str)> {
    let base = file.strip_suffix(".list")?;
    let package = base.split(':').next().filter(|p| !p.is_empty())?;
    Some((base, package))
}

/// The paths of a `.list` file that are copied into the image (in dpkg's spelling), given the copied
/// files and trees in canonical form.
pub fn owned<'a>(
    list: &'a str,
    files: &BTreeSet<String>,
    trees: &[(String, Vec<String>)],
    merged_usr: bool,
) -> Vec<&'a str> {
    list.lines()
        .filter(|line| line.starts_with('/'))
        .filter(|line| {
            let path = canonical(line, merged_usr);
            files.contains(&path) || trees.iter().any(|(root, excluded)| in_tree(&path, root, excluded))
        })
        .collect()
}

fn in_tree(path: &str, root: &str, excluded: &[String]) -> bool {
    let Some(rest) = path.strip_prefix(root).and_then(|r| r.strip_prefix('/')) else {
        return false;
    };
    let first = rest.split('/').next().unwrap_or_default();
    !rest.is_empty() && !excluded.iter().any(|e| e == first)
}

/// One stanza of a dpkg status file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stanza<'a> {
    pub package: &'a str,
    pub architecture: &'a str,
    pub installed: bool,
    pub text: &'a str,
}

/// The stanzas of a status file (separated by blank lines), in file order.
pub fn parse_status(text: &str) -> Vec<Stanza<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let blank = line.trim().is_empty();
        match (start, blank) {
            (None, false) => start = Some(offset),
            (Some(s), true) => {
                out.extend(stanza(&text[s..offset]));
                start = None;
            }
            _ => {}
        }
        offset += line.len();
    }
    if let Some(s) = start {
        out.extend(stanza(&text[s..]));
    }
    out
}

fn stanza(text: &str) -> Option<Stanza<'_>> {
    let field = |name: &str| {
        text.lines().find_map(|l| {
            l.strip_prefix(name).and_then(|r| r.strip_prefix(':')).map(str::trim).filter(|_| !l.starts_with(' '))
        })
    };
    let package = field("Package")?;
    let status = field("Status").unwrap_or_default();
    Some(Stanza {
        package,
        architecture: field("Architecture").unwrap_or_default(),
        installed: status.ends_with(" installed"),
        text,
    })
}

/// The stanza of an installed package named like its `.list` file (`libc6:amd64`, or `tzdata`).
pub fn find_stanza<'a>(stanzas: &[Stanza<'a>], list_base: &str) -> Option<&'a str> {
    let (name, arch) = match list_base.split_once(':') {
        Some((n, a)) => (n, Some(a)),
        None => (list_base, None),
    };
    let mut candidates = stanzas.iter().filter(|s| s.installed && s.package == name);
    let found = match arch {
        Some(a) => candidates.find(|s| s.architecture == a),
        // Without a qualifier dpkg means the one installed instance (native or `all`).
        None => candidates.next(),
    }?;
    Some(found.text)
}

/// The lines of a `.md5sums` file (`<md5>  <path without leading slash>`) whose path is one of `paths`
/// (dpkg's spelling, with the slash), in the file's order.
pub fn filter_md5sums(md5sums: &str, paths: &[&str]) -> String {
    let wanted: BTreeSet<&str> = paths.iter().map(|p| p.trim_start_matches('/')).collect();
    md5sums
        .lines()
        .filter(|line| line.split_once("  ").is_some_and(|(_, path)| wanted.contains(path.trim_start_matches('/'))))
        .map(|line| format!("{line}\n"))
        .collect()
}

async fn read_text<F: Filesystem>(fs: &F, path: String) -> Option<String> {
    fs.read_at(&path, 0, READ_LIMIT).await.ok().map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Whether `path` is, holds, or is inside a directory that merged /usr gives two names (`/lib`, `/usr/lib`):
/// only then can the merge change which package owns it. Everywhere else (`/etc`, `/usr/share`, the
/// application's own paths) the question is not asked, which spares listing two large directories.
fn touches_merged(path: &str) -> bool {
    let folded = crate::plan::fold_clamped(path);
    let mut parts = folded[1..].split('/');
    match (parts.next().unwrap_or_default(), parts.next()) {
        ("", _) | ("usr", None) => true,
        ("usr", Some(second)) => MERGED.contains(&second),
        (first, _) => MERGED.contains(&first),
    }
}

/// ReadDir follows no symlink, and stat follows all of them, so "is /lib a symlink to /usr/lib" is asked as
/// "do they list the same entries": a merged-/usr system's two names for one directory.
async fn merged_usr<F: Filesystem>(fs: &F) -> bool {
    let (lib, usr_lib) = join(fs.read_dir("/lib"), fs.read_dir("/usr/lib")).await;
    matches!((&lib, &usr_lib), (Ok(a), Ok(b)) if !a.is_empty() && a == b)
}

/// Finds the owning packages of what is copied and reads what the image needs about them.
/// A builder without a dpkg database gives empty metadata.
pub async fn find<F: Filesystem>(fs: &F, copied: &Copied) -> PackageMetadata {
    let Ok(info) = fs.read_dir(DPKG_INFO).await else {
        return PackageMetadata::default(); // no dpkg: nothing to describe (see the module comment)
    };
    let names: Vec<String> = info.into_iter().map(|n| n.rsplit('/').next().unwrap_or_default().to_string()).collect();
    let lists: Vec<(&str, &str)> = names.iter().filter_map(|n| list_name(n)).collect();
    let (texts, (status, os_release)) = join(
        join_all(lists.iter().map(|(base, _)| read_text(fs, format!("{DPKG_INFO}/{base}.list")))),
        join(read_text(fs, DPKG_STATUS.to_string()), find_os_release(fs)),
    )
    .await;
    let merged_usr = copied
        .files
        .iter()
        .chain(os_release.iter())
        .chain(copied.trees.iter().map(|(t, _)| t))
        .any(|p| touches_merged(p))
        && merged_usr(fs).await;
    let mut files: BTreeSet<String> = copied.files.iter().map(|f| canonical(f, merged_usr)).collect();
    let trees: Vec<(String, Vec<String>)> =
        copied.trees.iter().map(|(t, ex)| (canonical(t, merged_usr), ex.clone())).collect();

    // os-release is copied too, and belongs to a package (Debian: base-files).
    if let Some(path) = &os_release {
        files.insert(canonical(path, merged_usr));
    }
    let owners = owners(&lists, &texts, &files, &trees, merged_usr);
    let status = status.unwrap_or_default();
    let stanzas = parse_status(&status);
    let found: Vec<(&str, &str, Vec<&str>, &str)> = owners
        .into_iter()
        .filter_map(|(base, (package, paths))| find_stanza(&stanzas, base).map(|s| (base, package, paths, s)))
        .collect();
    let packages = package_files(fs, found).await;
    PackageMetadata { packages, os_release }
}

/// The first os-release file the builder has.
async fn find_os_release<F: Filesystem>(fs: &F) -> Option<String> {
    for candidate in OS_RELEASE {
        if fs.stat(candidate).await.is_ok_and(|s| !s.is_dir) {
            return Some(candidate.to_string());
        }
    }
    None
}

/// Base (`libc6:amd64`) → the package and the paths it owns that are copied, from the `.list` texts; a
/// package whose generated file is copied owns it without a listed path.
fn owners<'a>(
    lists: &[(&'a str, &'a str)],
    texts: &'a [Option<String>],
    files: &BTreeSet<String>,
    trees: &[(String, Vec<String>)],
    merged_usr: bool,
) -> BTreeMap<&'a str, (&'a str, Vec<&'a str>)> {
    let mut owners: BTreeMap<&str, (&str, Vec<&str>)> = BTreeMap::new();
    for ((base, package), text) in lists.iter().zip(texts) {
        let Some(text) = text else { continue };
        let paths = owned(text, files, trees, merged_usr);
        if !paths.is_empty() {
            owners.insert(base, (package, paths));
        }
    }
    for (file, package) in GENERATED {
        let generated_copied = files.contains(*file);
        if generated_copied && !owners.values().any(|(p, _)| p == package) {
            if let Some((base, _)) = lists.iter().find(|(_, p)| p == package) {
                owners.insert(base, (package, Vec::new()));
            }
        }
    }
    owners
}

/// Each found package (base, name, copied paths, status stanza) with its md5sums of those paths and its
/// copyright file (copied as well), read together; sorted by name, once each.
async fn package_files<F: Filesystem>(fs: &F, found: Vec<(&str, &str, Vec<&str>, &str)>) -> Vec<PackageFiles> {
    let details = join_all(found.iter().map(|(base, package, _, _)| async move {
        let copyright = format!("/usr/share/doc/{package}/copyright");
        join(read_text(fs, format!("{DPKG_INFO}/{base}.md5sums")), async {
            fs.stat(&copyright).await.is_ok_and(|s| !s.is_dir).then_some(copyright)
        })
        .await
    }))
    .await;
    let mut packages: Vec<PackageFiles> = found
        .into_iter()
        .zip(details)
        .map(|((_, package, mut paths, stanza), (md5sums, copyright))| {
            // The copyright file is copied as well.
            if let Some(c) = &copyright {
                paths.push(c);
            }
            PackageFiles {
                name: package.to_string(),
                stanza: format!("{}\n", stanza.trim_end()),
                md5sums: filter_md5sums(&md5sums.unwrap_or_default(), &paths),
                copyright,
            }
        })
        .collect();
    packages.sort_by(|a, b| a.name.cmp(&b.name));
    packages.dedup_by(|a, b| a.name == b.name);
    packages
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9+deb12u14\nSource: glibc\nDescription: GNU C Library\n multi-line\n .\n more\n\nPackage: libc6\nStatus: install ok installed\nArchitecture: i386\nVersion: 2.36-9+deb12u14\n\nPackage: tzdata\nStatus: install ok installed\nArchitecture: all\nVersion: 2026b-0+deb12u1\n\nPackage: gone\nStatus: deinstall ok config-files\nArchitecture: all\nVersion: 1\n";

    #[test]
    fn canonical_folds_merged_usr_only_when_merged() {
        assert_eq!(canonical("/lib/x86_64-linux-gnu/libc.so.6", true), "/usr/lib/x86_64-linux-gnu/libc.so.6");
        assert_eq!(canonical("/lib64/ld-linux-x86-64.so.2", true), "/usr/lib64/ld-linux-x86-64.so.2");
        assert_eq!(canonical("/usr/lib/x/../y/./z", true), "/usr/lib/y/z");
        assert_eq!(canonical("/lib/x86_64-linux-gnu/libc.so.6", false), "/lib/x86_64-linux-gnu/libc.so.6");
        assert_eq!(canonical("/library/x", true), "/library/x");
        assert_eq!(canonical("/etc/services", true), "/etc/services");
    }

    #[test]
    fn list_names_give_the_package() {
        assert_eq!(list_name("libc6:amd64.list"), Some(("libc6:amd64", "libc6")));
        assert_eq!(list_name("tzdata.list"), Some(("tzdata", "tzdata")));
        assert_eq!(list_name("tzdata.md5sums"), None);
        assert_eq!(list_name(".list"), None);
    }

    #[test]
    fn owned_paths_match_in_canonical_form_files_and_trees() {
        let list = "/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libc.so.6\n/lib64/ld-linux-x86-64.so.2\n/usr/share/doc/libc6/copyright\n";
        let files: BTreeSet<String> =
            ["/usr/lib/x86_64-linux-gnu/libc.so.6".to_string(), "/usr/lib64/ld-linux-x86-64.so.2".to_string()].into();
        assert_eq!(owned(list, &files, &[], true), ["/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"]);
        assert!(owned(list, &files, &[], false).is_empty());
        let tz = "/usr/share/zoneinfo\n/usr/share/zoneinfo/Europe/Amsterdam\n/usr/share/zoneinfo/right/UTC\n/usr/share/zoneinfo-icu/x\n";
        let trees = vec![("/usr/share/zoneinfo".to_string(), vec!["right".to_string()])];
        assert_eq!(owned(tz, &BTreeSet::new(), &trees, true), ["/usr/share/zoneinfo/Europe/Amsterdam"]);
    }

    #[test]
    fn status_stanzas_are_kept_as_is() {
        let stanzas = parse_status(STATUS);
        assert_eq!(stanzas.len(), 4);
        assert_eq!(stanzas[0].package, "libc6");
        assert!(stanzas[0].text.contains(" multi-line\n .\n more\n"));
        assert!(!stanzas[3].installed);
        assert_eq!(find_stanza(&stanzas, "libc6:i386").map(|s| s.contains("i386")), Some(true));
        assert!(find_stanza(&stanzas, "libc6:amd64")
            .unwrap()
            .starts_with("Package: libc6\nStatus: install ok installed\nArchitecture: amd64\n"));
        assert!(find_stanza(&stanzas, "tzdata").unwrap().contains("Version: 2026b-0+deb12u1"));
        assert_eq!(find_stanza(&stanzas, "gone"), None);
        assert_eq!(find_stanza(&stanzas, "absent"), None);
    }

    #[test]
    fn status_without_trailing_newline_or_with_crlf_blank_lines() {
        let s =
            parse_status("Package: a\nStatus: install ok installed\n\n\n\nPackage: b\nStatus: install ok installed");
        assert_eq!(s.iter().map(|s| s.package).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(s[0].text, "Package: a\nStatus: install ok installed\n");
        assert!(parse_status("").is_empty());
        // A continuation line never counts as a field.
        let s = parse_status("Description: x\n Package: fake\nPackage: real\n");
        assert_eq!(s[0].package, "real");
    }

    #[test]
    fn md5sums_keep_only_the_copied_files() {
        let md5 = "d41d8cd98f00b204e9800998ecf8427e  lib/x86_64-linux-gnu/libc.so.6\n0123456789abcdef0123456789abcdef  usr/share/doc/libc6/copyright\n";
        assert_eq!(
            filter_md5sums(md5, &["/lib/x86_64-linux-gnu/libc.so.6"]),
            "d41d8cd98f00b204e9800998ecf8427e  lib/x86_64-linux-gnu/libc.so.6\n"
        );
        assert_eq!(filter_md5sums(md5, &[]), "");
    }
}
