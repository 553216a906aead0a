package ledger

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"

	"github.com/xuri/excelize/v2"
)

// BeancountAccount turns a ledger account (assets:bank:icbc) into a
// Beancount one (Assets:Bank:Icbc): a capitalised root type, components
// that start with a capital letter or digit, letters, digits and dashes.
func BeancountAccount(a string) (string, error) {
	parts := strings.Split(a, ":")
	roots := map[string]string{"assets": "Assets", "liabilities": "Liabilities", "equity": "Equity", "income": "Income", "expenses": "Expenses"}
	root, ok := roots[strings.ToLower(parts[0])]
	if !ok || len(parts) < 2 {
		return "", fmt.Errorf("account %q: Beancount wants Assets, Liabilities, Equity, Income or Expenses and a sub-account", a)
	}
	out := []string{root}
	for _, p := range parts[1:] {
		var b strings.Builder
		for _, r := range p {
			switch {
			case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
				b.WriteRune(r)
			default:
				b.WriteByte('-')
			}
		}
		c := strings.Trim(b.String(), "-")
		if c == "" {
			c = "X"
		}
		c = strings.ToUpper(c[:1]) + c[1:]
		if !unicode.IsUpper(rune(c[0])) && !unicode.IsDigit(rune(c[0])) {
			c = "X" + c
		}
		out = append(out, c)
	}
	return strings.Join(out, ":"), nil
}

func bcString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", " ").Replace(s) + `"`
}

// WriteBeancount writes the transactions as a Beancount file: an open
// directive per account (on its first date), then each transaction with
// its dedup key as metadata.
func WriteBeancount(w io.Writer, txs []Transaction) error {
	first := map[string]string{}
	currencies := map[string]map[string]bool{}
	for _, t := range txs {
		if err := t.Balanced(); err != nil {
			return err
		}
		for _, p := range t.Postings {
			a, err := BeancountAccount(p.Account)
			if err != nil {
				return fmt.Errorf("transaction %s: %w", t.Key, err)
			}
			if d, ok := first[a]; !ok || t.Date < d {
				first[a] = t.Date
			}
			if currencies[a] == nil {
				currencies[a] = map[string]bool{}
			}
			currencies[a][p.Currency] = true
		}
	}
	accts := make([]string, 0, len(first))
	for a := range first {
		accts = append(accts, a)
	}
	sort.Strings(accts)
	var b bytes.Buffer
	b.WriteString("; Written by Ferry. Each transaction carries its record's dedup key.\n\n")
	for _, a := range accts {
		cs := make([]string, 0, len(currencies[a]))
		for c := range currencies[a] {
			cs = append(cs, c)
		}
		sort.Strings(cs)
		fmt.Fprintf(&b, "%s open %s %s\n", first[a], a, strings.Join(cs, ","))
	}
	sorted := append([]Transaction(nil), txs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Date < sorted[j].Date })
	for _, t := range sorted {
		fmt.Fprintf(&b, "\n%s * %s %s\n  ferry-key: %s\n", t.Date, bcString(t.Payee), bcString(t.Narration), bcString(t.Key))
		if t.Reference != "" {
			fmt.Fprintf(&b, "  reference: %s\n", bcString(t.Reference))
		}
		for _, p := range t.Postings {
			a, _ := BeancountAccount(p.Account)
			fmt.Fprintf(&b, "  %-50s %s %s\n", a, p.Amount.StringFixed(2), p.Currency)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

var tableHeader = []string{"dedup_key", "date", "account", "contra_account", "amount", "currency", "payee", "narration", "reference", "bank_account"}

func tableRow(t Transaction) []string {
	return []string{t.Key, t.Date, t.Postings[0].Account, t.Postings[1].Account, t.Postings[0].Amount.StringFixed(2), t.Postings[0].Currency,
		t.Payee, t.Narration, t.Reference, t.BankAccount}
}

// WriteCSV writes one row per transaction for ERPs that import files.
func WriteCSV(w io.Writer, txs []Transaction) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(tableHeader)
	for _, t := range txs {
		_ = cw.Write(tableRow(t))
	}
	cw.Flush()
	return cw.Error()
}

// WriteXLSX writes the same table as an Excel workbook. Amounts are text
// with two decimals, exactly the decimal value: a float cell could carry
// binary noise into the ERP.
func WriteXLSX(w io.Writer, txs []Transaction) error {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	row := make([]any, len(tableHeader))
	for i, h := range tableHeader {
		row[i] = h
	}
	if err := sw.SetRow("A1", row); err != nil {
		return err
	}
	for i, t := range txs {
		cells := tableRow(t)
		r := make([]any, len(cells))
		for j, c := range cells {
			r[j] = c
		}
		name, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(name, r); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}
