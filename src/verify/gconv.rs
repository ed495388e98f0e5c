//! glibc's gconv modules, as `rootfs.gconv` chooses them: the builder's whole gconv directory, or its
//! configuration (`gconv-modules`, `gconv-modules.cache`, `gconv-modules.d/`) and the modules of the
//! charsets listed. A charset is resolved through the configuration as glibc reads it (`alias` lines,
//! then the `module` lines converting from or to it), never by guessing a file name.

use crate::rules::codes::*;
use std::collections::BTreeMap;

use futures_util::future::join_all;

use super::libraries::Root;
use super::{dlopen, elf, trees, Diagnostic, Diagnostics, Filesystem};
use crate::diag::Span;
use crate::plan::{Gconv, Named};

/// A configuration file larger than this is an error, not read in part: Debian's largest is 60 KB.
const MAX_CONFIG: u64 = 1 << 20;

/// Charsets glibc converts without a module (`iconv/gconv_builtin.h`), upper case, without `//`.
const BUILTIN: [&str; 23] = [
    "INTERNAL",
    "UTF-8",
    "UTF8",
    "ISO-10646/UTF8",
    "ISO-10646/UTF-8",
    "ISO-10646/UCS4",
    "UCS-4",
    "UCS-4BE",
    "UCS-4LE",
    "ISO-10646/UCS2",
    "UCS-2",
    "UCS-2BE",
    "UCS-2LE",
    "ANSI_X3.4-1968",
    "ASCII",
    "US-ASCII",
    "UTF-16",
    "UTF-16BE",
    "UTF-16LE",
    "UTF-32",
    "UTF-32BE",
    "UTF-32LE",
    "WCHAR_T",
];

/// What the image takes of the gconv directory.
#[derive(Debug, Default)]
pub struct Brought {
    /// Builder paths brought to the same place (the directory, or its configuration and chosen modules).
    pub paths: Vec<String>,
    /// The modules brought, for their own libraries (`libJIS.so`, …).
    pub roots: Vec<Root>,
}

/// glibc's spelling of a charset name: upper case, without the trailing `/`s.
fn normal(name: &str) -> String {
    name.trim_end_matches('/').to_ascii_uppercase()
}

/// The `alias` and `module` lines of the configuration files.
#[derive(Debug, Default)]
pub struct Config {
    aliases: BTreeMap<String, String>,
    /// (from, to, module file as written).
    modules: Vec<(String, String, String)>,
}

impl Config {
    pub fn read(&mut self, text: &str) {
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or_default();
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["alias", alias, target, ..] => {
                    self.aliases.entry(normal(alias)).or_insert_with(|| normal(target));
                }
                ["module", from, to, file, ..] => self.modules.push((normal(from), normal(to), (*file).to_string())),
                _ => {}
            }
        }
    }

    /// The module files (paths in `dir`) that convert from or to `charset`; `None` if the configuration
    /// does not know it; empty for a charset glibc has built in.
    pub fn files(&self, dir: &str, charset: &str) -> Option<Vec<String>> {
        let name = normal(charset);
        let name = self.aliases.get(&name).cloned().unwrap_or(name);
        if BUILTIN.contains(&name.as_str()) {
            return Some(Vec::new());
        }
        let mut files: Vec<String> = self
            .modules
            .iter()
            .filter(|(from, to, _)| *from == name || *to == name)
            .map(|(_, _, file)| {
                let file = if file.ends_with(".so") { file.clone() } else { format!("{file}.so") };
                if file.starts_with('/') {
                    crate::plan::fold_clamped(&file)
                } else {
                    crate::plan::fold_clamped(&format!("{dir}/{file}"))
                }
            })
            .collect();
        files.sort();
        files.dedup();
        (!files.is_empty()).then_some(files)
    }
}

/// Where a finding about the gconv modules points: the `rootfs.gconv` key, or the first file calling
/// `iconv_open`.
pub struct Asked<'a> {
    pub gconv: &'a Gconv,
    pub span: Span,
    /// The first file seen calling `iconv_open`, if any.
    pub user: Option<&'a str>,
    pub machine: u16,
}

/// What `rootfs.gconv` brings.
pub async fn bring<F: Filesystem>(fs: &F, asked: Asked<'_>, ds: &mut Diagnostics) -> Brought {
    let explicit = !matches!(asked.gconv, Gconv::Auto);
    if matches!(asked.gconv, Gconv::None) || (!explicit && asked.user.is_none()) {
        return Brought::default();
    }
    let dir = match dlopen::gconv_dir(fs, asked.machine).await {
        Ok(dir) => dir,
        Err(searched) if explicit => {
            ds.push(
                Diagnostic::error(SK345, asked.span, format!("the builder has no glibc gconv modules (looked in {})", searched.join(", ")))
                    .hint("install glibc's gconv modules in the builder (Debian and Ubuntu have them in `libc6`), or remove `gconv`"),
            );
            return Brought::default();
        }
        Err(searched) => {
            let user = asked.user.unwrap_or_default();
            ds.push(
                Diagnostic::warning(
                    SK305,
                    asked.span,
                    format!(
                        "`{user}` calls iconv_open, but the builder has no glibc gconv modules (looked in {}): only UTF-8 and ASCII will convert",
                        searched.join(", ")
                    ),
                )
                .hint("install glibc's gconv modules in the builder (Fedora: `glibc-gconv-extra`; Debian and Ubuntu have them in `libc6`)"),
            );
            return Brought::default();
        }
    };
    match asked.gconv {
        Gconv::Only(charsets) => chosen(fs, &dir, charsets, asked.machine, ds).await,
        _ => whole(fs, &dir, asked.span, asked.machine, ds).await,
    }
}

/// The whole directory, its modules read for their libraries.
async fn whole<F: Filesystem>(fs: &F, dir: &str, span: Span, machine: u16, ds: &mut Diagnostics) -> Brought {
    match trees::walk(fs, dir, dir).await {
        Ok(walked) => {
            for (file, e) in &walked.unreadable {
                ds.push(
                    Diagnostic::error(SK303, span, format!("cannot read `{file}` as ELF: {e}"))
                        .hint("the gconv module may be corrupt"),
                );
            }
            let roots = walked
                .elf
                .into_iter()
                .filter(|(_, info)| info.machine == machine)
                .map(|(f, info)| Root::at(&f.builder, info))
                .collect();
            Brought { paths: vec![dir.to_string()], roots }
        }
        Err(e) => {
            ds.push(
                Diagnostic::error(SK304, span, format!("cannot look into glibc's gconv modules: {e}"))
                    .hint("`iconv_open` needs them"),
            );
            Brought::default()
        }
    }
}

/// The configuration files: `gconv-modules` and `gconv-modules.d/*.conf`, read whole.
async fn config<F: Filesystem>(fs: &F, dir: &str) -> Result<(Config, Vec<String>), String> {
    let mut files = vec![format!("{dir}/gconv-modules")];
    let conf_d = format!("{dir}/gconv-modules.d");
    let mut names = fs.read_dir(&conf_d).await.unwrap_or_default();
    names.retain(|n| n.ends_with(".conf"));
    names.sort();
    files.extend(names.iter().map(|n| format!("{conf_d}/{n}")));
    let stats = join_all(files.iter().map(|f| fs.stat(f))).await;
    let mut config = Config::default();
    for (file, stat) in files.iter().zip(stats) {
        let stat = stat.map_err(|e| format!("cannot read `{file}`: {e}"))?;
        if stat.size > MAX_CONFIG {
            return Err(format!("`{file}` is {} bytes, more than the {MAX_CONFIG} read", stat.size));
        }
        let bytes = fs.read_at(file, 0, stat.size).await.map_err(|e| format!("cannot read `{file}`: {e}"))?;
        config.read(&String::from_utf8_lossy(&bytes));
    }
    let mut paths = vec![files[0].clone()];
    let cache = format!("{dir}/gconv-modules.cache");
    if fs.stat(&cache).await.is_ok() {
        paths.push(cache);
    }
    if !names.is_empty() {
        paths.push(conf_d);
    }
    Ok((config, paths))
}

/// The configuration and the modules of `charsets`; an unknown charset is an error at its entry.
async fn chosen<F: Filesystem>(fs: &F, dir: &str, charsets: &[Named], machine: u16, ds: &mut Diagnostics) -> Brought {
    let (config, mut paths) = match config(fs, dir).await {
        Ok(found) => found,
        Err(e) => {
            ds.push(
                Diagnostic::error(SK346, charsets[0].span, format!("cannot read glibc's gconv configuration: {e}"))
                    .hint("check glibc's gconv directory in the builder"),
            );
            return Brought::default();
        }
    };
    let mut modules: Vec<(String, Span)> = Vec::new();
    for charset in charsets {
        match config.files(dir, &charset.name) {
            Some(files) => modules.extend(files.into_iter().map(|f| (f, charset.span))),
            None => ds.push(
                Diagnostic::error(
                    SK347,
                    charset.span,
                    format!(
                        "the builder's gconv configuration (`{dir}/gconv-modules`) has no charset `{}`",
                        charset.name
                    ),
                )
                .hint("write a name `iconv --list` shows in the builder, e.g. `CP1252` or `ISO-8859-15`"),
            ),
        }
    }
    modules.sort();
    modules.dedup_by(|a, b| a.0 == b.0);
    let infos = join_all(modules.iter().map(|(file, _)| elf::inspect(fs, file))).await;
    let mut roots = Vec::new();
    for ((file, span), info) in modules.into_iter().zip(infos) {
        match info {
            Ok(Some(info)) if info.machine == machine => {
                roots.push(Root::at(&file, info));
                paths.push(file);
            }
            Ok(_) => ds.push(
                Diagnostic::error(
                    SK348,
                    span,
                    format!("the gconv module `{file}` is not a shared library for this machine"),
                )
                .hint("check glibc's gconv directory in the builder"),
            ),
            Err(e) => ds.push(
                Diagnostic::error(SK349, span, format!("cannot read the gconv module `{file}`: {e}"))
                    .hint("the gconv configuration names a module the builder lacks or that is corrupt"),
            ),
        }
    }
    Brought { paths, roots }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONF: &str = "# comment\nalias\tWINDOWS-1252//\t\tCP1252//\nmodule\tCP1252//\tINTERNAL\tCP1252\t1\nmodule\tINTERNAL\tCP1252//\tCP1252\t1\n\
        alias EUCJP// EUC-JP//\nmodule EUC-JP// INTERNAL EUC-JP 1\nmodule INTERNAL EUC-JP// EUC-JP 1\nmodule X// INTERNAL /opt/x.so 1\n";

    #[test]
    fn charsets_resolve_through_aliases_and_modules() {
        let mut c = Config::default();
        c.read(CONF);
        let dir = "/usr/lib/x86_64-linux-gnu/gconv";
        assert_eq!(c.files(dir, "cp1252"), Some(vec![format!("{dir}/CP1252.so")]));
        assert_eq!(c.files(dir, "windows-1252"), Some(vec![format!("{dir}/CP1252.so")]));
        assert_eq!(c.files(dir, "EUCJP//"), Some(vec![format!("{dir}/EUC-JP.so")]));
        assert_eq!(c.files(dir, "x"), Some(vec!["/opt/x.so".to_string()]));
        assert_eq!(c.files(dir, "UTF-8"), Some(vec![]));
        assert_eq!(c.files(dir, "KLINGON"), None);
    }
}
