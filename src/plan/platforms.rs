//! `platforms`: what the image is built for.

use super::build::{PlanInputs, Planner};
use crate::diag::Diagnostic;
use crate::platform::Platform;
use crate::rules::codes::*;
use crate::spec::{self};

impl Planner {
    pub(super) fn platforms(&mut self, spec: &spec::Spec, inputs: &PlanInputs) -> Vec<Platform> {
        if !inputs.platforms.is_empty() {
            // `--platform linux/amd64,linux/amd64`: built once, as a repeat in the spec is.
            let mut out: Vec<Platform> = Vec::new();
            for p in &inputs.platforms {
                if out.contains(p) {
                    self.diags.push(
                        Diagnostic::warning(SK237, None, format!("platform `{p}` is requested twice"))
                            .hint("it is built once; remove the repeat from `--platform`"),
                    );
                } else {
                    out.push(p.clone());
                }
            }
            return out;
        }
        let mut out = Vec::new();
        for p in &spec.platforms {
            match Platform::parse(&p.value) {
                Ok(pl) if !out.contains(&pl) => out.push(pl),
                Ok(pl) => self.warn(
                    SK238,
                    p.span,
                    format!("platform `{pl}` is listed twice"),
                    "it is built once; remove the repeat",
                ),
                Err(why) => self.error(SK239, p.span, why, "e.g. `platforms: [linux/amd64, linux/arm64]`"),
            }
        }
        if out.is_empty() {
            out.push(inputs.default_platform.clone().unwrap_or_else(Platform::linux_amd64));
        }
        out
    }
}
