//! What the checks of the builder's output found that the image is assembled from. The flow is: lower
//! with [`Found::planned`] (the builder and the probe), check what the builder made (`verify`), lower
//! again with what the checks found (the image). `verify` writes it, `lower` reads it, `frontend` carries
//! it between them.

use std::collections::BTreeSet;

use super::BuilderRead;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Found {
    /// The builder paths the checks read through a probe state (`verify::planned_reads`); empty: no probe,
    /// the checks and copies read the builder itself.
    pub probe: Vec<BuilderRead>,
    /// The builder paths looked for by name in the probe that the checks found there as themselves (see
    /// [`BuilderRead::by_name`]): the image's copies of those take them from the probe; of the other such
    /// reads (a symlink there, copied as the link), from the builder.
    pub probe_held: BTreeSet<String>,
    /// Builder files the dynamic binaries need (interpreter, libraries, ld.so.cache).
    pub libraries: Vec<String>,
    /// Data files (`/etc/services`, ...) the builder does not have: left out.
    pub absent: Vec<String>,
    /// The builder packages whose files the image has (`rootfs.package-metadata`).
    pub packages: PackageMetadata,
}

impl Found {
    /// Before the checks: only what the probe will hold.
    pub fn planned(probe: Vec<BuilderRead>) -> Self {
        Found { probe, ..Found::default() }
    }
}

/// What scanners read to see the builder packages in the image, the way distroless writes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PackageMetadata {
    pub packages: Vec<PackageFiles>,
    /// The builder's os-release path (a symlink is followed by the copy), copied to `/etc/os-release`.
    pub os_release: Option<String>,
}

/// One owning package: `/var/lib/dpkg/status.d/<name>` (its status stanza), `<name>.md5sums` (of the
/// copied files), and its copyright file from the builder.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PackageFiles {
    /// `Package:` of the stanza (`libc6`), the name of its `status.d` file.
    pub name: String,
    /// Its stanza of the builder's status file, as is, ending in a newline.
    pub stanza: String,
    /// `<md5>  <path>` lines of its `.md5sums` for the copied files only (may be empty).
    pub md5sums: String,
    /// The builder path of `/usr/share/doc/<name>/copyright`, if it has one.
    pub copyright: Option<String>,
}
