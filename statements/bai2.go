package statements

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
)

type baiRecord struct {
	code   string
	fields []string
	line   int
}

// baiRecords splits a BAI2 file into records, joining 88 continuations.
// Fields are comma-separated and a record ends with "/"; the free text of
// a 16 record runs to the end of the record and may hold commas.
func baiRecords(text string) ([]baiRecord, error) {
	var out []baiRecord
	for i, raw := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line := strings.TrimRight(raw, " \r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		code, rest, _ := strings.Cut(line, ",")
		rest = strings.TrimSuffix(rest, "/")
		if code == "88" {
			if len(out) == 0 {
				return nil, fmt.Errorf("line %d: continuation (88) before any record", i+1)
			}
			prev := &out[len(out)-1]
			prev.fields = append(prev.fields, strings.Split(rest, ",")...)
			continue
		}
		switch code {
		case "01", "02", "03", "16", "49", "98", "99":
		default:
			return nil, fmt.Errorf("line %d: unknown record type %q (BAI2 records are 01, 02, 03, 16, 49, 88, 98, 99)", i+1, code)
		}
		fields := strings.Split(rest, ",")
		if code == "16" && len(fields) > 0 {
			fields = strings.SplitN(rest, ",", -1)
		}
		out = append(out, baiRecord{code: code, fields: fields, line: i + 1})
	}
	return out, nil
}

// baiAmount reads an amount with implied decimals (two for most currencies).
func baiAmount(s string, decimals int32) (decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return decimal.Zero, nil
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	for _, c := range s {
		if c < '0' || c > '9' {
			return decimal.Zero, fmt.Errorf("bad amount %q", s)
		}
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return d, fmt.Errorf("bad amount %q", s)
	}
	d = d.Shift(-decimals)
	if neg {
		d = d.Neg()
	}
	return d, nil
}

// baiSummaryTypes names the BAI2 status and summary codes Ferry keeps.
var baiSummaryTypes = map[string]string{
	"010": "opening", "015": "closing", "040": "opening_available", "045": "closing_available",
	"072": "one_day_float", "074": "two_day_float",
}

// ParseBAI2 reads a BAI2 cash-management file: one statement per account
// (03) of each group (02). Control totals of the account, group and file
// trailers are checked, so a misread amount cannot pass silently.
func ParseBAI2(name string, data []byte) ([]ferry.Statement, error) {
	recs, err := baiRecords(string(data))
	if err != nil {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", err)
	}
	if len(recs) == 0 || recs[0].code != "01" {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "not a BAI2 file (no 01 file header)")
	}
	var (
		out                 []ferry.Statement
		st                  *ferry.Statement
		asOf                ferry.Date
		groupCcy            string
		acctTotal, grpTotal decimal.Decimal
		fileTotal           decimal.Decimal
		decimals            int32 = 2
		inGroup, fileEnd    bool
	)
	field := func(r baiRecord, i int) string {
		if i < len(r.fields) {
			return strings.TrimSpace(r.fields[i])
		}
		return ""
	}
	for _, r := range recs {
		bad := func(format string, args ...any) error {
			return ferry.Errorf(ferry.ClassDocumentChanged, fmt.Sprintf("%s: line %d (record %s)", name, r.line, r.code), format, args...)
		}
		switch r.code {
		case "02":
			t, err := time.Parse("060102", field(r, 3))
			if err != nil {
				return nil, bad("bad as-of date %q", field(r, 3))
			}
			if inGroup {
				return nil, bad("a group header (02) before the last group's trailer (98)")
			}
			inGroup = true
			asOf, groupCcy, grpTotal = ferry.DateOf(t), field(r, 5), decimal.Zero
			if groupCcy == "" {
				// BAI2 §3 (group header): "Optional. Default is currency code USD."
				groupCcy = "USD"
			}
		case "03":
			ccy := field(r, 1)
			if ccy == "" {
				ccy = groupCcy
			}
			decimals = currencyDecimals(ccy)
			st = &ferry.Statement{Account: field(r, 0), Currency: ccy, From: asOf, To: asOf}
			acctTotal = decimal.Zero
			var hasOpen, hasClose bool
			// Then groups of: type code, amount, item count, funds type and
			// the funds type's own fields (V: date, time; S: three
			// amounts; D: a count and that many amount/day pairs).
			for i := 2; i < len(r.fields); {
				code := field(r, i)
				if code == "" {
					i += 4
					continue
				}
				amt, err := baiAmount(field(r, i+1), decimals)
				if err != nil {
					return nil, bad("summary %s: %v", code, err)
				}
				acctTotal = acctTotal.Add(amt)
				// A blank amount is "not reported", not zero.
				if typ, ok := baiSummaryTypes[code]; ok && field(r, i+1) != "" {
					st.Balances = append(st.Balances, ferry.Balance{Type: typ, Amount: amt, Currency: ccy, Date: asOf})
					switch code {
					case "010":
						st.Opening, hasOpen = amt, true
					case "015":
						st.Closing, hasClose = amt, true
					}
				}
				next := i + 4
				switch ft := field(r, i+3); ft {
				case "V":
					next += 2
				case "S":
					next += 3
				case "D":
					n, err := strconv.Atoi(field(r, i+4))
					if err != nil {
						return nil, bad("summary %s: bad distribution count %q", code, field(r, i+4))
					}
					next += 1 + 2*n
				case "", "0", "1", "2", "Z":
				default:
					return nil, bad("summary %s: unknown funds type %q", code, ft)
				}
				i = next
			}
			st.NoBalances = !hasOpen || !hasClose
		case "16":
			if st == nil {
				return nil, bad("transaction before any account (03)")
			}
			code := field(r, 0)
			tc, err := strconv.Atoi(code)
			if err != nil {
				return nil, bad("bad type code %q", code)
			}
			if field(r, 1) == "" {
				return nil, bad("transaction %s without an amount", code)
			}
			amt, err := baiAmount(field(r, 1), decimals)
			if err != nil {
				return nil, bad("%v", err)
			}
			acctTotal = acctTotal.Add(amt)
			switch {
			case tc >= 100 && tc < 400:
			case tc >= 400 && tc < 700:
				amt = amt.Neg()
			default:
				return nil, bad("type code %d is not a credit (100-399) or debit (400-699) detail", tc)
			}
			l := ferry.StatementLine{Account: st.Account, BookingDate: asOf, ValueDate: asOf, Amount: amt, Currency: st.Currency}
			next := 3
			switch ft := field(r, 2); ft {
			case "V":
				if t, err := time.Parse("060102", field(r, 3)); err == nil {
					l.ValueDate = ferry.DateOf(t)
				} else if field(r, 3) != "" {
					return nil, bad("bad value date %q", field(r, 3))
				}
				next = 5
			case "S":
				next = 6
			case "D":
				n, err := strconv.Atoi(field(r, 3))
				if err != nil {
					return nil, bad("bad distribution count %q", field(r, 3))
				}
				next = 4 + 2*n
			case "", "0", "1", "2", "Z":
			default:
				return nil, bad("unknown funds type %q", ft)
			}
			bankRef, custRef := field(r, next), field(r, next+1)
			text := ""
			if next+2 < len(r.fields) {
				text = strings.TrimSpace(strings.Join(r.fields[next+2:], ","))
			}
			// The bank reference is the bank's own id of the transaction;
			// the customer reference is the payer's or payee's.
			if !placeholderRef(bankRef) {
				l.TransactionID = bankRef
			}
			if !placeholderRef(custRef) {
				l.Reference = custRef
			}
			l.Description = text
			l.Details = strings.Join([]string{code, bankRef, custRef, text}, "|")
			st.Lines = append(st.Lines, l)
		case "49":
			if st == nil {
				return nil, bad("account trailer without an account")
			}
			want, err := baiAmount(field(r, 0), decimals)
			if err != nil {
				return nil, bad("%v", err)
			}
			if !want.Equal(acctTotal) {
				return nil, bad("account %s control total %s, but its amounts add up to %s", st.Account, want, acctTotal)
			}
			grpTotal = grpTotal.Add(acctTotal)
			out = append(out, *st)
			st = nil
		case "98":
			want, err := baiAmount(field(r, 0), decimals)
			if err != nil {
				return nil, bad("%v", err)
			}
			if !want.Equal(grpTotal) {
				return nil, bad("group control total %s, but its accounts add up to %s", want, grpTotal)
			}
			fileTotal = fileTotal.Add(grpTotal)
			inGroup = false
		case "99":
			want, err := baiAmount(field(r, 0), decimals)
			if err != nil {
				return nil, bad("%v", err)
			}
			if !want.Equal(fileTotal) {
				return nil, bad("file control total %s, but its groups add up to %s", want, fileTotal)
			}
			fileEnd = true
		}
	}
	if st != nil {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "account %s has no trailer (49): the file is truncated", st.Account)
	}
	if inGroup {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "the last group has no trailer (98): the file is truncated")
	}
	if !fileEnd {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "no file trailer (99): the file is truncated")
	}
	if len(out) == 0 {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "no accounts in this BAI2 file")
	}
	dropRepeatedIDs(out)
	return out, nil
}
