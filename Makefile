# phananh: the two commands are `make run` and `make test` (see README.md).
# Each target installs what it needs first and skips what is already there.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo

.PHONY: run test bench desktop tools

## Start the server on 127.0.0.1:8080 with the 2025 Hà Nội ward boundaries.
run: tools
	$(CARGO) run --release -p phananh-server -- serve

## Every test: formatting, lints, unit/integration/end-to-end tests, schema-driven fuzzing of
## the Open311 API (schemathesis from PyPI, in target/tools), the wasm build of the shared
## crate, and the app and desktop crates.
test: tools
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(CARGO) test --locked
	tests/open311/schemathesis
	$(CARGO) check --locked -p phananh-shared --target wasm32-unknown-unknown
	$(CARGO) build --locked -p phananh-app -p phananh-desktop

## Benchmarks: prints the table recorded in docs/benchmarks.md (wrk from Debian drives the
## HTTP ingest figures beside the Rust clients). The live fan-out holds 10,000 WebSockets
## open, so the open-file limit is raised here for the bench and the server it starts.
## PHANANH_BENCH=live (or routing, ingest) runs only those.
bench: tools
	@command -v wrk >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; }
	ulimit -n "$$(ulimit -Hn)" && $(CARGO) bench --locked -p phananh-tests --bench phananh

## The desktop shell (a placeholder until the desktop issue).
desktop: tools
	$(CARGO) run -p phananh-desktop

## The Rust pieces every target needs: the wasm32 target for the browser build of `shared`.
tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@test -f ../shared/data/hanoi_wards_2025.geojson || test -n "$${PHANANH_REFERENCE_DATA:-}" || \
	  { echo "missing ../shared/data (the reference data beside the repository)"; exit 1; }
