package statements

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
)

// pdfMoney is an amount as a statement prints it: the number, and the sign
// its own marks give it (CR/DR, a minus, parentheses), if any.
type pdfMoney struct {
	abs  decimal.Decimal
	sign int    // +1, -1, or 0 when the amount carries no mark
	mark string // the mark as printed: "CR", "DR", "-", "()", ...
	cur  string // a currency prefix printed with it: "$", "S$", "SGD"
}

// signed returns the amount with its marked sign; unmarked amounts count
// as positive.
func (m pdfMoney) signed() decimal.Decimal {
	if m.sign < 0 {
		return m.abs.Neg()
	}
	return m.abs
}

var pdfMoneyCore = regexp.MustCompile(`^(\d{1,3}(,\d{3})+|\d+)\.\d{2}$`)

// pdfCurrencyPrefixes are printed before amounts; longest first.
var pdfCurrencyPrefixes = []string{"US$", "USD", "SGD", "S$", "AUD", "AU$", "A$", "GBP", "EUR", "HKD", "HK$", "NZD", "NZ$",
	"CAD", "CA$", "C$", "CNY", "RMB", "$", "£", "€", "¥", "￥"}

// pdfParseMoneyToken reads one printed amount: "1,234.56", "$1,234.56",
// "1,234.56 CR", "(12.00)", "-12.00", "12.00-", "S$ 5.00 DR". It wants
// exactly two decimals: "1,234" or "1.234,56" is not read as money.
func pdfParseMoneyToken(s string) (pdfMoney, bool) {
	var m pdfMoney
	if !strings.ContainsAny(s, "0123456789") || !strings.Contains(s, ".") {
		return m, false // most words: cheap to turn away
	}
	t := strings.ReplaceAll(pdfCleanText(s), " ", "")
	if t == "" || len(t) > 40 {
		return m, false
	}
	marks := 0
	setSign := func(sign int, mark string) bool {
		if m.sign != 0 && m.sign != sign {
			return false // two marks that disagree
		}
		m.sign, m.mark = sign, mark
		marks++
		return true
	}
	if strings.HasPrefix(t, "(") && strings.HasSuffix(t, ")") {
		t = t[1 : len(t)-1]
		setSign(-1, "()")
	}
	upper := strings.ToUpper(t)
	// A currency code after the amount: "1,234.56 USD".
	for _, c := range pdfCurrencyPrefixes {
		if len(c) == 3 && strings.HasSuffix(upper, c) && len(upper) > 3 && upper[len(upper)-4] >= '0' && upper[len(upper)-4] <= '9' {
			m.cur, t, upper = c, t[:len(t)-3], upper[:len(upper)-3]
			break
		}
	}
	for _, suf := range []struct {
		s    string
		sign int
	}{{"CR", 1}, {"DR", -1}, {"O/D", -1}, {"OD", -1}, {"C", 1}, {"D", -1}, {"-", -1}, {"+", 1}} {
		if strings.HasSuffix(upper, suf.s) && len(upper) > len(suf.s) {
			if !setSign(suf.sign, suf.s) {
				return m, false
			}
			t, upper = t[:len(t)-len(suf.s)], upper[:len(upper)-len(suf.s)]
			break
		}
	}
	if strings.HasPrefix(t, "(") && strings.HasSuffix(t, ")") {
		t = t[1 : len(t)-1]
		if !setSign(-1, "()") {
			return m, false
		}
	}
	for i := 0; i < 3 && t != ""; i++ {
		switch {
		case t[0] == '-':
			if !setSign(-1, "-") {
				return m, false
			}
			t = t[1:]
			continue
		case t[0] == '+':
			if !setSign(1, "+") {
				return m, false
			}
			t = t[1:]
			continue
		}
		found := false
		for _, c := range pdfCurrencyPrefixes {
			if strings.HasPrefix(strings.ToUpper(t), c) && m.cur == "" {
				m.cur, t, found = c, t[len(c):], true
				break
			}
		}
		if !found {
			break
		}
	}
	if marks > 2 || !pdfMoneyCore.MatchString(t) {
		return m, false
	}
	d, err := decimal.NewFromString(strings.ReplaceAll(t, ",", ""))
	if err != nil {
		return m, false
	}
	m.abs = d
	return m, true
}

// pdfIsMarkWord reports whether a word is a sign mark printed apart from its
// amount ("1,234.56 CR").
func pdfIsMarkWord(s string) bool {
	switch strings.ToUpper(s) {
	case "CR", "DR", "OD", "O/D", "-", "+", "C", "D":
		return true
	}
	return false
}

// pdfIsCurrencyWord reports whether a word is a currency printed apart from
// its amount ("$ 1,234.56").
func pdfIsCurrencyWord(s string) bool {
	u := strings.ToUpper(s)
	for _, c := range pdfCurrencyPrefixes {
		if u == c {
			return true
		}
	}
	return u == "-$" || u == "+$"
}

// Dates. A printed date may lack its year ("03 Dec", "12/03"); numeric
// dates are day-first or month-first by country. Both are settled once for
// the whole statement, then every date is read the same way.

type pdfDateOrder int

const (
	pdfOrderUnknown pdfDateOrder = iota
	pdfOrderDMY
	pdfOrderMDY
)

func (o pdfDateOrder) String() string {
	switch o {
	case pdfOrderDMY:
		return "day first (DD/MM)"
	case pdfOrderMDY:
		return "month first (MM/DD)"
	}
	return "unknown"
}

// pdfDate is a date as printed, not yet given its year or order.
type pdfDate struct {
	y, m, d int // m is 0 for a numeric date whose order is not known: a, b hold its parts
	a, b    int
	hasYear bool
	numeric bool
}

var pdfMonths = map[string]int{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
	"jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
	"oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}

const pdfMonthRE = `(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?`

var (
	pdfDateDayMonth = regexp.MustCompile(`(?i)^(\d{1,2})(?:st|nd|rd|th)?[\s\-./]*` + pdfMonthRE + `(?:[\s\-.,/']*(\d{4}|\d{2}))?$`)
	pdfDateMonthDay = regexp.MustCompile(`(?i)^` + pdfMonthRE + `\s*(\d{1,2})(?:st|nd|rd|th)?(?:,?\s*(\d{4}|'?\d{2}))?$`)
	pdfDateNumeric  = regexp.MustCompile(`^(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{4}|\d{2}))?$`)
	pdfDateISO      = regexp.MustCompile(`^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})$`)
	pdfDateCompact  = regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})$`)
	pdfDateCJK      = regexp.MustCompile(`^(\d{4})年(\d{1,2})月(\d{1,2})日$`)
)

func pdfAtoi(s string) int { n, _ := strconv.Atoi(strings.TrimPrefix(s, "'")); return n }

func pdfFullYear(s string) int {
	y := pdfAtoi(s)
	if len(strings.TrimPrefix(s, "'")) == 2 {
		// Statements printed with two-digit years are recent.
		if y < 70 {
			return 2000 + y
		}
		return 1900 + y
	}
	return y
}

// pdfScanDate reads a date cell. ok is false when s is not a date at all; a
// date-shaped cell that is no valid date (31 Feb) is an error.
func pdfScanDate(s string) (pdfDate, bool, error) {
	if !strings.ContainsAny(s, "0123456789") {
		return pdfDate{}, false, nil // every date has a digit
	}
	s = strings.TrimSpace(pdfCleanText(s))
	if len(s) > 24 {
		return pdfDate{}, false, nil // longer than any date
	}
	var d pdfDate
	var ok bool
	if strings.IndexFunc(s, func(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' }) >= 0 {
		d, ok = pdfWordDate(s)
	} else {
		d, ok = pdfNumberDate(s)
	}
	switch {
	case !ok:
		return d, false, nil
	case d.numeric:
		if d.a < 1 || d.b < 1 || d.a > 31 || d.b > 31 || d.a > 12 && d.b > 12 {
			return d, true, fmt.Errorf("%q is not a date", s)
		}
		return d, true, nil
	case d.m < 1 || d.m > 12 || d.d < 1 || d.d > 31, d.hasYear && !pdfValidDate(d.y, d.m, d.d):
		return d, true, fmt.Errorf("%q is not a date", s)
	}
	return d, true, nil
}

// pdfWordDate reads a date with the month in words: "01 Nov", "November 1,
// 2024".
func pdfWordDate(s string) (pdfDate, bool) {
	var d pdfDate
	if m := pdfDateDayMonth.FindStringSubmatch(s); m != nil {
		d = pdfDate{d: pdfAtoi(m[1]), m: pdfMonths[strings.ToLower(m[2])], hasYear: m[3] != ""}
		if d.hasYear {
			d.y = pdfFullYear(m[3])
		}
		return d, true
	}
	if m := pdfDateMonthDay.FindStringSubmatch(s); m != nil {
		d = pdfDate{m: pdfMonths[strings.ToLower(m[1])], d: pdfAtoi(m[2]), hasYear: m[3] != ""}
		if d.hasYear {
			d.y = pdfFullYear(m[3])
		}
		return d, true
	}
	return d, false
}

// pdfNumberDate reads a date in digits: ISO, 2024年11月03日, 20241103, or
// 03/11(/2024), whose order waits for the statement's.
func pdfNumberDate(s string) (pdfDate, bool) {
	for _, re := range []*regexp.Regexp{pdfDateISO, pdfDateCJK, pdfDateCompact} {
		if m := re.FindStringSubmatch(s); m != nil {
			return pdfDate{y: pdfAtoi(m[1]), m: pdfAtoi(m[2]), d: pdfAtoi(m[3]), hasYear: true}, true
		}
	}
	if m := pdfDateNumeric.FindStringSubmatch(s); m != nil {
		d := pdfDate{a: pdfAtoi(m[1]), b: pdfAtoi(m[2]), numeric: true, hasYear: m[3] != ""}
		if d.hasYear {
			d.y = pdfFullYear(m[3])
		}
		return d, true
	}
	return pdfDate{}, false
}

func pdfValidDate(y, m, d int) bool {
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	return t.Year() == y && int(t.Month()) == m && t.Day() == d
}

// evidence tells what a numeric date says about the order: 13/11 can only
// be day first, 11/13 only month first.
func (d pdfDate) evidence() pdfDateOrder {
	switch {
	case !d.numeric:
		return pdfOrderUnknown
	case d.a > 12:
		return pdfOrderDMY
	case d.b > 12:
		return pdfOrderMDY
	}
	return pdfOrderUnknown
}

// withOrder settles a numeric date's day and month.
func (d pdfDate) withOrder(o pdfDateOrder) (pdfDate, error) {
	if !d.numeric {
		return d, nil
	}
	switch o {
	case pdfOrderDMY:
		d.d, d.m = d.a, d.b
	case pdfOrderMDY:
		d.m, d.d = d.a, d.b
	default:
		return d, fmt.Errorf("%d/%d could be day first or month first", d.a, d.b)
	}
	if d.m > 12 {
		return d, fmt.Errorf("%02d/%02d is not a date when read %s", d.a, d.b, o)
	}
	if d.hasYear && !pdfValidDate(d.y, d.m, d.d) {
		return d, fmt.Errorf("%02d/%02d/%d is not a date", d.a, d.b, d.y)
	}
	return d, nil
}

func (d pdfDate) date() ferry.Date { return ferry.NewDate(d.y, time.Month(d.m), d.d) }

// pdfDateInText finds dates inside running text ("Statement period: 1
// November 2024 to 30 November 2024", "April 01, 2025 through April 30,
// 2025", "01/11/2024 - 30/11/2024"). The year is optional in the two
// written-month forms, for "1 Nov to 30 Nov 2024".
var pdfDateInText = regexp.MustCompile(`(?i)\b(\d{4}年\d{1,2}月\d{1,2}日|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})\b|\d{1,2}(?:st|nd|rd|th)?[\s\-]*` + pdfMonthRE + `(?:[\s\-,]*(?:\d{4}|'\d{2}))?|` + pdfMonthRE + `\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s*\d{4})?)`)

var pdfRangeJoin = regexp.MustCompile(`(?i)^\s*(to|-|through|thru|until|till|and|~|至|—)\s*:?\s*$`)

type pdfFoundDate struct {
	d          pdfDate
	start, end int
}

func pdfDatesIn(s string) []pdfFoundDate {
	var out []pdfFoundDate
	if !strings.ContainsAny(s, "0123456789") {
		return nil
	}
	for _, loc := range pdfDateInText.FindAllStringIndex(s, 8) {
		d, ok, err := pdfScanDate(strings.TrimRight(s[loc[0]:loc[1]], " ,-"))
		if ok && err == nil {
			out = append(out, pdfFoundDate{d, loc[0], loc[1]})
		}
	}
	return out
}

// pdfDateRangeIn finds "DATE to DATE" in s.
func pdfDateRangeIn(s string) (from, to pdfDate, ok bool) {
	ds := pdfDatesIn(s)
	for i := 0; i+1 < len(ds); i++ {
		if !pdfRangeJoin.MatchString(s[ds[i].end:ds[i+1].start]) {
			continue
		}
		from, to = ds[i].d, ds[i+1].d
		if !to.hasYear {
			continue
		}
		if !from.hasYear && !from.numeric && !to.numeric {
			from.y, from.hasYear = to.y, true
			if from.m > to.m || from.m == to.m && from.d > to.d {
				from.y--
			}
		}
		if !from.hasYear {
			continue
		}
		return from, to, true
	}
	return from, to, false
}

// Currency: codes and unambiguous symbols name it; a bare "$" needs a
// country the statement names (a US bank is "Member FDIC").

var pdfCurrencyCodes = regexp.MustCompile(`\b(USD|SGD|AUD|GBP|EUR|HKD|NZD|CAD|CNY|JPY|CHF|MYR|INR|ZAR|IDR|PHP|THB|RMB)\b`)

var pdfCurrencySymbols = []struct {
	sym, code string
}{{"S$", "SGD"}, {"A$", "AUD"}, {"AU$", "AUD"}, {"US$", "USD"}, {"HK$", "HKD"}, {"NZ$", "NZD"}, {"C$", "CAD"},
	{"CA$", "CAD"}, {"£", "GBP"}, {"€", "EUR"}, {"₹", "INR"}}

var pdfDollarCountries = []struct {
	re   *regexp.Regexp
	code string
	why  string
}{
	{regexp.MustCompile(`(?i)\bmember fdic\b|\bfdic\b|\bN\.A\.`), "USD", "a US bank (FDIC, N.A.)"},
	{regexp.MustCompile(`(?i)\bBSB\b|\bABN\b|\bAFSL\b|australian credit licen[cs]e|\baustralia\b`), "AUD", "an Australian bank (BSB, ABN, AFSL)"},
	{regexp.MustCompile(`(?i)\bsingapore\b|\bpte\.? ltd\b`), "SGD", "a Singapore bank"},
	{regexp.MustCompile(`(?i)\bCDIC\b|\bcanada\b`), "CAD", "a Canadian bank"},
	{regexp.MustCompile(`(?i)\bnew zealand\b`), "NZD", "a New Zealand bank"},
	{regexp.MustCompile(`(?i)\bhong kong\b`), "HKD", "a Hong Kong bank"},
}
