package einvoice

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
)

// maxOFDPart bounds what one part of an OFD package may unpack to, so that
// a decompression bomb is refused instead of exhausting memory.
const maxOFDPart = 32 << 20

type ofdPackage struct {
	name  string
	files map[string]*zip.File
}

func (p *ofdPackage) read(name string) ([]byte, error) {
	f, ok := p.files[strings.TrimPrefix(path.Clean("/"+name), "/")]
	if !ok {
		return nil, fmt.Errorf("%s: no part %s", p.name, name)
	}
	if f.UncompressedSize64 > maxOFDPart {
		return nil, fmt.Errorf("%s: part %s unpacks to %d bytes, over the %d limit", p.name, name, f.UncompressedSize64, maxOFDPart)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", p.name, name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxOFDPart+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", p.name, name, err)
	}
	if len(b) > maxOFDPart {
		return nil, fmt.Errorf("%s: part %s unpacks past the %d-byte limit", p.name, name, maxOFDPart)
	}
	return b, nil
}

// xmlElem is a namespace-free XML element.
type xmlElem struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []xmlElem  `xml:",any"`
}

func (e *xmlElem) attr(name string) string {
	for _, a := range e.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (e *xmlElem) walk(fn func(*xmlElem)) {
	fn(e)
	for i := range e.Children {
		e.Children[i].walk(fn)
	}
}

func parseElem(b []byte) (*xmlElem, error) {
	var e xmlElem
	dec := xml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&e); err != nil {
		return nil, err
	}
	return &e, nil
}

// ParseOFD reads an OFD invoice package (GB/T 33190). Fields are located
// through Doc_0/Tags/CustomTag.xml, which maps each semantic field to text
// objects on the page; the page's text in reading order fills what the
// tags do not cover.
func ParseOFD(name string, data []byte) (ferry.Invoice, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return ferry.Invoice{}, ferry.Errorf(ferry.ClassDocumentChanged, name, "not an OFD package (a ZIP): %v", err)
	}
	pkg := &ofdPackage{name: name, files: map[string]*zip.File{}}
	for _, f := range zr.File {
		pkg.files[strings.TrimPrefix(path.Clean("/"+f.Name), "/")] = f
	}
	bad := func(format string, args ...any) error {
		return ferry.Errorf(ferry.ClassDocumentChanged, name, format, args...)
	}
	docXML, err := pkg.read("Doc_0/Document.xml")
	if err != nil {
		return ferry.Invoice{}, bad("%v", err)
	}
	doc, err := parseElem(docXML)
	if err != nil {
		return ferry.Invoice{}, bad("Doc_0/Document.xml: %v", err)
	}
	// Some producers write the invoice as plain labelled lines.
	var lines []string
	for _, c := range doc.Children {
		if c.XMLName.Local == "Line" {
			lines = append(lines, strings.TrimSpace(c.Text))
		}
	}
	if len(lines) > 0 {
		return fromText(name, strings.Join(lines, "\n"))
	}
	// The real structure: pages of text objects.
	var pages []string
	doc.walk(func(e *xmlElem) {
		if e.XMLName.Local == "Page" && e.attr("BaseLoc") != "" {
			pages = append(pages, path.Join("Doc_0", e.attr("BaseLoc")))
		}
	})
	if len(pages) == 0 {
		return ferry.Invoice{}, bad("Doc_0/Document.xml lists no pages")
	}
	texts := map[string]string{} // text object id → text
	var order []textObj
	for _, p := range pages {
		b, err := pkg.read(p)
		if err != nil {
			return ferry.Invoice{}, bad("%v", err)
		}
		pe, err := parseElem(b)
		if err != nil {
			return ferry.Invoice{}, bad("%s: %v", p, err)
		}
		pe.walk(func(e *xmlElem) {
			if e.XMLName.Local != "TextObject" {
				return
			}
			var sb strings.Builder
			var x, y float64
			first := true
			for _, c := range e.Children {
				if c.XMLName.Local == "TextCode" {
					sb.WriteString(c.Text)
					if first {
						fmt.Sscan(c.attr("X"), &x)
						fmt.Sscan(c.attr("Y"), &y)
						first = false
					}
				}
			}
			var bx, by float64
			fmt.Sscan(strings.Fields(e.attr("Boundary") + " 0 0")[0], &bx)
			fmt.Sscan(strings.Fields(e.attr("Boundary") + " 0 0")[1], &by)
			texts[e.attr("ID")] = sb.String()
			order = append(order, textObj{x: bx + x, y: by + y, s: sb.String()})
		})
	}
	inv := ferry.Invoice{Currency: "CNY", Source: name, Kind: "电子发票"}
	tagXML, tagErr := pkg.read("Doc_0/Tags/CustomTag.xml")
	if tagErr != nil {
		return fromText(name, readingOrder(order))
	}
	tags, err := parseElem(tagXML)
	if err != nil {
		return ferry.Invoice{}, bad("Doc_0/Tags/CustomTag.xml: %v", err)
	}
	field := func(e *xmlElem) string {
		var parts []string
		for _, c := range e.Children {
			if c.XMLName.Local == "ObjectRef" {
				parts = append(parts, texts[strings.TrimSpace(c.Text)])
			}
		}
		return strings.TrimSpace(strings.Join(parts, ""))
	}
	vals := map[string][]string{}
	tags.walk(func(e *xmlElem) {
		if len(e.Children) > 0 && e.Children[0].XMLName.Local == "ObjectRef" {
			vals[e.XMLName.Local] = append(vals[e.XMLName.Local], field(e))
		}
	})
	get := func(k string) string {
		if v := vals[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	inv.Number = get("InvoiceNo")
	inv.Code = get("InvoiceCode")
	inv.CheckCode = get("InvoiceCheckCode")
	inv.MachineNo = get("MachineNo")
	inv.BuyerName, inv.BuyerTaxID = get("BuyerName"), get("BuyerTaxID")
	inv.SellerName, inv.SellerTaxID = get("SellerName"), get("SellerTaxID")
	if inv.Number == "" {
		return inv, bad("CustomTag.xml names no InvoiceNo")
	}
	if s := get("IssueDate"); s != "" {
		if inv.IssueDate, err = ferry.ParseDate(s); err != nil {
			return inv, bad("IssueDate %q: %v", s, err)
		}
	}
	for _, f := range []struct {
		key string
		set func(string) error
	}{
		{"TaxExclusiveTotalAmount", func(s string) (err error) { inv.Amount, err = money(s); inv.AmountStated = true; return }},
		{"TaxTotalAmount", func(s string) (err error) { inv.Tax, err = money(s); return }},
		{"TaxInclusiveTotalAmount", func(s string) (err error) { inv.Total, err = money(s); return }},
	} {
		s := strings.TrimLeft(get(f.key), "¥￥ ")
		if s == "" {
			return inv, bad("CustomTag.xml names no %s", f.key)
		}
		if err := f.set(s); err != nil {
			return inv, bad("%s %q is not an amount", f.key, s)
		}
	}
	// The amount in words sits next to 价税合计 on the page, untagged.
	inv.TotalInWords = first(reWordsBare, readingOrder(order))
	// Items: each item tag lists one value per line.
	n := len(vals["Item"])
	for i := 0; i < n; i++ {
		at := func(k string) string {
			if v := vals[k]; i < len(v) {
				return v[i]
			}
			return ""
		}
		it := ferry.InvoiceItem{Name: at("Item"), Spec: at("Specification"), Unit: at("MeasurementDimension"), TaxRate: at("TaxScheme")}
		for _, f := range []struct {
			dst *decimal.Decimal
			k   string
		}{{&it.Quantity, "Quantity"}, {&it.UnitPrice, "Price"}, {&it.Amount, "Amount"}, {&it.Tax, "TaxAmount"}} {
			v, err := optDecimal(at(f.k))
			if err != nil {
				return inv, bad("item %d %s %q is not a number", i+1, f.k, at(f.k))
			}
			*f.dst = v
		}
		inv.Items = append(inv.Items, it)
	}
	return inv, nil
}

var reWordsBare = regexp.MustCompile(`([壹贰叁肆伍陆柒捌玖][零壹贰叁肆伍陆柒捌玖拾佰仟万亿圆元角分]*[圆元角分][整正]?)`)

type textObj struct {
	x, y float64
	s    string
}

// readingOrder joins text objects top to bottom, left to right.
func readingOrder(objs []textObj) string {
	sorted := append([]textObj(nil), objs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if d := sorted[i].y - sorted[j].y; d < -1.5 || d > 1.5 {
			return sorted[i].y < sorted[j].y
		}
		return sorted[i].x < sorted[j].x
	})
	var b strings.Builder
	for i, o := range sorted {
		if i > 0 {
			if d := o.y - sorted[i-1].y; d < -1.5 || d > 1.5 {
				b.WriteByte('\n')
			} else {
				b.WriteString("  ")
			}
		}
		b.WriteString(o.s)
	}
	return b.String()
}
