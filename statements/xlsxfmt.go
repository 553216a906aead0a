package statements

// Number formats (ECMA-376 Part 1, 18.8.30 and 18.8.31). A cell holds a
// number; only its format says whether that number is an amount, a date, a
// time of day or a duration. Reading a format wrongly turns amounts into
// dates (LibreOffice writes its default format as "General", which has an
// "e" in it), so the format is parsed into sections and tokens the way Excel
// reads it, and a format that cannot be read is said to be so rather than
// guessed at.
//
// xuri/nfp (an indirect dependency through excelize) tokenises format codes
// for rendering, but it takes a quoted "General" for the keyword, gives
// stray letters such as the E, U and R of `#,##0.00 EUR` the date-time
// token type and does not tell months from minutes; the classification
// would be this file's work either way, so the tokeniser is written here
// with the classifier.

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// fmtKind is what a number format section shows of a number.
type fmtKind uint8

const (
	fmtNumber   fmtKind = iota // digits: General, 0.00, #,##0, %, E+, fractions, or only literals
	fmtDate                    // a calendar date
	fmtDateTime                // a date with a time of day
	fmtTime                    // a time of day only
	fmtDuration                // elapsed time ([h]:mm)
	fmtText                    // the text section (@)
)

func (k fmtKind) String() string {
	return [...]string{"number", "date", "date-time", "time", "duration", "text"}[k]
}

// maxFormatCode bounds a format code: Excel refuses codes over 255
// characters; a little more is allowed for other writers.
const maxFormatCode = 1024

// fmtCond is a section condition such as [<0] or [>=100].
type fmtCond struct {
	op  string
	val decimal.Decimal
}

func (c fmtCond) holds(v decimal.Decimal) bool {
	switch n := v.Cmp(c.val); c.op {
	case "<":
		return n < 0
	case "<=":
		return n <= 0
	case ">":
		return n > 0
	case ">=":
		return n >= 0
	case "=":
		return n == 0
	case "<>":
		return n != 0
	}
	return false
}

// fmtSection is one ;-separated part of a format code.
type fmtSection struct {
	kind     fmtKind
	cond     *fmtCond
	fraction int  // digits of fractional seconds shown (ss.00)
	auto     bool // a date or a time, whichever the number holds (CJK built-ins)
}

// numFmt is a parsed number format code.
type numFmt struct {
	code    string
	numeric []fmtSection // the sections that format numbers, at most 3
	text    bool         // has a text section
	invalid string       // why the code is not a valid format, if it is not
}

// kindFor returns how the format shows v, and whether some section applies
// to it (Excel shows ##### when none does, or for a negative date).
func (f *numFmt) kindFor(v decimal.Decimal) (fmtSection, bool) {
	if f.invalid != "" || len(f.numeric) == 0 {
		return fmtSection{kind: fmtNumber}, true
	}
	anyCond := false
	for _, s := range f.numeric {
		anyCond = anyCond || s.cond != nil
	}
	if !anyCond {
		switch len(f.numeric) {
		case 1:
			return f.numeric[0], true
		case 2:
			if v.Sign() >= 0 {
				return f.numeric[0], true
			}
			return f.numeric[1], true
		default:
			switch v.Sign() {
			case 1:
				return f.numeric[0], true
			case -1:
				return f.numeric[1], true
			}
			return f.numeric[2], true
		}
	}
	// With conditions, each section applies where its condition holds; a
	// section without one takes every value left.
	for _, s := range f.numeric {
		if s.cond == nil || s.cond.holds(v) {
			return s, true
		}
	}
	return fmtSection{}, false
}

// conditional reports whether a section has a condition ([<0]), so that
// picking one takes the value, not only its sign.
func (f *numFmt) conditional() bool {
	for _, s := range f.numeric {
		if s.cond != nil {
			return true
		}
	}
	return false
}

// sectionFor picks the section of a format without conditions for a value
// of the given sign (1, 0 or -1).
func (f *numFmt) sectionFor(sign int) fmtSection {
	switch {
	case len(f.numeric) == 0:
		return fmtSection{kind: fmtNumber}
	case len(f.numeric) == 1, sign > 0, sign == 0 && len(f.numeric) == 2:
		return f.numeric[0]
	case sign < 0:
		return f.numeric[1]
	}
	return f.numeric[2]
}

// isDate reports whether any section of f shows a date or time: the old
// yes/no question, kept for callers that need no value.
func (f *numFmt) isDate() bool {
	if f.invalid != "" {
		return false
	}
	for _, s := range f.numeric {
		if s.kind != fmtNumber && s.kind != fmtText {
			return true
		}
	}
	return false
}

// builtinFormat classifies a built-in format id that the file uses without
// writing its code (18.8.30). Ids 27-36 and 50-58 are dates and times in
// the Chinese, Japanese and Korean versions of Excel (the only ones that
// write them); 59-62 and 67-70 are Thai numbers, 71-81 Thai dates and
// times. An id outside every list is not understood.
func builtinFormat(id int) *numFmt {
	code := ""
	switch {
	case id == 0:
		code = "General"
	case id >= 1 && id <= 13, id >= 37 && id <= 44, id == 48, id >= 59 && id <= 62, id >= 67 && id <= 70:
		code = "0" // a number format; its exact digits do not matter here
	case id == 49:
		code = "@"
	case id >= 14 && id <= 17, id >= 27 && id <= 31, id == 36, id >= 50 && id <= 54, id == 57, id == 58, id == 71, id >= 72 && id <= 74, id == 81:
		code = "yyyy-mm-dd"
	case id == 22, id == 77:
		code = "yyyy-mm-dd hh:mm:ss"
	case id >= 18 && id <= 21, id >= 32 && id <= 35, id == 45, id == 47, id == 55, id == 56, id >= 75 && id <= 76, id >= 78 && id <= 80:
		code = "hh:mm:ss"
	case id == 46:
		code = "[h]:mm:ss"
	default:
		return &numFmt{code: fmt.Sprintf("built-in %d", id), invalid: "the id is not a built-in format of ECMA-376 and the file does not define it"}
	}
	f := parseNumFmt(code)
	f.code = fmt.Sprintf("built-in %d", id)
	if id >= 27 && id <= 36 || id >= 50 && id <= 58 {
		// Japanese and Korean Excel show some of these ids as dates where
		// Chinese Excel shows times: the number says which it holds.
		for i := range f.numeric {
			f.numeric[i].kind, f.numeric[i].auto = fmtDateTime, true
		}
	}
	return f
}

// fmtToken is one lexical item of a section.
type fmtToken struct {
	kind byte // 'd' date/time letter run, 'E' exponent, '0' digit placeholder, 'G' General, '@' text, 'D' [$-F800], 'T' [$-F400], 'e' elapsed
	ch   byte // the letter of a date/time run, lower-cased
	n    int  // run length
}

// parseNumFmt parses a format code. It never fails: a code that is not a
// valid format comes back with invalid set, and its numbers are shown as
// plain numbers.
func parseNumFmt(code string) *numFmt {
	f := &numFmt{code: code}
	if len(code) > maxFormatCode {
		f.invalid = fmt.Sprintf("format code is %d bytes long (Excel's limit is 255 characters)", len(code))
		return f
	}
	var sections [][]fmtToken
	var conds []*fmtCond
	var texts []bool
	var fracs []int
	var toks []fmtToken
	var cond *fmtCond
	text := false
	frac := 0
	bad := func(format string, args ...any) *numFmt {
		f.invalid = fmt.Sprintf(format, args...)
		f.numeric = nil
		return f
	}
	flush := func() {
		sections = append(sections, toks)
		conds = append(conds, cond)
		texts = append(texts, text)
		fracs = append(fracs, frac)
		toks, cond, text, frac = nil, nil, false, 0
	}
	hasDigits := func() bool {
		for _, t := range toks {
			if t.kind == '0' {
				return true
			}
		}
		return false
	}
	lastIsSeconds := func() bool {
		// fractional seconds: s or [ss] directly before ".0"
		if len(toks) == 0 {
			return false
		}
		t := toks[len(toks)-1]
		return t.kind == 'd' && t.ch == 's' || t.kind == 'e' && t.ch == 's'
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c == ';':
			flush()
			if len(sections) > 4 {
				return bad("more than four sections")
			}
		case c == '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				return bad("a quoted literal is not closed")
			}
			i += j + 1
		case c == '\\' || c == '_' || c == '*':
			// escaped literal, padding as wide as the next character, or
			// fill with it: either way the next character is not a code
			if i+1 >= len(code) {
				return bad("%q at the end of the code", c)
			}
			i += runeLen(code[i+1:])
		case c == '[':
			j := strings.IndexByte(code[i:], ']')
			if j < 0 {
				return bad("a [ is not closed")
			}
			inner := code[i+1 : i+j]
			i += j
			kind, cnd, err := bracket(inner)
			if err != "" {
				return bad("%s", err)
			}
			switch kind {
			case 'c':
				if cond != nil {
					return bad("two conditions in one section")
				}
				cond = cnd
			case 'e':
				toks = append(toks, fmtToken{kind: 'e', ch: lower(inner[0]), n: len(inner)})
			case 'D', 'T':
				toks = append(toks, fmtToken{kind: kind})
			}
		case c == '0' || c == '#' || c == '?':
			if c == '0' && i > 0 && code[i-1] == '.' && lastIsSeconds() {
				n := 0
				for i < len(code) && code[i] == '0' {
					n++
					i++
				}
				i--
				if n > 3 {
					return bad("more than three digits of fractional seconds")
				}
				frac = n
				continue
			}
			toks = append(toks, fmtToken{kind: '0'})
		case c == '@':
			text = true
			toks = append(toks, fmtToken{kind: '@'})
		case (c == 'E' || c == 'e') && i+1 < len(code) && (code[i+1] == '+' || code[i+1] == '-') && hasDigits():
			toks = append(toks, fmtToken{kind: 'E'})
			i++
		case (c == 'G' || c == 'g') && len(code) >= i+7 && strings.EqualFold(code[i:i+7], "general"):
			toks = append(toks, fmtToken{kind: 'G'})
			i += 6
		case (c == 'A' || c == 'a') && len(code) >= i+5 && strings.EqualFold(code[i:i+5], "am/pm"):
			toks = append(toks, fmtToken{kind: 'd', ch: 'a', n: 1})
			i += 4
		case (c == 'A' || c == 'a') && len(code) >= i+3 && strings.EqualFold(code[i:i+3], "a/p"):
			toks = append(toks, fmtToken{kind: 'd', ch: 'a', n: 1})
			i += 2
		case (c == 'B' || c == 'b') && i+1 < len(code) && (code[i+1] == '1' || code[i+1] == '2'):
			i++ // calendar: B1 Gregorian, B2 Hijri
		case isLetter(c):
			l := lower(c)
			n := 1
			for i+1 < len(code) && lower(code[i+1]) == l {
				n++
				i++
			}
			switch l {
			case 'y', 'm', 'd', 'h', 's', 'e', 'g', 'b':
				// e, ee: year of the era (the plain year outside Japan,
				// Taiwan and Thailand); g, gg, ggg: era name; b, bb, bbbb:
				// Buddhist year. All show a date.
			case 'a':
				if n < 3 {
					return bad("unquoted letter %q", c)
				}
				l = 'w' // aaa, aaaa: weekday name in Japanese Excel
			default:
				return bad("unquoted letter %q", c)
			}
			toks = append(toks, fmtToken{kind: 'd', ch: l, n: n})
		}
	}
	flush()
	if len(sections) > 4 {
		return bad("more than four sections")
	}
	for i, toks := range sections {
		if i == 3 || texts[i] {
			f.text = true
			continue
		}
		kind, err := sectionKind(toks)
		if err != "" {
			return bad("section %d: %s", i+1, err)
		}
		f.numeric = append(f.numeric, fmtSection{kind: kind, cond: conds[i], fraction: fracs[i]})
	}
	return f
}

// sectionKind decides what a section shows from its tokens.
func sectionKind(toks []fmtToken) (fmtKind, string) {
	var digits, general, date, clock, elapsed bool
	for i, t := range toks {
		switch t.kind {
		case '0', 'E':
			digits = true
		case 'G':
			general = true
		case 'D':
			date = true
		case 'T':
			clock = true
		case 'e':
			elapsed = true
		case 'd':
			switch t.ch {
			case 'y', 'd', 'e', 'g', 'b', 'w':
				date = true
			case 'h', 's', 'a':
				clock = true
			case 'm':
				if minuteAt(toks, i) {
					clock = true
				} else {
					date = true
				}
			}
		}
	}
	shows := date || clock || elapsed
	switch {
	case shows && (digits || general):
		return 0, "digit placeholders or General together with date or time codes"
	case digits || general:
		return fmtNumber, ""
	case elapsed && date:
		return 0, "an elapsed time together with a date"
	case elapsed:
		return fmtDuration, ""
	case date && clock:
		return fmtDateTime, ""
	case date:
		return fmtDate, ""
	case clock:
		return fmtTime, ""
	}
	return fmtNumber, "" // only literals: the number is shown as text
}

// minuteAt tells whether the m run at toks[i] means minutes: it does right
// after an hour or right before seconds (other tokens between do not
// count, literals are not tokens).
func minuteAt(toks []fmtToken, i int) bool {
	for j := i - 1; j >= 0; j-- {
		if t := toks[j]; t.kind == 'd' || t.kind == 'e' {
			if t.ch == 'h' {
				return true
			}
			break
		}
	}
	for j := i + 1; j < len(toks); j++ {
		if t := toks[j]; t.kind == 'd' || t.kind == 'e' {
			return t.ch == 's'
		}
	}
	return false
}

// bracket classifies the inside of [...]: 'c' condition, 'e' elapsed time,
// 'D' system long date, 'T' system time, 0 for colours, currencies and
// locales, numeral systems and calendars, which do not change what the
// number means.
func bracket(in string) (byte, *fmtCond, string) {
	low := strings.ToLower(in)
	switch {
	case in == "":
		return 0, nil, "empty []"
	case strings.Trim(low, "h") == "" || strings.Trim(low, "m") == "" || strings.Trim(low, "s") == "":
		return 'e', nil, ""
	case in[0] == '<' || in[0] == '>' || in[0] == '=':
		op := in[:1]
		if len(in) > 1 && (in[1] == '=' || in[0] == '<' && in[1] == '>') {
			op = in[:2]
		}
		v, err := decimal.NewFromString(strings.TrimSpace(in[len(op):]))
		if err != nil {
			return 0, nil, fmt.Sprintf("condition [%s] has no number", in)
		}
		if e := v.Exponent(); e > 308 || e < -330 {
			// comparing with 1E+999999999 would build a billion-digit number
			return 0, nil, fmt.Sprintf("condition [%s] is beyond the range of an Excel number", in)
		}
		return 'c', &fmtCond{op: op, val: v}, ""
	case in[0] == '$':
		// [$€-407]: currency symbol, then a locale id (hex LCID, whose
		// high bytes pick calendar and digits) or name
		loc := ""
		if k := strings.IndexByte(in, '-'); k >= 0 {
			loc = strings.ToLower(in[k+1:])
		}
		if n, err := strconv.ParseUint(loc, 16, 32); err == nil {
			switch n & 0xFFFF {
			case 0xF800:
				return 'D', nil, ""
			case 0xF400:
				return 'T', nil, ""
			}
		}
		switch loc {
		case "x-sysdate":
			return 'D', nil, ""
		case "x-systime":
			return 'T', nil, ""
		}
		return 0, nil, ""
	case isColour(low):
		return 0, nil, ""
	case strings.HasPrefix(low, "dbnum") || strings.HasPrefix(low, "natnum") || low[0] == '~':
		// [DBNum1] (Excel) and [NatNum1] (LibreOffice): numerals in
		// another script; [~buddhist]: LibreOffice's calendar
		return 0, nil, ""
	}
	return 0, nil, fmt.Sprintf("[%s] is not a colour, condition, locale or elapsed time", in)
}

func isColour(low string) bool {
	switch low {
	case "black", "blue", "cyan", "green", "magenta", "red", "white", "yellow":
		return true
	}
	if n, err := strconv.Atoi(strings.TrimPrefix(low, "color")); err == nil && strings.HasPrefix(low, "color") {
		return n >= 1 && n <= 56
	}
	return false
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// runeLen is the byte length of the first UTF-8 character of s (1 for a
// broken sequence), so that an escaped € is skipped whole.
func runeLen(s string) int {
	for n := 1; n < len(s) && n < 4; n++ {
		if s[n]&0xC0 != 0x80 {
			return n
		}
	}
	if len(s) < 4 {
		return len(s)
	}
	return 4
}

// Date serials: days since 1899-12-31 (serial 1 is 1900-01-01, and Excel
// counts a 29 February 1900 that never was as serial 60) or, in workbooks
// with the 1904 date system, days since 1904-01-01.
const (
	maxSerial1900 = 2958465 // 9999-12-31
	maxSerial1904 = 2957003
	msPerDay      = 86400000
)

// showSerial renders v as the section shows it: an ISO date, an ISO date
// and time, a time of day or an elapsed time. It refuses the values for
// which Excel shows ##### (negative, past 9999) and those that name no
// real day (serial 0 and the phantom 1900-02-29), instead of shifting them
// by a day.
func showSerial(v decimal.Decimal, sec fmtSection, date1904 bool) (string, cellKind, error) {
	if v.Sign() < 0 {
		return "", 0, fmt.Errorf("negative number %s in a %s format (Excel shows #####)", v, sec.kind)
	}
	maxSerial := int64(maxSerial1900)
	if date1904 {
		maxSerial = maxSerial1904
	}
	if v.Cmp(decimal.NewFromInt(maxSerial+1)) >= 0 {
		return "", 0, fmt.Errorf("number %s is past 9999-12-31 in a %s format (Excel shows #####)", v, sec.kind)
	}
	days := v.Floor().IntPart()
	// the time of day in units of the shown precision (seconds, or
	// tenths to thousandths with ss.0 to ss.000), rounded half up
	unitsPerSec := int64(1)
	for i := 0; i < sec.fraction; i++ {
		unitsPerSec *= 10
	}
	frac := v.Sub(v.Floor())
	units := frac.Mul(decimal.NewFromInt(86400 * unitsPerSec)).Round(0).IntPart()
	if sec.kind == fmtDate && frac.Mul(decimal.NewFromInt(msPerDay)).Round(0).IntPart() >= msPerDay {
		// a date alone shows the day the number falls in, to the
		// millisecond as Excel stores times
		days++
	}
	return showDays(days, units, unitsPerSec, sec, date1904)
}

// showDays renders a serial split into whole days and units of the time
// of day (unitsPerSec to a second), as the section shows it.
func showDays(days, units, unitsPerSec int64, sec fmtSection, date1904 bool) (string, cellKind, error) {
	unitsPerDay := 86400 * unitsPerSec
	kind := sec.kind
	if sec.auto {
		switch {
		case days == 0 && !date1904:
			kind = fmtTime
		case units == 0:
			kind = fmtDate
		}
	}
	if kind == fmtDate {
		units = 0
	} else if units >= unitsPerDay {
		days++
		units -= unitsPerDay
	}
	clock := func(h int64) string {
		secs := units / unitsPerSec
		s := fmt.Sprintf("%02d:%02d:%02d", h, (secs/60)%60, secs%60)
		if sec.fraction > 0 {
			s += fmt.Sprintf(".%0*d", sec.fraction, units%unitsPerSec)
		}
		return s
	}
	switch kind {
	case fmtTime:
		return clock(units / unitsPerSec / 3600), cellTime, nil
	case fmtDuration:
		return clock(days*24 + units/unitsPerSec/3600), cellTime, nil
	}
	var base time.Time
	if date1904 {
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	} else {
		switch {
		case days == 0:
			return "", 0, fmt.Errorf("day 0 of Excel's calendar is not a date (Excel shows 1900-01-00)")
		case days == 60:
			return "", 0, fmt.Errorf("serial 60 is 1900-02-29, a day that does not exist (Excel's leap-year bug)")
		case days > 60:
			days--
		}
		base = time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	t := base.AddDate(0, 0, int(days))
	if t.Year() > 9999 {
		return "", 0, fmt.Errorf("day %d is past 9999-12-31 (Excel shows #####)", days)
	}
	if kind == fmtDate || units == 0 {
		return t.Format("2006-01-02"), cellDate, nil
	}
	return t.Format("2006-01-02") + " " + clock(units/unitsPerSec/3600), cellDate, nil
}
