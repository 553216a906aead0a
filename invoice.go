package ferry

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Invoice is a VAT invoice as the tax system issued it: a 增值税电子普通/专用
// 发票 (a 10- or 12-digit code and an 8-digit number) or a 数电 (全电,
// fully digital) 电子发票（普通发票）/（增值税专用发票） with a 20-digit number
// and no code.
type Invoice struct {
	Kind         string          // the title printed on it, e.g. 增值税电子普通发票, 电子发票（普通发票）
	Code         string          // 发票代码 (empty on 数电 invoices)
	Number       string          // 发票号码
	IssueDate    Date            // 开票日期
	CheckCode    string          // 校验码 (20 digits, on 普通 invoices with a code)
	MachineNo    string          // 机器编号
	BuyerName    string          // 购买方名称
	BuyerTaxID   string          // 购买方纳税人识别号 (may be absent for an individual on a 普通 invoice)
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
	// TaxPrinted is the 税额 合计 as printed when it is not a figure: ***,
	// ＊＊＊, 免税 or 不征税 on invoices whose lines carry no tax. Tax is
	// then zero because the invoice says so.
	TaxPrinted string
	// Red is set on a red-letter (红字, 销项负数) invoice, which cancels an
	// earlier one: its amounts are negative.
	Red bool
	// Toll is set on a highway-toll (通行费) invoice, whose item table has
	// plates and travel dates instead of quantities and prices.
	Toll bool
	// Flags are what the reader could not read in full, or found that does
	// not fit the layout (an item table with no item read, two values in
	// one cell). Check reports every flag: a flagged invoice is never
	// delivered as correct.
	Flags []string
	// Notes say how the reader understood the file where it had to choose
	// (which source gave a field), for a person reviewing the parse.
	Notes []string
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
	// QuantityStated and PriceStated say whether 数量 and 单价 were printed
	// (services often leave both empty).
	QuantityStated, PriceStated bool
	// TaxPrinted is the 税额 cell as printed when it is not a figure (***,
	// ＊＊＊): Tax is then zero because the invoice says so.
	TaxPrinted string
	// Plate, VehicleType, PassFrom and PassTo are a toll invoice's 车牌号,
	// 类型, 通行日期起 and 通行日期止, as printed.
	Plate, VehicleType, PassFrom, PassTo string
}

// DedupKey identifies the invoice across downloads and formats: the seller,
// the code and the number.
func (inv Invoice) DedupKey() string {
	return "inv_" + SHA256Hex([]byte(strings.Join([]string{"invoice", inv.SellerTaxID, inv.Code, inv.Number}, "\x1f")))[:40]
}

// ErrInvoiceInconsistent reports an invoice whose figures do not agree, or
// that lacks a field its kind requires.
var ErrInvoiceInconsistent = errors.New("invoice figures do not agree")

// Digital reports whether the invoice is a 数电 (全电, fully digital)
// invoice: titled 电子发票（…）, or numbered with 20 digits and no code.
func (inv Invoice) Digital() bool {
	return strings.HasPrefix(inv.Kind, "电子发票") || inv.Code == "" && len(inv.Number) == 20
}

// Special reports whether the invoice is a 专用发票 (a special VAT invoice
// that lets the buyer deduct input tax): the buyer's tax id is required.
func (inv Invoice) Special() bool { return strings.Contains(inv.Kind, "专用") }

// exemptRates are the 税率 texts of lines that carry no tax.
var exemptRates = []string{"免税", "不征税", "出口免税", "免征"}

// TaxExempt reports whether rate, as printed, means the line carries no
// tax (免税, 不征税 ...).
func TaxExempt(rate string) bool {
	rate = strings.TrimSpace(rate)
	for _, r := range exemptRates {
		if strings.Contains(rate, r) {
			return true
		}
	}
	return false
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Check verifies that the invoice has every field its kind requires and
// agrees with itself: the code and number in the kind's form, the issue
// date, the check code where the kind prints one, both parties' names and
// valid tax ids (the buyer's may be absent on a 普通 invoice to an
// individual), 金额 + 税额 = 价税合计, the amount in words equals the
// figures, the items add up to the totals and each item's quantity × unit
// price is its amount within rounding. It also reports every reader flag.
// An invoice that fails is flagged, never delivered as correct.
func (inv Invoice) Check() error {
	problems := append([]string(nil), inv.Flags...)
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if strings.TrimSpace(inv.Kind) == "" {
		add("no invoice kind (the title, e.g. 电子发票（普通发票）)")
	}
	digital := inv.Digital()
	switch {
	case inv.Number == "":
		add("no invoice number (发票号码)")
	case digital && (len(inv.Number) != 20 || !allDigits(inv.Number)):
		add("发票号码 %q: a 数电 invoice has a 20-digit number", inv.Number)
	case !digital && (len(inv.Number) != 8 || !allDigits(inv.Number)):
		add("发票号码 %q: an invoice with a 发票代码 has an 8-digit number", inv.Number)
	}
	switch {
	case digital && inv.Code != "":
		add("发票代码 %q on a 数电 invoice, which has none", inv.Code)
	case !digital && inv.Code == "":
		add("no invoice code (发票代码)")
	case !digital && (len(inv.Code) != 10 && len(inv.Code) != 12 || !allDigits(inv.Code)):
		add("发票代码 %q: want 10 or 12 digits", inv.Code)
	}
	for _, f := range []struct{ name, v string }{{"发票代码", inv.Code}, {"发票号码", inv.Number}, {"校验码", inv.CheckCode}, {"购买方纳税人识别号", inv.BuyerTaxID}, {"销售方纳税人识别号", inv.SellerTaxID}} {
		if f.v != "" && strings.Trim(f.v, "0") == "" {
			// Sample and desensitised invoices print zeros where the
			// value was: no invoice the tax system issues has them.
			add("%s %s is all zeros: a placeholder, not a real value", f.name, f.v)
		}
	}
	if inv.IssueDate.IsZero() {
		add("no issue date (开票日期)")
	}
	switch {
	case inv.CheckCode != "" && (len(inv.CheckCode) != 20 || !allDigits(inv.CheckCode)):
		add("校验码 %q: want 20 digits", inv.CheckCode)
	case inv.CheckCode == "" && !digital && !inv.Special():
		add("no check code (校验码), which a 普通 invoice with a code prints")
	}
	for _, p := range []struct{ who, name, id string }{{"buyer (购买方)", inv.BuyerName, inv.BuyerTaxID}, {"seller (销售方)", inv.SellerName, inv.SellerTaxID}} {
		if strings.TrimSpace(p.name) == "" {
			add("no %s name (名称)", p.who)
		}
		if p.id == "" {
			// An individual buying on a 普通 invoice gives no tax id.
			if p.who[0] == 's' || inv.Special() {
				add("no %s tax id (纳税人识别号)", p.who)
			}
			continue
		}
		if err := ValidTaxID(p.id); err != nil {
			add("%s tax id %q: %v", p.who, p.id, err)
		}
	}
	if inv.Currency != "" && inv.Currency != "CNY" {
		add("currency %s: a VAT invoice is in CNY", inv.Currency)
	}
	if !inv.Amount.Add(inv.Tax).Equal(inv.Total) {
		add("金额 %s + 税额 %s ≠ 价税合计 %s", fen(inv.Amount), fen(inv.Tax), fen(inv.Total))
	}
	if inv.Total.IsZero() {
		add("价税合计 is 0.00")
	}
	if inv.Red != inv.Total.IsNegative() {
		add("a red-letter (销项负数) invoice has a negative total; this one: red %v, total %s", inv.Red, fen(inv.Total))
	}
	if inv.TaxPrinted != "" && !inv.Tax.IsZero() {
		add("税额 printed as %q but read as %s", inv.TaxPrinted, fen(inv.Tax))
	}
	if inv.TotalInWords == "" {
		add("no 价税合计（大写） (the total in words)")
	} else {
		w, err := ParseChineseAmount(inv.TotalInWords)
		switch {
		case err != nil:
			add("价税合计（大写） %q: %v", inv.TotalInWords, err)
		case !w.Equal(inv.Total):
			add("价税合计（大写） %s reads %s, the figures say %s", inv.TotalInWords, fen(w), fen(inv.Total))
		}
	}
	if len(inv.Items) == 0 {
		add("no items read (项目名称 …)")
	}
	// Amounts are in fen: a figure with more decimals is a unit price or a
	// quantity read into the wrong cell.
	for _, f := range []struct {
		name string
		v    decimal.Decimal
	}{{"金额", inv.Amount}, {"税额", inv.Tax}, {"价税合计", inv.Total}} {
		if !f.v.Equal(f.v.Round(2)) {
			add("%s %s has more decimals than fen", f.name, f.v)
		}
	}
	var a, t decimal.Decimal
	for i, it := range inv.Items {
		a, t = a.Add(it.Amount), t.Add(it.Tax)
		n := i + 1
		if strings.TrimSpace(it.Name) == "" {
			add("item %d: no name (项目名称)", n)
		}
		for _, f := range []struct {
			name string
			v    decimal.Decimal
		}{{"金额", it.Amount}, {"税额", it.Tax}} {
			if !f.v.Equal(f.v.Round(2)) {
				add("item %d %s: %s %s has more decimals than fen: a unit price or quantity read into its cell?", n, it.Name, f.name, f.v)
			}
		}
		if it.QuantityStated != it.PriceStated {
			add("item %d %s: 数量 and 单价 must be printed together (数量 %v, 单价 %v)", n, it.Name, it.QuantityStated, it.PriceStated)
		}
		if it.QuantityStated && it.PriceStated {
			if diff, tol := it.Quantity.Mul(it.UnitPrice).Sub(it.Amount).Abs(), productTolerance(it.Quantity, it.UnitPrice); diff.GreaterThan(tol) {
				add("item %d %s: 数量 %s × 单价 %s = %s, 金额 is %s", n, it.Name, it.Quantity, it.UnitPrice, fen(it.Quantity.Mul(it.UnitPrice)), fen(it.Amount))
			}
		}
		if TaxExempt(it.TaxRate) && !it.Tax.IsZero() {
			add("item %d %s: 税率 %s but 税额 %s", n, it.Name, it.TaxRate, fen(it.Tax))
		}
		if it.TaxPrinted != "" && !TaxExempt(it.TaxRate) && !zeroRate(it.TaxRate) && !starred(it.TaxRate) {
			add("item %d %s: 税额 printed as %q with 税率 %q", n, it.Name, it.TaxPrinted, it.TaxRate)
		}
		if strings.TrimSpace(it.TaxRate) == "" {
			add("item %d %s: no 税率", n, it.Name)
		}
	}
	if len(inv.Items) > 0 {
		if !a.Equal(inv.Amount) {
			add("items' 金额 add up to %s, the invoice says %s", fen(a), fen(inv.Amount))
		}
		if !t.Equal(inv.Tax) {
			add("items' 税额 add up to %s, the invoice says %s", fen(t), fen(inv.Tax))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: invoice %s: %s", ErrInvoiceInconsistent, inv.Number, strings.Join(problems, "; "))
	}
	return nil
}

// fen prints an amount to the fen, or in full where it has more decimals
// (so that a message never shows two different figures alike).
func fen(d decimal.Decimal) string {
	if d.Equal(d.Round(2)) {
		return d.StringFixed(2)
	}
	return d.String()
}

// starred reports whether a printed 税率 is only stars (*, ***): no rate
// applies to the line (不征税 lines in the tax bureau's XML, 差额征税
// lines on the page).
func starred(rate string) bool {
	rate = strings.TrimSpace(rate)
	return rate != "" && strings.Trim(rate, "*＊") == ""
}

// zeroRate reports whether a printed 税率 is zero (0%, 0).
func zeroRate(rate string) bool {
	r, err := decimal.NewFromString(strings.TrimSuffix(strings.TrimSpace(rate), "%"))
	return err == nil && r.IsZero()
}

// productTolerance is how far quantity × unit price may be from the
// printed amount: the one fen the tax system allows, plus what the rounding
// of a factor printed with many decimals (a unit price derived as amount ÷
// quantity) can move the product. Factors with few decimals are exact.
func productTolerance(q, p decimal.Decimal) decimal.Decimal {
	rounding := func(d decimal.Decimal) decimal.Decimal { // half a unit of d's last digit, if d was cut there
		if d.Exponent() > -4 {
			return decimal.Zero
		}
		return decimal.New(5, d.Exponent()-1)
	}
	return decimal.New(1, -2).Add(q.Abs().Mul(rounding(p))).Add(p.Abs().Mul(rounding(q)))
}

// usccAlphabet is the alphabet of the 18-character 统一社会信用代码 (GB 32100-2015):
// digits and the capitals without I, O, S, V and Z.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// ValidTaxID checks a 纳税人识别号 in the forms the tax system issues: the
// 18-character 统一社会信用代码 with its check character, an 18-character
// resident id number (individuals), and the older 15-character (region +
// organisation code), 17- and 20-character (resident id + 2 digits) forms.
func ValidTaxID(id string) error {
	switch len(id) {
	case 18:
		if usccValid(id) || residentIDValid(id) {
			return nil
		}
		if strings.IndexFunc(id, func(r rune) bool { return !strings.ContainsRune(usccAlphabet, r) }) >= 0 {
			return errors.New("not a 统一社会信用代码: characters outside its alphabet (no I, O, S, V, Z)")
		}
		return errors.New("the 统一社会信用代码's check character does not match")
	case 15:
		if allDigits(id) || allDigits(id[:6]) && orgCodeValid(id[6:]) {
			return nil
		}
		return errors.New("not a 15-character tax id (region code + organisation code with its check character)")
	case 17:
		if allDigits(id) {
			return nil
		}
		return errors.New("a 17-character tax id is 17 digits")
	case 20:
		if residentIDValid(id[:18]) && allDigits(id[18:]) {
			return nil
		}
		return errors.New("not a 20-character tax id (resident id number + 2 digits)")
	}
	return fmt.Errorf("%d characters: a tax id has 18 (or the older 15, 17 or 20)", len(id))
}

func usccValid(id string) bool {
	if len(id) != 18 {
		return false
	}
	sum, w := 0, 1
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(usccAlphabet, id[i])
		if v < 0 {
			return false
		}
		sum += v * w
		w = w * 3 % 31
	}
	c := (31 - sum%31) % 31
	return id[17] == usccAlphabet[c]
}

func residentIDValid(id string) bool {
	if len(id) != 18 || !allDigits(id[:17]) {
		return false
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(id[i]-'0') * w
	}
	return id[17] == "10X98765432"[sum%11]
}

// orgCodeValid checks a 9-character 组织机构代码 (GB 11714): 8 digits or
// capitals and a check character.
func orgCodeValid(c string) bool {
	if len(c) != 9 {
		return false
	}
	weights := [8]int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		ch := c[i]
		var v int
		switch {
		case ch >= '0' && ch <= '9':
			v = int(ch - '0')
		case ch >= 'A' && ch <= 'Z':
			v = int(ch-'A') + 10
		default:
			return false
		}
		sum += v * w
	}
	want := "0123456789X0"[11-sum%11]
	return c[8] == want
}

var cnDigits = map[rune]int64{'零': 0, '〇': 0, '壹': 1, '贰': 2, '叁': 3, '肆': 4, '伍': 5, '陆': 6, '柒': 7, '捌': 8, '玖': 9,
	'一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}

// ParseChineseAmount reads an amount in Chinese capital numerals, as 价税合计
// （大写） prints it: 贰万零叁佰壹拾贰圆伍角整 → 20312.50.
func ParseChineseAmount(s string) (decimal.Decimal, error) {
	// Printed words may be spaced out, and start with the ⓧ/⊗ mark that
	// stops figures being added in front; red-letter invoices prefix 负 or
	// (负数).
	s = strings.Join(strings.Fields(s), "")
	s = strings.TrimLeft(s, "ⓧ⊗Ⓧ×")
	neg := false
	for _, p := range []string{"(负数)", "（负数）", "负数", "负"} {
		if strings.HasPrefix(s, p) {
			neg, s = true, strings.TrimLeft(strings.TrimPrefix(s, p), "ⓧ⊗Ⓧ×")
			break
		}
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
