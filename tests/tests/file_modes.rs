//! The data directory is the server's user's alone (issue 22, item 11): residents' phone
//! numbers, secrets' hashes and original photos are in it. The directory is 0700, the
//! database with its -wal and -shm files and every photo 0600; an older install's looser
//! modes are tightened at start, and the log says so.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use phananh_tests::phone_photo::phone_jpeg;
use phananh_tests::{ResidentDevice, TestServer, create_api_key};
use reqwest::StatusCode;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

/// Every file and directory under `dir`, with its mode.
fn modes_under(dir: &Path) -> Vec<(String, bool, u32)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let is_dir = path.is_dir();
        found.push((path.display().to_string(), is_dir, mode(&path)));
        if is_dir {
            found.extend(modes_under(&path));
        }
    }
    found
}

#[test]
fn a_new_data_directory_is_private() {
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    // Any command that opens the store makes the directory: here an administrator's.
    create_api_key(&data, "Ứng dụng thử nghiệm");
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("phananh.db")), 0o600);
}

#[test]
fn a_served_data_directory_and_its_photos_are_private_and_old_ones_are_tightened() {
    let data = tempfile::tempdir().unwrap();
    // An install from before: its directory and database readable by everyone.
    create_api_key(data.path(), "Ứng dụng thử nghiệm");
    std::fs::set_permissions(data.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(data.path().join("phananh.db"), std::fs::Permissions::from_mode(0o644)).unwrap();

    let server = TestServer::start_in(data.path(), &[]);
    let resident = ResidentDevice::register(&server);
    let photo = resident.upload_photo(phone_jpeg(64, 48, 90));
    assert_eq!(photo.status(), StatusCode::CREATED);

    assert_eq!(mode(data.path()), 0o700);
    for file in ["phananh.db", "phananh.db-wal", "phananh.db-shm"] {
        assert_eq!(mode(&data.path().join(file)), 0o600, "{file}");
    }
    let photos = modes_under(&data.path().join("photos"));
    assert!(photos.iter().any(|(_, is_dir, _)| !is_dir), "the photo's files: {photos:?}");
    for (path, is_dir, mode) in photos {
        assert_eq!(mode, if is_dir { 0o700 } else { 0o600 }, "{path}");
    }
    let log = server.log();
    let tightened: Vec<&str> = log.lines().filter(|line| line.contains("made private")).collect();
    assert!(tightened.iter().any(|line| line.contains("755")), "{log}");
    assert!(tightened.iter().any(|line| line.contains("644")), "{log}");
}
