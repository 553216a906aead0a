package statements_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/statements"
)

// One test per failure class the issue names, on hand-written files that
// imitate real banks (testdata/mt940, testdata/camt) and on real ones.

func readTestdata(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A balance with a decimal point kept its integer part and lost its cents
// (D…000000001000.12 became −1000.00). Every amount is read to its last
// character, or refused.
func TestMT940AmountsReadWhole(t *testing.T) {
	t.Parallel()
	stmt := func(open, line string) string {
		return ":20:X\n:25:NL01BANK0123456789\n:28C:1\n:60F:" + open + "\n:61:" + line + "\n:62F:D230102EUR000000000975.12\n"
	}
	sts, err := statements.ParseMT940("point.sta", []byte(stmt("D230101EUR000000001000.12", "2301020102C25,00NTRFNONREF")))
	if err != nil {
		t.Fatal(err)
	}
	if got := sts[0].Opening.String(); got != "-1000.12" {
		t.Fatalf("opening balance: got %s, want -1000.12", got)
	}
	if err := sts[0].Reconcile(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(sts[0].Notes, " "), "decimal point") {
		t.Errorf("notes %q do not say the amounts had a decimal point", sts[0].Notes)
	}
	if _, err := statements.ParseMT940Strict("point.sta", []byte(stmt("D230101EUR000000001000.12", "2301020102C25,00NTRFNONREF"))); err == nil || !strings.Contains(err.Error(), "point.sta: line 4") {
		t.Errorf("strict reader: got %v, want the decimal point refused at line 4", err)
	}
	for _, tc := range []struct{ open, line, want string }{
		{"D230101EUR1.000,12", "2301020102C25,00NTRFNONREF", "two decimal separators"},
		{"D230101EUR1000,123", "2301020102C25,00NTRFNONREF", "3 decimals"},
		{"D230101EUR1000,12X", "2301020102C25,00NTRFNONREF", "bad amount"},
		{"D230101EUR1000,12 EUR", "2301020102C25,00NTRFNONREF", "bad amount"},
		{"D230101EUR", "2301020102C25,00NTRFNONREF", "no amount"},
		{"D230101EUR1000,12", "2301020102C25,0,0NTRFNONREF", "two decimal separators"},
		{"D230101EUR1000,12", "2301020102C25,001NTRFNONREF", "3 decimals"},
		{"D230101EUR1000,12", "2301020102CNTRFNONREF", "no amount"},
		{"D230101EUR1000,12", "2301020102X25,00NTRFNONREF", "no debit/credit mark"},
		{"D231301EUR1000,12", "2301020102C25,00NTRFNONREF", "bad date"},
		{"D230101EUR1000,12", "2301021302C25,00NTRFNONREF", "bad entry date"},
	} {
		_, err := statements.ParseMT940("bad.sta", []byte(stmt(tc.open, tc.line)))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "bad.sta: line ") {
			t.Errorf("%s / %s: got %v, want an error naming the line with %q", tc.open, tc.line, err, tc.want)
		}
		if ferry.ClassOf(err) != ferry.ClassDocumentChanged {
			t.Errorf("%s / %s: class %s, want document_changed", tc.open, tc.line, ferry.ClassOf(err))
		}
	}
}

// The variants real banks write parse, each noted; the strict reader
// refuses them and accepts the standard files.
func TestMT940BankVariants(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file, note string // note: what the tolerant reader says; "" for standard SWIFT
		lines      int
		first      string // the first line's amount
	}{
		{"sparkasse_space.sta", "a space between the amount and the transaction type", 2, "-1234.56"},
		{"abnamro_old_point.sta", "decimal point", 2, "-25.5"},
		{"knab_notype.sta", "without a transaction type", 2, "500"},
		{"commerzbank_atat.sta", `"@@"`, 1, "-75"},
		{"hsbc_blocks.sta", "", 2, "-1200"},
		{"day_without_lines.940", "", 0, ""},
		{"bnp_pl_caret.sta", "", 1, "4988.01"},
		{"triodos_cr.sta", "", 1, "-0.5"},
		{"rabobank_iban.sta", "", 2, "150"},
		{"deutschebank_mt942.sta", "", 2, "1500"},
	} {
		data := readTestdata(t, "mt940/"+tc.file)
		f, err := statements.Detect(tc.file, data)
		if err != nil || f != statements.MT940 {
			t.Errorf("%s: detected %q, %v", tc.file, f, err)
		}
		sts, err := statements.ParseMT940(tc.file, data)
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		st := sts[0]
		if len(st.Lines) != tc.lines {
			t.Errorf("%s: got %d lines, want %d", tc.file, len(st.Lines), tc.lines)
		} else if tc.lines > 0 && st.Lines[0].Amount.String() != tc.first {
			t.Errorf("%s: first amount %s, want %s", tc.file, st.Lines[0].Amount, tc.first)
		}
		if err := st.Reconcile(); err != nil {
			t.Errorf("%s: %v", tc.file, err)
		}
		notes := strings.Join(st.Notes, "; ")
		_, strictErr := statements.ParseMT940Strict(tc.file, data)
		if tc.note != "" {
			if !strings.Contains(notes, tc.note) {
				t.Errorf("%s: notes %q, want one saying %q", tc.file, notes, tc.note)
			}
			if strictErr == nil || !strings.Contains(strictErr.Error(), "not standard SWIFT") {
				t.Errorf("%s: the strict reader accepted it (%v)", tc.file, strictErr)
			}
		}
	}
	for _, file := range []string{"hsbc_blocks.sta", "day_without_lines.940", "deutschebank_mt942.sta"} {
		if _, err := statements.ParseMT940Strict(file, readTestdata(t, "mt940/"+file)); err != nil {
			t.Errorf("strict reader on a standard file %s: %v", file, err)
		}
	}
	// Citi's layout (four-space entry date, funds code, empty bank
	// reference) and ASN's, read from the shared corpus.
	for _, tc := range []struct {
		rel     string
		lines   int
		closing string
	}{{"mt940/wolph/citi/mt940.txt", 5, "16233.92"}, {"mt940/wolph/ASNB/mt940_with_spaces_for_entry_date.txt", 1, "379.29"}} {
		data, err := os.ReadFile(testenv.Corpus(t, tc.rel))
		if err != nil {
			t.Fatal(err)
		}
		sts, err := statements.ParseMT940(filepath.Base(tc.rel), data)
		if err != nil {
			t.Errorf("%s: %v", tc.rel, err)
			continue
		}
		if len(sts[0].Lines) != tc.lines || sts[0].Closing.String() != tc.closing {
			t.Errorf("%s: %d lines, closing %s; want %d, %s", tc.rel, len(sts[0].Lines), sts[0].Closing, tc.lines, tc.closing)
		}
		for _, st := range sts {
			if err := st.Reconcile(); err != nil {
				t.Errorf("%s: %v", tc.rel, err)
			}
		}
	}
}

// The bank's reference after // is the transaction id; the customer's is
// the reference; NONREF, NOTPROVIDED and empty are neither.
func TestMT940References(t *testing.T) {
	t.Parallel()
	sts, err := statements.ParseMT940("hsbc_blocks.sta", readTestdata(t, "mt940/hsbc_blocks.sta"))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct{ ref, id, desc string }{{"100234", "HSBC0305001", "CHEQUE 100234 PAID"}, {"INV 2024-118", "HSBC0305002", "INV 2024-118"}} {
		l := sts[0].Lines[i]
		if l.Reference != want.ref || l.TransactionID != want.id || l.Description != want.desc {
			t.Errorf("line %d: reference %q, id %q, description %q; want %q, %q, %q", i+1, l.Reference, l.TransactionID, l.Description, want.ref, want.id, want.desc)
		}
	}
	sts, err = statements.ParseMT940("sparkasse_space.sta", readTestdata(t, "mt940/sparkasse_space.sta"))
	if err != nil {
		t.Fatal(err)
	}
	l := sts[0].Lines[0]
	if l.Reference != "RG-2024-0311" || l.TransactionID != "" || l.Counterparty != "Stadtwerke Musterstadt GmbH" || l.Description != "Stromabschlag Maerz 2024 Vertragskonto 4711" {
		t.Errorf("Sparkasse line 1: %+v", l)
	}
	if l := sts[0].Lines[1]; l.Reference != "" || l.TransactionID != "" {
		t.Errorf("Sparkasse line 2 (NONREF, EREF+NOTPROVIDED): reference %q id %q, want none", l.Reference, l.TransactionID)
	}
}

// A file that ends early is an error, never a shorter complete statement:
// every cut of a file either fails, or is the whole statement, or does
// not reconcile (a cut inside the closing balance's digits).
func TestTruncatedFilesAreErrors(t *testing.T) {
	t.Parallel()
	files := []struct {
		name string
		data []byte
	}{
		{"sparkasse_space.sta", readTestdata(t, "mt940/sparkasse_space.sta")},
		{"hsbc_blocks.sta", readTestdata(t, "mt940/hsbc_blocks.sta")},
		{"abnamro_old_point.sta", readTestdata(t, "mt940/abnamro_old_point.sta")},
		{"camt053_offsets.xml", readTestdata(t, "camt/camt053_offsets.xml")},
	}
	for _, rel := range []string{"ofx/ofxparse/checking.ofx", "ofx/ofxparse/suncorp.ofx", "camt/genkgo/camt053.v2.multi.statement.xml", "bai2/moov-io/sample1.txt"} {
		b, err := os.ReadFile(testenv.Corpus(t, rel))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, struct {
			name string
			data []byte
		}{filepath.Base(rel), b})
	}
	for _, f := range files {
		full, err := statements.ParseAll(t.Context(), f.name, f.data)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		whole := 0
		for _, st := range full {
			whole += len(st.Lines)
		}
		// Every line end and its neighbours, and bytes in between (all of
		// them for small files).
		stride := max(1, len(f.data)/250)
		for n := 0; n < len(f.data); n++ {
			if n%stride != 0 && f.data[n] != '\n' && (n == 0 || f.data[n-1] != '\n') {
				continue
			}
			sts, err := statements.ParseAll(t.Context(), f.name, f.data[:n])
			if err != nil {
				continue
			}
			lines := 0
			for _, st := range sts {
				lines += len(st.Lines)
			}
			if len(sts) == len(full) && lines == whole && sts[len(sts)-1].Closing.Equal(full[len(full)-1].Closing) {
				continue // only trailers were cut ("-", "</Document>" is not: see below)
			}
			reconciles := true
			for _, st := range sts {
				if st.NoBalances || st.Reconcile() != nil {
					reconciles = false
				}
			}
			if reconciles || isOFX(f.name) {
				t.Errorf("%s cut at byte %d of %d: parsed as %d statements with %d lines (whole: %d, %d), want an error", f.name, n, len(f.data), len(sts), lines, len(full), whole)
				break
			}
		}
	}
}

func isOFX(name string) bool { return strings.HasSuffix(name, ".ofx") }

// Specific ends: an unclosed {4: block, a statement without its closing
// balance, a line after the closing balance, OFX and camt cut short.
func TestEarlyEndsNameTheProblem(t *testing.T) {
	t.Parallel()
	hsbc := string(readTestdata(t, "mt940/hsbc_blocks.sta"))
	spk := string(readTestdata(t, "mt940/sparkasse_space.sta"))
	camt := string(readTestdata(t, "camt/camt053_offsets.xml"))
	for _, tc := range []struct{ name, data, want string }{
		{"a.sta", hsbc[:strings.Index(hsbc, "-}")], "not closed by -}"},
		{"b.sta", spk[:strings.Index(spk, ":62F:")], "without its closing balance"},
		{"c.sta", ":20:X\n:25:A\n:60F:C240101EUR1,00\n:62F:C240101EUR1,00\n:61:2401010101C1,00NTRFNONREF\n", "after the closing balance"},
		{"d.sta", ":20:X\n:25:A\n:60F:C240101EUR1,00\n:62F:C240101USD1,00\n", "but the statement is in EUR"},
		{"e.sta", ":20:X\n:60F:C240101EUR1,00\n:62F:C240101EUR1,00\n", "names no account"},
		{"f.xml", camt[:strings.Index(camt, "</Stmt>")], "truncated"},
		{"g.xml", strings.Replace(camt, "<CdtDbtInd>DBIT</CdtDbtInd>", "", 1), "no credit/debit indicator"},
		{"h.xml", strings.Replace(camt, "2017-04-01+02:00", "2017-04-01+25:00", 1), "not a time-zone offset"},
		{"i.xml", strings.Replace(camt, ">80.49<", ">8.049e1<", 1), "bad amount"},
	} {
		_, err := statements.ParseAll(t.Context(), tc.name, []byte(tc.data))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%s: got %v, want an error naming the file with %q", tc.name, err, tc.want)
		}
	}
	ofx, err := os.ReadFile(testenv.Corpus(t, "ofx/ofxparse/checking.ofx"))
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []string{"</STMTTRN>", "</BANKTRANLIST>", "</OFX>"} {
		i := strings.LastIndex(string(ofx), cut)
		_, err := statements.ParseOFX("checking.ofx", ofx[:i])
		if err == nil || !strings.Contains(err.Error(), "truncated") || !strings.Contains(err.Error(), "checking.ofx") {
			t.Errorf("OFX cut before its last %s: got %v, want a truncation error", cut, err)
		}
	}
}

// camt dates with zone offsets are read as the bank wrote them; AcctSvcrRef
// is the transaction id; NOTPROVIDED and NONREF are no reference; pending
// entries are left out, with a warning.
func TestCAMTOffsetsAndReferences(t *testing.T) {
	t.Parallel()
	sts, err := statements.ParseCAMT("camt053_offsets.xml", readTestdata(t, "camt/camt053_offsets.xml"))
	if err != nil {
		t.Fatal(err)
	}
	st := sts[0]
	if st.From.String() != "2017-04-01" || st.To.String() != "2017-04-01" || st.Opening.String() != "1000" || st.Closing.String() != "1319.51" {
		t.Errorf("statement: %s..%s opening %s closing %s", st.From, st.To, st.Opening, st.Closing)
	}
	if err := st.Reconcile(); err != nil {
		t.Error(err)
	}
	want := []struct{ booked, amount, ref, id, cp string }{
		{"2017-04-01", "450", "", "2017040100001234", "Beispiel Handel AG"},
		// 23:30 at -05:00 is 2 April in UTC: the bank booked it on 1 April.
		{"2017-04-01", "-80.49", "RG-2017-0311", "2017040100001235", "Stadtwerke Musterstadt GmbH"},
		// A batch: the entry's own AcctSvcrRef, no single counterparty.
		{"2017-04-01", "-50", "", "2017040100001236", ""},
	}
	if len(st.Lines) != len(want) {
		t.Fatalf("got %d lines, want %d (the pending entry left out)", len(st.Lines), len(want))
	}
	for i, w := range want {
		l := st.Lines[i]
		if l.BookingDate.String() != w.booked || l.Amount.String() != w.amount || l.Reference != w.ref || l.TransactionID != w.id || l.Counterparty != w.cp {
			t.Errorf("line %d: %s %s ref %q id %q cp %q; want %+v", i+1, l.BookingDate, l.Amount, l.Reference, l.TransactionID, l.Counterparty, w)
		}
	}
	if !strings.Contains(strings.Join(st.Warnings, " "), "1 entries not booked") {
		t.Errorf("warnings %q do not name the pending entry", st.Warnings)
	}
}

// OFX: FITID is the transaction id. Real files from ofxgo's samples
// (github.com/aclindsa/ofxgo v0.1.3, GPL-2.0; read in place from the module
// cache, not copied): every STMTTRN is a line.
func TestOFXGoSamples(t *testing.T) {
	t.Parallel()
	dir := testenv.Module(t, "github.com/aclindsa/ofxgo@v0.1.3")
	files, _ := filepath.Glob(filepath.Join(dir, "samples", "*", "*"))
	if len(files) < 6 {
		t.Fatalf("found %d ofxgo samples", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := statements.Detect(filepath.Base(f), data); err != nil || got != statements.OFX {
			t.Errorf("%s: detected %q, %v", filepath.Base(f), got, err)
		}
		sts, err := statements.ParseOFX(filepath.Base(f), data)
		testenv.Golden(t, filepath.Join("testdata", "golden", "ofxgo", filepath.Base(f)+".json"), statementsJSON(t, sts, err))
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		n := 0
		for _, st := range sts {
			if st.Account == "" || st.Currency == "" {
				t.Errorf("%s: account %q currency %q", filepath.Base(f), st.Account, st.Currency)
			}
			for _, l := range st.Lines {
				n++
				if l.TransactionID == "" {
					t.Errorf("%s: a line without its FITID", filepath.Base(f))
				}
			}
		}
		if want := strings.Count(string(data), "<STMTTRN>"); n != want {
			t.Errorf("%s: got %d lines, want %d", filepath.Base(f), n, want)
		}
	}
}

// BAI2: the bank reference is the transaction id, the customer reference
// the reference.
func TestBAI2References(t *testing.T) {
	t.Parallel()
	data := "01,SENDR1,RECVR1,240305,0800,1,80,,2/\n02,RECVR1,SENDR1,1,240304,,USD,2/\n03,0123456789,,010,+100000,,,015,+109000,,/\n16,175,10000,0,BANKREF0001,CUSTREF-7,DEPOSIT/\n16,475,1000,0,BANKREF0002,NONREF,CHECK PAID/\n49,220000,4/\n98,220000,1,6/\n99,220000,1,8/\n"
	sts, err := statements.ParseBAI2("refs.bai", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	l := sts[0].Lines
	if l[0].TransactionID != "BANKREF0001" || l[0].Reference != "CUSTREF-7" || l[1].TransactionID != "BANKREF0002" || l[1].Reference != "" || l[1].Amount.String() != "-10" {
		t.Errorf("lines %+v", l)
	}
	if err := sts[0].Reconcile(); err != nil {
		t.Error(err)
	}
}

// Encodings real exports use: a UTF-8 byte-order mark, UTF-16 from
// Windows tools, Latin-1 camt.
func TestTextFormatEncodings(t *testing.T) {
	t.Parallel()
	spk := readTestdata(t, "mt940/sparkasse_space.sta")
	utf16 := []byte{0xFF, 0xFE}
	for _, r := range string(spk) {
		utf16 = append(utf16, byte(r), byte(r>>8))
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{{"bom.sta", append([]byte("\xEF\xBB\xBF"), spk...)}, {"utf16.sta", utf16}} {
		if f, err := statements.Detect(tc.name, tc.data); err != nil || f != statements.MT940 {
			t.Errorf("%s: detected %q, %v", tc.name, f, err)
		}
		sts, err := statements.ParseMT940(tc.name, tc.data)
		if err != nil || sts[0].ID != "STARTUMSE" || len(sts[0].Lines) != 2 || sts[0].Closing.String() != "13611.11" {
			t.Errorf("%s: %v %+v", tc.name, err, sts)
		}
	}
	camt := strings.Replace(string(readTestdata(t, "camt/camt053_offsets.xml")), `encoding="UTF-8"`, `encoding="ISO-8859-1"`, 1)
	camt = strings.Replace(camt, "Beispiel Handel AG", "B\xe4cker AG", 1) // ä in Latin-1
	sts, err := statements.ParseCAMT("latin1.xml", append([]byte("\xEF\xBB\xBF"), camt...))
	if err != nil || len(sts[0].Lines) != 3 || sts[0].Lines[0].Counterparty != "Bäcker AG" {
		t.Errorf("latin-1 camt with a BOM: %v %+v", err, sts)
	}
}

// Real camt.052/053/054 files from PostFinance (Switzerland) and Finnish
// banks' samples, published as test data of github.com/moov-io/iso20022
// v0.2.1 (Apache-2.0), read in place from the module cache. Every booked
// entry is a line; the camt.056 there is refused as no statement.
func TestCAMTMoovIOFiles(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testenv.Module(t, "github.com/moov-io/iso20022@v0.2.1"), "test", "testdata")
	files, _ := filepath.Glob(filepath.Join(dir, "*camt*.xml"))
	if len(files) < 15 {
		t.Fatalf("found %d camt files in %s", len(files), dir)
	}
	for _, f := range files {
		name := filepath.Base(f)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sts, err := statements.ParseAll(t.Context(), name, data)
		testenv.Golden(t, filepath.Join("testdata", "golden", "moov-io-iso20022", name+".json"), statementsJSON(t, sts, err))
		if name == "valid_camt_v09.xml" {
			if err == nil || !strings.Contains(err.Error(), "CstmrPmtCxlReq") {
				t.Errorf("%s (a camt.056 cancellation request): got %v, want it refused as no statement", name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		text := string(data)
		want := strings.Count(text, "<Ntry>") - strings.Count(text, "<Sts>PDNG</Sts>") - strings.Count(text, "<Sts>INFO</Sts>")
		got := 0
		for _, st := range sts {
			if st.Account == "" || st.Currency == "" {
				t.Errorf("%s: account %q currency %q", name, st.Account, st.Currency)
			}
			for _, l := range st.Lines {
				got++
				if l.BookingDate.IsZero() || l.Amount.IsZero() && !strings.Contains(text, ">0.00<") {
					t.Errorf("%s: line %+v", name, l)
				}
			}
		}
		if got != want {
			t.Errorf("%s: got %d lines, want the %d booked entries", name, got, want)
		}
	}
}

// A bank reference written on two different lines is no transaction id:
// kept, it would make the second line a duplicate of the first. (The ids
// are no longer one digit repeated, "55555": such fillers are no ids
// anyway, see TestDedupKeysAcrossMonths.)
func TestRepeatedBankReferencesAreNoTransactionIDs(t *testing.T) {
	t.Parallel()
	data := ":20:X\n:25:NL01BANK0123456789\n:60F:C240101EUR0,00\n:61:2401010101C1,00NTRFNONREF//5512345\n:61:2401020102C2,00NTRFNONREF//5512345\n:61:2401030103C3,00NTRFNONREF//7712345\n:62F:C240103EUR6,00\n"
	sts, err := statements.ParseMT940("rep.sta", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	l := sts[0].Lines
	if l[0].TransactionID != "" || l[1].TransactionID != "" || l[2].TransactionID != "7712345" {
		t.Errorf("transaction ids %q %q %q, want \"\" \"\" \"7712345\"", l[0].TransactionID, l[1].TransactionID, l[2].TransactionID)
	}
	if keys := sts[0].DedupKeys(); keys[0] == keys[1] {
		t.Errorf("two different lines share the dedup key %s", keys[0])
	}
	if !strings.Contains(strings.Join(sts[0].Notes, " "), "share a bank reference") {
		t.Errorf("notes %q do not say why", sts[0].Notes)
	}
}

// Hostile shapes that made joins quadratic finish quickly or are refused.
func TestHostileShapesStayLinear(t *testing.T) {
	t.Parallel()
	head := ":20:X\n:25:A\n:60F:C240101EUR0,00\n:61:2401010101C1,00NTRFNONREF\n"
	many86 := head + strings.Repeat(":86:x\n", 200_000) + ":62F:C240101EUR1,00\n"
	if _, err := statements.ParseMT940("many86.sta", []byte(many86)); err == nil || !strings.Contains(err.Error(), "more than 100 :86: fields") {
		t.Errorf("200,000 :86: fields on one line: got %v", err)
	}
	subfields := head + ":86:166" + strings.Repeat("?20ab", 300_000) + "\n:62F:C240101EUR1,00\n"
	sts, err := statements.ParseMT940("sub.sta", []byte(subfields))
	if err != nil || len(sts[0].Lines[0].Description) != 600_000 {
		t.Errorf("300,000 ?20 sub-fields: %v", err)
	}
	pieces := `<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Id>` + strings.Repeat("a<!---->", 200_000) + `</Id></Stmt></BkToCstmrStmt></Document>`
	if _, err := statements.ParseCAMT("pieces.xml", []byte(pieces)); err == nil || !strings.Contains(err.Error(), "pieces") {
		t.Errorf("text in 200,000 pieces: got %v", err)
	}
}

// Dutch /KEY/ :86: fields (Rabobank: /CNTP/ account/BIC/name/city,
// /REMI/USTD//, /EREF/) and the non-SWIFT :NS: fields of German
// savings banks.
func TestMT940DutchKeysAndNS(t *testing.T) {
	t.Parallel()
	sts, err := statements.ParseMT940("rabobank_iban.sta", readTestdata(t, "mt940/rabobank_iban.sta"))
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range []struct{ cp, desc, ref string }{{"J. de Vries", "Factuur 2024-033", ""}, {"KPN B.V.", "Factuur maart 2024", "2400012345"}} {
		l := sts[0].Lines[i]
		if l.Counterparty != w.cp || l.Description != w.desc || l.Reference != w.ref {
			t.Errorf("line %d: counterparty %q description %q reference %q; want %+v", i+1, l.Counterparty, l.Description, l.Reference, w)
		}
	}
	if sts[0].Account != "NL91RABO0123456789" {
		t.Errorf("account %q, want the IBAN without the currency Rabobank writes after it", sts[0].Account)
	}
	ns := ":20:STARTUMS\n:25:1222333444\n:28:1/1\n:NS:22Test GmbH\n23Testkonto\n:60F:C020315EUR0,00\n:61:0203170320CR5000,00S05168790452\n:NS:01Verwendungszweck 1\n15Empfaenger\n:62F:C020320EUR5000,00\n"
	sts, err = statements.ParseMT940("ns.sta", []byte(ns))
	if err != nil || len(sts[0].Lines) != 1 || sts[0].Lines[0].Amount.String() != "5000" {
		t.Fatalf("a file with :NS: fields: %v", err)
	}
	if _, err := statements.ParseMT940Strict("ns.sta", []byte(ns)); err == nil || !strings.Contains(err.Error(), ":NS:") {
		t.Errorf("strict reader on :NS: fields: got %v", err)
	}
}

// A caller's context stops a long parse.
func TestTextFormatsStopWithTheContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := statements.ParseMT940Context(ctx, "big.sta", genMT940(5_000)); err == nil || !strings.Contains(err.Error(), "big.sta: line 4096") {
		t.Errorf("MT940 with a cancelled context: got %v", err)
	}
	if _, err := statements.ParseCAMTContext(ctx, "big.xml", genCAMT(1_000)); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("camt with a cancelled context: got %v", err)
	}
}

// :25: forms around an IBAN name the account as camt does.
func TestMT940AccountForms(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"NL91RABO0123456789 EUR", "NL91RABO0123456789"}, // not a valid IBAN: only the currency goes
		{"NL91ABNA0417164300 EUR", "NL91ABNA0417164300"},
		{"NL91ABNA0417164300EUR", "NL91ABNA0417164300"},
		{"/DE89370400440532013000", "DE89370400440532013000"},
		{"COBADEFFXXX/DE89370400440532013000", "DE89370400440532013000"},
		{"DE89 3704 0044 0532 0130 00", "DE89370400440532013000"},
		{"50050201/0123456789", "50050201/0123456789"},
		{"0123456789 EUR", "0123456789"},
	} {
		data := ":20:X\n:25:" + tc.in + "\n:60F:C240101EUR1,00\n:62F:C240101EUR1,00\n"
		sts, err := statements.ParseMT940("acct.sta", []byte(data))
		if err != nil || sts[0].Account != tc.want {
			t.Errorf(":25:%s: got %v %+v, want %q", tc.in, err, sts, tc.want)
		}
	}
}
