package ferry

import (
	"testing"

	"github.com/shopspring/decimal"
)

func TestParseChineseAmount(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"贰万圆整": "20000", "壹佰壹拾叁圆整": "113", "壹佰壹拾叁元整": "113", "贰佰壹拾贰圆整": "212",
		"壹万零叁佰壹拾贰圆伍角整": "10312.5", "叁仟圆零伍分": "3000.05", "ⓧ壹拾圆整": "10", "壹亿贰仟万圆整": "120000000",
		"玖角玖分": "0.99", "壹拾万零壹圆整": "100001",
	} {
		got, err := ParseChineseAmount(in)
		if err != nil || got.String() != want {
			t.Errorf("ParseChineseAmount(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "壹佰X圆", "角"} {
		if _, err := ParseChineseAmount(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestInvoiceCheck(t *testing.T) {
	t.Parallel()
	inv := Invoice{Number: "1", Amount: dd("100"), Tax: dd("13"), Total: dd("113"), TotalInWords: "壹佰壹拾叁圆整",
		Items: []InvoiceItem{{Amount: dd("100"), Tax: dd("13")}}}
	if err := inv.Check(); err != nil {
		t.Fatal(err)
	}
	inv.TotalInWords = "壹佰壹拾贰圆整"
	if err := inv.Check(); err == nil {
		t.Fatal("words differing from figures passed")
	}
	inv.TotalInWords = ""
	inv.Items[0].Tax = dd("12")
	if err := inv.Check(); err == nil {
		t.Fatal("items not adding up passed")
	}
}

func dd(s string) decimal.Decimal { return d(s) }
