//! What glibc loads for a program by name, without a `DT_NEEDED` entry, found from the functions the
//! program imports (the undefined symbols of its dynamic symbol table):
//! - `pthread_cancel` and `pthread_exit` unwind the thread with `libgcc_s.so.1`, which glibc opens then
//!   (without it the program aborts: `libgcc_s.so.1 must be installed for pthread_cancel to work`);
//! - `iconv_open` converts through the gconv modules of glibc's gconv directory (`gconv-modules`,
//!   `gconv-modules.d` and one `.so` per charset family); only UTF-8 and ASCII work without them.
//!
//! musl has neither (its cancellation and iconv are built in).

use futures_util::stream::{self, StreamExt};

use super::elf;
use super::libraries::Root;
use super::Filesystem;

/// The library glibc opens to unwind a thread.
pub const LIBGCC_S: &str = "libgcc_s.so.1";
const UNWINDS: [&str; 2] = ["pthread_cancel", "pthread_exit"];
const ICONV: &str = "iconv_open";

/// Files read at once while scanning symbol tables.
const CONCURRENT: usize = 32;

/// Whether glibc is the C library of this file: it needs glibc's libc (or, before glibc 2.34, its
/// libpthread) by name, and is not for musl's loader.
fn glibc(root: &Root) -> bool {
    let musl = root.info.interpreter.as_deref().is_some_and(|i| i.contains("ld-musl-"));
    !musl && root.info.needed.iter().any(|n| n == "libc.so.6" || n == "libpthread.so.0")
}

/// What the scan found.
#[derive(Debug, Default)]
pub struct Scan {
    /// The files that call `iconv_open`: image path and machine.
    pub iconv: Vec<(String, u16)>,
    /// Files whose symbols cannot be read: (image path, why).
    pub unreadable: Vec<(String, String)>,
}

/// Reads the imports of every glibc file among `roots`, and adds `libgcc_s.so.1` to those that unwind
/// threads.
pub async fn scan<F: Filesystem>(fs: &F, roots: &mut [Root]) -> Scan {
    let wanted: Vec<&str> = UNWINDS.iter().copied().chain([ICONV]).collect();
    let picked: Vec<usize> = (0..roots.len()).filter(|&i| glibc(&roots[i]) && !roots[i].context).collect();
    let found: Vec<_> =
        stream::iter(picked.iter().map(|&i| elf::imports(fs, &roots[i].builder, &roots[i].info, &wanted)))
            .buffered(CONCURRENT)
            .collect()
            .await;
    let mut scan = Scan::default();
    for (i, imports) in picked.into_iter().zip(found) {
        let root = &mut roots[i];
        match imports {
            Ok(names) => {
                if names.iter().any(|n| UNWINDS.contains(&n.as_str())) && !root.dlopened.iter().any(|d| d == LIBGCC_S) {
                    root.dlopened.push(LIBGCC_S.to_string());
                }
                if names.iter().any(|n| n == ICONV) {
                    scan.iconv.push((root.image.clone(), root.info.machine));
                }
            }
            Err(e) => scan.unreadable.push((root.image.clone(), e)),
        }
    }
    scan
}

/// Where glibc's gconv modules are: its compiled-in `GCONV_PATH`, `<libdir>/gconv`, which holds a
/// `gconv-modules` file. `Err` lists where it was looked for.
pub async fn gconv_dir<F: Filesystem>(fs: &F, machine: u16) -> Result<String, Vec<String>> {
    let mut dirs = Vec::new();
    if let Some(triplet) = crate::platform::debian_multiarch(machine) {
        dirs.push(format!("/usr/lib/{triplet}/gconv"));
        dirs.push(format!("/lib/{triplet}/gconv"));
    }
    dirs.extend(["/usr/lib64/gconv", "/usr/lib/gconv", "/lib64/gconv", "/lib/gconv"].map(String::from));
    let files: Vec<String> = dirs.iter().map(|d| format!("{d}/gconv-modules")).collect();
    let found = futures_util::future::join_all(files.iter().map(|f| fs.stat(f))).await;
    match dirs.iter().zip(found).find(|(_, stat)| stat.as_ref().is_ok_and(|s| !s.is_dir)) {
        Some((dir, _)) => Ok(dir.clone()),
        None => Err(dirs),
    }
}
