//! A street-tile server on loopback for the map tests: it answers `GET /{z}/{x}/{y}.png` with a
//! 256×256 PNG it draws itself (a light background, a grid every 32 px, a dark border and the
//! tile's z, x and y in digits), so no test ever reaches a real tile server, and a screenshot
//! shows which tile is where. It keeps a log of the tiles asked for.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// The side of a tile, in pixels.
pub const TILE_SIZE: u32 = 256;

/// The deepest zoom served (OpenStreetMap's standard layer stops at 19).
pub const MAX_ZOOM: u8 = 22;

/// A tile: zoom, column, row.
pub type Tile = (u8, u32, u32);

/// A running tile server, stopped on drop.
pub struct TileServer {
    port: u16,
    log: Arc<Mutex<Vec<Tile>>>,
    stopping: Arc<AtomicBool>,
    accepting: Option<JoinHandle<()>>,
}

impl TileServer {
    /// Starts serving on 127.0.0.1, on a free port.
    pub fn start() -> TileServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("bound").port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stopping = Arc::new(AtomicBool::new(false));
        let accepting = {
            let (log, stopping) = (Arc::clone(&log), Arc::clone(&stopping));
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stopping.load(Ordering::SeqCst) {
                        break; // the listener closes here: the port refuses from now on
                    }
                    let Ok(stream) = stream else { continue };
                    let log = Arc::clone(&log);
                    std::thread::spawn(move || answer(stream, &log));
                }
            })
        };
        TileServer { port, log, stopping, accepting: Some(accepting) }
    }

    /// The URL template a map takes: `http://127.0.0.1:PORT/{z}/{x}/{y}.png`.
    pub fn template(&self) -> String {
        format!("http://127.0.0.1:{}/{{z}}/{{x}}/{{y}}.png", self.port)
    }

    /// The tiles asked for so far (well-formed requests only), in order.
    pub fn requests(&self) -> Vec<Tile> {
        self.log.lock().expect("not poisoned").clone()
    }

    /// Forgets the requests so far.
    pub fn clear(&self) {
        self.log.lock().expect("not poisoned").clear();
    }

    /// Stops listening: from now on a browser's tile request is refused, as with no signal.
    pub fn stop(&mut self) {
        if let Some(accepting) = self.accepting.take() {
            self.stopping.store(true, Ordering::SeqCst);
            // Wakes the accepting thread, which then closes the listener.
            let _ = TcpStream::connect(("127.0.0.1", self.port));
            let _ = accepting.join();
        }
    }
}

impl Drop for TileServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Answers one connection's one request, then closes it.
fn answer(mut stream: TcpStream, log: &Mutex<Vec<Tile>>) {
    let mut request_line = String::new();
    let mut reader = BufReader::new(&stream);
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // The headers, read to their end before answering.
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
        line.clear();
    }
    let mut words = request_line.split_whitespace();
    let tile = match (words.next(), words.next()) {
        (Some("GET"), Some(path)) => parse_tile_path(path),
        _ => None,
    };
    let (status, body) = match tile {
        Some(tile) => {
            log.lock().expect("not poisoned").push(tile);
            ("200 OK", draw_tile(tile))
        }
        None => ("404 Not Found", Vec::new()),
    };
    let content_type = if tile.is_some() { "image/png" } else { "text/plain" };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Access-Control-Allow-Origin: *\r\nCache-Control: max-age=86400\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body));
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
}

/// `/{z}/{x}/{y}.png` with `x` and `y` within the zoom's 2^z columns and rows.
fn parse_tile_path(path: &str) -> Option<Tile> {
    let mut parts = path.strip_prefix('/')?.strip_suffix(".png")?.split('/');
    let number = |part: Option<&str>| -> Option<u32> {
        let part = part?;
        // Digits only: no sign, no spaces, no "0x".
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (z, x, y) = (number(parts.next())?, number(parts.next())?, number(parts.next())?);
    if parts.next().is_some() || z > u32::from(MAX_ZOOM) {
        return None;
    }
    let side = 1u32 << z;
    (x < side && y < side).then_some((z as u8, x, y))
}

/// The tile's picture as a PNG.
pub fn draw_tile((z, x, y): Tile) -> Vec<u8> {
    let paper = image::Rgb([242, 239, 233]);
    let grid = image::Rgb([205, 200, 190]);
    let ink = image::Rgb([60, 60, 70]);
    let mut picture = image::RgbImage::from_pixel(TILE_SIZE, TILE_SIZE, paper);
    for (px, py, pixel) in picture.enumerate_pixels_mut() {
        let border = px < 2 || py < 2 || px >= TILE_SIZE - 2 || py >= TILE_SIZE - 2;
        if border {
            *pixel = ink;
        } else if px % 32 == 0 || py % 32 == 0 {
            *pixel = grid;
        }
    }
    // "z", "x" and "y" on three lines, big enough to read on a screenshot.
    for (row, number) in [u32::from(z), x, y].into_iter().enumerate() {
        write_digits(&mut picture, &number.to_string(), 20, 24 + 72 * row as u32, 6, ink);
    }
    let mut png = Vec::new();
    picture
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("a PNG is written to memory");
    png
}

/// The digits 0–9 in a 3×5 font, a row per byte (the low three bits, left to right).
const DIGITS: [[u8; 5]; 10] = [
    [0b111, 0b101, 0b101, 0b101, 0b111],
    [0b010, 0b110, 0b010, 0b010, 0b111],
    [0b111, 0b001, 0b111, 0b100, 0b111],
    [0b111, 0b001, 0b111, 0b001, 0b111],
    [0b101, 0b101, 0b111, 0b001, 0b001],
    [0b111, 0b100, 0b111, 0b001, 0b111],
    [0b111, 0b100, 0b111, 0b101, 0b111],
    [0b111, 0b001, 0b010, 0b010, 0b010],
    [0b111, 0b101, 0b111, 0b101, 0b111],
    [0b111, 0b101, 0b111, 0b001, 0b111],
];

/// Writes `digits` with their top left at (`left`, `top`), each font pixel `scale` pixels wide.
fn write_digits(
    picture: &mut image::RgbImage,
    digits: &str,
    left: u32,
    top: u32,
    scale: u32,
    ink: image::Rgb<u8>,
) {
    for (i, digit) in digits.bytes().enumerate() {
        let glyph = DIGITS[usize::from(digit - b'0')];
        let origin = left + i as u32 * 4 * scale;
        for (row, bits) in glyph.iter().enumerate() {
            for column in 0..3 {
                if bits & (0b100 >> column) == 0 {
                    continue;
                }
                for dy in 0..scale {
                    for dx in 0..scale {
                        let (px, py) = (origin + column * scale + dx, top + row as u32 * scale + dy);
                        if px < TILE_SIZE - 2 && py < TILE_SIZE - 2 {
                            picture.put_pixel(px, py, ink);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tile_is_a_256_px_png_with_a_border_a_grid_and_its_numbers() {
        let png = draw_tile((15, 26_070, 14_442));
        assert_eq!(image::guess_format(&png).unwrap(), image::ImageFormat::Png);
        let picture = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!(picture.dimensions(), (TILE_SIZE, TILE_SIZE));
        let (corner, paper) = (picture.get_pixel(0, 0), picture.get_pixel(250, 250));
        assert!(corner[0] < 100 && paper[0] > 230, "a dark border on light paper: {corner:?} {paper:?}");
        assert_ne!(picture.get_pixel(250, 32), paper, "a grid line at 32 px");
        // The digits are ink: a good part of the top left is dark.
        let inked = picture
            .enumerate_pixels()
            .filter(|(x, y, p)| *x > 2 && *y > 2 && *x < 253 && *y < 253 && p[0] < 100);
        assert!(inked.count() > 2_000);
    }

    #[test]
    fn different_tiles_look_different() {
        let a = image::load_from_memory(&draw_tile((15, 26_070, 14_442))).unwrap().to_rgb8();
        let b = image::load_from_memory(&draw_tile((15, 26_071, 14_442))).unwrap().to_rgb8();
        let c = image::load_from_memory(&draw_tile((16, 26_070, 14_442))).unwrap().to_rgb8();
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, image::load_from_memory(&draw_tile((15, 26_070, 14_442))).unwrap().to_rgb8());
    }

    #[test]
    fn tile_paths_are_read_strictly() {
        assert_eq!(parse_tile_path("/0/0/0.png"), Some((0, 0, 0)));
        assert_eq!(parse_tile_path("/15/26070/14442.png"), Some((15, 26_070, 14_442)));
        for bad in [
            "/1/2/0.png",  // column out of range
            "/1/0/2.png",  // row out of range
            "/23/0/0.png", // deeper than served
            "/1/0/0.jpg",
            "/1/0.png",
            "/1/0/0/0.png",
            "/1/-0/0.png",
            "/1/+1/0.png",
            "/a/b/c.png",
            "1/0/0.png",
            "/",
            "/99999999999/0/0.png",
        ] {
            assert_eq!(parse_tile_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_server_answers_tiles_with_cors_and_logs_them_and_refuses_the_rest() {
        let mut server = TileServer::start();
        assert!(
            server.template().starts_with("http://127.0.0.1:")
                && server.template().ends_with("/{z}/{x}/{y}.png")
        );
        let base = server.template().replace("/{z}/{x}/{y}.png", "");
        let url = |path: &str| format!("{base}{path}");
        let http = reqwest::blocking::Client::new();

        let tile = http.get(url("/3/4/5.png")).send().unwrap();
        assert_eq!(tile.status(), reqwest::StatusCode::OK);
        assert_eq!(tile.headers()["content-type"], "image/png");
        assert_eq!(tile.headers()["access-control-allow-origin"], "*");
        assert_eq!(tile.headers()["cache-control"], "max-age=86400");
        let picture = image::load_from_memory(&tile.bytes().unwrap()).unwrap();
        assert_eq!((picture.width(), picture.height()), (TILE_SIZE, TILE_SIZE));

        for bad in ["/3/8/0.png", "/3/4.png", "/favicon.ico"] {
            assert_eq!(http.get(url(bad)).send().unwrap().status(), reqwest::StatusCode::NOT_FOUND, "{bad}");
        }
        assert_eq!(http.get(url("/0/0/0.png")).send().unwrap().status(), reqwest::StatusCode::OK);
        assert_eq!(server.requests(), vec![(3, 4, 5), (0, 0, 0)]);
        server.clear();
        assert_eq!(server.requests(), vec![]);

        server.stop();
        assert!(http.get(url("/0/0/0.png")).send().is_err(), "refused once stopped");
        assert_eq!(server.requests(), vec![]);
    }
}
