# The commands a user types. Each first runs scripts/install-deps (idempotent).
SWIFT ?= swift
PYTHON := .venv/bin/python
THREADS ?= $(shell nproc)

.PHONY: run test bench fixtures build deps clean

## make run: install what is missing, build, and run the showcase experiment (about 4 minutes).
EXPERIMENT ?= experiments/clip-fashion.swift
run: deps
	$(SWIFT) build -c release
	.build/release/lab run $(EXPERIMENT)

## make test: install what is missing, build, and run the whole test suite (CI runs this);
## then the Torch and Multimodal suites again under OTHER_CPU, which makes libtorch pick the
## kernels another processor would (see ARCHITECTURE.md, "Tests on any CPU").
OTHER_CPU ?= ATEN_CPU_CAPABILITY=default MKL_ENABLE_INSTRUCTIONS=SSE4_2 ONEDNN_MAX_CPU_ISA=SSE41
test: deps
	$(SWIFT) build
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel
	@echo "make test: the numerics again with the kernels of another CPU (ATen DEFAULT, MKL and oneDNN at SSE4):"
	@echo "the fixtures' stated tolerances must hold on any x86-64 CPU, not only on the one that wrote them."
	$(OTHER_CPU) $(SWIFT) test --skip-build --no-parallel --filter 'TorchTests|MultimodalTests'

## make bench: Lab against PyTorch on the same libtorch, side by side, in ROUNDS alternating
## rounds (each side keeps its best: noise on a shared machine only slows a run); then
## `lab serve` against a FastAPI + uvicorn server of the same export, driven by wrk.
## Writes bench/results.json and bench/RESULTS.md.
ROUNDS ?= 3
bench: deps
	$(SWIFT) build -c release
	rm -rf .build/bench && mkdir -p .build/bench
	.build/release/LabBench --lab .build/release/lab --out .build/bench/runner.json
	for i in $$(seq $(ROUNDS)); do \
		.build/release/TorchBench --threads $(THREADS) --out .build/bench/lab-$$i.json || exit 1; \
		$(PYTHON) bench/peer.py --threads $(THREADS) --out .build/bench/peer-$$i.json || exit 1; \
	done
	.build/release/TorchBench --export-serve .build/bench/serve-model
	$(PYTHON) bench/serve_bench.py --lab .build/release/lab --export .build/bench/serve-model \
		--threads $(THREADS) --out .build/bench/serve.json
	$(PYTHON) bench/dist_bench.py --torchbench .build/release/TorchBench --python $(PYTHON) \
		--rounds $(ROUNDS) --out .build/bench/dist.json
	$(PYTHON) bench/report.py \
		$(foreach i,$(shell seq $(ROUNDS)),--lab .build/bench/lab-$(i).json --peer .build/bench/peer-$(i).json) \
		--lab .build/bench/runner.json --serve .build/bench/serve.json --dist .build/bench/dist.json \
		--out-json bench/results.json --out-md bench/RESULTS.md
	cat bench/RESULTS.md

## make fixtures: regenerate the PyTorch reference values under Tests/*/Fixtures.
fixtures: deps
	$(PYTHON) scripts/make-fixtures.py
	$(PYTHON) scripts/make-multimodal-fixtures.py
	$(PYTHON) scripts/make-multimodal-fixtures-2.py
	$(PYTHON) scripts/make-pretrained-fixtures.py
	$(PYTHON) scripts/make-efficientnet-fixtures.py

build: deps
	$(SWIFT) build

deps:
	@scripts/install-deps

clean:
	rm -rf .build
