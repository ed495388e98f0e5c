//! Spec text → plan in one call, with the diagnostics rendered. Shared by the CLI and the frontend so
//! both report the same diagnostics for the same file.

use crate::diag::Diagnostics;
use crate::plan::{self, Plan, PlanInputs};
use crate::spec;

/// A spec that did not compile, rendered for people: `scratch.yaml:LINE:COL`, the line, a caret, a hint.
#[derive(Debug, thiserror::Error)]
#[error("{rendered}")]
pub struct SpecError {
    pub diagnostics: Diagnostics,
    pub rendered: String,
}

pub struct Compiled {
    pub plan: Plan,
    pub warnings: Diagnostics,
}

/// Loads and plans a spec; `filename` is only used to render diagnostics.
pub fn compile(text: &str, filename: &str, inputs: &PlanInputs) -> Result<Compiled, SpecError> {
    let fail = |d: Diagnostics| SpecError { rendered: d.render(filename, text), diagnostics: d };
    let spec = spec::load(text).map_err(fail)?;
    let (plan, warnings) = plan::plan(&spec, inputs).map_err(fail)?;
    Ok(Compiled { plan, warnings })
}
