fn main() {
    // The web app is built into ../app/dist by `make app` (trunk) before this crate; Tauri
    // embeds it at compile time, so say plainly when it is missing.
    // The crate's folder as cargo gives it to this run, not as it was when this script was
    // compiled: a build script compiled for another checkout can be reused for this one.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dist = std::path::Path::new(&manifest).join("../app/dist/index.html");
    if !dist.exists() {
        panic!("app/dist is missing: build the web app first (`make app`)");
    }
    println!("cargo:rerun-if-changed=../app/dist");
    tauri_build::build();
}
