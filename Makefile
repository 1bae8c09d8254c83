# phananh: the two commands are `make run` and `make test` (see README.md).
# Each target installs what it needs first and skips what is already there.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo

.PHONY: run test bench fuzz desktop tools web-tools desktop-tools db-tools app app-desktop screenshots

# The web app's build tools, at the versions the app needs (see ../shared/TOOLCHAIN.md):
# wasm-bindgen-cli must equal wasm-bindgen in Cargo.lock; wasm-opt is npm's binaryen 132
# (Debian's 108 makes a wasm that loads as a blank page). Nothing is downloaded by trunk.
TRUNK_VERSION := 0.21.14
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ { getline; gsub(/[^0-9.]/, ""); print }' Cargo.lock)
BINARYEN_DIR := target/tools/binaryen-132
export TRUNK_SKIP_VERSION_CHECK := true

## Start the server on 127.0.0.1:8080 with the 2025 Hà Nội ward boundaries and the web app.
run: tools app
	$(CARGO) run --release -p phananh-server -- serve

## Every test: formatting, lints, unit/integration/end-to-end tests, schema-driven fuzzing of
## the Open311 API (schemathesis from PyPI, in target/tools), the web app (with the shared
## crate, for wasm) built and driven in headless Chromium (the browser tests and the phone
## app's, with its service worker), and the desktop app: its commands on Tauri's mock
## runtime, then the app itself under Xvfb through tauri-driver. The web app is built first:
## the desktop crate embeds its page when it compiles.
## Each crate is built as few times as it can be (CI's clock and disk, on 2 cores). The lints
## ride on the builds: clippy-driver compiles the workspace's own crates (as `cargo clippy`
## runs it, through RUSTC_WORKSPACE_WRAPPER, but building instead of only checking), so no
## dependency is compiled twice, once checked for clippy and once built for the tests: the web
## app is linted as trunk builds it for wasm, every other crate as one build of every target
## of the workspace (the bench's features, a superset of the tests'), which `cargo test` then
## runs: the browser and desktop tests in it, and the server binary and the desktop binary
## that the tests drive built with the same features (a `cargo build -p phananh-server` of its
## own would resolve other features and compile a second copy of half the dependencies).
## Every cargo command after it carries the same wrapper, or cargo would rebuild the
## workspace's crates. Only the workspace's crates are linted: not the tools installed first.
## Incremental caches are of no use to a build made once. Every server a test started must
## have ended with its test process.
LINTED = RUSTC_WORKSPACE_WRAPPER="$$(rustup which clippy-driver)" CLIPPY_ARGS=-Dwarnings
TEST_SELECTION := --workspace --exclude phananh-app --features phananh-tests/bench
## The end-to-end suites that matter most for data run a second time with their servers on
## PostgreSQL (a throwaway cluster under target/, started by the tests): the same binaries,
## no second build.
POSTGRES_SUITES := store reports_api reports_list staff_actions permissions staff sessions sync_api \
  client_faults live dossiers open311 dashboard followup comments sla device_transfer filing_budget \
  photos_api
test: export CARGO_INCREMENTAL = 0
test: export PHANANH_SERVER_BIN = $(CURDIR)/target/debug/phananh-server
test: tools web-tools desktop-tools db-tools
	$(CARGO) fmt --all --check
	$(LINTED) $(MAKE) app app-desktop
	$(LINTED) $(CARGO) build --locked --all-targets $(TEST_SELECTION)
	$(LINTED) $(CARGO) test --locked $(TEST_SELECTION)
	$(LINTED) PHANANH_TEST_ENGINE=postgres $(CARGO) test --locked $(TEST_SELECTION) $(addprefix --test ,$(POSTGRES_SUITES))
	tests/open311/schemathesis
	@! pgrep -af '^$(PHANANH_SERVER_BIN) ' || { echo 'test servers (above) outlived the tests'; exit 1; }
	@! pgrep -af '^/usr/lib/postgresql/[0-9]+/bin/postgres -D $(CURDIR)/tests/../target/tmp/' || { echo 'test databases (above) outlived the tests'; exit 1; }

## Benchmarks: prints the table recorded in docs/benchmarks.md, each figure beside its
## comparison from Debian's packages: wrk drives the HTTP ingest beside the Rust clients,
## nats-server takes the same live fan-out, PostgreSQL with PostGIS the same ward lookups.
## The live fan-out holds 10,000 WebSockets open, so the open-file limit is raised here for
## the bench and the servers it starts.
## PHANANH_BENCH=live (or routing, ingest, sync, app, desktop) runs only those.
BENCH_PACKAGES := wrk nats-server postgresql-15 postgresql-15-postgis-3
bench: tools desktop-tools app app-desktop
	$(CARGO) build --locked -p phananh-desktop
	@command -v wrk >/dev/null && command -v nats-server >/dev/null && ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(BENCH_PACKAGES); }
	ulimit -n "$$(ulimit -Hn)" && $(CARGO) bench --locked -p phananh-tests --features bench --bench phananh

## Fuzzing with cargo-fuzz and libFuzzer (stable toolchain, so no sanitizer: a panic or a
## failed check is the crash). Each target in fuzz/fuzz_targets runs for FUZZ_SECONDS, from
## fuzz/seeds and the corpus it grew before (target/fuzz/corpus). A crash stops the run with
## its input in fuzz/artifacts/<target>/: mend the cause, then move the input to
## fuzz/regressions/<target>/, which `make test` replays.
CARGO_FUZZ_VERSION := 0.13.2
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := report_json report_form open311_form sync_push wards_geojson
fuzz: tools
	@cargo fuzz --version 2>/dev/null | grep -qx "cargo-fuzz $(CARGO_FUZZ_VERSION)" || \
	  $(CARGO) install cargo-fuzz --version $(CARGO_FUZZ_VERSION) --locked
	for target in $(FUZZ_TARGETS); do \
	  mkdir -p target/fuzz/corpus/$$target && \
	  $(CARGO) fuzz run --features libfuzzer --sanitizer none --target-dir target/fuzz $$target \
	    target/fuzz/corpus/$$target fuzz/seeds/$$target -- -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -print_final_stats=1 2>&1 | grep -E '^(Done|stat::peak_rss_mb)|panicked|SUMMARY|Test unit written' \
	    | sed "s/^/$$target: /"; \
	done

## The desktop app (Tauri 2 around the web app), talking to the server at PHANANH_SERVER
## (default http://127.0.0.1:8080, changeable on its first-run screen and in its settings).
desktop: tools desktop-tools app-desktop
	$(CARGO) run --locked -p phananh-desktop

## The screenshots in docs/screenshots/: the three main screens on a phone and a desk screen,
## over the demo data.
screenshots: web-tools app
	$(CARGO) run --locked -p phananh-tests --features browser --bin phananh-screenshots

## trunk, run in app/ with the pinned wasm-opt first on the PATH.
TRUNK := cd app && PATH="$(CURDIR)/$(BINARYEN_DIR)/node_modules/.bin:$$PATH" trunk

## The web app, built for release into app/dist: the resident's page (served on `/` and every
## other page path) and, in app/dist/staff, the staff's (on `/staff…` and `/city`). The
## resident's build empties app/dist, so it comes first. Then each wasm, JS and CSS file is
## also written compressed beside it, for the server to send to a browser that takes it
## (brotli; zopfli's gzip, a few percent smaller than gzip -9), through a temporary name so
## that an interrupted run leaves no truncated file to be cached for a year.
app: web-tools
	$(CARGO) fetch --locked
	$(TRUNK) build --release --locked
	$(TRUNK) build staff.html --release --locked --dist dist/staff --public-url /staff/
	find app/dist -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' \) | while read -r f; do \
	  zopfli --i5 -c "$$f" > "$$f.gz.tmp" && mv "$$f.gz.tmp" "$$f.gz" && \
	  brotli -f -q 11 -o "$$f.br.tmp" "$$f" && mv "$$f.br.tmp" "$$f.br" || exit 1; done

## The desktop app's page, into app/dist-desktop: the desktop crate embeds it when it
## compiles (Tauri compresses what it embeds itself).
app-desktop: web-tools
	$(CARGO) fetch --locked
	$(TRUNK) build desktop.html --release --locked --dist dist-desktop

## What building and testing the web app needs: trunk, wasm-bindgen-cli, wasm-opt, Debian's
## zopfli and brotli for the served files, rsvg-convert (librsvg2-bin) to draw the phone app's
## icons from app/pwa/icon.svg, esbuild to minify its JavaScript, and chromium and
## chromium-driver for the browser tests.
web-tools: tools
	@trunk --version 2>/dev/null | grep -qx "trunk $(TRUNK_VERSION)" || $(CARGO) install trunk --version $(TRUNK_VERSION) --locked
	@wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $(WASM_BINDGEN_VERSION)" || \
	  $(CARGO) install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)
	@test -x $(BINARYEN_DIR)/node_modules/.bin/wasm-opt || \
	  { mkdir -p $(BINARYEN_DIR) && cd $(BINARYEN_DIR) && npm install --no-audit --no-fund binaryen@132.0.0; }
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && command -v zopfli >/dev/null && \
	  command -v brotli >/dev/null && command -v rsvg-convert >/dev/null && command -v esbuild >/dev/null || \
	  { apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium chromium-driver \
	  zopfli brotli librsvg2-bin esbuild; }

## What building and testing the desktop app needs (see ../shared/TOOLCHAIN.md): WebKitGTK
## and the other libraries Tauri links, Xvfb for a screen, WebKitWebDriver, and tauri-driver.
DESKTOP_PACKAGES := libwebkit2gtk-4.1-dev build-essential file libxdo-dev libssl-dev \
  libayatana-appindicator3-dev librsvg2-dev xvfb webkit2gtk-driver
desktop-tools: tools
	@missing="$$(for p in $(DESKTOP_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done)"; \
	  test -z "$$missing" || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; }
	@tauri-driver --help >/dev/null 2>&1 || $(CARGO) install tauri-driver --version 2.1.0 --locked

## PostgreSQL 15 (Debian's), for the tests of the PostgreSQL engine: each test process makes
## its own throwaway cluster under target/tmp, on a free loopback port.
db-tools:
	@test -x /usr/lib/postgresql/15/bin/initdb || \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql-15; }

## The Rust pieces every target needs: the wasm32 target for the browser build of `shared`.
tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@test -f ../shared/data/hanoi_wards_2025.geojson || test -n "$${PHANANH_REFERENCE_DATA:-}" || \
	  { echo "missing ../shared/data (the reference data beside the repository)"; exit 1; }
