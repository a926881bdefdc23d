# The two commands of the quick start: `make run` and `make test`.
SWIFT ?= swift
CONFIG ?= cluster.conf

.PHONY: run test deps test-deps bench-transport

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test

## Installs what is missing, then runs every node of cluster.conf in this process.
run: deps
	$(SWIFT) run node --config $(CONFIG)

## Installs what is missing, builds once, runs every test. The tests start a throwaway Postgres under
## .data/test-postgres on a free port; it is stopped afterwards whatever the outcome.
test: test-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build; status=$$?; scripts/stop-test-postgres.sh; exit $$status

bench-transport: deps
	$(SWIFT) run -c release node bench transport
