//! What an ELF file needs to run, read from as few bytes as possible: the header, the program
//! headers, `PT_INTERP`, the dynamic section and its string table. Parsing is goblin's; this module
//! decides which byte ranges to fetch and assembles them into a sparse image of the file.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::{join, join_all};
use goblin::container::Ctx;
use goblin::elf::dynamic::{Dynamic, DT_NEEDED, DT_RPATH, DT_RUNPATH, DT_SONAME};
use goblin::elf::header::ET_DYN;
use goblin::elf::program_header::{ProgramHeader, PT_DYNAMIC, PT_INTERP};
use goblin::elf::section_header::{SectionHeader, SHT_DYNSYM, SHT_NOBITS};

use super::Filesystem;

/// The ELF magic, for telling binaries from scripts and data.
pub const MAGIC: &[u8; 4] = b"\x7fELF";

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ElfInfo {
    /// `e_machine` (62 = x86-64, 183 = AArch64, ...).
    pub machine: u16,
    pub is_64: bool,
    /// `PT_INTERP`: the dynamic loader, absent for static binaries.
    pub interpreter: Option<String>,
    pub needed: Vec<String>,
    /// `DT_SONAME`: the name a library is known by once loaded.
    pub soname: Option<String>,
    pub runpath: Vec<String>,
    pub rpath: Vec<String>,
    /// Position independent and without an interpreter: a static-pie executable (or a shared library).
    pub static_pie: bool,
    /// The bytes `strip` (or Go's `-ldflags=-s -w`) would remove: the `.debug_*`/`.zdebug_*` sections and the
    /// symbol table with its strings (`.symtab`, `.strtab`).
    pub strippable: u64,
    /// Where the dynamic string table is (file offset, size): names are read from it on demand.
    pub dynstr: Option<(u64, u64)>,
    /// Where the dynamic symbol table is (file offset, size), from the section headers.
    pub dynsym: Option<(u64, u64)>,
    pub big_endian: bool,
}

impl ElfInfo {
    pub fn is_dynamic(&self) -> bool {
        self.interpreter.is_some()
    }

    pub fn machine_name(&self) -> &'static str {
        goblin::elf::header::machine_to_str(self.machine)
    }
}

/// The parts of a file read so far, each kept where it was read from: a large file's far end (C
/// binaries keep their section headers there) costs the bytes read, not a buffer the size of the file.
#[derive(Default)]
struct Parts(Vec<Part>);

struct Part {
    offset: u64,
    asked: u64,
    bytes: Vec<u8>,
}

impl Parts {
    /// `length` bytes at `offset`, if one read covered them (fewer where that read met the end of the file).
    fn get(&self, offset: u64, length: u64) -> Option<&[u8]> {
        self.0.iter().find_map(|part| {
            let from = offset.checked_sub(part.offset)?;
            let have = part.bytes.len() as u64;
            let end = from.saturating_add(length);
            if from <= have && end <= have {
                Some(&part.bytes[from as usize..end as usize])
            } else if from <= have && have < part.asked {
                Some(&part.bytes[from as usize..])
            } else {
                None
            }
        })
    }

    /// The bytes of a range fetched before (empty if the file ended first).
    fn bytes(&self, (offset, length): (u64, u64)) -> &[u8] {
        self.get(offset, length).unwrap_or_default()
    }

    /// Reads every range not read yet, all at once: each read is a gateway round trip.
    async fn fetch<F: Filesystem>(&mut self, fs: &F, path: &str, ranges: &[(u64, u64)]) -> Result<(), String> {
        let missing: Vec<(u64, u64)> =
            ranges.iter().copied().filter(|&(offset, length)| self.get(offset, length).is_none()).collect();
        let got = join_all(missing.iter().map(|&(offset, length)| read_span(fs, path, offset, length))).await;
        for ((offset, asked), bytes) in missing.into_iter().zip(got) {
            self.0.push(Part { offset, asked, bytes: bytes? });
        }
        Ok(())
    }
}

/// Read at once from the start of every file: the ELF header, the program headers and `PT_INTERP`
/// are there in practice (and a Go binary's section headers), so they cost one round trip together.
const HEAD: u64 = 16 << 10;

/// Caps on the headers we fetch, so a corrupt header cannot make us read a whole disk image. Real files
/// are far below them: a dynamic section has tens of entries, a linked file tens of sections.
const MAX_TABLE: u64 = 1 << 20;

/// The most one read asks for: BuildKit answers a read in one gRPC message (4 MiB at most).
const CHUNK: u64 = 1 << 20;

/// A string table is read in blocks of this size around the names wanted: the table itself has no
/// size limit (libnode.so.108's is 5,004,998 bytes), and its names cost a block or two.
const BLOCK: u64 = 64 << 10;

/// `length` bytes at `offset` in reads of [`CHUNK`] bytes, a few at a time, stopping where the file ends:
/// a size taken from a corrupt header costs at most the file's own bytes.
async fn read_span<F: Filesystem>(fs: &F, path: &str, offset: u64, length: u64) -> Result<Vec<u8>, String> {
    let end = offset.saturating_add(length);
    let mut out = Vec::new();
    let mut at = offset;
    while at < end {
        let batch: Vec<(u64, u64)> = (0..8u64)
            .map(|i| at.saturating_add(i * CHUNK))
            .take_while(|&o| o < end)
            .map(|o| (o, CHUNK.min(end - o)))
            .collect();
        let got = join_all(batch.iter().map(|&(o, l)| fs.read_at(path, o, l))).await;
        for (&(_, asked), bytes) in batch.iter().zip(got) {
            let bytes = bytes?;
            let short = (bytes.len() as u64) < asked;
            out.extend(bytes);
            if short {
                return Ok(out);
            }
        }
        at = batch.last().map_or(end, |&(o, l)| o + l);
    }
    Ok(out)
}

/// The NUL-terminated strings at `offsets` of the string table `table` (file offset, size), read in
/// [`BLOCK`]s: first the block each starts in, then the next ones for a string that runs on. A string the
/// table cannot give (outside it, unterminated, past the end of the file) is an error naming the file.
pub(crate) async fn strings_at<F: Filesystem>(
    fs: &F,
    path: &str,
    table: (u64, u64),
    offsets: &BTreeSet<u64>,
) -> Result<BTreeMap<u64, String>, String> {
    let (base, size) = table;
    if let Some(o) = offsets.iter().find(|&&o| o >= size) {
        return Err(format!("{path}: a name at offset {o} lies outside the dynamic string table ({size} bytes)"));
    }
    let blocks = size.div_ceil(BLOCK);
    let mut have: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    let mut out = BTreeMap::new();
    // Each string still being read, with the last block it needs so far.
    let mut want: BTreeMap<u64, u64> = offsets.iter().map(|&o| (o, o / BLOCK)).collect();
    while !want.is_empty() {
        let missing: BTreeSet<u64> = want.values().copied().filter(|b| !have.contains_key(b)).collect();
        let reads = missing.iter().map(|&b| read_span(fs, path, base + b * BLOCK, BLOCK.min(size - b * BLOCK)));
        for (b, bytes) in missing.iter().zip(join_all(reads).await) {
            have.insert(*b, bytes?);
        }
        let mut next = BTreeMap::new();
        for (o, last) in want {
            let mut bytes: Vec<u8> = Vec::new();
            for b in o / BLOCK..=last {
                bytes.extend_from_slice(have.get(&b).map(Vec::as_slice).unwrap_or_default());
            }
            let bytes = bytes.get((o % BLOCK) as usize..).unwrap_or_default();
            let full = have.get(&last).is_some_and(|b| b.len() as u64 == BLOCK.min(size - last * BLOCK));
            match bytes.iter().position(|&c| c == 0) {
                Some(nul) => {
                    out.insert(o, String::from_utf8_lossy(&bytes[..nul]).into_owned());
                }
                None if full && last + 1 < blocks => {
                    next.insert(o, last + 1);
                }
                None if full => {
                    return Err(format!("{path}: a name at offset {o} of the dynamic string table is not terminated"))
                }
                None => {
                    return Err(format!(
                        "{path}: the dynamic string table ({size} bytes at {base}) runs past the end of the file"
                    ))
                }
            }
        }
        want = next;
    }
    Ok(out)
}

/// Reads and parses `path`; `Ok(None)` when it is not an ELF file. Three rounds of reads at most: the
/// head; then the dynamic section and the section headers; then their string tables.
pub async fn inspect<F: Filesystem>(fs: &F, path: &str) -> Result<Option<ElfInfo>, String> {
    let mut file = Parts::default();
    let Some((header, ctx, phdrs)) = read_headers(&mut file, fs, path).await? else { return Ok(None) };
    let interp = phdrs.iter().find(|p| p.p_type == PT_INTERP && p.p_filesz <= 4096).map(|p| (p.p_offset, p.p_filesz));
    let dynamic_ph = phdrs.iter().find(|p| p.p_type == PT_DYNAMIC);
    if let Some(d) = dynamic_ph.filter(|d| d.p_filesz > MAX_TABLE) {
        return Err(format!("{path}: implausible dynamic section ({} bytes)", d.p_filesz));
    }
    let dynamic_table = dynamic_ph.map(|d| (d.p_offset, d.p_filesz));
    let section_table = section_table(&header);
    file.fetch(fs, path, &[interp, dynamic_table, section_table].into_iter().flatten().collect::<Vec<_>>()).await?;

    let mut info = ElfInfo {
        machine: header.e_machine,
        is_64: ctx.is_big(),
        big_endian: !ctx.is_little_endian(),
        ..ElfInfo::default()
    };
    if let Some(range) = interp {
        info.interpreter = Some(String::from_utf8_lossy(file.bytes(range)).trim_end_matches('\0').to_string());
    }
    let sections = section_table.and_then(|range| {
        // goblin takes offset 0 to mean "no section headers": parse them one byte in.
        let shifted: Vec<u8> = std::iter::once(0).chain(file.bytes(range).iter().copied()).collect();
        SectionHeader::parse(&shifted, 1, header.e_shnum as usize, ctx).ok()
    });
    let symbol_size = symbol_size(info.is_64);
    info.dynsym = sections
        .iter()
        .flatten()
        .find(|s| s.sh_type == SHT_DYNSYM && s.sh_entsize == symbol_size)
        .map(|s| (s.sh_offset, s.sh_size));
    let section_names = sections
        .as_ref()
        .and_then(|s| s.get(header.e_shstrndx as usize))
        .filter(|n| n.sh_size <= MAX_TABLE)
        .map(|n| (n.sh_offset, n.sh_size));
    let dynamic = match dynamic_ph {
        Some(ph) => parse_dynamic(&file, path, &phdrs, ph, ctx)?,
        None => None,
    };
    info.static_pie = dynamic.is_some() && info.interpreter.is_none() && header.e_type == ET_DYN;
    let tags = [DT_NEEDED, DT_RUNPATH, DT_RPATH, DT_SONAME];
    let entries: Vec<(u64, u64)> =
        dynamic.iter().flat_map(|d| &d.dyns).filter(|d| tags.contains(&d.d_tag)).map(|d| (d.d_tag, d.d_val)).collect();
    let table = dynamic.as_ref().map(|d| (d.info.strtab as u64, d.info.strsz as u64)).filter(|&(at, _)| at != 0);
    if !entries.is_empty() && table.is_none() {
        return Err(format!("{path}: the dynamic section names libraries but has no string table"));
    }
    info.dynstr = table;
    let names = read_names(&mut file, fs, path, table, &entries, section_names).await?;
    if let (Some(sections), Some(range)) = (&sections, section_names) {
        info.strippable = strippable_bytes(sections, file.bytes(range));
    }
    name_entries(&mut info, &entries, &names);
    Ok(Some(info))
}

/// The ELF header and the program headers; `None` when the file is not ELF.
async fn read_headers<F: Filesystem>(
    file: &mut Parts,
    fs: &F,
    path: &str,
) -> Result<Option<(goblin::elf::Header, Ctx, Vec<ProgramHeader>)>, String> {
    file.fetch(fs, path, &[(0, HEAD)]).await?;
    let head = file.bytes((0, HEAD));
    if head.len() < 16 || &head[..4] != MAGIC {
        return Ok(None);
    }
    let header = goblin::elf::Elf::parse_header(head).map_err(|e| format!("{path}: bad ELF header: {e}"))?;
    let ctx = Ctx::new(
        header.container().map_err(|e| format!("{path}: {e}"))?,
        header.endianness().map_err(|e| format!("{path}: {e}"))?,
    );
    let ph_table = (header.e_phoff, u64::from(header.e_phentsize) * u64::from(header.e_phnum));
    if ph_table.1 > MAX_TABLE {
        return Err(format!("{path}: implausible program header table ({} bytes)", ph_table.1));
    }
    file.fetch(fs, path, &[ph_table]).await?;
    let phdrs = ProgramHeader::parse(file.bytes(ph_table), 0, header.e_phnum as usize, ctx)
        .map_err(|e| format!("{path}: bad program headers: {e}"))?;
    Ok(Some((header, ctx, phdrs)))
}

/// The dynamic section `ph` points at, read before.
fn parse_dynamic(
    file: &Parts,
    path: &str,
    phdrs: &[ProgramHeader],
    ph: &ProgramHeader,
    ctx: Ctx,
) -> Result<Option<Dynamic>, String> {
    // goblin reads the section at its header's offset: hand it the section alone, moved to offset 0.
    // The PT_LOAD headers stay as they are: they map DT_STRTAB's address to a file offset.
    let moved: Vec<ProgramHeader> = phdrs
        .iter()
        .map(|p| if p.p_type == PT_DYNAMIC { ProgramHeader { p_offset: 0, ..p.clone() } } else { p.clone() })
        .collect();
    Dynamic::parse(file.bytes((ph.p_offset, ph.p_filesz)), &moved, ctx)
        .map_err(|e| format!("{path}: bad dynamic section: {e}"))
}

/// The names the dynamic entries point at (from `table`), read together with the section names: the last
/// round of reads. Only the names the entries point at are read, however large the table: no name is ever
/// dropped.
async fn read_names<F: Filesystem>(
    file: &mut Parts,
    fs: &F,
    path: &str,
    table: Option<(u64, u64)>,
    entries: &[(u64, u64)],
    section_names: Option<(u64, u64)>,
) -> Result<BTreeMap<u64, String>, String> {
    let wanted: BTreeSet<u64> = entries.iter().map(|&(_, at)| at).collect();
    let names = async {
        match table {
            Some(table) if !wanted.is_empty() => strings_at(fs, path, table, &wanted).await,
            _ => Ok(BTreeMap::new()),
        }
    };
    let (fetched, names) = join(file.fetch(fs, path, &section_names.into_iter().collect::<Vec<_>>()), names).await;
    fetched?;
    names
}

/// The bytes of the sections `strip` removes, by their names (`names`: the section name table).
fn strippable_bytes(sections: &[SectionHeader], names: &[u8]) -> u64 {
    let name =
        |s: &SectionHeader| names.get(s.sh_name..).and_then(|rest| rest.split(|b| *b == 0).next()).unwrap_or_default();
    let strippable =
        |n: &[u8]| n.starts_with(b".debug_") || n.starts_with(b".zdebug_") || n == b".symtab" || n == b".strtab";
    // SHT_NOBITS sections take no room in the file.
    sections
        .iter()
        .filter(|s| s.sh_type != SHT_NOBITS && strippable(name(s)))
        .map(|s| s.sh_size)
        .fold(0u64, u64::saturating_add)
}

/// `DT_NEEDED`, `DT_SONAME`, `DT_RUNPATH` and `DT_RPATH`, their names looked up in `names`.
fn name_entries(info: &mut ElfInfo, entries: &[(u64, u64)], names: &BTreeMap<u64, String>) {
    let name = |at: u64| names.get(&at).cloned().unwrap_or_default();
    let paths = |tag: u64| -> Vec<String> {
        entries
            .iter()
            .filter(|&&(t, _)| t == tag)
            .flat_map(|&(_, at)| name(at).split(':').filter(|p| !p.is_empty()).map(str::to_string).collect::<Vec<_>>())
            .collect()
    };
    info.needed = entries.iter().filter(|&&(t, _)| t == DT_NEEDED).map(|&(_, at)| name(at)).collect();
    info.soname = entries.iter().find(|&&(t, _)| t == DT_SONAME).map(|&(_, at)| name(at));
    info.runpath = paths(DT_RUNPATH);
    info.rpath = paths(DT_RPATH);
}

fn symbol_size(is_64: bool) -> u64 {
    if is_64 {
        goblin::elf::sym::sym64::SIZEOF_SYM as u64
    } else {
        goblin::elf::sym::sym32::SIZEOF_SYM as u64
    }
}

/// Which of `wanted` the file imports: names of undefined symbols in its dynamic symbol table (the
/// functions it calls in a library). The table is read in [`CHUNK`]s, and only the names of undefined
/// symbols, in [`BLOCK`]s around them.
pub async fn imports<F: Filesystem>(
    fs: &F,
    path: &str,
    info: &ElfInfo,
    wanted: &[&str],
) -> Result<Vec<String>, String> {
    let (Some((offset, size)), Some(strings)) = (info.dynsym, info.dynstr) else {
        return Ok(Vec::new());
    };
    let bytes = read_span(fs, path, offset, size).await?;
    if (bytes.len() as u64) < size {
        return Err(format!(
            "{path}: the dynamic symbol table ({size} bytes at {offset}) runs past the end of the file"
        ));
    }
    let container = if info.is_64 { goblin::container::Container::Big } else { goblin::container::Container::Little };
    let endian = if info.big_endian { goblin::container::Endian::Big } else { goblin::container::Endian::Little };
    let ctx = Ctx::new(container, endian);
    let count = (size / symbol_size(info.is_64)) as usize;
    let symbols = goblin::elf::sym::Sym::parse(&bytes, 0, count, ctx)
        .map_err(|e| format!("{path}: bad dynamic symbol table: {e}"))?;
    let undefined: BTreeSet<u64> =
        symbols.iter().filter(|s| s.st_shndx == 0 && s.st_name != 0).map(|s| s.st_name as u64).collect();
    if undefined.is_empty() {
        return Ok(Vec::new());
    }
    let names = strings_at(fs, path, strings, &undefined).await?;
    Ok(wanted.iter().filter(|w| names.values().any(|n| n == *w)).map(|w| w.to_string()).collect())
}

/// Where the section headers are, if plausible: they tell what `strip` would remove.
fn section_table(header: &goblin::elf::Header) -> Option<(u64, u64)> {
    let size = u64::from(header.e_shentsize) * u64::from(header.e_shnum);
    (header.e_shoff != 0 && (1..=MAX_TABLE).contains(&size)).then_some((header.e_shoff, size))
}
