package statements

// Amounts as banks print them: 1,234.56 and 1.234,56, 1 234,56 with a
// space or a no-break space, 1'234.56 (Switzerland), -12.50, 12.50-,
// +12.50, (12.50), 12.50 CR, 12.50 DR, € 12,50, 12,50 EUR. Which mark is
// the decimal one is decided over the whole file; a lone separator
// followed by exactly three digits ("1.234") is ambiguous on its own and
// is never guessed.

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// currencySymbols are symbols that name one currency. "$" and "¥" name
// several and are only stripped.
var currencySymbols = []struct{ sym, code string }{{"€", "EUR"}, {"£", "GBP"}, {"zł", "PLN"}, {"Ft", "HUF"}, {"Kč", "CZK"}, {"₽", "RUB"}, {"₺", "TRY"}, {"kr", ""}}

// moneyText is an amount cell taken apart.
type moneyText struct {
	digits   string // digits and separators only
	neg      bool
	signed   bool   // carried an explicit sign (+, -, parentheses, CR/DR)
	currency string // ISO code the cell names, if any
	symbol   string // a symbol that names no one currency ("¥", "$", "元"), if any
}

// splitMoney strips signs and currency marks from an amount cell.
func splitMoney(s string) (moneyText, error) {
	var m moneyText
	if plainAmount(s) {
		// The common case: digits and separators, maybe a leading minus.
		if s[0] == '-' {
			m.neg, m.signed, s = true, true, s[1:]
		}
		m.digits = s
		return m, nil
	}
	orig := s
	// A stray bar beside the number ("26.851,95|" in BancoPosta's balance
	// rows) is a column rule, never part of an amount.
	s = strings.TrimSpace(strings.Trim(strings.TrimSpace(strings.ReplaceAll(s, "\u00a0", " ")), "|"))
	if s == "" {
		return m, fmt.Errorf("empty amount")
	}
	if len(s) > 64 {
		return m, fmt.Errorf("not an amount: %.40q...", s)
	}
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		m.neg, m.signed = true, true
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	// Trailing CR/DR (credit/debit) as on US and UK statements.
	up := strings.ToUpper(s)
	for _, t := range []struct {
		suf string
		neg bool
	}{{" CR", false}, {" DR", true}, {"CR", false}, {"DR", true}} {
		if strings.HasSuffix(up, t.suf) && len(s) > len(t.suf) {
			s = strings.TrimSpace(s[:len(s)-len(t.suf)])
			up = strings.ToUpper(s)
			m.signed = true
			m.neg = m.neg != t.neg
			break
		}
	}
	// Currency: an ISO code or a symbol before or after the number.
	for {
		t := strings.TrimSpace(s)
		changed := false
		if len(t) > 3 && isISOCode(t[:3]) && !isDigit(t[3]) || len(t) > 3 && isISOCode(t[:3]) && t[3] == ' ' {
			m.currency, t, changed = t[:3], strings.TrimSpace(t[3:]), true
		} else if len(t) > 3 && isISOCode(t[len(t)-3:]) {
			m.currency, t, changed = t[len(t)-3:], strings.TrimSpace(t[:len(t)-3]), true
		}
		for _, cs := range currencySymbols {
			sym, code := cs.sym, cs.code
			if strings.HasPrefix(t, sym) {
				t, changed = strings.TrimSpace(t[len(sym):]), true
				if code != "" {
					m.currency = code
				}
			} else if strings.HasSuffix(t, sym) && len(t) > len(sym) {
				t, changed = strings.TrimSpace(t[:len(t)-len(sym)]), true
				if code != "" {
					m.currency = code
				}
			}
		}
		for _, sym := range []string{"$", "¥", "￥", "US$", "RMB"} {
			if strings.HasPrefix(t, sym) {
				t, changed = strings.TrimSpace(t[len(sym):]), true
				m.symbol = sym
			}
		}
		if strings.HasSuffix(t, "元") && len(t) > len("元") {
			// "22.30元": yuan, in a Chinese file (see decideCurrency).
			t, changed, m.symbol = strings.TrimSpace(strings.TrimSuffix(t, "元")), true, "元"
		}
		// A sign may stand before the symbol: -€12.50.
		if !changed && (strings.HasPrefix(t, "-") || strings.HasPrefix(t, "+") || strings.HasPrefix(t, "−")) && !m.signed {
			r, n := utf8.DecodeRuneInString(t)
			m.signed = true
			if r != '+' {
				m.neg = !m.neg
			}
			t, changed = strings.TrimSpace(t[n:]), true
		}
		s = t
		if !changed {
			break
		}
	}
	// A trailing sign: 12,50- (German, Austrian and Italian systems).
	if strings.HasSuffix(s, "-") || strings.HasSuffix(s, "+") {
		if m.signed {
			return m, fmt.Errorf("not an amount: %q (two signs)", orig)
		}
		m.signed = true
		m.neg = m.neg != strings.HasSuffix(s, "-")
		s = strings.TrimSpace(s[:len(s)-1])
	}
	if s == "" {
		return m, fmt.Errorf("not an amount: %q", orig)
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r >= '0' && r <= '9', r == '.', r == ',', r == ' ', r == '\'', r == '’', r == '\u202f', r == '\u2009':
		default:
			return m, fmt.Errorf("not an amount: %q", orig)
		}
		i += n
	}
	if !isDigit(s[0]) && s[0] != '.' && s[0] != ',' || !isDigit(s[len(s)-1]) {
		return m, fmt.Errorf("not an amount: %q", orig)
	}
	m.digits = s
	return m, nil
}

// plainAmount reports whether s is only digits with '.' or ',' between
// them, after an optional minus.
func plainAmount(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	i := 0
	if s[0] == '-' {
		i = 1
	}
	if i >= len(s) || !isDigit(s[i]) || !isDigit(s[len(s)-1]) {
		return false
	}
	for ; i < len(s); i++ {
		if c := s[i]; !isDigit(c) && c != '.' && c != ',' {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isISOCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return isoCodes[s]
}

// isoCodes are the ISO 4217 currency codes, CNH and RMB for the Chinese
// yuan, and the old European codes older exports still carry.
var isoCodes = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(`AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
		BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF
		GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL
		LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
		QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD
		TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL CNH RMB
		LTL LVL EEK SKK SIT CYP MTL DEM FRF ITL ESP NLG ATS BEF PTE IEP FIM GRD HRK BYR`) {
		m[c] = true
	}
	return m
}()

// wordCodes are currency codes that are also English words: in a header
// ("TOP UP", "ALL") they are words, not currencies.
var wordCodes = map[string]bool{"ALL": true, "TOP": true, "CUP": true, "SOS": true, "MAD": true, "PEN": true, "BOB": true,
	"GEL": true, "TRY": true, "ERN": true, "WST": true, "CVE": true}

// markEvidence says what one amount's separators prove about the
// decimal mark: '.' or ',' when proven, 0 when the amount proves nothing
// (no separator), '?' when it is ambiguous on its own.
func markEvidence(digits string) byte {
	lastDot := strings.LastIndexByte(digits, '.')
	lastComma := strings.LastIndexByte(digits, ',')
	switch {
	case lastDot >= 0 && lastComma >= 0:
		if lastDot > lastComma {
			return '.'
		}
		return ','
	case lastDot < 0 && lastComma < 0:
		return 0
	}
	sep, at := byte('.'), lastDot
	if lastComma >= 0 {
		sep, at = ',', lastComma
	}
	if strings.Count(digits, string(sep)) > 1 {
		// Repeated: a thousands separator, so the other is decimal.
		if sep == '.' {
			return ','
		}
		return '.'
	}
	frac := len(digits) - at - 1
	intPart := digits[:at]
	switch {
	case frac != 3:
		return sep // 12.5, 12.50, 1234,5678
	case intPart == "" || intPart == "0":
		return sep // 0.125: a leading zero is never grouped
	case strings.ContainsAny(intPart, " '’\u202f\u2009"):
		return sep // 1 234.567: already grouped otherwise
	case len(intPart) > 3:
		return sep // 1234.567: a group before a separator has at most three digits
	}
	return '?'
}

// parseDigits reads digits with the decimal mark dec ('.' or ','; 0 when
// not known, which accepts only amounts that prove their own mark).
func parseDigits(digits string, dec byte) (decimal.Decimal, error) {
	if dec == 0 {
		switch e := markEvidence(digits); e {
		case 0:
			dec = '.'
		case '?':
			return decimal.Zero, fmt.Errorf("%q is ambiguous: is %c the decimal mark or a thousands separator? set decimal_separator in a mapping", digits, digits[strings.LastIndexAny(digits, ".,")])
		default:
			dec = e
		}
	}
	intPart, frac := digits, ""
	if i := strings.LastIndexByte(digits, dec); i >= 0 {
		intPart, frac = digits[:i], digits[i+1:]
		if strings.ContainsAny(frac, ".,'’ \u202f\u2009") || frac == "" {
			return decimal.Zero, fmt.Errorf("misplaced separator in %q", digits)
		}
	}
	// The integer part: digits, optionally grouped by three with one
	// kind of thousands separator.
	var sep rune
	var b strings.Builder
	group := -1
	for _, r := range intPart {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
			if group >= 0 {
				group++
			}
			continue
		}
		if r == rune(dec) || (sep != 0 && r != sep) {
			return decimal.Zero, fmt.Errorf("misplaced separator in %q", digits)
		}
		if group >= 0 && group != 3 || b.Len() == 0 || group < 0 && b.Len() > 3 {
			return decimal.Zero, fmt.Errorf("misplaced thousands separator in %q", digits)
		}
		sep, group = r, 0
	}
	if group >= 0 && group != 3 {
		return decimal.Zero, fmt.Errorf("misplaced thousands separator in %q", digits)
	}
	num := b.String()
	if num == "" {
		num = "0"
	}
	if frac != "" {
		num += "." + frac
	}
	d, err := decimal.NewFromString(num)
	if err != nil {
		return decimal.Zero, fmt.Errorf("not an amount: %q", digits)
	}
	return d, nil
}

// parseAmount reads an amount cell with the file's decimal mark.
func parseAmount(s string, dec byte) (decimal.Decimal, moneyText, error) {
	m, err := splitMoney(s)
	if err != nil {
		return decimal.Zero, m, err
	}
	d, err := parseDigits(m.digits, dec)
	if err != nil {
		return decimal.Zero, m, err
	}
	if m.neg {
		d = d.Neg()
	}
	return d, m, nil
}

// looksLikeMoney reports whether a text cell reads as an amount in some
// convention.
func looksLikeMoney(s string) bool {
	m, err := splitMoney(s)
	if err != nil {
		return false
	}
	if _, err := parseDigits(m.digits, '.'); err == nil {
		return true
	}
	_, err = parseDigits(m.digits, ',')
	return err == nil
}
