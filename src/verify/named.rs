//! `rootfs.dlopen`: libraries and plugins programs open by name (NSS modules, a Python extension loaded
//! with `dlopen`), which no `DT_NEEDED` entry shows. A soname is searched in the builder's system
//! directories as the loader searches a `DT_NEEDED` name; an absolute path is taken as it is (a directory
//! whole). Each is brought to the same path in the image, and its ELF files get their closure.

use crate::rules::codes::*;
use futures_util::future::join_all;

use super::libraries::{self, Root};
use super::{elf, trees, Diagnostic, Diagnostics, Filesystem};
use crate::plan::Named;

/// What the names bring: builder paths for the same place in the image, and the ELF files among them.
#[derive(Debug, Default)]
pub struct Brought {
    pub paths: Vec<String>,
    pub roots: Vec<Root>,
}

/// Whether ELF files of this machine are 64-bit (the loader's default directories differ).
fn is_64(machine: u16) -> bool {
    use goblin::elf::header::{EM_386, EM_ARM};
    !matches!(machine, EM_386 | EM_ARM)
}

/// Resolves every name; those the builder does not have are errors at their entries. `loader` is the
/// interpreter of the image's programs (glibc's when it has none).
pub async fn bring<F: Filesystem>(
    fs: &F,
    names: &[Named],
    loader: &str,
    machine: u16,
    ds: &mut Diagnostics,
) -> Brought {
    let found = join_all(names.iter().map(|n| one(fs, &n.name, loader, machine))).await;
    let mut out = Brought::default();
    for (named, found) in names.iter().zip(found) {
        match found {
            Ok(mut brought) => {
                out.paths.append(&mut brought.paths);
                out.roots.append(&mut brought.roots);
            }
            Err((message, hint)) => ds.push(Diagnostic::error(SK350, named.span, message).hint(hint)),
        }
    }
    out
}

type Problem = (String, String);

async fn one<F: Filesystem>(fs: &F, name: &str, loader: &str, machine: u16) -> Result<Brought, Problem> {
    if !name.starts_with('/') {
        return match libraries::find_by_name(fs, name, loader, machine, is_64(machine)).await {
            Ok((Some((path, info)), _)) => {
                Ok(Brought { paths: vec![path.clone()], roots: vec![Root::at(&path, info)] })
            }
            Ok((None, searched)) => Err((
                format!(
                    "`rootfs.dlopen` names `{name}`, which is not in the builder (searched {})",
                    searched.join(", ")
                ),
                "install the package that provides it in the builder image, or write its absolute path".to_string(),
            )),
            Err(e) => Err((
                format!("`rootfs.dlopen` names `{name}`, which cannot be read as ELF: {e}"),
                "the library may be corrupt".to_string(),
            )),
        };
    }
    let stat = fs.stat(name).await.map_err(|_| {
        (
            format!("`rootfs.dlopen` names `{name}`, which does not exist in the builder after `run`"),
            "check the path, or install what provides it".to_string(),
        )
    })?;
    if stat.is_dir {
        let walked = trees::walk(fs, name, name).await.map_err(|e| {
            (
                format!("cannot look into `{name}`: {e}"),
                "the libraries its files need cannot be found without it".to_string(),
            )
        })?;
        if let Some((file, e)) = walked.unreadable.first() {
            return Err((
                format!("cannot read `{file}` in `{name}` as ELF: {e}"),
                "check that it is intact; else leave it out".to_string(),
            ));
        }
        let roots = walked
            .elf
            .into_iter()
            .filter(|(_, i)| i.machine == machine)
            .map(|(f, i)| Root::at(&f.builder, i))
            .collect();
        return Ok(Brought { paths: vec![name.to_string()], roots });
    }
    match elf::inspect(fs, name).await {
        Ok(Some(info)) if info.machine != machine => Err((
            format!("`rootfs.dlopen` names `{name}`, which is built for {}", info.machine_name()),
            "name the file for the image's platform".to_string(),
        )),
        Ok(Some(info)) => Ok(Brought { paths: vec![name.to_string()], roots: vec![Root::at(name, info)] }),
        Ok(None) => Ok(Brought { paths: vec![name.to_string()], roots: Vec::new() }),
        Err(e) => Err((format!("cannot read `{name}` as ELF: {e}"), "the file may be corrupt".to_string())),
    }
}
