package tax

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/go-pdf/fpdf"
	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"
)

// draw is one string on an invoice page: x is its left edge, its right
// edge (align 'R') or its centre ('C'); y is the baseline; both in mm from
// the page's top left.
type draw struct {
	x, y  float64
	s     string
	size  float64 // points; 0 is 9
	align byte
}

// layout is an invoice page as its producers build it: the printed form
// (labels, title) first, then the values the invoicing system fills in.
type layout struct {
	labels, values []draw
}

// Invoice pages are 210 × 140 mm.
const pageW, pageH = 210.0, 140.0

func (rec *Record) date() string {
	t := rec.IssueDate.Time(cst)
	return fmt.Sprintf("%d年%02d月%02d日", t.Year(), t.Month(), t.Day())
}

func yuan(s string) string { return "¥" + s }

// layoutOf lays out rec's one page: the 数电 form, or the 税控 form of the
// older kinds.
func layoutOf(rec *Record) layout {
	if rec.Digital() {
		return digitalLayout(rec)
	}
	return oldLayout(rec)
}

func digitalLayout(rec *Record) layout {
	var L, V []draw
	l := func(x, y float64, s string) { L = append(L, draw{x: x, y: y, s: s}) }
	v := func(x, y float64, s string, align byte, size float64) {
		if s != "" {
			V = append(V, draw{x: x, y: y, s: s, align: align, size: size})
		}
	}
	L = append(L, draw{x: 105, y: 14, s: rec.Kind, size: 15, align: 'C'})
	l(150, 18, "发票号码：")
	l(150, 24, "开票日期：")
	for i, s := range "购买方信息" {
		l(6, float64(34+4*i/3), string(s))
	}
	for i, s := range "销售方信息" {
		l(106, float64(34+4*i/3), string(s))
	}
	l(12, 38, "名称：")
	l(12, 46, "统一社会信用代码/纳税人识别号：")
	l(112, 38, "名称：")
	l(112, 46, "统一社会信用代码/纳税人识别号：")
	for _, h := range []struct {
		x float64
		s string
	}{{30, "项目名称"}, {72, "规格型号"}, {91, "单　位"}, {107, "数　量"}, {129, "单　价"}, {155, "金　额"}, {178, "税率/征收率"}, {196, "税　额"}} {
		L = append(L, draw{x: h.x, y: 58, s: h.s, align: 'C', size: 8})
	}
	l(20, 96, "合")
	l(36, 96, "计")
	l(16, 104, "价税合计（大写）")
	l(143, 104, "（小写）")
	l(7, 112, "备")
	l(7, 118, "注")
	l(19, 130, "开票人：")

	v(168, 18, rec.Number, 'L', 0)
	v(168, 24, rec.date(), 'L', 0)
	v(22, 38, rec.BuyerName, 'L', 0)
	v(62, 46, rec.BuyerTaxID, 'L', 0)
	v(122, 38, rec.SellerName, 'L', 0)
	v(162, 46, rec.SellerTaxID, 'L', 0)
	y := 64.0
	for _, it := range rec.Items {
		c := cells(it)
		v(6, y, it.Name, 'L', 0)
		v(61, y, it.Spec, 'L', 0)
		v(91, y, it.Unit, 'C', 0)
		v(116, y, c.qty, 'R', 0)
		size := 0.0
		if len(c.price) > 10 {
			size = 6.5 // long prices are set smaller to fit their cell
		}
		v(141, y, c.price, 'R', size)
		v(167, y, c.amount, 'R', 0)
		v(178, y, it.TaxRate, 'C', 0)
		v(204, y, c.tax, 'R', 0)
		y += 4.5
	}
	v(167, 96, yuan(rec.Amount.StringFixed(2)), 'R', 0)
	v(204, 96, yuan(rec.Tax.StringFixed(2)), 'R', 0)
	v(60, 104, "ⓧ"+rec.TotalInWords, 'L', 0)
	v(160, 104, yuan(rec.Total.StringFixed(2)), 'L', 0)
	if rec.Remark != "" {
		v(14, 114, rec.Remark, 'L', 7)
	}
	v(33, 130, rec.Drawer, 'L', 0)
	return layout{labels: L, values: V}
}

type itemCells struct{ qty, price, amount, tax string }

func cells(it ferry.InvoiceItem) itemCells {
	var c itemCells
	if it.QuantityStated {
		c.qty = it.Quantity.String()
	}
	if it.PriceStated {
		c.price = it.UnitPrice.String()
	}
	c.amount, c.tax = it.Amount.StringFixed(2), it.Tax.StringFixed(2)
	return c
}

// groups writes a 校验码 in groups of five, as invoices print it.
func groups(s string) string {
	var parts []string
	for len(s) > 5 {
		parts, s = append(parts, s[:5]), s[5:]
	}
	return strings.Join(append(parts, s), " ")
}

// cipher is the 密码区 of a 税控 invoice: four lines of the tax control
// device's cipher text, derived from the number.
func cipher(rec *Record) []string {
	h := fnv.New64a()
	h.Write([]byte(rec.Code + rec.Number))
	r := rand.New(rand.NewPCG(h.Sum64(), 1))
	const alphabet = "0123456789+-*/<>"
	out := make([]string, 4)
	for i := range out {
		var b strings.Builder
		for j := 0; j < 27; j++ {
			b.WriteByte(alphabet[r.IntN(len(alphabet))])
		}
		out[i] = b.String()
	}
	return out
}

func oldLayout(rec *Record) layout {
	const sp = "　　"
	var L, V []draw
	l := func(x, y float64, s string) { L = append(L, draw{x: x, y: y, s: s}) }
	v := func(x, y float64, s string, align byte) {
		if s != "" {
			V = append(V, draw{x: x, y: y, s: s, align: align})
		}
	}
	L = append(L, draw{x: 105, y: 14, s: rec.Kind, size: 16, align: 'C'})
	if rec.Red {
		l(150, 12, "销项负数")
	}
	l(12, 24, "机器编号：")
	heads := []string{"发票代码：", "发票号码：", "开票日期：", "校 验 码："}
	vals := []string{rec.Code, rec.Number, rec.date(), groups(rec.CheckCode)}
	if rec.CheckCode == "" {
		heads, vals = heads[:3], vals[:3]
	}
	for i, s := range heads {
		l(140, float64(18+5*i), s)
	}
	for i, s := range "购买方" {
		l(8, float64(43+5*i/3), string(s))
	}
	for i, s := range []string{"名" + sp + "称：", "纳税人识别号：", "地 址、电 话：", "开户行及账号："} {
		l(13, float64(42+5*i), s)
	}
	for i, s := range "密码区" {
		l(120, float64(43+5*i/3), string(s))
	}
	for _, h := range []struct {
		x float64
		s string
	}{{34, "货物或应税劳务、服务名称"}, {71, "规格型号"}, {87, "单　位"}, {100, "数　量"}, {119, "单　价"}, {144, "金　额"}, {164, "税率"}, {185, "税　额"}} {
		L = append(L, draw{x: h.x, y: 66, s: h.s, align: 'C'})
	}
	l(20, 100, "合"+sp+"计")
	l(12, 108, "价税合计（大写）")
	l(140, 108, "（小写）")
	for i, s := range "销售方" {
		l(8, float64(119+5*i/3), string(s))
	}
	for i, s := range []string{"名" + sp + "称：", "纳税人识别号：", "地 址、电 话：", "开户行及账号："} {
		l(13, float64(118+5*i), s)
	}
	l(120, 120, "备")
	l(120, 128, "注")
	l(12, 138, "收款人：")
	l(60, 138, "复核：")
	l(110, 138, "开票人：")
	l(160, 138, "销售方：（章）")

	v(30, 24, rec.MachineNo, 'L')
	for i, s := range vals {
		v(158, float64(18+5*i), s, 'L')
	}
	buyer, seller := partyOf(rec.BuyerTaxID), partyOf(rec.SellerTaxID)
	v(40, 42, rec.BuyerName, 'L')
	v(40, 47, rec.BuyerTaxID, 'L')
	v(40, 52, buyer.Address, 'L')
	v(40, 57, buyer.Bank, 'L')
	for i, s := range cipher(rec) {
		v(126, float64(42+5*i), s, 'L')
	}
	y := 72.0
	for _, it := range rec.Items {
		c := cells(it)
		v(9, y, it.Name, 'L')
		v(61, y, it.Spec, 'L')
		v(87, y, it.Unit, 'C')
		v(107, y, c.qty, 'R')
		v(129, y, c.price, 'R')
		v(157, y, c.amount, 'R')
		v(164, y, it.TaxRate, 'C')
		v(199, y, c.tax, 'R')
		y += 5
	}
	v(157, 100, yuan(rec.Amount.StringFixed(2)), 'R')
	v(199, 100, yuan(rec.Tax.StringFixed(2)), 'R')
	v(50, 108, "ⓧ"+rec.TotalInWords, 'L')
	v(155, 108, yuan(rec.Total.StringFixed(2)), 'L')
	v(40, 118, rec.SellerName, 'L')
	v(40, 123, rec.SellerTaxID, 'L')
	v(40, 128, seller.Address, 'L')
	v(40, 133, seller.Bank, 'L')
	if rec.Remark != "" {
		V = append(V, draw{x: 126, y: 124, s: rec.Remark, size: 7})
	}
	v(124, 138, rec.Drawer, 'L')
	return layout{labels: L, values: V}
}

// partyOf finds a taxpayer's address and bank for the 税控 form.
func partyOf(id string) Taxpayer {
	for _, t := range append(Counterparties(), Home()) {
		if t.TaxID == id {
			return t
		}
	}
	return Taxpayer{}
}

type fontBytes struct{ cjk, latin []byte }

// loadFonts reads the TrueType fonts the bank's PDFs use too (Debian's
// fonts-droid-fallback and fonts-dejavu-core), once per process.
var loadFonts = sync.OnceValues(func() (fontBytes, error) {
	cjk, err := os.ReadFile(sandbox.CJKFontPath)
	if err != nil {
		return fontBytes{}, fmt.Errorf("tax: invoice PDFs need a CJK font: %w (install Debian's fonts-droid-fallback)", err)
	}
	latin, err := os.ReadFile(sandbox.LatinFontPath)
	if err != nil {
		return fontBytes{}, fmt.Errorf("tax: invoice PDFs need a Latin font: %w (install Debian's fonts-dejavu-core)", err)
	}
	return fontBytes{cjk, latin}, nil
})

// cjkText reports whether s is set in the CJK font: any character from
// general punctuation up. Figures and codes are set in the Latin font, as
// invoices print them.
func cjkText(s string) bool {
	for _, r := range s {
		if r >= 0x2000 {
			return true
		}
	}
	return false
}

// RenderPDF writes rec as its invoicing system does: one 210 × 140 mm
// page, both fonts embedded as subset CID fonts with ToUnicode maps, the
// form's labels drawn first and the values after.
func RenderPDF(rec *Record) ([]byte, error) {
	fonts, err := loadFonts()
	if err != nil {
		return nil, err
	}
	p := fpdf.NewCustom(&fpdf.InitType{UnitStr: "mm", Size: fpdf.SizeType{Wd: pageW, Ht: pageH}})
	p.SetCompression(true)
	// Fonts and objects in a fixed order (fpdf otherwise follows map
	// order): the same invoice is the same bytes on every download.
	p.SetCatalogSort(true)
	// fpdf writes into the font bytes while subsetting: each document
	// gets its own copy.
	p.AddUTF8FontFromBytes("cjk", "", bytes.Clone(fonts.cjk))
	p.AddUTF8FontFromBytes("latin", "", bytes.Clone(fonts.latin))
	p.SetAutoPageBreak(false, 0)
	p.SetCreator("国家税务总局全国统一电子发票服务平台（沙箱）", true)
	p.SetTitle(rec.Kind+" "+rec.Number, true)
	// Dated when issued, never by the wall clock: a download is the same
	// file every time.
	p.SetCreationDate(rec.IssuedAt)
	p.SetModificationDate(rec.IssuedAt)
	p.AddPage()
	lay := layoutOf(rec)
	for _, group := range [][]draw{lay.labels, lay.values} {
		for _, d := range group {
			size := d.size
			if size == 0 {
				size = 9
			}
			if cjkText(d.s) {
				p.SetFont("cjk", "", size)
			} else {
				p.SetFont("latin", "", size)
			}
			x := d.x
			switch d.align {
			case 'R':
				x -= p.GetStringWidth(d.s)
			case 'C':
				x -= p.GetStringWidth(d.s) / 2
			}
			p.Text(x, d.y, d.s)
		}
	}
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, fmt.Errorf("tax: render PDF of invoice %s: %w", rec.Number, err)
	}
	return buf.Bytes(), nil
}

const ofdNS = `xmlns:ofd="http://www.ofdspec.org/2016"`

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// RenderOFD writes rec as an OFD package (GB/T 33190) the way the tax
// bureau's producers do: OFD.xml with the invoice's CustomData, the form's
// labels on a template page, the values as text objects on the content
// page, and Tags/CustomTag.xml mapping the fields to those objects.
func RenderOFD(rec *Record) ([]byte, error) {
	lay := layoutOf(rec)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var werr error
	put := func(name, body string) {
		if werr != nil {
			return
		}
		w, err := zw.Create(name)
		if err == nil {
			_, err = w.Write([]byte(body))
		}
		if err != nil {
			werr = fmt.Errorf("tax: write OFD part %s of invoice %s: %w", name, rec.Number, err)
		}
	}
	id := 100
	ids := map[string]int{} // the text of a value → its object's id
	objects := func(ds []draw, values bool) string {
		var b strings.Builder
		for _, d := range ds {
			size := d.size
			if size == 0 {
				size = 9
			}
			mm := size * 25.4 / 72
			var adv []string
			width := 0.0
			for _, r := range d.s {
				a := mm
				if r < 0x2000 {
					a = mm / 2
				}
				adv = append(adv, fmt.Sprintf("%.3f", a))
				width += a
			}
			x := d.x
			switch d.align {
			case 'R':
				x -= width
			case 'C':
				x -= width / 2
			}
			id++
			if values {
				if _, seen := ids[d.s]; !seen {
					ids[d.s] = id
				}
			}
			dx := ""
			if n := utf8.RuneCountInString(d.s); n > 1 {
				dx = ` DeltaX="` + strings.Join(adv[:n-1], " ") + `"`
			}
			font := 2
			if cjkText(d.s) {
				font = 1
			}
			fmt.Fprintf(&b, `<ofd:TextObject ID="%d" Boundary="%.3f %.3f %.3f %.3f" Font="%d" Size="%.3f"><ofd:FillColor Value="0 0 0"/><ofd:TextCode X="0" Y="%.3f"%s>%s</ofd:TextCode></ofd:TextObject>`,
				id, x, d.y-mm, width+0.5, mm*1.3, font, mm, mm, dx, esc(d.s))
		}
		return b.String()
	}
	custom := []struct{ k, v string }{
		{"发票号码", rec.Number}, {"开票日期", rec.date()}, {"合计金额", rec.Amount.StringFixed(2)}, {"合计税额", rec.Tax.StringFixed(2)},
		{"购买方纳税人识别号", rec.BuyerTaxID}, {"销售方纳税人识别号", rec.SellerTaxID},
	}
	if rec.Code != "" {
		custom = append(custom[:1], append([]struct{ k, v string }{{"发票代码", rec.Code}}, custom[1:]...)...)
	}
	var cd strings.Builder
	for _, c := range custom {
		fmt.Fprintf(&cd, `<ofd:CustomData Name="%s">%s</ofd:CustomData>`, c.k, esc(c.v))
	}
	put("OFD.xml", `<?xml version="1.0" encoding="UTF-8"?><ofd:OFD `+ofdNS+` DocType="OFD" Version="1.0"><ofd:DocBody><ofd:DocInfo><ofd:DocID>`+
		fmt.Sprintf("%032x", fnvOf(rec.Number))+`</ofd:DocID><ofd:Title>`+esc(rec.Kind)+`</ofd:Title><ofd:Creator>国家税务总局全国统一电子发票服务平台（沙箱）</ofd:Creator><ofd:CreationDate>`+
		rec.IssuedAt.Format("2006-01-02")+`</ofd:CreationDate><ofd:CustomDatas>`+cd.String()+`</ofd:CustomDatas></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>`)
	box := fmt.Sprintf("0 0 %g %g", pageW, pageH)
	put("Doc_0/PublicRes.xml", `<?xml version="1.0" encoding="UTF-8"?><ofd:Res `+ofdNS+` BaseLoc="Res"><ofd:Fonts><ofd:Font ID="1" FontName="宋体" FamilyName="宋体"/><ofd:Font ID="2" FontName="Courier New" FamilyName="Courier New" FixedWidth="true"/></ofd:Fonts></ofd:Res>`)
	put("Doc_0/Tpls/Tpl_0/Content.xml", `<?xml version="1.0" encoding="UTF-8"?><ofd:Page `+ofdNS+`><ofd:Area><ofd:PhysicalBox>`+box+`</ofd:PhysicalBox></ofd:Area><ofd:Content><ofd:Layer ID="3" Type="Background">`+objects(lay.labels, false)+`</ofd:Layer></ofd:Content></ofd:Page>`)
	put("Doc_0/Pages/Page_0/Content.xml", `<?xml version="1.0" encoding="UTF-8"?><ofd:Page `+ofdNS+`><ofd:Template TemplateID="2" ZOrder="Background"/><ofd:Area><ofd:PhysicalBox>`+box+`</ofd:PhysicalBox></ofd:Area><ofd:Content><ofd:Layer ID="4">`+objects(lay.values, true)+`</ofd:Layer></ofd:Content></ofd:Page>`)
	put("Doc_0/Document.xml", `<?xml version="1.0" encoding="UTF-8"?><ofd:Document `+ofdNS+`><ofd:CommonData><ofd:MaxUnitID>`+fmt.Sprint(id)+`</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>`+box+
		`</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes><ofd:TemplatePage ID="2" BaseLoc="Tpls/Tpl_0/Content.xml"/></ofd:CommonData><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages><ofd:CustomTags>Tags/CustomTags.xml</ofd:CustomTags></ofd:Document>`)
	put("Doc_0/Tags/CustomTags.xml", `<?xml version="1.0" encoding="UTF-8"?><ofd:CustomTags `+ofdNS+`><ofd:CustomTag NameSpace="tax.invoice" TypeID="invoice"><ofd:FileLoc>CustomTag.xml</ofd:FileLoc></ofd:CustomTag></ofd:CustomTags>`)
	var tags strings.Builder
	for _, t := range []struct{ k, v string }{
		{"InvoiceCode", rec.Code}, {"InvoiceNo", rec.Number}, {"IssueDate", rec.date()}, {"BuyerName", rec.BuyerName}, {"BuyerTaxID", rec.BuyerTaxID},
		{"SellerName", rec.SellerName}, {"SellerTaxID", rec.SellerTaxID}, {"TaxExclusiveTotalAmount", yuan(rec.Amount.StringFixed(2))},
		{"TaxTotalAmount", yuan(rec.Tax.StringFixed(2))}, {"TaxInclusiveTotalAmount", yuan(rec.Total.StringFixed(2))},
	} {
		if ref, ok := ids[t.v]; ok && t.v != "" {
			fmt.Fprintf(&tags, `<ofd:%s><ofd:ObjectRef PageRef="1">%d</ofd:ObjectRef></ofd:%s>`, t.k, ref, t.k)
		}
	}
	put("Doc_0/Tags/CustomTag.xml", `<?xml version="1.0" encoding="UTF-8"?><ofd:root `+ofdNS+` version="1.0">`+tags.String()+`</ofd:root>`)
	if werr != nil {
		return nil, werr
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("tax: close OFD of invoice %s: %w", rec.Number, err)
	}
	return buf.Bytes(), nil
}

func fnvOf(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// RenderXML writes a 数电 invoice in the tax bureau's XML format (EInvoice:
// Header with the labels, EInvoiceData with seller, buyer, basic
// information and one IssuItemInformation per line, TaxSupervisionInfo).
// The older kinds have no XML: the error says so.
func RenderXML(rec *Record) ([]byte, error) {
	if !rec.Digital() {
		return nil, fmt.Errorf("tax: invoice %s_%s is a %s: only 数电 invoices have an XML file", rec.Code, rec.Number, rec.Type)
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n<EInvoice>")
	blue, blueName := "Y", "蓝字发票"
	if rec.Red {
		blue, blueName = "N", "红字发票"
	}
	kindCode, kindName := "02", "普通发票"
	if rec.Type == TypeDigitalSpecial {
		kindCode, kindName = "01", "增值税专用发票"
	}
	fmt.Fprintf(&b, `<Header><EIid>%s</EIid><EInvoiceTag>SWEI%s00</EInvoiceTag><Version>0.1</Version><InherentLabel>`+
		`<InIssuType><LabelCode>%s</LabelCode><LabelName>%s</LabelName></InIssuType>`+
		`<EInvoiceType><LabelCode>%s</LabelCode><LabelName>%s</LabelName></EInvoiceType>`+
		`<GeneralOrSpecialVAT><LabelCode>%s</LabelCode><LabelName>%s</LabelName></GeneralOrSpecialVAT>`+
		`<TaxpayerType><LabelCode>01</LabelCode><LabelName>一般纳税人</LabelName></TaxpayerType></InherentLabel></Header>`,
		rec.Number, rec.Number[2:4], blue, blueName, kindCode, kindName, kindCode, kindName)
	seller, buyer := partyOf(rec.SellerTaxID), partyOf(rec.BuyerTaxID)
	b.WriteString("<EInvoiceData>")
	fmt.Fprintf(&b, `<SellerInformation><SellerIdNum>%s</SellerIdNum><SellerName>%s</SellerName><SellerAddr>%s</SellerAddr><SellerBankName>%s</SellerBankName></SellerInformation>`,
		esc(rec.SellerTaxID), esc(rec.SellerName), esc(seller.Address), esc(seller.Bank))
	fmt.Fprintf(&b, `<BuyerInformation><BuyerIdNum>%s</BuyerIdNum><BuyerName>%s</BuyerName><BuyerAddr>%s</BuyerAddr><BuyerBankName>%s</BuyerBankName></BuyerInformation>`,
		esc(rec.BuyerTaxID), esc(rec.BuyerName), esc(buyer.Address), esc(buyer.Bank))
	fmt.Fprintf(&b, `<BasicInformation><TotalAmWithoutTax>%s</TotalAmWithoutTax><TotalTaxAm>%s</TotalTaxAm><TotalTax-includedAmount>%s</TotalTax-includedAmount>`+
		`<TotalTax-includedAmountInChinese>%s</TotalTax-includedAmountInChinese><Drawer>%s</Drawer><RequestTime>%s</RequestTime></BasicInformation>`,
		rec.Amount.StringFixed(2), rec.Tax.StringFixed(2), rec.Total.StringFixed(2), esc(rec.TotalInWords), esc(rec.Drawer), rec.IssuedAt.Format("2006-01-02 15:04:05"))
	for _, it := range rec.Items {
		c := cells(it)
		rate := strings.TrimSuffix(it.TaxRate, "%")
		if r, err := decimalOf(rate); err == nil {
			rate = r.Shift(-2).String() // 13% → 0.13, as the bureau writes it
		}
		fmt.Fprintf(&b, `<IssuItemInformation><ItemName>%s</ItemName><SpecMod>%s</SpecMod><MeaUnits>%s</MeaUnits><Quantity>%s</Quantity><UnPrice>%s</UnPrice><Amount>%s</Amount><TaxRate>%s</TaxRate><ComTaxAm>%s</ComTaxAm><TotaltaxIncludedAmount>%s</TotaltaxIncludedAmount></IssuItemInformation>`,
			esc(it.Name), esc(it.Spec), esc(it.Unit), c.qty, c.price, c.amount, rate, c.tax, it.Amount.Add(it.Tax).StringFixed(2))
	}
	if rec.Remark != "" {
		fmt.Fprintf(&b, `<AdditionalInformation><Remark>%s</Remark></AdditionalInformation>`, esc(rec.Remark))
	}
	b.WriteString("</EInvoiceData>")
	fmt.Fprintf(&b, `<TaxSupervisionInfo><InvoiceNumber>%s</InvoiceNumber><IssueTime>%s</IssueTime><TaxBureauCode>1%s00000000</TaxBureauCode><TaxBureauName>国家税务总局%s税务局</TaxBureauName></TaxSupervisionInfo>`,
		rec.Number, rec.IssuedAt.Format("2006-01-02 15:04:05"), rec.Number[2:4], regionName(rec.Number[2:4]))
	b.WriteString("</EInvoice>")
	return []byte(b.String()), nil
}

func regionName(code string) string {
	switch code {
	case "11":
		return "北京市"
	case "32":
		return "江苏省"
	case "33":
		return "浙江省"
	case "44":
		return "广东省"
	}
	return "上海市"
}

// ExportColumns are the columns of the portal's XLSX list export.
var ExportColumns = []string{"序号", "发票代码", "发票号码", "数电票号码", "销方识别号", "销方名称", "购方识别号", "购买方名称", "开票日期",
	"金额", "税额", "价税合计", "发票来源", "发票票种", "发票状态", "是否正数发票", "开票人", "备注"}

// RenderXLSX writes records as the portal's list export (全量发票查询导出).
func RenderXLSX(recs []*Record) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "发票基础信息"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, fmt.Errorf("tax: XLSX export: %w", err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, fmt.Errorf("tax: XLSX export: %w", err)
	}
	row := func(n int, cells []any) error {
		c, _ := excelize.CoordinatesToCellName(1, n)
		return sw.SetRow(c, cells)
	}
	head := make([]any, len(ExportColumns))
	for i, c := range ExportColumns {
		head[i] = c
	}
	if err := row(1, head); err != nil {
		return nil, fmt.Errorf("tax: XLSX export: %w", err)
	}
	for i, r := range recs {
		digitalNo, code, number := "", r.Code, r.Number
		if r.Digital() {
			digitalNo, number = r.Number, ""
		}
		positive := "是"
		if r.Red {
			positive = "否"
		}
		cells := []any{i + 1, code, number, digitalNo, r.SellerTaxID, r.SellerName, r.BuyerTaxID, r.BuyerName, r.IssuedAt.Format("2006-01-02 15:04:05"),
			r.Amount.StringFixed(2), r.Tax.StringFixed(2), r.Total.StringFixed(2), "电子发票服务平台", r.Type, r.Status, positive, r.Drawer, r.Remark}
		if err := row(i+2, cells); err != nil {
			return nil, fmt.Errorf("tax: XLSX export row %d: %w", i+1, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, fmt.Errorf("tax: XLSX export: %w", err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, fmt.Errorf("tax: XLSX export: %w", err)
	}
	return buf.Bytes(), nil
}

func decimalOf(s string) (decimal.Decimal, error) { return decimal.NewFromString(s) }
