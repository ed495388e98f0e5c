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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    pub library: String,
    pub needed_by: String,
    pub searched: Vec<String>,
    /// Found, but it cannot be read as ELF (this says why): the loader could not use it either.
    pub unreadable: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Closure {
    /// Builder paths to copy to the same place in the image, sorted.
    pub files: Vec<String>,
    pub missing: Vec<Missing>,
}

/// musl resolves these names to itself (the interpreter is the C library).
fn musl_builtin(name: &str) -> bool {
    ["libc.", "libdl.", "libm.", "libpthread.", "librt.", "libutil.", "libxnet.", "ld-musl-"].iter().any(|p| name.starts_with(p))
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
    if let Some(arch) = interpreter.rsplit('/').next().and_then(|n| n.strip_prefix("ld-musl-")).and_then(|n| n.strip_suffix(".so.1")) {
        let path_file = format!("/etc/ld-musl-{arch}.path");
        if let Ok(bytes) = fs.read_at(&path_file, 0, 1 << 16).await {
            let dirs: Vec<String> =
                String::from_utf8_lossy(&bytes).split(['\n', ':']).map(str::trim).filter(|d| d.starts_with('/')).map(str::to_string).collect();
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

/// Resolves everything the given dynamic executables need. `roots` are builder paths with their
/// already inspected ELF information. The libraries one object needs are looked up together.
pub async fn closure<F: Filesystem>(fs: &F, roots: &[(String, ElfInfo)]) -> Result<Closure, String> {
    let mut files = BTreeSet::new();
    let mut missing = Vec::new();
    let mut system_cache: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // `machine:name` → where it was found; a library found once is not searched for again.
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    for (root, info) in roots {
        let Some(interp) = &info.interpreter else {
            continue;
        };
        let musl = interp.contains("ld-musl-");
        let system = async {
            match system_cache.get(interp) {
                Some(dirs) => dirs.clone(),
                None => system_dirs(fs, interp, info.machine, info.is_64).await,
            }
        };
        let (interp_stat, cache_stat, system) = join3(fs.stat(interp), fs.stat("/etc/ld.so.cache"), system).await;
        system_cache.insert(interp.clone(), system.clone());
        match interp_stat {
            Ok(_) => {
                files.insert(interp.clone());
            }
            Err(_) => missing.push(Missing { library: interp.clone(), needed_by: root.clone(), searched: vec![], unreadable: None }),
        }
        if !musl && cache_stat.is_ok() {
            files.insert("/etc/ld.so.cache".to_string());
        }
        let interp_name = interp.rsplit('/').next().unwrap_or_default();
        let exe_rpath = if info.runpath.is_empty() { expand_origin(&info.rpath, root) } else { Vec::new() };
        let mut queue: VecDeque<(String, ElfInfo)> = VecDeque::from([(root.clone(), info.clone())]);
        let mut visited = BTreeSet::from([root.clone()]);
        while let Some((path, obj)) = queue.pop_front() {
            let dirs = search_dirs(&obj, &path, &exe_rpath, &system);
            // libc lists the loader by its soname; it is already loaded (as the interpreter).
            let needed: Vec<&String> = obj.needed.iter().filter(|name| !(musl && musl_builtin(name)) && name.as_str() != interp_name).collect();
            let key = |name: &str| format!("{}:{name}", info.machine);
            let lookups = needed.iter().map(|name| {
                let known = found.get(&key(name)).cloned();
                let dirs = &dirs;
                async move {
                    match known {
                        Some(p) => Ok(Some((p, None))),
                        None => find(fs, name, dirs, info.machine).await,
                    }
                }
            });
            let results = join_all(lookups).await;
            for (name, resolved) in needed.into_iter().zip(results) {
                match resolved {
                    Err(e) => missing.push(Missing { library: name.clone(), needed_by: path.clone(), searched: Vec::new(), unreadable: Some(e) }),
                    Ok(None) => missing.push(Missing { library: name.clone(), needed_by: path.clone(), searched: dirs.clone(), unreadable: None }),
                    Ok(Some((lib_path, lib_info))) => {
                        found.insert(key(name), lib_path.clone());
                        files.insert(lib_path.clone());
                        if visited.insert(lib_path.clone()) {
                            if let Some(li) = lib_info {
                                queue.push_back((lib_path, li));
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(Closure { files: files.into_iter().collect(), missing })
}

/// The first `dir/name` that exists and, if it is ELF, is for `machine` (the loader skips others).
/// Every candidate is checked for existence at once; only existing ones are read, in search order. One
/// that cannot be read is an error naming it, never skipped: a name it needs could be lost with it.
async fn find<F: Filesystem>(fs: &F, name: &str, dirs: &[String], machine: u16) -> Result<Option<(String, Option<ElfInfo>)>, String> {
    let candidates: Vec<String> = if name.contains('/') { vec![name.to_string()] } else { dirs.iter().map(|d| join(d, name)).collect() };
    let exists = join_all(candidates.iter().map(|c| fs.stat(c))).await;
    for (candidate, stat) in candidates.into_iter().zip(exists) {
        if stat.is_err() {
            continue;
        }
        match inspect(fs, &candidate).await {
            Ok(Some(info)) if info.machine != machine => continue,
            Ok(info) => return Ok(Some((candidate, info))),
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}
