//! The resident's page of the web app (see the library's documentation).

fn main() {
    phananh_app::start(phananh_app::shell::Bundle::RESIDENT);
}
