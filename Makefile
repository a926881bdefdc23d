# The two commands of the quick start: `make run` and `make test`.
SWIFT ?= swift
CONFIG ?= cluster.conf

.PHONY: run test deps test-deps fuzz bench-transport

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test

## Installs what is missing, then runs every node of cluster.conf in this process.
run: deps
	$(SWIFT) run node --config $(CONFIG)

## Installs what is missing, checks the formatting (.swift-format, 120 columns), builds once, runs every test.
## The tests start a throwaway Postgres under .data/test-postgres on a free port; it is stopped afterwards
## whatever the outcome. The fault campaign runs alone after the rest: each of its runs is a cluster of node
## processes under load, and beside it the timing of every other suite would be what is tested.
test: test-deps
	$(SWIFT) format lint --strict -r Sources Tests Package.swift
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip FaultCampaignTests; status=$$?; \
		$(SWIFT) test --skip-build --filter FaultCampaignTests; campaign=$$?; \
		scripts/stop-test-postgres.sh; [ $$status -eq 0 ] && [ $$campaign -eq 0 ]

bench-transport: deps
	$(SWIFT) run -c release node bench transport

## libFuzzer on the frame parser and the handshake (FUZZ_SECONDS, default 60). A separate build folder, since
## every module is instrumented. Crashes are written to .data/fuzz/ as crash-*; replay one with
## `swift run FrameFuzz FILE` and add it to Fuzz/corpus/ (the corpus test replays every file there). Fuzz/lsan.supp
## suppresses one leak inside the Swift runtime's demangler (see there); leaks of our own still fail the run.
FUZZ_SECONDS ?= 60
fuzz: deps
	$(SWIFT) build --product FrameFuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING --scratch-path .build-fuzz
	mkdir -p .data/fuzz/corpus && cp Fuzz/corpus/* .data/fuzz/corpus/
	LSAN_OPTIONS=suppressions=$(CURDIR)/Fuzz/lsan.supp .build-fuzz/debug/FrameFuzz .data/fuzz/corpus \
		-max_total_time=$(FUZZ_SECONDS) -max_len=4096 -artifact_prefix=.data/fuzz/
