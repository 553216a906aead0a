package einvoice

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/ferry-rpa/ferry"
)

// markers are what VAT invoices print, each with its weight: strong ones
// (发票号码, 价税合计) appear on nothing else a finance team receives.
var markers = []struct {
	re     *regexp.Regexp
	name   string
	weight int
}{
	{regexp.MustCompile(lab("发票号码")), "发票号码", 3},
	{regexp.MustCompile(lab("价税合计")), "价税合计", 3},
	{regexp.MustCompile(lab("发票代码")), "发票代码", 2},
	{regexp.MustCompile(lab("开票日期")), "开票日期", 2},
	{regexp.MustCompile(lab("校验码")), "校验码", 1},
	{regexp.MustCompile(lab("购买方") + `|` + lab("购方") + `|` + lab("购 买 方")), "购买方", 1},
	{regexp.MustCompile(lab("销售方") + `|` + lab("销方")), "销售方", 1},
	{regexp.MustCompile(lab("纳税人识别号")), "纳税人识别号", 1},
	{regexp.MustCompile(lab("税额")), "税额", 1},
	{regexp.MustCompile(`发票|InvoiceNumber|EIid|TaxInclusiveTotalAmount`), "发票", 1},
	{regexp.MustCompile(lab("开票人")), "开票人", 1},
}

// InvoiceScore rates how much text (a PDF page's text, an OFD's or XML
// content) looks like a Chinese VAT invoice, and names the markers found.
// A score of 6 or more is an invoice (see LooksLikeInvoice).
func InvoiceScore(text string) (score int, found []string) {
	text = normalize(text)
	if len(text) > 4<<20 {
		text = text[:4<<20]
	}
	for _, m := range markers {
		if m.re.MatchString(text) {
			score += m.weight
			found = append(found, m.name)
		}
	}
	return score, found
}

// LooksLikeInvoice reports whether text carries a VAT invoice's markers:
// 发票号码 or 价税合计 with enough of 开票日期, 发票代码, 购买方/销售方,
// 纳税人识别号 and 税额 that a bank statement (which may print 税额 or
// a counterparty's tax id) does not pass.
func LooksLikeInvoice(text string) bool {
	score, found := InvoiceScore(text)
	strong := false
	for _, f := range found {
		if f == "发票号码" || f == "价税合计" {
			strong = true
		}
	}
	return strong && score >= 6
}

// notInvoice is the error for text without an invoice's markers; it says
// what was found, so that a person can tell a near miss from another kind
// of document.
func notInvoice(name, text string) error {
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
