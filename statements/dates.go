package statements

// Dates as banks print them in their exports: 31.01.2024, 01/31/2024,
// 2024-01-31, 20240131, 31-01-24, 31 Jan 2024, Jan 31, 2024, 31.Okt.2024,
// 2024. 01. 31. (Hungarian), 2024年1月31日, often followed by a time.
// The order of day, month and year is a property of the column, decided
// over all its cells (a first part above 12 proves day-first), never per
// cell.

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
)

// dateOrder is the order of a numeric date's parts.
type dateOrder int

const (
	orderUnknown dateOrder = iota
	orderDMY
	orderMDY
	orderYMD
)

func (o dateOrder) String() string {
	switch o {
	case orderDMY:
		return "DMY"
	case orderMDY:
		return "MDY"
	case orderYMD:
		return "YMD"
	}
	return "unknown"
}

// monthNames maps folded month names and abbreviations to months, in
// English, German, Dutch, French, Italian, Spanish, Hungarian and Polish
// (Polish genitive forms included: "31 stycznia 2024").
var monthNames = func() map[string]time.Month {
	m := map[string]time.Month{}
	lists := [][]string{
		{"january", "jan", "januar", "jaenner", "jänner", "januari", "janvier", "janv", "gennaio", "gen", "enero", "ene", "január", "styczeń", "stycznia", "sty"},
		{"february", "feb", "februar", "februari", "février", "fevrier", "févr", "fevr", "fév", "febbraio", "febrero", "február", "febr", "luty", "lutego", "lut"},
		{"march", "mar", "märz", "maerz", "mrz", "maart", "mrt", "mars", "marzo", "március", "márc", "marzec", "marca"},
		{"april", "apr", "avril", "avr", "aprile", "abril", "abr", "április", "ápr", "kwiecień", "kwietnia", "kwi"},
		{"may", "mai", "mei", "maggio", "mag", "mayo", "may", "május", "máj", "maj", "maja"},
		{"june", "jun", "juni", "juin", "giugno", "giu", "junio", "június", "jún", "czerwiec", "czerwca", "cze"},
		{"july", "jul", "juli", "juillet", "juil", "luglio", "lug", "julio", "július", "júl", "lipiec", "lipca", "lip"},
		{"august", "aug", "augustus", "août", "aout", "agosto", "ago", "augusztus", "sierpień", "sierpnia", "sie"},
		{"september", "sep", "sept", "septembre", "settembre", "set", "septiembre", "szeptember", "szept", "wrzesień", "września", "wrz"},
		{"october", "oct", "oktober", "okt", "octobre", "ottobre", "ott", "octubre", "október", "październik", "października", "paź", "paz"},
		{"november", "nov", "novembre", "noviembre", "november", "listopad", "listopada", "lis"},
		{"december", "dec", "dezember", "dez", "décembre", "decembre", "déc", "dicembre", "dic", "diciembre", "grudzień", "grudnia", "gru"},
	}
	for i, l := range lists {
		for _, n := range l {
			m[fold(n)] = time.Month(i + 1)
		}
	}
	return m
}()

// dateParts is a date cell split into its parts.
type dateParts struct {
	nums   [3]int // numeric parts in order (month excluded when named)
	digits [3]int // how many digits each numeric part had
	n      int    // how many numeric parts
	month  time.Month
	mpos   int // position of the named month among all three parts, -1 if numeric
	cjk    bool
	noYear bool // day and month only ("12/29", "29.12.", "1月29日"): the year comes from the period
}

// splitDate splits s into parts, or reports it is not a date. A time of
// day after the date is dropped.
func splitDate(s string) (dateParts, bool) {
	p := dateParts{mpos: -1}
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 40 {
		return p, false
	}
	// Compact YYYYMMDD.
	if len(s) == 8 && allDigits(s) {
		y, _ := strconv.Atoi(s[:4])
		m, _ := strconv.Atoi(s[4:6])
		d, _ := strconv.Atoi(s[6:])
		if y < 1900 || y > 2199 {
			return p, false
		}
		p.nums, p.digits, p.n = [3]int{y, m, d}, [3]int{4, 2, 2}, 3
		return p, true
	}
	if strings.ContainsAny(s, "年月日") {
		p.cjk = true
	}
	// Cut a time: "2024-01-31 10:11:12", "2024-01-31T10:11:12Z",
	// "31.01.2024 10:11:12:123", "01/31/2024 9:05 PM".
	if i := strings.IndexByte(s, ':'); i > 0 {
		j := strings.LastIndexAny(s[:i], " T")
		if j <= 0 {
			return p, false
		}
		s = strings.TrimSpace(s[:j])
	}
	parts := 0
	i := 0
	for i < len(s) {
		r := rune(s[i])
		switch {
		case r >= '0' && r <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j-i > 4 || p.n >= 3 {
				return p, false
			}
			v, _ := strconv.Atoi(s[i:j])
			p.nums[p.n], p.digits[p.n] = v, j-i
			p.n++
			parts++
			i = j
		case r == '.' || r == '/' || r == '-' || r == ' ' || r == ',' || r == '\t':
			i++
		default:
			// A word: a month name, or a CJK date mark.
			j := i
			for j < len(s) && !(s[j] >= '0' && s[j] <= '9') && s[j] != '.' && s[j] != '/' && s[j] != '-' && s[j] != ' ' && s[j] != ',' {
				j++
			}
			w := s[i:j]
			switch w {
			case "年", "月", "日":
			default:
				m, ok := monthNames[fold(w)]
				if !ok || p.month != 0 {
					return p, false
				}
				p.month, p.mpos = m, parts
				parts++
			}
			i = j
		}
	}
	if parts == 2 && len(s) <= 12 {
		// Day and month without a year, as card statements print them:
		// "12/29", "29.12.", "12-29", "1月29日", "29 Dec". A lone "."
		// between two numbers is an amount, never a date.
		inner := strings.Trim(s, ".")
		switch {
		case p.month != 0 && p.n == 1 && p.digits[0] <= 2:
			p.noYear = true
		case p.month == 0 && p.n == 2 && p.digits[0] <= 2 && p.digits[1] <= 2 &&
			(strings.Contains(s, "/") || p.cjk || strings.HasSuffix(s, ".") && strings.Count(inner, ".") == 1 ||
				strings.Count(s, "-") == 1 && !strings.HasPrefix(s, "-") && !strings.HasSuffix(s, "-")):
			p.noYear = true
		}
		return p, p.noYear
	}
	if parts != 3 || (p.month == 0 && p.n != 3) || (p.month != 0 && p.n != 2) {
		return p, false
	}
	return p, true
}

// dateIn reads day and month without a year: the year is the one that
// puts the date on or before the end of the statement period (a January
// statement's "12/29" is the December before).
func (p dateParts) dateIn(o dateOrder, end ferry.Date) (ferry.Date, error) {
	if end.IsZero() {
		return ferry.Date{}, fmt.Errorf("no year, and the file states no period to take it from; set date_format in a mapping or pass the period")
	}
	var m, d int
	switch {
	case p.month != 0:
		m, d = int(p.month), p.nums[0]
	case o == orderDMY:
		d, m = p.nums[0], p.nums[1]
	case o == orderMDY || o == orderYMD || p.cjk:
		m, d = p.nums[0], p.nums[1]
	default:
		return ferry.Date{}, fmt.Errorf("day and month order unknown")
	}
	ey, em, ed := end.Time(time.UTC).Date()
	y := ey
	if m > int(em) || m == int(em) && d > ed {
		y--
	}
	return build(y, m, d)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// year widens a two-digit year: statements are of this century.
func year(v, digits int) int {
	if digits <= 2 {
		return 2000 + v
	}
	return v
}

// build makes a date from day, month, year, checking the calendar.
func build(y, m, d int) (ferry.Date, error) {
	if m < 1 || m > 12 || d < 1 || d > 31 || y < 1900 || y > 2199 {
		return ferry.Date{}, fmt.Errorf("no such date")
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return ferry.Date{}, fmt.Errorf("no such date")
	}
	return ferry.NewDate(y, time.Month(m), d), nil
}

// date reads the parts in the given order.
func (p dateParts) date(o dateOrder) (ferry.Date, error) {
	if p.month != 0 {
		// Named month: the other two are day and year; a four-digit or
		// above-31 number is the year, else the order says.
		a, b := p.nums[0], p.nums[1]
		da, db := p.digits[0], p.digits[1]
		switch {
		case da == 4 || a > 31:
			return build(year(a, da), int(p.month), b)
		case db == 4 || b > 31:
			return build(year(b, db), int(p.month), a)
		case o == orderYMD:
			return build(year(a, da), int(p.month), b)
		default:
			return build(year(b, db), int(p.month), a)
		}
	}
	n, d := p.nums, p.digits
	if d[0] == 4 || p.cjk {
		return build(year(n[0], d[0]), n[1], n[2])
	}
	switch o {
	case orderDMY:
		return build(year(n[2], d[2]), n[1], n[0])
	case orderMDY:
		return build(year(n[2], d[2]), n[0], n[1])
	case orderYMD:
		return build(year(n[0], d[0]), n[1], n[2])
	}
	return ferry.Date{}, fmt.Errorf("day and month order unknown")
}

// dateEvidence gathers over a column's cells what decides its order.
type dateEvidence struct {
	cells, dates       int
	dayFirst, monFirst int // cells proving DMY or MDY (a part above 12)
	yearFirst          int // cells with the year first
	named              int // cells with a month name: they need no order
	noYear             int // cells without a year
	dotted             int // 31.01.2024: no country writes month first with dots
	sample             string
	dayFirstAt         string
	monFirstAt         string
}

// add offers one cell; where names it for notes.
func (e *dateEvidence) add(s, where string) {
	s = strings.TrimSpace(s)
	if s == "" || s == "-" || s == "--" || notBooked[fold(s)] {
		return // "Pending" in the date column of a card export
	}
	e.cells++
	p, ok := splitDate(s)
	if !ok {
		return
	}
	if p.noYear {
		e.noYear++
		if p.month != 0 {
			e.dates++
			e.named++
			return
		}
		if p.cjk {
			e.dates++
			e.yearFirst++ // 1月29日: month first, like year-first dates
			return
		}
	}
	if p.month != 0 {
		if _, err := p.date(orderDMY); err == nil {
			e.dates++
			e.named++
		}
		return
	}
	n, d := p.nums, p.digits
	if p.noYear {
		d[0] = 2 // two parts, neither a year: only the day and month order is in question
	}
	if d[0] == 4 || p.cjk || (d[0] <= 2 && n[0] > 31) {
		if _, err := p.date(orderYMD); err == nil {
			e.dates++
			e.yearFirst++
		}
		return
	}
	okD := validDMY(n[0], n[1])
	okM := validDMY(n[1], n[0])
	if !okD && !okM {
		return
	}
	e.dates++
	if e.sample == "" {
		e.sample = s
	}
	if strings.Contains(s, ".") {
		e.dotted++
	}
	if okD && !okM {
		e.dayFirst++
		if e.dayFirstAt == "" {
			e.dayFirstAt = fmt.Sprintf("%q at %s", s, where)
		}
	}
	if okM && !okD {
		e.monFirst++
		if e.monFirstAt == "" {
			e.monFirstAt = fmt.Sprintf("%q at %s", s, where)
		}
	}
}

func validDMY(day, month int) bool { return day >= 1 && day <= 31 && month >= 1 && month <= 12 }

// isDateColumn reports whether nearly every non-empty cell is a date.
func (e *dateEvidence) isDateColumn() bool {
	return e.dates > 0 && e.dates*10 >= e.cells*9
}

// merge pools another column's evidence: one file writes all its dates
// one way.
func (e *dateEvidence) merge(o *dateEvidence) {
	e.dayFirst += o.dayFirst
	e.monFirst += o.monFirst
	e.yearFirst += o.yearFirst
	e.named += o.named
	e.noYear += o.noYear
	e.dotted += o.dotted
	e.dates += o.dates
	if e.dayFirstAt == "" {
		e.dayFirstAt = o.dayFirstAt
	}
	if e.monFirstAt == "" {
		e.monFirstAt = o.monFirstAt
	}
	if e.sample == "" {
		e.sample = o.sample
	}
}

// decide returns the order the evidence proves, with the reason; hint is
// the order the header language implies (orderUnknown for English).
func (e *dateEvidence) decide(hint dateOrder, hintWhy string) (dateOrder, string, error) {
	switch {
	case e.dayFirst > 0 && e.monFirst > 0:
		return orderUnknown, "", fmt.Errorf("dates are written both day-first (%s) and month-first (%s)", e.dayFirstAt, e.monFirstAt)
	case e.dayFirst > 0:
		return orderDMY, "a first part above 12: " + e.dayFirstAt, nil
	case e.monFirst > 0:
		return orderMDY, "a second part above 12: " + e.monFirstAt, nil
	case e.dates == e.yearFirst+e.named && e.named > 0:
		// "27 Feb 2018", "10 Feb 18": the month is named; the order only
		// matters for a two-digit year, which banks write last.
		return orderDMY, "month names", nil
	case e.dates == e.yearFirst:
		return orderYMD, "year first", nil
	case e.dotted > 0:
		return orderDMY, "dates written with dots (31.01.2024) are day-first everywhere", nil
	case hint != orderUnknown:
		return hint, hintWhy, nil
	}
	return orderUnknown, "", fmt.Errorf("cannot tell day-first from month-first dates: no day above 12 in any date (e.g. %q); set date_format in a mapping (e.g. DD/MM/YYYY)", e.sample)
}

// dateFormat parses one column's cells.
type dateFormat struct {
	order  dateOrder
	layout string     // a Go layout from a mapping, tried first
	end    ferry.Date // the statement period's end: the year of dates without one
}

// parse reads a date cell.
func (f dateFormat) parse(s string) (ferry.Date, error) {
	s = strings.TrimSpace(s)
	if f.layout != "" {
		t, err := time.Parse(f.layout, s)
		if err == nil {
			return ferry.DateOf(t), nil
		}
		if p, ok := splitDate(s); ok && p.n == 3 && p.digits[0] == 4 && p.month == 0 {
			// An XLSX date cell comes out ISO whatever the mapping says.
			return p.date(orderYMD)
		}
		return ferry.Date{}, fmt.Errorf("date %q does not match the format %q", s, f.layout)
	}
	p, ok := splitDate(s)
	if !ok {
		return ferry.Date{}, fmt.Errorf("not a date: %q", s)
	}
	if p.noYear {
		d, err := p.dateIn(f.order, f.end)
		if err != nil {
			return ferry.Date{}, fmt.Errorf("date %q: %v", s, err)
		}
		return d, nil
	}
	d, err := p.date(f.order)
	if err != nil {
		return ferry.Date{}, fmt.Errorf("date %q read as %s: %v", s, f.order, err)
	}
	return d, nil
}

// goLayout turns a person's date pattern (DD.MM.YYYY, MM/DD/YY,
// YYYY-MM-DD, D MMM YYYY ...) into a Go layout; a Go layout itself
// (02.01.2006) passes through.
func goLayout(p string) (string, error) {
	if strings.Contains(p, "2006") || strings.Contains(p, "06") && strings.Contains(p, "01") {
		return p, nil
	}
	r := strings.NewReplacer("YYYY", "2006", "yyyy", "2006", "YY", "06", "yy", "06",
		"MMMM", "January", "MMM", "Jan", "MM", "01", "M", "1", "DD", "02", "dd", "02", "D", "2", "d", "2")
	out := r.Replace(p)
	if !strings.Contains(out, "06") || (!strings.Contains(out, "1") && !strings.Contains(out, "Jan")) || !strings.Contains(out, "2") {
		return "", fmt.Errorf("date format %q: want a pattern such as DD.MM.YYYY, MM/DD/YYYY, YYYY-MM-DD or a Go layout such as 02.01.2006", p)
	}
	return out, nil
}

// orderOfPattern tells DMY/MDY/YMD from a pattern such as DD/MM/YYYY,
// or orderUnknown.
func orderOfPattern(p string) dateOrder {
	switch strings.ToUpper(strings.TrimSpace(p)) {
	case "DMY":
		return orderDMY
	case "MDY":
		return orderMDY
	case "YMD":
		return orderYMD
	}
	return orderUnknown
}
