//! The version `polycart --version` prints and exported spans carry: the package
//! version and the git revision it was built from (`build.rs`).

/// The git revision (`unknown` outside a checkout, `-dirty` with local changes).
pub const GIT_REVISION: &str = env!("POLYCART_GIT_REVISION");

/// `0.1.0 (3f2a9c1d7e4b)`.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("POLYCART_GIT_REVISION"),
    ")"
);
