//! BuildKit's wire types, generated from `proto/` by `build.rs`.
#![allow(clippy::all, missing_docs, non_snake_case)]

pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/pb.rs"));
}
pub mod google {
    pub mod rpc {
        include!(concat!(env!("OUT_DIR"), "/google.rpc.rs"));
    }
}
pub mod moby {
    pub mod buildkit {
        pub mod v1 {
            pub mod apicaps {
                include!(concat!(env!("OUT_DIR"), "/moby.buildkit.v1.apicaps.rs"));
            }
            pub mod types {
                include!(concat!(env!("OUT_DIR"), "/moby.buildkit.v1.types.rs"));
            }
            pub mod frontend {
                include!(concat!(env!("OUT_DIR"), "/moby.buildkit.v1.frontend.rs"));
            }
        }
    }
}
pub mod fsutil {
    pub mod types {
        include!(concat!(env!("OUT_DIR"), "/fsutil.types.rs"));
    }
}

/// Our `proto/` files compiled to a `FileDescriptorSet` (with their imports), for tools and tests that
/// decode the wire bytes independently.
pub const DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptor.bin"));
