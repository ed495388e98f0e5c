//! What an ELF file needs to run, read from as few bytes as possible: the header, the program
//! headers, `PT_INTERP`, the dynamic section and its string table. Parsing is goblin's; this module
//! decides which byte ranges to fetch and assembles them into a sparse image of the file.

use goblin::container::Ctx;
use goblin::elf::dynamic::{Dynamic, DT_RPATH, DT_RUNPATH};
use goblin::elf::header::ET_DYN;
use goblin::elf::program_header::{ProgramHeader, PT_DYNAMIC, PT_INTERP};
use goblin::strtab::Strtab;

use super::Filesystem;

/// The ELF magic, for telling binaries from scripts and data.
pub const MAGIC: &[u8; 4] = b"\x7fELF";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ElfInfo {
    /// `e_machine` (62 = x86-64, 183 = AArch64, ...).
    pub machine: u16,
    pub is_64: bool,
    /// `PT_INTERP`: the dynamic loader, absent for static binaries.
    pub interpreter: Option<String>,
    pub needed: Vec<String>,
    pub runpath: Vec<String>,
    pub rpath: Vec<String>,
    /// Position independent and without an interpreter: a static-pie executable (or a shared library).
    pub static_pie: bool,
    /// Has `.debug_info`: `strip` (or Go's `-ldflags=-s -w`) would make it smaller.
    pub debug_info: bool,
}

impl ElfInfo {
    pub fn is_dynamic(&self) -> bool {
        self.interpreter.is_some()
    }

    pub fn machine_name(&self) -> &'static str {
        goblin::elf::header::machine_to_str(self.machine)
    }
}

/// A file's bytes where we have read them, zeros elsewhere: enough for goblin's offset-based parsers.
struct Sparse(Vec<u8>);

impl Sparse {
    fn put(&mut self, offset: usize, bytes: &[u8]) {
        let end = offset + bytes.len();
        if self.0.len() < end {
            self.0.resize(end, 0);
        }
        self.0[offset..end].copy_from_slice(bytes);
    }
}

/// Caps on what we fetch, so a corrupt header cannot make us read a whole disk image.
const MAX_TABLE: u64 = 1 << 20;

/// Reads and parses `path`; `Ok(None)` when it is not an ELF file.
pub async fn inspect<F: Filesystem>(fs: &mut F, path: &str) -> Result<Option<ElfInfo>, String> {
    let head = fs.read_at(path, 0, 64).await?;
    if head.len() < 16 || &head[..4] != MAGIC {
        return Ok(None);
    }
    let mut file = Sparse(Vec::new());
    file.put(0, &head);
    let header = goblin::elf::Elf::parse_header(&file.0).map_err(|e| format!("{path}: bad ELF header: {e}"))?;
    let ctx = Ctx::new(header.container().map_err(|e| format!("{path}: {e}"))?, header.endianness().map_err(|e| format!("{path}: {e}"))?);
    let ph_size = u64::from(header.e_phentsize) * u64::from(header.e_phnum);
    if ph_size > MAX_TABLE {
        return Err(format!("{path}: implausible program header table ({ph_size} bytes)"));
    }
    let phdr_bytes = fs.read_at(path, header.e_phoff, ph_size).await?;
    file.put(header.e_phoff as usize, &phdr_bytes);
    let phdrs =
        ProgramHeader::parse(&file.0, header.e_phoff as usize, header.e_phnum as usize, ctx).map_err(|e| format!("{path}: bad program headers: {e}"))?;

    let mut info = ElfInfo { machine: header.e_machine, is_64: ctx.is_big(), ..ElfInfo::default() };
    for ph in &phdrs {
        if ph.p_type == PT_INTERP && ph.p_filesz <= 4096 {
            let bytes = fs.read_at(path, ph.p_offset, ph.p_filesz).await?;
            let text = String::from_utf8_lossy(&bytes);
            info.interpreter = Some(text.trim_end_matches('\0').to_string());
        }
    }
    info.debug_info = has_debug_info(fs, path, &header, ctx).await;
    let Some(dynamic_ph) = phdrs.iter().find(|p| p.p_type == PT_DYNAMIC) else {
        return Ok(Some(info));
    };
    info.static_pie = info.interpreter.is_none() && header.e_type == ET_DYN;
    if dynamic_ph.p_filesz > MAX_TABLE {
        return Err(format!("{path}: implausible dynamic section ({} bytes)", dynamic_ph.p_filesz));
    }
    let dyn_bytes = fs.read_at(path, dynamic_ph.p_offset, dynamic_ph.p_filesz).await?;
    file.put(dynamic_ph.p_offset as usize, &dyn_bytes);
    let Some(dynamic) = Dynamic::parse(&file.0, &phdrs, ctx).map_err(|e| format!("{path}: bad dynamic section: {e}"))? else {
        return Ok(Some(info));
    };
    let (strtab_at, strsz) = (dynamic.info.strtab as u64, dynamic.info.strsz as u64);
    if strsz == 0 || strsz > MAX_TABLE {
        return Ok(Some(info));
    }
    let strings = fs.read_at(path, strtab_at, strsz).await?;
    file.put(strtab_at as usize, &strings);
    let strtab = Strtab::parse(&file.0, strtab_at as usize, strsz as usize, 0).map_err(|e| format!("{path}: bad string table: {e}"))?;
    info.needed = dynamic.get_libraries(&strtab).into_iter().map(str::to_string).collect();
    let paths = |tag: u64| -> Vec<String> {
        dynamic
            .dyns
            .iter()
            .filter(|d| d.d_tag == tag)
            .filter_map(|d| strtab.get_at(d.d_val as usize))
            .flat_map(|s| s.split(':').filter(|p| !p.is_empty()).map(str::to_string).collect::<Vec<_>>())
            .collect()
    };
    info.runpath = paths(DT_RUNPATH);
    info.rpath = paths(DT_RPATH);
    Ok(Some(info))
}

/// Looks for a `.debug_info` section: the section headers and their name table only.
async fn has_debug_info<F: Filesystem>(fs: &mut F, path: &str, header: &goblin::elf::Header, ctx: Ctx) -> bool {
    use goblin::elf::section_header::SectionHeader;
    let size = u64::from(header.e_shentsize) * u64::from(header.e_shnum);
    if header.e_shoff == 0 || size == 0 || size > MAX_TABLE {
        return false;
    }
    let Ok(bytes) = fs.read_at(path, header.e_shoff, size).await else { return false };
    let mut file = Sparse(Vec::new());
    file.put(header.e_shoff as usize, &bytes);
    let Ok(sections) = SectionHeader::parse(&file.0, header.e_shoff as usize, header.e_shnum as usize, ctx) else { return false };
    let Some(names) = sections.get(header.e_shstrndx as usize) else { return false };
    if names.sh_size > MAX_TABLE {
        return false;
    }
    let Ok(name_bytes) = fs.read_at(path, names.sh_offset, names.sh_size).await else { return false };
    sections.iter().any(|s| {
        let start = s.sh_name;
        name_bytes.get(start..).and_then(|rest| rest.split(|b| *b == 0).next()) == Some(b".debug_info".as_slice())
    })
}
