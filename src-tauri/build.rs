fn main() {
    // The web app is built into ../app/dist by `make app` (trunk) before this crate; Tauri
    // embeds it at compile time, so say plainly when it is missing.
    let dist = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../app/dist/index.html"));
    if !dist.exists() {
        panic!("app/dist is missing: build the web app first (`make app`)");
    }
    println!("cargo:rerun-if-changed=../app/dist");
    tauri_build::build();
}
