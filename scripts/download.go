package scripts

// What a download declares it is, and the escape hatch's review pin:
// both checked when the script loads, each error with file and line.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/ferry-rpa/ferry/statements"
	"github.com/ferry-rpa/ferry/templates"
)

// What a download is (Step.As).
const (
	AsStatement = "statement"
	AsInvoice   = "invoice"
	AsFile      = "file"
)

// StatementFormats are the formats a download as statement may declare:
// those the statements package reads.
var StatementFormats = []string{"xlsx", "csv", "pdf", "camt", "mt940", "ofx", "bai2"}

// InvoiceFormats are the formats a download as invoice may declare:
// those the einvoice package reads, and xlsx, a tax portal's list export,
// which gives each invoice's status (void, red-letter) to the ingest.
var InvoiceFormats = []string{"pdf", "ofd", "xml", "xlsx"}

// fileFormat is what a download as file may call its format: a short
// name, never a path.
var fileFormat = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,15}$`)

// DownloadAs returns what the step's download is: its as, or statement.
func (s Step) DownloadAs() string {
	if s.As == "" {
		return AsStatement
	}
	return s.As
}

// Digest returns the pin of a script snippet: "sha256:" and the hex
// SHA-256 of its text with line ends normalised, so that a checkout's
// CRLF does not unpin a reviewed snippet.
func Digest(snippet string) string {
	sum := sha256.Sum256([]byte(strings.ReplaceAll(snippet, "\r\n", "\n")))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// FirstLine returns a snippet's first non-blank line, for traces.
func FirstLine(snippet string) string {
	for _, l := range strings.Split(snippet, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

// Snippet is one escape-hatch step of a script, for review.
type Snippet struct {
	Where    string // steps[3].for_each_page.steps[0]
	Line     int
	Digest   string // what the snippet's text hashes to
	Reviewed string // what the script pins (equal to Digest once reviewed)
	First    string // its first line
}

// Snippets lists the script's escape-hatch steps with their digests, for
// `ferry scripts check`; it works on a script that failed its check
// too (decode it with yaml alone), so the digest to pin can be printed.
func Snippets(s *Script) []Snippet {
	var out []Snippet
	var walk func(prefix string, steps []Step)
	walk = func(prefix string, steps []Step) {
		for i, st := range steps {
			where := fmt.Sprintf("%s[%d]", prefix, i)
			if st.Script != "" {
				out = append(out, Snippet{Where: where, Line: st.Line, Digest: Digest(st.Script), Reviewed: st.Reviewed, First: FirstLine(st.Script)})
			}
			suffixes, lists := st.Children()
			for j, l := range lists {
				walk(where+suffixes[j], l)
			}
		}
	}
	walk("steps", s.Steps)
	return out
}

// resolve finds a file a script names, relative to the script's
// directory; an embedded script can only name absolute paths.
func (c *checker) resolve(name string) (string, error) {
	if filepath.IsAbs(name) {
		return name, nil
	}
	if strings.HasPrefix(c.path, "embedded:") {
		return "", fmt.Errorf("%q is relative, and an embedded script has no directory: give an absolute path or put the script in scripts_dir", name)
	}
	return filepath.Join(filepath.Dir(c.path), name), nil
}

// download checks what a download step declares.
func (c *checker) download(line int, where string, st *Step, inLoop bool) {
	switch st.DownloadAs() {
	case AsStatement:
		if !slices.Contains(StatementFormats, st.Format) {
			c.bad(line, where, "download as statement: format %q (want %s)", st.Format, strings.Join(StatementFormats, ", "))
		}
		if st.Template != "" {
			c.bad(line, where, "template goes with as: invoice; a statement's columns are given by mapping")
		}
		if !inLoop && st.Account == "" {
			c.bad(line, where, "a statement downloaded outside for_each_account needs account: (a literal, ${param.NAME} or ${var.NAME})")
		}
	case AsInvoice:
		if !slices.Contains(InvoiceFormats, st.Format) {
			c.bad(line, where, "download as invoice: format %q (want %s)", st.Format, strings.Join(InvoiceFormats, ", "))
		}
		if st.Mapping != "" {
			c.bad(line, where, "mapping goes with as: statement (a CSV or XLSX export); an invoice takes template")
		}
	case AsFile:
		if st.Format != "" && !fileFormat.MatchString(st.Format) {
			c.bad(line, where, "download as file: format %q is not a short name (letters, digits, . _ -)", st.Format)
		}
		if st.Mapping != "" || st.Template != "" {
			c.bad(line, where, "a download as file is stored, not parsed: mapping and template do not go with it")
		}
	default:
		c.bad(line, where, "download as %q (want statement, invoice or file)", st.As)
		return
	}
	if st.Mapping != "" {
		if st.Format != "csv" && st.Format != "xlsx" {
			c.bad(line, where, "mapping describes a CSV or XLSX export's columns; format is %q", st.Format)
		}
		if p, err := c.resolve(st.Mapping); err != nil {
			c.bad(line, where+".mapping", "%v", err)
		} else if _, err := statements.LoadMapping(p); err != nil {
			c.bad(line, where+".mapping", "%v", err)
		} else {
			st.MappingPath = p
		}
	}
	if st.Template != "" {
		if p, err := c.resolve(st.Template); err != nil {
			c.bad(line, where+".template", "%v", err)
		} else if b, err := os.ReadFile(p); err != nil {
			c.bad(line, where+".template", "%v", err)
		} else if _, err := templates.Parse(p, b); err != nil {
			c.bad(line, where+".template", "%v", err)
		} else {
			st.TemplatePath = p
		}
	}
	if st.Account != "" && strings.TrimSpace(st.Account) != st.Account {
		c.bad(line, where, "account %q has spaces around it", st.Account)
	}
}

// script checks an escape-hatch step: its digest must be pinned.
func (c *checker) snippet(line int, where string, st Step) {
	d := Digest(st.Script)
	switch {
	case st.Reviewed == "":
		c.bad(line, where, "script is not reviewed: review it, then pin it with reviewed: %s", d)
	case st.Reviewed != d:
		c.bad(line, where, "script changed since it was reviewed (pinned %s, the text is %s): review it again, then pin the new digest", st.Reviewed, d)
	}
	if st.Into != "" {
		if !varName.MatchString(st.Into) {
			c.bad(line, where, "into: %q is not a variable name (a letter then letters, digits or _)", st.Into)
		} else {
			c.set[st.Into] = true
		}
	}
}

// declarations checks that download steps of one format declare the same
// thing: the runner tells a stored download's declaration by its format.
func (c *checker) declarations() {
	type decl struct {
		as, mapping, template string
		line                  int
	}
	seen := map[string]decl{}
	Walk(c.script.Steps, func(st Step) {
		if st.Download == "" {
			return
		}
		d := decl{st.DownloadAs(), st.Mapping, st.Template, st.Line}
		if prev, ok := seen[st.Format]; ok && (prev.as != d.as || prev.mapping != d.mapping || prev.template != d.template) {
			c.bad(st.Line, "download", "this %s download declares as %q, mapping %q, template %q, but the one at line %d declares as %q, mapping %q, template %q: downloads of one format must agree",
				st.Format, d.as, d.mapping, d.template, prev.line, prev.as, prev.mapping, prev.template)
			return
		}
		seen[st.Format] = d
	})
}

// Declaration is what the script's downloads of a format declare.
type Declaration struct {
	As           string
	MappingPath  string
	TemplatePath string
}

// Declarations returns what the script's download steps declare, by
// format (the script's check makes them agree per format).
func (s *Script) Declarations() map[string]Declaration {
	out := map[string]Declaration{}
	Walk(s.Steps, func(st Step) {
		if st.Download != "" {
			out[st.Format] = Declaration{As: st.DownloadAs(), MappingPath: st.MappingPath, TemplatePath: st.TemplatePath}
		}
	})
	return out
}
