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

    /// The ELF machine name of this platform's CPU, as goblin reports it (`e_machine`).
    pub fn elf_machine(&self) -> Option<u16> {
        Some(match self.architecture.as_str() {
            "amd64" => 62,    // EM_X86_64
            "arm64" => 183,   // EM_AARCH64
            "arm" => 40,      // EM_ARM
            "386" => 3,       // EM_386
            "riscv64" => 243, // EM_RISCV
            "ppc64le" => 21,  // EM_PPC64
            "s390x" => 22,    // EM_S390
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
    fn normalizes_common_spellings() {
        assert_eq!(Platform::parse("linux/aarch64").unwrap().to_string(), "linux/arm64");
        assert_eq!(Platform::parse("linux/arm64/v8").unwrap().to_string(), "linux/arm64");
        assert_eq!(Platform::parse("linux/arm").unwrap().to_string(), "linux/arm/v7");
        assert_eq!(Platform::parse("Linux/x86_64").unwrap().to_string(), "linux/amd64");
        assert!(Platform::parse("linux").is_err());
        assert!(Platform::parse("linux//").is_err());
    }
}
