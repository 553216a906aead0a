// Package einvoice reads Chinese VAT e-invoices (增值税电子普通/专用发票,
// their highway-toll variant, and 数电/全电 电子发票) from PDF, OFD and the
// tax bureau's XML into ferry.Invoice. Parsers are pure functions of bytes.
// What the reader cannot read in full becomes a flag on the invoice
// (ferry.Invoice.Flags), which ferry.Invoice.Check reports with every field
// the kind requires, so that a wrong value is never delivered silently.
package einvoice

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
	"golang.org/x/text/unicode/norm"
)

// normalize turns every Unicode space (NBSP, U+3000 ideographic space,
// en/em spaces, tabs) into an ASCII space and drops zero-width characters,
// so that label rules see one kind of space. Newlines stay. Kangxi and
// supplementary radicals (⼦ U+2F26, ⾦ U+2FA6) and compatibility
// ideographs become the ideographs they stand for: fonts of some 数电
// producers map their glyphs there, so that 电⼦发票 and ⾦ 额 would match
// no label.
func normalize(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\u2060' || r == '\ufeff' || r == '\u00ad':
			return -1
		case unicode.IsSpace(r) || unicode.Is(unicode.Zs, r):
			return ' '
		}
		return r
	}, s)
	if strings.IndexFunc(s, radical) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if radical(r) {
			b.WriteString(norm.NFKC.String(string(r)))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// radical reports a rune from the radical and compatibility ideograph
// blocks, which NFKC maps to unified ideographs.
func radical(r rune) bool {
	return r >= 0x2E80 && r <= 0x2FDF || r >= 0xF900 && r <= 0xFAFF || r >= 0x2F800 && r <= 0x2FA1F
}

// halfwidth turns full-width ASCII forms (０-９, Ａ-Ｚ, ．, －, ＊ ...) into
// ASCII, for codes, ids and figures; names keep their printed forms.
func halfwidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '！' && r <= '～':
			return r - '！' + '!'
		case r == '−' || r == '–':
			return '-'
		}
		return r
	}, s)
}

// lab returns a pattern for a printed label: its characters may be spaced
// out (名    称, 开 票 日 期), as invoices print them to fill a box.
func lab(label string) string {
	var parts []string
	for _, r := range label {
		parts = append(parts, regexp.QuoteMeta(string(r)))
	}
	return strings.Join(parts, " *")
}

func labelRe(labels ...string) *regexp.Regexp {
	alts := make([]string, len(labels))
	for i, l := range labels {
		alts[i] = lab(l)
	}
	return regexp.MustCompile(`(?:` + strings.Join(alts, "|") + `) *[:：]?`)
}

var (
	reCodeLabel    = labelRe("发票代码")
	reNumberLabel  = labelRe("发票号码")
	reDateLabel    = labelRe("开票日期")
	reCheckLabel   = labelRe("校验码")
	reMachineLabel = labelRe("机器编号")
	// A party's name: 名称 with a colon (the item table's 项目名称 has none),
	// optionally after 购买方/销售方 as some producers write it.
	reNameLabel = regexp.MustCompile(`(` + lab("购买方") + `|` + lab("销售方") + `)? *` + lab("名称") + ` *[:：]`)
	reIDLabel   = regexp.MustCompile(`(` + lab("购买方") + `|` + lab("销售方") + `)? *(?:` + lab("统一社会信用代码") + ` */ *)?` + lab("纳税人识别号") + ` *[:：]?`)
	// anyLabel ends a value: the next field's label on the same line (a
	// buyer without a tax id leaves the seller's label right after its own).
	anyLabel = regexp.MustCompile(`(?:` + strings.Join([]string{lab("名称"), lab("纳税人识别号"), lab("统一社会信用代码"), lab("地址"), lab("电话"),
		lab("开户行"), lab("账号"), lab("银行账号"), lab("密码区"), lab("发票代码"), lab("发票号码"), lab("开票日期"), lab("校验码"), lab("机器编号")}, "|") + `) *[:：]`)
	reDateValue    = regexp.MustCompile(`^(\d{4}) *年 *(\d{1,2}) *月 *(\d{1,2}) *日|^(\d{4}) *[-/.] *(\d{1,2}) *[-/.] *(\d{1,2})(?:$|[^\d])`)
	reAmountLine   = regexp.MustCompile(`(?m)^ *` + lab("金额") + ` *[:：]`)
	reTaxLine      = regexp.MustCompile(`(?m)^ *` + lab("税额") + ` *[:：]`)
	reSumLine      = regexp.MustCompile(`^ *` + lab("合计") + `(?: |$|[¥￥*＊-])`)
	reSmallLabel   = regexp.MustCompile(`[（(] *` + lab("小写") + ` *[)）]`)
	reTotalLabel   = regexp.MustCompile(lab("价税合计"))
	reWordsLabel   = regexp.MustCompile(`[（(] *` + lab("大写") + ` *[)）]`)
	reWordsBare    = regexp.MustCompile(`(?:[(（]负数[)）]|负)?[壹贰叁肆伍陆柒捌玖][零壹贰叁肆伍陆柒捌玖拾佰仟万亿圆元角分]*[圆元角分][整正]?`)
	reItemPipes    = regexp.MustCompile(`(?m)^ *(\*[^|\n]*)\|([^|\n]*)\|([^|\n]*)\|([^|\n]*)\|([^|\n]*)\|([^|\n]*)\|([^|\n]*)\|([^|\n]*?) *$`)
	reMoneyToken   = regexp.MustCompile(`^[-+]?[¥￥]?[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$`)
	reTaxWordToken = regexp.MustCompile(`^(?:\*+|＊+|免税|不征税|出口免税)$`)
	reBoxLabelTail = regexp.MustCompile(` [密码区购买方销售信息]$`)
	reCipher       = regexp.MustCompile(` [0-9<>*+/-]*[<>*+/][0-9<>*+/-]*[<>*+/][0-9<>*+/-]{6,}`)
	numerals       = "零〇壹贰叁肆伍陆柒捌玖拾佰仟万亿圆元角分整正"
)

// kinds are the invoice titles Ferry knows, most specific first, matched
// on the text with every space removed; the canonical title is returned.
var kinds = []struct {
	re   *regexp.Regexp
	kind func(m []string) string
}{
	{regexp.MustCompile(`电子发票[（(](增值税专用发票|普通发票)[)）]`), func(m []string) string { return "电子发票（" + m[1] + "）" }},
	{regexp.MustCompile(`增值税电子(普通|专用)发票`), func(m []string) string { return "增值税电子" + m[1] + "发票" }},
	{regexp.MustCompile(`区块链电子(?:普通)?发票`), func(m []string) string { return m[0] }},
	{regexp.MustCompile(`增值税(普通|专用)发票`), func(m []string) string { return m[0] }},
	{regexp.MustCompile(`电子(普通|专用)发票`), func(m []string) string { return m[0] }},
}

func kindOf(text string) string {
	flat := strings.ReplaceAll(text, " ", "")
	for _, k := range kinds {
		if m := k.re.FindStringSubmatch(flat); m != nil {
			return k.kind(m)
		}
	}
	return ""
}

// valueAfter returns what follows a label on its line: up to a column gap
// (two spaces), the end of the line, or the next field's label.
func valueAfter(text string, end int) string {
	rest := text[end:]
	if i := strings.IndexByte(rest, '\n'); i >= 0 {
		rest = rest[:i]
	}
	rest = strings.TrimLeft(rest, " ")
	if i := strings.Index(rest, "  "); i >= 0 {
		rest = rest[:i]
	}
	if loc := anyLabel.FindStringIndex(rest); loc != nil {
		rest = rest[:loc[0]]
	}
	return strings.TrimSpace(rest)
}

// digitGroupsAfter returns, after every match of re, the figures that
// follow on its line in groups (the 校验码's four groups of five), up to
// the first thing that is not a figure or a space: producers set the
// groups apart with gaps as wide as a column's.
func digitGroupsAfter(text string, re *regexp.Regexp) []string {
	var out []string
	for _, loc := range re.FindAllStringIndex(text, 64) {
		rest := text[loc[1]:]
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			rest = rest[:i]
		}
		rest = halfwidth(strings.TrimLeft(rest, " "))
		// Up to the first thing not a figure or a gap wider than two
		// spaces; more than 20 figures stay, for Check to name.
		var b strings.Builder
		gap := 0
		for _, r := range rest {
			if r == ' ' {
				if gap++; gap > 2 {
					break
				}
				continue
			}
			if r < '0' || r > '9' {
				break
			}
			gap = 0
			b.WriteRune(r)
		}
		out = append(out, b.String())
	}
	return out
}

// valuesAfter returns the value after every match of re, in reading order.
func valuesAfter(text string, re *regexp.Regexp) []string {
	var out []string
	for _, loc := range re.FindAllStringIndex(text, 64) {
		out = append(out, valueAfter(text, loc[1]))
	}
	return out
}

// otherInvoice marks a code or number label that names another invoice:
// a red-letter invoice's remark names the blue one it offsets
// (被红冲蓝字数电发票号码：…, 对应正数发票代码:…号码:…), as real producers
// print it, sometimes wrapped onto the next line of the 备注 box.
var otherInvoice = []string{"红冲", "蓝字", "正数", "原发票", "对应"}

// ownValuesAfter is valuesAfter for the invoice's own code or number: a
// label inside a longer one (数电发票号码 after 被红冲蓝字, 正数发票代码) or
// after a remark's words about another invoice is not this invoice's, and
// is kept as a note instead.
func (r *reader) ownValuesAfter(text string, re *regexp.Regexp, field string) []string {
	var out []string
	for _, loc := range re.FindAllStringIndex(text, 64) {
		before := []rune(text[:loc[0]])
		ctx := string(before[max(0, len(before)-12):])
		other := false
		for _, m := range otherInvoice {
			if strings.Contains(ctx, m) {
				other = true
			}
		}
		if other {
			if v := valueAfter(text, loc[1]); v != "" {
				r.note("the remark names another invoice's %s: %s", field, v)
			}
			continue
		}
		out = append(out, valueAfter(text, loc[1]))
	}
	return out
}

// reader collects an invoice's fields and flags from the text of its
// pages in reading order.
type reader struct {
	where string
	inv   ferry.Invoice
}

func (r *reader) flag(format string, args ...any) {
	r.inv.Flags = append(r.inv.Flags, sprintf(format, args...))
}

func (r *reader) note(format string, args ...any) {
	r.inv.Notes = append(r.inv.Notes, sprintf(format, args...))
}

// agreed returns the one value that every non-empty occurrence of a field
// has; occurrences that differ (page 1 and a 清单 page, say) are a flag.
func (r *reader) agreed(field string, vals []string) string {
	var v string
	for _, s := range vals {
		switch {
		case s == "":
		case v == "":
			v = s
		case s != v:
			r.flag("%s is printed twice with different values: %q and %q", field, v, s)
			return v
		}
	}
	return v
}

// digitsField reads a code or number printed as digits.
func (r *reader) digitsField(field string, vals []string) string {
	v := halfwidth(r.agreed(field, vals))
	if v == "" {
		return ""
	}
	tok, _, _ := strings.Cut(v, " ")
	if !allDigits(tok) {
		r.flag("%s %q is not a number", field, tok)
	}
	return tok
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// issueDate reads 开票日期 wherever it is printed. The date is read from
// the rest of the line, not up to a column gap: OFD templates print 年, 月
// and 日 apart, and the day's figures stand between them with wide gaps.
// Occurrences that read as different dates are a flag.
func (r *reader) issueDate(text string) ferry.Date {
	var date ferry.Date
	for _, loc := range reDateLabel.FindAllStringIndex(text, 64) {
		rest := text[loc[1]:]
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			rest = rest[:i]
		}
		if l := anyLabel.FindStringIndex(rest); l != nil {
			rest = rest[:l[0]]
		}
		rest = strings.TrimSpace(rest)
		if rest == "" {
			// Nothing after the label: its value may have been laid out
			// on the row above or below (a seal's text a few points
			// higher drew it into its own row).
			if d, ok := adjacentDate(text, loc[0]); ok && date.IsZero() {
				date = d
				r.note("开票日期 read from the line next to its label: the only date there")
			}
			continue
		}
		d, ok := parseDate(rest)
		if !ok {
			if d, ok = apartDate(rest); ok {
				r.note("开票日期 %q read from its figures: 年, 月 and 日 stand apart from them", rest)
			}
		}
		switch {
		case !ok:
			r.flag("开票日期 %q is not a date", valueAfter(text, loc[1]))
			return ferry.Date{}
		case date.IsZero():
			date = d
		case d != date:
			r.flag("开票日期 is printed twice with different values: %s and %s", date, d)
			return date
		}
	}
	return date
}

// reDateAnywhere finds a printed date in a line.
var reDateAnywhere = regexp.MustCompile(`\d{4} *年 *\d{1,2} *月 *\d{1,2} *日|\d{4}-\d{1,2}-\d{1,2}`)

// adjacentDate reads the date on the line before or after the one at
// offset at, when exactly one date stands on those two lines together.
func adjacentDate(text string, at int) (ferry.Date, bool) {
	start := strings.LastIndexByte(text[:at], '\n') + 1
	end := len(text)
	if i := strings.IndexByte(text[at:], '\n'); i >= 0 {
		end = at + i
	}
	prevStart := 0
	if start > 0 {
		prevStart = strings.LastIndexByte(text[:start-1], '\n') + 1
	}
	nextEnd := len(text)
	if end < len(text) {
		if i := strings.IndexByte(text[end+1:], '\n'); i >= 0 {
			nextEnd = end + 1 + i
		}
	}
	var found []string
	if start > 0 {
		found = append(found, reDateAnywhere.FindAllString(halfwidth(text[prevStart:start-1]), 3)...)
	}
	if end < len(text) {
		found = append(found, reDateAnywhere.FindAllString(halfwidth(text[end+1:nextEnd]), 3)...)
	}
	if len(found) != 1 {
		return ferry.Date{}, false
	}
	return parseDate(found[0])
}

// reApartDate is a date whose 年, 月 and 日 were laid out apart from its
// figures (the form prints them, the invoicing system the figures as one
// string): the figures keep their order, year, month, day.
var reApartDate = regexp.MustCompile(`^(\d{4})[ 年月日]*?[ 年月日](\d{1,2})[ 年月日]+(\d{1,2})[ 年月日]*$`)

// apartDate reads such a date: exactly three figures, each of 年, 月 and 日
// once, nothing else on the rest of the line.
func apartDate(s string) (ferry.Date, bool) {
	s = strings.TrimSpace(halfwidth(s))
	m := reApartDate.FindStringSubmatch(s)
	if m == nil || strings.Count(s, "年") != 1 || strings.Count(s, "月") != 1 || strings.Count(s, "日") != 1 {
		return ferry.Date{}, false
	}
	d, err := ferry.ParseDate(m[1] + "-" + pad2(m[2]) + "-" + pad2(m[3]))
	return d, err == nil
}

// parseDate reads 2024年12月05日, 2024 年 1 月 5 日 or 2024-12-05.
func parseDate(s string) (ferry.Date, bool) {
	m := reDateValue.FindStringSubmatch(halfwidth(s))
	if m == nil {
		return ferry.Date{}, false
	}
	if m[1] == "" {
		m = []string{m[0], m[4], m[5], m[6]}
	}
	d, err := ferry.ParseDate(m[1] + "-" + pad2(m[2]) + "-" + pad2(m[3]))
	return d, err == nil
}

func pad2(s string) string {
	if len(s) == 1 {
		return "0" + s
	}
	return s
}

// parseMoney reads a printed figure in full: an optional sign and ¥, digits
// with optional thousands separators, a decimal point. Anything else (a
// truncated or merged value) is an error, never a partial number.
func parseMoney(s string) (decimal.Decimal, error) {
	s = strings.ReplaceAll(halfwidth(strings.TrimSpace(s)), " ", "")
	if !reMoneyToken.MatchString(s) {
		return decimal.Zero, errorf("%q is not a number", s)
	}
	neg := strings.Contains(s, "-")
	s = strings.NewReplacer("¥", "", "￥", "", ",", "", "-", "", "+", "").Replace(s)
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, errorf("%q is not a number", s)
	}
	if neg {
		d = d.Neg()
	}
	return d, nil
}

// taxWord reports whether a printed tax is a word or stars (***, 免税 ...)
// that means "no tax on this line".
func taxWord(s string) bool { return reTaxWordToken.MatchString(strings.TrimSpace(halfwidth(s))) }

// fields reads the header fields, the parties, the totals and the words
// from the text of the whole document.
func (r *reader) fields(text string) {
	inv := &r.inv
	inv.Kind = kindOf(text)
	inv.Code = r.digitsField("发票代码", r.ownValuesAfter(text, reCodeLabel, "发票代码"))
	inv.Number = r.digitsField("发票号码", r.ownValuesAfter(text, reNumberLabel, "发票号码"))
	inv.IssueDate = r.issueDate(text)
	if s := r.agreed("校验码", digitGroupsAfter(text, reCheckLabel)); s != "" {
		inv.CheckCode = s
	}
	inv.MachineNo = r.digitsField("机器编号", valuesAfter(text, reMachineLabel))
	inv.BuyerName, inv.SellerName = r.parties("名称", text, reNameLabel, false)
	inv.BuyerTaxID, inv.SellerTaxID = r.parties("纳税人识别号", text, reIDLabel, true)
	r.totalsFromText(text)
}

// parties reads a field printed once for the buyer and once for the
// seller. Labels prefixed 购买方/销售方 say whose they are; plain labels
// come buyer first in reading order, in both the older layout (buyer box
// above the items, seller below) and the 数电 one (buyer left, seller
// right on the same rows).
func (r *reader) parties(field, text string, re *regexp.Regexp, id bool) (buyer, seller string) {
	var plain, buyers, sellers []string
	for _, m := range re.FindAllStringSubmatchIndex(text, 64) {
		v := valueAfter(text, m[1])
		if id {
			v = idToken(v)
		} else if c := reCipher.FindStringIndex(v); c != nil && c[0] > 0 {
			// The 密码区's cipher a single space after the name.
			v = strings.TrimSpace(v[:c[0]])
		}
		if !id && utf8.RuneCountInString(v) == 1 && strings.Contains("密码区购买方销售信息", v) {
			v = "" // a box's vertical label beside an empty name
		}
		if m := reBoxLabelTail.FindStringIndex(v); !id && m != nil {
			// A box's vertical label (密码区, 购买方信息 …) read on the
			// name's line after a long name is no part of the name.
			v = v[:m[0]]
		}
		if !id && strings.Count(v, "<")+strings.Count(v, ">")+strings.Count(v, "*")+strings.Count(v, "+")+strings.Count(v, "/") >= 3 {
			// The 密码区 beside an empty name: its cipher is no name.
			v = ""
		}
		switch who := strings.ReplaceAll(subm(text, m, 1), " ", ""); who {
		case "购买方":
			buyers = append(buyers, v)
		case "销售方":
			sellers = append(sellers, v)
		default:
			plain = append(plain, v)
		}
	}
	if !id {
		alone := standalones(text)
		for _, vs := range [][]string{plain, buyers, sellers} {
			for i, v := range vs {
				vs[i] = r.unglue(field, v, alone)
			}
		}
	}
	if len(plain) >= 2 {
		buyers = append([]string{plain[0]}, buyers...)
		sellers = append([]string{plain[1]}, sellers...)
	} else if len(plain) == 1 && len(buyers)+len(sellers) == 0 {
		r.flag("%s is printed once: whose it is (购买方 or 销售方) is unknown", field)
	}
	return r.agreed("购买方"+field, buyers), r.agreed("销售方"+field, sellers)
}

// verticalLabels are the boxes' labels printed one character per line
// beside the parties' fields; a long name can run into one of them.
var verticalLabels = []string{"密码区", "备注", "购买方信息", "销售方信息", "购买方", "销售方"}

// unglue takes off a long name's last character when it is a vertical
// label's character that the name ran into: the label's other characters
// stand alone on the lines around it. The name is then flagged, since a name can
// end in that character too.
func (r *reader) unglue(field, v string, alone map[string]bool) string {
	rs := []rune(v)
	if len(rs) < 16 {
		return v // only a long name reaches the box's edge
	}
	last := string(rs[len(rs)-1])
	for _, l := range verticalLabels {
		if !strings.Contains(l, last) {
			continue
		}
		all := true
		for _, c := range l {
			if string(c) != last && !alone[string(c)] {
				all = false
				break
			}
		}
		if all {
			cut := strings.TrimSpace(string(rs[:len(rs)-1]))
			r.flag("%s %q runs into the box label %s: read as %q, check it", field, v, l, cut)
			return cut
		}
	}
	return v
}

// standalones returns the characters that stand alone on a line of text,
// between spaces or at a line's ends, as a vertical label's characters do.
func standalones(text string) map[string]bool {
	out := map[string]bool{}
	for _, f := range strings.Fields(text) {
		if utf8.RuneCountInString(f) == 1 {
			out[f] = true
		}
	}
	return out
}

// idToken reads a tax id value: its first word, when that is letters and
// digits. Anything else (the 密码区 cipher, the next box's label) is what
// follows an empty field, not an id.
func idToken(v string) string {
	tok, _, _ := strings.Cut(strings.TrimSpace(halfwidth(v)), " ")
	for _, c := range tok {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return ""
		}
	}
	return strings.ToUpper(tok)
}

func subm(s string, m []int, i int) string {
	if m[2*i] < 0 {
		return ""
	}
	return s[m[2*i]:m[2*i+1]]
}

// tokens splits a line's figures: ¥ printed apart from its number joins
// it.
func tokens(s string) []string {
	var out []string
	for _, f := range strings.Fields(s) {
		if n := len(out); n > 0 && (out[n-1] == "¥" || out[n-1] == "￥" || out[n-1] == "-" || out[n-1] == "-¥") {
			out[n-1] += f
			continue
		}
		out = append(out, f)
	}
	return out
}

// totalsFromText reads 合计 (金额 and 税额), 价税合计 (小写) and (大写).
func (r *reader) totalsFromText(text string) {
	inv := &r.inv
	lines := strings.Split(text, "\n")
	var sums [][2]string
	for _, l := range lines {
		loc := reSumLine.FindStringIndex(l)
		if loc == nil {
			continue
		}
		rest := l[loc[1]-1:]
		if strings.HasPrefix(rest, " ") || rest == "" {
			rest = l[loc[1]:]
		}
		var figs []string
		for _, t := range tokens(rest) {
			if taxWord(t) || reMoneyToken.MatchString(halfwidth(t)) {
				figs = append(figs, t)
			}
		}
		if len(figs) == 2 {
			sums = append(sums, [2]string{figs[0], figs[1]})
		} else if len(figs) > 0 {
			r.flag("合计 row %q: want 金额 and 税额, found %d figures", strings.TrimSpace(l), len(figs))
		}
	}
	if len(sums) > 0 {
		r.setTotals(sums)
	} else {
		// Plain labelled lines: 金额: 100.00 / 税额: 13.00.
		amt, tax := valuesAfter(text, reAmountLine), valuesAfter(text, reTaxLine)
		if len(amt) > 0 || len(tax) > 0 {
			a, t := "", ""
			if len(amt) > 0 {
				a = amt[0]
			}
			if len(tax) > 0 {
				t = tax[0]
			}
			if a != "" {
				r.setTotals([][2]string{{a, t}})
			} else if t != "" {
				if taxWord(t) {
					inv.TaxPrinted = t
				} else if d, err := parseMoney(t); err != nil {
					r.flag("税额: %v", err)
				} else {
					inv.Tax = d
				}
			}
		}
	}
	for i, l := range lines {
		if loc := reSmallLabel.FindStringIndex(l); loc != nil && inv.Total.IsZero() {
			if t := tokens(l[loc[1]:]); len(t) > 0 {
				r.setTotal(t[0])
			} else if i+1 < len(lines) {
				// The figure may sit just under its label, with its ¥.
				if t := tokens(lines[i+1]); len(t) > 0 && strings.ContainsAny(t[0], "¥￥") && reMoneyToken.MatchString(halfwidth(t[0])) {
					r.setTotal(t[0])
				}
			}
		}
		if loc := reWordsLabel.FindStringIndex(l); loc != nil && inv.TotalInWords == "" {
			inv.TotalInWords = wordsAt(l[loc[1]:])
		}
	}
	if inv.Total.IsZero() {
		// No (小写): the last figure on the 价税合计 line.
		for _, l := range lines {
			if loc := reTotalLabel.FindStringIndex(l); loc != nil {
				var last string
				for _, t := range tokens(l[loc[1]:]) {
					if reMoneyToken.MatchString(halfwidth(strings.TrimLeft(t, ":："))) {
						last = strings.TrimLeft(t, ":：")
					}
				}
				if last != "" {
					r.setTotal(last)
					break
				}
			}
		}
	}
	if inv.TotalInWords == "" {
		if all := reWordsBare.FindAllString(strings.ReplaceAll(text, " ", ""), 3); len(all) == 1 {
			inv.TotalInWords = all[0]
			r.note("价税合计（大写） read from the only amount in words on the page, not beside its label")
		}
	}
}

// wordsAt reads the amount in words at the start of s: after the ⓧ mark
// (or an unmapped glyph where it was drawn), an optional 负/(负数) for
// red-letter invoices, then the numerals, which may be spaced out.
func wordsAt(s string) string {
	s = strings.TrimLeft(s, " ⓧ⊗Ⓧ×xX\uFFFD")
	var b strings.Builder
	for _, p := range []string{"(负数)", "（负数）", "负数", "负"} {
		if strings.HasPrefix(s, p) {
			b.WriteString("负")
			s = strings.TrimLeft(s[len(p):], " ⓧ⊗Ⓧ×xX\uFFFD")
			break
		}
	}
	for _, r := range s {
		if r != ' ' && !strings.ContainsRune(numerals, r) {
			break
		}
		if r != ' ' {
			b.WriteRune(r)
		}
	}
	if b.String() == "负" {
		return ""
	}
	return b.String()
}

func (r *reader) setTotal(s string) {
	d, err := parseMoney(s)
	if err != nil {
		r.flag("价税合计（小写）: %v", err)
		return
	}
	r.inv.Total = d
}

// setTotals takes 金额 and 税额 from the 合计 rows: one row, the same row
// on every page, or per-page subtotals that add up (checked by Check).
func (r *reader) setTotals(rows [][2]string) {
	inv := &r.inv
	var amt, tax decimal.Decimal
	var taxText string
	same := true
	for i, row := range rows {
		a, err := parseMoney(row[0])
		if err != nil {
			r.flag("合计 金额: %v", err)
			return
		}
		var t decimal.Decimal
		if taxWord(row[1]) {
			taxText = row[1]
		} else if t, err = parseMoney(row[1]); err != nil {
			r.flag("合计 税额: %v", err)
			return
		}
		if i > 0 && (row != rows[0]) {
			same = false
		}
		amt, tax = amt.Add(a), tax.Add(t)
	}
	if same && len(rows) > 1 {
		first := rows[0]
		amt, _ = parseMoney(first[0])
		tax = decimal.Zero
		if !taxWord(first[1]) {
			tax, _ = parseMoney(first[1])
		}
	} else if len(rows) > 1 {
		r.note("金额 and 税额 are the sum of %d 合计 rows (one per page)", len(rows))
	}
	inv.Amount, inv.Tax, inv.TaxPrinted, inv.AmountStated = amt, tax, taxText, true
}

// ParseText reads an invoice from its text in reading order (a PDF page's
// text, say): header fields, parties, totals, and items written as
// pipe-separated rows.
func ParseText(name, text string) (ferry.Invoice, error) {
	r := &reader{where: name, inv: ferry.Invoice{Currency: "CNY", Source: name}}
	text = normalize(text)
	if !LooksLikeInvoice(text) {
		return r.inv, notInvoice(name, text)
	}
	r.fields(text)
	r.pipeItems(text)
	r.finish(text)
	return r.inv, nil
}

// pipeItems reads item rows written name|spec|unit|qty|price|amount|rate|tax.
func (r *reader) pipeItems(text string) bool {
	ms := reItemPipes.FindAllStringSubmatch(text, maxItems)
	for _, m := range ms {
		var c cells
		for i, k := range []colKind{cName, cSpec, cUnit, cQty, cPrice, cAmount, cRate, cTax} {
			c[k] = []string{strings.TrimSpace(m[i+1])}
		}
		r.inv.Items = append(r.inv.Items, r.item(c))
	}
	return len(ms) > 0
}

// finish settles what depends on several fields: the sign, toll
// invoices, amounts the layout leaves to the items.
func (r *reader) finish(text string) {
	inv := &r.inv
	inv.Red = inv.Total.IsNegative()
	flat := strings.ReplaceAll(text, " ", "")
	if strings.Contains(flat, "销项负数") && !inv.Red {
		r.flag("the invoice says 销项负数 (red-letter) but its total %s is not negative", inv.Total.StringFixed(2))
	}
	for _, it := range inv.Items {
		if strings.Contains(it.Name, "通行费") || it.Plate != "" {
			inv.Toll = true
		}
	}
	if !inv.AmountStated && len(inv.Items) > 0 {
		// Some layouts print only the tax and the total; the amount before
		// tax is then the items' sum (Check still verifies it adds up).
		for _, it := range inv.Items {
			inv.Amount = inv.Amount.Add(it.Amount)
		}
		r.note("金额 is the items' sum: the invoice prints no 合计 金额")
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
