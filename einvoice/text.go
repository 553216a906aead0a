// Package einvoice reads Chinese VAT e-invoices (增值税电子普通/专用发票 and
// 全电发票) from PDF, OFD and XML into ferry.Invoice. Parsers are pure
// functions of bytes; every invoice is checked (ferry.Invoice.Check) by the
// caller before it is delivered.
package einvoice

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
)

// Field rules for invoice text in reading order: a label, a colon, a value.
// Real invoices space out two-character labels (名 称) and use full-width
// colons; the rules accept both.
var (
	reKind      = regexp.MustCompile(`(电子发票（(?:普通|增值税专用)发票）|(?:增值税)?电子(?:普通|专用)?发票|增值税(?:普通|专用)发票)`)
	reCode      = regexp.MustCompile(`发票代码\s*[:：]\s*(\d{10,12})`)
	reNumber    = regexp.MustCompile(`发票号码\s*[:：]\s*(\d{8,20})`)
	reDate      = regexp.MustCompile(`开票日期\s*[:：]\s*(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}-\d{2}-\d{2})`)
	reCheck     = regexp.MustCompile(`校\s*验\s*码\s*[:：]\s*([\d ]{16,30})`)
	reMachine   = regexp.MustCompile(`机器编号\s*[:：]\s*(\d+)`)
	reBuyer     = regexp.MustCompile(`购买方名称\s*[:：]\s*(\S+)`)
	reBuyerID   = regexp.MustCompile(`购买方纳税人识别号\s*[:：]\s*([0-9A-Z]{15,20})`)
	reSeller    = regexp.MustCompile(`销售方名称\s*[:：]\s*(\S+)`)
	reSellerID  = regexp.MustCompile(`销售方纳税人识别号\s*[:：]\s*([0-9A-Z]{15,20})`)
	reName      = regexp.MustCompile(`名\s*称\s*[:：]\s*(\S+)`)
	reTaxID     = regexp.MustCompile(`纳税人识别号\s*[:：]\s*([0-9A-Z]{15,20})`)
	reAmount    = regexp.MustCompile(`(?m)^\s*金\s*额\s*[:：]\s*[¥￥]?\s*(-?[\d,]+\.\d{2})`)
	reTax       = regexp.MustCompile(`(?m)^\s*税\s*额\s*[:：]\s*[¥￥]?\s*(-?[\d,]+\.\d{2})`)
	reSum       = regexp.MustCompile(`合\s*计\s+[¥￥]\s*(-?[\d,]+\.\d{2})\s+[¥￥]\s*(-?[\d,]+\.\d{2})`)
	reTotal     = regexp.MustCompile(`价税合计[^:：\n]*[:：]?[^\d\n¥￥]*?[¥￥]?\s*(-?[\d,]+\.\d{2})`)
	reTotalSm   = regexp.MustCompile(`[（(]小写[)）]\s*[¥￥]\s*(-?[\d,]+\.\d{2})`)
	reWords     = regexp.MustCompile(`[（(]大写[)）]\s*[ⓧ⊗]?\s*([零壹贰叁肆伍陆柒捌玖拾佰仟万亿圆元角分整正负]+)`)
	reItemPipes = regexp.MustCompile(`(?m)^\s*(\*[^|\n]*)\|([^|\n]*)\|([^|\n]*)\|([^|\n]*)\|([^|\n]*)\|([^|\n]*)\|([^|\n]*)\|([^|\n]*)\s*$`)
)

func money(s string) (decimal.Decimal, error) {
	return decimal.NewFromString(strings.ReplaceAll(strings.TrimSpace(s), ",", ""))
}

func optDecimal(s string) (decimal.Decimal, error) {
	if strings.TrimSpace(s) == "" {
		return decimal.Zero, nil
	}
	return money(s)
}

func first(re *regexp.Regexp, text string) string {
	if m := re.FindStringSubmatch(text); m != nil {
		return strings.TrimSpace(m[1])
	}
	return ""
}

// fromText applies the field rules to an invoice's text. where names the
// source in errors.
func fromText(where, text string) (ferry.Invoice, error) {
	inv := ferry.Invoice{Currency: "CNY", Source: where}
	bad := func(format string, args ...any) error {
		return ferry.Errorf(ferry.ClassDocumentChanged, where, format, args...)
	}
	inv.Kind = first(reKind, text)
	inv.Code = first(reCode, text)
	inv.Number = first(reNumber, text)
	if inv.Number == "" {
		return inv, bad("no 发票号码 (invoice number): not a VAT e-invoice, or a layout Ferry does not know")
	}
	if s := first(reDate, text); s != "" {
		d, err := ferry.ParseDate(strings.ReplaceAll(s, " ", ""))
		if err != nil {
			return inv, bad("开票日期 %q: %v", s, err)
		}
		inv.IssueDate = d
	}
	inv.CheckCode = strings.ReplaceAll(first(reCheck, text), " ", "")
	inv.MachineNo = first(reMachine, text)
	inv.BuyerName, inv.BuyerTaxID = first(reBuyer, text), first(reBuyerID, text)
	inv.SellerName, inv.SellerTaxID = first(reSeller, text), first(reSellerID, text)
	// Printed invoices: "名 称:" and "纳税人识别号:" twice, buyer first.
	if inv.BuyerName == "" {
		if names := reName.FindAllStringSubmatch(text, 2); len(names) == 2 {
			inv.BuyerName, inv.SellerName = names[0][1], names[1][1]
		}
	}
	if inv.BuyerTaxID == "" {
		if ids := reTaxID.FindAllStringSubmatch(text, 2); len(ids) == 2 {
			inv.BuyerTaxID, inv.SellerTaxID = ids[0][1], ids[1][1]
		}
	}
	for _, m := range reItemPipes.FindAllStringSubmatch(text, -1) {
		it := ferry.InvoiceItem{Name: strings.TrimSpace(m[1]), Spec: strings.TrimSpace(m[2]), Unit: strings.TrimSpace(m[3]), TaxRate: strings.TrimSpace(m[7])}
		var err error
		for _, f := range []struct {
			dst *decimal.Decimal
			s   string
			n   string
		}{{&it.Quantity, m[4], "数量"}, {&it.UnitPrice, m[5], "单价"}, {&it.Amount, m[6], "金额"}, {&it.Tax, m[8], "税额"}} {
			if *f.dst, err = optDecimal(f.s); err != nil {
				return inv, bad("item %q: %s %q is not a number", it.Name, f.n, f.s)
			}
		}
		inv.Items = append(inv.Items, it)
	}
	var err error
	if m := reSum.FindStringSubmatch(text); m != nil {
		if inv.Amount, err = money(m[1]); err == nil {
			inv.Tax, err = money(m[2])
		}
		inv.AmountStated = true
	} else {
		if s := first(reAmount, text); s != "" {
			inv.Amount, err = money(s)
			inv.AmountStated = true
		}
		if s := first(reTax, text); s != "" && err == nil {
			inv.Tax, err = money(s)
		}
	}
	if err != nil {
		return inv, bad("合计: %v", err)
	}
	total := first(reTotalSm, text)
	if total == "" {
		total = first(reTotal, text)
	}
	if total == "" {
		return inv, bad("no 价税合计 (total including tax)")
	}
	if inv.Total, err = money(total); err != nil {
		return inv, bad("价税合计 %q: %v", total, err)
	}
	inv.TotalInWords = first(reWords, text)
	if !inv.AmountStated && len(inv.Items) > 0 {
		// Some layouts print only the tax and the total; the amount before
		// tax is then the items' sum (Check still verifies it adds up).
		for _, it := range inv.Items {
			inv.Amount = inv.Amount.Add(it.Amount)
		}
	}
	return inv, nil
}

// ParseText reads an invoice from its text in reading order.
func ParseText(name, text string) (ferry.Invoice, error) { return fromText(name, text) }

func fmtWhere(name string, page int) string { return fmt.Sprintf("%s: page %d", name, page) }
