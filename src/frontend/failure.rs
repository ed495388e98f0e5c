//! Why a build stops. The text is the whole message buildx shows, so every source of failure is turned
//! into words here and nowhere else.

use crate::compile::SpecError;
use crate::gateway::GatewayError;
use crate::verify::ReadError;

/// Why the build stops: shown to the user by buildx as the error message.
#[derive(Debug)]
pub struct Failure(pub String);

impl From<GatewayError> for Failure {
    fn from(e: GatewayError) -> Self {
        Failure(e.0)
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
