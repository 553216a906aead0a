package einvoice

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/pdftext"
)

// markers are what VAT invoices carry, each with its weight: strong ones
// (发票号码, 价税合计, and their element names in 数电 XML and OFD tags)
// appear on nothing else a finance team receives.
var markers = []struct {
	re     *regexp.Regexp
	name   string
	weight int
	strong bool
}{
	{regexp.MustCompile(lab("发票号码")), "发票号码", 3, true},
	{regexp.MustCompile(lab("价税合计")), "价税合计", 3, true},
	{regexp.MustCompile(`<(?:\w+:)?EInvoice[ >]`), "<EInvoice>", 3, true},
	{regexp.MustCompile(`TotalTax-includedAmount|TaxInclusiveTotalAmount`), "TotalTax-includedAmount", 3, true},
	{regexp.MustCompile(lab("发票代码")), "发票代码", 2, false},
	{regexp.MustCompile(lab("开票日期")), "开票日期", 2, false},
	{regexp.MustCompile(`<(?:\w+:)?(?:InvoiceNumber|EIid|InvoiceNo)>`), "InvoiceNumber", 2, false},
	{regexp.MustCompile(lab("校验码")), "校验码", 1, false},
	{regexp.MustCompile(lab("购买方") + `|` + lab("购方") + `|BuyerIdNum|BuyerName`), "购买方", 1, false},
	{regexp.MustCompile(lab("销售方") + `|` + lab("销方") + `|SellerIdNum|SellerName`), "销售方", 1, false},
	{regexp.MustCompile(lab("纳税人识别号")), "纳税人识别号", 1, false},
	{regexp.MustCompile(lab("税额") + `|TotalTaxAm|TaxTotalAmount`), "税额", 1, false},
	{regexp.MustCompile(`发票`), "发票", 1, false},
	{regexp.MustCompile(lab("开票人") + `|Drawer|InvoiceClerk`), "开票人", 1, false},
}

// InvoiceScore rates how much text (a PDF page's text, an OFD's or XML
// content) looks like a Chinese VAT invoice, and names the markers found.
func InvoiceScore(text string) (score int, found []string) {
	if len(text) > 4<<20 {
		text = text[:4<<20]
	}
	text = normalize(text)
	for _, m := range markers {
		if m.re.MatchString(text) {
			score += m.weight
			found = append(found, m.name)
		}
	}
	return score, found
}

// LooksLikeInvoice reports whether text (a PDF page's text, an OFD's or a
// 数电 XML's content) carries a VAT invoice's markers: 发票号码 or 价税合计
// (or their XML element names) with enough of 开票日期, 发票代码,
// 购买方/销售方, 纳税人识别号 and 税额 that a bank statement (which may
// print 税额, a tax id or an invoice number in a description) does not pass.
func LooksLikeInvoice(text string) bool {
	if len(text) > 4<<20 {
		text = text[:4<<20]
	}
	text = normalize(text)
	score, strong := 0, false
	for _, m := range markers {
		if m.re.MatchString(text) {
			score += m.weight
			strong = strong || m.strong
		}
	}
	return strong && score >= 6
}

// LooksLikeInvoiceFile reports whether data is an invoice file by content,
// reading no more than it needs: a PDF's first page text, an OFD's
// OFD.xml and first page, an XML's start. It lets a caller tell invoices
// from statements without parsing either in full.
func LooksLikeInvoiceFile(ctx context.Context, data []byte) bool {
	switch Format(data) {
	case "xml":
		return true
	case "pdf":
		doc, err := pdftext.OpenContext(ctx, data, "")
		if err != nil || doc.NumPages() == 0 {
			return false
		}
		p, err := doc.Page(1)
		if err != nil || len(p.Glyphs) > maxPageGlyphs {
			return false
		}
		return LooksLikeInvoice(pageText(p.Lines()))
	case "ofd":
		inv, err := ParseOFDContext(ctx, "", data)
		return err == nil && inv.Number != ""
	}
	head := data[:min(len(data), 64<<10)]
	return utf8.Valid(head) && LooksLikeInvoice(string(head))
}

// notInvoice is the error for text without an invoice's markers; it says
// what was found, so that a person can tell a near miss from another kind
// of document.
func notInvoice(name, text string) error {
	if n := strings.Count(text, string(pdftext.Unmapped)); n >= 20 && n*10 >= utf8.RuneCountInString(text) {
		// Labels drawn in a font with neither a Unicode map nor a
		// known encoding read as nothing: say so, rather than "no
		// markers", so that nobody takes it for another document.
		return ferry.Errorf(ferry.ClassDocumentChanged, name, "%d characters of its text are drawn in a font without a Unicode map and cannot be read (the invoice's labels among them?); Ferry does not OCR; the invoice's OFD or XML can be read instead", n)
	}
	score, found := InvoiceScore(text)
	if score == 0 {
		return ferry.Errorf(ferry.ClassDocumentChanged, name, "not a VAT e-invoice: no invoice markers (发票号码, 价税合计, 开票日期 …) in its text; a statement? try --format, --template or --mapping")
	}
	return ferry.Errorf(ferry.ClassDocumentChanged, name, "not a VAT e-invoice Ferry can read: its text has only %s (score %d of the 6 needed); a layout Ferry does not know, or not an invoice (try --format or --template)", strings.Join(found, ", "), score)
}

// Format names what kind of invoice file data is: "pdf", "ofd", "xml", or
// "" when it is none of them.
func Format(data []byte) string {
	head := data[:min(len(data), 1024)]
	switch {
	case bytes.HasPrefix(data, []byte("%PDF-")) || bytes.Contains(head, []byte("%PDF-")):
		return "pdf"
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return "ofd"
	case bytes.Contains(head, []byte("<EInvoice")) || bytes.Contains(head, []byte(":EInvoice")):
		return "xml"
	}
	return ""
}

// Parse reads an invoice of any supported format: PDF, OFD or 数电 XML.
// When none fits, the error names the closest one and why it did not.
func Parse(ctx context.Context, name string, data []byte) (ferry.Invoice, error) {
	if err := ctx.Err(); err != nil {
		return ferry.Invoice{}, ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", err)
	}
	switch Format(data) {
	case "pdf":
		return ParsePDF(ctx, name, data)
	case "ofd":
		return ParseOFDContext(ctx, name, data)
	case "xml":
		return ParseXML(name, data)
	}
	return ferry.Invoice{}, closest(name, data)
}

// closest explains why data is none of the invoice formats.
func closest(name string, data []byte) error {
	head := bytes.TrimSpace(bytes.TrimPrefix(data[:min(len(data), 4096)], []byte("\xEF\xBB\xBF")))
	switch {
	case len(data) == 0:
		return ferry.Errorf(ferry.ClassDocumentChanged, name, "empty file: not a PDF, OFD or 数电 XML invoice")
	case bytes.HasPrefix(head, []byte("<")):
		root := "?"
		if e, err := parseElem(data[:min(len(data), 1<<20)]); err == nil {
			root = e.XMLName.Local
		}
		return ferry.Errorf(ferry.ClassDocumentChanged, name, "XML with root element <%s>: closest to a 数电 invoice XML, whose root is <EInvoice>; not an invoice Ferry can read", root)
	case bytes.HasPrefix(data, []byte("PK")):
		if _, err := zip.NewReader(bytes.NewReader(data), int64(len(data))); err != nil {
			return ferry.Errorf(ferry.ClassDocumentChanged, name, "a damaged ZIP (closest: an OFD invoice, which is a ZIP package): %v", err)
		}
	}
	if LooksLikeInvoice(string(head)) {
		return ferry.Errorf(ferry.ClassDocumentChanged, name, "text that reads like an invoice but is not a PDF, OFD or 数电 XML file; use einvoice.ParseText or --format")
	}
	return ferry.Errorf(ferry.ClassDocumentChanged, name, "not a PDF, OFD or 数电 XML invoice (%s)", sniff(head))
}

func sniff(head []byte) string {
	if len(head) > 16 {
		head = head[:16]
	}
	return fmt.Sprintf("starts %q", head)
}
