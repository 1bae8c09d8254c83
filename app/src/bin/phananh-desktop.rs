//! The desktop app's page of the web app (see the library's documentation).

fn main() {
    phananh_app::start_desktop();
}
