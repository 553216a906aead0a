package einvoice

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/pdftext"
	"github.com/shopspring/decimal"
)

// maxPages bounds the pages read from one invoice file: an invoice with a
// long 销货清单 runs to a few dozen.
const maxPages = 500

// ParsePDF reads a PDF invoice through Ferry's text layer: glyphs in reading
// order by position, so labels drawn before their values, or values drawn
// in any order, still read label then value. The item table is read by
// geometry: columns from the header labels, cells from whole words.
func ParsePDF(ctx context.Context, name string, data []byte) (ferry.Invoice, error) {
	doc, err := pdftext.OpenContext(ctx, data, "")
	if err != nil {
		return ferry.Invoice{}, ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", err)
	}
	if doc.NumPages() > maxPages {
		return ferry.Invoice{}, ferry.Errorf(ferry.ClassDocumentChanged, name, "%d pages: more than an invoice has (limit %d)", doc.NumPages(), maxPages)
	}
	pages := make([][]pdftext.Line, 0, doc.NumPages())
	for i := 1; i <= doc.NumPages(); i++ {
		p, err := doc.Page(i)
		if err != nil {
			return ferry.Invoice{}, ferry.Errorf(ferry.ClassDocumentChanged, fmtWhere(name, i), "%v", err)
		}
		if len(p.Glyphs) > maxPageGlyphs {
			return ferry.Invoice{}, ferry.Errorf(ferry.ClassDocumentChanged, fmtWhere(name, i), "more than %d characters: not an invoice's page", maxPageGlyphs)
		}
		pages = append(pages, p.Lines())
	}
	return fromPages(name, pages)
}

// checkSum compares printed 小计/总计 rows with the items they sum; a
// row that is not a figure, or a sum that differs, is a flag.
func (r *reader) checkSum(what string, rows [][2]string, items []ferry.InvoiceItem) {
	if len(rows) == 0 {
		return
	}
	var amt, tax decimal.Decimal
	for _, it := range items {
		amt, tax = amt.Add(it.Amount), tax.Add(it.Tax)
	}
	for _, row := range rows {
		a, err := parseMoney(row[0])
		if err != nil {
			r.flag("%s 金额: %v", what, err)
			continue
		}
		t := decimal.Zero
		if !taxWord(row[1]) {
			if t, err = parseMoney(row[1]); err != nil {
				r.flag("%s 税额: %v", what, err)
				continue
			}
		}
		if !a.Equal(amt) || !t.Equal(tax) {
			r.flag("%s says 金额 %s 税额 %s, its %d items add up to %s and %s", what, a.StringFixed(2), t.StringFixed(2), len(items), amt.StringFixed(2), tax.StringFixed(2))
		}
	}
}

func fmtWhere(name string, page int) string { return fmt.Sprintf("%s: page %d", name, page) }

// pageText is the normalized text of a page's lines.
func pageText(lines []pdftext.Line) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(normalize(l.String()))
		b.WriteByte('\n')
	}
	return b.String()
}

// fromPages reads an invoice from its pages' lines (a PDF's, or an OFD's
// text objects laid out the same way).
func fromPages(name string, pages [][]pdftext.Line) (ferry.Invoice, error) {
	var b strings.Builder
	for _, p := range pages {
		b.WriteString(pageText(p))
		b.WriteString("\n")
	}
	text := b.String()
	if strings.TrimSpace(text) == "" {
		return ferry.Invoice{}, ferry.Errorf(ferry.ClassDocumentChanged, name, "no text on any of its %d pages: %w; Ferry does not OCR scanned or image-only invoices (the 数电 XML, where the issuer sent one, can be read)", len(pages), pdftext.ErrNoText)
	}
	if !LooksLikeInvoice(text) {
		return ferry.Invoice{}, notInvoice(name, text)
	}
	r := &reader{where: name, inv: ferry.Invoice{Currency: "CNY", Source: name}}
	r.fields(text)
	if !r.pipeItems(text) {
		r.tableItems(pages)
	}
	r.finish(text)
	return r.inv, nil
}

// tableItems reads the items of every page's table. Items on 销货清单
// pages replace the first page's placeholder line (详见销货清单). The
// table's 合计 row, read by column, settles 金额 and 税额 where the text
// rules could not.
func (r *reader) tableItems(pages [][]pdftext.Line) {
	var main, list []ferry.InvoiceItem
	var sums, grand [][2]string
	found := false
	for n, p := range pages {
		t := readTable(p)
		if !t.found {
			continue
		}
		found = true
		if t.toll {
			r.inv.Toll = true
		}
		var page []ferry.InvoiceItem
		for _, c := range t.items {
			it := r.item(c)
			for _, x := range t.extra {
				if v := join(c[x.kind]); v != "" {
					r.note("item %q: %s %s", it.Name, x.label, v)
				}
			}
			page = append(page, it)
		}
		if t.list {
			list = append(list, page...)
			// A 销货清单 page's 小计 must be its items' sum: a check that
			// every row of the page was read.
			r.checkSum(fmt.Sprintf("销货清单 page %d 小计", n+1), t.sums, page)
			grand = append(grand, t.grand...)
		} else {
			main = append(main, page...)
			sums = append(sums, t.sums...)
		}
	}
	if !found {
		r.flag("no item table (项目名称 … 金额 … 税额) found")
		return
	}
	placeholder := len(main) == 1 && strings.Contains(main[0].Name, "详见")
	switch {
	case placeholder && len(list) > 0:
		r.inv.Items = list
		r.note("items read from the 销货清单 pages (%d items)", len(list))
		r.checkSum("销货清单 总计", grand, list)
		if !r.inv.AmountStated && len(sums) == 0 {
			// The placeholder line carries the invoice's 金额 and 税额
			// where the 合计 row is left blank.
			p := main[0]
			r.inv.Amount, r.inv.Tax, r.inv.TaxPrinted, r.inv.AmountStated = p.Amount, p.Tax, p.TaxPrinted, true
			r.note("金额 and 税额 read from the line %s", p.Name)
		}
	case placeholder:
		r.inv.Items = main
		r.flag("the items are on a separate list (%s) that this file does not contain", main[0].Name)
	default:
		r.inv.Items = append(main, list...)
	}
	if len(r.inv.Items) == 0 {
		r.flag("the item table has no item read")
	}
	if len(sums) == 0 {
		return
	}
	if !r.inv.AmountStated {
		r.setTotals(sums)
		r.note("金额 and 税额 read from the 合计 row by column")
		return
	}
	// Both readings of the 合计 row must agree: by its text in reading
	// order and by the columns its figures stand in.
	byCol := &reader{where: r.where}
	byCol.setTotals(sums)
	if len(byCol.inv.Flags) == 0 && (!byCol.inv.Amount.Equal(r.inv.Amount) || !byCol.inv.Tax.Equal(r.inv.Tax)) {
		r.flag("合计: the row reads 金额 %s 税额 %s, its columns %s and %s", r.inv.Amount.StringFixed(2), r.inv.Tax.StringFixed(2),
			byCol.inv.Amount.StringFixed(2), byCol.inv.Tax.StringFixed(2))
	}
}
