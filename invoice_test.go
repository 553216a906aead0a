package ferry

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestParseChineseAmount(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"贰万圆整": "20000", "壹佰壹拾叁圆整": "113", "壹佰壹拾叁元整": "113", "贰佰壹拾贰圆整": "212",
		"壹万零叁佰壹拾贰圆伍角整": "10312.5", "叁仟圆零伍分": "3000.05", "ⓧ壹拾圆整": "10", "壹亿贰仟万圆整": "120000000",
		"玖角玖分": "0.99", "壹拾万零壹圆整": "100001",
		// Red-letter invoices, and words printed spaced out.
		"(负数)壹佰壹拾叁圆整": "-113", "（负数）壹佰壹拾叁圆整": "-113", "⊗负壹仟贰佰柒拾贰圆整": "-1272", "贰 万 圆 整": "20000",
	} {
		got, err := ParseChineseAmount(in)
		if err != nil || got.String() != want {
			t.Errorf("ParseChineseAmount(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "壹佰X圆", "角", "贰万圆整（", "负"} {
		if _, err := ParseChineseAmount(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// uscc completes a 17-character prefix with its GB 32100 check character.
func uscc(prefix string) string {
	sum, w := 0, 1
	for i := 0; i < 17; i++ {
		sum += strings.IndexByte(usccAlphabet, prefix[i]) * w
		w = w * 3 % 31
	}
	return prefix + string(usccAlphabet[(31-sum%31)%31])
}

func TestValidTaxID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"91320211739560225X", true}, // a real seller's, from the corpus OFD
		{"91320200796148368W", true},
		{uscc("91310115MA1FPX0C0"), true},
		{"91320211739560225Y", false}, // wrong check character
		{"91320211739560I25X", false}, // I is not in the alphabet
		{"11010519491231002X", true},  // a resident id number (an individual)
		{"110105194912310021", false}, // its check digit wrong
		{"330106" + "MA2CDTQ6" + wrongOrgCheck("MA2CDTQ6"), false},
		{"330106" + "MA2CDTQ6" + orgCheck("MA2CDTQ6"), true}, // older 15-character form
		{"330106123456789", true},                            // 15 digits: an old personal id
		{"12345678901234567", true},                          // 17 digits
		{"11010519491231002X01", true},                       // resident id + 2 digits
		{"91330100TEST00001", false},                         // the desensitised corpus ids
		{"", false},
		{"9132", false},
	} {
		if err := ValidTaxID(tc.id); (err == nil) != tc.ok {
			t.Errorf("ValidTaxID(%q) = %v, want ok=%v", tc.id, err, tc.ok)
		}
	}
}

func wrongOrgCheck(body string) string {
	if orgCheck(body) == "1" {
		return "2"
	}
	return "1"
}

func orgCheck(body string) string {
	weights := []int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		c := body[i]
		v := int(c - '0')
		if c >= 'A' {
			v = int(c-'A') + 10
		}
		sum += v * w
	}
	return string("0123456789X0"[11-sum%11])
}

// valid returns a 增值税电子普通发票 that passes Check.
func valid() Invoice {
	return Invoice{Kind: "增值税电子普通发票", Code: "011002000911", Number: "73914523", IssueDate: NewDate(2026, 10, 8),
		CheckCode: "05524362215958431347", BuyerName: "上海渡船科技有限公司", BuyerTaxID: uscc("91310115MA1FPX0C0"),
		SellerName: "北京小桔科技有限公司", SellerTaxID: uscc("91120118MA05JY0N3"), Currency: "CNY",
		Amount: dd("100"), Tax: dd("13"), Total: dd("113"), TotalInWords: "壹佰壹拾叁圆整",
		Items: []InvoiceItem{{Name: "*信息技术服务*软件服务", Quantity: dd("3"), UnitPrice: dd("33.3333333"), QuantityStated: true, PriceStated: true,
			Amount: dd("100"), TaxRate: "13%", Tax: dd("13")}}}
}

func TestInvoiceCheck(t *testing.T) {
	t.Parallel()
	if err := valid().Check(); err != nil {
		t.Fatal(err)
	}
	digital := func(inv *Invoice) {
		inv.Kind, inv.Code, inv.Number, inv.CheckCode = "电子发票（普通发票）", "", "26312000000012345678", ""
	}
	for _, tc := range []struct {
		name string
		edit func(*Invoice)
		want string // "" passes
	}{
		{"digital", digital, ""},
		{"digital-individual-buyer", func(inv *Invoice) { digital(inv); inv.BuyerName, inv.BuyerTaxID = "张伟", "" }, ""},
		{"special-buyer-id", func(inv *Invoice) {
			digital(inv)
			inv.Kind = "电子发票（增值税专用发票）"
			inv.BuyerTaxID = ""
		}, "no buyer (购买方) tax id"},
		{"old-special-no-check-code", func(inv *Invoice) { inv.Kind, inv.CheckCode = "增值税电子专用发票", "" }, ""},
		{"no-kind", func(inv *Invoice) { inv.Kind = "" }, "no invoice kind"},
		{"no-number", func(inv *Invoice) { inv.Number = "" }, "no invoice number"},
		{"short-number", func(inv *Invoice) { inv.Number = "7391452" }, "8-digit"},
		{"digital-with-code", func(inv *Invoice) { digital(inv); inv.Code = "011002000911" }, "has none"},
		{"digital-19-digits", func(inv *Invoice) { digital(inv); inv.Number = "2631200000001234567" }, "20-digit"},
		{"no-code", func(inv *Invoice) { inv.Code = "" }, "no invoice code"},
		{"bad-code", func(inv *Invoice) { inv.Code = "01100200091" }, "10 or 12 digits"},
		{"no-date", func(inv *Invoice) { inv.IssueDate = Date{} }, "no issue date"},
		{"no-check-code", func(inv *Invoice) { inv.CheckCode = "" }, "no check code"},
		{"short-check-code", func(inv *Invoice) { inv.CheckCode = "0552436221" }, "20 digits"},
		{"empty-buyer", func(inv *Invoice) { inv.BuyerName = " " }, "no buyer (购买方) name"},
		{"empty-seller", func(inv *Invoice) { inv.SellerName = "" }, "no seller (销售方) name"},
		{"no-seller-id", func(inv *Invoice) { inv.SellerTaxID = "" }, "no seller (销售方) tax id"},
		{"bad-seller-id", func(inv *Invoice) { inv.SellerTaxID = "91120118MA05JY0N3A" }, "check character"},
		{"bad-buyer-id", func(inv *Invoice) { inv.BuyerTaxID = "91330100TEST00001" }, "buyer (购买方) tax id"},
		{"totals", func(inv *Invoice) { inv.Total = dd("114") }, "≠ 价税合计"},
		{"no-words", func(inv *Invoice) { inv.TotalInWords = "" }, "total in words"},
		{"words", func(inv *Invoice) { inv.TotalInWords = "壹佰壹拾贰圆整" }, "reads 112.00"},
		{"no-items", func(inv *Invoice) { inv.Items = nil }, "no items read"},
		{"items-tax", func(inv *Invoice) { inv.Items[0].Tax = dd("12") }, "items' 税额 add up to 12.00"},
		{"qty-times-price", func(inv *Invoice) { inv.Items[0].Quantity = dd("4") }, "数量 4 × 单价"},
		{"price-without-qty", func(inv *Invoice) { inv.Items[0].QuantityStated = false }, "printed together"},
		{"item-no-name", func(inv *Invoice) { inv.Items[0].Name = "" }, "no name"},
		{"exempt-with-tax", func(inv *Invoice) { inv.Items[0].TaxRate = "免税" }, "税率 免税 but 税额 13.00"},
		{"stars-with-rate", func(inv *Invoice) {
			inv.Items[0].TaxRate, inv.Items[0].TaxPrinted, inv.Items[0].Tax, inv.Tax, inv.Total, inv.TotalInWords = "13%", "***", dd("0"), dd("0"), dd("100"), "壹佰圆整"
		}, "税额 printed as \"***\" with 税率 \"13%\""},
		{"exempt", func(inv *Invoice) {
			inv.Items[0].TaxRate, inv.Items[0].TaxPrinted, inv.Items[0].Tax, inv.Tax, inv.TaxPrinted, inv.Total, inv.TotalInWords = "免税", "***", dd("0"), dd("0"), "***", dd("100"), "壹佰圆整"
		}, ""},
		{"red-not-negative", func(inv *Invoice) { inv.Red = true }, "red-letter"},
		{"negative-not-red", func(inv *Invoice) {
			inv.Amount, inv.Tax, inv.Total, inv.TotalInWords = dd("-100"), dd("-13"), dd("-113"), "(负数)壹佰壹拾叁圆整"
			inv.Items[0].Amount, inv.Items[0].Tax, inv.Items[0].Quantity = dd("-100"), dd("-13"), dd("-3")
		}, "red-letter"},
		{"flags", func(inv *Invoice) { inv.Flags = []string{"item \"x\": 数量 has 2 values"} }, "数量 has 2 values"},
		{"currency", func(inv *Invoice) { inv.Currency = "USD" }, "CNY"},
		// A unit price read into the 金额 cell (the columns of a PDF whose
		// widths were misread) has more decimals than fen.
		{"item-amount-past-fen", func(inv *Invoice) { inv.Items[0].Amount = dd("100.0012") }, "金额 100.0012 has more decimals than fen"},
		{"amount-past-fen", func(inv *Invoice) { inv.Amount = dd("99.999") }, "金额 99.999 has more decimals than fen"},
		// Desensitised samples print zeros where the code, the number and the
		// ids were.
		{"zero-code", func(inv *Invoice) { inv.Code = "000000000000" }, "发票代码 000000000000 is all zeros"},
		{"zero-number", func(inv *Invoice) { inv.Number = "00000000" }, "发票号码 00000000 is all zeros"},
		{"zero-seller-id", func(inv *Invoice) { inv.SellerTaxID = "000000000000000000" }, "all zeros"},
		// China Unicom's 数电 XML prints * for the rate and the tax of a
		// 不征税 line.
		{"star-rate-star-tax", func(inv *Invoice) {
			inv.Items[0].TaxRate, inv.Items[0].TaxPrinted, inv.Items[0].Tax, inv.Tax, inv.Total, inv.TotalInWords = "*", "*", dd("0"), dd("0"), dd("100"), "壹佰圆整"
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv := valid()
			inv.Items = append([]InvoiceItem(nil), inv.Items...)
			tc.edit(&inv)
			err := inv.Check()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("got %v, want it to pass", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestProductTolerance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		q, p, amount string
		ok           bool
	}{
		{"2", "8849.55752212389", "17699.12", true}, // real 数电 line
		{"3", "1132.07547169811", "3396.23", true},
		{"3", "33.33", "100.00", true},  // 99.99: within the one fen the tax system allows
		{"3", "33.30", "100.00", false}, // 99.90
		{"3", "33.3333333", "100.00", true},
		{"1", "100", "100.02", false},
		{"-1", "1200", "-1200.00", true},
	} {
		inv := valid()
		inv.Items = []InvoiceItem{{Name: "x", Quantity: dd(tc.q), UnitPrice: dd(tc.p), QuantityStated: true, PriceStated: true, Amount: dd(tc.amount), TaxRate: "13%", Tax: inv.Tax}}
		err := inv.Check()
		if got := err == nil || !strings.Contains(err.Error(), "× 单价"); got != tc.ok {
			t.Errorf("%s × %s = %s: got %v, want ok=%v", tc.q, tc.p, tc.amount, err, tc.ok)
		}
	}
}

func dd(s string) decimal.Decimal { return d(s) }
