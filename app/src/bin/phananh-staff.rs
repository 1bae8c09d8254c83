//! The ward and city staff's page of the web app (see the library's documentation).

fn main() {
    phananh_app::start(phananh_app::shell::Bundle::STAFF);
}
