package ferry

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Invoice is a VAT invoice as the tax system issued it: a 增值税电子普通/专用
// 发票 (with a code and a number) or a 全电发票 (fully digital, a 20-digit
// number and no code).
type Invoice struct {
	Kind         string          // the title printed on it, e.g. 增值税电子普通发票
	Code         string          // 发票代码 (empty on 全电 invoices)
	Number       string          // 发票号码
	IssueDate    Date            // 开票日期
	CheckCode    string          // 校验码
	MachineNo    string          // 机器编号
	BuyerName    string          // 购买方名称
	BuyerTaxID   string          // 购买方纳税人识别号
	SellerName   string          // 销售方名称
	SellerTaxID  string          // 销售方纳税人识别号
	Amount       decimal.Decimal // 金额 (合计, before tax)
	Tax          decimal.Decimal // 税额 (合计)
	Total        decimal.Decimal // 价税合计 (小写)
	TotalInWords string          // 价税合计 (大写), as printed
	Currency     string
	Items        []InvoiceItem
	AmountStated bool // 金额 was printed (not derived from the items)
	Source       string
}

// InvoiceItem is one line of an invoice.
type InvoiceItem struct {
	Name      string          // 项目名称 / 货物或应税劳务、服务名称
	Spec      string          // 规格型号
	Unit      string          // 单位
	Quantity  decimal.Decimal // 数量
	UnitPrice decimal.Decimal // 单价
	Amount    decimal.Decimal // 金额
	TaxRate   string          // 税率, as printed (13%, 免税, 不征税)
	Tax       decimal.Decimal // 税额
}

// DedupKey identifies the invoice across downloads and formats: the seller,
// the code and the number.
func (inv Invoice) DedupKey() string {
	return "inv_" + SHA256Hex([]byte(strings.Join([]string{"invoice", inv.SellerTaxID, inv.Code, inv.Number}, "\x1f")))[:40]
}

// ErrInvoiceInconsistent reports an invoice whose figures do not agree.
var ErrInvoiceInconsistent = errors.New("invoice figures do not agree")

// Check verifies the invoice against itself: 金额 + 税额 = 价税合计, the
// amount in words equals the figures, and the items add up to the totals.
// An invoice that fails is flagged, never delivered as correct.
func (inv Invoice) Check() error {
	var problems []string
	if inv.Number == "" {
		problems = append(problems, "no invoice number (发票号码)")
	}
	if !inv.Amount.Add(inv.Tax).Equal(inv.Total) {
		problems = append(problems, fmt.Sprintf("金额 %s + 税额 %s ≠ 价税合计 %s", inv.Amount.StringFixed(2), inv.Tax.StringFixed(2), inv.Total.StringFixed(2)))
	}
	if inv.TotalInWords != "" {
		w, err := ParseChineseAmount(inv.TotalInWords)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("价税合计（大写） %q: %v", inv.TotalInWords, err))
		case !w.Equal(inv.Total):
			problems = append(problems, fmt.Sprintf("价税合计（大写） %s reads %s, the figures say %s", inv.TotalInWords, w.StringFixed(2), inv.Total.StringFixed(2)))
		}
	}
	if len(inv.Items) > 0 {
		var a, t decimal.Decimal
		for _, it := range inv.Items {
			a, t = a.Add(it.Amount), t.Add(it.Tax)
		}
		if !a.Equal(inv.Amount) {
			problems = append(problems, fmt.Sprintf("items' 金额 add up to %s, the invoice says %s", a.StringFixed(2), inv.Amount.StringFixed(2)))
		}
		if !t.Equal(inv.Tax) {
			problems = append(problems, fmt.Sprintf("items' 税额 add up to %s, the invoice says %s", t.StringFixed(2), inv.Tax.StringFixed(2)))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: invoice %s: %s", ErrInvoiceInconsistent, inv.Number, strings.Join(problems, "; "))
	}
	return nil
}

var cnDigits = map[rune]int64{'零': 0, '〇': 0, '壹': 1, '贰': 2, '叁': 3, '肆': 4, '伍': 5, '陆': 6, '柒': 7, '捌': 8, '玖': 9,
	'一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}

// ParseChineseAmount reads an amount in Chinese capital numerals, as 价税合计
// （大写） prints it: 贰万零叁佰壹拾贰圆伍角整 → 20312.50.
func ParseChineseAmount(s string) (decimal.Decimal, error) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "ⓧ"))
	s = strings.TrimPrefix(s, "⊗")
	neg := false
	if strings.HasPrefix(s, "负") {
		neg, s = true, strings.TrimPrefix(s, "负")
	}
	s = strings.TrimSuffix(strings.TrimSuffix(s, "整"), "正")
	if s == "" {
		return decimal.Zero, errors.New("empty")
	}
	var total, section int64 // in fen (0.01)
	var yuanDone bool
	var fen int64
	pending := int64(-1)
	for _, r := range s {
		if d, ok := cnDigits[r]; ok {
			pending = d
			continue
		}
		switch r {
		case '拾', '十':
			if pending < 0 {
				pending = 1
			}
			section += pending * 10
			pending = -1
		case '佰', '百':
			section += max(pending, 0) * 100
			pending = -1
		case '仟', '千':
			section += max(pending, 0) * 1000
			pending = -1
		case '万':
			if pending > 0 {
				section += pending
			}
			total += section * 10000
			section, pending = 0, -1
		case '亿':
			if pending > 0 {
				section += pending
			}
			total = (total + section) * 100000000
			section, pending = 0, -1
		case '圆', '元':
			if pending > 0 {
				section += pending
			}
			total += section
			section, pending, yuanDone = 0, -1, true
		case '角':
			if pending < 0 {
				return decimal.Zero, fmt.Errorf("角 without a digit in %q", s)
			}
			fen += pending * 10
			pending = -1
		case '分':
			if pending < 0 {
				return decimal.Zero, fmt.Errorf("分 without a digit in %q", s)
			}
			fen += pending
			pending = -1
		default:
			return decimal.Zero, fmt.Errorf("not a Chinese amount: unexpected %q in %q", string(r), s)
		}
	}
	if pending > 0 || !yuanDone && section > 0 {
		if yuanDone {
			return decimal.Zero, fmt.Errorf("digit without a unit at the end of %q", s)
		}
		total += section + max(pending, 0)
	}
	d := decimal.New(total, 0).Add(decimal.New(fen, -2))
	if neg {
		d = d.Neg()
	}
	return d, nil
}
