//! `ccd`: the reference contact-center binary (assembled in a later issue).

fn main() {}
