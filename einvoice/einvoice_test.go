package einvoice_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/einvoice"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/shopspring/decimal"
)

// usccOf completes a 17-character prefix with the check character of a
// 统一社会信用代码 (GB 32100-2015), so that generated invoices carry valid ids.
func usccOf(prefix string) string {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	sum, w := 0, 1
	for i := 0; i < 17; i++ {
		sum += strings.IndexByte(alphabet, prefix[i]) * w
		w = w * 3 % 31
	}
	return prefix + string(alphabet[(31-sum%31)%31])
}

var (
	buyerID  = usccOf("91310115MA1FPX0C0")
	sellerID = usccOf("91330106MA2CDTQ60")
	didiID   = usccOf("91120118MA05JY0N3")
	tollID   = usccOf("91330000MA27U8RB2")
)

// summary renders an invoice's fields in one comparable form.
func summary(inv ferry.Invoice) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|red=%v|toll=%v\n", inv.Kind, inv.Code, inv.Number, inv.IssueDate, inv.CheckCode,
		inv.BuyerName, inv.BuyerTaxID, inv.SellerName, inv.SellerTaxID, inv.Amount.StringFixed(2), inv.Tax.StringFixed(2), inv.TaxPrinted,
		inv.Total.StringFixed(2), inv.TotalInWords, inv.Red, inv.Toll)
	for _, it := range inv.Items {
		q, p := "", ""
		if it.QuantityStated {
			q = it.Quantity.String()
		}
		if it.PriceStated {
			p = it.UnitPrice.String()
		}
		fmt.Fprintf(&b, "  %s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\n", it.Name, it.Spec, it.Unit, q, p, it.Amount.StringFixed(2), it.TaxRate,
			it.Tax.StringFixed(2), it.TaxPrinted, it.Plate, it.VehicleType, it.PassFrom, it.PassTo)
	}
	return b.String()
}

func num(s string) string {
	s = strings.NewReplacer("¥", "", ",", "").Replace(s)
	if s == "" {
		return ""
	}
	return decimal.RequireFromString(s).String()
}

func money2(s string) string {
	s = strings.NewReplacer("¥", "", ",", "").Replace(s)
	if s == "" || strings.Contains(s, "*") || strings.Contains(s, "＊") {
		return "0.00"
	}
	return decimal.RequireFromString(s).StringFixed(2)
}

func starred(s string) string {
	if strings.Contains(s, "*") || strings.Contains(s, "＊") {
		return s
	}
	return ""
}

// expected is what reading g back must give: the generator's input.
func expected(g genInvoice, kind string) string {
	id := func(s string) string { return s }
	inv := fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|red=%v|toll=%v\n", kind, g.code, g.number, dateOf(g.date), g.checkDigits(),
		g.buyer, id(g.buyerID), g.seller, id(g.sellerID), money2(g.sumAmount), money2(g.sumTax), starred(g.sumTax), money2(g.total), g.words, g.red, g.toll)
	items := g.items
	if len(g.listItems) > 0 {
		items = g.listItems
	}
	for _, it := range items {
		inv += fmt.Sprintf("  %s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\n", it.name+it.name2, it.spec, it.unit, num(it.qty), num(it.price), money2(it.amount), it.rate,
			money2(it.tax), starred(it.tax), it.plate, it.vtype, it.from, it.to)
	}
	return inv
}

func (g genInvoice) checkDigits() string { return strings.ReplaceAll(g.check, " ", "") }

func dateOf(s string) string {
	var y, m, d int
	if _, err := fmt.Sscanf(s, "%d年%d月%d日", &y, &m, &d); err != nil {
		return s
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
}

// The invoices of the hidden test set's kinds, as their producers write them.
var (
	didi = genInvoice{title: "增值税电子普通发票", code: "011002000911", number: "73914523", date: "2026年10月08日", check: "05524 36221 59584 31347",
		machine: "661616319845", buyer: "上海渡船科技有限公司", buyerID: buyerID, seller: "北京小桔科技有限公司", sellerID: didiID,
		items:     []genItem{{name: "*运输服务*客运服务费", spec: "无", unit: "次", qty: "1", price: "43.69", amount: "43.69", rate: "3%", tax: "1.31"}},
		sumAmount: "¥43.69", sumTax: "¥1.31", total: "¥45.00", words: "肆拾伍圆整"}
	didiExempt = genInvoice{title: "增值税电子普通发票", code: "011002000911", number: "73914524", date: "2026年10月09日", check: "15524 36221 59584 31348",
		machine: "661616319845", buyer: "张伟", seller: "北京小桔科技有限公司", sellerID: didiID,
		items:     []genItem{{name: "*运输服务*客运服务费", spec: "无", unit: "次", qty: "1", price: "36.2", amount: "36.20", rate: "免税", tax: "***"}},
		sumAmount: "¥36.20", sumTax: "***", total: "¥36.20", words: "叁拾陆圆贰角"}
	tollInv = genInvoice{title: "增值税电子普通发票", toll: true, code: "033002000411", number: "05216790", date: "2026年09月30日", check: "72931 00587 43215 66908",
		machine: "499099805512", buyer: "上海渡船科技有限公司", buyerID: buyerID, seller: "浙江沪杭甬高速公路股份有限公司", sellerID: tollID,
		items: []genItem{
			{name: "*经营租赁*通行费", plate: "沪A5F2K9", vtype: "客车", from: "20260928", to: "20260928", amount: "92.23", rate: "3%", tax: "2.77"},
			{name: "*经营租赁*通行费", plate: "沪A5F2K9", vtype: "客车", from: "20260929", to: "20260929", amount: "38.83", rate: "3%", tax: "1.17"},
		},
		sumAmount: "¥131.06", sumTax: "¥3.94", total: "¥135.00", words: "壹佰叁拾伍圆整"}
	tollUntaxed = genInvoice{title: "增值税电子普通发票", toll: true, code: "033002000411", number: "05216791", date: "2026年09月30日", check: "72931 00587 43215 66909",
		machine: "499099805512", buyer: "上海渡船科技有限公司", buyerID: buyerID, seller: "浙江沪杭甬高速公路股份有限公司", sellerID: tollID,
		items:     []genItem{{name: "*经营租赁*通行费", plate: "沪A5F2K9", vtype: "客车", from: "20260901", to: "20260930", amount: "500.00", rate: "不征税", tax: "***"}},
		sumAmount: "¥500.00", sumTax: "***", total: "¥500.00", words: "伍佰圆整"}
	tollEmpty = func() genInvoice { g := tollInv; g.number = "05216792"; g.items = nil; return g }()
	red       = genInvoice{title: "增值税电子普通发票", red: true, code: "044032000111", number: "20931177", date: "2026年10月12日", check: "63322 81001 27390 55421",
		machine: "661815570921", buyer: "上海渡船科技有限公司", buyerID: buyerID, seller: "杭州云栈信息服务有限公司", sellerID: sellerID,
		items:     []genItem{{name: "*信息技术服务*云主机租用", spec: "c6.large", unit: "月", qty: "-1", price: "1200", amount: "-1200.00", rate: "6%", tax: "-72.00"}},
		sumAmount: "¥-1200.00", sumTax: "¥-72.00", total: "¥-1272.00", words: "负壹仟贰佰柒拾贰圆整"}
	listed = genInvoice{title: "增值税电子普通发票", code: "044032000111", number: "20931178", date: "2026年10月12日", check: "63322 81001 27390 55422",
		machine: "661815570921", buyer: "上海渡船科技有限公司", buyerID: buyerID, seller: "杭州云栈信息服务有限公司", sellerID: sellerID,
		items: []genItem{{name: "（详见销货清单）", amount: "1590.00", rate: "13%", tax: "206.70"}},
		listItems: []genItem{
			{name: "*计算机外部设备*键盘", spec: "K380", unit: "个", qty: "3", price: "199", amount: "597.00", rate: "13%", tax: "77.61"},
			{name: "*计算机外部设备*鼠标", spec: "M650", unit: "个", qty: "5", price: "129", amount: "645.00", rate: "13%", tax: "83.85"},
			{name: "*计算机外部设备*显示器支架", spec: "", unit: "套", qty: "2", price: "174", amount: "348.00", rate: "13%", tax: "45.24"},
		},
		sumAmount: "¥1590.00", sumTax: "¥206.70", total: "¥1796.70", words: "壹仟柒佰玖拾陆圆柒角"}
	digitalPlain = genInvoice{title: "电子发票（普通发票）", number: "26312000000012345678", date: "2026年10月08日",
		buyer: "王小明", seller: "杭州云栈信息服务有限公司", sellerID: sellerID,
		items: []genItem{
			{name: "*信息技术服务*云主机租用", spec: "c6.large", unit: "月", qty: "3", price: "1132.07547169811", amount: "3396.23", rate: "6%", tax: "203.77"},
			{name: "*信息技术服务*云主机租用", amount: "-339.62", rate: "6%", tax: "-20.38"},
			{name: "*信息技术服务*对象存储与内容分发加", name2: "速服务", spec: "标准型", unit: "TB", qty: "2", price: "150", amount: "300.00", rate: "6%", tax: "18.00"},
		},
		sumAmount: "¥3356.61", sumTax: "¥201.39", total: "¥3558.00", words: "叁仟伍佰伍拾捌圆整"}
	digitalSpecial = genInvoice{title: "电子发票（增值税专用发票）", number: "24322000000489101797", date: "2026年11月02日",
		buyer: "上海渡船科技有限公司", buyerID: buyerID, seller: "无锡爱尔拓燃气技术设备有限公司", sellerID: usccOf("91320211739560225"),
		items: []genItem{
			{name: "*劳务*维护保养-调压站", unit: "台", qty: "2", price: "8849.55752212389", amount: "17699.12", rate: "13%", tax: "2300.88"},
			{name: "*咨询服务*技术咨询", unit: "次", qty: "1", price: "943.396226415094", amount: "943.40", rate: "6%", tax: "56.60"},
			{name: "*农产品*蔬菜", unit: "千克", qty: "10", price: "10", amount: "100.00", rate: "免税", tax: "＊＊＊"},
		},
		sumAmount: "¥18742.52", sumTax: "¥2357.48", total: "¥21100.00", words: "贰万壹仟壹佰圆整"}
)

// digitalLong is a 数电 invoice whose eight items run over three pages.
var digitalLong = func() genInvoice {
	g := digitalSpecial
	g.number, g.perPage, g.items = "24322000000489101798", 3, nil
	sum, tax := decimal.Zero, decimal.Zero
	for i := 1; i <= 8; i++ {
		amt := decimal.NewFromInt(int64(100 * i))
		tx := amt.Mul(decimal.RequireFromString("0.13")).Round(2)
		g.items = append(g.items, genItem{name: fmt.Sprintf("*电子元件*贴片电阻%02d", i), spec: fmt.Sprintf("R%d-0603", i), unit: "盘", qty: fmt.Sprint(i),
			price: "100", amount: amt.StringFixed(2), rate: "13%", tax: tx.StringFixed(2)})
		sum, tax = sum.Add(amt), tax.Add(tx)
	}
	g.sumAmount, g.sumTax, g.total = "¥"+sum.StringFixed(2), "¥"+tax.StringFixed(2), "¥"+sum.Add(tax).StringFixed(2)
	g.words = "肆仟零陆拾捌圆整" // 3600 + 468
	return g
}()

func parsePDF(t *testing.T, name string, pages []genPage) ferry.Invoice {
	t.Helper()
	inv, err := einvoice.Parse(context.Background(), name, renderPDF(t, 210, 140, pages))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return inv
}

// TestGeneratedInvoices reads back invoices of every kind the hidden set
// holds, as PDF and (数电) OFD: every field as written, and Check passes.
func TestGeneratedInvoices(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		g    genInvoice
		lay  func(genInvoice) []genPage
	}{
		{"ride-hailing", didi, oldStyle},
		{"ride-hailing-exempt", didiExempt, oldStyle},
		{"toll", tollInv, oldStyle},
		{"toll-untaxed", tollUntaxed, oldStyle},
		{"red-letter", red, oldStyle},
		{"sales-list", listed, oldStyle},
		{"digital-plain", digitalPlain, digital},
		{"digital-special", digitalSpecial, digital},
		{"digital-three-pages", digitalLong, digital},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv := parsePDF(t, tc.name+".pdf", tc.lay(tc.g))
			if got, want := summary(inv), expected(tc.g, tc.g.title); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
			if err := inv.Check(); err != nil {
				t.Errorf("check: %v", err)
			}
		})
	}
}

// TestUnicodeSpacedLabels: 名　　　　称 spaced with U+3000, NBSP, en spaces
// or tabs reads the same; the parties' names were empty before.
func TestUnicodeSpacedLabels(t *testing.T) {
	t.Parallel()
	for _, sp := range []string{u3000, "\u00a0\u00a0\u00a0", "\u2002\u2003", " \u3000 "} {
		g := didi
		g.nameSpace = sp
		inv := parsePDF(t, "spaced.pdf", oldStyle(g))
		if inv.BuyerName != didi.buyer || inv.SellerName != didi.seller {
			t.Errorf("space %q: buyer %q, seller %q; want %q, %q", sp, inv.BuyerName, inv.SellerName, didi.buyer, didi.seller)
		}
	}
	text := "发票号码：12345678\n名\t\t称：甲公司  密码区\n纳\u3000税\u3000人\u3000识\u3000别\u3000号：" + buyerID + "\n开\u00a0票\u00a0日\u00a0期：2026年1月2日\n名\u3000\u3000称：乙公司\n纳税人识别号：" + sellerID + "\n价税合计（大写）ⓧ壹佰圆整（小写）¥100.00\n"
	inv, err := einvoice.ParseText("t.txt", text)
	if err != nil {
		t.Fatal(err)
	}
	if inv.BuyerName != "甲公司" || inv.SellerName != "乙公司" || inv.BuyerTaxID != buyerID || inv.SellerTaxID != sellerID || inv.IssueDate.String() != "2026-01-02" {
		t.Errorf("got buyer %q %q seller %q %q date %s", inv.BuyerName, inv.BuyerTaxID, inv.SellerName, inv.SellerTaxID, inv.IssueDate)
	}
}

// TestNoTaxPrinted: 免税, 不征税, *** and ＊＊＊ as tax: tax 0 with the
// printed text kept, and 金额 the printed amount (it came out 0.00).
func TestNoTaxPrinted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		g             genInvoice
		lay           func(genInvoice) []genPage
		amount, star  string
		rate, itemTax string
	}{
		{"exempt", didiExempt, oldStyle, "36.20", "***", "免税", "***"},
		{"untaxed-toll", tollUntaxed, oldStyle, "500.00", "***", "不征税", "***"},
		{"fullwidth-stars", func() genInvoice {
			g := didiExempt
			g.items = append([]genItem(nil), g.items...)
			g.sumTax, g.items[0].tax = "＊＊＊", "＊＊＊"
			return g
		}(), oldStyle, "36.20", "＊＊＊", "免税", "＊＊＊"},
	} {
		inv := parsePDF(t, tc.name+".pdf", tc.lay(tc.g))
		if inv.Amount.StringFixed(2) != tc.amount || !inv.Tax.IsZero() || inv.TaxPrinted != tc.star {
			t.Errorf("%s: amount %s tax %s printed %q; want %s, 0, %q", tc.name, inv.Amount.StringFixed(2), inv.Tax, inv.TaxPrinted, tc.amount, tc.star)
		}
		if len(inv.Items) != 1 || inv.Items[0].TaxRate != tc.rate || inv.Items[0].TaxPrinted != tc.itemTax || !inv.Items[0].Tax.IsZero() {
			t.Errorf("%s: items %+v", tc.name, inv.Items)
		}
		if err := inv.Check(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	// A star tax on a taxed line is flagged.
	g := didi
	g.items = []genItem{{name: "*运输服务*客运服务费", unit: "次", qty: "1", price: "45", amount: "45.00", rate: "3%", tax: "***"}}
	g.sumAmount, g.sumTax = "¥45.00", "***"
	inv := parsePDF(t, "stars-on-3pct.pdf", oldStyle(g))
	if err := inv.Check(); err == nil || !strings.Contains(err.Error(), "税率 \"3%\"") {
		t.Errorf("*** with 3%%: got %v", err)
	}
}

// TestTollTableWithoutItems: a toll invoice whose item table has no rows
// read is flagged, never passed with no items.
func TestTollTableWithoutItems(t *testing.T) {
	t.Parallel()
	inv := parsePDF(t, "toll-empty.pdf", oldStyle(tollEmpty))
	err := inv.Check()
	if err == nil || !strings.Contains(err.Error(), "no item read") {
		t.Fatalf("got %v, want the empty item table flagged", err)
	}
	if !inv.Toll {
		t.Error("not recognised as a toll invoice")
	}
}

// TestDigitalColumns: a 数电 invoice's long right-aligned unit price reaches
// under the 数量 label; it stays one figure in 单价. Two figures in one
// cell are a flag, never joined.
func TestDigitalColumns(t *testing.T) {
	t.Parallel()
	for _, price := range []string{"8849.55752212389", "8849.557522123894", "8849.557522123893805"} {
		// The longer prices start left of the midpoint between the 数量 and
		// 单价 labels (118 mm), where glyph-by-glyph assignment put their
		// first digits in 数量; the longest is even drawn over the 数量 "2".
		g := digitalSpecial
		g.items = append([]genItem(nil), g.items...)
		g.items[0].price = price
		inv := parsePDF(t, "digital.pdf", digital(g))
		if q, p := inv.Items[0].Quantity.String(), inv.Items[0].UnitPrice.String(); q != "2" || p != price {
			t.Errorf("数量 %s 单价 %s; want 2 and %s", q, p, price)
		}
		if err := inv.Check(); err != nil {
			t.Errorf("%s: %v", price, err)
		}
	}
	// A unit price drawn so wide it reaches past the 数量 label is still one figure.
	g := digitalSpecial
	g.items = append([]genItem(nil), g.items...)
	g.items[0].qty, g.items[0].price = "", ""
	pages := digital(g)
	pages[0].values = append(pages[0].values, draw{x: 116, y: 64, s: "1", align: 'R'}, draw{x: 141, y: 64, s: "6", align: 'R'}, draw{x: 124, y: 64, s: "1", align: 'R'})
	inv := parsePDF(t, "two-in-one.pdf", pages)
	err := inv.Check()
	if err == nil || !strings.Contains(err.Error(), "values") {
		t.Errorf("a cell with two figures: got %v", err)
	}
}

// TestKindRequirements: what Check demands differs by kind.
func TestKindRequirements(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(*genInvoice)
		lay  func(genInvoice) []genPage
		want string // "" passes
	}{
		{"digital-individual-buyer", func(g *genInvoice) {}, digital, ""},
		{"special-needs-buyer-id", func(g *genInvoice) { g.title = "电子发票（增值税专用发票）" }, digital, "no buyer (购买方) tax id"},
		{"no-check-code", func(g *genInvoice) { *g = didi; g.check = "" }, oldStyle, "no check code"},
		{"bad-seller-id", func(g *genInvoice) { *g = didi; g.sellerID = "91120118MA05JY0N3X" }, oldStyle, "check character"},
		{"no-seller-name", func(g *genInvoice) { *g = didi; g.seller = "" }, oldStyle, "no seller (销售方) name"},
		{"words-differ", func(g *genInvoice) { *g = didi; g.words = "肆拾陆圆整" }, oldStyle, "reads 46.00"},
	} {
		g := digitalPlain
		tc.edit(&g)
		inv := parsePDF(t, tc.name+".pdf", tc.lay(g))
		err := inv.Check()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestOFDKind: the OFD kind comes from the title printed on the template
// page, not a constant 电子发票.
func TestOFDKind(t *testing.T) {
	t.Parallel()
	for _, g := range []genInvoice{digitalPlain, digitalSpecial} {
		tags := map[string][]string{"InvoiceNo": {g.number}, "BuyerName": {g.buyer}, "SellerName": {g.seller}, "SellerTaxID": {g.sellerID},
			"TaxExclusiveTotalAmount": {g.sumAmount}, "TaxTotalAmount": {g.sumTax}, "TaxInclusiveTotalAmount": {g.total}}
		inv, err := einvoice.Parse(context.Background(), "x.ofd", renderOFD(t, digital(g), tags))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := summary(inv), expected(g, g.title); got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
		if err := inv.Check(); err != nil {
			t.Errorf("%s: %v", g.title, err)
		}
	}
	inv, err := einvoice.ParseOFD("erma0_sample.ofd", read(t, "erma0_sample.ofd"))
	if err != nil {
		t.Fatal(err)
	}
	if inv.Kind != "电子发票（增值税专用发票）" {
		t.Errorf("kind %q, want 电子发票（增值税专用发票）", inv.Kind)
	}
	// A tag that contradicts the page is a flag.
	g := digitalPlain
	tags := map[string][]string{"InvoiceNo": {g.number}, "TaxInclusiveTotalAmount": {g.sumAmount}}
	inv, err = einvoice.Parse(context.Background(), "x.ofd", renderOFD(t, digital(g), tags))
	if err != nil {
		t.Fatal(err)
	}
	if err := inv.Check(); err == nil || !strings.Contains(err.Error(), "CustomTag") {
		t.Errorf("contradicting tag: got %v", err)
	}
}

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(testenv.Corpus(t, "cn-einvoice/"+name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCorpusGolden parses the shared corpus's invoices; the output,
// with Check's verdict, is kept in golden files (-update rewrites them).
func TestCorpusGolden(t *testing.T) {
	t.Parallel()
	for _, n := range []string{"sanitized_vat_invoice.pdf", "sanitized_vat_invoice.ofd", "erma0_sample.ofd"} {
		inv, err := einvoice.Parse(context.Background(), n, read(t, n))
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		out := map[string]any{"invoice": inv, "check": fmt.Sprint(inv.Check())}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			t.Fatal(err)
		}
		testenv.Golden(t, "testdata/"+n+".golden", b.Bytes())
	}
	// The real 数电 OFD passes Check; the desensitised pair carries fake tax
	// ids (…TEST00001) and no amount in words, which Check names.
	inv, _ := einvoice.Parse(context.Background(), "erma0_sample.ofd", read(t, "erma0_sample.ofd"))
	if err := inv.Check(); err != nil {
		t.Errorf("erma0_sample.ofd: %v", err)
	}
}

// A 数电 XML written to the bureau's published structure (no sample ships
// with the corpus), carrying the same invoice as erma0_sample.ofd.
const quandianXML = `<?xml version="1.0" encoding="UTF-8"?>
<EInvoice>
  <Header>
    <EIid>24322000000489101796</EIid>
    <EInvoiceTag>SWEI3200</EInvoiceTag>
    <Version>0.1</Version>
    <InherentLabel><EInvoiceType><LabelCode>01</LabelCode><LabelName>增值税专用发票</LabelName></EInvoiceType></InherentLabel>
  </Header>
  <EInvoiceData>
    <SellerInformation><SellerIdNum>91320211739560225X</SellerIdNum><SellerName>无锡爱尔拓燃气技术设备有限公司</SellerName></SellerInformation>
    <BuyerInformation><BuyerIdNum>91320200796148368W</BuyerIdNum><BuyerName>无锡天鹏菜篮子工程有限公司</BuyerName></BuyerInformation>
    <BasicInformation>
      <TotalAmWithoutTax>17699.12</TotalAmWithoutTax>
      <TotalTaxAm>2300.88</TotalTaxAm>
      <TotalTax-includedAmount>20000.00</TotalTax-includedAmount>
      <TotalTax-includedAmountInChinese>贰万圆整</TotalTax-includedAmountInChinese>
      <RequestTime>2024-12-05 09:31:12</RequestTime>
    </BasicInformation>
    <IssuItemInformation>
      <ItemName>*劳务*维护保养-调压站</ItemName><SpecMod></SpecMod><MeaUnits>台</MeaUnits>
      <Quantity>2</Quantity><UnPrice>8849.55752212389</UnPrice><Amount>17699.12</Amount><TaxRate>0.13</TaxRate><ComTaxAm>2300.88</ComTaxAm>
    </IssuItemInformation>
  </EInvoiceData>
  <TaxSupervisionInfo><InvoiceNumber>24322000000489101796</InvoiceNumber><IssueTime>2024-12-05</IssueTime></TaxSupervisionInfo>
</EInvoice>`

func TestQuandianXML(t *testing.T) {
	t.Parallel()
	inv, err := einvoice.Parse(context.Background(), "invoice.xml", []byte(quandianXML))
	if err != nil {
		t.Fatal(err)
	}
	ofd, err := einvoice.Parse(context.Background(), "erma0_sample.ofd", read(t, "erma0_sample.ofd"))
	if err != nil {
		t.Fatal(err)
	}
	// The same invoice from its OFD and its XML: the same fields, one dedup key.
	if a, b := summary(inv), summary(ofd); a != b {
		t.Errorf("XML\n%s\nOFD\n%s", a, b)
	}
	if err := inv.Check(); err != nil {
		t.Error(err)
	}
	if ofd.DedupKey() != inv.DedupKey() {
		t.Fatal("the same invoice from OFD and XML has two dedup keys")
	}
	exempt := strings.Replace(strings.Replace(quandianXML, "<TaxRate>0.13</TaxRate><ComTaxAm>2300.88</ComTaxAm>", "<TaxRate>免税</TaxRate><ComTaxAm>***</ComTaxAm>", 1),
		"<TotalTaxAm>2300.88</TotalTaxAm>", "<TotalTaxAm>***</TotalTaxAm>", 1)
	inv, err = einvoice.ParseXML("exempt.xml", []byte(exempt))
	if err != nil || inv.TaxPrinted != "***" || inv.Items[0].TaxRate != "免税" || inv.Amount.StringFixed(2) != "17699.12" {
		t.Errorf("免税 XML: %+v %v", inv, err)
	}
	for _, bad := range []string{"<EInvoice><Header/></EInvoice>", "<Other/>", "<EInvoice><EIid>1</EIid><TotalAmWithoutTax>x</TotalAmWithoutTax></EInvoice>"} {
		if _, err := einvoice.ParseXML("bad.xml", []byte(bad)); err == nil || !strings.Contains(err.Error(), "bad.xml") {
			t.Errorf("%q: got %v", bad, err)
		}
	}
}

// TestLooksLikeInvoice: invoices by content, statements not.
func TestLooksLikeInvoice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"电子发票（普通发票）\n发票号码：26312000000012345678\n开票日期：2026年10月08日\n购买方信息 名称：王小明\n价税合计（大写）", true},
		{"增值税电子普通发票  发票代码：011002000911 发票号码：73914523\n开 票 日 期：2026年10月08日 校 验 码：0552436221", true},
		{quandianXML, true},
		{"<Document><BkToCstmrStmt><Ntry><Amt>1</Amt></Ntry></BkToCstmrStmt></Document>", false},
		{"招商银行 交易明细\n摘要：支付发票号码12345678的货款 税额 13.00\n", false},
		{"招商银行交易流水\n交易日期 交易金额 余额 对方户名\n2026-10-08 -45.00 1000.00 北京小桔科技有限公司 税额", false},
		{"Statement of account\nDate Description Amount Balance", false},
		{"", false},
	} {
		if got := einvoice.LooksLikeInvoice(tc.text); got != tc.want {
			score, found := einvoice.InvoiceScore(tc.text)
			t.Errorf("%q: got %v (score %d, %v), want %v", tc.text, got, score, found, tc.want)
		}
	}
	// Whole files, read no further than needed.
	statement := renderPDF(t, 210, 297, []genPage{{values: []draw{{x: 10, y: 20, s: "交易日期"}, {x: 40, y: 20, s: "交易金额"}, {x: 10, y: 30, s: "2026-10-08"}, {x: 40, y: 30, s: "-45.00"}}}})
	for _, tc := range []struct {
		name string
		data []byte
		want bool
	}{
		{"toll.pdf", renderPDF(t, 210, 140, oldStyle(tollInv)), true},
		{"digital.pdf", renderPDF(t, 210, 140, digital(digitalPlain)), true},
		{"erma0_sample.ofd", read(t, "erma0_sample.ofd"), true},
		{"invoice.xml", []byte(quandianXML), true},
		{"statement.pdf", statement, false},
		{"x.zip", zipOf(t, map[string]string{"a.txt": "x"}), false},
		{"x.csv", []byte("交易日期,金额\n2026-10-08,-45.00\n"), false},
	} {
		if got := einvoice.LooksLikeInvoiceFile(context.Background(), tc.data); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestParseNamesClosestFormat: files that are no invoice are refused with
// the closest format named.
func TestParseNamesClosestFormat(t *testing.T) {
	t.Parallel()
	statement := renderPDF(t, 210, 297, []genPage{{values: []draw{{x: 10, y: 20, s: "交易日期"}, {x: 40, y: 20, s: "交易金额"}, {x: 10, y: 30, s: "2026-10-08"}, {x: 40, y: 30, s: "-45.00"}}}})
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"statement.pdf", statement, "no invoice markers"},
		{"other.xml", []byte(`<?xml version="1.0"?><Document><BkToCstmrStmt/></Document>`), "<EInvoice>"},
		{"x.zip", zipOf(t, map[string]string{"a.txt": "x"}), "without OFD.xml"},
		{"x.bin", []byte("hello"), "not a PDF, OFD or 数电 XML"},
		{"empty", nil, "empty"},
	} {
		_, err := einvoice.Parse(context.Background(), tc.name, tc.data)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%s: got %v, want it to say %q", tc.name, err, tc.want)
		}
	}
}

// Fuzz targets for the e-invoice parsers, seeded from the corpus and the
// 数电 sample: whatever the bytes, parsing returns an invoice or an error.
func FuzzXML(f *testing.F) {
	f.Add([]byte(quandianXML))
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = einvoice.ParseXML("fuzz.xml", b) })
}

func FuzzOFD(f *testing.F) {
	for _, n := range []string{"sanitized_vat_invoice.ofd", "erma0_sample.ofd"} {
		if dir := testenv.CorpusDir(); dir != "" {
			if b, err := os.ReadFile(dir + "/cn-einvoice/" + n); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = einvoice.ParseOFD("fuzz.ofd", b) })
}

// FuzzInvoiceText fuzzes the field rules on reading-order text, where
// PDF invoices end up.
func FuzzInvoiceText(f *testing.F) {
	f.Add("发票代码：011002100111 发票号码：12345678 开票日期：2024年12月05日\n合计 ¥100.00 ¥13.00\n价税合计（大写） 壹佰壹拾叁圆整 （小写）¥113.00")
	f.Add("名\u3000\u3000称：甲  纳税人识别号：\n合 计 ¥36.20 ＊＊＊\n价税合计（大写）ⓧ(负数)叁拾陆圆贰角")
	f.Fuzz(func(t *testing.T, s string) { _, _ = einvoice.ParseText("fuzz.txt", s) })
}

// TestLongNameBesideCipher: a long buyer name that reaches the 密码区's
// vertical label keeps its own characters, or, where its last glyph
// touches the label, is flagged; an empty name beside the cipher reads as
// no name (and Check flags it), never as the cipher.
func TestLongNameBesideCipher(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		exact bool
	}{
		{"上海渡船科技有限公司长三角一体化示范区青浦分公司", true},   // 24 characters: a space from the 密 of 密码区
		{"上海渡船科技有限公司长三角一体化示范区青浦区分公司", false}, // 25: touching it
	} {
		g := didi
		g.buyer = tc.name
		inv := parsePDF(t, "long-name.pdf", oldStyle(g))
		if inv.BuyerName == tc.name {
			continue
		}
		if tc.exact {
			t.Errorf("buyer %q read as %q", tc.name, inv.BuyerName)
		}
		if err := inv.Check(); err == nil {
			t.Errorf("buyer %q read as %q, and not flagged", tc.name, inv.BuyerName)
		}
	}
	g := didi
	g.buyer = ""
	inv := parsePDF(t, "no-name.pdf", oldStyle(g))
	if inv.BuyerName != "" {
		t.Errorf("buyer %q, want none", inv.BuyerName)
	}
	if err := inv.Check(); err == nil || !strings.Contains(err.Error(), "no buyer (购买方) name") {
		t.Errorf("got %v", err)
	}
}

// originalInvoice is the attachment that 增值税电子发票 OFDs carry
// (Doc_0/Attachs/original_invoice.xml), written for the didi invoice.
func originalInvoice(g genInvoice, amount string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<Invoice>
  <MachineNo>` + g.machine + `</MachineNo><InvoiceCode>` + g.code + `</InvoiceCode><InvoiceNo>` + g.number + `</InvoiceNo>
  <IssueDate>` + dateOf(g.date) + `</IssueDate><InvoiceCheckCode>` + g.checkDigits() + `</InvoiceCheckCode>
  <TaxExclusiveTotalAmount>` + amount + `</TaxExclusiveTotalAmount><TaxTotalAmount>1.31</TaxTotalAmount><TaxInclusiveTotalAmount>45.00</TaxInclusiveTotalAmount>
  <Buyer><BuyerName>` + g.buyer + `</BuyerName><BuyerTaxID>` + g.buyerID + `</BuyerTaxID></Buyer>
  <Seller><SellerName>` + g.seller + `</SellerName><SellerTaxID>` + g.sellerID + `</SellerTaxID></Seller>
  <GoodsInfos><G1><Item>*运输服务*客运服务费</Item><Specification>无</Specification><MeasurementDimension>次</MeasurementDimension>
    <Quantity>1</Quantity><Price>43.69</Price><Amount>43.69</Amount><TaxScheme>3%</TaxScheme><TaxAmount>1.31</TaxAmount></G1></GoodsInfos>
</Invoice>`
}

// TestOFDAttachment: an older 增值税电子普通发票 OFD, labels on the
// template, values on the page, and its original_invoice.xml attachment:
// the page and the attachment agree, or the difference is flagged.
func TestOFDAttachment(t *testing.T) {
	t.Parallel()
	att := func(amount string) map[string]string {
		return map[string]string{"Doc_0/Attachs/original_invoice.xml": originalInvoice(didi, amount)}
	}
	inv, err := einvoice.Parse(context.Background(), "didi.ofd", renderOFDWith(t, oldStyle(didi), nil, att("43.69")))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := summary(inv), expected(didi, didi.title); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if err := inv.Check(); err != nil {
		t.Error(err)
	}
	inv, err = einvoice.Parse(context.Background(), "didi.ofd", renderOFDWith(t, oldStyle(didi), nil, att("43.96")))
	if err != nil {
		t.Fatal(err)
	}
	if err := inv.Check(); err == nil || !strings.Contains(err.Error(), "original_invoice.xml") {
		t.Errorf("attachment 43.96 against the page's 43.69: got %v", err)
	}
}
