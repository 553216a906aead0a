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
			if err != nil {
				t.Fatal(err)
			}
			var want struct {
				Entries []genkgoEntry `json:"getEntries"`
			}
			if err := json.Unmarshal(raw, &want); err != nil {
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
