//! The shared libraries a dynamic ELF needs, found in the builder the way the dynamic loader would:
//! `DT_RPATH` (when there is no `DT_RUNPATH`), `DT_RUNPATH`, the builder's `/etc/ld.so.conf` (glibc) or
//! `/etc/ld-musl-<arch>.path` (musl), then the default directories; `$ORIGIN` expands to the object's
//! directory. The result is every file to copy: interpreters, the transitive closure of `DT_NEEDED`,
//! and glibc's `/etc/ld.so.cache`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use futures_util::future::{join3, join_all};

use super::elf::{inspect, ElfInfo};
use super::Filesystem;
use crate::plan::fold_clamped as fold;

/// A library that no search directory has.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Missing {
    pub library: String,
    /// The object that needs it, as the builder has it.
    pub needed_by: String,
    /// The same object where the image has it (`$ORIGIN` is this one's directory).
    pub needed_by_image: String,
    /// The image path of the file whose closure this is (a copied file, or one inside a copied tree).
    pub root: String,
    /// The directories searched, in the image.
    pub searched: Vec<String>,
    /// Found, but it cannot be read as ELF (this says why): the loader could not use it either.
    pub unreadable: Option<String>,
    /// The object finds libraries through `$ORIGIN` and the image has it in another directory than the
    /// builder does: the likely reason.
    pub origin_moved: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Closure {
    /// Builder paths to copy to the same place in the image, sorted.
    pub files: Vec<String>,
    pub missing: Vec<Missing>,
}

/// Where the image's files come from: each copy from the builder puts a builder path (a file, or a tree)
/// at an image path; any other path of the image is searched in the builder at the same place, and what
/// is found there is brought to it (the libraries layer).
#[derive(Clone, Debug, Default)]
pub struct Layout {
    /// (image path, builder path), longest image path first.
    copies: Vec<(String, String)>,
}

impl Layout {
    pub fn new(mut copies: Vec<(String, String)>) -> Layout {
        copies.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.cmp(b)));
        Layout { copies }
    }

    /// The builder path a copy puts at `image`, if one does.
    pub fn shipped(&self, image: &str) -> Option<String> {
        self.copies.iter().find_map(|(to, from)| {
            if image == to {
                return Some(from.clone());
            }
            let rest = image.strip_prefix(to.trim_end_matches('/')).filter(|rest| rest.starts_with('/'))?;
            Some(format!("{}{rest}", from.trim_end_matches('/')))
        })
    }
}

/// An ELF file the image ships, whose closure is wanted.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Root {
    pub image: String,
    pub builder: String,
    pub info: ElfInfo,
    /// Libraries the C library opens for it by name, without `DT_NEEDED` (`libgcc_s.so.1`).
    pub dlopened: Vec<String>,
    /// From the build context, not the builder: `builder` is then how messages name it
    /// (`context:hello`), and its imports were read already.
    pub context: bool,
}

impl Root {
    /// A file at the same path in the builder and the image.
    pub fn at(path: &str, info: ElfInfo) -> Root {
        Root { image: path.to_string(), builder: path.to_string(), info, dlopened: Vec::new(), context: false }
    }
}

/// musl resolves these names to itself (the interpreter is the C library).
fn musl_builtin(name: &str) -> bool {
    ["libc.", "libdl.", "libm.", "libpthread.", "librt.", "libutil.", "libxnet.", "ld-musl-"]
        .iter()
        .any(|p| name.starts_with(p))
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => ".",
    }
}

fn join(dir: &str, name: &str) -> String {
    fold(&format!("{}/{name}", dir.trim_end_matches('/')))
}

/// `$ORIGIN` in a search path is the directory of the object that carries it.
fn expand_origin(dirs: &[String], object: &str) -> Vec<String> {
    let origin = parent(object);
    dirs.iter().map(|d| fold(&d.replace("${ORIGIN}", origin).replace("$ORIGIN", origin))).collect()
}

/// Where one object looks for its libraries, in order. `exe_rpath` is the executable's `DT_RPATH`,
/// already expanded: glibc searches it for every object in the chain that has no `DT_RUNPATH`.
fn search_dirs(info: &ElfInfo, path: &str, exe_rpath: &[String], system: &[String]) -> Vec<String> {
    let mut dirs: Vec<String> = Vec::new();
    if info.runpath.is_empty() {
        dirs.extend(expand_origin(&info.rpath, path));
        dirs.extend(exe_rpath.iter().cloned());
    }
    dirs.extend(expand_origin(&info.runpath, path));
    dirs.extend(system.iter().cloned());
    let mut seen = BTreeSet::new();
    dirs.retain(|d| seen.insert(d.clone()));
    dirs
}

/// `/etc/ld.so.conf` with its `include` lines, as a list of directories. The files of one level of
/// includes are read together.
async fn ld_so_conf<F: Filesystem>(fs: &F) -> Vec<String> {
    let mut dirs = Vec::new();
    let mut level = vec!["/etc/ld.so.conf".to_string()];
    // Five levels at most: a file that includes itself is read five times, its directories kept once each.
    for _ in 0..5 {
        let texts = join_all(level.iter().map(|file| fs.read_at(file, 0, 1 << 16))).await;
        let mut next = Vec::new();
        for bytes in texts.into_iter().flatten() {
            for line in String::from_utf8_lossy(&bytes).lines() {
                let line = line.split('#').next().unwrap_or_default().trim();
                if let Some(pattern) = line.strip_prefix("include").map(str::trim).filter(|p| !p.is_empty()) {
                    next.extend(glob(fs, pattern).await);
                } else if !line.is_empty() && !line.starts_with("hwcap") {
                    dirs.extend(line.split([' ', '\t', ':', ',']).filter(|d| d.starts_with('/')).map(str::to_string));
                }
            }
        }
        if next.is_empty() {
            break;
        }
        level = next;
    }
    dirs
}

/// `dir/*.conf`-style patterns (a `*` in the last component only), sorted like ldconfig reads them.
async fn glob<F: Filesystem>(fs: &F, pattern: &str) -> Vec<String> {
    let (dir, name) = (parent(pattern), &pattern[parent(pattern).len()..].trim_start_matches('/'));
    let Some((prefix, suffix)) = name.split_once('*') else {
        return vec![pattern.to_string()];
    };
    let mut out: Vec<String> = match fs.read_dir(dir).await {
        Ok(entries) => entries
            .into_iter()
            .filter(|e| e.starts_with(prefix) && e.ends_with(suffix) && e.len() >= prefix.len() + suffix.len())
            .map(|e| join(dir, &e))
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

/// The system search path after RPATH/RUNPATH, for the C library the interpreter belongs to.
async fn system_dirs<F: Filesystem>(fs: &F, interpreter: &str, machine: u16, is_64: bool) -> Vec<String> {
    if let Some(arch) =
        interpreter.rsplit('/').next().and_then(|n| n.strip_prefix("ld-musl-")).and_then(|n| n.strip_suffix(".so.1"))
    {
        let path_file = format!("/etc/ld-musl-{arch}.path");
        if let Ok(bytes) = fs.read_at(&path_file, 0, 1 << 16).await {
            let dirs: Vec<String> = String::from_utf8_lossy(&bytes)
                .split(['\n', ':'])
                .map(str::trim)
                .filter(|d| d.starts_with('/'))
                .map(str::to_string)
                .collect();
            if !dirs.is_empty() {
                return dirs;
            }
        }
        return ["/lib", "/usr/local/lib", "/usr/lib"].map(String::from).to_vec();
    }
    let mut dirs = ld_so_conf(fs).await;
    if let Some(triplet) = crate::platform::debian_multiarch(machine) {
        dirs.push(format!("/lib/{triplet}"));
        dirs.push(format!("/usr/lib/{triplet}"));
    }
    if is_64 {
        dirs.extend(["/lib64".to_string(), "/usr/lib64".to_string()]);
    }
    dirs.extend(["/lib".to_string(), "/usr/lib".to_string()]);
    dirs
}

/// Where the loader `interpreter` finds `name` when a program opens it by name (`dlopen`) without a
/// search path of its own: in the system directories, the first for `machine`. `Ok(None)` when none has
/// it, with the directories searched.
pub async fn find_by_name<F: Filesystem>(
    fs: &F,
    name: &str,
    interpreter: &str,
    machine: u16,
    is_64: bool,
) -> Result<(Option<(String, ElfInfo)>, Vec<String>), String> {
    let dirs = system_dirs(fs, interpreter, machine, is_64).await;
    let found = find(fs, &Layout::default(), name, &dirs, machine).await?;
    Ok((found.and_then(|(at, info)| info.map(|i| (at.builder, i))), dirs))
}

/// Resolves everything the given dynamic executables need, each at the same path in the builder and
/// the image. The libraries one object needs are looked up together.
pub async fn closure<F: Filesystem>(fs: &F, roots: &[(String, ElfInfo)]) -> Result<Closure, String> {
    let roots: Vec<Root> = roots.iter().map(|(path, info)| Root::at(path, info.clone())).collect();
    Ok(closure_in(fs, &roots, &Layout::default()).await)
}

/// The interpreter a file without `PT_INTERP` (a shared library in a copied tree) is loaded by: that of
/// a program of the same machine, else glibc's, or musl's when it needs musl's libc (`libc.so`).
fn loader_of(info: &ElfInfo, roots: &[Root]) -> Option<String> {
    if let Some(interp) = &info.interpreter {
        return Some(interp.clone());
    }
    if info.needed.is_empty() {
        return None;
    }
    let musl = info.needed.iter().any(|n| n == "libc.so" || n.starts_with("libc.musl-"));
    let same = roots.iter().filter(|r| r.info.machine == info.machine).filter_map(|r| r.info.interpreter.clone());
    let mut same = same.filter(|i| i.contains("ld-musl-") == musl);
    // The loader's own path only tells the C library apart: a name that is not a real file is fine.
    Some(same.next().unwrap_or_else(|| {
        if musl {
            format!("/lib/ld-musl-{}.so.1", musl_arch(info.machine))
        } else {
            String::new()
        }
    }))
}

/// The `<arch>` of `/etc/ld-musl-<arch>.path`.
fn musl_arch(machine: u16) -> &'static str {
    match machine {
        183 => "aarch64",
        40 => "armhf",
        3 => "i386",
        243 => "riscv64",
        21 => "powerpc64le",
        22 => "s390x",
        _ => "x86_64",
    }
}

/// One object of a closure: where the image and the builder have it.
struct Object {
    image: String,
    builder: String,
    info: ElfInfo,
}

/// Resolves everything the given files need, in the image: `$ORIGIN` is each object's directory in the
/// image, and a search directory the spec's copies fill is looked up in what they copy. What is found
/// elsewhere in the builder is returned to be copied to the same path.
pub async fn closure_in<F: Filesystem>(fs: &F, roots: &[Root], layout: &Layout) -> Closure {
    // glibc satisfies a `DT_NEEDED` name with a library already loaded under that soname: the JDK's
    // `lib/*.so` need `libjvm.so`, which no search path finds (it is in `lib/server`) and the launcher loads
    // first by its path.
    let loaded: BTreeMap<String, String> = roots
        .iter()
        .filter_map(|r| r.info.soname.as_ref().map(|so| (format!("{}:{so}", r.info.machine), r.image.clone())))
        .collect();
    let mut search = Search {
        fs,
        layout,
        files: BTreeSet::new(),
        missing: Vec::new(),
        system_cache: BTreeMap::new(),
        found: BTreeMap::new(),
        visited: BTreeSet::new(),
        loaded,
        has_cache: None,
    };
    for root in roots {
        let Some(loader) = loader_of(&root.info, roots) else {
            continue;
        };
        let system = search.interpreter_and_system(root, &loader).await;
        search.walk(root, &loader, &system).await;
    }
    Closure { files: search.files.into_iter().collect(), missing: search.missing }
}

/// What one lookup of a library name gives: where it is and, the first time, its ELF facts.
type Lookup = Result<Option<(Located, Option<ElfInfo>)>, String>;

/// A closure search over all the roots: what was found, copied and missed so far.
struct Search<'a, F> {
    fs: &'a F,
    layout: &'a Layout,
    files: BTreeSet<String>,
    missing: Vec<Missing>,
    /// The default directories of each loader.
    system_cache: BTreeMap<String, Vec<String>>,
    /// `machine:name` → where the image has it; a library found once is not searched for again (the
    /// loader, too, takes a library already loaded by its name).
    found: BTreeMap<String, Located>,
    visited: BTreeSet<String>,
    /// The libraries the image ships among the roots, by `machine:soname`.
    loaded: BTreeMap<String, String>,
    /// Whether the builder has glibc's cache, asked with the first glibc program's other lookups.
    has_cache: Option<bool>,
}

impl<F: Filesystem> Search<'_, F> {
    /// The root's interpreter (brought, or missing) and glibc's cache, looked up together with the loader's
    /// default directories, which are returned.
    async fn interpreter_and_system(&mut self, root: &Root, loader: &str) -> Vec<String> {
        let info = &root.info;
        let musl = loader.contains("ld-musl-");
        let (fs, layout) = (self.fs, self.layout);
        let system = async {
            match self.system_cache.get(loader) {
                Some(dirs) => dirs.clone(),
                None => system_dirs(fs, loader, info.machine, info.is_64).await,
            }
        };
        let interp_at = async {
            match &info.interpreter {
                Some(interp) => locate(fs, layout, interp).await,
                None => None,
            }
        };
        let wants_cache = self.has_cache.is_none() && !musl && info.interpreter.is_some();
        let cache = async { wants_cache.then_some(fs.stat("/etc/ld.so.cache").await.is_ok()) };
        let (interp_at, system, cache) = join3(interp_at, system, cache).await;
        self.has_cache = self.has_cache.or(cache);
        self.system_cache.insert(loader.to_string(), system.clone());
        if let Some(interp) = &info.interpreter {
            match interp_at {
                Some(at) if !at.shipped => {
                    self.files.insert(at.builder);
                }
                Some(_) => {}
                None => self.missing.push(Missing {
                    library: interp.clone(),
                    needed_by: root.builder.clone(),
                    needed_by_image: root.image.clone(),
                    root: root.image.clone(),
                    searched: vec![],
                    unreadable: None,
                    origin_moved: false,
                }),
            }
            if !musl && self.has_cache == Some(true) {
                self.files.insert("/etc/ld.so.cache".to_string());
            }
        }
        system
    }

    /// The root's libraries and theirs, breadth first, each object once.
    async fn walk(&mut self, root: &Root, loader: &str, system: &[String]) {
        let info = &root.info;
        let musl = loader.contains("ld-musl-");
        let interp_name = loader.rsplit('/').next().unwrap_or_default().to_string();
        let exe_rpath = if info.runpath.is_empty() && info.interpreter.is_some() {
            expand_origin(&info.rpath, &root.image)
        } else {
            Vec::new()
        };
        let first = Object { image: root.image.clone(), builder: root.builder.clone(), info: info.clone() };
        let mut queue: VecDeque<(Object, Vec<String>)> = VecDeque::from([(first, root.dlopened.clone())]);
        self.visited.insert(root.image.clone());
        while let Some((obj, dlopened)) = queue.pop_front() {
            let dirs = search_dirs(&obj.info, &obj.image, &exe_rpath, system);
            // libc lists the loader by its soname; it is already loaded (as the interpreter).
            let needed: Vec<&String> = obj
                .info
                .needed
                .iter()
                .chain(&dlopened)
                .filter(|name| !(musl && musl_builtin(name)) && name.as_str() != interp_name)
                .collect();
            let results = self.look_up(&needed, &dirs, info.machine).await;
            for (name, resolved) in needed.into_iter().zip(results) {
                queue.extend(self.record(root, &obj, name, resolved, &dirs));
            }
        }
    }

    /// Each name in `dirs` (all at once), or where it was found before.
    async fn look_up(&self, needed: &[&String], dirs: &[String], machine: u16) -> Vec<Lookup> {
        let lookups = needed.iter().map(|name| {
            let known = self.found.get(&format!("{machine}:{name}")).cloned();
            async move {
                match known {
                    Some(at) => Ok(Some((at, None))),
                    None => find(self.fs, self.layout, name, dirs, machine).await,
                }
            }
        });
        join_all(lookups).await
    }

    /// Notes where `name`, needed by `obj`, was found (to bring it from the builder) or that it is missing;
    /// returns the library to walk next when it is found for the first time.
    fn record(
        &mut self,
        root: &Root,
        obj: &Object,
        name: &str,
        resolved: Lookup,
        dirs: &[String],
    ) -> Option<(Object, Vec<String>)> {
        let key = format!("{}:{name}", root.info.machine);
        let lost = |unreadable: Option<String>, searched: Vec<String>| Missing {
            library: name.to_string(),
            needed_by: obj.builder.clone(),
            needed_by_image: obj.image.clone(),
            root: root.image.clone(),
            origin_moved: unreadable.is_none()
                && uses_origin(&obj.info)
                && obj.builder.starts_with('/')
                && parent(&obj.image) != parent(&obj.builder),
            searched,
            unreadable,
        };
        match resolved {
            Err(e) => self.missing.push(lost(Some(e), Vec::new())),
            Ok(None) if self.loaded.contains_key(&key) => {}
            Ok(None) => self.missing.push(lost(None, dirs.to_vec())),
            Ok(Some((at, lib_info))) => {
                self.found.insert(key, at.clone());
                if !at.shipped {
                    self.files.insert(at.builder.clone());
                }
                if self.visited.insert(at.image.clone()) {
                    if let Some(li) = lib_info {
                        return Some((Object { image: at.image, builder: at.builder, info: li }, Vec::new()));
                    }
                }
            }
        }
        None
    }
}

fn uses_origin(info: &ElfInfo) -> bool {
    info.rpath.iter().chain(&info.runpath).any(|d| d.contains("$ORIGIN") || d.contains("${ORIGIN}"))
}

/// Where the image has a file, and where it comes from.
#[derive(Clone, Debug)]
struct Located {
    image: String,
    builder: String,
    /// A copy of the spec puts it there (else it is brought from the same builder path).
    shipped: bool,
}

/// The builder file behind the image path `image`: what a copy puts there, else the builder's own.
async fn locate<F: Filesystem>(fs: &F, layout: &Layout, image: &str) -> Option<Located> {
    if let Some(from) = layout.shipped(image) {
        if fs.stat(&from).await.is_ok() {
            return Some(Located { image: image.to_string(), builder: from, shipped: true });
        }
    }
    fs.stat(image).await.ok().map(|_| Located { image: image.to_string(), builder: image.to_string(), shipped: false })
}

/// The first `dir/name` that exists and, if it is ELF, is for `machine` (the loader skips others).
/// Every candidate is checked for existence at once; only existing ones are read, in search order. One
/// that cannot be read is an error naming it, never skipped: a name it needs could be lost with it.
async fn find<F: Filesystem>(
    fs: &F,
    layout: &Layout,
    name: &str,
    dirs: &[String],
    machine: u16,
) -> Result<Option<(Located, Option<ElfInfo>)>, String> {
    let candidates: Vec<String> =
        if name.contains('/') { vec![name.to_string()] } else { dirs.iter().map(|d| join(d, name)).collect() };
    let located = join_all(candidates.iter().map(|c| locate(fs, layout, c))).await;
    for at in located.into_iter().flatten() {
        match inspect(fs, &at.builder).await {
            Ok(Some(info)) if info.machine != machine => continue,
            Ok(info) => return Ok(Some((at, info))),
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::musl_arch;

    #[test]
    fn musl_names_its_loader_and_path_file_by_machine() {
        // musl's own names (its `arch/` directories), not Debian's triplets: `ld-musl-i386.so.1`.
        let names: Vec<&str> = [62, 183, 40, 3, 243, 21, 22].into_iter().map(musl_arch).collect();
        assert_eq!(names, ["x86_64", "aarch64", "armhf", "i386", "riscv64", "powerpc64le", "s390x"]);
    }
}
