package ferry_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The module's import rules, checked against `go list -deps -json ./...`
// (what the compiler links, test files excluded) rather than kept as prose.
// River's .golangci.yaml does the same with depguard; this needs no linter.

const module = "github.com/ferry-rpa/ferry"

// importRule forbids the packages under pkgs (a module-relative path; ""
// is the root package, "x/..." means x and everything under it) to import
// anything under the forbidden prefixes. Direct rules look at the
// package's own imports; the others at everything it links.
type importRule struct {
	name      string
	pkgs      []string
	except    []string
	forbidden []string
	direct    bool
}

// storageImpls and riverDrivers are what the run core must not link: it
// works on the domain interfaces, and main chooses the implementation.
var (
	storageImpls = []string{module + "/storage", "modernc.org/sqlite", "github.com/jackc/pgx", "github.com/lib/pq", "github.com/mattn/go-sqlite3"}
	riverDrivers = []string{"github.com/riverqueue/river/riverdriver/"}
)

func importRules() []importRule {
	return []importRule{
		{name: "go-rod only in the engine (bots)", pkgs: []string{"..."}, except: []string{"bots/..."}, forbidden: []string{"github.com/go-rod/"}, direct: true},
		{name: "the runner drives the browser through the engine interface", pkgs: []string{"runner/..."}, forbidden: []string{"github.com/go-rod/", module + "/bots"}},
		{name: "runner, delivery and ledger link no storage implementation", pkgs: []string{"runner/...", "delivery/...", "ledger/..."}, forbidden: storageImpls},
		{name: "runner, delivery and ledger link no River driver", pkgs: []string{"runner/...", "delivery/...", "ledger/..."}, forbidden: riverDrivers},
	}
}

// knownExceptions are violations that exist today and are being removed;
// each is "package → forbidden prefix". Deleting a line tightens the check.
// None today: add one only together with the issue that removes it.
var knownExceptions = map[string]string{}

type listedPackage struct {
	ImportPath string
	Standard   bool
	Module     *struct{ Path string }
	Imports    []string
	Deps       []string
}

// listPackages runs go list over the module and returns every package it
// links, keyed by import path.
func listPackages(t *testing.T) map[string]*listedPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Standard,Module,Imports,Deps", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string]*listedPackage{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs[p.ImportPath] = &p
	}
	return pkgs
}

// matches reports whether the module package path (relative, "" for the
// root) is selected by the pattern.
func matches(rel, pattern string) bool {
	if pattern == "..." {
		return true
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return rel == base || strings.HasPrefix(rel, base+"/")
	}
	return rel == pattern
}

func under(path, prefix string) bool {
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(path, prefix)
	}
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// topOf names a package by its first path element, which is how the
// exceptions are written ("runner" for runner and runner/x).
func topOf(rel string) string {
	top, _, _ := strings.Cut(rel, "/")
	return top
}

func TestImportRules(t *testing.T) {
	t.Parallel()
	pkgs := listPackages(t)
	used := map[string]bool{}
	var own []string
	for path := range pkgs {
		if path == module || strings.HasPrefix(path, module+"/") {
			own = append(own, path)
		}
	}
	slices.Sort(own)
	if len(own) < 5 {
		t.Fatalf("go list found only %v in the module", own)
	}
	for _, rule := range importRules() {
		for _, path := range own {
			rel := strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
			in := func(p string) bool { return matches(rel, p) }
			if !slices.ContainsFunc(rule.pkgs, in) || slices.ContainsFunc(rule.except, in) {
				continue
			}
			p := pkgs[path]
			list := p.Deps
			if rule.direct {
				list = p.Imports
			}
			for _, f := range rule.forbidden {
				var hits []string
				for _, imp := range list {
					if under(imp, f) && imp != path {
						hits = append(hits, imp)
					}
				}
				if len(hits) == 0 {
					continue
				}
				key := topOf(rel) + " → " + f
				if _, ok := knownExceptions[key]; ok {
					used[key] = true
					continue
				}
				t.Errorf("%s: %s imports %s", rule.name, path, strings.Join(hits, ", "))
			}
		}
	}
	for key := range knownExceptions {
		if !used[key] {
			t.Logf("known exception %q no longer occurs: delete it from knownExceptions", key)
		}
	}
}

// The root (domain) package imports only the standard library and decimal:
// every other package may depend on it, so it depends on nothing.
func TestDomainImportsOnlyStdlibAndDecimal(t *testing.T) {
	t.Parallel()
	pkgs := listPackages(t)
	root, ok := pkgs[module]
	if !ok {
		t.Fatal("go list did not list the root package")
	}
	for _, imp := range root.Imports {
		if p := pkgs[imp]; p != nil && p.Standard {
			continue
		}
		if imp == "github.com/shopspring/decimal" {
			continue
		}
		t.Errorf("the root package imports %s: only the standard library and github.com/shopspring/decimal are allowed", imp)
	}
}

// The check must be able to fail: a rule applied to what bots imports
// finds go-rod.
func TestImportRulesCatchAViolation(t *testing.T) {
	t.Parallel()
	pkgs := listPackages(t)
	bots := pkgs[module+"/bots"]
	if bots == nil || !slices.ContainsFunc(bots.Imports, func(imp string) bool { return under(imp, "github.com/go-rod/") }) {
		t.Fatal("bots does not import go-rod as listed, so the rules are checked against the wrong data")
	}
}
