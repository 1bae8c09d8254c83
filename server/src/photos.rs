//! Photo intake and storage: what an uploaded picture must be, and how it is kept.
//!
//! Residents' photos are evidence for the ward and are shown to the public, so two rules drive
//! this module:
//!
//! - **Only real pictures get in.** An upload is JPEG, PNG or WebP *by its bytes* (magic
//!   numbers; the file name and the Content-Type are the client's word and are ignored), at most
//!   [`MAX_PHOTO_BYTES`], at most [`MAX_PIXELS`] (checked from the header before any pixel buffer
//!   is allocated, so a small file that claims to be 100,000 × 100,000 pixels costs nothing), and
//!   it must decode completely (a cut-off JPEG, which the decoder would fill in grey, is refused).
//! - **Nothing but pixels is published.** Phones write the place (GPS), the device, the owner's
//!   name and more into EXIF/XMP/ICC/comment segments. The copies that are served — `public`
//!   and `thumb` — are JPEGs *re-encoded from the decoded pixels*, so none of that survives,
//!   whatever the container held. The EXIF orientation is applied first so the picture stays
//!   upright once the tag that said how to turn it is gone. The original bytes are kept as
//!   evidence for staff ([`PhotoStore::read_original`]) and must never be served publicly.
//!
//! A photo is addressed by the SHA-256 of its original bytes (its id, 64 lowercase hex
//! characters), so the same picture uploaded twice is stored once. One server keeps its
//! photos in a folder of its data directory; the nodes of a cluster keep them in their
//! PostgreSQL database (one row per photo, the same four parts), so that every node reads
//! every photo and the database's replication and backups carry them with the reports they
//! belong to. In a folder:
//!
//! ```text
//! root/ab/cdef…(62 more hex)/original     the upload, byte for byte (staff only)
//!                           /public.jpg   re-encoded, longest side ≤ 2048 px
//!                           /thumb.jpg    re-encoded, longest side ≤ 320 px
//!                           /meta.json    the StoredPhoto, so a repeat upload skips decoding
//! ```
//!
//! A photo's files are written into a fresh directory under `root/.tmp`, synced, and then the
//! whole directory is renamed into place: a crash leaves either the complete set or nothing (at
//! worst a stray temp directory, removed by the next [`PhotoStore::open`]).
//!
//! Nothing here is async: decoding and encoding are CPU work, so the HTTP layer calls
//! [`PhotoStore::ingest`] from a blocking task.

use std::fs::{self, File};
use std::io::{self, Cursor, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::postgres::Postgres;

/// The largest upload accepted, in bytes. The HTTP layer caps request bodies too, but this is
/// the rule every path into the store goes through (the app checks it before sending).
pub use phananh_shared::report::MAX_PHOTO_BYTES;

/// The most pixels an image may have (width × height), checked before decoding. A 50 MP
/// phone photo (8160 × 6120) fits; a "decompression bomb" — a few kilobytes claiming billions
/// of pixels — does not. Decoding the largest accepted image takes ~150 MB (RGB, 8 bits).
pub const MAX_PIXELS: u64 = 50_000_000;

/// The longest side of the public copy: enough for any screen, far smaller than a camera's.
pub const PUBLIC_MAX_SIDE: u32 = 2048;

/// The longest side of the thumbnail, for lists and map pop-ups.
pub const THUMB_MAX_SIDE: u32 = 320;

/// JPEG quality of the re-encoded copies: visually close to the original at a fraction of the
/// size.
const JPEG_QUALITY: u8 = 85;

/// Temp directories older than this are leftovers of a crash, removed by [`PhotoStore::open`].
/// (A younger one may belong to an ingest still running in another process on the same root.)
const STALE_TEMP_AGE: Duration = Duration::from_secs(3600);

const TEMP_DIR: &str = ".tmp";
const ORIGINAL_FILE: &str = "original";
const PUBLIC_FILE: &str = "public.jpg";
const THUMB_FILE: &str = "thumb.jpg";
const META_FILE: &str = "meta.json";

/// The content type of both served copies.
const JPEG_CONTENT_TYPE: &str = "image/jpeg";

/// The accepted formats, as recognised from an upload's first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PhotoKind {
    Jpeg,
    Png,
    Webp,
}

impl PhotoKind {
    /// Recognises a format by its magic numbers only. Anything else — GIF, SVG, HEIC, text — is
    /// `None`, however it is named or labelled.
    pub fn sniff(bytes: &[u8]) -> Option<PhotoKind> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(PhotoKind::Jpeg)
        } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(PhotoKind::Png)
        } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
            Some(PhotoKind::Webp)
        } else {
            None
        }
    }

    /// The name stored in the database and in `meta.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            PhotoKind::Jpeg => "jpeg",
            PhotoKind::Png => "png",
            PhotoKind::Webp => "webp",
        }
    }

    /// The inverse of [`PhotoKind::as_str`], for reading the database.
    pub fn parse(name: &str) -> Option<PhotoKind> {
        match name {
            "jpeg" => Some(PhotoKind::Jpeg),
            "png" => Some(PhotoKind::Png),
            "webp" => Some(PhotoKind::Webp),
            _ => None,
        }
    }

    /// The MIME type of an original of this kind.
    pub fn content_type(self) -> &'static str {
        match self {
            PhotoKind::Jpeg => "image/jpeg",
            PhotoKind::Png => "image/png",
            PhotoKind::Webp => "image/webp",
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            PhotoKind::Jpeg => ImageFormat::Jpeg,
            PhotoKind::Png => ImageFormat::Png,
            PhotoKind::Webp => ImageFormat::WebP,
        }
    }
}

/// Which served copy to read. There is deliberately no variant for the original: it is read only
/// through [`PhotoStore::read_original`], so a public endpoint cannot reach it by a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoSize {
    /// Re-encoded, metadata-free, longest side ≤ [`PUBLIC_MAX_SIDE`].
    Public,
    /// Re-encoded, metadata-free, longest side ≤ [`THUMB_MAX_SIDE`].
    Thumb,
}

/// What the database records about a stored photo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPhoto {
    /// SHA-256 of the original bytes, 64 lowercase hex characters: the photo's id.
    pub sha256: String,
    /// The format of the original.
    pub kind: PhotoKind,
    /// Size of the original as seen upright (after its EXIF orientation), in pixels. The served
    /// copies have the same aspect ratio, scaled down.
    pub width: u32,
    pub height: u32,
    /// Length of the original, in bytes.
    pub bytes: usize,
}

/// Why an upload was refused, or could not be stored.
///
/// Every variant but [`PhotoError::Io`] is the client's to fix (a 4xx); `Io` is ours (a 500).
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("the photo is {got} bytes; the most accepted is {max}")]
    TooLarge { max: usize, got: usize },
    #[error("the file is not a JPEG, PNG or WebP image")]
    NotAnImage,
    #[error("the image cannot be decoded: {0}")]
    Undecodable(String),
    #[error("the image is {width} × {height} pixels; the most accepted is {max_pixels} pixels")]
    TooManyPixels { width: u32, height: u32, max_pixels: u64 },
    #[error("storing the photo failed: {0}")]
    Io(#[from] io::Error),
}

impl PhotoError {
    /// True when the upload itself is at fault (answer 4xx), false for a failure of ours.
    pub fn is_client_error(&self) -> bool {
        !matches!(self, PhotoError::Io(_))
    }
}

/// True when `id` has the form of a photo id: exactly 64 lowercase hex characters. Anything
/// else (`..`, `/`, uppercase, …) can never name a file under the store's root.
pub fn is_photo_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The parts of a stored photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoPart {
    Original,
    Public,
    Thumb,
    /// The [`StoredPhoto`], in JSON.
    Meta,
}

/// Photos, content-addressed by the SHA-256 of their original bytes (see the module's
/// comment). Its calls block: make them from a blocking task.
#[derive(Clone)]
pub struct PhotoStore {
    files: Files,
}

/// Where a photo's parts are kept.
#[derive(Clone)]
enum Files {
    /// A folder of one server's data directory.
    Folder(PathBuf),
    /// The database a cluster's nodes share.
    Database(Arc<Postgres>),
}

impl PhotoStore {
    /// Opens (creating if missing) the store in the folder `root`, e.g. `<data dir>/photos`,
    /// and removes temp directories a crash left behind.
    pub fn open(root: PathBuf) -> io::Result<PhotoStore> {
        fs::create_dir_all(root.join(TEMP_DIR))?;
        remove_stale_temps(&root)?;
        Ok(PhotoStore { files: Files::Folder(root) })
    }

    /// The store in the database of a cluster.
    pub fn in_database(database: Arc<Postgres>) -> PhotoStore {
        PhotoStore { files: Files::Database(database) }
    }

    /// The folder the store lives in (its tests' stores are folders).
    #[cfg(test)]
    fn root(&self) -> &Path {
        match &self.files {
            Files::Folder(root) => root,
            Files::Database(_) => unreachable!("a test's store is a folder"),
        }
    }

    /// Part `part` of photo `sha256_hex`, if it is stored (and the id well-formed).
    pub fn part(&self, sha256_hex: &str, part: PhotoPart) -> io::Result<Option<Vec<u8>>> {
        if !is_photo_id(sha256_hex) {
            return Ok(None);
        }
        match &self.files {
            Files::Folder(root) => {
                let file = match part {
                    PhotoPart::Original => ORIGINAL_FILE,
                    PhotoPart::Public => PUBLIC_FILE,
                    PhotoPart::Thumb => THUMB_FILE,
                    PhotoPart::Meta => META_FILE,
                };
                read_if_exists(&photo_dir(root, sha256_hex).join(file))
            }
            Files::Database(database) => database.photo_part(sha256_hex, part).map_err(io::Error::other),
        }
    }

    /// Checks, re-encodes and stores one upload; returns what the database records.
    ///
    /// Storing bytes that are already stored does nothing and returns the same [`StoredPhoto`].
    /// Safe to call concurrently, from threads or processes sharing the root.
    pub fn ingest(&self, bytes: &[u8]) -> Result<StoredPhoto, PhotoError> {
        // Cheap checks first: size, then type, before hashing or decoding anything.
        if bytes.len() > MAX_PHOTO_BYTES {
            return Err(PhotoError::TooLarge { max: MAX_PHOTO_BYTES, got: bytes.len() });
        }
        let kind = PhotoKind::sniff(bytes).ok_or(PhotoError::NotAnImage)?;
        let sha256 = sha256_hex(bytes);
        if let Some(stored) = self.stored(&sha256)? {
            return Ok(stored);
        }

        let image = decode_upright(bytes, kind)?;
        let stored =
            StoredPhoto { sha256, kind, width: image.width(), height: image.height(), bytes: bytes.len() };
        let public = shrink_to(&image, PUBLIC_MAX_SIDE);
        let thumb = shrink_to(&public, THUMB_MAX_SIDE);
        let public_jpeg = encode_jpeg(&public)?;
        let thumb_jpeg = encode_jpeg(&thumb)?;
        let meta = serde_json::to_vec(&stored).map_err(io::Error::other)?;

        match &self.files {
            Files::Folder(root) => {
                self.put_in_folder(root, stored, [bytes, &public_jpeg, &thumb_jpeg, &meta])
            }
            Files::Database(database) => {
                // Stored once whoever gets there first: a set stored already is as good.
                database
                    .put_photo(&stored.sha256, [bytes, &public_jpeg, &thumb_jpeg, &meta])
                    .map_err(io::Error::other)?;
                Ok(stored)
            }
        }
    }

    /// Writes a photo's parts (original, public, thumb, meta) into a fresh temp directory,
    /// then moves it into place in one rename.
    fn put_in_folder(
        &self,
        root: &Path,
        stored: StoredPhoto,
        [original, public, thumb, meta]: [&[u8]; 4],
    ) -> Result<StoredPhoto, PhotoError> {
        let temp = fresh_temp_dir(root)?;
        let written = (|| {
            write_synced(&temp.join(ORIGINAL_FILE), original)?;
            write_synced(&temp.join(PUBLIC_FILE), public)?;
            write_synced(&temp.join(THUMB_FILE), thumb)?;
            write_synced(&temp.join(META_FILE), meta)?;
            sync_dir(&temp)
        })();
        if let Err(error) = written {
            let _ = fs::remove_dir_all(&temp);
            return Err(error.into());
        }
        let dir = photo_dir(root, &stored.sha256);
        let prefix = dir.parent().expect("a photo dir has a prefix dir");
        fs::create_dir_all(prefix)?;
        match fs::rename(&temp, &dir) {
            Ok(()) => {
                // Make the new entries durable: the photo in its prefix dir, the prefix in root.
                sync_dir(prefix)?;
                sync_dir(root)?;
                Ok(stored)
            }
            Err(error) => {
                let _ = fs::remove_dir_all(&temp);
                // Another ingest of the same bytes got there first: its set is as good as ours.
                match self.stored(&stored.sha256)? {
                    Some(theirs) => Ok(theirs),
                    None => Err(error.into()),
                }
            }
        }
    }

    /// Removes photo `sha256_hex`'s files (when nothing refers to them any more): moved out of
    /// place in one rename, so that it is either stored whole or not at all, then deleted.
    pub fn remove(&self, sha256_hex: &str) -> io::Result<()> {
        if !is_photo_id(sha256_hex) {
            return Ok(());
        }
        let root = match &self.files {
            Files::Folder(root) => root,
            Files::Database(database) => return database.remove_photo(sha256_hex).map_err(io::Error::other),
        };
        let temp = fresh_temp_dir(root)?;
        let gone = temp.join("removed");
        match fs::rename(photo_dir(root, sha256_hex), &gone) {
            Ok(()) => fs::remove_dir_all(&temp),
            Err(error) if error.kind() == io::ErrorKind::NotFound => fs::remove_dir(&temp),
            Err(error) => {
                let _ = fs::remove_dir(&temp);
                Err(error)
            }
        }
    }

    /// What was recorded when the photo `sha256_hex` was stored, or `None` if it is not stored
    /// (or the id is malformed). For checking a photo id a report refers to.
    pub fn stored(&self, sha256_hex: &str) -> io::Result<Option<StoredPhoto>> {
        if !is_photo_id(sha256_hex) {
            return Ok(None);
        }
        let Some(meta) = self.part(sha256_hex, PhotoPart::Meta)? else {
            return Ok(None);
        };
        let stored: StoredPhoto = serde_json::from_slice(&meta)
            .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?;
        Ok(Some(stored))
    }

    /// A served copy of the photo and its content type, or `None` when the id is malformed or
    /// not stored. Both copies are metadata-free JPEGs, safe to show to anyone.
    pub fn read(&self, sha256_hex: &str, size: PhotoSize) -> io::Result<Option<(Vec<u8>, &'static str)>> {
        if !is_photo_id(sha256_hex) {
            return Ok(None);
        }
        let part = match size {
            PhotoSize::Public => PhotoPart::Public,
            PhotoSize::Thumb => PhotoPart::Thumb,
        };
        Ok(self.part(sha256_hex, part)?.map(|bytes| (bytes, JPEG_CONTENT_TYPE)))
    }

    /// The original upload, byte for byte, with its content type — **for staff only**: it may
    /// carry the reporter's location, device and name in its metadata. Never serve it publicly.
    pub fn read_original(&self, sha256_hex: &str) -> io::Result<Option<(Vec<u8>, &'static str)>> {
        if !is_photo_id(sha256_hex) {
            return Ok(None);
        }
        let Some(bytes) = self.part(sha256_hex, PhotoPart::Original)? else {
            return Ok(None);
        };
        // Only sniffed-and-accepted bytes are ever stored, so the kind is always known.
        let content_type =
            PhotoKind::sniff(&bytes).map_or("application/octet-stream", PhotoKind::content_type);
        Ok(Some((bytes, content_type)))
    }
}

/// `root/ab/cdef…`: two hex characters of fan-out keep directories small. Only called with
/// ids that passed [`is_photo_id`].
fn photo_dir(root: &Path, sha256_hex: &str) -> PathBuf {
    debug_assert!(is_photo_id(sha256_hex));
    root.join(&sha256_hex[..2]).join(&sha256_hex[2..])
}

/// A new, empty, uniquely named directory under `root/.tmp`.
fn fresh_temp_dir(root: &Path) -> io::Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let temps = root.join(TEMP_DIR);
    fs::create_dir_all(&temps)?;
    loop {
        let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_nanos();
        let name = format!("{}-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed), nanos);
        let path = temps.join(name);
        match fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
}

fn remove_stale_temps(root: &Path) -> io::Result<()> {
    let now = SystemTime::now();
    for entry in fs::read_dir(root.join(TEMP_DIR))? {
        let entry = entry?;
        let modified = entry.metadata()?.modified()?;
        if now.duration_since(modified).is_ok_and(|age| age > STALE_TEMP_AGE) {
            let path = entry.path();
            let removed =
                if entry.file_type()?.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
            if let Err(error) = removed {
                tracing::warn!(path = %path.display(), %error, "could not remove a stale photo temp");
            }
        }
    }
    Ok(())
}

/// The checks of [`PhotoStore::ingest`] that need no decoding: the size, the type by its
/// bytes, and the pixel count from the image's header. A decompression bomb (a small file
/// that claims many pixels) is refused here in microseconds.
pub fn check_header(bytes: &[u8]) -> Result<(), PhotoError> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge { max: MAX_PHOTO_BYTES, got: bytes.len() });
    }
    let kind = PhotoKind::sniff(bytes).ok_or(PhotoError::NotAnImage)?;
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), kind.image_format())
        .into_dimensions()
        .map_err(|error| PhotoError::Undecodable(error.to_string()))?;
    check_pixels(width, height)
}

fn check_pixels(width: u32, height: u32) -> Result<(), PhotoError> {
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(PhotoError::TooManyPixels { width, height, max_pixels: MAX_PIXELS });
    }
    Ok(())
}

/// Decodes an upload of a sniffed kind and turns it upright by its EXIF orientation.
fn decode_upright(bytes: &[u8], kind: PhotoKind) -> Result<DynamicImage, PhotoError> {
    let undecodable = |error: image::ImageError| PhotoError::Undecodable(error.to_string());
    // The JPEG decoder fills a cut-off scan with grey instead of failing; a cut-off upload must
    // be refused, not published half grey.
    if kind == PhotoKind::Jpeg && !jpeg_reaches_eoi(bytes) {
        return Err(PhotoError::Undecodable("the JPEG is cut off (it has no end marker)".to_owned()));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), kind.image_format());
    // The decoders' own allocation cap, a backstop to the pixel check below.
    reader.limits(Limits::default());
    // Making the decoder reads only the headers: dimensions are known before any pixel buffer.
    let mut decoder = reader.into_decoder().map_err(undecodable)?;
    let (width, height) = decoder.dimensions();
    check_pixels(width, height)?;
    if width == 0 || height == 0 {
        return Err(PhotoError::Undecodable("the image has no pixels".to_owned()));
    }
    // A damaged EXIF block is no reason to refuse the picture: it is then shown as stored.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(undecodable)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// True when a JPEG's segments, walked from SOI, reach an EOI marker. Segments are skipped by
/// their lengths and scan data up to its next marker (in scan data a 0xFF byte is always
/// followed by 0x00 or a restart marker), so bytes inside metadata, tables or an embedded EXIF
/// thumbnail are never mistaken for the end. Bytes after EOI (some phones append data) are
/// allowed.
fn jpeg_reaches_eoi(bytes: &[u8]) -> bool {
    let mut at = 2; // after SOI, which the sniffing checked
    loop {
        if bytes.get(at) != Some(&0xFF) {
            return false;
        }
        // Any number of 0xFF fill bytes may precede a marker.
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let Some(&marker) = bytes.get(at) else { return false };
        at += 1;
        match marker {
            0xD9 => return true,
            // Stand-alone markers carry no length.
            0x01 | 0xD0..=0xD7 => {}
            0x00 => return false,
            _ => {
                let Some(&[high, low]) = bytes.get(at..at + 2) else { return false };
                let length = usize::from(u16::from_be_bytes([high, low]));
                if length < 2 || at + length > bytes.len() {
                    return false;
                }
                at += length;
                if marker == 0xDA {
                    // Start of scan: skip the entropy-coded data to the next real marker.
                    loop {
                        let Some(offset) = bytes[at..].iter().position(|&b| b == 0xFF) else { return false };
                        at += offset;
                        match bytes.get(at + 1) {
                            None => return false,
                            Some(0x00 | 0xD0..=0xD7) => at += 2,
                            Some(_) => break,
                        }
                    }
                }
            }
        }
    }
}

/// The image scaled down (never up) so its longest side is at most `max_side`, aspect kept.
fn shrink_to(image: &DynamicImage, max_side: u32) -> DynamicImage {
    if image.width().max(image.height()) <= max_side {
        image.clone()
    } else {
        image.resize(max_side, max_side, FilterType::Triangle)
    }
}

/// A baseline JPEG of the pixels alone: no EXIF, XMP, ICC or comment segment is written.
/// Transparent pixels are laid on white (JPEG has no alpha, and dropping it would show whatever
/// colour the transparent pixels happen to hold, often black).
fn encode_jpeg(image: &DynamicImage) -> io::Result<Vec<u8>> {
    let rgb = if image.color().has_alpha() {
        let rgba = image.to_rgba8();
        RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
            let [r, g, b, a] = rgba.get_pixel(x, y).0;
            let over_white =
                |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a)) + 127) / 255) as u8;
            image::Rgb([over_white(r), over_white(g), over_white(b)])
        })
    } else {
        image.to_rgb8()
    };
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY).encode_image(&rgb).map_err(io::Error::other)?;
    Ok(out)
}

fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    Sha256::digest(bytes).iter().fold(String::with_capacity(64), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = File::create_new(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes a directory's entries (files created or renamed into it) durable.
fn sync_dir(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()
}

fn read_if_exists(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgb, Rgba, RgbaImage};

    fn store() -> (tempfile::TempDir, PhotoStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = PhotoStore::open(dir.path().join("photos")).unwrap();
        (dir, store)
    }

    /// A picture with some structure: left half red, right half blue.
    fn two_halves(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(
            width,
            height,
            |x, _| if x < width / 2 { Rgb([220, 20, 20]) } else { Rgb([20, 20, 220]) },
        )
    }

    fn jpeg_of(image: &RgbImage) -> Vec<u8> {
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 90).encode_image(image).unwrap();
        out
    }

    // --- A hand-made EXIF block -------------------------------------------------------------

    const CAMERA_MAKE: &[u8] = b"PhananhTestCam\0";

    /// One TIFF IFD entry (big-endian): tag, type, count, and the value or an offset to it.
    fn entry(out: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value_or_offset: [u8; 4]) {
        out.extend_from_slice(&tag.to_be_bytes());
        out.extend_from_slice(&kind.to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
        out.extend_from_slice(&value_or_offset);
    }

    fn rationals(values: [(u32, u32); 3]) -> Vec<u8> {
        values.iter().flat_map(|(n, d)| n.to_be_bytes().into_iter().chain(d.to_be_bytes())).collect()
    }

    /// A TIFF block ("MM") with IFD0 = { Make, Orientation, GPSInfo → GPS IFD } and a GPS IFD
    /// placing the camera in Hoàn Kiếm (21°1'41" N, 105°51'20" E).
    fn exif_tiff(orientation: u16) -> Vec<u8> {
        const ASCII: u16 = 2;
        const SHORT: u16 = 3;
        const LONG: u16 = 4;
        const RATIONAL: u16 = 5;
        let ifd_len = |n: u32| 2 + 12 * n + 4;
        let ifd0 = 8u32;
        let make_at = ifd0 + ifd_len(3);
        let gps_ifd = make_at + CAMERA_MAKE.len() as u32 + 1; // keep offsets even
        let lat_at = gps_ifd + ifd_len(4);
        let lon_at = lat_at + 24;

        let mut tiff = b"MM\0\x2A".to_vec();
        tiff.extend_from_slice(&ifd0.to_be_bytes());
        tiff.extend_from_slice(&3u16.to_be_bytes());
        entry(&mut tiff, 0x010F, ASCII, CAMERA_MAKE.len() as u32, make_at.to_be_bytes());
        let [o1, o2] = orientation.to_be_bytes();
        entry(&mut tiff, 0x0112, SHORT, 1, [o1, o2, 0, 0]);
        entry(&mut tiff, 0x8825, LONG, 1, gps_ifd.to_be_bytes());
        tiff.extend_from_slice(&0u32.to_be_bytes());
        assert_eq!(tiff.len() as u32, make_at);
        tiff.extend_from_slice(CAMERA_MAKE);
        tiff.push(0);
        assert_eq!(tiff.len() as u32, gps_ifd);
        tiff.extend_from_slice(&4u16.to_be_bytes());
        entry(&mut tiff, 0x0001, ASCII, 2, *b"N\0\0\0");
        entry(&mut tiff, 0x0002, RATIONAL, 3, lat_at.to_be_bytes());
        entry(&mut tiff, 0x0003, ASCII, 2, *b"E\0\0\0");
        entry(&mut tiff, 0x0004, RATIONAL, 3, lon_at.to_be_bytes());
        tiff.extend_from_slice(&0u32.to_be_bytes());
        assert_eq!(tiff.len() as u32, lat_at);
        tiff.extend_from_slice(&rationals([(21, 1), (1, 1), (4100, 100)]));
        tiff.extend_from_slice(&rationals([(105, 1), (51, 1), (2000, 100)]));
        tiff
    }

    /// `jpeg` with an APP1 "Exif\0\0" segment inserted right after its SOI marker.
    fn with_exif(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
        let mut payload = b"Exif\0\0".to_vec();
        payload.extend_from_slice(&exif_tiff(orientation));
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&(payload.len() as u16 + 2).to_be_bytes());
        out.extend_from_slice(&payload);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    /// The marker bytes of a JPEG's segments, from SOI up to the start of the scan.
    fn jpeg_markers(jpeg: &[u8]) -> Vec<u8> {
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "not a JPEG");
        let mut markers = vec![0xD8];
        let mut at = 2;
        loop {
            assert_eq!(jpeg[at], 0xFF, "segment {at} does not start with a marker");
            let marker = jpeg[at + 1];
            markers.push(marker);
            if marker == 0xDA {
                return markers;
            }
            let len = u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]) as usize;
            at += 2 + len;
        }
    }

    fn exif_fields(bytes: &[u8]) -> Option<exif::Exif> {
        exif::Reader::new().read_from_container(&mut Cursor::new(bytes)).ok()
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|window| window == needle)
    }

    /// Asserts a served copy is a JPEG of pixels only: JFIF header, tables, frame, scan.
    fn assert_metadata_free(jpeg: &[u8]) {
        for marker in jpeg_markers(jpeg) {
            let allowed = matches!(marker, 0xD8 | 0xE0 | 0xDB | 0xC4 | 0xC0 | 0xC2 | 0xDD | 0xDA);
            assert!(allowed, "unexpected JPEG segment FF{marker:02X} in a served copy");
        }
        assert!(!contains(jpeg, b"Exif\0\0"), "an Exif block survived");
        assert!(!contains(jpeg, b"PhananhTestCam"), "the camera make survived");
        assert!(exif_fields(jpeg).is_none(), "kamadak-exif still finds EXIF");
    }

    /// A 16 × 8 progressive JPEG (left red, right blue) in 10 scans, made with libjpeg-turbo's
    /// `cjpeg -progressive -quality 75 -optimize`: the `image` crate only writes baseline JPEGs.
    const PROGRESSIVE_JPEG: [u8; 534] = [
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00,
        0x01, 0x00, 0x00, 0xFF, 0xDB, 0x00, 0x43, 0x00, 0x08, 0x06, 0x06, 0x07, 0x06, 0x05, 0x08, 0x07, 0x07,
        0x07, 0x09, 0x09, 0x08, 0x0A, 0x0C, 0x14, 0x0D, 0x0C, 0x0B, 0x0B, 0x0C, 0x19, 0x12, 0x13, 0x0F, 0x14,
        0x1D, 0x1A, 0x1F, 0x1E, 0x1D, 0x1A, 0x1C, 0x1C, 0x20, 0x24, 0x2E, 0x27, 0x20, 0x22, 0x2C, 0x23, 0x1C,
        0x1C, 0x28, 0x37, 0x29, 0x2C, 0x30, 0x31, 0x34, 0x34, 0x34, 0x1F, 0x27, 0x39, 0x3D, 0x38, 0x32, 0x3C,
        0x2E, 0x33, 0x34, 0x32, 0xFF, 0xDB, 0x00, 0x43, 0x01, 0x09, 0x09, 0x09, 0x0C, 0x0B, 0x0C, 0x18, 0x0D,
        0x0D, 0x18, 0x32, 0x21, 0x1C, 0x21, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32,
        0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32,
        0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32, 0x32,
        0x32, 0x32, 0x32, 0x32, 0x32, 0xFF, 0xC2, 0x00, 0x11, 0x08, 0x00, 0x08, 0x00, 0x10, 0x03, 0x01, 0x22,
        0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xFF, 0xC4, 0x00, 0x15, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0xFF, 0xC4, 0x00, 0x15,
        0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x04, 0x05, 0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x10, 0x03, 0x10, 0x00, 0x00, 0x01, 0x8F,
        0x30, 0x75, 0x2F, 0xFF, 0xC4, 0x00, 0x14, 0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x01, 0x05,
        0x02, 0x3F, 0xFF, 0xC4, 0x00, 0x18, 0x11, 0x00, 0x02, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x42, 0x81, 0xC1, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x03,
        0x01, 0x01, 0x3F, 0x01, 0x6F, 0x0B, 0xC3, 0xFF, 0xC4, 0x00, 0x18, 0x11, 0x00, 0x02, 0x03, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x42, 0x81, 0xC1, 0xFF,
        0xDA, 0x00, 0x08, 0x01, 0x02, 0x01, 0x01, 0x3F, 0x01, 0x49, 0x3A, 0xD3, 0xFF, 0xC4, 0x00, 0x14, 0x10,
        0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
        0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x06, 0x3F, 0x02, 0x3F, 0xFF, 0xC4, 0x00, 0x14, 0x10, 0x01,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0xFF,
        0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x01, 0x3F, 0x21, 0x3F, 0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00,
        0x02, 0x00, 0x03, 0x00, 0x00, 0x00, 0x10, 0x7F, 0xFF, 0xC4, 0x00, 0x14, 0x11, 0x01, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xDA, 0x00, 0x08,
        0x01, 0x03, 0x01, 0x01, 0x3F, 0x10, 0x47, 0xFF, 0xC4, 0x00, 0x14, 0x11, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xDA, 0x00, 0x08, 0x01,
        0x02, 0x01, 0x01, 0x3F, 0x10, 0x27, 0xFF, 0xC4, 0x00, 0x14, 0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01,
        0x00, 0x01, 0x3F, 0x10, 0x3F, 0xFF, 0xD9,
    ];

    // --- Tests --------------------------------------------------------------------------------

    #[test]
    fn photos_gps_exif_is_stripped_from_public_copy_and_thumbnail() {
        let (_dir, store) = store();
        let original = with_exif(&jpeg_of(&two_halves(640, 480)), 1);

        // The test input really carries what must not leak.
        let exif = exif_fields(&original).expect("the original carries EXIF");
        assert!(exif.get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY).is_some());
        assert!(exif.get_field(exif::Tag::GPSLongitude, exif::In::PRIMARY).is_some());
        assert!(exif.get_field(exif::Tag::Make, exif::In::PRIMARY).is_some());

        let stored = store.ingest(&original).unwrap();
        assert_eq!(stored.kind, PhotoKind::Jpeg);
        assert_eq!((stored.width, stored.height), (640, 480));
        assert_eq!(stored.bytes, original.len());
        assert_eq!(stored.sha256, sha256_hex(&original));

        let (public, content_type) = store.read(&stored.sha256, PhotoSize::Public).unwrap().unwrap();
        assert_eq!(content_type, "image/jpeg");
        assert_metadata_free(&public);
        let public_image = image::load_from_memory(&public).unwrap();
        assert_eq!((public_image.width(), public_image.height()), (640, 480));

        let (thumb, content_type) = store.read(&stored.sha256, PhotoSize::Thumb).unwrap().unwrap();
        assert_eq!(content_type, "image/jpeg");
        assert_metadata_free(&thumb);
        let thumb_image = image::load_from_memory(&thumb).unwrap();
        assert_eq!((thumb_image.width(), thumb_image.height()), (320, 240));

        // The original is kept as it came, for staff.
        let (kept, content_type) = store.read_original(&stored.sha256).unwrap().unwrap();
        assert_eq!(kept, original);
        assert_eq!(content_type, "image/jpeg");
    }

    #[test]
    fn photos_exif_orientation_6_comes_out_upright() {
        let (_dir, store) = store();
        // Stored 80 × 40 with "rotate 90° clockwise to view": upright it is 40 × 80.
        let original = with_exif(&jpeg_of(&two_halves(80, 40)), 6);
        let stored = store.ingest(&original).unwrap();
        assert_eq!((stored.width, stored.height), (40, 80));

        let (public, _) = store.read(&stored.sha256, PhotoSize::Public).unwrap().unwrap();
        let public = image::load_from_memory(&public).unwrap().to_rgb8();
        assert_eq!(public.dimensions(), (40, 80));
        // The left (red) half, turned clockwise, is now on top; the blue half below.
        let top = public.get_pixel(20, 10).0;
        let bottom = public.get_pixel(20, 70).0;
        assert!(top[0] > 150 && top[2] < 100, "top should be red, is {top:?}");
        assert!(bottom[2] > 150 && bottom[0] < 100, "bottom should be blue, is {bottom:?}");
        assert_metadata_free(&store.read(&stored.sha256, PhotoSize::Thumb).unwrap().unwrap().0);
    }

    #[test]
    fn photos_png_is_accepted_and_transparency_is_laid_on_white() {
        let (_dir, store) = store();
        let image =
            RgbaImage::from_fn(
                300,
                200,
                |x, _| if x < 150 { Rgba([0, 0, 0, 0]) } else { Rgba([0, 128, 0, 255]) },
            );
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(image.as_raw(), 300, 200, image::ExtendedColorType::Rgba8)
            .unwrap();
        let stored = store.ingest(&png).unwrap();
        assert_eq!(stored.kind, PhotoKind::Png);
        assert_eq!((stored.width, stored.height), (300, 200));

        let (public, content_type) = store.read(&stored.sha256, PhotoSize::Public).unwrap().unwrap();
        assert_eq!(content_type, "image/jpeg");
        assert_metadata_free(&public);
        let public = image::load_from_memory(&public).unwrap().to_rgb8();
        let transparent = public.get_pixel(40, 100).0;
        assert!(transparent.iter().all(|&c| c > 240), "transparent should be white, is {transparent:?}");
        assert_eq!(store.read_original(&stored.sha256).unwrap().unwrap(), (png, "image/png"));
    }

    #[test]
    fn photos_webp_is_accepted() {
        let (_dir, store) = store();
        let mut webp = Vec::new();
        image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
            .encode(two_halves(500, 300).as_raw(), 500, 300, image::ExtendedColorType::Rgb8)
            .unwrap();
        let stored = store.ingest(&webp).unwrap();
        assert_eq!(stored.kind, PhotoKind::Webp);
        assert_eq!((stored.width, stored.height), (500, 300));
        let (thumb, _) = store.read(&stored.sha256, PhotoSize::Thumb).unwrap().unwrap();
        let thumb = image::load_from_memory(&thumb).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (320, 192));
    }

    #[test]
    fn photos_large_image_is_scaled_down_for_the_public_copy() {
        let (_dir, store) = store();
        let stored = store.ingest(&jpeg_of(&two_halves(3000, 1000))).unwrap();
        assert_eq!((stored.width, stored.height), (3000, 1000));
        let (public, _) = store.read(&stored.sha256, PhotoSize::Public).unwrap().unwrap();
        let public = image::load_from_memory(&public).unwrap();
        assert_eq!((public.width(), public.height()), (2048, 683));
    }

    #[test]
    fn photos_anything_but_jpeg_png_webp_is_not_an_image() {
        let (dir, store) = store();
        let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
        let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"></svg>";
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
        let inputs: [&[u8]; 6] = [b"hello, ward office", gif, svg, heic, b"", b"\xFF\xD8"];
        for input in inputs {
            let result = store.ingest(input);
            assert!(matches!(result, Err(PhotoError::NotAnImage)), "{input:?} gave {result:?}");
        }
        // A RIFF that is not WebP (a WAV file) is no image either.
        assert!(matches!(store.ingest(b"RIFF\x24\0\0\0WAVEfmt "), Err(PhotoError::NotAnImage)));
        assert_nothing_stored(dir.path());
    }

    #[test]
    fn photos_truncated_or_corrupt_images_are_undecodable() {
        let (dir, store) = store();
        let jpeg = jpeg_of(&two_halves(64, 64));
        // Cut inside the headers: the sniffed type is right, the picture is not there.
        let result = store.ingest(&jpeg[..120]);
        assert!(matches!(result, Err(PhotoError::Undecodable(_))), "{result:?}");
        // A PNG signature followed by garbage.
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend_from_slice(b"not really a png at all");
        let result = store.ingest(&png);
        assert!(matches!(result, Err(PhotoError::Undecodable(_))), "{result:?}");
        let result = store.ingest(b"RIFF\x10\0\0\0WEBPVP8 \x04\0\0\0\0\0\0\0");
        assert!(matches!(result, Err(PhotoError::Undecodable(_))), "{result:?}");

        // Cut inside the picture data, where decoders would fill in grey rather than fail.
        let noisy = RgbImage::from_fn(256, 256, |x, y| Rgb([(x ^ y) as u8, x as u8, (x * y) as u8]));
        let jpeg = jpeg_of(&noisy);
        for cut in [jpeg.len() / 2, jpeg.len() - 2] {
            let result = store.ingest(&jpeg[..cut]);
            assert!(matches!(result, Err(PhotoError::Undecodable(_))), "JPEG cut at {cut}: {result:?}");
        }
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(noisy.as_raw(), 256, 256, image::ExtendedColorType::Rgb8)
            .unwrap();
        let result = store.ingest(&png[..png.len() / 2]);
        assert!(matches!(result, Err(PhotoError::Undecodable(_))), "PNG cut in half: {result:?}");
        let mut webp = Vec::new();
        image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
            .encode(noisy.as_raw(), 256, 256, image::ExtendedColorType::Rgb8)
            .unwrap();
        let result = store.ingest(&webp[..webp.len() / 2]);
        assert!(matches!(result, Err(PhotoError::Undecodable(_))), "WebP cut in half: {result:?}");
        assert_nothing_stored(dir.path());
    }

    #[test]
    fn photos_jpeg_with_data_after_its_end_marker_is_accepted() {
        // Some phones append data after EOI; the picture itself is complete.
        let (_dir, store) = store();
        let mut jpeg = with_exif(&jpeg_of(&two_halves(64, 32)), 1);
        jpeg.extend_from_slice(b"\0\0vendor trailer \xFF\xD8\xFF");
        let stored = store.ingest(&jpeg).unwrap();
        assert_eq!((stored.width, stored.height), (64, 32));
        assert!(jpeg_reaches_eoi(&jpeg_of(&two_halves(8, 8))));
        // An EOI inside a segment (here a comment) does not count as the end of the picture.
        let mut fake_end = jpeg_of(&two_halves(64, 64));
        let comment = [0xFF, 0xFE, 0x00, 0x04, 0xFF, 0xD9];
        fake_end.splice(2..2, comment);
        let cut = fake_end.len() / 2;
        assert!(!jpeg_reaches_eoi(&fake_end[..cut]));
    }

    #[test]
    fn photos_progressive_jpeg_is_accepted_and_its_cut_refused() {
        let (_dir, store) = store();
        let stored = store.ingest(&PROGRESSIVE_JPEG).unwrap();
        assert_eq!((stored.width, stored.height), (16, 8));
        let (public, _) = store.read(&stored.sha256, PhotoSize::Public).unwrap().unwrap();
        let public = image::load_from_memory(&public).unwrap().to_rgb8();
        let left = public.get_pixel(2, 4).0;
        assert!(left[0] > 150 && left[2] < 100, "left should be red, is {left:?}");
        // Cut after a few of its scans: the decoder would show a blurry picture; it is refused.
        let result = store.ingest(&PROGRESSIVE_JPEG[..PROGRESSIVE_JPEG.len() * 2 / 3]);
        assert!(matches!(result, Err(PhotoError::Undecodable(_))), "{result:?}");
    }

    #[test]
    fn photos_over_10_mb_is_too_large() {
        let (_dir, store) = store();
        let mut big = jpeg_of(&two_halves(16, 16));
        big.resize(11 * 1024 * 1024, 0);
        match store.ingest(&big) {
            Err(PhotoError::TooLarge { max, got }) => {
                assert_eq!(max, MAX_PHOTO_BYTES);
                assert_eq!(got, 11 * 1024 * 1024);
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }

    #[test]
    fn photos_decompression_bomb_is_refused_from_its_header() {
        let (dir, store) = store();
        // A 100,000 × 100,000 RGB PNG header (30 GB of pixels) in under a hundred bytes.
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&100_000u32.to_be_bytes());
        ihdr.extend_from_slice(&100_000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8 bits, RGB, deflate, adaptive, no interlace
        png_chunk(&mut png, b"IHDR", &ihdr);
        png_chunk(&mut png, b"IDAT", &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        png_chunk(&mut png, b"IEND", &[]);
        match store.ingest(&png) {
            Err(PhotoError::TooManyPixels { width: 100_000, height: 100_000, max_pixels: MAX_PIXELS }) => {}
            other => panic!("expected TooManyPixels, got {other:?}"),
        }
        assert_nothing_stored(dir.path());
    }

    #[test]
    fn photos_same_bytes_twice_are_stored_once() {
        let (dir, store) = store();
        let bytes = jpeg_of(&two_halves(100, 50));
        let first = store.ingest(&bytes).unwrap();
        let second = store.ingest(&bytes).unwrap();
        assert_eq!(first, second);
        // A store opened afresh on the same root finds it too.
        let reopened = PhotoStore::open(store.root().to_owned()).unwrap();
        assert_eq!(reopened.ingest(&bytes).unwrap(), first);
        assert_eq!(reopened.stored(&first.sha256).unwrap(), Some(first.clone()));

        let photos = dir.path().join("photos");
        let prefixes: Vec<_> = fs::read_dir(&photos)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter(|name| name != TEMP_DIR)
            .collect();
        assert_eq!(prefixes, [first.sha256[..2].to_owned()]);
        let photo_dir = photos.join(&first.sha256[..2]).join(&first.sha256[2..]);
        let mut files: Vec<_> = fs::read_dir(&photo_dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        assert_eq!(files, ["meta.json", "original", "public.jpg", "thumb.jpg"]);
        assert_eq!(fs::read_dir(photos.join(TEMP_DIR)).unwrap().count(), 0, "temp dirs were left behind");
    }

    #[test]
    fn photos_concurrent_ingests_of_the_same_bytes_agree() {
        let (_dir, store) = store();
        let bytes = jpeg_of(&two_halves(200, 100));
        let results: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8).map(|_| scope.spawn(|| store.ingest(&bytes).unwrap())).collect();
            handles.into_iter().map(|handle| handle.join().unwrap()).collect()
        });
        assert!(results.windows(2).all(|pair| pair[0] == pair[1]));
        assert_eq!(fs::read_dir(store.root().join(TEMP_DIR)).unwrap().count(), 0);
    }

    #[test]
    fn photos_read_refuses_malformed_ids() {
        let (dir, store) = store();
        fs::write(dir.path().join("secret"), b"not for you").unwrap();
        let stored = store.ingest(&jpeg_of(&two_halves(20, 20))).unwrap();
        let bad = [
            "../etc/passwd",
            "../../secret",
            "..",
            "",
            "/etc/passwd",
            &stored.sha256[..63],
            &format!("{}0", stored.sha256),
            &stored.sha256.to_uppercase(),
            &format!("{}/../../../secret", &stored.sha256[..2]),
            "zz00000000000000000000000000000000000000000000000000000000000000",
        ];
        for id in bad {
            assert!(!is_photo_id(id), "{id:?}");
            assert_eq!(store.read(id, PhotoSize::Public).unwrap(), None, "{id:?}");
            assert_eq!(store.read(id, PhotoSize::Thumb).unwrap(), None, "{id:?}");
            assert_eq!(store.read_original(id).unwrap(), None, "{id:?}");
            assert_eq!(store.stored(id).unwrap(), None, "{id:?}");
        }
        // A well-formed id that is not stored is simply absent.
        let unknown = "0".repeat(64);
        assert!(is_photo_id(&unknown));
        assert_eq!(store.read(&unknown, PhotoSize::Public).unwrap(), None);
        assert!(store.read(&stored.sha256, PhotoSize::Public).unwrap().is_some());
    }

    #[test]
    fn photos_kinds_are_sniffed_from_bytes() {
        assert_eq!(PhotoKind::sniff(b"\xFF\xD8\xFF\xE0rest"), Some(PhotoKind::Jpeg));
        assert_eq!(PhotoKind::sniff(b"\x89PNG\r\n\x1a\nrest"), Some(PhotoKind::Png));
        assert_eq!(PhotoKind::sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(PhotoKind::Webp));
        assert_eq!(PhotoKind::sniff(b"RIFF\0\0\0\0WEB"), None);
        assert_eq!(PhotoKind::sniff(b"GIF87a"), None);
        for kind in [PhotoKind::Jpeg, PhotoKind::Png, PhotoKind::Webp] {
            assert_eq!(PhotoKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn photos_stale_temp_dirs_are_removed_on_open() {
        let (dir, store) = store();
        let stale = store.root().join(TEMP_DIR).join("crashed");
        fs::create_dir(&stale).unwrap();
        fs::write(stale.join("original"), b"half").unwrap();
        let old = SystemTime::now() - 2 * STALE_TEMP_AGE;
        File::open(&stale).unwrap().set_modified(old).unwrap();
        let fresh = store.root().join(TEMP_DIR).join("running");
        fs::create_dir(&fresh).unwrap();
        PhotoStore::open(dir.path().join("photos")).unwrap();
        assert!(!stale.exists());
        assert!(fresh.exists(), "a young temp dir may belong to a running ingest");
    }

    /// Nothing but the (empty) temp directory exists under the store's root.
    fn assert_nothing_stored(data_dir: &Path) {
        let photos = data_dir.join("photos");
        let names: Vec<_> = fs::read_dir(&photos).unwrap().map(|entry| entry.unwrap().file_name()).collect();
        assert_eq!(names, [TEMP_DIR]);
        assert_eq!(fs::read_dir(photos.join(TEMP_DIR)).unwrap().count(), 0);
    }
}
