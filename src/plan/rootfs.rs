//! `rootfs` and its pieces up to `rootfs.timezones`: what each writes and where the spec asks for it.

use crate::rules::codes::*;
use std::collections::BTreeMap;

use super::accounts::{Accounts, Owner};
use super::build::Planner;
use super::claims::{Claims, Kind};
use super::paths::{AbsPath, Mode};
use super::*;
use crate::diag::Span;
use crate::spec::{self, Spanned, Toggle};

/// Where the spec writes each rootfs piece, keyed by [`Piece::name`]. The accounts come from `users` and
/// `groups`, the homes from `users`.
pub(super) fn rootfs_spans(r: &spec::Rootfs) -> BTreeMap<&'static str, Vec<Span>> {
    let toggle = |t: &Option<Spanned<bool>>| t.iter().map(|t| t.span).collect::<Vec<_>>();
    let users: Vec<Span> = r.users.iter().map(|u| u.span).collect();
    let ca = match &r.ca_certificates {
        Some(Toggle::Off(s) | Toggle::On(s)) => vec![*s],
        Some(Toggle::With(from)) => vec![from.span],
        None => Vec::new(),
    };
    let zones = match &r.timezones {
        Some(spec::Timezones::Word(w)) => vec![w.span],
        Some(spec::Timezones::List(span, _)) => vec![*span],
        None => Vec::new(),
    };
    let spans = [
        ("users", users.iter().copied().chain(r.groups.iter().map(|g| g.span)).collect()),
        ("home", users),
        ("tmp", toggle(&r.tmp)),
        ("nsswitch", toggle(&r.nsswitch)),
        ("ca-certificates", ca),
        (DataFile::Services.key(), toggle(&r.services)),
        (DataFile::Protocols.key(), toggle(&r.protocols)),
        (DataFile::MimeTypes.key(), toggle(&r.mime_types)),
        ("timezones", zones),
        ("dirs", r.dirs.iter().map(|d| d.span).collect()),
        ("files", r.files.iter().map(|f| f.span).collect()),
        ("package metadata", toggle(&r.package_metadata)),
        ("libraries", r.libraries.iter().map(|l| l.span).collect()),
    ];
    spans.into_iter().filter(|(_, s): &(&str, Vec<Span>)| !s.is_empty()).collect()
}

/// What each rootfs piece writes, with the way to take it over on purpose.
pub(super) fn rootfs_claims(rootfs: &[Piece], accounts: &Accounts, package_metadata: bool) -> Claims {
    let mut claims = Claims::default();
    for piece in rootfs {
        claim(&mut claims, piece, accounts);
    }
    if package_metadata {
        let off = off_hint("package-metadata");
        claims.add(constant_path("/etc/os-release"), Kind::File, "`rootfs.package-metadata`", off.clone());
        claims.add(constant_path("/var/lib/dpkg/status.d"), Kind::Tree, "`rootfs.package-metadata`", off);
    }
    claims
}

fn constant_path(p: &str) -> AbsPath {
    AbsPath::parse(p).expect("constant path")
}

fn off_hint(key: &str) -> String {
    format!("set `rootfs.{key}: false` to ship your own")
}

/// What one piece writes.
fn claim(claims: &mut Claims, piece: &Piece, accounts: &Accounts) {
    let path = constant_path;
    match piece {
        Piece::Accounts(_) => {
            for file in ["/etc/passwd", "/etc/group"] {
                claims.add(
                    path(file),
                    Kind::File,
                    "`rootfs.users` and `rootfs.groups`",
                    "the image's accounts are written from `rootfs.users` and `rootfs.groups`: list them there instead of copying the file",
                );
            }
        }
        Piece::Homes(_) => claim_homes(claims, accounts),
        Piece::Tmp => claims.add(
            path("/tmp"),
            Kind::Dir { mode: Mode::new(0o1777), owner: Owner::ROOT },
            "`rootfs.tmp`",
            "copy into it rather than onto it (`to: /tmp/data/`), or set `rootfs.tmp: false` to ship your own",
        ),
        Piece::Nsswitch => claims.add(path("/etc/nsswitch.conf"), Kind::File, "`rootfs.nsswitch`", off_hint("nsswitch")),
        Piece::CaCertificates(_) => claims.add(
            path(CA_BUNDLE),
            Kind::File,
            "`rootfs.ca-certificates`",
            "take another bundle with `rootfs.ca-certificates: {from: ...}`, or set `rootfs.ca-certificates: false` to ship your own",
        ),
        Piece::DataFile { file, .. } => claims.add(path(file.path()), Kind::File, format!("`rootfs.{}`", file.key()), off_hint(file.key())),
        Piece::Timezones(Zones::All) => {
            claims.add(path(ZONEINFO), Kind::Tree, "`rootfs.timezones`", "set `rootfs.timezones: none` to ship your own zone files")
        }
        Piece::Timezones(Zones::Only(names)) => {
            for zone in names.iter().filter_map(|z| path(ZONEINFO).join(z).ok()) {
                claims.add(zone, Kind::File, "`rootfs.timezones`", "leave the zone out of `rootfs.timezones` to ship your own");
            }
        }
        Piece::Dirs(dirs) => {
            for d in dirs {
                claims.add(
                    d.path.clone(),
                    Kind::Dir { mode: d.mode, owner: d.owner },
                    "`rootfs.dirs`",
                    format!("copy into it rather than onto it (`to: {}/data/`), or remove it from `rootfs.dirs`", d.path),
                );
            }
        }
        Piece::Files(files) => {
            for f in files {
                claims.add(f.path.clone(), Kind::File, "`rootfs.files`", "remove it from `rootfs.files` or from `copy`");
            }
        }
    }
}

fn claim_homes(claims: &mut Claims, accounts: &Accounts) {
    for a in accounts.homes() {
        claims.add(
            a.home.path().clone(),
            Kind::Dir { mode: Mode::new(0o700), owner: Owner { uid: a.uid, gid: a.gid } },
            format!("the home of `{}`", a.name),
            format!(
                "copy into it rather than onto it (`to: {}/.config/`), or give `{}` another `home:`",
                a.home, a.name
            ),
        );
    }
}

impl Planner {
    pub(super) fn rootfs(&mut self, r: &spec::Rootfs, accounts: &Accounts, has_builder: bool) -> (Vec<Piece>, bool) {
        let mut pieces = vec![Piece::Accounts(accounts.clone())];
        let listed = |name: &str| {
            r.users
                .as_ref()
                .and_then(|l| l.value.iter().find(|u| u.name.as_ref().is_some_and(|n| n.value == name)))
                .map(|u| u.span)
        };
        let homes: Vec<Home> = accounts
            .homes()
            .into_iter()
            .map(|a| Home {
                path: a.home.path().clone(),
                owner: Owner { uid: a.uid, gid: a.gid },
                span: listed(a.name.as_str()),
            })
            .collect();
        if !homes.is_empty() {
            pieces.push(Piece::Homes(homes));
        }
        if r.tmp.as_ref().is_none_or(|t| t.value) {
            pieces.push(Piece::Tmp);
        }
        if r.nsswitch.as_ref().is_none_or(|t| t.value) {
            pieces.push(Piece::Nsswitch);
        }
        self.ca_certificates(r, has_builder, &mut pieces);
        self.data_files(r, has_builder, &mut pieces);
        let zones_off = self.timezones(r, has_builder, &mut pieces);
        self.dirs_and_files(r, accounts, &mut pieces);
        (pieces, zones_off)
    }

    /// The CA bundle: the builder's, another file, or none.
    pub(super) fn ca_certificates(&mut self, r: &spec::Rootfs, has_builder: bool, pieces: &mut Vec<Piece>) {
        match &r.ca_certificates {
            None | Some(Toggle::On(_)) => {
                if has_builder {
                    pieces.push(Piece::CaCertificates(Source::Builder(
                        AbsPath::parse(CA_BUNDLE).expect("constant path"),
                    )));
                } else if let Some(Toggle::On(span)) = &r.ca_certificates {
                    self.error(
                        SK240,
                        *span,
                        "there is no builder to take CA certificates from",
                        "write `ca-certificates: {from: context:path/to/ca.pem}`, or add a `builder`",
                    );
                }
            }
            Some(Toggle::Off(_)) => {}
            Some(Toggle::With(from)) => {
                match self.source(from, has_builder) {
                    // The bundle is one file: a directory (`/`, `certs/`) would be copied onto its path.
                    // The bundle's own directories (`/etc/ssl/certs`) are directories in every builder.
                    Some((source, is_dir))
                        if is_dir
                            || matches!(&source, Source::Builder(p) if CA_BUNDLE.starts_with(&format!("{}/", p.as_str().trim_end_matches('/'))))
                            || source == Source::Context(String::new()) =>
                    {
                        self.error(
                            SK241,
                            from.span,
                            "`ca-certificates.from` must name one file, the PEM bundle",
                            "e.g. `{from: context:certs/ca.pem}`",
                        );
                    }
                    Some((Source::Named { .. }, _)) => self.error(
                        SK242,
                        from.span,
                        "`ca-certificates.from` reads the builder or the main build context, not a named context",
                        "copy the bundle from the named context with `copy` instead, or use `context:<path>`",
                    ),
                    Some((source, _)) => pieces.push(Piece::CaCertificates(source)),
                    None => {}
                }
            }
        }
    }

    /// `/etc/services`, `/etc/protocols`, `/etc/mime.types`: taken when the builder has them, unless off.
    pub(super) fn data_files(&mut self, r: &spec::Rootfs, has_builder: bool, pieces: &mut Vec<Piece>) {
        for (file, toggle) in [
            (DataFile::Services, &r.services),
            (DataFile::Protocols, &r.protocols),
            (DataFile::MimeTypes, &r.mime_types),
        ] {
            match toggle {
                Some(t) if !t.value => {}
                _ if has_builder => pieces.push(Piece::DataFile { file, requested: toggle.as_ref().map(|t| t.span) }),
                None => {}
                Some(t) => self.error(
                    SK243,
                    t.span,
                    format!("there is no builder to take `{}` from", file.path()),
                    format!(
                        "add a `builder` that has it (Debian: `{}`), or set `rootfs.{}: false`",
                        file.package(),
                        file.key()
                    ),
                ),
            }
        }
    }

    /// The zone database, all of it or the listed zones; returns whether zones were turned off.
    pub(super) fn timezones(&mut self, r: &spec::Rootfs, has_builder: bool, pieces: &mut Vec<Piece>) -> bool {
        let mut zones_off = false;
        match &r.timezones {
            None => {
                if has_builder {
                    pieces.push(Piece::Timezones(Zones::All));
                }
            }
            Some(spec::Timezones::Word(w)) => match w.value.as_str() {
                "all" if has_builder => pieces.push(Piece::Timezones(Zones::All)),
                "all" => self.error(
                    SK244,
                    w.span,
                    "there is no builder to take time zones from",
                    "add a `builder`, or write `timezones: none`",
                ),
                "none" => zones_off = true,
                other => self.error(
                    SK245,
                    w.span,
                    format!("`timezones: {other}` is not a choice"),
                    "write `all`, `none`, or a list such as `[Europe/Amsterdam, UTC]`",
                ),
            },
            Some(spec::Timezones::List(span, zones)) => {
                let mut names = Vec::new();
                for z in zones {
                    let valid = !z.value.is_empty()
                        && !z.value.starts_with('/')
                        && z.value.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
                        && z.value.chars().all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c))
                        && AbsPath::parse(ZONEINFO).and_then(|d| d.join(&z.value)).is_ok();
                    if valid {
                        names.push(z.value.clone());
                    } else {
                        self.error(
                            SK246,
                            z.span,
                            format!("`{}` is not a time zone name", z.value),
                            "write names as in the tz database, e.g. `Europe/Amsterdam` or `UTC`",
                        );
                    }
                }
                names.sort();
                names.dedup();
                if !has_builder {
                    self.error(
                        SK247,
                        *span,
                        "there is no builder to take time zones from",
                        "add a `builder`, or write `timezones: none`",
                    );
                } else if names.is_empty() {
                    zones_off = true;
                } else {
                    pieces.push(Piece::Timezones(Zones::Only(names)));
                }
            }
        }
        zones_off
    }
}
