package scripts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry/selectors"
)

// TestDownloadDeclarations checks what a download may declare, each bad
// combination refused at load with the file and line.
func TestDownloadDeclarations(t *testing.T) {
	t.Parallel()
	sel, err := selectors.Load("", "demobank")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bank.yaml"), []byte("columns:\n  booking_date: Date\n  amount: Amount\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad-mapping.yaml"), []byte("colums: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "b.yaml")
	head := "bot: b\nsite: demobank\nparams:\n  acct: {type: string, default: \"NL01\"}\nsteps:\n"
	loop := func(step string) string {
		return "  - for_each_account:\n      options_of: statement.account\n      steps:\n" + indent(step, "        ")
	}
	for _, tc := range []struct{ steps, want string }{
		// good
		{loop("- download: statement.download_csv\n  format: csv\n  mapping: bank.yaml\n"), ""},
		{loop("- download: statement.download_xlsx\n  format: mt940\n"), ""},
		{"  - download: statement.download_csv\n    format: csv\n    account: ${param.acct}\n", ""},
		{"  - download: statement.download_csv\n    format: camt\n    account: NL02BANK0123456789\n", ""},
		{"  - download: statement.download_pdf\n    as: invoice\n    format: pdf\n", ""},
		{"  - download: statement.download_pdf\n    as: file\n", ""},
		{"  - download: statement.download_pdf\n    as: file\n    format: zip\n", ""},
		// bad
		{"  - download: statement.download_csv\n    format: csv\n", "outside for_each_account needs account"},
		{"  - download: statement.download_csv\n    format: docx\n    account: A\n", `format "docx" (want xlsx, csv, pdf, camt, mt940, ofx, bai2)`},
		{"  - download: statement.download_csv\n    as: invoice\n    format: csv\n", `as invoice: format "csv" (want pdf, ofd, xml, xlsx)`},
		{"  - download: statement.download_csv\n    as: receipt\n", `as "receipt"`},
		{"  - download: statement.download_csv\n    as: file\n    format: ../x\n", "not a short name"},
		{"  - download: statement.download_csv\n    as: file\n    mapping: bank.yaml\n", "stored, not parsed"},
		{"  - download: statement.download_pdf\n    format: pdf\n    account: A\n    mapping: bank.yaml\n", `mapping describes a CSV or XLSX export's columns; format is "pdf"`},
		{"  - download: statement.download_csv\n    format: csv\n    account: A\n    mapping: nope.yaml\n", "mapping: open"},
		{"  - download: statement.download_csv\n    format: csv\n    account: A\n    mapping: bad-mapping.yaml\n", "colums"},
		{"  - download: statement.download_csv\n    format: csv\n    account: A\n    template: t.yaml\n", "template goes with as: invoice"},
		{"  - download: statement.download_csv\n    format: csv\n    account: ${account}\n", "only set inside for_each_account"},
		{"  - download: statement.download_csv\n    format: csv\n    account: ${param.nope}\n", "unknown parameter ${param.nope}"},
		{"  - download: statement.download_csv\n    format: csv\n    account: ${var.a}\n", "not set by an extract before this step"},
		{"  - download: statement.download_csv\n    format: csv\n    account: ${cred.user}\n", "a credential may only be the value"},
		{"  - click: login.submit\n    account: A\n", "account does not go with click"},
		{"  - click: login.submit\n    as: file\n", "as does not go with click"},
		{loop("- download: statement.download_csv\n  format: csv\n- download: statement.download_xlsx\n  format: csv\n  as: file\n"), "downloads of one format must agree"},
	} {
		_, err := Parse(path, []byte(head+tc.steps), sel)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.steps, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path+":")):
			t.Errorf("%q: got %v, want an error naming %s:LINE with %q", tc.steps, err, path, tc.want)
		}
	}
}

func TestDeclarationsResolveTheMapping(t *testing.T) {
	t.Parallel()
	sel, err := selectors.Load("", "demobank")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bank.yaml"), []byte("columns:\n  amount: Amount\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Parse(filepath.Join(dir, "b.yaml"), []byte("bot: b\nsite: demobank\nsteps:\n  - download: statement.download_csv\n    format: csv\n    account: A\n    mapping: bank.yaml\n  - download: statement.download_pdf\n    as: file\n    format: pdf\n"), sel)
	if err != nil {
		t.Fatal(err)
	}
	d := s.Declarations()
	if d["csv"].As != AsStatement || d["csv"].MappingPath != filepath.Join(dir, "bank.yaml") || d["pdf"].As != AsFile {
		t.Fatalf("declarations %+v", d)
	}
	// An embedded script has no directory to resolve a mapping against.
	_, err = Parse("embedded:b.yaml", []byte("bot: b\nsite: demobank\nsteps:\n  - download: statement.download_csv\n    format: csv\n    account: A\n    mapping: bank.yaml\n"), sel)
	if err == nil || !strings.Contains(err.Error(), "embedded:b.yaml:4") || !strings.Contains(err.Error(), "no directory") {
		t.Fatalf("got %v", err)
	}
}

// TestScriptStepNeedsItsDigestPinned checks the escape hatch's review:
// unpinned or edited snippets are refused with the digest to pin.
func TestScriptStepNeedsItsDigestPinned(t *testing.T) {
	t.Parallel()
	sel, err := selectors.Load("", "demobank")
	if err != nil {
		t.Fatal(err)
	}
	js := "return document.title;\n"
	d := Digest(js)
	if !strings.HasPrefix(d, "sha256:") || len(d) != 7+64 || Digest("return document.title;\r\n") != d {
		t.Fatalf("digest %q", d)
	}
	head := "bot: b\nsite: demobank\nsteps:\n  - open: ${site.url}/\n"
	step := func(body, reviewed, extra string) string {
		s := "  - script: |\n" + indent(body, "      ")
		if reviewed != "" {
			s += "    reviewed: " + reviewed + "\n"
		}
		return s + extra
	}
	for _, tc := range []struct{ steps, want string }{
		{step(js, d, "    into: title\n  - fill: login.user\n    value: ${var.title}\n"), ""},
		{step(js, d, "    within: accounts.title\n    frame: login.user\n    retry: {attempts: 2}\n"), ""},
		{step(js, "", ""), "not reviewed: review it, then pin it with reviewed: " + d},
		{step("return 2;\n", d, ""), "changed since it was reviewed (pinned " + d},
		{step(js, d, "    into: 9x\n"), "not a variable name"},
		{step(js, d, "    value: x\n"), "value does not go with script"},
		{"  - click: login.submit\n    reviewed: " + d + "\n", "reviewed does not go with click"},
		{step(js, d, "    within: nope.nope\n"), `element "nope.nope" is not in`},
	} {
		_, err := Parse("b.yaml", []byte(head+tc.steps), sel)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.steps, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "b.yaml:5")):
			t.Errorf("%q: got %v, want an error naming b.yaml:5 with %q", tc.steps, err, tc.want)
		}
	}
	s, err := Parse("b.yaml", []byte(head+"  - in_frame: login.user\n    steps:\n"+indent(step(js, d, ""), "    ")), sel)
	if err != nil {
		t.Fatal(err)
	}
	sn := Snippets(s)
	if len(sn) != 1 || sn[0].Where != "steps[1].steps[0]" || sn[0].Digest != d || sn[0].First != "return document.title;" || sn[0].Line != 7 {
		t.Fatalf("snippets %+v", sn)
	}
}

func indent(s, by string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = by + l
	}
	return strings.Join(lines, "\n") + "\n"
}
