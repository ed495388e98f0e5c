//! `rootfs.libraries`, `rootfs.package-metadata`: what the image takes along from the builder besides the copies.

use super::build::Planner;
use super::*;
use crate::rules::codes::*;
use crate::spec;

impl Planner {
    pub(super) fn libraries(&mut self, r: &spec::Rootfs) -> Libraries {
        match &r.libraries {
            None => Libraries::Auto,
            Some(s) => match s.value.as_str() {
                "auto" => Libraries::Auto,
                "none" => Libraries::None,
                other => {
                    self.error(
                        SK235,
                        s.span,
                        format!("`libraries: {other}` is not a choice"),
                        "write `auto` (copy what dynamic binaries need) or `none`",
                    );
                    Libraries::Auto
                }
            },
        }
    }

    /// On with a builder unless turned off; asking for it without a builder is an error.
    pub(super) fn package_metadata(&mut self, spec: &spec::Spec, has_builder: bool) -> bool {
        let package_metadata = has_builder && spec.rootfs.package_metadata.as_ref().is_none_or(|t| t.value);
        if let (None, Some(t)) = (&spec.builder, &spec.rootfs.package_metadata) {
            if t.value {
                self.error(
                    SK236,
                    t.span,
                    "there is no builder to describe packages of",
                    "package metadata lists the builder's Debian packages whose files the image has; remove `package-metadata: true` or add a `builder`",
                );
            }
        }
        package_metadata
    }
}
