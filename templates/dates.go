package templates

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/dlclark/regexp2"
	"github.com/ferry-rpa/ferry"
)

type regexp2Regexp = regexp2.Regexp

// strftime converts Python date directives to a Go layout. Day and month
// accept one or two digits, as strptime does.
var strftime = strings.NewReplacer(
	"%Y", "2006", "%y", "06", "%m", "1", "%d", "2", "%-d", "2", "%-m", "1", "%B", "January", "%b", "Jan",
	"%A", "Monday", "%a", "Mon", "%H", "15", "%M", "04", "%S", "05", "%p", "PM", "%%", "%",
)

// monthNames maps month names of the languages templates declare to English.
var monthNames = map[string][]string{
	"nl": {"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
	"de": {"januar", "februar", "märz", "april", "mai", "juni", "juli", "august", "september", "oktober", "november", "dezember"},
	"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
	"es": {"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
	"it": {"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"},
	"pl": {"stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września", "października", "listopada", "grudnia"},
}

var english = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

var (
	spaceComma = regexp.MustCompile(`\s+,`)
	spaces     = regexp.MustCompile(`\s+`)
	ordinal    = regexp.MustCompile(`(\d)(st|nd|rd|th)\b`)
	numeric    = regexp.MustCompile(`^(\d{1,2})[./-](\d{1,2})[./-](\d{2,4})$`)
)

// fallbackLayouts are tried when the template's formats do not fit, as
// dateparser does.
var fallbackLayouts = []string{
	"2006-01-02", "2006/1/2", "2006.1.2", "January 2, 2006", "January 2 2006", "2 January 2006", "2 January, 2006",
	"Jan 2, 2006", "Jan 2 2006", "2 Jan 2006", "2. January 2006", "2.1.2006", "2.1.06", "2-Jan-2006", "02-Jan-06", "January 2006", "2006年1月2日",
}

// parseDate reads a date with the template's formats, then the way
// dateparser would: month names in the template's languages, then common
// layouts, then numeric dates month first unless the first number cannot be
// a month.
func (t *Template) parseDate(s string) (ferry.Date, error) {
	orig := s
	s = strings.TrimSpace(s)
	for _, f := range t.Options.DateFormats {
		if tm, err := time.Parse(strftime.Replace(f), s); err == nil {
			return ferry.DateOf(tm), nil
		}
	}
	s = spaces.ReplaceAllString(spaceComma.ReplaceAllString(s, ","), " ")
	s = ordinal.ReplaceAllString(s, "$1")
	langs := append([]string{}, t.Options.Languages...)
	for l := range monthNames {
		langs = append(langs, l)
	}
	low := strings.ToLower(s)
	for _, l := range langs {
		for i, name := range monthNames[l] {
			if strings.Contains(low, name) {
				low = strings.Replace(low, name, english[i], 1)
				s = low
				break
			}
		}
	}
	s = titleMonths(s)
	for _, f := range t.Options.DateFormats {
		if tm, err := time.Parse(strftime.Replace(f), s); err == nil {
			return ferry.DateOf(tm), nil
		}
	}
	for _, l := range fallbackLayouts {
		if tm, err := time.Parse(l, s); err == nil {
			return ferry.DateOf(tm), nil
		}
	}
	if m := numeric.FindStringSubmatch(s); m != nil {
		// Atoi, not Sscan: Sscan reads "08" as a broken octal number.
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[2])
		y, _ := strconv.Atoi(m[3])
		if y < 100 {
			y += 2000
		}
		month, day := a, b
		if a > 12 {
			month, day = b, a
		}
		tm := time.Date(y, time.Month(month), day, 0, 0, 0, 0, time.UTC)
		if month >= 1 && month <= 12 && tm.Day() == day {
			return ferry.DateOf(tm), nil
		}
	}
	return ferry.Date{}, fmt.Errorf("not a date: %q", orig)
}

// titleMonths capitalises English month names for time.Parse.
func titleMonths(s string) string {
	low := strings.ToLower(s)
	for _, m := range english {
		if i := strings.Index(low, strings.ToLower(m)); i >= 0 {
			return s[:i] + m + s[i+len(m):]
		}
		if i := strings.Index(low, strings.ToLower(m[:3])); i >= 0 && (i+3 == len(low) || low[i+3] == ' ' || low[i+3] == '-' || low[i+3] == ',' || low[i+3] == '.') {
			return s[:i] + m[:3] + s[i+3:]
		}
	}
	return s
}
