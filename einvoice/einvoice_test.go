package einvoice_test

import (
	"bytes"
	"context"
	"fmt"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/einvoice"
	"github.com/go-pdf/fpdf"
)

const corpus = "../../shared/corpus/cn-einvoice"

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpus, name))
	if err != nil {
		testenv.Missing(t, "corpus not found")
	}
	return b
}

type want struct {
	kind, code, number, date, buyer, buyerID, seller, sellerID, amount, tax, total, words string
	items                                                                                 []string // name|spec|unit|qty|price|amount|rate|tax
}

func check(t *testing.T, inv ferry.Invoice, w want) {
	t.Helper()
	got := want{inv.Kind, inv.Code, inv.Number, inv.IssueDate.String(), inv.BuyerName, inv.BuyerTaxID, inv.SellerName, inv.SellerTaxID,
		inv.Amount.StringFixed(2), inv.Tax.StringFixed(2), inv.Total.StringFixed(2), inv.TotalInWords, nil}
	for _, it := range inv.Items {
		got.items = append(got.items, strings.Join([]string{it.Name, it.Spec, it.Unit, it.Quantity.String(), it.UnitPrice.String(), it.Amount.StringFixed(2), it.TaxRate, it.Tax.StringFixed(2)}, "|"))
	}
	if strings.Join(got.items, "\n") != strings.Join(w.items, "\n") {
		t.Errorf("items:\n got %q\nwant %q", got.items, w.items)
	}
	got.items, w.items = nil, nil
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", w) {
		t.Errorf("\n got %+v\nwant %+v", got, w)
	}
	if err := inv.Check(); err != nil {
		t.Errorf("check: %v", err)
	}
}

func TestCorpusInvoices(t *testing.T) {
	t.Parallel()
	inv, err := einvoice.ParsePDF(context.Background(), "sanitized_vat_invoice.pdf", read(t, "sanitized_vat_invoice.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	check(t, inv, want{"增值税电子普通发票", "012345678901", "12345678", "2026-04-20", "杭州示例科技有限公司", "91330100TEST00001", "深圳示例服务有限公司", "91440300TEST00002",
		"100.00", "13.00", "113.00", "", []string{"*信息技术服务*软件服务|标准版|次|1|100|100.00|13%|13.00"}})
	inv, err = einvoice.ParseOFD("sanitized_vat_invoice.ofd", read(t, "sanitized_vat_invoice.ofd"))
	if err != nil {
		t.Fatal(err)
	}
	check(t, inv, want{"增值税电子专用发票", "098765432109", "87654321", "2026-04-20", "北京示例采购有限公司", "91110000TEST00003", "上海示例供应有限公司", "91310000TEST00004",
		"200.00", "12.00", "212.00", "", []string{"*技术服务*实施服务|企业版|项|1|200|200.00|6%|12.00"}})
	inv, err = einvoice.ParseOFD("erma0_sample.ofd", read(t, "erma0_sample.ofd"))
	if err != nil {
		t.Fatal(err)
	}
	// The 全电 invoice: fields located through Doc_0/Tags/CustomTag.xml.
	check(t, inv, want{"电子发票", "", "24322000000489101796", "2024-12-05", "无锡天鹏菜篮子工程有限公司", "91320200796148368W", "无锡爱尔拓燃气技术设备有限公司", "91320211739560225X",
		"17699.12", "2300.88", "20000.00", "贰万圆整", []string{"*劳务*维护保养-调压站||台|2|8849.55752212389|17699.12|13%|2300.88"}})
}

// generatedInvoice writes a VAT e-invoice the way real producers do: subset
// CID fonts with ToUnicode maps, every label drawn first and every value
// afterwards, spaced-out labels and full-width colons.
func generatedInvoice(t *testing.T, words string) []byte {
	t.Helper()
	cjk, err1 := os.ReadFile("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")
	latin, err2 := os.ReadFile("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
	if err1 != nil || err2 != nil {
		testenv.Missing(t, "fonts-droid-fallback / fonts-dejavu-core not installed")
	}
	p := fpdf.New("L", "mm", "A5", "")
	p.AddUTF8FontFromBytes("cjk", "", cjk)
	p.AddUTF8FontFromBytes("latin", "", latin)
	p.AddPage()
	type put struct {
		x, y float64
		s    string
		cjk  bool
	}
	labels := []put{
		{70, 12, "电子发票（普通发票）", true},
		{140, 20, "发票号码：", true}, {140, 26, "开票日期：", true},
		{12, 40, "购", true}, {12, 46, "买", true}, {20, 40, "名    称：", true}, {20, 46, "纳税人识别号：", true},
		{110, 40, "销", true}, {110, 46, "售", true}, {118, 40, "名    称：", true}, {118, 46, "纳税人识别号：", true},
		{12, 58, "项目名称", true}, {60, 58, "规格型号", true}, {85, 58, "单 位", true}, {100, 58, "数 量", true}, {115, 58, "单 价", true}, {140, 58, "金 额", true}, {160, 58, "税率/征收率", true}, {182, 58, "税 额", true},
		{12, 90, "合        计", true},
		{12, 100, "价税合计（大写）", true}, {120, 100, "（小写）", true},
	}
	values := []put{
		{160, 20, "26312000000012345678", false}, {160, 26, "2026年10月08日", true},
		{34, 40, "上海渡船科技有限公司", true}, {44, 46, "91310115MA1FERRY01", false},
		{132, 40, "杭州云栈信息服务有限公司", true}, {142, 46, "91330106MA2CLOUD9X", false},
		{12, 66, "*信息技术服务*云主机租用", true}, {60, 66, "c6.large", false}, {85, 66, "月", true}, {100, 66, "3", false}, {115, 66, "1200.00", false}, {140, 66, "3600.00", false}, {160, 66, "6%", false}, {182, 66, "216.00", false},
		{12, 72, "*信息技术服务*对象存储", true}, {60, 72, "标准型", true}, {85, 72, "TB", false}, {100, 72, "2", false}, {115, 72, "150.00", false}, {140, 72, "300.00", false}, {160, 72, "6%", false}, {182, 72, "18.00", false},
		{138, 90, "¥3900.00", false}, {180, 90, "¥234.00", false},
		{50, 100, "ⓧ" + words, true}, {135, 100, "¥4134.00", false},
	}
	for _, group := range [][]put{labels, values} { // labels before values, as producers do
		for _, v := range group {
			if v.cjk {
				p.SetFont("cjk", "", 9)
			} else {
				p.SetFont("latin", "", 9)
			}
			p.Text(v.x, v.y, v.s)
		}
	}
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGeneratedInvoice(t *testing.T) {
	t.Parallel()
	inv, err := einvoice.ParsePDF(context.Background(), "generated.pdf", generatedInvoice(t, "肆仟壹佰叁拾肆圆整"))
	if err != nil {
		t.Fatal(err)
	}
	check(t, inv, want{"电子发票（普通发票）", "", "26312000000012345678", "2026-10-08", "上海渡船科技有限公司", "91310115MA1FERRY01", "杭州云栈信息服务有限公司", "91330106MA2CLOUD9X",
		"3900.00", "234.00", "4134.00", "肆仟壹佰叁拾肆圆整", []string{
			"*信息技术服务*云主机租用|c6.large|月|3|1200|3600.00|6%|216.00",
			"*信息技术服务*对象存储|标准型|TB|2|150|300.00|6%|18.00",
		}})
}

func TestInconsistentInvoiceIsFlagged(t *testing.T) {
	t.Parallel()
	inv, err := einvoice.ParsePDF(context.Background(), "tampered.pdf", generatedInvoice(t, "肆仟壹佰叁拾伍圆整"))
	if err != nil {
		t.Fatal(err)
	}
	if err := inv.Check(); err == nil || !strings.Contains(err.Error(), "4135.00") {
		t.Fatalf("words 4135 vs figures 4134: got %v", err)
	}
}

// A 全电 XML written to the bureau's published structure (no sample ships
// with the corpus), carrying the same invoice as erma0_sample.ofd.
const quandianXML = `<?xml version="1.0" encoding="UTF-8"?>
<EInvoice>
  <Header>
    <EIid>24322000000489101796</EIid>
    <EInvoiceTag>SWEI3200</EInvoiceTag>
    <Version>0.1</Version>
    <InherentLabel><EInvoiceType><LabelCode>02</LabelCode><LabelName>普通发票</LabelName></EInvoiceType></InherentLabel>
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
      <Quantity>2</Quantity><UnPrice>8849.56</UnPrice><Amount>17699.12</Amount><TaxRate>0.13</TaxRate><ComTaxAm>2300.88</ComTaxAm>
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
	check(t, inv, want{"电子发票（普通发票）", "", "24322000000489101796", "2024-12-05", "无锡天鹏菜篮子工程有限公司", "91320200796148368W", "无锡爱尔拓燃气技术设备有限公司", "91320211739560225X",
		"17699.12", "2300.88", "20000.00", "贰万圆整", []string{"*劳务*维护保养-调压站||台|2|8849.56|17699.12|13%|2300.88"}})
	// The same invoice from its OFD: one dedup key.
	ofd, err := einvoice.Parse(context.Background(), "erma0_sample.ofd", read(t, "erma0_sample.ofd"))
	if err != nil {
		t.Fatal(err)
	}
	if ofd.DedupKey() != inv.DedupKey() {
		t.Fatal("the same invoice from OFD and XML has two dedup keys")
	}
	for _, bad := range []string{"<EInvoice><Header/></EInvoice>", "<Other/>", "<EInvoice><EIid>1</EIid><TotalAmWithoutTax>x</TotalAmWithoutTax></EInvoice>"} {
		if _, err := einvoice.ParseXML("bad.xml", []byte(bad)); err == nil || !strings.Contains(err.Error(), "bad.xml") {
			t.Errorf("%q: got %v", bad, err)
		}
	}
}

// Fuzz targets for the e-invoice parsers, seeded from the corpus and the
// 全电 sample: whatever the bytes, parsing returns an invoice or an error.
func FuzzXML(f *testing.F) {
	f.Add([]byte(quandianXML))
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = einvoice.ParseXML("fuzz.xml", b) })
}

func FuzzOFD(f *testing.F) {
	for _, n := range []string{"sanitized_vat_invoice.ofd", "erma0_sample.ofd"} {
		if b, err := os.ReadFile(filepath.Join(corpus, n)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = einvoice.ParseOFD("fuzz.ofd", b) })
}

// FuzzInvoiceText fuzzes the field rules on reading-order text, where
// PDF invoices end up.
func FuzzInvoiceText(f *testing.F) {
	f.Add("发票代码：011002100111 发票号码：12345678 开票日期：2024年12月05日\n合计 ¥100.00 ¥13.00\n价税合计（大写） 壹佰壹拾叁圆整 （小写）¥113.00")
	f.Fuzz(func(t *testing.T, s string) { _, _ = einvoice.ParseText("fuzz.txt", s) })
}
