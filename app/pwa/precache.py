#!/usr/bin/env python3
"""Writes the resident page's build into its service worker (trunk's post_build hook).

The worker precaches exactly the files this build produced: each is listed with its
SHA-256 (as a Subresource Integrity value, so the worker's cache can only ever hold this
build's bytes) and the build id is a hash of that list, so any change to any file makes a
new worker, which the browser installs beside the old one. The staff's and the desktop's
builds have no worker: only a build that copied `sw.js` is touched.

Also draws the app's icons from their one source, `pwa/icon.svg` (rsvg-convert, Debian's
librsvg2-bin), and minifies the page's scripts (the wasm-bindgen glue and the outbox) and its
stylesheet with esbuild (Debian's), putting their new hashes in the page's integrity
attributes, before listing them: a phone downloads every byte, and trunk's own JavaScript
minifier breaks the glue.

Usage: TRUNK_STAGING_DIR=<dir> precache.py  (or: precache.py <dir>)
"""

import base64
import hashlib
import json
import os
import pathlib
import subprocess
import sys

# Icon files and their size in pixels; the maskable one keeps its drawing inside the
# middle 80% (the safe zone) on a full-bleed background.
ICONS = {
    "icon-192.png": ("icon.svg", 192),
    "icon-512.png": ("icon.svg", 512),
    "icon-maskable-512.png": ("icon-maskable.svg", 512),
    "apple-touch-icon.png": ("icon-maskable.svg", 180),
}


def draw_icons(staging: pathlib.Path, source: pathlib.Path) -> None:
    icons = staging / "icons"
    icons.mkdir(exist_ok=True)
    for name, (svg, size) in ICONS.items():
        subprocess.run(
            ["rsvg-convert", "--width", str(size), "--height", str(size), "--output", str(icons / name), str(source / svg)],
            check=True,
        )
    (icons / "icon.svg").write_bytes((source / "icon.svg").read_bytes())


def integrity(path: pathlib.Path) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def sha384(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def minify(staging: pathlib.Path) -> None:
    page = staging / "index.html"
    html = page.read_text()
    for asset in sorted([*staging.glob("*.js"), *staging.glob("*.css")]):
        if asset.name == "sw.js":
            continue  # written below; it is not on the page
        before = asset.read_bytes()
        subprocess.run(
            ["esbuild", "--minify", "--log-level=warning", "--allow-overwrite", f"--outfile={asset}", str(asset)],
            check=True,
        )
        html = html.replace(sha384(before), sha384(asset.read_bytes()))
    page.write_text(html)


def main() -> None:
    staging = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else os.environ["TRUNK_STAGING_DIR"])
    worker = staging / "sw.js"
    if not worker.is_file():
        return
    draw_icons(staging, pathlib.Path(__file__).resolve().parent)
    minify(staging)
    files = []
    for path in sorted(p for p in staging.rglob("*") if p.is_file()):
        relative = path.relative_to(staging).as_posix()
        if relative == "sw.js" or path.suffix in (".gz", ".br"):
            continue
        url = "/" if relative == "index.html" else "/" + relative
        files.append({"url": url, "integrity": integrity(path)})
    build_id = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:16]
    build = json.dumps({"id": build_id, "files": files}, separators=(",", ":"))
    text = worker.read_text()
    marker = "const BUILD = null;"
    if marker not in text:
        sys.exit(f"{worker}: no `{marker}` line to write the build into")
    worker.write_text(text.replace(marker, f"const BUILD = {build};"))
    print(f"service worker: build {build_id}, {len(files)} files precached")


if __name__ == "__main__":
    main()
