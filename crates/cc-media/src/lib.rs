//! # cc-media: what callers hear and what the center records
//!
//! - [`codec`]: the [`Codec`] trait and G.711 µ-law/A-law, bit-exact with ITU-T G.191;
//! - [`wav`]: 8 kHz mono 16-bit WAV in and out;
//! - [`g711_cli`]: the logic of the `g711` command-line tool (`examples/g711.rs`).
//!
//! Nothing here panics on input: bad packets, files and arguments give an [`Error`].

pub mod codec;
mod error;
pub mod g711_cli;
pub mod wav;

pub use codec::{Codec, G711, Law};
pub use error::{Error, Result};
