fn main() {
    // The web app's desktop page is built into ../app/dist-desktop by `make app-desktop`
    // (trunk) before this crate; Tauri embeds it at compile time, so say plainly when it is
    // missing.
    // The crate's folder as cargo gives it to this run, not as it was when this script was
    // compiled: a build script compiled for another checkout can be reused for this one.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dist = std::path::Path::new(&manifest).join("../app/dist-desktop/index.html");
    if !dist.exists() {
        panic!("app/dist-desktop is missing: build the desktop page first (`make app-desktop`)");
    }
    println!("cargo:rerun-if-changed=../app/dist-desktop");
    tauri_build::build();
}
