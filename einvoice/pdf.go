package einvoice

import (
	"context"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/pdftext"
)

// ParsePDF reads a PDF invoice through Ferry's text layer: glyphs in reading
// order by position, so labels drawn before their values, or values drawn
// in any order, still read label then value.
func ParsePDF(ctx context.Context, name string, data []byte) (ferry.Invoice, error) {
	doc, err := pdftext.OpenContext(ctx, data, "")
	if err != nil {
		return ferry.Invoice{}, ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", err)
	}
	var b strings.Builder
	var items []ferry.InvoiceItem
	for i := 1; i <= doc.NumPages(); i++ {
		p, err := doc.Page(i)
		if err != nil {
			return ferry.Invoice{}, ferry.Errorf(ferry.ClassDocumentChanged, fmtWhere(name, i), "%v", err)
		}
		lines := p.Lines()
		for _, l := range lines {
			// Runs of a line are columns: keep them apart by two spaces.
			b.WriteString(l.String())
			b.WriteByte('\n')
		}
		its, err := tableItems(fmtWhere(name, i), lines)
		if err != nil {
			return ferry.Invoice{}, err
		}
		items = append(items, its...)
	}
	if strings.TrimSpace(b.String()) == "" {
		return ferry.Invoice{}, ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", pdftext.ErrNoText)
	}
	inv, err := fromText(name, b.String())
	if err == nil && len(inv.Items) == 0 {
		inv.Items = items
	}
	return inv, err
}

// itemColumns are the item table's columns, by header label.
var itemColumns = []struct {
	label string
	field int
}{
	{"项目名称", 0}, {"货物或应税劳务", 0}, {"规格型号", 1}, {"单位", 2}, {"数量", 3}, {"单价", 4}, {"金额", 5}, {"税率", 6}, {"税额", 7},
}

// tableItems reads the line items under the item table's header: column
// boundaries lie halfway between neighbouring header labels; item rows start
// with "*" (the tax category) and end at the 合计 row.
func tableItems(where string, lines []pdftext.Line) ([]ferry.InvoiceItem, error) {
	type col struct {
		field      int
		start, end float64
	}
	var cols []col
	start := -1
	for i, l := range lines {
		// Labels are found glyph by glyph: neighbouring labels may share a run.
		var text []rune
		var at []pdftext.Glyph
		for _, g := range l.Glyphs {
			for _, r := range g.Text {
				if r != ' ' {
					text = append(text, r)
					at = append(at, g)
				}
			}
		}
		s := string(text)
		cols = cols[:0]
		seen := map[int]bool{}
		for _, c := range itemColumns {
			idx := strings.Index(s, c.label)
			if idx < 0 || seen[c.field] {
				continue
			}
			ri := len([]rune(s[:idx]))
			last := at[ri+len([]rune(c.label))-1]
			cols = append(cols, col{c.field, at[ri].X, last.X + last.W})
			seen[c.field] = true
		}
		if len(cols) >= 6 {
			start = i + 1
			break
		}
	}
	if start < 0 {
		return nil, nil
	}
	sort.Slice(cols, func(i, j int) bool { return cols[i].start < cols[j].start })
	numeric := map[int]bool{3: true, 4: true, 5: true, 7: true}
	// Where each column begins: text columns at their label (left-aligned),
	// numbers halfway from the previous label (they may be right-aligned).
	bounds := make([]float64, len(cols))
	for i := 1; i < len(cols); i++ {
		if numeric[cols[i].field] {
			bounds[i] = (cols[i-1].end + cols[i].start) / 2
		} else {
			bounds[i] = cols[i].start - 1
		}
	}
	fieldAt := func(x0, x1 float64) int {
		mid := (x0 + x1) / 2
		for i := len(cols) - 1; i > 0; i-- {
			if mid >= bounds[i] {
				return cols[i].field
			}
		}
		return cols[0].field
	}
	var out []ferry.InvoiceItem
	for _, l := range lines[start:] {
		text := strings.ReplaceAll(l.String(), " ", "")
		if strings.HasPrefix(text, "合计") || strings.Contains(text, "价税合计") {
			break
		}
		if len(l.Runs) == 0 || !strings.HasPrefix(l.Runs[0].S, "*") {
			continue
		}
		// Glyph by glyph: neighbouring cells can sit closer than a word gap.
		var cells [8]string
		var lastEnd [8]float64
		for _, g := range l.Glyphs {
			if g.Space {
				continue
			}
			f := fieldAt(g.X, g.X+g.W)
			if cells[f] != "" && g.X-lastEnd[f] > g.Size*0.2 {
				cells[f] += " "
			}
			cells[f] += g.Text
			lastEnd[f] = g.X + g.W
		}
		it := ferry.InvoiceItem{Name: cells[0], Spec: cells[1], Unit: cells[2], TaxRate: cells[6]}
		for _, f := range []struct {
			dst *decimal.Decimal
			i   int
			n   string
		}{{&it.Quantity, 3, "数量"}, {&it.UnitPrice, 4, "单价"}, {&it.Amount, 5, "金额"}, {&it.Tax, 7, "税额"}} {
			v, err := optDecimal(cells[f.i])
			if err != nil {
				return nil, ferry.Errorf(ferry.ClassDocumentChanged, where, "item %q: %s %q is not a number", it.Name, f.n, cells[f.i])
			}
			*f.dst = v
		}
		out = append(out, it)
	}
	return out, nil
}
