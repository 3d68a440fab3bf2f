# zhishen 智审 — the two commands: `make demo` and `make test`.
# Build output lives outside the clone so repeat runs are incremental.
CARGO_TARGET_DIR ?= $(HOME)/.cache/zhishen/target
export CARGO_TARGET_DIR
# No incremental caches: they only help an edit loop, and they grew the build directory by
# tens of GB across runs.
CARGO_INCREMENTAL ?= 0
export CARGO_INCREMENTAL
CARGO ?= cargo
BIN := $(CARGO_TARGET_DIR)/release/zhishen
MODELS := $(wildcard datasets/ifc/*.ifc)

.PHONY: all deps build viewer demo test lint bench clean

all: build

# System packages the build and tests need (apt-get as root when missing).
deps:
	@bash scripts/deps.sh

build: deps
	$(CARGO) build --release --locked -p zhishen-cli

# The twin viewer's renderer as wasm (viewer/pkg/, served under /twin-assets/): the wasm32
# target and wasm-bindgen-cli at the lock file's wasm-bindgen version (scripts/wasm-tools.sh,
# built once into ~/.cache/zhishen/tools), then the renderer's library and its JS bindings,
# gzipped beside them once (the server sends the .gz to clients that take gzip).
viewer: deps
	@wb=$$(bash scripts/wasm-tools.sh) && \
	$(CARGO) build --profile wasm-release --locked --target wasm32-unknown-unknown -p zhishen-render --lib && \
	$$wb --target web --out-dir viewer/pkg \
	  $(CARGO_TARGET_DIR)/wasm32-unknown-unknown/wasm-release/zhishen_render.wasm && \
	gzip -kf9 viewer/pkg/zhishen_render_bg.wasm viewer/pkg/zhishen_render.js

# The demo: the facts of the demo models, the planning verdicts of the demo district, then
# the service on 127.0.0.1:8080 with demo users (one per role) and demo cases, until Ctrl-C.
DEMO_DB ?= out/demo/zhishen-demo.db
DEMO_ADDR ?= 127.0.0.1:8080
demo: build viewer
	@for f in $(MODELS); do \
	  echo "================================================================"; \
	  $(BIN) inspect "$$f" || exit $$?; \
	done
	@echo; echo "JSON: $(BIN) inspect --json datasets/ifc/<model>.ifc"
	@echo "================================================================"
	@echo "规划条件核验 planning review of the demo district (datasets/README.md)"
	@python3 scripts/demo-check.py $(BIN)
	@echo "================================================================"
	@mkdir -p out/demo && rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm && rm -rf out/demo/blobs
	$(BIN) serve --demo --db sqlite://$(DEMO_DB) --addr $(DEMO_ADDR) --defs assets \
	  --site datasets/district --parcel DK-05-1

lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings
	$(CARGO) clippy --locked -p zhishen-store --all-targets --features s3 -- -D warnings
	bash scripts/wasm-tools.sh >/dev/null
	$(CARGO) clippy --locked --target wasm32-unknown-unknown -p zhishen-render --lib -- -D warnings

# The store tests also run against a throwaway PostgreSQL on loopback.
test: lint viewer
	@url=$$(bash scripts/pg-test.sh start) || exit 1; \
	ZHISHEN_TEST_PG_URL=$$url bash scripts/cargo-test.sh; rc=$$?; \
	bash scripts/pg-test.sh stop; exit $$rc

# Side-by-side benchmark against web-ifc (npm) and IfcOpenShell (pip).
# The generated large-model corpus (issue 14): written by the testkit, never committed.
CORPUS_DIR ?= /tmp/zhishen-corpus
CORPUS_MB ?= 30
CORPUS := $(CORPUS_DIR)/corpus-$(CORPUS_MB)mb.ifc
CORPUS_UNIQUE := $(CORPUS_DIR)/corpus-$(CORPUS_MB)mb-unique.ifc
CORPUS_HEAVY := $(CORPUS_DIR)/corpus-$(CORPUS_MB)mb-heavy-maps.ifc
# Real exporters' elements at size: four samples' elements repeated side by side
# (Revit 2011 and 2021, ArchiCAD 20, SketchUp's tessellated IFC4).
TILED_REVIT := $(CORPUS_DIR)/duplex-$(CORPUS_MB)mb.ifc
TILED_REVIT21 := $(CORPUS_DIR)/largebuilding-$(CORPUS_MB)mb.ifc
TILED_ARCHICAD := $(CORPUS_DIR)/fzkhaus-$(CORPUS_MB)mb.ifc
TILED_SKETCHUP := $(CORPUS_DIR)/pcert-$(CORPUS_MB)mb.ifc
TILED := $(TILED_REVIT) $(TILED_REVIT21) $(TILED_ARCHICAD) $(TILED_SKETCHUP)
# One file per representation kind (bench/probes.py), to show which kinds are slow;
# against web-ifc only (IfcOpenShell took 13-190 s a run on them, rebar 189 s).
PROBES_DIR := $(CORPUS_DIR)/probes

bench: build viewer
	@mkdir -p $(CORPUS_DIR)
	$(CARGO) run --release --locked -q -p zhishen-testkit --example corpus -- $(CORPUS_MB) $(CORPUS)
	$(CARGO) run --release --locked -q -p zhishen-testkit --example corpus -- $(CORPUS_MB) $(CORPUS_UNIQUE) 6 --unique
	$(CARGO) run --release --locked -q -p zhishen-testkit --example corpus -- $(CORPUS_MB) $(CORPUS_HEAVY) 6 --heavy-maps
	$(CARGO) run --release --locked -q -p zhishen-ifc --example tile -- datasets/ifc/Duplex_Revit2011_IFC2x3.ifc $(CORPUS_MB) $(TILED_REVIT)
	$(CARGO) run --release --locked -q -p zhishen-ifc --example tile -- datasets/ifc/LargeBuilding_Revit2021_IFC2x3.ifc $(CORPUS_MB) $(TILED_REVIT21)
	$(CARGO) run --release --locked -q -p zhishen-ifc --example tile -- datasets/ifc/AC20-FZK-Haus_ArchiCAD20_IFC4.ifc $(CORPUS_MB) $(TILED_ARCHICAD)
	$(CARGO) run --release --locked -q -p zhishen-ifc --example tile -- datasets/ifc/PCERT_Building-Architecture_SketchUp_IFC4_georef.ifc $(CORPUS_MB) $(TILED_SKETCHUP)
	python3 bench/ifc_bench.py --zhishen $(BIN) --runs 5 --ios-max-mb 10 $(MODELS) $(CORPUS) $(CORPUS_UNIQUE) $(CORPUS_HEAVY) $(TILED)
	python3 bench/check_bench.py --zhishen $(BIN) --runs 5 $(CORPUS) $(CORPUS_UNIQUE) $(CORPUS_HEAVY) $(TILED)
	python3 bench/probes.py $(PROBES_DIR)
	python3 bench/ifc_bench.py --zhishen $(BIN) --runs 3 --ios-max-mb 0 $(PROBES_DIR)/*.ifc
	python3 bench/site_bench.py
	python3 bench/site_load_bench.py --zhishen $(BIN)
	$(CARGO) run --release --locked -q -p zhishen-rules --example bench_review -- --runs 5
	bash bench/store_bench.sh
	bash bench/supervision_bench.sh $(BIN)
	bash bench/server_bench.sh $(BIN)
	$(CARGO) build --release --locked -p zhishen-render --example bench_frames
	python3 bench/twin_bench.py --zhishen $(BIN) --frames $(CARGO_TARGET_DIR)/release/examples/bench_frames --runs 3
	python3 bench/ids_bench.py --zhishen $(BIN) --runs 5 $(MODELS)

clean:
	$(CARGO) clean
