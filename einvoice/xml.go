package einvoice

import (
	"bytes"
	"context"
	"strings"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
)

// find returns the text of the first element named name anywhere below e.
func (e *xmlElem) find(name string) string {
	var out string
	found := false
	e.walk(func(c *xmlElem) {
		if !found && c.XMLName.Local == name {
			out, found = strings.TrimSpace(c.Text), true
		}
	})
	return out
}

// ParseXML reads a 全电发票 (fully digital invoice) in the tax bureau's XML
// format: EInvoice with Header/EIid, EInvoiceData (SellerInformation,
// BuyerInformation, BasicInformation, IssuItemInformation per line) and
// TaxSupervisionInfo. Element names are looked up wherever they sit, so
// the minor layout differences between bureau versions do not matter.
func ParseXML(name string, data []byte) (ferry.Invoice, error) {
	bad := func(format string, args ...any) error {
		return ferry.Errorf(ferry.ClassDocumentChanged, name, format, args...)
	}
	root, err := parseElem(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")))
	if err != nil {
		return ferry.Invoice{}, bad("not well-formed XML: %v", err)
	}
	if root.XMLName.Local != "EInvoice" {
		return ferry.Invoice{}, bad("root element is %s, want EInvoice (全电发票 XML)", root.XMLName.Local)
	}
	inv := ferry.Invoice{Currency: "CNY", Source: name, Kind: "电子发票"}
	root.walk(func(c *xmlElem) {
		if c.XMLName.Local == "EInvoiceType" {
			if n := c.find("LabelName"); n != "" {
				inv.Kind = "电子发票（" + n + "）"
			}
		}
	})
	inv.Number = root.find("InvoiceNumber")
	if inv.Number == "" {
		inv.Number = root.find("EIid")
	}
	if inv.Number == "" {
		return inv, bad("no InvoiceNumber or EIid")
	}
	date := root.find("IssueTime")
	if date == "" {
		date = root.find("RequestTime")
	}
	if date != "" {
		d, _, _ := strings.Cut(date, " ")
		if inv.IssueDate, err = ferry.ParseDate(d); err != nil {
			return inv, bad("IssueTime %q: %v", date, err)
		}
	}
	inv.SellerName, inv.SellerTaxID = root.find("SellerName"), root.find("SellerIdNum")
	inv.BuyerName, inv.BuyerTaxID = root.find("BuyerName"), root.find("BuyerIdNum")
	for _, f := range []struct {
		tag string
		dst *decimal.Decimal
	}{{"TotalAmWithoutTax", &inv.Amount}, {"TotalTaxAm", &inv.Tax}, {"TotalTax-includedAmount", &inv.Total}} {
		s := root.find(f.tag)
		if s == "" {
			return inv, bad("no %s", f.tag)
		}
		if *f.dst, err = money(s); err != nil {
			return inv, bad("%s %q is not an amount", f.tag, s)
		}
	}
	inv.AmountStated = true
	inv.TotalInWords = root.find("TotalTax-includedAmountInChinese")
	var itemErr error
	root.walk(func(e *xmlElem) {
		if e.XMLName.Local != "IssuItemInformation" || itemErr != nil {
			return
		}
		it := ferry.InvoiceItem{Name: e.find("ItemName"), Spec: e.find("SpecMod"), Unit: e.find("MeaUnits")}
		rate := e.find("TaxRate")
		if r, err := decimal.NewFromString(rate); err == nil && r.LessThan(decimal.NewFromInt(1)) {
			rate = r.Shift(2).String() + "%" // 0.13 → 13%
		}
		it.TaxRate = rate
		for _, f := range []struct {
			tag string
			dst *decimal.Decimal
		}{{"Quantity", &it.Quantity}, {"UnPrice", &it.UnitPrice}, {"Amount", &it.Amount}, {"ComTaxAm", &it.Tax}} {
			v, err := optDecimal(e.find(f.tag))
			if err != nil {
				itemErr = bad("item %q: %s %q is not a number", it.Name, f.tag, e.find(f.tag))
				return
			}
			*f.dst = v
		}
		inv.Items = append(inv.Items, it)
	})
	return inv, itemErr
}

// Parse reads an invoice of any supported format: PDF, OFD or XML.
func Parse(ctx context.Context, name string, data []byte) (ferry.Invoice, error) {
	if err := ctx.Err(); err != nil {
		return ferry.Invoice{}, ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", err)
	}
	switch {
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return ParsePDF(ctx, name, data)
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return ParseOFD(name, data)
	case bytes.Contains(data[:min(len(data), 512)], []byte("<EInvoice")):
		return ParseXML(name, data)
	}
	return ferry.Invoice{}, ferry.Errorf(ferry.ClassDocumentChanged, name, "not a PDF, OFD or 全电 XML invoice")
}
