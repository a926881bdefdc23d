# The two commands of the quick start: `make run` and `make test`.
SWIFT ?= swift
CONFIG ?= cluster.conf

.PHONY: run test deps bench-transport

deps:
	@scripts/install-deps.sh

## Installs what is missing, then runs every node of cluster.conf in this process.
run: deps
	$(SWIFT) run node --config $(CONFIG)

## Installs what is missing, builds once, runs every test.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench-transport: deps
	$(SWIFT) run -c release node bench transport
