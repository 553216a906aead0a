package einvoice

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/pdftext"
	"github.com/shopspring/decimal"
)

// maxItems bounds the item rows read from one document.
const maxItems = 10000

// colKind is a column of an item table.
type colKind int

const (
	cName colKind = iota
	cSpec
	cUnit
	cQty
	cPrice
	cAmount
	cRate
	cTax
	cPlate
	cVType
	cFrom
	cTo
	cSeq
	// cX0 … cX3 are columns under labels Ferry does not know (a 数电
	// invoice's 建筑服务发生地, 建筑项目名称 …): their text is kept apart from
	// the item's name and noted, never mixed into another cell.
	cX0
	cX1
	cX2
	cX3
	// cAmbig holds no cell: it lists the words of short text cells (规格型号,
	// 单位) that stand across two columns, which the item reader flags.
	cAmbig
	nCols
)

var colNames = [nCols]string{"项目名称", "规格型号", "单位", "数量", "单价", "金额", "税率", "税额", "车牌号", "类型", "通行日期起", "通行日期止", "序号", "?", "?", "?", "?", "?"}

// numericCol says which columns hold figures (or dates printed as digits):
// producers align them right, so a figure belongs to the column whose
// label starts last before its right edge.
var numericCol = [nCols]bool{cQty: true, cPrice: true, cAmount: true, cRate: true, cTax: true, cFrom: true, cTo: true, cSeq: true}

// headerLabels are the item tables' column labels in the layouts Ferry
// knows (older 增值税 e-invoices, 数电, toll invoices, 销货清单 pages),
// longer labels first so that 税率/征收率 is taken before 税率.
var headerLabels = []struct {
	label string
	col   colKind
}{
	{"货物或应税劳务、服务名称", cName}, {"货物或应税劳务名称", cName}, {"货物或应税劳务", cName}, {"货物（劳务）名称", cName}, {"货物(劳务)名称", cName},
	{"项目名称", cName}, {"服务名称", cName}, {"规格型号", cSpec}, {"车牌号", cPlate}, {"通行日期起", cFrom}, {"通行日期止", cTo},
	{"税率/征收率", cRate}, {"征收率", cRate}, {"单位", cUnit}, {"数量", cQty}, {"单价", cPrice}, {"金额", cAmount},
	{"税率", cRate}, {"税额", cTax}, {"类型", cVType}, {"序号", cSeq},
}

// column is one column of a table: where its label sits.
type column struct {
	kind   colKind
	x0, x1 float64
	label  string // as printed, for a column Ferry does not know
}

// word is a run of glyphs without a gap on one line.
type word struct {
	x0, x1, size float64
	s            string
	est          float64 // its width with its Latin glyphs half an em wide
	inflated     bool    // a Latin glyph of it is an em wide
}

// words splits a line into words: a gap wider than a quarter of the font
// size, or a blank glyph, ends a word. Cells are assigned whole words, never
// single glyphs, so a long right-aligned figure that reaches under the
// neighbouring column's label stays one figure.
func words(l pdftext.Line) []word {
	// Runs of glyphs: a gap wider than a quarter of the font size, a
	// glyph far back over the previous one, or a blank glyph ends one.
	var runs [][]pdftext.Glyph
	var x1 float64
	for _, g := range l.Glyphs {
		if g.Space || strings.TrimSpace(g.Text) == "" {
			runs = append(runs, nil)
			continue
		}
		size := math.Max(g.Size, 1e-3)
		n := len(runs)
		if n == 0 || runs[n-1] == nil || g.X-x1 > 0.25*size || g.X-x1 < -0.5*size {
			runs = append(runs, nil)
			n++
			x1 = g.X
		}
		runs[n-1] = append(runs[n-1], g)
		x1 = math.Max(x1, g.X+g.W)
	}
	var out []word
	for _, run := range runs {
		if len(run) == 0 {
			continue
		}
		if !inflated(run) {
			out = append(out, wordOf(run))
			continue
		}
		// Widths the PDF did not give put each glyph of a string right
		// after the one before, exactly, as the extractor advanced by
		// them; a gap of any size is where another string (a quantity
		// and the long unit price drawn just right of it) begins.
		from := 0
		for i := 1; i < len(run); i++ {
			if gap := run[i].X - (run[i-1].X + run[i-1].W); math.Abs(gap) > 0.05*math.Max(run[i].Size, 1e-3) {
				out = append(out, wordOf(run[from:i]))
				from = i
			}
		}
		out = append(out, wordOf(run[from:]))
	}
	// A currency sign or a minus printed apart joins its figure.
	merged := out[:0]
	for _, w := range out {
		if n := len(merged); n > 0 && (merged[n-1].s == "¥" || merged[n-1].s == "￥" || merged[n-1].s == "-") && isFigure(w.s) {
			merged[n-1].s += w.s
			merged[n-1].x1 = w.x1
			continue
		}
		merged = append(merged, w)
	}
	return merged
}

// latin reports a glyph of one printable ASCII character.
func latin(g pdftext.Glyph) bool {
	r, n := utf8.DecodeRuneInString(g.Text)
	return n == len(g.Text) && r > ' ' && r < 0x7F
}

// inflated reports a run with a Latin glyph a full em wide: a width the
// PDF did not give (a CJK font's default, 1000, or another glyph's), as
// text extraction reads STSong-Light with the predefined UniGB-UCS2-H CMap.
func inflated(run []pdftext.Glyph) bool {
	for _, g := range run {
		if latin(g) && g.W > 0.9*math.Max(g.Size, 1e-3) {
			return true
		}
	}
	return false
}

// wordOf makes a word of a run of glyphs. Where the run's widths are
// inflated, its Latin glyphs count half an em (CJK fonts' Latin glyphs are
// half-width), so that a figure's extent, which says its column, is about
// what the page shows.
func wordOf(run []pdftext.Glyph) word {
	w := word{x0: run[0].X, size: math.Max(run[0].Size, 1e-3)}
	est := 0.0
	for _, g := range run {
		w.s += normalize(g.Text)
		w.x1 = math.Max(w.x1, g.X+g.W)
		if latin(g) {
			est += 0.5 * math.Max(g.Size, 1e-3)
		} else {
			est += g.W
		}
	}
	if inflated(run) {
		w.x1, w.inflated, w.est = w.x0+est, true, est
	}
	return w
}

// isFigure reports whether a word reads as a figure, a rate, a printed
// "no tax" (***) or a date in digits.
func isFigure(s string) bool {
	s = halfwidth(s)
	return reMoneyToken.MatchString(s) || reTaxWordToken.MatchString(s) && strings.Contains(s, "*") ||
		strings.HasSuffix(s, "%") && reMoneyToken.MatchString(strings.TrimSuffix(s, "%"))
}

// flatLine is a line's text without spaces, with each rune's glyph.
func flatLine(l pdftext.Line) (string, []pdftext.Glyph) {
	var b strings.Builder
	var at []pdftext.Glyph
	for _, g := range l.Glyphs {
		for _, r := range normalize(g.Text) {
			if r != ' ' {
				b.WriteRune(r)
				at = append(at, g)
			}
		}
	}
	return b.String(), at
}

// header finds an item table's header on a line: the name column, 金额,
// and 税率 or 税额, among at least four labels.
func header(l pdftext.Line) []column {
	s, at := flatLine(l)
	if strings.Contains(s, "|") {
		return nil // pipe-separated rows are read as text
	}
	rs := []rune(s)
	claimed := make([]bool, len(rs))
	var cols []column
	seen := map[colKind]bool{}
	for _, h := range headerLabels {
		if seen[h.col] {
			continue
		}
		lr := []rune(h.label)
		for i := 0; i+len(lr) <= len(rs); i++ {
			if string(rs[i:i+len(lr)]) != h.label || anyClaimed(claimed[i:i+len(lr)]) {
				continue
			}
			for j := i; j < i+len(lr); j++ {
				claimed[j] = true
			}
			last := at[i+len(lr)-1]
			cols = append(cols, column{kind: h.col, x0: at[i].X, x1: last.X + last.W})
			seen[h.col] = true
			break
		}
	}
	if !seen[cName] || !seen[cAmount] || !seen[cRate] && !seen[cTax] || len(cols) < 4 {
		return nil
	}
	// Words of the header no known label claims are the labels of
	// columns Ferry does not know: each gets a column of its own, so that
	// what stands under it is not read into a neighbour's cell.
	extra := cX0
	for i := 0; i < len(rs); {
		if claimed[i] {
			i++
			continue
		}
		j := i + 1
		for j < len(rs) && !claimed[j] && at[j].X-(at[j-1].X+at[j-1].W) < math.Max(at[j].Size, 1e-3) {
			j++
		}
		label := string(rs[i:j])
		if j-i >= 2 && strings.IndexFunc(label, unicode.IsLetter) >= 0 {
			if extra >= cAmbig {
				return nil // more columns than Ferry can tell apart: no table it reads
			}
			cols = append(cols, column{kind: extra, x0: at[i].X, x1: at[j-1].X + at[j-1].W, label: label})
			extra++
		}
		i = j
	}
	sort.Slice(cols, func(i, j int) bool { return cols[i].x0 < cols[j].x0 })
	return cols
}

func anyClaimed(b []bool) bool {
	for _, c := range b {
		if c {
			return true
		}
	}
	return false
}

// cells holds a row's words by column.
type cells [nCols][]string

// assign puts each word of a line in a column. A figure goes to the
// column whose label starts last before the figure's right edge (figures
// are right-aligned, or centred under their label); other text, and a
// figure that would land in a text column, goes to the column it overlaps
// most, the columns split halfway between neighbouring labels.
func assign(cols []column, ws []word) cells {
	var c cells
	for _, w := range ws {
		k := -1
		if isFigure(w.s) {
			for i, col := range cols {
				if col.x0 < w.x1-0.05*w.size {
					k = i
				}
			}
			if k >= 0 && !numericCol[cols[k].kind] {
				k = -1
			}
		}
		if k < 0 {
			best, second, other := -1.0, -1.0, -1
			for i := range cols {
				lo, hi := math.Inf(-1), math.Inf(1)
				if i > 0 {
					lo = (cols[i-1].x1 + cols[i].x0) / 2
				}
				if i+1 < len(cols) {
					hi = (cols[i].x1 + cols[i+1].x0) / 2
				}
				ov := math.Min(hi, w.x1) - math.Max(lo, w.x0)
				switch {
				case ov > best:
					best, second, k, other = ov, best, i, k
				case ov > second:
					second, other = ov, i
				}
			}
			// A word standing well across the border of two short text
			// cells (a 规格型号 wrapped under 单位) belongs to either.
			if wd := w.x1 - w.x0; other >= 0 && second > 0.3*wd && shortText(cols[k].kind) && shortText(cols[other].kind) {
				c[cAmbig] = append(c[cAmbig], fmt.Sprintf("%q stands across %s and %s", w.s, colNames[cols[k].kind], colNames[cols[other].kind]))
			}
		}
		if k >= 0 {
			c[cols[k].kind] = append(c[cols[k].kind], w.s)
		}
	}
	return c
}

// shortText reports the text columns whose cells hold a word or two.
func shortText(k colKind) bool { return k == cSpec || k == cUnit || k == cVType || k == cPlate }

// join puts a cell's words together: CJK text without spaces, Latin
// with one.
func join(parts []string) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 && !cjkEdge(parts[i-1], p) {
			b.WriteByte(' ')
		}
		b.WriteString(p)
	}
	return b.String()
}

func cjkEdge(a, b string) bool {
	ra, rb := []rune(a), []rune(b)
	if len(ra) == 0 || len(rb) == 0 {
		return true
	}
	cjk := func(r rune) bool { return unicode.Is(unicode.Han, r) || r > 0x2E80 }
	return cjk(ra[len(ra)-1]) || cjk(rb[0])
}

// tableRows is what one page's item table holds.
type tableRows struct {
	found bool        // the page has an item table header
	toll  bool        // ... with a toll invoice's columns
	list  bool        // ... with a 序号 column: a 销货清单 page
	extra []column    // columns under labels Ferry does not know
	items []cells     // item rows, continuation lines joined
	sums  [][2]string // 合计 and 小计 rows: 金额 and 税额 as printed
	grand [][2]string // 总计 rows (a 销货清单's last page): 金额 and 税额
}

// endOfTable reports a line that ends the item rows.
func endOfTable(flat string) bool {
	for _, p := range []string{"合计", "小计", "总计", "价税合计", "备注"} {
		if strings.HasPrefix(flat, p) {
			return true
		}
	}
	return strings.Contains(flat, "价税合计")
}

// readTable reads the item table of one page. An item starts at a line
// whose name begins with "*" (the tax category, as every item since 2018
// carries), or at a line with an amount when the current item already has
// one; other lines continue the current item (long names wrap in their
// cell, and figures may sit between the wrapped lines).
func readTable(lines []pdftext.Line) tableRows {
	var t tableRows
	var cols []column
	start := -1
	for i, l := range lines {
		if cols = header(l); cols != nil {
			start = i + 1
			break
		}
	}
	if cols == nil {
		return t
	}
	t.found = true
	for _, c := range cols {
		switch c.kind {
		case cPlate, cFrom, cTo:
			t.toll = true
		case cSeq:
			t.list = true
		case cX0, cX1, cX2, cX3:
			t.extra = append(t.extra, c)
		}
	}
	var cur *cells
	for _, l := range lines[start:] {
		flat, _ := flatLine(l)
		c := assign(cols, words(l))
		if endOfTable(flat) {
			row := [2]string{join(c[cAmount]), join(c[cTax])}
			switch {
			case row == [2]string{}:
				// A 合计 row left blank: the figures stand on the
				// placeholder line (详见销货清单) above it.
			case strings.HasPrefix(flat, "合计") || strings.HasPrefix(flat, "小计"):
				t.sums = append(t.sums, row)
			case strings.HasPrefix(flat, "总计"):
				t.grand = append(t.grand, row)
			}
			if !strings.HasPrefix(flat, "小计") {
				break
			}
			continue
		}
		if header(l) != nil {
			continue // a header repeated further down
		}
		name := join(c[cName])
		hasFig := len(c[cAmount]) > 0 || len(c[cTax]) > 0 || len(c[cQty]) > 0 || len(c[cPrice]) > 0
		switch {
		case strings.HasPrefix(name, "*") || strings.HasPrefix(name, "＊"),
			hasFig && (cur == nil || len(cur[cAmount]) > 0 && len(c[cAmount]) > 0),
			cur == nil && strings.Contains(name, "详见"):
			t.items = append(t.items, c)
			cur = &t.items[len(t.items)-1]
		case cur == nil:
			// Before the first item: the header's second line.
		default:
			for k := range c {
				if len(c[k]) == 0 {
					continue
				}
				if numericCol[k] && len(cur[k]) > 0 && colKind(k) != cSeq {
					// A second figure for a cell already filled: keep both,
					// the item reader flags the cell.
					cur[k] = append(cur[k], c[k]...)
					continue
				}
				if colKind(k) == cAmbig {
					cur[k] = append(cur[k], c[k]...)
					continue
				}
				if len(cur[k]) > 0 && !numericCol[k] {
					// A text cell wraps by width, not at a space: its
					// next line goes on without one (…3.2x7 / 5MM is
					// 3.2x75MM).
					last := len(cur[k]) - 1
					cur[k][last] += join(c[k])
					continue
				}
				cur[k] = append(cur[k], c[k]...)
			}
		}
		if len(t.items) >= maxItems {
			break
		}
	}
	return t
}

// item builds an invoice item from its cells. A figure cell with two
// values, or a value that is not a figure, is a flag, never a guess.
func (r *reader) item(c cells) ferry.InvoiceItem {
	it := ferry.InvoiceItem{Name: join(c[cName]), Spec: join(c[cSpec]), Unit: join(c[cUnit]), TaxRate: halfwidth(join(c[cRate])),
		Plate: join(c[cPlate]), VehicleType: join(c[cVType]), PassFrom: join(c[cFrom]), PassTo: join(c[cTo])}
	fig := func(k colKind) (decimal.Decimal, string, bool) {
		vals := c[k]
		switch len(vals) {
		case 0:
			return decimal.Zero, "", false
		case 1:
		default:
			r.flag("item %q: %s has %d values %q, not one figure", it.Name, colNames[k], len(vals), vals)
			return decimal.Zero, "", false
		}
		v := strings.TrimSpace(vals[0])
		if v == "" {
			return decimal.Zero, "", false
		}
		if k == cTax && taxWord(v) {
			return decimal.Zero, v, true
		}
		d, err := parseMoney(v)
		if err != nil {
			r.flag("item %q: %s %v", it.Name, colNames[k], err)
			return decimal.Zero, "", false
		}
		return d, "", true
	}
	for _, a := range c[cAmbig] {
		r.flag("item %q: %s", it.Name, a)
	}
	it.Quantity, _, it.QuantityStated = fig(cQty)
	it.UnitPrice, _, it.PriceStated = fig(cPrice)
	var ok bool
	if it.Amount, _, ok = fig(cAmount); !ok && len(c[cAmount]) == 0 {
		r.flag("item %q: no 金额", it.Name)
	}
	it.Tax, it.TaxPrinted, _ = fig(cTax)
	if it.TaxPrinted == "" && len(c[cTax]) == 0 && !ferry.TaxExempt(it.TaxRate) {
		r.flag("item %q: no 税额", it.Name)
	}
	return it
}
