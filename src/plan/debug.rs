//! `--target` and `debug`: which image is built, and where the debug target takes its shell from.

use super::build::{PlanInputs, Planner};
use super::*;
use crate::diag::Span;
use crate::rules::codes::*;
use crate::spec;

impl Planner {
    pub(super) fn target(&mut self, inputs: &PlanInputs) -> Target {
        match inputs.target.as_deref() {
            None | Some("" | "default") => Target::Default,
            Some("debug") => Target::Debug,
            Some(other) => {
                let names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
                self.error(
                    SK223,
                    Span::new(1, 1, 1),
                    format!("unknown target `{other}`"),
                    format!("the targets are: {}", names.join(", ")),
                );
                Target::Default
            }
        }
    }

    pub(super) fn debug_image(&mut self, spec: &spec::Spec) -> String {
        match spec.debug.as_ref().and_then(|d| d.image.as_ref()) {
            Some(i) => self.image_ref(i, "debug.image").unwrap_or_default(),
            None => DEFAULT_DEBUG_IMAGE.to_string(),
        }
    }
}
