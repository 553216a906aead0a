package statements

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
	"golang.org/x/text/encoding/charmap"
)

// mtField is one :TAG: field of an MT940/MT942 message with its lines.
type mtField struct {
	tag   string
	value string
	line  int
}

// cutTag splits ":NN[A]:rest" into its tag and the rest.
func cutTag(line string) (tag, rest string, ok bool) {
	if len(line) < 4 || line[0] != ':' || line[1] < '0' || line[1] > '9' || line[2] < '0' || line[2] > '9' {
		return "", "", false
	}
	if line[3] == ':' {
		return line[1:3], line[4:], true
	}
	if len(line) >= 5 && line[3] >= 'A' && line[3] <= 'Z' && line[4] == ':' {
		return line[1:4], line[5:], true
	}
	return "", "", false
}

// mtKnown are the tags of MT940 and MT942; any other ":NN:" at a line's
// start is text that wrapped (a time such as ":12:11").
var mtKnown = map[string]bool{"13": true, "20": true, "21": true, "25": true, "28": true, "34": true,
	"60": true, "61": true, "62": true, "64": true, "65": true, "86": true, "90": true}

// splitMT splits a message into fields; continuation lines join with "\n".
func splitMT(text string) []mtField {
	var out []mtField
	for i, raw := range strings.Split(text, "\n") {
		line := strings.TrimRight(raw, "\r")
		if tag, rest, ok := cutTag(line); ok && mtKnown[tag[:2]] {
			out = append(out, mtField{tag: tag, value: rest, line: i + 1})
			continue
		}
		trimmed := strings.TrimSpace(line)
		if len(out) == 0 || trimmed == "-" || trimmed == "" || strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "-}") {
			continue
		}
		out[len(out)-1].value += "\n" + line
	}
	return out
}

// mtBalance reads 1!a6!n3!a15d: D/C mark, YYMMDD, currency, amount.
var mtBalanceRe = regexp.MustCompile(`^\s*([CD])(\d{6})([A-Z]{3})?([\d,]+)`)

// mtDate reads YYMMDD. A day past the month's end (30 February, written
// by banks that count 30-day months) is the month's last day.
func mtDate(yymmdd string) (ferry.Date, error) {
	if len(yymmdd) != 6 {
		return ferry.Date{}, fmt.Errorf("bad date %q", yymmdd)
	}
	y, e1 := strconv.Atoi(yymmdd[:2])
	m, e2 := strconv.Atoi(yymmdd[2:4])
	d, e3 := strconv.Atoi(yymmdd[4:])
	if e1 != nil || e2 != nil || e3 != nil || m < 1 || m > 12 || d < 1 || d > 31 {
		return ferry.Date{}, fmt.Errorf("bad date %q", yymmdd)
	}
	year := 2000 + y
	if y >= 80 {
		year = 1900 + y
	}
	last := time.Date(year, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return ferry.DateOf(time.Date(year, time.Month(m), min(d, last), 0, 0, 0, 0, time.UTC)), nil
}

// mtAmount reads the SWIFT decimal form "1234,56" (comma, no grouping).
func mtAmount(s string) (decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.Count(s, ",") > 1 || strings.Contains(s, ".") {
		return decimal.Zero, fmt.Errorf("bad amount %q", s)
	}
	s = strings.Replace(s, ",", ".", 1)
	if strings.HasSuffix(s, ".") {
		s += "0"
	}
	return decimal.NewFromString(s)
}

func mtBalance(v string) (ferry.Balance, error) {
	m := mtBalanceRe.FindStringSubmatch(v)
	if m == nil {
		return ferry.Balance{}, fmt.Errorf("bad balance %q", v)
	}
	d, err := mtDate(m[2])
	if err != nil {
		return ferry.Balance{}, err
	}
	a, err := mtAmount(m[4])
	if err != nil {
		return ferry.Balance{}, err
	}
	if m[1] == "D" {
		a = a.Neg()
	}
	return ferry.Balance{Amount: a, Currency: m[3], Date: d}, nil
}

// :61: value date, optional entry date (MMDD), mark (C, D, RC, RD), an
// optional funds code, the amount, the transaction type, the customer's
// reference, an optional //bank reference and supplementary details.
var mt61 = regexp.MustCompile(`(?s)^(\d{6})(\d{4})?(R?[CD])([A-Z])?([\d,]+)([A-Z][A-Z0-9 ]{3})([^\n]*?)(?://([^\n]*))?(?:\n(.*))?$`)

// brokenTag repairs a tag wrapped after its first colon (":" then "86:").
var brokenTag = regexp.MustCompile(`(?m)^:\n(\d{2}[A-Z]?:)`)

// ParseMT940 reads SWIFT MT940 statements (and MT942 interim reports), one
// statement per :20: block.
func ParseMT940(name string, data []byte) ([]ferry.Statement, error) {
	text := strings.ReplaceAll(decodeLegacy(data), "\r\n", "\n")
	if strings.HasPrefix(text, ":\n") || strings.Contains(text, "\n:\n") {
		text = brokenTag.ReplaceAllString(text, ":$1")
	}
	fields := splitMT(text)
	if len(fields) == 0 {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "no MT940 fields (:20:, :25:, :60F: ...)")
	}
	var out []ferry.Statement
	var st *ferry.Statement
	var last *ferry.StatementLine
	var hasOpen, hasClose bool
	finish := func() {
		if st != nil {
			st.NoBalances = !hasOpen || !hasClose
			out = append(out, *st)
		}
	}
	for _, f := range fields {
		where := fmt.Sprintf("%s: line %d :%s:", name, f.line, f.tag)
		bad := func(format string, args ...any) error {
			return ferry.Errorf(ferry.ClassDocumentChanged, where, format, args...)
		}
		if f.tag == "20" {
			finish()
			st, last, hasOpen, hasClose = &ferry.Statement{ID: strings.TrimSpace(f.value)}, nil, false, false
			continue
		}
		if st == nil {
			// Some exports omit the header: an implicit statement.
			st = &ferry.Statement{}
		}
		switch f.tag {
		case "25":
			st.Account = strings.TrimSpace(f.value)
		case "60F", "60M", "62F", "62M", "64", "65":
			b, err := mtBalance(f.value)
			if err != nil {
				return nil, bad("%v", err)
			}
			switch f.tag {
			case "60F":
				b.Type, st.Opening, hasOpen = "opening", b.Amount, true
				st.From = b.Date
			case "60M":
				b.Type = "intermediate_opening"
				if !hasOpen {
					st.Opening, hasOpen = b.Amount, true
				}
			case "62F":
				b.Type, st.Closing, hasClose = "closing", b.Amount, true
				st.To = b.Date
			case "62M":
				b.Type = "intermediate_closing"
				st.Closing, hasClose = b.Amount, true
			case "64":
				b.Type = "closing_available"
			case "65":
				b.Type = "forward_available"
			}
			if st.Currency == "" {
				st.Currency = b.Currency
			}
			st.Balances = append(st.Balances, b)
		case "61":
			m := mt61.FindStringSubmatch(f.value)
			if m == nil {
				// A line wrapped inside the field: join its first two lines.
				if a, b, ok := strings.Cut(f.value, "\n"); ok {
					m = mt61.FindStringSubmatch(a + b)
				}
			}
			if m == nil {
				return nil, bad("statement line %q does not read as date, mark, amount, type, reference", firstLine(f.value))
			}
			vd, err := mtDate(m[1])
			if err != nil {
				return nil, bad("%v", err)
			}
			amt, err := mtAmount(m[5])
			if err != nil {
				return nil, bad("%v", err)
			}
			if m[3] == "D" || m[3] == "RC" {
				amt = amt.Neg()
			}
			l := ferry.StatementLine{Account: st.Account, ValueDate: vd, BookingDate: vd, Amount: amt, Currency: st.Currency,
				Reference: strings.TrimSpace(m[8])}
			if cust := strings.TrimSpace(m[7]); l.Reference == "" && cust != "NONREF" {
				l.Reference = cust
			}
			if m[2] != "" {
				l.BookingDate = entryDate(vd, m[2])
			}
			st.Lines = append(st.Lines, l)
			last = &st.Lines[len(st.Lines)-1]
		case "86":
			if last == nil {
				continue // information about the whole statement
			}
			// Some banks write one :86: per line; they add up.
			d := strings.TrimSpace(trimLines(f.value))
			if last.Details != "" {
				d = last.Details + "\n" + d
			}
			last.Details = d
			last.Counterparty, last.Description = details86(d)
		case "34F":
			// MT942 floor limit: currency and amount; the only currency an
			// interim report without balances states.
			if v := strings.TrimSpace(f.value); len(v) >= 3 && st.Currency == "" {
				st.Currency = v[:3]
			}
		}
	}
	finish()
	if len(out) == 0 {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "no statement (:20:) found")
	}
	return out, nil
}

// decodeLegacy returns the text of an MT940 file: UTF-8 as it is, else a
// DOS code page when C1 bytes occur (Central European banks' CP852), else
// Windows-1252.
func decodeLegacy(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	enc := charmap.Windows1252
	for _, c := range b {
		if c >= 0x80 && c <= 0x9f {
			enc = charmap.CodePage852
			break
		}
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return string(b)
	}
	return string(out)
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\r")
	}
	return strings.Join(lines, "\n")
}

// entryDate puts an MMDD booking date in the year nearest the value date:
// a line valued on 2 January may have been booked on 31 December.
func entryDate(value ferry.Date, mmdd string) ferry.Date {
	m, _ := strconv.Atoi(mmdd[:2])
	d, _ := strconv.Atoi(mmdd[2:])
	vt := value.Time(time.UTC)
	best := ferry.Date{}
	bestDiff := time.Duration(1<<63 - 1)
	for _, y := range []int{vt.Year() - 1, vt.Year(), vt.Year() + 1} {
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		if t.Month() != time.Month(m) {
			// 30 February and the like: the month's last day.
			t = time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC)
		}
		diff := t.Sub(vt)
		if diff < 0 {
			diff = -diff
		}
		if diff < bestDiff {
			best, bestDiff = ferry.DateOf(t), diff
		}
	}
	if best.IsZero() {
		return value
	}
	return best
}

var (
	subField = regexp.MustCompile(`\?(\d{2})`)
	slashKey = regexp.MustCompile(`/([A-Z]{3,4})/`)
)

// details86 reads the two common structured :86: dialects: German banks'
// ?NN sub-fields (?20–?29 and ?60–?63 purpose, ?32–?33 counterparty name)
// and the /CODE/value/ form of Dutch and SEPA banks (/NAME/, /REMI/).
// Unstructured text becomes the description.
func details86(s string) (counterparty, description string) {
	flat := strings.ReplaceAll(s, "\n", "")
	if subField.MatchString(flat) && strings.Count(flat, "?") >= 2 {
		idx := subField.FindAllStringSubmatchIndex(flat, -1)
		parts := map[int]string{}
		var keys []int
		for i, m := range idx {
			code, _ := strconv.Atoi(flat[m[2]:m[3]])
			end := len(flat)
			if i+1 < len(idx) {
				end = idx[i+1][0]
			}
			parts[code] += flat[m[1]:end]
			keys = append(keys, code)
		}
		var purpose []string
		for _, k := range keys {
			if (k >= 20 && k <= 29) || (k >= 60 && k <= 63) {
				purpose = append(purpose, parts[k])
			}
		}
		desc := strings.TrimRight(strings.Join(purpose, ""), "?")
		// SEPA in ?20–?29: identifiers (EREF+, KREF+, MREF+ ...) come first,
		// the remittance text follows SVWZ+.
		if _, after, ok := strings.Cut(desc, "SVWZ+"); ok {
			desc = after
		}
		return strings.TrimSpace(parts[32] + parts[33]), strings.TrimSpace(desc)
	}
	if slashKey.MatchString(flat) && strings.HasPrefix(strings.TrimSpace(flat), "/") {
		fields := map[string]string{}
		rest := strings.TrimSpace(flat)
		locs := slashKey.FindAllStringSubmatchIndex(rest, -1)
		for i, m := range locs {
			end := len(rest)
			if i+1 < len(locs) {
				end = locs[i+1][0] + 1 // the next key's leading slash ends this value
			}
			fields[rest[m[2]:m[3]]] = strings.TrimSuffix(rest[m[1]:min(end, len(rest))], "/")
		}
		return strings.TrimSpace(fields["NAME"]), strings.TrimSpace(fields["REMI"])
	}
	return "", strings.TrimSpace(strings.ReplaceAll(s, "\n", " "))
}
