# loadgen: build, test, benchmark, demo.
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
BIN       := bin/loadgen
FULL      := bin/loadgen-aws
FUZZTIME  ?= 3s

.PHONY: all build test fmt-check vet cross unit fuzz bench bench-quick bench-go demo clean kumo

all: build

# Two static binaries (no cgo, Go's own DNS resolver: no libc in memory,
# about 2.7 MB less RSS). bin/loadgen is the lean build (-tags lean): the
# load engine without the AWS SDK, whose package initialisers alone take
# about 12 MB in every process; it hands every command that calls AWS to
# bin/loadgen-aws, the full build, which is also what `go install` makes
# (cmd/loadgen/lean.go, bench/RESULTS.md).
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -tags lean -o $(BIN) ./cmd/loadgen
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(FULL) ./cmd/loadgen

## test: formatting, vet, cross builds, and the race-enabled test suite, which
## also runs every fuzz target's seed corpus (testdata/fuzz included).
## Exploration ('make fuzz') is not part of it: a new random finding on a CI
## machine would fail an unrelated change and could not be committed from
## there; run 'make fuzz' before a release and commit what it finds as seeds.
test: fmt-check vet cross unit

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# The lean build is vetted too; its tests are the full build's
# (cmd/loadgen/lean_test.go runs the pair as make build makes it).
vet:
	$(GO) vet ./...
	$(GO) vet -tags lean ./cmd/loadgen

## cross: the library packages and the lean command build for Linux, macOS
## and Windows (the raw-I/O fast path is Linux-only).
LIBRARY := ./loadgen ./report ./crawl ./stackurl ./verify ./fleet/...
cross:
	GOOS=darwin GOARCH=arm64 $(GO) build $(LIBRARY)
	GOOS=windows GOARCH=amd64 $(GO) build $(LIBRARY)
	GOOS=darwin GOARCH=arm64 $(GO) build -tags lean -o /dev/null ./cmd/loadgen
	GOOS=windows GOARCH=amd64 $(GO) build -tags lean -o /dev/null ./cmd/loadgen
	GOOS=windows GOARCH=amd64 $(GO) vet ./loadgen

## kumo: an independent AWS emulator for the fleet's smoke test (fleet/ecs), built from tools/kumo.
kumo:
	GO=$(GO) bash scripts/kumo.sh bin/kumo

unit:
	KUMO=$${KUMO:-$$( [ -x bin/kumo ] && echo $(CURDIR)/bin/kumo )} $(GO) test -race -count=1 -timeout 15m ./...

## fuzz: each fuzz target explores for FUZZTIME (default 3s; FUZZTIME=30s for a longer look).
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

## bench-go: the Go micro-benchmarks (allocations per request must be 0).
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./loadgen/

## bench: loadgen against wrk and bombardier on a loopback nginx.
bench: build
	bash bench/run.sh

bench-quick: build
	QUICK=1 bash bench/run.sh

## demo: the whole workshop on this machine.
demo: build
	./$(BIN) demo

clean:
	rm -rf bin
