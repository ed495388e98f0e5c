//! `.note.dlopen`: the ELF notes in which a library lists what it opens with `dlopen` (the "ELF dlopen
//! metadata" format of freedesktop.org's packaging notes, carried by systemd's libraries since v256): a
//! note of owner `FDO` and type `0x407c0c0a` whose payload is a JSON array of
//! `{feature, description, priority, soname: [...]}`. `priority` is `required`, `recommended` (the
//! default) or `suggested`; `soname` lists alternatives, the first found is used. The notes are read
//! from the `PT_NOTE` segments (the section is allocated, so a stripped file keeps it), bounded; a note
//! that cannot be read is an error naming the file, never skipped.

use std::collections::BTreeSet;

use futures_util::stream::{self, StreamExt};
use goblin::container::Ctx;
use goblin::elf::program_header::{ProgramHeader, PT_NOTE};

use super::libraries::{self, Root};
use super::Filesystem;

/// Files read at once.
const CONCURRENT: usize = 32;

/// The owner and type of a dlopen note.
const OWNER: &[u8] = b"FDO";
pub const NT_FDO_DLOPEN_METADATA: u32 = 0x407c_0c0a;
/// The start of a file read for its headers; a larger program header table is read on its own.
const HEAD: u64 = 16 << 10;
/// The most read of one note segment: real ones are a few hundred bytes.
const MAX_SEGMENT: u64 = 1 << 20;
/// The most entries one file may list (systemd's libraries list about ten); each is looked up in the builder.
const MAX_ENTRIES: usize = 256;

/// One entry of a dlopen note.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct Dlopen {
    #[serde(default)]
    pub feature: Option<String>,
    #[serde(default = "recommended")]
    pub priority: String,
    pub soname: Vec<String>,
}

fn recommended() -> String {
    "recommended".to_string()
}

impl Dlopen {
    pub fn required(&self) -> bool {
        self.priority == "required"
    }
}

/// The dlopen entries of the ELF file at `path` (empty for a file without such notes).
pub async fn read<F: Filesystem>(fs: &F, path: &str) -> Result<Vec<Dlopen>, String> {
    let head = fs.read_at(path, 0, HEAD).await?;
    if !head.starts_with(super::elf::MAGIC) {
        return Ok(Vec::new());
    }
    let header = goblin::elf::Elf::parse_header(&head).map_err(|e| format!("{path}: bad ELF header: {e}"))?;
    let ctx = Ctx::new(
        header.container().map_err(|e| format!("{path}: {e}"))?,
        header.endianness().map_err(|e| format!("{path}: {e}"))?,
    );
    let size = u64::from(header.e_phentsize) * u64::from(header.e_phnum);
    if size > MAX_SEGMENT {
        return Err(format!("{path}: implausible program header table ({size} bytes)"));
    }
    let table = match head.get(header.e_phoff as usize..).and_then(|t| t.get(..size as usize)) {
        Some(t) => t.to_vec(),
        None => fs.read_at(path, header.e_phoff, size).await?,
    };
    let phdrs = ProgramHeader::parse(&table, 0, header.e_phnum as usize, ctx)
        .map_err(|e| format!("{path}: bad program headers: {e}"))?;
    let mut out = Vec::new();
    for ph in phdrs.iter().filter(|p| p.p_type == PT_NOTE) {
        if ph.p_filesz > MAX_SEGMENT {
            return Err(format!("{path}: a note segment of {} bytes, more than the {MAX_SEGMENT} read", ph.p_filesz));
        }
        let bytes = fs.read_at(path, ph.p_offset, ph.p_filesz).await?;
        if (bytes.len() as u64) < ph.p_filesz {
            return Err(format!("{path}: a note segment runs past the end of the file"));
        }
        let align = if ph.p_align == 8 { 8 } else { 4 };
        out.extend(parse(&bytes, ctx.le.is_little(), align).map_err(|e| format!("{path}: {e}"))?);
    }
    if out.len() > MAX_ENTRIES {
        return Err(format!("{path}: {} dlopen entries, more than the {MAX_ENTRIES} looked up", out.len()));
    }
    if let Some(empty) = out.iter().find(|d| d.soname.is_empty()) {
        return Err(format!(
            "{path}: the dlopen entry of feature `{}` names no soname",
            empty.feature.as_deref().unwrap_or("?")
        ));
    }
    Ok(out)
}

/// What the `required` entries of the notes of `files` (builder paths; files not ELF are skipped) bring:
/// the libraries found for them in the builder, each a new root for the closure, and the problems
/// (`(file, message)`). An entry is met by the first of its sonames that `have` (paths already in the
/// image) holds, or else that the builder's system directories have.
pub async fn required<F: Filesystem>(
    fs: &F,
    files: &[String],
    loader: &str,
    machine: u16,
    have: &BTreeSet<String>,
) -> (Vec<Root>, Vec<(String, String)>) {
    let read: Vec<_> = stream::iter(files.iter().map(|f| read(fs, f))).buffered(CONCURRENT).collect().await;
    let is_64 = !matches!(machine, goblin::elf::header::EM_386 | goblin::elf::header::EM_ARM);
    let mut roots: Vec<Root> = Vec::new();
    let mut problems = Vec::new();
    let held = |soname: &str, roots: &[Root]| {
        have.iter().chain(roots.iter().map(|r| &r.builder)).any(|p| p.rsplit('/').next() == Some(soname))
    };
    for (file, entries) in files.iter().zip(read) {
        let entries = match entries {
            Ok(entries) => entries,
            Err(e) => {
                problems.push((file.clone(), format!("cannot read the ELF notes of `{file}`: {e}")));
                continue;
            }
        };
        for entry in entries.iter().filter(|e| e.required()) {
            if entry.soname.iter().any(|s| held(s, &roots)) {
                continue;
            }
            let mut found = None;
            for soname in &entry.soname {
                match libraries::find_by_name(fs, soname, loader, machine, is_64).await {
                    Ok((Some((path, info)), _)) => {
                        found = Some(Root::at(&path, info));
                        break;
                    }
                    Ok((None, _)) => {}
                    Err(e) => problems.push((
                        file.clone(),
                        format!("`{file}` requires `{soname}` (.note.dlopen), which cannot be read as ELF: {e}"),
                    )),
                }
            }
            match found {
                Some(root) => roots.push(root),
                None => problems.push((
                    file.clone(),
                    format!(
                        "`{file}` requires {} for its feature `{}` (its .note.dlopen), which the builder does not have",
                        entry.soname.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(" or "),
                        entry.feature.as_deref().unwrap_or("?")
                    ),
                )),
            }
        }
    }
    (roots, problems)
}

fn padded(n: usize, align: usize) -> Option<usize> {
    n.checked_add(align - 1).map(|n| n & !(align - 1))
}

/// The dlopen entries among the notes of one segment.
pub fn parse(bytes: &[u8], little: bool, align: usize) -> Result<Vec<Dlopen>, String> {
    let word = |at: usize| -> Option<u32> {
        let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        Some(if little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    };
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let (Some(namesz), Some(descsz), Some(kind)) = (word(at), word(at + 4), word(at + 8)) else {
            return Err(format!("a note header at {at} is cut short"));
        };
        let name_at = at + 12;
        let desc_at = padded(name_at + namesz as usize, align).ok_or("a note name overflows")?;
        let end = padded(desc_at.saturating_add(descsz as usize), align).ok_or("a note overflows")?;
        let (Some(name), Some(desc)) =
            (bytes.get(name_at..name_at + namesz as usize), bytes.get(desc_at..desc_at + descsz as usize))
        else {
            return Err(format!("a note at {at} runs past its segment"));
        };
        if name.strip_suffix(b"\0").unwrap_or(name) == OWNER && kind == NT_FDO_DLOPEN_METADATA {
            let text = desc.split(|&b| b == 0).next().unwrap_or_default();
            let entries: Vec<Dlopen> = serde_json::from_slice(text)
                .map_err(|e| format!("a .note.dlopen is not the JSON the format says: {e}"))?;
            out.extend(entries);
        }
        at = end.max(at + 12);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A note as `ELF_NOTE_DLOPEN` lays it out (little-endian, 4-aligned).
    pub(crate) fn note(owner: &[u8], kind: u32, desc: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend((owner.len() as u32 + 1).to_le_bytes());
        out.extend((desc.len() as u32).to_le_bytes());
        out.extend(kind.to_le_bytes());
        out.extend(owner);
        out.push(0);
        out.resize(padded(out.len(), 4).unwrap(), 0);
        out.extend(desc);
        out.resize(padded(out.len(), 4).unwrap(), 0);
        out
    }

    const JSON: &[u8] =
        br#"[{"feature":"zstd","description":"compression","priority":"required","soname":["libzstd.so.1"]},{"feature":"lz4","soname":["liblz4.so.1"]}]"#;

    #[test]
    fn dlopen_notes_are_read_and_others_skipped() {
        let mut segment = note(b"GNU", 3, &[1; 20]);
        segment.extend(note(OWNER, NT_FDO_DLOPEN_METADATA, &[JSON, b"\0"].concat()));
        let found = parse(&segment, true, 4).unwrap();
        assert_eq!(found.len(), 2);
        assert!(found[0].required() && found[0].soname == ["libzstd.so.1"]);
        assert!(!found[1].required() && found[1].priority == "recommended");
    }

    /// An in-memory file.
    struct File(Vec<u8>);

    impl Filesystem for File {
        async fn stat(&self, _: &str) -> Result<super::super::FileStat, String> {
            Ok(super::super::FileStat { is_dir: false, mode: 0o644, size: self.0.len() as u64 })
        }
        async fn read_at(&self, _: &str, offset: u64, length: u64) -> Result<Vec<u8>, String> {
            let from = (offset as usize).min(self.0.len());
            Ok(self.0[from..(from + length as usize).min(self.0.len())].to_vec())
        }
        async fn read_dir(&self, _: &str) -> Result<Vec<String>, String> {
            Err("not a directory".into())
        }
    }

    /// An x86-64 shared object with one `PT_NOTE` segment holding `notes`.
    fn elf_with(notes: &[u8]) -> Vec<u8> {
        let mut f = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        f.extend(3u16.to_le_bytes()); // ET_DYN
        f.extend(62u16.to_le_bytes()); // x86-64
        f.extend(1u32.to_le_bytes());
        f.extend(0u64.to_le_bytes()); // entry
        f.extend(64u64.to_le_bytes()); // phoff
        f.extend(0u64.to_le_bytes()); // shoff
        f.extend(0u32.to_le_bytes());
        for half in [64u16, 56, 1, 64, 0, 0] {
            f.extend(half.to_le_bytes());
        }
        f.extend(PT_NOTE.to_le_bytes());
        f.extend(4u32.to_le_bytes()); // PF_R
        for word in [120u64, 120, 120, notes.len() as u64, notes.len() as u64, 4] {
            f.extend(word.to_le_bytes());
        }
        f.extend(notes);
        f
    }

    fn on<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread().build().expect("a runtime").block_on(f)
    }

    #[test]
    fn a_crafted_elf_file_gives_its_dlopen_notes() {
        let mut notes = note(b"GNU", 3, &[7; 20]);
        notes.extend(note(OWNER, NT_FDO_DLOPEN_METADATA, &[JSON, b"\0"].concat()));
        let file = File(elf_with(&notes));
        let found = on(read(&file, "/usr/lib/libx.so.1")).unwrap();
        assert_eq!(
            found.iter().map(|d| (d.priority.as_str(), d.soname[0].as_str())).collect::<Vec<_>>(),
            [("required", "libzstd.so.1"), ("recommended", "liblz4.so.1")]
        );
        // A segment cut short by the end of the file is an error, not a file without notes.
        let cut = File(elf_with(&notes)[..130].to_vec());
        assert!(on(read(&cut, "/x")).unwrap_err().contains("past the end"));
        assert!(on(read(&File(b"#!/bin/sh\n".to_vec()), "/x")).unwrap().is_empty());
        let nameless = File(elf_with(&note(
            OWNER,
            NT_FDO_DLOPEN_METADATA,
            br#"[{"feature":"x","priority":"required","soname":[]}]"#,
        )));
        assert!(on(read(&nameless, "/x")).unwrap_err().contains("the dlopen entry of feature `x` names no soname"));
    }

    #[test]
    fn a_broken_note_is_an_error() {
        let cut = note(OWNER, NT_FDO_DLOPEN_METADATA, JSON);
        assert!(parse(&cut[..cut.len() - 8], true, 4).is_err());
        assert!(parse(&note(OWNER, NT_FDO_DLOPEN_METADATA, b"[{\"soname\": 3}]"), true, 4).is_err());
        assert!(parse(&[1, 0, 0], true, 4).is_err());
    }
}
