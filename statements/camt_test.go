package statements_test

import (
	"encoding/json"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry/statements"
	"github.com/shopspring/decimal"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

const corpus = "../../shared/corpus"

// genkgoEntry is what the expected-parse files (genkgo/camt's DTOs dumped
// as JSON) say of one entry.
type genkgoEntry struct {
	Amount struct {
		Amount   string `json:"getAmount"`
		Currency struct {
			Code string `json:"getCode"`
		} `json:"getCurrency"`
	} `json:"getAmount"`
	Indicator   string          `json:"getCreditDebitIndicator"`
	BookingDate json.RawMessage `json:"getBookingDate"`
	ValueDate   json.RawMessage `json:"getValueDate"`
	ServicerRef *string         `json:"getAccountServicerReference"`
	Status      string          `json:"getStatus"`
	Reference   *string         `json:"getReference"`
	Additional  *string         `json:"getAdditionalInfo"`
	Record      json.RawMessage `json:"getRecord"`
}

type genkgoRecord struct {
	ID       *string `json:"getId"`
	Balances []struct {
		Type   string `json:"getType"`
		Amount struct {
			Amount string `json:"getAmount"`
		} `json:"getAmount"`
	} `json:"getBalances"`
}

func dateOf(raw json.RawMessage) string {
	var d map[string]any
	if json.Unmarshal(raw, &d) != nil || d == nil {
		return ""
	}
	s, _ := d["0"].(string)
	if len(s) >= 10 {
		return s[:10]
	}
	return ""
}

// minor converts an amount to the minor units genkgo stores, by the
// currency's ISO 4217 exponent.
func minor(d decimal.Decimal, ccy string) string {
	exp := int32(2)
	switch ccy {
	case "JPY", "KRW", "CLP", "ISK", "VND":
		exp = 0
	case "BHD", "KWD", "JOD", "OMR", "TND", "IQD", "LYD":
		exp = 3
	}
	return d.Shift(exp).Truncate(0).String()
}

func TestCAMTAgainstGenkgo(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob(filepath.Join(corpus, "camt/genkgo/*.xml"))
	if len(files) == 0 {
		testenv.Missing(t, "corpus not found")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, _ := os.ReadFile(f)
			sts, err := statements.ParseCAMT(filepath.Base(f), data)
			wantFile := strings.TrimSuffix(f, ".xml") + ".json"
			raw, jerr := os.ReadFile(wantFile)
			if jerr != nil {
				// No expected parse: a file that must fail (camt053.v2.wrong.xml).
				if err == nil {
					t.Fatalf("no expected parse beside it and it parsed: %d statements", len(sts))
				}
				if !strings.Contains(err.Error(), filepath.Base(f)) {
					t.Fatalf("error does not name the file: %v", err)
				}
				return
			}
			var want struct {
				Entries []genkgoEntry `json:"getEntries"`
			}
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			if err != nil {
				// genkgo reads an entry without any date as undated; Ferry
				// never passes an undated line on, and where the statement
				// does not cover one day it refuses the file naming the
				// entry (TestCAMTUndatedEntries).
				undated := false
				for _, e := range want.Entries {
					undated = undated || dateOf(e.BookingDate) == "" && e.Status != "PDNG" && e.Status != "INFO"
				}
				if undated && strings.Contains(err.Error(), "states no booking or value date") && strings.Contains(err.Error(), filepath.Base(f)+": line ") {
					return
				}
				t.Fatal(err)
			}
			// Entries not booked (PDNG) are no statement lines: Ferry
			// leaves them out and says so in a warning.
			booked := want.Entries[:0]
			pending := 0
			for _, e := range want.Entries {
				if e.Status == "PDNG" || e.Status == "INFO" {
					pending++
					continue
				}
				booked = append(booked, e)
			}
			want.Entries = booked
			if pending > 0 && (len(sts) == 0 || !strings.Contains(strings.Join(sts[len(sts)-1].Warnings, " "), "not booked")) {
				t.Errorf("%d pending entries left out without a warning", pending)
			}
			var got []struct {
				st int
				i  int
			}
			for si, st := range sts {
				for li := range st.Lines {
					got = append(got, struct{ st, i int }{si, li})
				}
			}
			// genkgo's dump of a multi-statement message lists only the last
			// statement's entries (its records are recursion markers), so the
			// expected entries are the last ones Ferry reads.
			if len(got) < len(want.Entries) || (len(sts) == 1 && len(got) != len(want.Entries)) {
				t.Fatalf("got %d entries, want %d", len(got), len(want.Entries))
			}
			got = got[len(got)-len(want.Entries):]
			for k, w := range want.Entries {
				st := sts[got[k].st]
				l := st.Lines[got[k].i]
				check := func(field, g, w string) {
					if g != w {
						t.Errorf("entry %d %s: got %q, want %q", k, field, g, w)
					}
				}
				check("amount", minor(l.Amount, l.Currency), w.Amount.Amount)
				check("currency", l.Currency, w.Amount.Currency.Code)
				check("booking date", l.BookingDate.String(), dateOf(w.BookingDate))
				if vd := dateOf(w.ValueDate); vd != "" {
					check("value date", l.ValueDate.String(), vd)
				}
				if w.ServicerRef != nil && *w.ServicerRef != "" {
					check("transaction id", l.TransactionID, *w.ServicerRef)
				}
				// Ferry prefers the remittance text (Ustrd) to the entry's
				// booking text, which genkgo reports.
				if w.Additional != nil && *w.Additional != "" && !strings.Contains(string(data), "<Ustrd>"+l.Description+"</Ustrd>") {
					check("description", l.Description, *w.Additional)
				}
				var rec genkgoRecord
				if json.Unmarshal(w.Record, &rec) == nil && len(rec.Balances) > 0 {
					if len(rec.Balances) != len(st.Balances) {
						t.Errorf("entry %d: statement has %d balances, want %d", k, len(st.Balances), len(rec.Balances))
						continue
					}
					for bi, b := range rec.Balances {
						check("balance type", st.Balances[bi].Type, b.Type)
						check("balance amount", minor(st.Balances[bi].Amount, st.Balances[bi].Currency), b.Amount.Amount)
					}
				}
			}
		})
	}
}

// A Lithuanian bank's camt.053 writes balances without CdtDbtInd. Their
// sign is the one with which the booked entries lead from the opening to
// the closing balance; where the entries cannot tell it (no entries, an
// available balance) no balance is read, never a guessed credit; where no
// sign fits, the file is refused. Amounts written "500." and ".5" are
// valid xs:decimal.
func TestCAMTBalancesWithoutIndicator(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/camt/lt_balances_without_indicator.xml")
	if err != nil {
		t.Fatal(err)
	}
	sts, err := statements.ParseCAMT("lt.xml", data)
	if err != nil {
		t.Fatal(err)
	}
	a, b := sts[0], sts[1]
	var amounts []string
	for _, l := range a.Lines {
		amounts = append(amounts, l.Amount.String())
	}
	if a.NoBalances || a.Opening.String() != "1250.4" || a.Closing.String() != "1716.9" || strings.Join(amounts, " ") != "500 -0.5 -33" || len(a.Balances) != 2 {
		t.Errorf("statement A: opening %s closing %s lines %v balances %v", a.Opening, a.Closing, amounts, a.Balances)
	}
	if err := a.Reconcile(); err != nil {
		t.Error(err)
	}
	if !strings.Contains(strings.Join(a.Notes, ";"), "no credit/debit indicator") || !strings.Contains(strings.Join(a.Warnings, ";"), "CLAV") {
		t.Errorf("statement A: notes %q warnings %q, want the unsigned balances named", a.Notes, a.Warnings)
	}
	if !b.NoBalances || len(b.Balances) != 0 || !b.Opening.IsZero() || !strings.Contains(strings.Join(b.Warnings, ";"), "cannot tell the sign") {
		t.Errorf("statement B (no entries): no_balances %v balances %v opening %s warnings %q; want no balance read", b.NoBalances, b.Balances, b.Opening, b.Warnings)
	}
	// The same balances overdrawn: the entries say they are debits.
	debit := strings.Replace(strings.Replace(string(data), ">1250.40<", ">1716.90<", 1), ">1716.9<", ">1250.4<", 1)
	sts, err = statements.ParseCAMT("lt.xml", []byte(debit))
	if err != nil || sts[0].Opening.String() != "-1716.9" || sts[0].Closing.String() != "-1250.4" {
		t.Errorf("overdrawn: %v, opening %s closing %s; want -1716.9 and -1250.4", err, sts[0].Opening, sts[0].Closing)
	}
	// No sign makes these entries add up: refused, naming the balance.
	wrong := strings.Replace(string(data), ">1716.9<", ">1716.8<", 1)
	if _, err := statements.ParseCAMT("lt.xml", []byte(wrong)); err == nil || !strings.Contains(err.Error(), "lt.xml: line 2") || !strings.Contains(err.Error(), "with no sign") {
		t.Errorf("inconsistent: got %v, want a refusal naming the balance", err)
	}
}

// A camt.053 as SWIFT MX delivers it: the Document inside an envelope,
// after a business application header.
func TestCAMTInEnvelope(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/camt/swift_mx_envelope.xml")
	if err != nil {
		t.Fatal(err)
	}
	if f, err := statements.Detect("stmt.xml", data); err != nil || f != statements.CAMT {
		t.Errorf("detected %q, %v", f, err)
	}
	sts, err := statements.ParseCAMT("stmt.xml", data)
	if err != nil {
		t.Fatal(err)
	}
	st := sts[0]
	if st.Account != "4433221100" || st.Opening.String() != "-15000" || len(st.Lines) != 1 || st.Lines[0].Counterparty != "ACME WHOLESALE INC" {
		t.Errorf("got account %q opening %s lines %+v", st.Account, st.Opening, st.Lines)
	}
	if err := st.Reconcile(); err != nil {
		t.Error(err)
	}
}

// Date-times as real camt files write them: only the calendar date is
// kept, the one the bank wrote. A German bank's camt.052 puts the
// milliseconds after a colon ("00:00:00:000").
func TestCAMTDateTimeForms(t *testing.T) {
	t.Parallel()
	doc := func(from string) []byte {
		return []byte(`<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"><BkToCstmrAcctRpt><GrpHdr><MsgId>1</MsgId><CreDtTm>2019-08-09T11:17:11</CreDtTm></GrpHdr>` +
			`<Rpt><Id>R1</Id><CreDtTm>2019-08-09T11:17:11</CreDtTm><FrToDt><FrDtTm>` + from + `</FrDtTm><ToDtTm>2019-08-09T00:00:00</ToDtTm></FrToDt>` +
			`<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>` +
			`<Ntry><Amt Ccy="EUR">5.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2019-08-09</Dt></BookgDt><ValDt><Dt>2019-08-09</Dt></ValDt></Ntry></Rpt></BkToCstmrAcctRpt></Document>`)
	}
	for _, tc := range []struct{ in, want, err string }{
		{"2013-01-01T00:00:00:000", "2013-01-01", ""},
		{"2013-01-01T23:59:59.999+02:00", "2013-01-01", ""},
		{"2013-01-01T10:00:00Z", "2013-01-01", ""},
		{"2013-01-01+01:00", "2013-01-01", ""},
		{"2013-01-01T25:00:00", "", "bad date-time"},
		{"2013-01-01T00:00:00:00:00", "", "bad date-time"},
		{"2013-02-30T00:00:00", "", "bad date"},
	} {
		sts, err := statements.ParseCAMT("r.xml", doc(tc.in))
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "r.xml: line 1") {
				t.Errorf("%s: got %v, want an error with %q naming the line", tc.in, err, tc.err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.in, err)
		case sts[0].From.String() != tc.want || len(sts[0].Lines) != 1 || sts[0].Lines[0].Amount.String() != "-5":
			t.Errorf("%s: from %s, lines %+v; want %s and one line of -5", tc.in, sts[0].From, sts[0].Lines, tc.want)
		}
	}
}

// camt files in the encodings real exports use: UTF-16 with a byte-order
// mark (Windows tools), and the single-byte sets Central European banks
// declare (windows-1250, ISO-8859-2) besides Latin-1. The names read the
// same in every one.
func TestCAMTEncodings(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("testdata/camt/camt053_offsets.xml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		label, name string
		enc         encoding.Encoding
		bom         []byte
	}{
		{"UTF-16", "Łódź Handel Sp. z o.o.", unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), []byte{0xFF, 0xFE}},
		{"UTF-16", "Łódź Handel Sp. z o.o.", unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), []byte{0xFE, 0xFF}},
		{"windows-1250", "Łódź Handel Sp. z o.o.", charmap.Windows1250, nil},
		{"ISO-8859-2", "Łódź Handel Sp. z o.o.", charmap.ISO8859_2, nil},
		{"ISO-8859-1", "Bäcker Müller AG", charmap.ISO8859_1, nil},
	} {
		text := strings.Replace(strings.Replace(string(src), `encoding="UTF-8"`, `encoding="`+tc.label+`"`, 1), "Beispiel Handel AG", tc.name, 1)
		data, err := tc.enc.NewEncoder().Bytes([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		data = append(append([]byte(nil), tc.bom...), data...)
		name := tc.label + ".xml"
		if f, err := statements.Detect(name, data); err != nil || f != statements.CAMT {
			t.Errorf("%s: detected %q, %v", name, f, err)
		}
		sts, err := statements.ParseCAMT(name, data)
		if err != nil {
			t.Errorf("%s % x: %v", tc.label, tc.bom, err)
			continue
		}
		if cp := sts[0].Lines[0].Counterparty; cp != tc.name || len(sts[0].Lines) != 3 || sts[0].Closing.String() != "1319.51" {
			t.Errorf("%s % x: counterparty %q, %d lines, closing %s", tc.label, tc.bom, cp, len(sts[0].Lines), sts[0].Closing)
		}
	}
	// A declaration the reader cannot honour is refused, not guessed.
	bad := strings.Replace(string(src), `encoding="UTF-8"`, `encoding="x-unknown-42"`, 1)
	if _, err := statements.ParseCAMT("bad.xml", []byte(bad)); err == nil || !strings.Contains(err.Error(), "x-unknown-42") {
		t.Errorf("unknown encoding: got %v", err)
	}
}

// A camt entry without a booking or value date is never passed on
// undated: on a statement of one day it is booked on that day, and said
// so; otherwise the file is refused, naming the entry's line. (Subite's
// Lithuanian camt.053 leaves every entry's dates out, on a statement whose
// balances are both of 2024-03-14.)
func TestCAMTUndatedEntries(t *testing.T) {
	t.Parallel()
	doc := func(bal1, bal2 string) []byte {
		return []byte(`<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr><MsgId>M</MsgId></GrpHdr>
<Stmt><Id>S1</Id><Acct><Id><Othr><Id>LT000000000000000001</Id></Othr></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>` + bal1 + `</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">90.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>` + bal2 + `</Dt></Dt></Bal>
<Ntry><NtryRef>R1</NtryRef><Amt Ccy="EUR">15.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts></Ntry>
<Ntry><NtryRef>R2</NtryRef><Amt Ccy="EUR">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>` + bal2 + `</Dt></BookgDt></Ntry>
</Stmt></BkToCstmrStmt></Document>
`)
	}
	sts, err := statements.ParseCAMT("oneday.xml", doc("2024-03-14", "2024-03-14"))
	if err != nil {
		t.Fatal(err)
	}
	l := sts[0].Lines
	if len(l) != 2 || l[0].BookingDate.String() != "2024-03-14" || l[1].BookingDate.String() != "2024-03-14" {
		t.Fatalf("lines %+v, want both on 2024-03-14", l)
	}
	if !strings.Contains(strings.Join(sts[0].Notes, " "), "1 entries state no booking or value date (first at line 6)") {
		t.Errorf("notes %q do not say the date was taken from the statement", sts[0].Notes)
	}
	_, err = statements.ParseCAMT("twodays.xml", doc("2024-03-13", "2024-03-14"))
	if err == nil || !strings.Contains(err.Error(), "twodays.xml: line 6") || !strings.Contains(err.Error(), "covers 2024-03-13 to 2024-03-14") {
		t.Fatalf("got %v, want a refusal naming the entry's line and the period", err)
	}
}
