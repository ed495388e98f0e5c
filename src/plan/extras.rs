//! What the image takes from the builder besides its copies and their library closure, by the spec's
//! word: glibc's gconv modules (`rootfs.gconv`), libraries and plugins programs open by name
//! (`rootfs.dlopen`) and whole Debian packages (`rootfs.packages`). The names are checked for their
//! form here; whether the builder has them is known only once it has run (`verify`).

use super::{AbsPath, Libraries};
use crate::diag::{Diagnostic, Span};
use crate::rules::codes::*;
use crate::spec::{self, Spanned, Str};

/// A name the spec wrote, with where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    pub name: String,
    pub span: Span,
}

/// `rootfs.gconv`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Gconv {
    /// Not written: every module, when a file the image ships calls `iconv_open`.
    #[default]
    Auto,
    /// `all`: every module, whether or not a program is seen to call `iconv_open`.
    All(Span),
    None,
    /// These charsets (as written; glibc matches them without case), with the configuration.
    Only(Vec<Named>),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extras {
    pub gconv: Gconv,
    /// Sonames (searched like `DT_NEEDED` names) and absolute builder paths.
    pub dlopen: Vec<Named>,
    /// Debian package names, with `:arch` when written.
    pub packages: Vec<Named>,
}

impl Extras {
    /// The span of a `rootfs.dlopen` or `rootfs.packages` entry naming `name`.
    pub fn span_of(&self, name: &str) -> Option<Span> {
        self.dlopen.iter().chain(&self.packages).find(|n| n.name == name).map(|n| n.span)
    }
}

/// Reads the three keys; the problems are returned.
pub fn extras(r: &spec::Rootfs, has_builder: bool, libraries: Libraries) -> (Extras, Vec<Diagnostic>) {
    let mut ds = Vec::new();
    let gconv = gconv(r.gconv.as_ref(), &mut ds);
    let dlopen = names(r.dlopen.as_ref(), &mut ds, dlopen_name, "a soname (`libfoo.so.1`) or an absolute path");
    let packages =
        names(r.packages.as_ref(), &mut ds, package_name, "a Debian package name, e.g. `libpq5` or `libpq5:amd64`");
    let no_builder = |span: Span, key: &str| {
        Diagnostic::error(SK288, span, format!("there is no builder to take `rootfs.{key}` from"))
            .hint(format!("add a `builder`, or remove `{key}`"))
    };
    if !has_builder {
        match &gconv {
            Gconv::All(span) => ds.push(no_builder(*span, "gconv")),
            Gconv::Only(list) if !list.is_empty() => ds.push(no_builder(list[0].span, "gconv")),
            _ => {}
        }
        if let Some(list) = r.dlopen.as_ref().filter(|l| !l.value.is_empty()) {
            ds.push(no_builder(list.span, "dlopen"));
        }
        if let Some(list) = r.packages.as_ref().filter(|l| !l.value.is_empty()) {
            ds.push(no_builder(list.span, "packages"));
        }
    }
    if let (Libraries::None, Some(list)) = (libraries, r.dlopen.as_ref().filter(|l| !l.value.is_empty())) {
        ds.push(
            Diagnostic::error(
                SK289,
                list.span,
                "`rootfs.dlopen` brings libraries with their closure, but `rootfs.libraries` is `none`",
            )
            .hint("set `rootfs.libraries: auto`, or remove `dlopen`"),
        );
    }
    (Extras { gconv, dlopen, packages }, ds)
}

fn gconv(written: Option<&spec::Timezones>, ds: &mut Vec<Diagnostic>) -> Gconv {
    match written {
        None => Gconv::Auto,
        Some(spec::Timezones::Word(w)) => match w.value.as_str() {
            "all" => Gconv::All(w.span),
            "none" => Gconv::None,
            other => {
                ds.push(
                    Diagnostic::error(SK290, w.span, format!("`gconv: {other}` is not a choice"))
                        .hint("write `all`, `none`, or a list of charsets such as `[CP1252, ISO-8859-15]`"),
                );
                Gconv::Auto
            }
        },
        Some(spec::Timezones::List(span, list)) => {
            let wrapped = Spanned::new(list.clone(), *span);
            let named =
                names(Some(&wrapped), ds, charset_name, "a charset as iconv names it, e.g. `CP1252` or `ISO-8859-15`");
            if named.is_empty() {
                Gconv::None
            } else {
                Gconv::Only(named)
            }
        }
    }
}

/// The valid names of a list, each once; an error for each other.
fn names(
    list: Option<&Spanned<Vec<Str>>>,
    ds: &mut Vec<Diagnostic>,
    valid: fn(&str) -> bool,
    what: &str,
) -> Vec<Named> {
    let mut out: Vec<Named> = Vec::new();
    for item in list.map(|l| l.value.as_slice()).unwrap_or_default() {
        if !valid(&item.value) {
            ds.push(
                Diagnostic::error(SK291, item.span, format!("`{}` is not {what}", item.value))
                    .hint(format!("write {what}")),
            );
        } else if !out.iter().any(|n| n.name == item.value) {
            out.push(Named { name: item.value.clone(), span: item.span });
        }
    }
    out
}

/// gconv's names: letters, digits and `-_.:+()/`, as in `gconv-modules` (`ISO_8859-1:1987`, `ISO-10646/UCS2/`).
fn charset_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:+()/".contains(c))
}

/// A soname (no `/`), or an absolute path that stays below `/`.
fn dlopen_name(name: &str) -> bool {
    if name.starts_with('/') {
        return AbsPath::parse(name).is_ok_and(|p| p.as_str() != "/");
    }
    (1..=255).contains(&name.len())
        && name != "."
        && name != ".."
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.+".contains(c))
}

/// Debian Policy 5.6.1: lower case letters, digits, `+`, `-`, `.`, at least two characters, starting
/// alphanumeric; then, optionally, `:arch`.
fn package_name(name: &str) -> bool {
    let (package, arch) = match name.split_once(':') {
        Some((p, a)) => (p, Some(a)),
        None => (name, None),
    };
    let package_ok = (2..=128).contains(&package.len())
        && package.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && package.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c));
    let arch_ok = arch.is_none_or(|a| {
        (1..=32).contains(&a.len()) && a.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    });
    package_ok && arch_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "builder: {image: debian:bookworm-slim, run: make}\ncopy: [/out/app]\nrootfs:\n";

    /// The extras of `SPEC` plus `rootfs` lines, or the messages of its errors.
    fn planned(rootfs: &str) -> Result<Extras, Vec<String>> {
        let spec = crate::spec::load(&format!("{SPEC}{rootfs}")).expect("the spec loads");
        match crate::plan::plan(&spec, &crate::plan::PlanInputs::default()) {
            Ok((plan, _)) => Ok(plan.extras),
            Err(ds) => Err(ds.errors().map(|d| d.message.clone()).collect()),
        }
    }

    #[test]
    fn gconv_words_and_lists_mean_what_the_docs_say() {
        assert_eq!(planned("  tmp: true\n").unwrap().gconv, Gconv::Auto);
        assert!(matches!(planned("  gconv: true\n").unwrap().gconv, Gconv::All(_)));
        assert_eq!(planned("  gconv: none\n").unwrap().gconv, Gconv::None);
        assert_eq!(planned("  gconv: []\n").unwrap().gconv, Gconv::None);
        let Gconv::Only(list) = planned("  gconv: [CP1252, cp1252, CP1252]\n").unwrap().gconv else { panic!("a list") };
        assert_eq!(list.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(), ["CP1252", "cp1252"]);
        assert_eq!(planned("  gconv: some\n").unwrap_err(), ["`gconv: some` is not a choice"]);
    }

    #[test]
    fn dlopen_needs_the_library_closure() {
        let errors = planned("  libraries: none\n  dlopen: [libz.so.1]\n").unwrap_err();
        assert_eq!(errors, ["`rootfs.dlopen` brings libraries with their closure, but `rootfs.libraries` is `none`"]);
        assert_eq!(planned("  dlopen: [libz.so.1]\n  packages: [libpq5]\n").unwrap().packages[0].name, "libpq5");
    }

    #[test]
    fn names_are_checked_for_their_form() {
        assert!(charset_name("CP1252") && charset_name("ISO_8859-1:1987") && charset_name("ISO-10646/UCS2/"));
        assert!(!charset_name("") && !charset_name("CP 1252") && !charset_name("/etc") && !charset_name("a;b"));
        assert!(dlopen_name("libnss_dns.so.2") && dlopen_name("/usr/lib/x/plugin.so"));
        assert!(!dlopen_name("lib/x.so") && !dlopen_name("/") && !dlopen_name("..") && !dlopen_name("/a/../../b"));
        assert!(package_name("libpq5") && package_name("fonts-dejavu-core") && package_name("libstdc++6:amd64"));
        assert!(
            !package_name("LibPQ")
                && !package_name("a")
                && !package_name("x;rm")
                && !package_name("libpq5:")
                && !package_name("../x")
        );
    }
}
