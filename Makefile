# The two commands a newcomer types: `make demo` and `make test`.
export PATH := $(PATH):/usr/local/go/bin
GO ?= go

.PHONY: demo test deps test-deps bench bench-rss build lint fuzz soak versus

demo: deps
	$(GO) run ./cmd/ferry demo

# The concurrent packages (the run core, the outbox, the stores, the browser
# engine) run under the race detector; the rest without it, to stay in the
# 20-minute CI budget on 2 cores. The root package's tests check the import
# rules (imports_test.go).
# RACE=  (empty) runs them without it, for a quick local pass.
RACE_PKGS := ./runner/... ./delivery/... ./storage/... ./bots/...
RACE_RE := /(runner|delivery|storage|bots)(/|$$)
RACE ?= -race

test: test-deps
	$(GO) vet ./...
	$(GO) vet -tags crashpoints ./internal/crashpoint ./runner ./delivery
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) test -count=1 -timeout 45m $(RACE) $(RACE_PKGS)
	$(GO) test -count=1 -timeout 20m $$($(GO) list ./... | grep -v -E '$(RACE_RE)')

build:
	$(GO) build -o ferry ./cmd/ferry

deps:
	@hack/deps.sh

test-deps:
	@hack/deps.sh --test

# Benchmarks whose figures go into the issue notes.
bench: test-deps
	$(GO) test -run '^$$' -bench . -benchtime 5x -count 5 ./statements ./bots ./pdftext ./delivery

# The soak of issue 11: SOAK_RUNS consecutive runs of each YAML bot on the
# third-party web applications (phpMyAdmin, Node-RED) through the real
# runner, first attempts only; prints the success rate, failure classes,
# false site_changed count and median run time of each, and appends them
# as JSON lines to SOAK_OUT.
SOAK_RUNS ?= 100
SOAK_OUT ?= /tmp/ferry-soak.jsonl
soak: test-deps
	FERRY_SOAK_OUT=$(abspath $(SOAK_OUT)) $(GO) test -run '^$$' -bench Soak -benchtime $(SOAK_RUNS)x -timeout 6h ./internal/webapps

# The Playwright comparison of issue 11: VERSUS_PAIRS alternating pairs of
# Ferry and Playwright runs of each web application's flow; prints both
# medians and the median ratio Ferry/Playwright, appended to SOAK_OUT.
VERSUS_PAIRS ?= 15
versus: test-deps
	FERRY_SOAK_OUT=$(abspath $(SOAK_OUT)) $(GO) test -run '^$$' -bench VersusPlaywright -benchtime $(VERSUS_PAIRS)x -timeout 2h ./internal/webapps

# Peak memory of `ferry parse` on a 1,000,000-line XLSX export (the target
# is at most 100 MB of resident memory): prints /usr/bin/time's figure.
bench-rss: build
	$(GO) run ./hack/bigstatement -lines 1000000 -format xlsx -o /tmp/ferry-1m.xlsx
	/usr/bin/time -f 'ferry parse 1M-line XLSX: %M KB peak RSS, %e s' ./ferry parse /tmp/ferry-1m.xlsx --json > /dev/null
	rm -f /tmp/ferry-1m.xlsx

# Every parser's fuzz target for FUZZTIME each. -fuzzminimizetime 1x: Go
# otherwise spends up to a minute minimizing each new interesting input,
# which for multi-kilobyte PDF and XLSX seeds left the fuzzer at about one
# execution a second.
FUZZTIME ?= 30s
fuzz: test-deps
	@for t in FuzzMT940 FuzzCAMT FuzzOFX FuzzBAI2 FuzzCSV FuzzPDF FuzzXLSXSheet; do \
		echo "== $$t"; $(GO) test ./statements -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1x || exit 1; \
	done
	$(GO) test ./pdftext -run '^$$' -fuzz '^FuzzText$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1x
	$(GO) test ./pdftext -run '^$$' -fuzz '^FuzzLexer$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1x
	@for t in FuzzXML FuzzOFD FuzzInvoiceText; do \
		echo "== $$t"; $(GO) test ./einvoice -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1x || exit 1; \
	done
