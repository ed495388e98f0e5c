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
    /// (`aarch64` → `arm64`, `arm64/v8` → `arm64`, `arm` → `arm/v7`, `x86_64` → `amd64`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.trim().split('/').collect();
        let (os, arch, variant) = match parts.as_slice() {
            [os, arch] => (*os, *arch, None),
            [os, arch, variant] => (*os, *arch, Some(*variant)),
            _ => return Err(format!("`{text}` is not a platform; write it as os/arch[/variant], e.g. linux/arm64")),
        };
        if os.is_empty() || arch.is_empty() || variant == Some("") {
            return Err(format!("`{text}` is not a platform; write it as os/arch[/variant], e.g. linux/arm64"));
        }
        let os = os.to_ascii_lowercase();
        let (architecture, variant) = match (arch.to_ascii_lowercase().as_str(), variant) {
            ("x86_64" | "x86-64", v) => ("amd64".to_string(), v.map(str::to_string)),
            ("aarch64" | "arm64", Some("v8") | None) => ("arm64".to_string(), None),
            ("aarch64", Some(v)) => ("arm64".to_string(), Some(v.to_string())),
            ("arm" | "armhf", None) => ("arm".to_string(), Some("v7".to_string())),
            ("armel", None) => ("arm".to_string(), Some("v6".to_string())),
            ("i386" | "i486" | "i586" | "i686", v) => ("386".to_string(), v.map(str::to_string)),
            (a, v) => (a.to_string(), v.map(str::to_string)),
        };
        Ok(Platform { os, architecture, variant })
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
    fn elf_machines_are_the_ones_binaries_carry() {
        let machine = |p: &str| Platform::parse(p).unwrap().elf_machine();
        assert_eq!(machine("linux/amd64"), Some(62));
        assert_eq!(machine("linux/arm64"), Some(183));
        assert_eq!(machine("linux/arm/v7"), Some(40));
        assert_eq!(machine("linux/386"), Some(3));
        assert_eq!(machine("linux/riscv64"), Some(243));
        assert_eq!(machine("linux/ppc64le"), Some(21));
        assert_eq!(machine("linux/s390x"), Some(22));
        assert_eq!(machine("linux/mips64le"), None);
    }

    #[test]
    fn normalizes_common_spellings() {
        assert_eq!(Platform::parse("linux/aarch64").unwrap().to_string(), "linux/arm64");
        assert_eq!(Platform::parse("linux/arm64/v8").unwrap().to_string(), "linux/arm64");
        assert_eq!(Platform::parse("linux/arm").unwrap().to_string(), "linux/arm/v7");
        assert_eq!(Platform::parse("Linux/x86_64").unwrap().to_string(), "linux/amd64");
        assert!(Platform::parse("linux").is_err());
        assert!(Platform::parse("linux//").is_err());
    }
}
