# The two commands a newcomer types: `make demo` and `make test`.
export PATH := $(PATH):/usr/local/go/bin
GO ?= go

.PHONY: demo test deps test-deps bench build lint

demo: deps
	$(GO) run ./cmd/ferry demo

test: test-deps
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

build:
	$(GO) build -o ferry ./cmd/ferry

deps:
	@hack/deps.sh

test-deps:
	@hack/deps.sh --test

# Benchmarks whose figures go into the issue notes.
bench: test-deps
	$(GO) test -run '^$$' -bench . -benchtime 5x -count 5 ./statements ./bots ./pdftext
