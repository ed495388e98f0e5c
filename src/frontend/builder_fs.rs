//! The builder's solved output as a [`verify::Filesystem`]: each call is one gateway request.
//!
//! With a probe (see [`crate::lower::probe`]), a path a read holds is read there; only the rest (the
//! libraries of a dynamic binary) touches the builder itself, which on a build whose steps all come from a
//! cache is what makes BuildKit fetch the builder image.

use crate::gateway::Gateway;
use crate::plan::{probe_path, BuilderRead};
use crate::verify::{FileStat, Filesystem};

pub struct BuilderFs<'g, G> {
    gateway: &'g G,
    ref_id: String,
    probe: Option<(String, Vec<BuilderRead>)>,
}

/// Where one path is read: the probe (and whether a miss there is final), or the builder.
enum Route {
    Probe { ref_id: String, path: String, final_answer: bool },
    Builder,
}

impl<'g, G: Gateway> BuilderFs<'g, G> {
    pub fn new(gateway: &'g G, ref_id: &str) -> Self {
        BuilderFs { gateway, ref_id: ref_id.to_string(), probe: None }
    }

    /// Reads what `reads` cover from the solved probe `probe_ref`.
    pub fn with_probe(mut self, probe_ref: &str, reads: Vec<BuilderRead>) -> Self {
        self.probe = Some((probe_ref.to_string(), reads));
        self
    }

    fn route(&self, path: &str) -> Route {
        let Some((ref_id, reads)) = &self.probe else {
            return Route::Builder;
        };
        match probe_path(reads, path, false) {
            // The innermost read holding the path decides: a miss is final only where that read is exhaustive.
            Some(inside) => {
                let final_answer = probe_path(reads, path, true).as_ref() == Some(&inside);
                Route::Probe { ref_id: ref_id.clone(), path: inside, final_answer }
            }
            None => Route::Builder,
        }
    }

    /// `call` on the probe where it holds `path`, else (or on a miss that is not final) on the builder.
    async fn read<T, F, Fut>(&self, path: &str, call: F) -> Result<T, String>
    where
        F: Fn(String, String) -> Fut,
        Fut: std::future::Future<Output = Result<T, String>>,
    {
        if let Route::Probe { ref_id, path: inside, final_answer } = self.route(path) {
            let answer = call(ref_id, inside).await;
            if answer.is_ok() || final_answer {
                return answer;
            }
        }
        call(self.ref_id.clone(), path.to_string()).await
    }
}

impl<G: Gateway> Filesystem for BuilderFs<'_, G> {
    async fn stat(&self, path: &str) -> Result<FileStat, String> {
        self.read(path, |ref_id, path| async move {
            let stat = self.gateway.stat_file(&ref_id, &path).await.map_err(|e| e.message)?;
            Ok(FileStat { is_dir: stat.is_dir(), mode: stat.permissions(), size: u64::try_from(stat.size).unwrap_or(0) })
        })
        .await
    }
    async fn read_at(&self, path: &str, offset: u64, length: u64) -> Result<Vec<u8>, String> {
        self.read(path, |ref_id, path| async move { self.gateway.read_range(&ref_id, &path, offset, length).await.map_err(|e| e.message) }).await
    }
    async fn read_dir(&self, path: &str) -> Result<Vec<String>, String> {
        self.read(path, |ref_id, path| async move { self.gateway.read_dir(&ref_id, &path).await.map_err(|e| e.message) }).await
    }
}
