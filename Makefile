# envoy-lambda-policy: build, test, demo, benchmarks.
# `make test` is what CI runs (.ci/run); it installs what it needs itself.

WASM      := target/wasm32-wasip1/release/envoy_lambda_policy.wasm
VENV      := .venv
PY        := $(VENV)/bin/python
PYTEST    := $(VENV)/bin/pytest
REQS      := tests/e2e/requirements.txt

.PHONY: all build test unit lint e2e run bench soak stress idle fuzz venv target clean docker-images

all: build

target:
	@rustup target list --installed | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1

# wasm-opt (Debian/Ubuntu package binaryen) cleans up the module (BENCHMARKS.md); without it the
# module works the same. CI installs it (.ci/run). `-O1`, not `-Oz`: the module is about 4 % larger,
# and V8 needs less memory per VM for it (BENCHMARKS.md, "Memory per VM"); -O1 inlines nothing
# into its only caller, so none of the giant functions that cost V8 more memory to compile.
# Passes that make it smaller still (--merge-similar-functions, --dae-optimizing, inlining the
# functions of up to 10 bytes) raised V8's memory in the same measurements: bytes are only a proxy.
WASM_OPT_FLAGS := -O1 --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
                  --enable-nontrapping-float-to-int

build: target
	cargo build --release --target wasm32-wasip1
	@if command -v wasm-opt >/dev/null; then \
	  wasm-opt $(WASM_OPT_FLAGS) $(dir $(WASM))deps/$(notdir $(WASM)) -o $(WASM).opt && mv $(WASM).opt $(WASM); \
	else echo "wasm-opt not found (apt-get install binaryen): module left as cargo built it"; fi
	@ls -l $(WASM) | awk '{print "module: " $$9 " (" $$5 " bytes)"}'

$(VENV)/.installed: $(REQS)
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r $(REQS)
	@touch $@

venv: $(VENV)/.installed

lint: target
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --release --target wasm32-wasip1 -- -D warnings

unit:
	cargo test --quiet

# Local stand-ins for the two images envoy/docker-compose.yaml names, for the tests only (users
# pull the official ones): skipped when current. The docker-compose e2e test builds them itself
# whenever a Docker engine answers, so `make test` needs no separate step.
docker-images: venv
	$(PY) tools/docker/build_images.py

e2e: build venv
	$(PYTEST) tests/e2e -q -p no:cacheprovider

test: lint unit e2e

run: build venv
	$(PY) tools/demo.py

bench: build venv
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	cargo build --release --target wasm32-wasip1 --manifest-path tools/callout_floor/Cargo.toml --target-dir target/floor
	cargo build --release --target wasm32-wasip1 --manifest-path tools/route_floor/Cargo.toml --target-dir target/floor
	cargo bench --bench hot_path -- --warm-up-time 1 --measurement-time 3
	@if node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2>/dev/null; then \
	  echo "== the same micro-benchmarks in V8 (node), the engine Envoy runs the module in"; \
	  exe=$$(cargo bench --bench hot_path --target wasm32-wasip1 --target-dir target/v8bench --no-run \
	    --message-format=json | $(PY) tools/v8_bench_exe.py) && \
	  node tools/v8_bench.mjs "$$exe" --warm-up-time 1 --measurement-time 3; \
	else echo "Node.js 20 or later not found: the micro-benchmarks in V8 are skipped"; fi
	$(PY) tools/bench.py
	@if [ "$(BENCH_QUICK)" = 1 ]; then echo "BENCH_QUICK=1: the instruction counts are skipped"; \
	elif command -v valgrind >/dev/null && command -v callgrind_control >/dev/null && command -v callgrind_annotate >/dev/null; then \
	  $(PY) tools/instructions.py || echo "the instruction counts failed (above); the figures before them stand"; \
	else echo "valgrind not found (apt-get install valgrind): the instruction counts are skipped"; fi

soak: build venv
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PY) tools/soak.py

# A burst of 100 bodies of 6 MB held, then released at once, on one worker (tools/burst.py --help).
stress: build venv
	$(PY) tools/burst.py $(STRESS_ARGS)

# Idle CPU of Envoy with and without the filter, and across configuration reloads (tools/idle.py --help);
# fails when the filter idles above 1.2x callout_floor or reloads raise idle CPU (IDLE_ARGS= only reports).
IDLE_ARGS ?= --check
idle: build venv
	cargo build --release --target wasm32-wasip1 --manifest-path tools/callout_floor/Cargo.toml --target-dir target/floor
	$(PY) tools/idle.py $(IDLE_ARGS)

# Fuzz each target for FUZZ_SECONDS (libFuzzer needs nightly); new inputs go to the gitignored
# fuzz/corpus/<target>, the checked-in seeds stay as they are.
FUZZ_TARGETS ?= template config answer reply proxy_response
FUZZ_SECONDS ?= 60

fuzz:
	@cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@for t in $(FUZZ_TARGETS); do \
	  echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
	  mkdir -p fuzz/corpus/$$t; \
	  cargo +nightly fuzz run $$t fuzz/corpus/$$t fuzz/seeds/$$t -- \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=10 || exit 1; \
	done

clean:
	cargo clean
	rm -rf $(VENV)
