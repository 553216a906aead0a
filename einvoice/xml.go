package einvoice

import (
	"bytes"
	"strings"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
)

// maxXML bounds a 数电 XML file; real ones are a few kilobytes per item.
const maxXML = 64 << 20

// find returns the text of the first element named name anywhere below e.
func (e *xmlElem) find(name string) string { return findText(e, name) }

// ParseXML reads a 数电 (全电) invoice in the tax bureau's XML format:
// EInvoice with Header/EIid, EInvoiceData (SellerInformation,
// BuyerInformation, BasicInformation, IssuItemInformation per line) and
// TaxSupervisionInfo. Element names are looked up wherever they sit, so
// the minor layout differences between bureau versions do not matter.
func ParseXML(name string, data []byte) (ferry.Invoice, error) {
	bad := func(format string, args ...any) error {
		return ferry.Errorf(ferry.ClassDocumentChanged, name, format, args...)
	}
	if len(data) > maxXML {
		return ferry.Invoice{}, bad("%d bytes: larger than an invoice XML (limit %d)", len(data), maxXML)
	}
	root, err := parseElem(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")))
	if err != nil {
		return ferry.Invoice{}, bad("not well-formed XML: %v", err)
	}
	if root.XMLName.Local != "EInvoice" {
		return ferry.Invoice{}, bad("root element is %s, want EInvoice (数电 invoice XML)", root.XMLName.Local)
	}
	r := &reader{where: name, inv: ferry.Invoice{Currency: "CNY", Source: name}}
	inv := &r.inv
	// The kind: GeneralOrSpecialVAT says 普通发票 or 增值税专用发票; some
	// files carry it only in EInvoiceType.
	for _, tag := range []string{"GeneralOrSpecialVAT", "EInvoiceType"} {
		root.walk(func(c *xmlElem) {
			if c.XMLName.Local != tag || inv.Kind != "" {
				return
			}
			if n := strings.TrimSpace(c.find("LabelName")); n != "" {
				inv.Kind = kindOf("电子发票（" + n + "）")
			}
		})
	}
	if inv.Kind == "" {
		r.flag("no GeneralOrSpecialVAT or EInvoiceType label naming 普通发票 or 增值税专用发票: the kind is unknown")
	}
	blue := ""
	root.walk(func(c *xmlElem) {
		if c.XMLName.Local == "InIssuType" && blue == "" {
			blue = strings.TrimSpace(c.find("LabelCode"))
		}
	})
	inv.Number = root.find("InvoiceNumber")
	if inv.Number == "" {
		inv.Number = root.find("EIid")
	}
	if inv.Number == "" {
		return *inv, bad("no InvoiceNumber or EIid")
	}
	if eid := root.find("EIid"); eid != "" && eid != inv.Number {
		r.flag("EIid %s and InvoiceNumber %s differ", eid, inv.Number)
	}
	date := root.find("IssueTime")
	if date == "" {
		date = root.find("RequestTime")
	}
	if date != "" {
		d, _, _ := strings.Cut(strings.TrimSpace(date), " ")
		d, _, _ = strings.Cut(d, "T")
		if v, ok := parseDate(d); ok {
			inv.IssueDate = v
		} else {
			r.flag("IssueTime %q is not a date", date)
		}
	}
	inv.SellerName, inv.SellerTaxID = root.find("SellerName"), strings.ToUpper(root.find("SellerIdNum"))
	inv.BuyerName, inv.BuyerTaxID = root.find("BuyerName"), strings.ToUpper(root.find("BuyerIdNum"))
	for _, f := range []struct {
		tag string
		dst *decimal.Decimal
	}{{"TotalAmWithoutTax", &inv.Amount}, {"TotalTaxAm", &inv.Tax}, {"TotalTax-includedAmount", &inv.Total}} {
		s := root.find(f.tag)
		switch {
		case s == "":
			r.flag("no %s", f.tag)
		case f.tag == "TotalTaxAm" && taxWord(s):
			inv.TaxPrinted = s
		default:
			d, err := parseMoney(s)
			if err != nil {
				return *inv, bad("%s: %v", f.tag, err)
			}
			*f.dst = d
		}
	}
	inv.AmountStated = true
	inv.TotalInWords = root.find("TotalTax-includedAmountInChinese")
	var itemErr error
	root.walk(func(e *xmlElem) {
		if e.XMLName.Local != "IssuItemInformation" || itemErr != nil || len(inv.Items) >= maxItems {
			return
		}
		it := ferry.InvoiceItem{Name: e.find("ItemName"), Spec: e.find("SpecMod"), Unit: e.find("MeaUnits")}
		rate := strings.TrimSpace(e.find("TaxRate"))
		if r, err := decimal.NewFromString(strings.TrimSuffix(rate, "%")); err == nil && !strings.HasSuffix(rate, "%") && r.LessThan(decimal.NewFromInt(1)) {
			rate = r.Shift(2).String() + "%" // 0.13 → 13%
		}
		it.TaxRate = rate
		for _, f := range []struct {
			tag    string
			dst    *decimal.Decimal
			stated *bool
		}{{"Quantity", &it.Quantity, &it.QuantityStated}, {"UnPrice", &it.UnitPrice, &it.PriceStated}, {"Amount", &it.Amount, nil}, {"ComTaxAm", &it.Tax, nil}} {
			s := strings.TrimSpace(e.find(f.tag))
			if s == "" {
				if f.tag == "Amount" {
					r.flag("item %q: no Amount", it.Name)
				}
				continue
			}
			if f.tag == "ComTaxAm" && taxWord(s) {
				it.TaxPrinted = s
				continue
			}
			v, err := parseMoney(s)
			if err != nil {
				itemErr = bad("item %q: %s %v", it.Name, f.tag, err)
				return
			}
			*f.dst = v
			if f.stated != nil {
				*f.stated = true
			}
		}
		inv.Items = append(inv.Items, it)
	})
	if itemErr != nil {
		return *inv, itemErr
	}
	inv.Red = inv.Total.IsNegative()
	if blue == "N" && !inv.Red {
		r.flag("InIssuType N (a red-letter invoice) but the total %s is not negative", inv.Total.StringFixed(2))
	}
	return *inv, nil
}
