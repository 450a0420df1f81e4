//! The committed header `include/ccsdk.h` is what cbindgen makes of the sources today.
//!
//! Regenerate it with `UPDATE_HEADER=1 cargo test -p cc-ffi --test header` (no cbindgen
//! binary needed: cbindgen is a dev-dependency and runs in this test).

use std::path::Path;

#[test]
fn committed_header_is_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config =
        cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("crates/cc-ffi/cbindgen.toml reads");
    let bindings = cbindgen::Builder::new()
        .with_crate(dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header from crates/cc-ffi/src");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let generated = String::from_utf8(generated).expect("the header is UTF-8");
    let path = dir.join("include/ccsdk.h");
    if std::env::var_os("UPDATE_HEADER").is_some() {
        std::fs::write(&path, &generated).expect("include/ccsdk.h is writable");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()))
            + 1;
        panic!(
            "crates/cc-ffi/include/ccsdk.h is stale (first difference at line {line}); the C API \
             changed. Regenerate it with `UPDATE_HEADER=1 cargo test -p cc-ffi --test header`, review \
             the diff, and commit it (bump CC_ABI_VERSION for an incompatible change)."
        );
    }
}
