//! `rootfs.packages`: whole Debian packages of the builder (fonts, `libpq5`, a locale). Their files are
//! the ones dpkg lists for them (`/var/lib/dpkg/info/<package>[:arch].list`), directories left out; each
//! is brought to the same path (symlinks followed), its ELF files get their library closure, and the
//! package gets its metadata with the others (`rootfs.package-metadata`). Listed files the builder lacks
//! are left out: a slim image's dpkg `path-exclude` drops docs and man pages after listing them. dpkg's
//! diversions are not followed: a diverted file is taken from the path the package lists.

use crate::rules::codes::*;
use futures_util::stream::{self, StreamExt};

use super::elf::{self, MAGIC};
use super::libraries::Root;
use super::packages::DPKG_INFO;
use super::{Diagnostic, Diagnostics, Filesystem};
use crate::plan::Named;

/// Requests in flight at once.
const CONCURRENT: usize = 32;
/// A `.list` is read in reads of this size…
const CHUNK: u64 = 1 << 20;
/// …up to this size; a larger one is an error (the largest in Debian, a kernel's, is about 10 MB).
const MAX_LIST: u64 = 64 << 20;

/// What the packages bring.
#[derive(Debug, Default)]
pub struct Brought {
    /// Builder paths (regular files, and what symlinks lead to) for the same place in the image.
    pub paths: Vec<String>,
    /// The ELF files among them, for their closure.
    pub roots: Vec<Root>,
}

/// The `.list` files of `package` among dpkg's info files: `<package>.list`, or `<package>:<arch>.list`
/// (a package written without its architecture matches every one installed).
fn lists_of<'a>(names: &'a [String], package: &str) -> Vec<&'a str> {
    let mut found: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| {
            let Some(base) = n.strip_suffix(".list") else { return false };
            base == package || (!package.contains(':') && base.split_once(':').is_some_and(|(p, _)| p == package))
        })
        .collect();
    found.sort_unstable();
    found
}

/// Reads a whole file in chunks, up to [`MAX_LIST`].
async fn read_whole<F: Filesystem>(fs: &F, path: &str) -> Result<String, String> {
    let mut bytes = Vec::new();
    loop {
        let got = fs.read_at(path, bytes.len() as u64, CHUNK).await?;
        let short = (got.len() as u64) < CHUNK;
        bytes.extend(got);
        if short {
            return Ok(String::from_utf8_lossy(&bytes).into_owned());
        }
        if bytes.len() as u64 >= MAX_LIST {
            return Err(format!("it is larger than {MAX_LIST} bytes"));
        }
    }
}

/// The files of every package; a package the builder has not installed is an error at its entry.
pub async fn bring<F: Filesystem>(
    fs: &F,
    packages: &[Named],
    builder_image: &str,
    machine: u16,
    ds: &mut Diagnostics,
) -> Brought {
    let names: Vec<String> = fs
        .read_dir(DPKG_INFO)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|n| n.rsplit('/').next().unwrap_or_default().to_string())
        .collect();
    let mut listed: Vec<String> = Vec::new();
    for package in packages {
        let lists = lists_of(&names, &package.name);
        if lists.is_empty() {
            ds.push(
                Diagnostic::error(
                    SK342,
                    package.span,
                    format!("package `{}` is not installed in the builder image `{builder_image}`", package.name),
                )
                .hint(format!(
                    "install it in the builder (`apt-get install -y {}` in `run`), or check the name with `dpkg -l`",
                    package.name
                )),
            );
        }
        for list in lists {
            let path = format!("{DPKG_INFO}/{list}");
            match read_whole(fs, &path).await {
                Ok(text) => {
                    listed.extend(text.lines().filter(|l| l.starts_with('/') && *l != "/.").map(str::to_string))
                }
                Err(e) => ds.push(
                    Diagnostic::error(SK343, package.span, format!("cannot read `{path}`: {e}"))
                        .hint("check the builder's dpkg database"),
                ),
            }
        }
    }
    listed.sort();
    listed.dedup();
    let stats: Vec<_> = stream::iter(listed.iter().map(|p| fs.stat(p))).buffered(CONCURRENT).collect().await;
    let files: Vec<String> =
        listed.into_iter().zip(stats).filter_map(|(p, s)| s.ok().filter(|s| !s.is_dir).map(|_| p)).collect();
    let roots = elf_roots(fs, &files, machine, packages, ds).await;
    Brought { paths: files, roots }
}

/// The ELF files among `files` for `machine`; one that starts like ELF and cannot be read is an error.
async fn elf_roots<F: Filesystem>(
    fs: &F,
    files: &[String],
    machine: u16,
    packages: &[Named],
    ds: &mut Diagnostics,
) -> Vec<Root> {
    let span = packages.first().map(|p| p.span).unwrap_or_default();
    let heads: Vec<_> =
        stream::iter(files.iter().map(|f| fs.read_at(f, 0, MAGIC.len() as u64))).buffered(CONCURRENT).collect().await;
    let elf_files: Vec<&String> = files
        .iter()
        .zip(heads)
        .filter(|(_, h)| h.as_ref().is_ok_and(|h| h.as_slice() == MAGIC))
        .map(|(f, _)| f)
        .collect();
    let infos: Vec<_> =
        stream::iter(elf_files.iter().map(|f| elf::inspect(fs, f))).buffered(CONCURRENT).collect().await;
    let mut roots = Vec::new();
    for (file, info) in elf_files.into_iter().zip(infos) {
        match info {
            Ok(Some(info)) if info.machine == machine => roots.push(Root::at(file, info)),
            Ok(_) => {}
            Err(e) => ds.push(
                Diagnostic::error(SK344, span, format!("cannot read `{file}` as ELF: {e}"))
                    .hint("reinstall the package in the builder"),
            ),
        }
    }
    roots
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_is_found_with_or_without_its_architecture() {
        let names: Vec<String> = [
            "libpq5:amd64.list",
            "libpq5:amd64.md5sums",
            "libpq5-dev.list",
            "fonts-dejavu-core.list",
            "libpq5:i386.list",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(lists_of(&names, "libpq5"), ["libpq5:amd64.list", "libpq5:i386.list"]);
        assert_eq!(lists_of(&names, "libpq5:i386"), ["libpq5:i386.list"]);
        assert_eq!(lists_of(&names, "fonts-dejavu-core"), ["fonts-dejavu-core.list"]);
        assert!(lists_of(&names, "libpq").is_empty());
    }
}
