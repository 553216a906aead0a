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
	texts  []string // a 16 record's text continued on 88 records or wrapped lines
	line   int
	// pieces are where each physical record (the record, then each 88)
	// starts in fields: an 03 record's summary groups stop at their ends.
	pieces []int
}

// baiRecordCode reports whether s starts a BAI2 record: a known two-digit
// record code and a comma.
func baiRecordCode(s string) bool {
	if len(s) < 3 || s[2] != ',' {
		return false
	}
	switch s[:2] {
	case "01", "02", "03", "16", "49", "88", "98", "99":
		return true
	}
	return false
}

// baiTextEnd finds where a 16 record's text ends on a physical line: the
// line's end, or a "/" followed by blanks and the next record on the same
// line ("...PPD/ 16,142,500,..."). A "/" inside the text is text.
func baiTextEnd(s string) (end, next int) {
	for i := 0; i < len(s); i++ {
		if s[i] != '/' {
			continue
		}
		j := i + 1
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		if baiRecordCode(s[j:]) {
			return i, j
		}
	}
	return len(s), len(s)
}

// baiPieceTail returns where the next physical record of r starts when
// the fields from i to its end are all empty, or i. *piece is the index in
// r.pieces of the first physical record starting after i, and *filled the
// first non-empty field found so far; both only move forward, so a record
// with many 88s or empty fields is read in linear time.
func baiPieceTail(r baiRecord, i int, piece, filled *int) int {
	for *piece < len(r.pieces) && r.pieces[*piece] <= i {
		*piece++
	}
	end := len(r.fields)
	if *piece < len(r.pieces) {
		end = r.pieces[*piece]
	}
	if *filled < i {
		*filled = i
		for *filled < len(r.fields) && strings.TrimSpace(r.fields[*filled]) == "" {
			*filled++
		}
	}
	if *filled < end {
		return i
	}
	return end
}

// baiRecords splits a BAI2 file into logical records. Records end with
// "/" or the physical line; several may share a line ("49,-1600,11/ 03,…").
// A 16 record's text runs to the end of its line: it may hold commas and
// slashes, and it goes on in 88 records. Real files also wrap a text onto
// a line of its own without 88, or write "88:": both are read as text and
// reported in notes.
func baiRecords(text string) ([]baiRecord, []string, error) {
	var (
		out      []baiRecord
		notes    []string
		textOpen bool // the last record is a 16, whose text a next line may continue
	)
	note := func(n string) {
		for _, x := range notes {
			if x == n {
				return
			}
		}
		notes = append(notes, n)
	}
	addText := func(t string) {
		prev := &out[len(out)-1]
		if t = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(t), "/")); t != "" {
			prev.texts = append(prev.texts, t)
		}
	}
	lineNo := 0
	for rest := text; len(rest) > 0 || lineNo == 0; {
		raw, after, _ := strings.Cut(rest, "\n")
		rest = after
		lineNo++
		line := strings.TrimRight(raw, " \r\t\x1a")
		if strings.TrimSpace(line) == "" {
			if len(rest) == 0 {
				break
			}
			continue
		}
		if !baiRecordCode(strings.TrimLeft(line, " \t")) {
			switch {
			case textOpen && strings.HasPrefix(line, "88:"):
				note("continuation records written \"88:\" instead of \"88,\" are read as text")
				addText(line[3:])
				continue
			case textOpen:
				note("transaction text wrapped onto lines without an 88 continuation record is read as text")
				addText(line)
				continue
			}
			code, _, _ := strings.Cut(strings.TrimSpace(line), ",")
			if len(code) > 20 {
				code = code[:20] + "…"
			}
			return nil, nil, fmt.Errorf("line %d: unknown record type %q (BAI2 records are 01, 02, 03, 16, 49, 88, 98, 99)", lineNo, code)
		}
		for s := strings.TrimLeft(line, " \t"); s != ""; s = strings.TrimLeft(s, " \t") {
			if !baiRecordCode(s) {
				return nil, nil, fmt.Errorf("line %d: %q after the end of a record (\"/\") is not a BAI2 record", lineNo, s)
			}
			code, body := s[:2], s[3:]
			if code == "16" || code == "88" && textOpen {
				// Text to the end of the line or the next record on it.
				end, next := baiTextEnd(body)
				piece := body[:end]
				s = body[next:]
				if code == "88" {
					addText(piece)
					continue
				}
				out = append(out, baiRecord{code: code, fields: strings.Split(strings.TrimSuffix(piece, "/"), ","), line: lineNo})
				textOpen = true
				continue
			}
			end := strings.IndexByte(body, '/')
			slashed := end >= 0
			if !slashed {
				end = len(body) // records ended by the line, not by "/"
			}
			fields := strings.Split(body[:end], ",")
			if slashed {
				s = body[end+1:]
			} else {
				s = ""
			}
			if code == "88" {
				if len(out) == 0 {
					return nil, nil, fmt.Errorf("line %d: continuation (88) before any record", lineNo)
				}
				prev := &out[len(out)-1]
				prev.pieces = append(prev.pieces, len(prev.fields))
				prev.fields = append(prev.fields, fields...)
				continue
			}
			out = append(out, baiRecord{code: code, fields: fields, line: lineNo})
			textOpen = false
		}
		if len(rest) == 0 {
			break
		}
	}
	return out, notes, nil
}

// maxBAI2Size bounds the text we take in, as for MT940.
const maxBAI2Size = 1 << 30

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
	if len(data) > maxBAI2Size {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "BAI2 file of %d bytes is over the %d-byte limit", len(data), maxBAI2Size)
	}
	recs, notes, err := baiRecords(string(data))
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
			piece, filled := 0, 0
			for i := 2; i < len(r.fields); {
				if j := baiPieceTail(r, i, &piece, &filled); j != i {
					// Empty fields to the end of a physical record: the
					// next group starts on the 88 after it ("015,1,,,/"
					// and "015,1,,/" both end a group).
					i = j
					continue
				}
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
			if len(r.texts) > 0 {
				text = strings.TrimSpace(text + " " + strings.Join(r.texts, " "))
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
	for i := range out {
		out[i].Notes = append(append([]string(nil), notes...), out[i].Notes...)
	}
	settleTransactionIDs(out)
	return out, nil
}
