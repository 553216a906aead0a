// Package ledger turns delivered records into double-entry transactions:
// an account mapping (bank account to ledger account, rules from
// counterparty or description to the contra account, a suspense account
// for the rest), and exports for finance systems that take files
// (Beancount, CSV, XLSX) or an API (hledger-web, in package delivery).
package ledger

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"
)

// Mapping is the account mapping, loaded from YAML.
type Mapping struct {
	// Accounts maps bank account numbers to ledger accounts.
	Accounts map[string]string `yaml:"accounts"`
	// Rules pick the contra account; the first whose patterns all match
	// wins.
	Rules []MapRule `yaml:"rules"`
	// Suspense takes what no rule matches (default equity:suspense).
	Suspense string `yaml:"suspense"`
	Path     string `yaml:"-"`
}

// MapRule matches a record by regular expressions.
type MapRule struct {
	Counterparty string `yaml:"counterparty"`
	Description  string `yaml:"description"`
	Account      string `yaml:"account"`
	cp, desc     *regexp.Regexp
}

// LoadMapping reads and checks a mapping file.
func LoadMapping(path string) (*Mapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	return ParseMapping(path, b)
}

// ParseMapping reads a mapping; errors name the file and rule.
func ParseMapping(path string, data []byte) (*Mapping, error) {
	var m Mapping
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("ledger: %s: %w", path, err)
	}
	m.Path = path
	if m.Suspense == "" {
		m.Suspense = "equity:suspense"
	}
	for i := range m.Rules {
		r := &m.Rules[i]
		if r.Account == "" || (r.Counterparty == "" && r.Description == "") {
			return nil, fmt.Errorf("ledger: %s: rule %d needs account and counterparty or description", path, i+1)
		}
		var err error
		if r.Counterparty != "" {
			if r.cp, err = regexp.Compile(r.Counterparty); err != nil {
				return nil, fmt.Errorf("ledger: %s: rule %d counterparty: %w", path, i+1, err)
			}
		}
		if r.Description != "" {
			if r.desc, err = regexp.Compile(r.Description); err != nil {
				return nil, fmt.Errorf("ledger: %s: rule %d description: %w", path, i+1, err)
			}
		}
	}
	return &m, nil
}

// Posting is one leg of a transaction.
type Posting struct {
	Account  string
	Amount   decimal.Decimal
	Currency string
}

// Transaction is one record as double-entry bookkeeping.
type Transaction struct {
	Key         string // the record's dedup key
	Date        string // YYYY-MM-DD
	Payee       string
	Narration   string
	Postings    []Posting
	Reference   string
	BankAccount string
}

// Balanced reports whether the postings sum to zero per currency; an
// unbalanced transaction is never sent (hledger-web would accept it).
func (t Transaction) Balanced() error {
	sums := map[string]decimal.Decimal{}
	for _, p := range t.Postings {
		sums[p.Currency] = sums[p.Currency].Add(p.Amount)
	}
	for c, s := range sums {
		if !s.IsZero() {
			return fmt.Errorf("transaction %s does not balance: %s %s left over", t.Key, s.StringFixed(2), c)
		}
	}
	if len(t.Postings) < 2 {
		return fmt.Errorf("transaction %s has %d posting(s)", t.Key, len(t.Postings))
	}
	return nil
}

// Transaction maps a delivered statement-line record.
func (m *Mapping) Transaction(rec ferry.LineRecord) (Transaction, error) {
	amt, err := decimal.NewFromString(rec.Amount)
	if err != nil {
		return Transaction{}, fmt.Errorf("record %s: amount %q: %w", rec.DedupKey, rec.Amount, err)
	}
	bank, ok := m.Accounts[rec.Account]
	if !ok {
		return Transaction{}, fmt.Errorf("record %s: bank account %s has no ledger account in %s", rec.DedupKey, rec.Account, m.Path)
	}
	contra := m.Suspense
	for _, r := range m.Rules {
		if (r.cp == nil || r.cp.MatchString(rec.Counterparty)) && (r.desc == nil || r.desc.MatchString(rec.Description)) {
			contra = r.Account
			break
		}
	}
	t := Transaction{Key: rec.DedupKey, Date: rec.BookingDate, Payee: strings.TrimSpace(rec.Counterparty), Narration: strings.TrimSpace(rec.Description),
		Reference: rec.Reference, BankAccount: rec.Account,
		Postings: []Posting{{Account: bank, Amount: amt, Currency: rec.Currency}, {Account: contra, Amount: amt.Neg(), Currency: rec.Currency}}}
	return t, t.Balanced()
}

// Record decodes an outbox payload.
func Record(payload []byte) (ferry.LineRecord, error) {
	var r ferry.LineRecord
	if err := json.Unmarshal(payload, &r); err != nil {
		return r, err
	}
	if r.Type != "statement_line" {
		return r, fmt.Errorf("not a statement line record: %q", r.Type)
	}
	return r, nil
}
