//! `ccd`: the reference contact-center daemon.
fn main() {}
