//! Spec text → plan in one call, with the diagnostics rendered. Shared by the CLI and the frontend so
//! both report the same diagnostics for the same file.

use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::plan::{self, Plan, PlanInputs};
use crate::rules::codes::*;
use crate::spec;

/// The largest spec accepted. Checking one costs time and memory in proportion to its size; a real spec
/// is a few KiB.
pub const MAX_SPEC_BYTES: usize = 1 << 20;

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

fn too_large(len: usize) -> Diagnostics {
    let d = Diagnostic::error(
        SK119,
        None,
        format!("the spec is larger than {} KiB ({len} bytes read)", MAX_SPEC_BYTES / 1024),
    )
    .hint("a spec is a few KiB of YAML; is this the right file?");
    Diagnostics::one(d)
}

/// Spec file bytes → text: at most [`MAX_SPEC_BYTES`] (read at most one byte more to know), UTF-8, with
/// the place of the first invalid byte when it is not.
pub fn decode(bytes: &[u8], filename: &str) -> Result<String, SpecError> {
    if bytes.len() > MAX_SPEC_BYTES {
        let d = too_large(bytes.len());
        return Err(SpecError { rendered: d.render(filename, ""), diagnostics: d });
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_string()),
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let column = String::from_utf8_lossy(&valid[line_start..]).chars().count() + 1;
            let d = Diagnostic::error(SK120, Span::new(line, column, 1), "the spec is not valid UTF-8 here")
                .hint("save the file as UTF-8 (a byte of another encoding, such as Latin-1, is not UTF-8)");
            let ds = Diagnostics::one(d);
            Err(SpecError { rendered: ds.render(filename, &String::from_utf8_lossy(bytes)), diagnostics: ds })
        }
    }
}

/// A loading error after which the spec holds everything else that was written: an unknown key.
fn leaves_values_in_place(d: &Diagnostic) -> bool {
    d.is(SK113)
}

/// The bounds every reader of a spec checks before the parser builds anything (`compile`, and
/// `--call outline`, which reads the spec without planning it): the size, and the number of keys and list
/// items, since a spec's memory grows with its values, not its bytes. (The nesting depth and a second
/// document are found by `spec::load`'s own scan.) `text` is without its byte order mark.
pub fn check_limits(text: &str) -> Result<(), Diagnostics> {
    if text.len() > MAX_SPEC_BYTES {
        return Err(too_large(text.len()));
    }
    if let Ok(values) = spec::scan::count(text) {
        if values > spec::scan::MAX_VALUES {
            let d = Diagnostic::error(
                SK121,
                None,
                format!("the spec has more than {} keys and list items ({values})", spec::scan::MAX_VALUES),
            )
            .hint("a spec has a few hundred; is this the right file?");
            return Err(Diagnostics::one(d));
        }
    }
    Ok(())
}

/// Loads and plans a spec; `filename` is only used to render diagnostics. A leading UTF-8 byte order mark
/// is ignored, as YAML allows.
pub fn compile(text: &str, filename: &str, inputs: &PlanInputs) -> Result<Compiled, SpecError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let fail = |d: Diagnostics| SpecError { rendered: d.render(filename, text), diagnostics: d };
    check_limits(text).map_err(fail)?;
    let spec = match spec::load_partial(text) {
        (Some(spec), ds) if !ds.has_errors() => spec,
        (Some(spec), mut ds) if ds.errors().all(leaves_values_in_place) && ds.omitted_errors == 0 => {
            // An unknown key leaves every value the loader read in place: the plan's problems are real
            // ones, and reported in the same run. (After a value of the wrong type, the plan would
            // report it missing a second time.)
            match plan::plan(&spec, inputs) {
                Ok((_, warnings)) => ds.extend(warnings),
                Err(more) => ds.extend(more),
            }
            return Err(fail(ds.sorted()));
        }
        (_, ds) => return Err(fail(ds)),
    };
    let (plan, warnings) = plan::plan(&spec, inputs).map_err(fail)?;
    Ok(Compiled { plan, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "builder: {image: golang:1.23, run: go build -o /out/app .}\ncopy: [/out/app]\n";

    #[test]
    fn a_byte_order_mark_is_ignored() {
        assert!(compile(&format!("\u{feff}{SPEC}"), "scratch.yaml", &PlanInputs::default()).is_ok());
    }

    #[test]
    fn size_and_encoding_are_checked_first() {
        let big = vec![b'#'; MAX_SPEC_BYTES + 1];
        let err = decode(&big, "scratch.yaml").unwrap_err();
        assert!(err.diagnostics.has(SK119), "{}", err.rendered);
        let mut latin1 = SPEC.as_bytes().to_vec();
        latin1.extend(b"# caf\xe9\n");
        let err = decode(&latin1, "scratch.yaml").unwrap_err();
        assert!(err.diagnostics.has(SK120) && err.rendered.contains("--> scratch.yaml:3:6"), "{}", err.rendered);
        assert_eq!(decode(SPEC.as_bytes(), "scratch.yaml").unwrap(), SPEC);
    }
}
