//! OCI platforms (`linux/arm64/v8`): parsing, normalizing and formatting. Neither the spec nor BuildKit
//! specific: both the plan and the LLB lowering use it.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    pub fn linux_amd64() -> Self {
        Platform { os: "linux".into(), architecture: "amd64".into(), variant: None }
    }

    /// Parses `os/arch[/variant]` and normalizes it the way containerd does
    /// (`aarch64` → `arm64`, `arm64/v8` → `arm64`, `arm` → `arm/v7`, `x86_64` → `amd64`). Only Linux and
    /// the architectures (and variants) below are accepted: an image for anything else would be built
    /// from a builder that cannot run there, and checked against no ELF machine.
    pub fn parse(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.trim().split('/').collect();
        let malformed = || format!("`{text}` is not a platform; write it as os/arch[/variant], e.g. linux/arm64");
        let (os, arch, variant) = match parts.as_slice() {
            [os, arch] => (*os, *arch, None),
            [os, arch, variant] => (*os, *arch, Some(*variant)),
            _ => return Err(malformed()),
        };
        if os.is_empty() || arch.is_empty() || variant == Some("") {
            return Err(malformed());
        }
        let os = os.to_ascii_lowercase();
        if os != "linux" {
            return Err(format!("`{text}`: scratchkit builds Linux images only (`linux/<arch>`), not `{os}`"));
        }
        let variant = variant.map(str::to_ascii_lowercase);
        let arch_lower = arch.to_ascii_lowercase();
        let (architecture, variant) = match (arch_lower.as_str(), variant.as_deref()) {
            ("x86_64" | "x86-64" | "amd64", None | Some("v1")) => ("amd64", None),
            ("x86_64" | "x86-64" | "amd64", Some(v @ ("v2" | "v3" | "v4"))) => ("amd64", Some(v)),
            ("aarch64" | "arm64", Some("v8" | "8") | None) => ("arm64", None),
            ("aarch64" | "arm64", Some(v)) if is_arm64_variant(v) => ("arm64", Some(v)),
            ("arm" | "armhf", None) => ("arm", Some("v7")),
            ("armel", None) => ("arm", Some("v6")),
            ("arm", Some("v5" | "5")) => ("arm", Some("v5")),
            ("arm", Some("v6" | "6")) => ("arm", Some("v6")),
            ("arm", Some("v7" | "7")) => ("arm", Some("v7")),
            ("i386" | "i486" | "i586" | "i686" | "386", None) => ("386", None),
            (a @ ("riscv64" | "ppc64le" | "s390x"), None) => (a, None),
            (a, Some(v)) if KNOWN_ARCHITECTURES.contains(&a) => {
                return Err(format!("`{text}`: `{v}` is not a variant of {a}; {}", variants_of(a)));
            }
            _ => {
                return Err(format!(
                    "`{text}`: `{arch}` is not an architecture scratchkit builds for; they are {}",
                    KNOWN_ARCHITECTURES.join(", ")
                ));
            }
        };
        Ok(Platform { os, architecture: architecture.to_string(), variant: variant.map(str::to_string) })
    }

    /// The ELF `e_machine` of this platform's CPU (goblin's constants, the ones `verify` names).
    pub fn elf_machine(&self) -> Option<u16> {
        use goblin::elf::header::{EM_386, EM_AARCH64, EM_ARM, EM_PPC64, EM_RISCV, EM_S390, EM_X86_64};
        Some(match self.architecture.as_str() {
            "amd64" => EM_X86_64,
            "arm64" => EM_AARCH64,
            "arm" => EM_ARM,
            "386" => EM_386,
            "riscv64" => EM_RISCV,
            "ppc64le" => EM_PPC64,
            "s390x" => EM_S390,
            _ => return None,
        })
    }
}

/// Debian's multiarch directory name (`/usr/lib/<triplet>`) for an ELF `e_machine`: where the checks look
/// for a machine's libraries.
pub fn debian_multiarch(machine: u16) -> Option<&'static str> {
    use goblin::elf::header::{EM_386, EM_AARCH64, EM_ARM, EM_PPC64, EM_RISCV, EM_S390, EM_X86_64};
    Some(match machine {
        EM_X86_64 => "x86_64-linux-gnu",
        EM_AARCH64 => "aarch64-linux-gnu",
        EM_ARM => "arm-linux-gnueabihf",
        EM_386 => "i386-linux-gnu",
        EM_RISCV => "riscv64-linux-gnu",
        EM_PPC64 => "powerpc64le-linux-gnu",
        EM_S390 => "s390x-linux-gnu",
        _ => return None,
    })
}

/// The architectures [`Platform::parse`] accepts: those with an ELF machine the checks compare against.
pub const KNOWN_ARCHITECTURES: &[&str] = &["amd64", "arm64", "arm", "386", "riscv64", "ppc64le", "s390x"];

/// `v8.1` … `v8.9`, `v9`, `v9.0` … `v9.5`: the arm64 variants OCI images name.
fn is_arm64_variant(v: &str) -> bool {
    let (major, minor) = v.strip_prefix('v').map_or(("", None), |r| match r.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (r, None),
    });
    matches!(major, "8" | "9") && minor.is_none_or(|m| m.len() == 1 && m.bytes().all(|b| b.is_ascii_digit()))
}

fn variants_of(arch: &str) -> &'static str {
    match arch {
        "amd64" => "amd64 has v1 (the default), v2, v3 and v4",
        "arm64" => "arm64 has v8 (the default), v8.1 … v8.9, v9 and v9.x",
        "arm" => "arm has v5, v6 and v7 (the default)",
        _ => "it has no variants: write it without one",
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_architecture_has_its_elf_machine_and_multiarch_directory() {
        let dirs: Vec<&str> = KNOWN_ARCHITECTURES
            .iter()
            .map(|a| {
                Platform::parse(&format!("linux/{a}"))
                    .unwrap()
                    .elf_machine()
                    .and_then(debian_multiarch)
                    .expect("a machine and a directory")
            })
            .collect();
        assert_eq!(
            dirs,
            [
                "x86_64-linux-gnu",
                "aarch64-linux-gnu",
                "arm-linux-gnueabihf",
                "i386-linux-gnu",
                "riscv64-linux-gnu",
                "powerpc64le-linux-gnu",
                "s390x-linux-gnu"
            ]
        );
        assert_eq!(debian_multiarch(0), None);
    }

    #[test]
    fn elf_machines_are_the_ones_binaries_carry() {
        let machine = |p: &str| Platform::parse(p).unwrap().elf_machine();
        assert_eq!(machine("linux/amd64"), Some(62));
        assert_eq!(machine("linux/arm64"), Some(183));
        assert_eq!(machine("linux/arm/v7"), Some(40));
        assert_eq!(machine("linux/386"), Some(3));
        assert_eq!(machine("linux/riscv64"), Some(243));
        assert_eq!(machine("linux/ppc64le"), Some(21));
        assert_eq!(machine("linux/s390x"), Some(22));
        assert_eq!(Platform { os: "linux".into(), architecture: "mips64le".into(), variant: None }.elf_machine(), None);
    }

    #[test]
    fn normalizes_common_spellings() {
        assert_eq!(Platform::parse("linux/aarch64").unwrap().to_string(), "linux/arm64");
        assert_eq!(Platform::parse("linux/arm64/v8").unwrap().to_string(), "linux/arm64");
        assert_eq!(Platform::parse("linux/arm").unwrap().to_string(), "linux/arm/v7");
        assert_eq!(Platform::parse("Linux/x86_64").unwrap().to_string(), "linux/amd64");
        assert!(Platform::parse("linux").is_err());
        assert!(Platform::parse("linux//").is_err());
        assert_eq!(Platform::parse("linux/amd64/v1").unwrap().to_string(), "linux/amd64");
        assert_eq!(Platform::parse("linux/amd64/v3").unwrap().to_string(), "linux/amd64/v3");
        assert_eq!(Platform::parse("linux/arm/6").unwrap().to_string(), "linux/arm/v6");
        assert_eq!(Platform::parse("linux/arm64/v8.2").unwrap().to_string(), "linux/arm64/v8.2");
        assert_eq!(Platform::parse("linux/i686").unwrap().to_string(), "linux/386");
    }

    #[test]
    fn only_linux_and_known_architectures_and_variants() {
        let err = |p: &str| Platform::parse(p).unwrap_err();
        assert!(err("windows/amd64").contains("Linux images only"), "{}", err("windows/amd64"));
        assert!(err("darwin/arm64").contains("not `darwin`"));
        assert!(err("linux/mips").contains("`mips` is not an architecture"));
        assert!(err("linux/amd64/v9").contains("`v9` is not a variant of amd64"));
        assert!(err("linux/arm/v8").contains("arm has v5, v6 and v7"));
        assert!(err("linux/s390x/v2").contains("has no variants"));
        assert!(err("linux/arm64/v10").contains("not a variant of arm64"));
        for known in KNOWN_ARCHITECTURES {
            assert!(Platform::parse(&format!("linux/{known}")).unwrap().elf_machine().is_some(), "{known}");
        }
    }
}
