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
        Ok(FileStat {
            is_dir: m.is_dir(),
            mode: std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o777,
            size: m.len(),
        })
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
    assert!(
        fs.bytes_read.get() < 64 * 1024,
        "read {} bytes of a small binary: only headers should be read",
        fs.bytes_read.get()
    );
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
    gcc(&[
        "-shared",
        "-fPIC",
        "-o",
        "lib/libgreet.so",
        "greet.c",
        "-Llib/inner",
        "-linner",
        "-Wl,--enable-new-dtags,-rpath,$ORIGIN/inner",
    ]);
    gcc(&[
        "-o",
        "bin/app",
        "main.c",
        "-Llib",
        "-lgreet",
        "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../lib,-rpath-link,lib/inner",
    ]);
    let exe = dir.join("bin/app").display().to_string();
    let fs = HostFs::new("/");
    let info = block_on(inspect(&fs, &exe)).unwrap().unwrap();
    assert_eq!(info.runpath, vec!["$ORIGIN/../lib"]);
    assert!(info.rpath.is_empty());
    let c = block_on(closure(&fs, &[(exe, info)])).unwrap();
    assert!(c.missing.is_empty(), "{:?}", c.missing);
    let root = dir.display();
    assert!(c.files.contains(&format!("{root}/lib/libgreet.so")), "{:?}", c.files);
    assert!(
        c.files.contains(&format!("{root}/lib/inner/libinner.so")),
        "found through libgreet's own RUNPATH: {:?}",
        c.files
    );
    assert!(c.files.iter().any(|f| f.ends_with("/libc.so.6")), "{:?}", c.files);
}

#[test]
fn a_missing_library_is_reported_with_where_it_was_searched() {
    let dir = std::env::temp_dir().join(format!("scratchkit-missing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let lib_src = dir.join("gone.c");
    std::fs::write(&lib_src, "int gone(void) { return 1; }\n").unwrap();
    assert!(Command::new("gcc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(dir.join("libgone.so"))
        .arg(&lib_src)
        .status()
        .unwrap()
        .success());
    let main_src = dir.join("main.c");
    std::fs::write(&main_src, "int gone(void);\nint main(void) { return gone(); }\n").unwrap();
    let exe = dir.join("app");
    assert!(Command::new("gcc")
        .arg("-o")
        .arg(&exe)
        .arg(&main_src)
        .arg(format!("-L{}", dir.display()))
        .arg("-lgone")
        .status()
        .unwrap()
        .success());
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
    // What `strip` removes, as binutils' own `strip` measures it: the file shrinks by exactly that much
    // (the section header table and `.shstrtab` shrink too, so allow their few hundred bytes).
    let stripped = std::path::PathBuf::from(format!("{with}.stripped"));
    assert!(std::process::Command::new("strip").arg("-o").arg(&stripped).arg(&with).status().unwrap().success());
    let saved = std::fs::metadata(&with).unwrap().len() - std::fs::metadata(&stripped).unwrap().len();
    let strippable = block_on(inspect(&fs, &with)).unwrap().unwrap().strippable;
    assert!(strippable <= saved && saved - strippable < 1024, "strippable {strippable}, strip saved {saved}");
    assert_eq!(block_on(inspect(&fs, &without)).unwrap().unwrap().strippable, 0);
}

#[test]
fn only_a_file_that_is_mostly_debug_information_is_worth_a_warning() {
    use scratchkit::verify::worth_stripping;
    const MIB: u64 = 1 << 20;
    // A default Go build: 1.7 of 5.5 MB.
    assert!(!worth_stripping(1_711_000, 5_467_070));
    // A C++ program built with -g: 35 of 50 MB.
    assert!(worth_stripping(35 * MIB, 50 * MIB));
    // Exactly half, and a mebibyte: on both edges.
    assert!(worth_stripping(MIB, 2 * MIB));
    assert!(!worth_stripping(MIB - 1, 2 * MIB - 2));
    assert!(!worth_stripping(MIB, 2 * MIB + 1));
    // A small program with -g: mostly debug information, but a few KiB.
    assert!(!worth_stripping(12_000, 16_000));
}

#[test]
fn the_executables_rpath_serves_its_libraries_dependencies() {
    // app (DT_RPATH $ORIGIN/lib) -> libouter.so (no RUNPATH) -> libinner.so, found through app's RPATH.
    let dir = std::env::temp_dir().join(format!("scratchkit-exe-rpath-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    let gcc = |args: &[&str]| {
        assert!(Command::new("gcc").current_dir(&dir).args(args).status().unwrap().success(), "gcc {args:?}")
    };
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

/// A builder laid out in a temp dir (files linked or copied from the host), for the loader's search
/// rules that the host's own layout does not show: ld.so.conf includes, other machines, musl.
struct Builder {
    root: std::path::PathBuf,
}

impl Builder {
    fn new(name: &str) -> Builder {
        let root = std::env::temp_dir().join(format!("scratchkit-builder-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        Builder { root }
    }
    fn put(&self, path: &str, bytes: &[u8]) -> &Self {
        let at = self.root.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::fs::write(at, bytes).unwrap();
        self
    }
    fn fs(&self) -> HostFs {
        HostFs::new(&self.root.display().to_string())
    }
}

/// `bin/app`, needing `libabsent.so` (which no builder has) and libc; `flags` go to the link.
fn app_needing_an_absent_library(name: &str, flags: &[&str]) -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!("scratchkit-absent-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("absent.c"), "int absent(void) { return 0; }\n").unwrap();
    std::fs::write(dir.join("main.c"), "int absent(void);\nint main(void) { return absent(); }\n").unwrap();
    let gcc = |args: &[&str]| {
        assert!(Command::new("gcc").current_dir(&dir).args(args).status().unwrap().success(), "gcc {args:?}")
    };
    gcc(&["-shared", "-fPIC", "-o", "libabsent.so", "absent.c"]);
    let mut link = vec!["-o", "app", "main.c", "-L.", "-labsent"];
    link.extend(flags);
    gcc(&link);
    std::fs::read(dir.join("app")).unwrap()
}

/// The same file claiming another `e_machine` (the loader and we read nothing else to tell).
fn for_machine(mut elf: Vec<u8>, machine: u16) -> Vec<u8> {
    elf[18..20].copy_from_slice(&machine.to_le_bytes());
    elf
}

/// Where `libabsent.so` was looked for: the search path, in order.
fn searched_for_the_absent_library(builder: &Builder) -> Vec<String> {
    let fs = builder.fs();
    let info = block_on(inspect(&fs, "/bin/app")).unwrap().expect("an ELF file");
    let c = block_on(closure(&fs, &[("/bin/app".to_string(), info)])).unwrap();
    let absent: Vec<_> = c.missing.iter().filter(|m| m.library == "libabsent.so").collect();
    assert_eq!(absent.len(), 1, "{:?}", c.missing);
    absent[0].searched.clone()
}

#[test]
fn ld_so_conf_is_read_with_its_includes_comments_and_separators() {
    let b = Builder::new("ldconf");
    b.put("/bin/app", &app_needing_an_absent_library("ldconf", &[]))
        .put(
            "/etc/ld.so.conf",
            b"# a comment\ninclude /etc/ld.so.conf.d/lib*.conf\ninclude\nhwcap 1 /hw\n/opt/a   # after a path\n",
        )
        // `lib*.conf` takes lib.conf (the star may match nothing) and libx.conf; not other.conf, lib.conf.bak or libconf.
        .put("/etc/ld.so.conf.d/lib.conf", b"/opt/star-empty\n")
        .put("/etc/ld.so.conf.d/libx.conf", b"/opt/x\ninclude /etc/nested/*.conf\n")
        .put("/etc/ld.so.conf.d/other.conf", b"/opt/other\n")
        .put("/etc/ld.so.conf.d/lib.conf.bak", b"/opt/bak\n")
        .put("/etc/ld.so.conf.d/libconf", b"/opt/libconf\n")
        // Includes itself: read a bounded number of times, its directories searched once.
        .put("/etc/nested/n.conf", b"/opt/n1:/opt/n2,/opt/n3\t/opt/n4 relative\ninclude /etc/nested/n.conf\n");
    let mut want: Vec<&str> = vec!["/opt/a", "/opt/star-empty", "/opt/x", "/opt/n1", "/opt/n2", "/opt/n3", "/opt/n4"];
    want.extend(["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"]);
    assert_eq!(searched_for_the_absent_library(&b), want);
}

#[test]
fn an_include_that_is_one_file_is_read_as_that_file() {
    let b = Builder::new("ldconf-one");
    b.put("/bin/app", &app_needing_an_absent_library("ldconf-one", &[]))
        .put("/etc/ld.so.conf", b"include /etc/ld.so.conf.d/only.conf\n")
        .put("/etc/ld.so.conf.d/only.conf", b"/opt/only\n")
        .put("/etc/ld.so.conf.d/unnamed.conf", b"/opt/unnamed\n");
    assert_eq!(searched_for_the_absent_library(&b)[..2], ["/opt/only", "/lib/x86_64-linux-gnu"]);
}

#[test]
fn each_machine_searches_its_own_multiarch_directories() {
    let app = app_needing_an_absent_library("machines", &[]);
    for (machine, triplet) in [
        (183, "aarch64-linux-gnu"),
        (40, "arm-linux-gnueabihf"),
        (3, "i386-linux-gnu"),
        (243, "riscv64-linux-gnu"),
        (21, "powerpc64le-linux-gnu"),
        (22, "s390x-linux-gnu"),
    ] {
        let b = Builder::new(&format!("machine-{machine}"));
        b.put("/bin/app", &for_machine(app.clone(), machine));
        let searched = searched_for_the_absent_library(&b);
        assert_eq!(searched[..2], [format!("/lib/{triplet}"), format!("/usr/lib/{triplet}")], "machine {machine}");
        assert!(!searched.iter().any(|d| d.contains("x86_64")), "machine {machine}: {searched:?}");
    }
}

#[test]
fn a_library_for_another_machine_is_skipped_like_the_loader_does() {
    let host_libc = std::fs::read("/lib/x86_64-linux-gnu/libc.so.6").unwrap();
    let b = Builder::new("skip-machine");
    b.put("/bin/app", &compile_c_bytes("skip-machine"))
        .put("/lib64/ld-linux-x86-64.so.2", b"the loader")
        .put("/lib/x86_64-linux-gnu/libc.so.6", &for_machine(host_libc.clone(), 183))
        .put("/usr/lib/x86_64-linux-gnu/libc.so.6", &host_libc);
    let fs = b.fs();
    let info = block_on(inspect(&fs, "/bin/app")).unwrap().unwrap();
    let c = block_on(closure(&fs, &[("/bin/app".to_string(), info)])).unwrap();
    assert!(c.missing.is_empty(), "{:?}", c.missing);
    assert_eq!(c.files, ["/lib64/ld-linux-x86-64.so.2", "/usr/lib/x86_64-linux-gnu/libc.so.6"]);
}

/// A dynamic hello world, as bytes.
fn compile_c_bytes(name: &str) -> Vec<u8> {
    std::fs::read(compile_c(name, HELLO, &[])).unwrap()
}

const MUSL: &str = "-Wl,--dynamic-linker=/lib/ld-musl-x86_64.so.1";

#[test]
fn musl_reads_its_path_file_and_resolves_libc_to_itself() {
    let b = Builder::new("musl-path");
    b.put("/bin/app", &app_needing_an_absent_library("musl-path", &[MUSL]))
        .put("/lib/ld-musl-x86_64.so.1", b"musl")
        .put("/etc/ld-musl-x86_64.path", b"/opt/musl:/opt/other\n/opt/third\nrelative\n")
        // glibc's files mean nothing to musl.
        .put("/etc/ld.so.cache", b"glibc's cache")
        .put("/etc/ld.so.conf", b"/opt/glibc\n");
    assert_eq!(searched_for_the_absent_library(&b), ["/opt/musl", "/opt/other", "/opt/third"]);
    let fs = b.fs();
    let info = block_on(inspect(&fs, "/bin/app")).unwrap().unwrap();
    assert_eq!(info.interpreter.as_deref(), Some("/lib/ld-musl-x86_64.so.1"));
    assert!(info.needed.contains(&"libc.so.6".to_string()), "{:?}", info.needed);
    let c = block_on(closure(&fs, &[("/bin/app".to_string(), info)])).unwrap();
    assert_eq!(c.files, ["/lib/ld-musl-x86_64.so.1"], "musl's libc is its loader; no ld.so.cache");
    assert_eq!(c.missing.len(), 1, "only libabsent.so: {:?}", c.missing);
}

#[test]
fn musl_without_a_path_file_searches_its_defaults() {
    let b = Builder::new("musl-default");
    b.put("/bin/app", &app_needing_an_absent_library("musl-default", &[MUSL]))
        .put("/lib/ld-musl-x86_64.so.1", b"musl")
        .put("/etc/ld-musl-x86_64.path", b"\n# nothing absolute\n");
    assert_eq!(searched_for_the_absent_library(&b), ["/lib", "/usr/local/lib", "/usr/lib"]);
}

/// `bytes` with a little-endian field of the ELF64 header replaced.
fn patched(mut elf: Vec<u8>, offset: usize, value: &[u8]) -> Vec<u8> {
    elf[offset..offset + value.len()].copy_from_slice(value);
    elf
}

#[test]
fn a_truncated_elf_header_is_an_error_not_data() {
    let b = Builder::new("truncated");
    b.put("/sixteen", b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
    let err = block_on(inspect(&b.fs(), "/sixteen")).expect_err("16 bytes of ELF header");
    assert!(err.contains("bad ELF header"), "{err}");
}

#[test]
fn a_corrupt_header_cannot_make_us_read_the_whole_file() {
    // 2 MiB of padding after a real binary: a table size taken on trust would read all of it.
    let mut exe = compile_c_bytes("corrupt");
    exe.resize(exe.len() + (2 << 20), 0);
    let b = Builder::new("corrupt");
    // 65535 section headers of 64 bytes (4 MiB): not plausible, so not read (and no `.debug_info` either way).
    b.put("/sections", &patched(exe.clone(), 60, &u16::MAX.to_le_bytes()));
    let fs = b.fs();
    let info = block_on(inspect(&fs, "/sections")).unwrap().expect("still ELF");
    assert_eq!(info.needed, ["libc.so.6"]);
    assert!(fs.bytes_read.get() < 256 << 10, "read {} bytes", fs.bytes_read.get());

    // Program headers of 65535 × 56 bytes, and exactly 1 MiB (32768 × 32): the first is refused as
    // implausible before any read, the second is read (and its entries are then too short to parse).
    b.put("/phdrs", &patched(exe.clone(), 56, &u16::MAX.to_le_bytes()));
    let err = block_on(inspect(&b.fs(), "/phdrs")).unwrap_err();
    assert!(err.contains("implausible program header table"), "{err}");
    b.put("/phdrs-1mib", &patched(patched(exe, 54, &32u16.to_le_bytes()), 56, &32768u16.to_le_bytes()));
    let err = block_on(inspect(&b.fs(), "/phdrs-1mib")).unwrap_err();
    assert!(err.contains("bad program headers"), "1 MiB is the cap, not over it: {err}");
}

#[test]
fn an_oversized_dynamic_section_is_refused() {
    let exe = compile_c_bytes("dynamic-size");
    let elf = goblin::elf::Elf::parse(&exe).unwrap();
    let (index, _) = elf
        .program_headers
        .iter()
        .enumerate()
        .find(|(_, p)| p.p_type == goblin::elf::program_header::PT_DYNAMIC)
        .unwrap();
    // p_filesz is at +32 in an ELF64 program header.
    let at = elf.header.e_phoff as usize + index * elf.header.e_phentsize as usize + 32;
    let b = Builder::new("dynamic-size");
    b.put("/over", &patched(exe.clone(), at, &((1u64 << 20) + 1).to_le_bytes()));
    let err = block_on(inspect(&b.fs(), "/over")).unwrap_err();
    assert!(err.contains("implausible dynamic section"), "{err}");
    b.put("/at-cap", &patched(exe, at, &(1u64 << 20).to_le_bytes()));
    if let Err(err) = block_on(inspect(&b.fs(), "/at-cap")) {
        assert!(!err.contains("implausible"), "1 MiB is the cap, not over it: {err}");
    }
}

#[test]
fn a_dynamic_string_table_of_any_size_costs_only_the_blocks_of_its_names() {
    // DT_STRSZ set to 2 MiB in a binary padded with 2 MiB: the names are still read (a table has no size
    // limit), and only the block they are in.
    let mut exe = compile_c_bytes("strsz");
    let elf = goblin::elf::Elf::parse(&exe).unwrap();
    let dynamic = elf.program_headers.iter().find(|p| p.p_type == goblin::elf::program_header::PT_DYNAMIC).unwrap();
    let (dyn_offset, dyn_size) = (dynamic.p_offset as usize, dynamic.p_filesz as usize);
    let strtab = elf.dynamic.as_ref().unwrap().info.strtab as u64;
    let needed =
        elf.dynamic.as_ref().unwrap().dyns.iter().find(|d| d.d_tag == goblin::elf::dynamic::DT_NEEDED).unwrap().d_val;
    let entry_of = |tag: u64| {
        (0..dyn_size / 16)
            .map(|i| dyn_offset + i * 16)
            .find(|&at| u64::from_le_bytes(exe[at..at + 8].try_into().unwrap()) == tag)
            .unwrap()
    };
    let strsz = entry_of(goblin::elf::dynamic::DT_STRSZ);
    let entry = entry_of(goblin::elf::dynamic::DT_NEEDED);
    exe.resize(exe.len() + (2 << 20), 0);
    let b = Builder::new("strsz");
    b.put("/over", &patched(exe.clone(), strsz + 8, &((2u64 << 20) + 1).to_le_bytes()));
    let fs = b.fs();
    let info = block_on(inspect(&fs, "/over")).unwrap().expect("still ELF");
    assert_eq!(info.needed, ["libc.so.6"]);
    assert!(fs.bytes_read.get() < 256 << 10, "read {} bytes", fs.bytes_read.get());

    // A table that runs past the end of the file cannot give a name that would lie there: an error, not
    // a name dropped. (The padding is zeros, so the names themselves still end within the file.)
    exe.truncate(exe.len() - (2 << 20));
    assert_eq!(u64::from_le_bytes(exe[entry + 8..entry + 16].try_into().unwrap()), needed);
    let past_end = exe.len() as u64 - strtab + 8;
    let cut =
        patched(patched(exe.clone(), strsz + 8, &(past_end + 64).to_le_bytes()), entry + 8, &past_end.to_le_bytes());
    b.put("/cut", &cut);
    let err = block_on(inspect(&b.fs(), "/cut")).unwrap_err();
    assert!(err.contains("/cut") && err.contains("runs past the end of the file"), "{err}");
    // And a name outside the table is an error too.
    b.put("/outside", &patched(exe, entry + 8, &u64::from(u32::MAX).to_le_bytes()));
    let err = block_on(inspect(&b.fs(), "/outside")).unwrap_err();
    assert!(err.contains("/outside") && err.contains("outside the dynamic string table"), "{err}");
}

#[test]
fn a_library_with_a_dynamic_string_table_over_one_mib_keeps_its_names() {
    // libbig.so exports 14,000 symbols with long names (a .dynstr of ~1.3 MiB, like libnode.so.108's 5 MB)
    // and needs libm; the app needs libbig.so. Before, a table over 1 MiB was not read and libm was lost.
    let dir = std::env::temp_dir().join(format!("scratchkit-bigstr-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    let mut big = String::from("#include <math.h>\ndouble root(double x) { return sqrt(x); }\n");
    for i in 0..14_000 {
        big.push_str(&format!(
            "int a_symbol_with_a_long_name_as_cxx_mangling_makes_them_{i:06}_xxxxxxxxxxxxxxxxxxxxxxxx = {i};\n"
        ));
    }
    std::fs::write(dir.join("big.c"), big).unwrap();
    std::fs::write(dir.join("main.c"), "double root(double);\nint main(void) { return root(4.0) == 2.0 ? 0 : 1; }\n")
        .unwrap();
    let gcc = |args: &[&str]| {
        assert!(Command::new("gcc").current_dir(&dir).args(args).status().unwrap().success(), "gcc {args:?}")
    };
    gcc(&["-shared", "-fPIC", "-fno-builtin", "-o", "lib/libbig.so", "big.c", "-lm"]);
    gcc(&["-o", "app", "main.c", "-Llib", "-lbig", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/lib"]);
    let lib = std::fs::read(dir.join("lib/libbig.so")).unwrap();
    let strsz = goblin::elf::Elf::parse(&lib).unwrap().dynamic.unwrap().info.strsz;
    assert!(strsz > 1 << 20, "the table is {strsz} bytes: the test would prove nothing");

    let fs = HostFs::new("/");
    let lib_path = dir.join("lib/libbig.so").display().to_string();
    let info = block_on(inspect(&fs, &lib_path)).unwrap().expect("ELF");
    assert!(info.needed.iter().any(|n| n == "libm.so.6"), "{:?}", info.needed);
    let exe = dir.join("app").display().to_string();
    let info = block_on(inspect(&fs, &exe)).unwrap().expect("ELF");
    let c = block_on(closure(&fs, &[(exe, info)])).unwrap();
    assert!(c.missing.is_empty(), "{:?}", c.missing);
    assert!(
        c.files.iter().any(|f| f.ends_with("/libm.so.6")),
        "libm, needed by the library with the large table: {:?}",
        c.files
    );
}

#[test]
fn a_position_independent_executable_with_a_loader_is_not_static_pie() {
    let exe = compile_c("pie", HELLO, &["-pie", "-fPIE"]);
    let info = block_on(inspect(&HostFs::new("/"), &exe)).unwrap().unwrap();
    assert!(info.is_dynamic());
    assert!(!info.static_pie);
    assert_eq!(info.machine_name(), "X86_64");
}
