//! What the image takes from the builder by the spec's word, besides its copies: glibc's gconv modules
//! (`rootfs.gconv`, [`super::gconv`]), what programs open by name (`rootfs.dlopen`, [`super::named`]) and
//! whole Debian packages (`rootfs.packages`, [`super::debs`]).

use super::libraries::Root;
use super::{debs, gconv, named, Diagnostics, Filesystem};
use crate::diag::Span;
use crate::plan::{Gconv, Libraries, Plan};

/// Builder paths for the same place in the image, and the ELF files among them for the closure.
#[derive(Debug, Default)]
pub struct Brought {
    pub paths: Vec<String>,
    /// Directories among `paths` brought whole: what the closure finds in them is already there.
    pub trees: Vec<String>,
    pub roots: Vec<Root>,
}

/// Brings all three; `user` is the first file calling `iconv_open` and where the spec ships it.
pub async fn bring<F: Filesystem>(
    fs: &F,
    plan: &Plan,
    machine: u16,
    roots: &[Root],
    user: Option<(&str, Span)>,
    ds: &mut Diagnostics,
) -> Brought {
    let Some(builder) = &plan.builder else {
        return Brought::default();
    };
    let extras = &plan.extras;
    let span = match &extras.gconv {
        Gconv::All(span) => *span,
        Gconv::Only(list) => list[0].span,
        _ => user.map_or(builder.image_span, |(_, s)| s),
    };
    let asked = gconv::Asked { gconv: &extras.gconv, span, user: user.map(|(u, _)| u), machine };
    let g = gconv::bring(fs, asked, ds).await;
    let whole_gconv = !matches!(extras.gconv, Gconv::Only(_));
    let mut out =
        Brought { trees: if whole_gconv { g.paths.clone() } else { Vec::new() }, paths: g.paths, roots: g.roots };
    if !extras.dlopen.is_empty() {
        // The loader of the image's glibc (or musl) programs opens them; glibc's when none is known.
        let loader = roots
            .iter()
            .find(|r| r.info.machine == machine)
            .and_then(|r| r.info.interpreter.clone())
            .unwrap_or_default();
        let mut n = named::bring(fs, &extras.dlopen, &loader, machine, ds).await;
        for path in &n.paths {
            if fs.stat(path).await.is_ok_and(|s| s.is_dir) {
                out.trees.push(path.clone());
            }
        }
        out.paths.append(&mut n.paths);
        out.roots.append(&mut n.roots);
    }
    if !extras.packages.is_empty() {
        let mut d = debs::bring(fs, &extras.packages, &builder.image, machine, ds).await;
        out.paths.append(&mut d.paths);
        // `rootfs.libraries: none` copies no libraries, for these files either.
        if plan.libraries == Libraries::Auto {
            out.roots.append(&mut d.roots);
        }
    }
    out
}
