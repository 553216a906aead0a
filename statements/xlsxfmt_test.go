package statements

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"
)

// shows says how a format shows a number: a kind name, "invalid" or
// "#####" when no section applies.
func shows(code, v string) string {
	f := parseNumFmt(code)
	if f.invalid != "" {
		return "invalid"
	}
	sec, ok := f.kindFor(decimal.RequireFromString(v))
	if !ok {
		return "#####"
	}
	return sec.kind.String()
}

// The format codes are those real writers produce (noted where from) and
// those ECMA-376 18.8.31 describes; each with the values that pick each
// section.
func TestNumberFormatKinds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		code string
		vals map[string]string // value → kind
	}{
		// General in every spelling writers use (LibreOffice, Numbers, tealeg/xlsx)
		{"General", map[string]string{"22": "number", "-1": "number"}},
		{"GENERAL", map[string]string{"22": "number"}},
		{"general", map[string]string{"22": "number"}},
		{`"Total: "General`, map[string]string{"3": "number"}},
		{`[Blue]General;[Red]-General`, map[string]string{"3": "number", "-3": "number"}},
		{`[DBNum1]General`, map[string]string{"3": "number"}},
		{`"General"`, map[string]string{"3": "number"}}, // a quoted word, only literals
		// numbers
		{"0.00E+00", map[string]string{"1": "number"}},
		{"##0.0E+0", map[string]string{"1": "number"}},
		{"0.0e-0", map[string]string{"1": "number"}},
		{"# ?/?", map[string]string{"2.5": "number"}},
		{"0.00%", map[string]string{"0.05": "number"}},
		{`0.00"d"`, map[string]string{"12.5": "number"}},
		{`0.00\d`, map[string]string{"12.5": "number"}},
		{`0.00_d`, map[string]string{"12.5": "number"}},
		{`*d0.00`, map[string]string{"12.5": "number"}},
		{`0.00" EUR"`, map[string]string{"12.5": "number"}},
		{`[Red]-0.00`, map[string]string{"-1": "number"}},
		{`[Color12]0;[COLOR56]-0`, map[string]string{"1": "number", "-1": "number"}},
		{`[NatNum1]0`, map[string]string{"1": "number"}},
		{`\¥#,##0.00`, map[string]string{"0.02": "number"}}, // Chinese Excel (tealeg panic_test.xlsx)
		{`[$€-407]#,##0.00`, map[string]string{"1": "number"}},
		{`#,##0.00 [$EUR]`, map[string]string{"1": "number"}},
		{`#,##0.00\ [$€-407];[RED]\-#,##0.00\ [$€-407]`, map[string]string{"1": "number", "-1": "number"}},                     // LibreOffice 7.4
		{`[$-010409]#,##0.00#%`, map[string]string{"1": "number"}},                                                             // Excel 2007 (tealeg inlineStrings.xlsx)
		{`_ * #,##0.00_ ;_ * \-#,##0.00_ ;_ * "-"??_ ;_ @_ `, map[string]string{"1": "number", "-1": "number", "0": "number"}}, // WPS
		{`_-* #,##0.00\ [$€-407]_-;\-* #,##0.00\ [$€-407]_-;_-* "-"??\ [$€-407]_-;_-@_-`, map[string]string{"1": "number", "0": "number"}},
		{`"TRUE";"TRUE";"FALSE"`, map[string]string{"1": "number", "0": "number"}}, // LibreOffice's boolean format
		{`;;;`, map[string]string{"1": "number", "-1": "number", "0": "number"}},
		{"@", map[string]string{"12345678901": "number"}},
		// dates and times
		{"yyyy-mm-dd", map[string]string{"45658": "date"}},
		{`yyyy\-mm\-dd`, map[string]string{"45658": "date"}},
		{"DD/MM/YYYY", map[string]string{"45658": "date"}},
		{"d-mmm-yy", map[string]string{"45658": "date"}},
		{"mmm-yy", map[string]string{"45658": "date"}},
		{`[$-407]d/\ mmmm\ yyyy`, map[string]string{"45658": "date"}},
		{`[$-804]yyyy\年m\月d\日`, map[string]string{"45658": "date"}},
		{`yyyy"年"m"月"d"日";@`, map[string]string{"45658": "date"}},
		{`[DBNum1][$-804]yyyy"年"m"月"d"日"`, map[string]string{"45658": "date"}},
		{`[$-411]ggge"年"m"月"d"日"`, map[string]string{"45658": "date"}},
		{`[$-1030411]ge\年m\月d\日`, map[string]string{"45658": "date"}}, // LibreOffice's Japanese era
		{`[$-404]e/m/d`, map[string]string{"45658": "date"}},
		{`[$-41E]d/m/bbbb`, map[string]string{"45658": "date"}},
		{`[$-107041E]d/m/yyyy`, map[string]string{"45658": "date"}},
		{`B2dd/mm/yyyy`, map[string]string{"45658": "date"}},
		{`[~buddhist]D/M/YYYY`, map[string]string{"45658": "date"}},
		{`[$-F800]dddd, mmmm dd, yyyy`, map[string]string{"45658": "date"}},
		{`[$-x-sysdate]dddd, mmmm dd, yyyy`, map[string]string{"45658": "date"}},
		{`[$-F800]`, map[string]string{"45658": "date"}},
		{`aaa`, map[string]string{"45658": "date"}},
		{"h:mm AM/PM", map[string]string{"0.5": "time"}},
		{"h:mm a/p", map[string]string{"0.5": "time"}},
		{"hh:mm:ss", map[string]string{"0.5": "time"}},
		{"mm:ss", map[string]string{"0.5": "time"}},
		{"mm:ss.0", map[string]string{"0.5": "time"}},
		{`hh"h"mm`, map[string]string{"0.5": "time"}},
		{`上午/下午h"时"mm"分"`, map[string]string{"0.5": "time"}},
		{`[$-F400]h:mm:ss AM/PM`, map[string]string{"0.5": "time"}},
		{`[$-x-systime]h:mm:ss AM/PM`, map[string]string{"0.5": "time"}},
		{"m/d/yy hh:mm", map[string]string{"45658.5": "date-time"}},
		{`yyyy\-mm\-dd\ hh:mm:ss`, map[string]string{"45658.5": "date-time"}},
		{"yyyy-mm-dd hh:mm:ss.000", map[string]string{"45658.5": "date-time"}},
		{"[h]:mm:ss", map[string]string{"1.5": "duration"}},
		{"[HH]:MM", map[string]string{"1.5": "duration"}},
		{"[mm]:ss", map[string]string{"1.5": "duration"}},
		{"[ss]", map[string]string{"1.5": "duration"}},
		// a date in one section only
		{`[<0]\-0.00;yyyy\-mm\-dd`, map[string]string{"46303": "date", "-5": "number"}}, // LibreOffice 7.4
		{`yyyy-mm-dd;"before 1900";"-"`, map[string]string{"45658": "date", "-1": "number", "0": "number"}},
		{`[<1]hh:mm;yyyy-mm-dd`, map[string]string{"0.5": "time", "45658": "date"}},
		{`[>=100]0.00;[<0]-0.00;"small"`, map[string]string{"150": "number", "-1": "number", "50": "number"}},
		{`[>100]yyyy-mm-dd;[<0]0`, map[string]string{"45658": "date", "-1": "number", "50": "#####"}},
		{`0.00;yyyy-mm-dd`, map[string]string{"45658": "number", "-45658": "date"}},
		// not formats at all: never a date
		{"#,##0.00 EUR", map[string]string{"1": "invalid"}},
		{"Standard", map[string]string{"1": "invalid"}},
		{"0.00 d", map[string]string{"1": "invalid"}},
		{"General yyyy", map[string]string{"1": "invalid"}},
		{"[h]:mm yyyy", map[string]string{"1": "invalid"}},
		{"[abc]0", map[string]string{"1": "invalid"}},
		{"[<x]0", map[string]string{"1": "invalid"}},
		{`"abc`, map[string]string{"1": "invalid"}},
		{`0\`, map[string]string{"1": "invalid"}},
		{"[0", map[string]string{"1": "invalid"}},
		{"0;0;0;@;0", map[string]string{"1": "invalid"}},
		{"[<0][>0]0", map[string]string{"1": "invalid"}},
		{"ss.0000", map[string]string{"1": "invalid"}},
		{"aa", map[string]string{"1": "invalid"}},
		{strings.Repeat("0", maxFormatCode+1), map[string]string{"1": "invalid"}},
	}
	for _, c := range cases {
		for v, want := range c.vals {
			if got := shows(c.code, v); got != want {
				t.Errorf("format %q shows %s as %s, want %s (%s)", c.code, v, got, want, parseNumFmt(c.code).invalid)
			}
		}
	}
}

// Built-in ids the file uses without defining them (ECMA-376 18.8.30 and
// the ids CJK and Thai Excel write).
func TestBuiltinNumberFormats(t *testing.T) {
	t.Parallel()
	cases := []struct {
		id   int
		v    string
		want string
	}{
		{0, "45658", "number"}, {1, "45658", "number"}, {4, "45658", "number"}, {11, "45658", "number"},
		{12, "1.5", "number"}, {37, "-1", "number"}, {44, "1", "number"}, {48, "1", "number"}, {49, "1", "number"},
		{14, "45658", "date"}, {15, "45658", "date"}, {17, "45658", "date"},
		{18, "0.5", "time"}, {21, "0.5", "time"}, {45, "0.5", "time"}, {47, "0.5", "time"},
		{22, "45658.5", "date-time"}, {46, "1.5", "duration"},
		{27, "45658", "date-time"}, {31, "45658", "date-time"}, {32, "0.5", "date-time"}, {58, "45658", "date-time"},
		{59, "1", "number"}, {70, "1", "number"}, {71, "45658", "date"}, {76, "0.5", "time"}, {81, "45658", "date"},
		{23, "1", "invalid"}, {63, "1", "invalid"}, {100, "1", "invalid"},
	}
	for _, c := range cases {
		f := builtinFormat(c.id)
		got := "invalid"
		if f.invalid == "" {
			sec, _ := f.kindFor(decimal.RequireFromString(c.v))
			got = sec.kind.String()
		}
		if got != c.want {
			t.Errorf("built-in %d shows %s as %s, want %s", c.id, c.v, got, c.want)
		}
	}
}

func TestShowSerial(t *testing.T) {
	t.Parallel()
	sec := func(code string) fmtSection {
		f := parseNumFmt(code)
		if f.invalid != "" || len(f.numeric) == 0 {
			t.Fatalf("%q: %s", code, f.invalid)
		}
		return f.numeric[0]
	}
	auto := builtinFormat(31).numeric[0]
	cases := []struct {
		v      string
		sec    fmtSection
		d1904  bool
		want   string
		kind   cellKind
		errHas string
	}{
		{v: "45658", sec: sec("yyyy-mm-dd"), want: "2025-01-01", kind: cellDate},
		{v: "1", sec: sec("yyyy-mm-dd"), want: "1900-01-01", kind: cellDate},
		{v: "59", sec: sec("yyyy-mm-dd"), want: "1900-02-28", kind: cellDate},
		{v: "60", sec: sec("yyyy-mm-dd"), errHas: "does not exist"},
		{v: "61", sec: sec("yyyy-mm-dd"), want: "1900-03-01", kind: cellDate},
		{v: "0", sec: sec("yyyy-mm-dd"), errHas: "day 0"},
		{v: "0.5", sec: sec("yyyy-mm-dd hh:mm"), errHas: "day 0"},
		{v: "-1", sec: sec("yyyy-mm-dd"), errHas: "negative"},
		{v: "2958465", sec: sec("yyyy-mm-dd"), want: "9999-12-31", kind: cellDate},
		{v: "2958466", sec: sec("yyyy-mm-dd"), errHas: "9999"},
		{v: "1e300", sec: sec("yyyy-mm-dd"), errHas: "9999"},
		{v: "45658.75", sec: sec("yyyy-mm-dd"), want: "2025-01-01", kind: cellDate}, // the day the time falls in
		{v: "45658.99999999", sec: sec("yyyy-mm-dd"), want: "2025-01-01", kind: cellDate},
		{v: "45658.75", sec: sec("yyyy-mm-dd hh:mm"), want: "2025-01-01 18:00:00", kind: cellDate},
		{v: "45658", sec: sec("yyyy-mm-dd hh:mm"), want: "2025-01-01", kind: cellDate},
		{v: "45658.9999999", sec: sec("yyyy-mm-dd hh:mm:ss"), want: "2025-01-02", kind: cellDate}, // 23:59:59.99 rounds to midnight
		{v: "46299.5732638889", sec: sec("yyyy-mm-dd hh:mm:ss"), want: "2026-10-04 13:45:30", kind: cellDate},
		{v: "0.573263888888889", sec: sec("hh:mm:ss"), want: "13:45:30", kind: cellTime},
		{v: "45658.25", sec: sec("hh:mm"), want: "06:00:00", kind: cellTime},
		{v: "0", sec: sec("hh:mm"), want: "00:00:00", kind: cellTime},
		{v: "0.5000001", sec: sec("hh:mm:ss.000"), want: "12:00:00.009", kind: cellTime},
		{v: "0.00355324074074074", sec: sec("mm:ss"), want: "00:05:07", kind: cellTime},
		{v: "1.51041666666667", sec: sec("[h]:mm"), want: "36:15:00", kind: cellTime},
		{v: "0", sec: sec("yyyy-mm-dd"), d1904: true, want: "1904-01-01", kind: cellDate},
		{v: "44834", sec: sec("yyyy-mm-dd"), d1904: true, want: "2026-10-01", kind: cellDate},
		{v: "2957004", sec: sec("yyyy-mm-dd"), d1904: true, errHas: "9999"},
		{v: "45658", sec: auto, want: "2025-01-01", kind: cellDate},
		{v: "0.5", sec: auto, want: "12:00:00", kind: cellTime},
		{v: "45658.5", sec: auto, want: "2025-01-01 12:00:00", kind: cellDate},
	}
	for _, c := range cases {
		got, kind, err := showSerial(decimal.RequireFromString(c.v), c.sec, c.d1904)
		if c.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), c.errHas) {
				t.Errorf("%s as %s: got %q, %v; want an error with %q", c.v, c.sec.kind, got, err, c.errHas)
			}
			continue
		}
		if err != nil || got != c.want || kind != c.kind {
			t.Errorf("%s as %s (1904 %v): got %q kind %d, %v; want %q kind %d", c.v, c.sec.kind, c.d1904, got, kind, err, c.want, c.kind)
		}
	}
}

// Every day of Excel's calendar against excelize's own conversion, an
// independent implementation (excelize.ExcelDateToTime), in both date
// systems.
func TestSerialDatesAgreeWithExcelize(t *testing.T) {
	t.Parallel()
	date := parseNumFmt("yyyy-mm-dd").numeric[0]
	for _, d1904 := range []bool{false, true} {
		last := maxSerial1900
		if d1904 {
			last = maxSerial1904
		}
		// From 1900-03-01 on: before it excelize counts serial 1 as
		// 1899-12-31, where Excel shows 1900-01-01 (TestShowSerial has
		// those days).
		first := 61
		if d1904 {
			first = 0
		}
		for serial := first; serial <= last; serial += 97 {
			got, _, err := showSerial(decimal.NewFromInt(int64(serial)), date, d1904)
			ref, rerr := excelize.ExcelDateToTime(float64(serial), d1904)
			if err != nil || rerr != nil {
				t.Fatalf("serial %d (1904 %v): %v / %v", serial, d1904, err, rerr)
			}
			if want := ref.Format(time.DateOnly); got != want {
				t.Fatalf("serial %d (1904 %v): got %s, excelize %s", serial, d1904, got, want)
			}
		}
	}
}

// FuzzNumberFormat: any code parses without panicking, in bounded time,
// into at most three number sections; a quoted literal in front changes
// nothing; a section shows a date or time only when the code has a date or
// time letter or an elapsed or system-date bracket; and a valid format shows
// any value without panicking.
func FuzzNumberFormat(f *testing.F) {
	for _, s := range []string{"General", `#,##0.00\ [$€-407];[RED]\-#,##0.00\ [$€-407]`, `[<0]\-0.00;yyyy\-mm\-dd`,
		`[$-411]ggge"年"m"月"d"日"`, `_ * #,##0.00_ ;_ * \-#,##0.00_ ;_ * "-"??_ ;_ @_ `, "[h]:mm:ss.00", "yyyy-mm-dd hh:mm AM/PM", `"a"\b_c*d@`, "[>=1E3]0;[Color3]0"} {
		f.Add(s, "45658.5")
	}
	f.Fuzz(func(t *testing.T, code, v string) {
		nf := parseNumFmt(code)
		if len(nf.numeric) > 3 {
			t.Fatalf("%q: %d number sections", code, len(nf.numeric))
		}
		if len(code)+3 <= maxFormatCode {
			q := parseNumFmt(`"q"` + code)
			if (q.invalid == "") != (nf.invalid == "") || len(q.numeric) != len(nf.numeric) {
				t.Fatalf("%q: a quoted literal in front changed the format (%q / %q)", code, nf.invalid, q.invalid)
			}
			for i := range q.numeric {
				if q.numeric[i].kind != nf.numeric[i].kind {
					t.Fatalf("%q: a quoted literal in front changed section %d from %s to %s", code, i+1, nf.numeric[i].kind, q.numeric[i].kind)
				}
			}
		}
		if nf.isDate() && !strings.ContainsAny(strings.ToLower(code), "ymdhsegba[") {
			t.Fatalf("%q: a date without a date letter", code)
		}
		d, err := decimal.NewFromString(v)
		if err != nil || d.Exponent() < -40 || d.Exponent() > 40 {
			return
		}
		if sec, ok := nf.kindFor(d); ok && sec.kind != fmtNumber && sec.kind != fmtText {
			for _, d1904 := range []bool{false, true} {
				s, kind, err := showSerial(d, sec, d1904)
				if err == nil && (s == "" || kind != cellDate && kind != cellTime) {
					t.Fatalf("%q shows %s as %q kind %d", code, v, s, kind)
				}
			}
		}
	})
}
