//! Why a build stops. The text is the whole message buildx shows, so every source of failure is turned
//! into words here and nowhere else.

use crate::compile::SpecError;
use crate::gateway::GatewayError;
use crate::verify::ReadError;

/// Why the build stops: shown to the user by buildx as the error message.
#[derive(Debug)]
pub struct Failure(pub String);

/// A failure, with BuildKit's error details when BuildKit's own work failed (a builder `RUN`): buildx
/// shows those as it does for a Dockerfile (the failing step, its spec lines, the exit code).
#[derive(Debug)]
pub struct Failed {
    pub message: String,
    pub details: Vec<prost_types::Any>,
}

impl From<Failure> for Failed {
    fn from(f: Failure) -> Self {
        Failed { message: f.0, details: Vec::new() }
    }
}

impl From<SpecError> for Failed {
    fn from(e: SpecError) -> Self {
        Failure::from(e).into()
    }
}

impl From<ReadError> for Failed {
    fn from(e: ReadError) -> Self {
        Failure::from(e).into()
    }
}

impl From<GatewayError> for Failed {
    fn from(e: GatewayError) -> Self {
        Failed { message: e.message, details: e.details }
    }
}

impl From<GatewayError> for Failure {
    fn from(e: GatewayError) -> Self {
        Failure(e.message)
    }
}

impl From<SpecError> for Failure {
    fn from(e: SpecError) -> Self {
        Failure(e.rendered)
    }
}

impl From<ReadError> for Failure {
    fn from(e: ReadError) -> Self {
        Failure(format!("cannot check the builder's output: {}", e.0))
    }
}
