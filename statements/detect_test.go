package statements_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/statements"
)

// corpusRefusal says why a shared-corpus statement file must be refused,
// or "" when it must parse. The reasons are facts about the files, not
// about Ferry: broken samples, fragments that test one field, messages
// that carry no statement.
func corpusRefusal(rel string, data []byte) string {
	text := string(data)
	base := filepath.Base(rel)
	switch {
	case strings.HasPrefix(rel, "ofx/ofxparse/fail_nice/") && base != "empty_balance.ofx":
		// empty_balance.ofx is whole but for its balances: its line is
		// read, its blank balances are not (see TestOFXEmptyBalanceIsNotZero).
		return "a broken OFX sample (ofxparse's fail_nice)"
	case rel == "bai2/moov-io/sample-parseError.txt":
		return "moov-io's sample that must fail to parse"
	case rel == "camt/genkgo/camt053.v2.wrong.xml":
		return "genkgo's sample without a statement"
	case strings.HasPrefix(rel, "camt/") && strings.Contains(text, "<Ntry>") && !strings.Contains(text, "<BookgDt>") && !strings.Contains(text, "<ValDt>") && !strings.Contains(text, "<FrToDt>"):
		// genkgo's notifications leave every date out and cover no
		// stated period: an entry's day cannot be told (TestCAMTUndatedEntries).
		return "entries without a date on a statement of no one day"
	case strings.HasPrefix(rel, "ofx/"):
		switch base {
		case "signon_fail.ofx", "signon_success.ofx", "signon_success_no_message.ofx", "account_listing_aggregation.ofx", "bank_small.ofx", "error_message.ofx":
			return "an OFX response without a statement (sign-on, account list or error)"
		}
	case strings.HasPrefix(rel, "mt940/"):
		if base == "invalid_statement.sta" {
			return "numbers, not MT940"
		}
		if base == "multiline.sta" {
			return "a :61: after the message's end"
		}
		if strings.Contains(text, ":34F:") {
			return "" // an MT942 interim report: no balances by design
		}
		if !strings.Contains(text, ":62F:") && !strings.Contains(text, ":62M:") || !strings.Contains(text, ":60F:") && !strings.Contains(text, ":60M:") {
			return "a fragment without its opening or closing balance"
		}
	}
	return ""
}

// corpusStatementFiles lists the shared corpus's statement files (not the
// expected parses, not the BAI2 specification PDF), relative to it.
func corpusStatementFiles(t *testing.T) []string {
	t.Helper()
	dir := testenv.CorpusDir()
	if dir == "" {
		testenv.Missing(t, "the shared corpus is missing")
		return nil
	}
	var out []string
	for _, sub := range []string{"mt940", "camt", "ofx", "bai2"} {
		err := filepath.WalkDir(filepath.Join(dir, sub), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			switch filepath.Ext(p) {
			case ".yml", ".json", ".pdf", ".md":
				return nil
			}
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(out)
	return out
}

// Every shared-corpus statement file is detected as its format by content
// and parsed, or, for the broken ones, refused with an error naming it.
func TestCorpusDetectAndParse(t *testing.T) {
	t.Parallel()
	files := corpusStatementFiles(t)
	if len(files) < 100 {
		t.Fatalf("found %d corpus statement files, want the 107 of mt940/, camt/, ofx/ and bai2/", len(files))
	}
	want := map[string]statements.Format{"mt940": statements.MT940, "camt": statements.CAMT, "ofx": statements.OFX, "bai2": statements.BAI2}
	parsed, refused := 0, 0
	for _, rel := range files {
		data, err := os.ReadFile(filepath.Join(testenv.CorpusDir(), rel))
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(rel)
		f, err := statements.Detect(name, data)
		if wf := want[strings.SplitN(rel, "/", 2)[0]]; err != nil || f != wf {
			t.Errorf("%s: detected %q (%v), want %s", rel, f, err, wf)
			continue
		}
		sts, err := statements.ParseAll(context.Background(), name, data)
		if why := corpusRefusal(rel, data); why != "" {
			refused++
			if err == nil {
				t.Errorf("%s (%s): parsed as %d statements, want a refusal", rel, why, len(sts))
			} else if !strings.Contains(err.Error(), name) {
				t.Errorf("%s: the error does not name the file: %v", rel, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		parsed++
		for i, st := range sts {
			if st.Account == "" || st.Currency == "" {
				t.Errorf("%s statement %d: account %q currency %q", rel, i+1, st.Account, st.Currency)
			}
			for j, l := range st.Lines {
				if l.Currency == "" || l.Account == "" {
					t.Errorf("%s statement %d line %d: account %q currency %q", rel, i+1, j+1, l.Account, l.Currency)
				}
			}
		}
	}
	t.Logf("%d files: %d parsed, %d refused as broken, fragments or without statements", len(files), parsed, refused)
	if parsed < 70 {
		t.Errorf("only %d corpus files parsed", parsed)
	}
}

// statementsJSON renders parse results for golden files.
func statementsJSON(t *testing.T, sts []ferry.Statement, err error) []byte {
	t.Helper()
	var v any = sts
	if err != nil {
		v = map[string]string{"error": err.Error()}
	}
	b, jerr := json.MarshalIndent(v, "", "  ")
	if jerr != nil {
		t.Fatal(jerr)
	}
	return append(b, '\n')
}

// The parse of every shared-corpus statement file, and of every
// hand-written file in testdata/, is kept in a golden file: a change in
// any value shows up in review (go test -run Golden -update rewrites them).
func TestGoldenCorpus(t *testing.T) {
	t.Parallel()
	for _, rel := range corpusStatementFiles(t) {
		data, err := os.ReadFile(filepath.Join(testenv.CorpusDir(), rel))
		if err != nil {
			t.Fatal(err)
		}
		sts, err := statements.ParseAll(context.Background(), filepath.Base(rel), data)
		testenv.Golden(t, filepath.Join("testdata", "golden", "corpus", rel+".json"), statementsJSON(t, sts, err))
	}
}

func TestGoldenTestdata(t *testing.T) {
	t.Parallel()
	// The hand-written bank files; tables and workbooks have golden
	// files of their own (TestTablesWithoutMapping, TestXLSXFromRealWriters).
	var files []string
	for _, dir := range []string{"mt940", "camt"} {
		m, _ := filepath.Glob(filepath.Join("testdata", dir, "*"))
		files = append(files, m...)
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".md") || strings.Contains(f, "golden") || strings.Contains(f, "fuzz") {
			continue
		}
		if st, err := os.Stat(f); err != nil || st.IsDir() {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n++
		sts, err := statements.ParseAll(context.Background(), filepath.Base(f), data)
		rel, _ := filepath.Rel("testdata", f)
		testenv.Golden(t, filepath.Join("testdata", "golden", rel+".json"), statementsJSON(t, sts, err))
	}
	if n == 0 {
		t.Fatal("no hand-written test files found")
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, data string
		want       statements.Format
	}{
		{"day.sta", ":20:X\r\n:25:DE1\r\n:28C:1\r\n:60F:C240305EUR1,00\r\n:62F:C240305EUR1,00\r\n-\r\n", statements.MT940},
		{"noext", ":20:X\n:25:DE1\n:60F:C240305EUR1,00\n:62F:C240305EUR1,00\n", statements.MT940},
		{"export.txt", ":20:X@@:25:DE1@@:60F:C240305EUR1,00@@:62F:C240305EUR1,00@@", statements.MT940},
		{"swift.dat", "{1:F01BANKDEFFAXXX0000000000}{2:O9401200240305BANKDEFFAXXX00000000002403051200N}{4:\n:20:X\n-}", statements.MT940},
		{"one-tag.940", ":20:ONLY\n", statements.MT940},
		{"broken.mt940", "garbage\n", statements.MT940},
		{"s.xml", `<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt/></Document>`, statements.CAMT},
		{"s.xml", "\xEF\xBB\xBF<Document><BkToCstmrStmt></BkToCstmrStmt></Document>", statements.CAMT},
		{"s.qfx", "OFXHEADER:100\nDATA:OFXSGML\n\n<OFX></OFX>", statements.OFX},
		{"s.ofx", `<?xml version="1.0"?><?OFX OFXHEADER="200"?><OFX></OFX>`, statements.OFX},
		{"b.txt", "01,122099999,123456789,040621,0200,1,65,,2/\n02,031001234,122099999,1,040620,2359,,2/\n", statements.BAI2},
		{"a.csv", "Datum;Betrag\n01.03.2024;1,00\n", statements.CSV},
		{"a.pdf", "%PDF-1.7\n", statements.PDF},
	} {
		got, err := statements.Detect(tc.name, []byte(tc.data))
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %s", tc.name, got, err, tc.want)
		}
	}
}

// When no reader fits, the error names the closest candidates.
func TestDetectNamesTheClosest(t *testing.T) {
	t.Parallel()
	_, err := statements.Detect("x.bin", []byte{0, 1, 2, 3, 0, 0})
	if err == nil || !strings.Contains(err.Error(), "x.bin") || !strings.Contains(err.Error(), "--format") {
		t.Fatalf("binary file: got %v, want an error naming the file and --format", err)
	}
	c := statements.DetectCandidates("x.txt", []byte("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.03\"></Document>"))
	found := false
	for _, x := range c {
		if x.Format == statements.CAMT {
			found = true
			if x.Score >= 30 || !strings.Contains(x.Reason, "not a camt") {
				t.Errorf("pain.001: camt candidate %+v, want a low score saying it is not a camt statement", x)
			}
		}
	}
	if !found {
		t.Errorf("pain.001: candidates %+v, want camt among them as the closest reader", c)
	}
}
