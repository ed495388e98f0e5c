//! Build-time checks of what the builder produced, read through the gateway before the final image is
//! assembled: failures other tools leave to `docker run` become errors that point into the spec.

use crate::diag::{Diagnostic, Diagnostics};
use crate::gateway::frontend::Failure;
use crate::gateway::Gateway;
use crate::plan::{Piece, Plan, Source, Zones, CA_BUNDLE, ZONEINFO};
use crate::platform::Platform;

/// Checks the builder's filesystem (`builder_ref`, already solved) against the plan.
pub async fn builder_output<G: Gateway>(g: &mut G, builder_ref: &str, plan: &Plan, _platform: &Platform) -> Result<Diagnostics, Failure> {
    let mut ds = Diagnostics::default();
    let Some(builder) = &plan.builder else { return Ok(ds) };
    // The solve is lazy: this first stat runs the build, so its error is the build's own failure.
    g.stat_file(builder_ref, ".").await?;

    for copy in &plan.copies {
        let Source::Builder(path) = &copy.from else { continue };
        let stat = match g.stat_file(builder_ref, path.as_str()).await {
            Ok(s) => s,
            Err(_) => {
                ds.push(
                    Diagnostic::error(copy.span, format!("`{path}` does not exist in the builder after `run`"))
                        .hint("check the path the build writes to (for Go: `go build -o /out/app .`)"),
                );
                continue;
            }
        };
        let is_entrypoint = plan.image.entrypoint.as_ref().or(plan.image.cmd.as_ref()).and_then(|e| e.first()).is_some_and(|e| e == copy.dest.as_str());
        if is_entrypoint {
            let mode = copy.mode.map_or(stat.permissions(), |m| m.bits());
            if stat.is_dir() {
                ds.push(Diagnostic::error(plan.image.entrypoint_span, format!("entrypoint `{}` is a directory in the builder", copy.dest)).hint("point the entrypoint at the binary inside it"));
            } else if mode & 0o111 == 0 {
                ds.push(
                    Diagnostic::error(plan.image.entrypoint_span, format!("entrypoint `{}` is not executable (mode {:04o})", copy.dest, mode))
                        .hint("give its copy entry `mode: \"0755\"`"),
                );
            }
        }
    }

    for piece in &plan.rootfs {
        match piece {
            Piece::CaCertificates(Source::Builder(path)) => {
                if g.stat_file(builder_ref, path.as_str()).await.is_err() {
                    let hint = if path.as_str() == CA_BUNDLE {
                        "install the CA bundle in the builder (Debian/Ubuntu: `apt-get install ca-certificates`, Alpine: `apk add ca-certificates`), or set `rootfs.ca-certificates: false`"
                    } else {
                        "check the path, or set `rootfs.ca-certificates: false`"
                    };
                    ds.push(Diagnostic::error(builder.image_span, format!("the builder image has no CA bundle at `{path}`")).hint(hint));
                }
            }
            Piece::Timezones(Zones::All) => {
                if g.stat_file(builder_ref, ZONEINFO).await.is_err() {
                    ds.push(
                        Diagnostic::error(builder.image_span, format!("the builder image has no time zone database at `{ZONEINFO}`"))
                            .hint("install `tzdata` in the builder, or set `rootfs.timezones: none`"),
                    );
                }
            }
            Piece::Timezones(Zones::Only(names)) => {
                for name in names {
                    if g.stat_file(builder_ref, &format!("{ZONEINFO}/{name}")).await.is_err() {
                        ds.push(
                            Diagnostic::error(builder.image_span, format!("time zone `{name}` is not in the builder's `{ZONEINFO}`"))
                                .hint("check the spelling (e.g. `Europe/Amsterdam`), or install `tzdata` in the builder"),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    Ok(ds)
}
