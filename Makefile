# The commands a user types. Each first runs scripts/install-deps (idempotent).
SWIFT ?= swift
PYTHON := .venv/bin/python
THREADS ?= $(shell nproc)

.PHONY: run test bench fixtures build deps clean

## make run: install what is missing, build, and run the engine's training demo.
run: deps
	$(SWIFT) build -c release --product torch-demo
	.build/release/torch-demo

## make test: install what is missing, build, and run the whole test suite (CI runs this).
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel

## make bench: Lab against PyTorch on the same libtorch, side by side, two alternating rounds.
## Writes bench/results.json and bench/RESULTS.md.
bench: deps
	$(SWIFT) build -c release --product TorchBench
	mkdir -p .build/bench
	.build/release/TorchBench --threads $(THREADS) --out .build/bench/lab-1.json
	$(PYTHON) bench/peer.py --threads $(THREADS) --out .build/bench/peer-1.json
	.build/release/TorchBench --threads $(THREADS) --out .build/bench/lab-2.json
	$(PYTHON) bench/peer.py --threads $(THREADS) --out .build/bench/peer-2.json
	$(PYTHON) bench/report.py --lab .build/bench/lab-1.json --lab .build/bench/lab-2.json \
		--peer .build/bench/peer-1.json --peer .build/bench/peer-2.json \
		--out-json bench/results.json --out-md bench/RESULTS.md
	cat bench/RESULTS.md

## make fixtures: regenerate the PyTorch reference values under Tests/TorchTests/Fixtures.
fixtures: deps
	$(PYTHON) scripts/make-fixtures.py

build: deps
	$(SWIFT) build

deps:
	@scripts/install-deps

clean:
	rm -rf .build
