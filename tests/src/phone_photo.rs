//! Photos as a 12 MP phone camera makes them: 4000×3000 JPEGs of about 4 MB, carrying EXIF with
//! the camera's make and model and where the photo was taken (GPS). The phone app must scale
//! them down and drop that EXIF before they leave the device; [`jpeg_exif`] and [`dimensions`]
//! check what it sent.

use std::path::Path;

/// A 12 MP phone camera's photo size.
pub const PHONE_CAMERA: (u32, u32) = (4000, 3000);

/// Where the test photos say they were taken: Hoàn Kiếm lake (latitude, longitude).
pub const PHOTO_GPS: (f64, f64) = (crate::HOAN_KIEM.1, crate::HOAN_KIEM.0);

/// The camera the EXIF names.
pub const MAKE: &str = "PhananhTestPhone";
pub const MODEL: &str = "Camera 12MP";

/// The JPEG quality phone cameras use.
const QUALITY: u8 = 92;

/// Writes a phone photo of `width`×`height` to `path` (see [`phone_jpeg`]).
pub fn phone_photo(path: &Path, width: u32, height: u32, shade: u8) {
    std::fs::write(path, phone_jpeg(width, height, shade))
        .unwrap_or_else(|e| panic!("the photo {} is written: {e}", path.display()));
}

/// A phone photo's bytes: a sky-to-street gradient tinted by `shade` with sensor noise on it (so
/// that it is as large as a camera's JPEG, about 4 MB at 4000×3000), and an EXIF block with
/// [`MAKE`], [`MODEL`], orientation 1 and the GPS position [`PHOTO_GPS`], right after the
/// start of the image. `shade` also seeds the noise: two shades give two different photos.
pub fn phone_jpeg(width: u32, height: u32, shade: u8) -> Vec<u8> {
    let mut noise = 0x9E37_79B9_7F4A_7C15_u64 ^ u64::from(shade).wrapping_mul(0x2545_F491_4F6C_DD1D);
    let mut next = move || {
        // xorshift64: fast enough to fill 12 million pixels in a debug build.
        noise ^= noise << 13;
        noise ^= noise >> 7;
        noise ^= noise << 17;
        noise
    };
    let mut pixels = Vec::with_capacity(width as usize * height as usize * 3);
    for y in 0..height {
        let sky = 255 * y / height.max(1);
        for x in 0..width {
            let random = next();
            // Grain of ±8 levels: at this quality it makes a 12 MP photo about 4 MB, as a camera's.
            let grain = |shift: u32| ((random >> shift) & 0xFF) as i32 % 17 - 8;
            let base = [shade as i32, (sky as i32 + x as i32 / 32) % 256, 255 - sky as i32];
            for (channel, value) in base.into_iter().enumerate() {
                pixels.push((value + grain(channel as u32 * 8)).clamp(0, 255) as u8);
            }
        }
    }
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, QUALITY)
        .encode(&pixels, width, height, image::ExtendedColorType::Rgb8)
        .expect("the photo encodes");
    let app1 = exif_segment(MAKE, MODEL, PHOTO_GPS);
    jpeg.splice(2..2, app1);
    jpeg
}

/// An APP1 segment holding EXIF: a big-endian TIFF header, IFD0 with Make, Model, Orientation
/// and a pointer to the GPS IFD, which has the latitude and longitude as degrees, minutes and
/// seconds.
fn exif_segment(make: &str, model: &str, (lat, lon): (f64, f64)) -> Vec<u8> {
    const ASCII: u16 = 2;
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const RATIONAL: u16 = 5;
    const BYTE: u16 = 1;
    // Offsets count from the TIFF header. IFD0 has 4 entries, the GPS IFD 5: 2 + 12n + 4 each.
    let ifd0_at = 8;
    let ifd0_len = 2 + 12 * 4 + 4;
    let make_at = ifd0_at + ifd0_len;
    let model_at = make_at + make.len() + 1;
    let gps_at = model_at + model.len() + 1;
    let gps_len = 2 + 12 * 5 + 4;
    let lat_at = gps_at + gps_len;
    let lon_at = lat_at + 24;

    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    let entry = |tiff: &mut Vec<u8>, tag: u16, kind: u16, count: usize, value: [u8; 4]| {
        tiff.extend_from_slice(&tag.to_be_bytes());
        tiff.extend_from_slice(&kind.to_be_bytes());
        tiff.extend_from_slice(&(count as u32).to_be_bytes());
        tiff.extend_from_slice(&value);
    };
    let offset = |at: usize| (at as u32).to_be_bytes();
    tiff.extend_from_slice(&4u16.to_be_bytes());
    entry(&mut tiff, 0x010F, ASCII, make.len() + 1, offset(make_at));
    entry(&mut tiff, 0x0110, ASCII, model.len() + 1, offset(model_at));
    entry(&mut tiff, 0x0112, SHORT, 1, [0, 1, 0, 0]);
    entry(&mut tiff, 0x8825, LONG, 1, offset(gps_at));
    tiff.extend_from_slice(&[0; 4]); // no next IFD
    for text in [make, model] {
        tiff.extend_from_slice(text.as_bytes());
        tiff.push(0);
    }
    assert_eq!(tiff.len(), gps_at);
    tiff.extend_from_slice(&5u16.to_be_bytes());
    let hemisphere = |positive: bool, yes: u8, no: u8| [if positive { yes } else { no }, 0, 0, 0];
    entry(&mut tiff, 0x0000, BYTE, 4, [2, 3, 0, 0]); // GPSVersionID 2.3
    entry(&mut tiff, 0x0001, ASCII, 2, hemisphere(lat >= 0.0, b'N', b'S'));
    entry(&mut tiff, 0x0002, RATIONAL, 3, offset(lat_at));
    entry(&mut tiff, 0x0003, ASCII, 2, hemisphere(lon >= 0.0, b'E', b'W'));
    entry(&mut tiff, 0x0004, RATIONAL, 3, offset(lon_at));
    tiff.extend_from_slice(&[0; 4]);
    for degrees in [lat.abs(), lon.abs()] {
        // Degrees and minutes whole, seconds in hundredths.
        let minutes = degrees.fract() * 60.0;
        let seconds = (minutes.fract() * 60.0 * 100.0).round() as u32;
        for (numerator, denominator) in [(degrees as u32, 1), (minutes as u32, 1), (seconds, 100)] {
            tiff.extend_from_slice(&u32::to_be_bytes(numerator));
            tiff.extend_from_slice(&u32::to_be_bytes(denominator));
        }
    }
    assert_eq!(tiff.len(), lon_at + 24);

    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    segment.extend_from_slice(b"Exif\0\0");
    segment.extend_from_slice(&tiff);
    segment
}

/// What a photo's EXIF says, as far as these tests look.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Exif {
    pub make: Option<String>,
    pub model: Option<String>,
    pub orientation: Option<u16>,
    /// Latitude and longitude in degrees (south and west negative).
    pub gps: Option<(f64, f64)>,
}

/// The APP1 `Exif` payload (the TIFF data) of a JPEG, if it has one: the segments before the
/// image data are read in order.
fn exif_payload(jpeg: &[u8]) -> Option<&[u8]> {
    if !jpeg.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut at = 2;
    while at + 4 <= jpeg.len() {
        if jpeg[at] != 0xFF {
            return None;
        }
        let marker = jpeg[at + 1];
        if marker == 0xFF {
            at += 1; // fill byte
            continue;
        }
        // Start of scan or end of image: no metadata comes after.
        if marker == 0xDA || marker == 0xD9 {
            return None;
        }
        let length = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        let segment = jpeg.get(at + 4..at + 2 + length)?;
        if marker == 0xE1 && segment.starts_with(b"Exif\0\0") {
            return Some(&segment[6..]);
        }
        at += 2 + length;
    }
    None
}

/// Whether the JPEG carries an EXIF block.
pub fn has_exif(jpeg: &[u8]) -> bool {
    exif_payload(jpeg).is_some()
}

/// The make, model, orientation and GPS position in the JPEG's EXIF, or `None` with no EXIF.
pub fn jpeg_exif(jpeg: &[u8]) -> Option<Exif> {
    let tiff = exif_payload(jpeg)?;
    let big = match tiff.get(..4)? {
        b"MM\0\x2a" => true,
        b"II\x2a\0" => false,
        _ => return Some(Exif::default()),
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = tiff.get(at..at + 2)?.try_into().ok()?;
        Some(if big { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(at..at + 4)?.try_into().ok()?;
        Some(if big { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    };
    // An IFD's entries as (tag, type, count, where the value is).
    let entries = |ifd: usize| -> Vec<(u16, u16, usize, usize)> {
        let count = u16_at(ifd).unwrap_or(0);
        (0..usize::from(count))
            .filter_map(|i| {
                let at = ifd + 2 + 12 * i;
                let (tag, kind, count) = (u16_at(at)?, u16_at(at + 2)?, u32_at(at + 4)? as usize);
                let size = match kind {
                    1 | 2 | 7 => 1,
                    3 => 2,
                    4 | 9 => 4,
                    5 | 10 => 8,
                    _ => return None,
                };
                let value_at = if size * count <= 4 { at + 8 } else { u32_at(at + 8)? as usize };
                Some((tag, kind, count, value_at))
            })
            .collect()
    };
    let text = |at: usize, count: usize| -> Option<String> {
        let bytes = tiff.get(at..at + count)?;
        Some(String::from_utf8_lossy(bytes).trim_end_matches('\0').to_owned())
    };
    let degrees = |at: usize| -> Option<f64> {
        (0..3).try_fold(0.0, |sum, i| {
            let (n, d) = (u32_at(at + 8 * i)?, u32_at(at + 8 * i + 4)?);
            (d != 0).then(|| sum + f64::from(n) / f64::from(d) / 60f64.powi(i as i32))
        })
    };
    let mut exif = Exif::default();
    let mut gps_ifd = None;
    for (tag, _, count, at) in entries(u32_at(4)? as usize) {
        match tag {
            0x010F => exif.make = text(at, count),
            0x0110 => exif.model = text(at, count),
            0x0112 => exif.orientation = u16_at(at),
            0x8825 => gps_ifd = u32_at(at),
            _ => {}
        }
    }
    if let Some(gps) = gps_ifd {
        let (mut lat, mut lon, mut south, mut west) = (None, None, false, false);
        for (tag, _, _, at) in entries(gps as usize) {
            match tag {
                0x0001 => south = tiff.get(at) == Some(&b'S'),
                0x0002 => lat = degrees(at),
                0x0003 => west = tiff.get(at) == Some(&b'W'),
                0x0004 => lon = degrees(at),
                _ => {}
            }
        }
        if let (Some(lat), Some(lon)) = (lat, lon) {
            exif.gps = Some((if south { -lat } else { lat }, if west { -lon } else { lon }));
        }
    }
    Some(exif)
}

/// The width and height of an image, from its header.
pub fn dimensions(bytes: &[u8]) -> (u32, u32) {
    image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .expect("reading from memory")
        .into_dimensions()
        .expect("an image whose size can be read")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_photo_is_12_mp_about_4_mb_and_says_where_it_was_taken() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("IMG_0001.jpg");
        phone_photo(&path, PHONE_CAMERA.0, PHONE_CAMERA.1, 40);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(dimensions(&bytes), (4000, 3000));
        assert!((3_500_000..=5_000_000).contains(&bytes.len()), "{} bytes", bytes.len());
        assert!(has_exif(&bytes));
        let exif = jpeg_exif(&bytes).expect("EXIF");
        assert_eq!(exif.make.as_deref(), Some(MAKE));
        assert_eq!(exif.model.as_deref(), Some(MODEL));
        assert_eq!(exif.orientation, Some(1));
        let (lat, lon) = exif.gps.expect("a GPS position");
        assert!((lat - PHOTO_GPS.0).abs() < 1e-5 && (lon - PHOTO_GPS.1).abs() < 1e-5, "{lat}, {lon}");
        // The image itself decodes, EXIF and all.
        assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 4000);
    }

    #[test]
    fn two_shades_are_two_photos() {
        assert_ne!(phone_jpeg(64, 48, 1), phone_jpeg(64, 48, 2));
        assert_eq!(phone_jpeg(64, 48, 1), phone_jpeg(64, 48, 1));
    }

    #[test]
    fn a_photo_encoded_again_has_no_exif() {
        let original = phone_jpeg(640, 480, 90);
        assert!(has_exif(&original));
        let picture = image::load_from_memory(&original).unwrap();
        let mut again = Vec::new();
        picture.write_to(&mut std::io::Cursor::new(&mut again), image::ImageFormat::Jpeg).unwrap();
        assert!(!has_exif(&again));
        assert_eq!(jpeg_exif(&again), None);
        assert_eq!(dimensions(&again), (640, 480));
    }

    #[test]
    fn little_endian_exif_and_the_southern_hemisphere_are_read_too() {
        // IFD0 with only a GPS pointer; the GPS IFD says 33° 52' 8.4" S, 151° 12' 36" E.
        let mut tiff = b"II\x2a\0\x08\0\0\0".to_vec();
        tiff.extend_from_slice(&1u16.to_le_bytes());
        tiff.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(tiff.len(), 26);
        tiff.extend_from_slice(&4u16.to_le_bytes());
        let gps_data = 26 + 2 + 12 * 4 + 4;
        for (tag, kind, count, value) in [
            (1u16, 2u16, 2u32, u32::from_le_bytes(*b"S\0\0\0")),
            (2, 5, 3, gps_data as u32),
            (3, 2, 2, u32::from_le_bytes(*b"E\0\0\0")),
            (4, 5, 3, gps_data as u32 + 24),
        ] {
            for part in
                [&tag.to_le_bytes()[..], &kind.to_le_bytes(), &count.to_le_bytes(), &value.to_le_bytes()]
            {
                tiff.extend_from_slice(part);
            }
        }
        tiff.extend_from_slice(&[0; 4]);
        for (n, d) in [(33, 1), (52, 1), (84, 10), (151, 1), (12, 1), (36, 1)] {
            tiff.extend_from_slice(&u32::to_le_bytes(n));
            tiff.extend_from_slice(&u32::to_le_bytes(d));
        }
        let mut jpeg = phone_jpeg(16, 16, 0);
        // Replace the big-endian block with this one.
        let old_len = usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]]));
        let mut segment = vec![0xFF, 0xE1];
        segment.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
        segment.extend_from_slice(b"Exif\0\0");
        segment.extend_from_slice(&tiff);
        jpeg.splice(2..4 + old_len, segment);
        let (lat, lon) = jpeg_exif(&jpeg).unwrap().gps.unwrap();
        assert!((lat + 33.869).abs() < 1e-6 && (lon - 151.21).abs() < 1e-6, "{lat}, {lon}");
    }
}
