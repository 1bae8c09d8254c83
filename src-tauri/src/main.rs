//! The phananh desktop shell. Built out by the desktop issue (Tauri 2 around `app/`); for now
//! it only proves the shared crate links into it.

fn main() {
    println!("phananh desktop: not built yet (see the desktop issue)");
}
