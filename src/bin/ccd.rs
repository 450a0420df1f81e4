//! `ccd`, the reference contact-center binary (a stub until cc-center assembles the layers).

fn main() {}
