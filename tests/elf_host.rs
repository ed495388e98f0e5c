//! ELF inspection and the shared-library closure against real binaries of this machine: the host's
//! root filesystem stands in for a builder (Debian 12 here, like the test builder image).

use std::cell::Cell;
use std::io::{Read, Seek, SeekFrom};
use std::process::Command;

use scratchkit::verify::elf::inspect;
use scratchkit::verify::libraries::closure;
use scratchkit::verify::FileStat;
use scratchkit::verify::Filesystem;

/// The host filesystem under `root`, with the gateway's semantics (paths are inside the root).
struct HostFs {
    root: std::path::PathBuf,
    reads: Cell<usize>,
    bytes_read: Cell<u64>,
}

impl HostFs {
    fn new(root: &str) -> Self {
        HostFs { root: root.into(), reads: Cell::new(0), bytes_read: Cell::new(0) }
    }
    fn path(&self, p: &str) -> std::path::PathBuf {
        self.root.join(p.trim_start_matches('/'))
    }
}

impl Filesystem for HostFs {
    async fn stat(&self, path: &str) -> Result<FileStat, String> {
        let m = std::fs::metadata(self.path(path)).map_err(|e| e.to_string())?;
        Ok(FileStat { is_dir: m.is_dir(), mode: std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o777, size: m.len() })
    }
    async fn read_at(&self, path: &str, offset: u64, length: u64) -> Result<Vec<u8>, String> {
        let mut f = std::fs::File::open(self.path(path)).map_err(|e| e.to_string())?;
        f.seek(SeekFrom::Start(offset)).map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        f.take(length).read_to_end(&mut buf).map_err(|e| e.to_string())?;
        self.reads.set(self.reads.get() + 1);
        self.bytes_read.set(self.bytes_read.get() + buf.len() as u64);
        Ok(buf)
    }
    async fn read_dir(&self, path: &str) -> Result<Vec<String>, String> {
        let entries = std::fs::read_dir(self.path(path)).map_err(|e| e.to_string())?;
        Ok(entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
}

/// Compiles a C program with the host's gcc; `static` links it statically.
fn compile_c(name: &str, source: &str, flags: &[&str]) -> String {
    let dir = std::env::temp_dir().join(format!("scratchkit-elf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join(format!("{name}.c"));
    std::fs::write(&src, source).unwrap();
    let out = dir.join(name);
    let status = Command::new("gcc").arg("-o").arg(&out).arg(&src).args(flags).status().expect("gcc runs");
    assert!(status.success(), "gcc failed for {name}");
    out.display().to_string()
}

const HELLO: &str = "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n";

#[test]
fn a_dynamic_c_program_needs_the_loader_and_libc() {
    let exe = compile_c("dyn", HELLO, &[]);
    let fs = HostFs::new("/");
    let info = block_on(inspect(&fs, &exe)).unwrap().expect("an ELF file");
    assert_eq!(info.machine, 62, "x86-64");
    assert!(info.is_64);
    assert_eq!(info.interpreter.as_deref(), Some("/lib64/ld-linux-x86-64.so.2"));
    assert_eq!(info.needed, vec!["libc.so.6"]);
    assert!(fs.bytes_read.get() < 64 * 1024, "read {} bytes of a small binary: only headers should be read", fs.bytes_read.get());
    assert!(fs.reads.get() <= 3, "{} reads for one small binary", fs.reads.get());

    let c = block_on(closure(&fs, &[(exe.clone(), info)])).unwrap();
    assert!(c.missing.is_empty(), "{:?}", c.missing);
    assert!(c.files.contains(&"/lib64/ld-linux-x86-64.so.2".to_string()), "{:?}", c.files);
    assert!(c.files.iter().any(|f| f.ends_with("/x86_64-linux-gnu/libc.so.6")), "{:?}", c.files);
    assert!(c.files.contains(&"/etc/ld.so.cache".to_string()), "{:?}", c.files);
}

#[test]
fn the_closure_is_transitive_and_honours_runpath_origin() {
    // bin/app -> (RUNPATH $ORIGIN/../lib) libgreet.so -> (its own RUNPATH $ORIGIN/inner) libinner.so
    let dir = std::env::temp_dir().join(format!("scratchkit-rpath-{}", std::process::id()));
    for d in ["lib/inner", "bin"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    let gcc = |args: &[&str]| {
        let st = Command::new("gcc").current_dir(&dir).args(args).status().unwrap();
        assert!(st.success(), "gcc {args:?}");
    };
    std::fs::write(dir.join("inner.c"), "int inner(void) { return 7; }\n").unwrap();
    std::fs::write(dir.join("greet.c"), "int inner(void);\nint greet(void) { return inner(); }\n").unwrap();
    std::fs::write(dir.join("main.c"), "int greet(void);\nint main(void) { return greet() - 7; }\n").unwrap();
    gcc(&["-shared", "-fPIC", "-o", "lib/inner/libinner.so", "inner.c"]);
    gcc(&["-shared", "-fPIC", "-o", "lib/libgreet.so", "greet.c", "-Llib/inner", "-linner", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/inner"]);
    gcc(&["-o", "bin/app", "main.c", "-Llib", "-lgreet", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../lib,-rpath-link,lib/inner"]);
    let exe = dir.join("bin/app").display().to_string();
    let fs = HostFs::new("/");
    let info = block_on(inspect(&fs, &exe)).unwrap().unwrap();
    assert_eq!(info.runpath, vec!["$ORIGIN/../lib"]);
    assert!(info.rpath.is_empty());
    let c = block_on(closure(&fs, &[(exe, info)])).unwrap();
    assert!(c.missing.is_empty(), "{:?}", c.missing);
    let root = dir.display();
    assert!(c.files.contains(&format!("{root}/lib/libgreet.so")), "{:?}", c.files);
    assert!(c.files.contains(&format!("{root}/lib/inner/libinner.so")), "found through libgreet's own RUNPATH: {:?}", c.files);
    assert!(c.files.iter().any(|f| f.ends_with("/libc.so.6")), "{:?}", c.files);
}

#[test]
fn a_missing_library_is_reported_with_where_it_was_searched() {
    let dir = std::env::temp_dir().join(format!("scratchkit-missing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let lib_src = dir.join("gone.c");
    std::fs::write(&lib_src, "int gone(void) { return 1; }\n").unwrap();
    assert!(Command::new("gcc").args(["-shared", "-fPIC", "-o"]).arg(dir.join("libgone.so")).arg(&lib_src).status().unwrap().success());
    let main_src = dir.join("main.c");
    std::fs::write(&main_src, "int gone(void);\nint main(void) { return gone(); }\n").unwrap();
    let exe = dir.join("app");
    assert!(Command::new("gcc").arg("-o").arg(&exe).arg(&main_src).arg(format!("-L{}", dir.display())).arg("-lgone").status().unwrap().success());
    std::fs::remove_file(dir.join("libgone.so")).unwrap();
    let exe = exe.display().to_string();
    let fs = HostFs::new("/");
    let info = block_on(inspect(&fs, &exe)).unwrap().unwrap();
    let c = block_on(closure(&fs, &[(exe.clone(), info)])).unwrap();
    assert_eq!(c.missing.len(), 1, "{:?}", c.missing);
    assert_eq!(c.missing[0].library, "libgone.so");
    assert_eq!(c.missing[0].needed_by, exe);
    assert!(c.missing[0].searched.iter().any(|d| d.ends_with("x86_64-linux-gnu")));
}

#[test]
fn a_static_binary_needs_nothing() {
    let exe = compile_c("static", HELLO, &["-static"]);
    let fs = HostFs::new("/");
    let info = block_on(inspect(&fs, &exe)).unwrap().unwrap();
    assert!(!info.is_dynamic());
    assert!(info.needed.is_empty());
    let c = block_on(closure(&fs, &[(exe, info)])).unwrap();
    assert!(c.files.is_empty() && c.missing.is_empty());
}

#[test]
fn a_static_pie_is_recognised() {
    let exe = compile_c("spie", HELLO, &["-static-pie"]);
    let fs = HostFs::new("/");
    let info = block_on(inspect(&fs, &exe)).unwrap().unwrap();
    assert!(!info.is_dynamic());
    assert!(info.static_pie);
}

#[test]
fn scripts_and_data_are_not_elf() {
    let dir = std::env::temp_dir().join(format!("scratchkit-notelf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("run.sh"), "#!/bin/sh\necho hi\n").unwrap();
    std::fs::write(dir.join("tiny"), "\x7fEL").unwrap();
    let fs = HostFs::new("/");
    assert_eq!(block_on(inspect(&fs, &dir.join("run.sh").display().to_string())).unwrap(), None);
    assert_eq!(block_on(inspect(&fs, &dir.join("tiny").display().to_string())).unwrap(), None);
}

#[test]
fn debug_information_is_noticed() {
    let with = compile_c("debug", HELLO, &["-g"]);
    let without = compile_c("stripped", HELLO, &["-s"]);
    let fs = HostFs::new("/");
    assert!(block_on(inspect(&fs, &with)).unwrap().unwrap().debug_info);
    assert!(!block_on(inspect(&fs, &without)).unwrap().unwrap().debug_info);
}

#[test]
fn the_executables_rpath_serves_its_libraries_dependencies() {
    // app (DT_RPATH $ORIGIN/lib) -> libouter.so (no RUNPATH) -> libinner.so, found through app's RPATH.
    let dir = std::env::temp_dir().join(format!("scratchkit-exe-rpath-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    let gcc = |args: &[&str]| assert!(Command::new("gcc").current_dir(&dir).args(args).status().unwrap().success(), "gcc {args:?}");
    std::fs::write(dir.join("inner.c"), "int inner(void) { return 0; }\n").unwrap();
    std::fs::write(dir.join("outer.c"), "int inner(void);\nint outer(void) { return inner(); }\n").unwrap();
    std::fs::write(dir.join("main.c"), "int outer(void);\nint main(void) { return outer(); }\n").unwrap();
    gcc(&["-shared", "-fPIC", "-o", "lib/libinner.so", "inner.c"]);
    gcc(&["-shared", "-fPIC", "-o", "lib/libouter.so", "outer.c", "-Llib", "-linner"]);
    gcc(&["-o", "app", "main.c", "-Llib", "-louter", "-Wl,--disable-new-dtags,-rpath,$ORIGIN/lib,-rpath-link,lib"]);
    let exe = dir.join("app").display().to_string();
    let fs = HostFs::new("/");
    let info = block_on(inspect(&fs, &exe)).unwrap().unwrap();
    assert_eq!(info.rpath, vec!["$ORIGIN/lib"]);
    let c = block_on(closure(&fs, &[(exe, info)])).unwrap();
    assert!(c.missing.is_empty(), "{:?}", c.missing);
    assert!(c.files.contains(&format!("{}/lib/libinner.so", dir.display())), "{:?}", c.files);
}

#[test]
fn a_large_library_is_read_in_a_few_small_reads() {
    // Each read is a gateway request (and a snapshot mount): the head; then PT_INTERP, the dynamic
    // section and the section headers (together); then their two string tables (together): six at most.
    // libc is ~2 MB; only its tables are read.
    let libc = "/lib/x86_64-linux-gnu/libc.so.6";
    let fs = HostFs::new("/");
    let info = block_on(inspect(&fs, libc)).unwrap().expect("libc is ELF");
    assert!(info.needed.iter().any(|n| n.starts_with("ld-linux")), "{:?}", info.needed);
    assert!(fs.reads.get() <= 6, "{} reads", fs.reads.get());
    assert!(fs.bytes_read.get() < 128 * 1024, "read {} bytes of libc", fs.bytes_read.get());
    let size = std::fs::metadata(libc).unwrap().len();
    assert!(size > 1 << 20, "libc is {size} bytes: the check above would prove nothing");
}
