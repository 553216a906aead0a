package einvoice_test

// A generator of VAT e-invoices written the way the real producers write
// them (hand-written from the published layouts of 增值税电子普通发票 from
// 税控 systems, toll invoices, and 数电 电子发票; no real invoice is copied):
// PDFs with subset CID fonts and ToUnicode maps (go-pdf/fpdf with the Droid
// fallback TrueType font), every label drawn first and the values after,
// labels spaced with U+3000, figures right-aligned in their cells, the 密码区
// beside the buyer's fields; and OFD packages with a template page for the
// labels and a content page plus CustomTag.xml for the values.

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/go-pdf/fpdf"
)

// draw is one string on a page: x is its left edge, or its right edge
// (align 'R'), or its centre (align 'C'); y is the baseline, in mm from
// the top.
type draw struct {
	x, y  float64
	s     string
	size  float64
	align byte
}

// genPage is one page: labels (the printed form) and values (what the
// invoicing system filled in), drawn in that order as producers do.
type genPage struct {
	labels, values []draw
}

func fonts(t *testing.T) (cjk, latin []byte) {
	t.Helper()
	cjkPath := testenv.File(t, "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", "fonts-droid-fallback")
	latinPath := testenv.File(t, "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "fonts-dejavu-core")
	var err error
	if cjk, err = os.ReadFile(cjkPath); err != nil {
		t.Fatal(err)
	}
	if latin, err = os.ReadFile(latinPath); err != nil {
		t.Fatal(err)
	}
	return cjk, latin
}

// renderPDF writes pages as a PDF: CJK text in the Droid font, figures and
// codes in DejaVu (invoices print digits in a Latin font), both embedded as
// subset CID fonts with ToUnicode maps.
func renderPDF(t *testing.T, w, h float64, pages []genPage) []byte {
	t.Helper()
	cjk, latin := fonts(t)
	p := fpdf.NewCustom(&fpdf.InitType{UnitStr: "mm", Size: fpdf.SizeType{Wd: w, Ht: h}})
	p.AddUTF8FontFromBytes("cjk", "", cjk)
	p.AddUTF8FontFromBytes("latin", "", latin)
	p.SetAutoPageBreak(false, 0)
	for _, pg := range pages {
		p.AddPage()
		for _, group := range [][]draw{pg.labels, pg.values} {
			for _, d := range group {
				font := "latin"
				for _, r := range d.s {
					if r >= 0x2000 {
						font = "cjk"
					}
				}
				size := d.size
				if size == 0 {
					size = 9
				}
				p.SetFont(font, "", size)
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
	}
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// genItem is one item line as printed.
type genItem struct {
	name, spec, unit, qty, price, amount, rate, tax string
	plate, vtype, from, to                          string // toll invoices
	name2                                           string // the name's second line, where it wraps
}

// genInvoice is an invoice to write.
type genInvoice struct {
	title                     string // 增值税电子普通发票, 电子发票（普通发票） …
	toll, red                 bool
	code, number, date, check string
	machine                   string
	buyer, buyerID            string
	seller, sellerID          string
	items                     []genItem
	listItems                 []genItem // items on a 销货清单 page; items then holds the placeholder
	sumAmount, sumTax, total  string    // as printed, with ¥
	words                     string
	nameSpace                 string // what spaces 名称's two characters: U+3000 by default
	itemsOnly                 bool   // draw the item table's header but no item rows
	perPage                   int    // items per page of a multi-page 数电 invoice
}

var (
	u3000 = "　　　　"
	pwd   = []string{"03*<4>9/+-5<7*18+1<*0>6-/*2<>+94>/9", "-5*<+77<6>0*/93-+<>*1*4+9<>9+/8*<", "8*+/<4>4*9<-*56>+*/<3>0+18-*95//-<", "<1>8*+-2*0/3>+<9*/7-56<>*+18>*0/<6"}
)

// oldStyle lays out a 增值税电子普通/专用发票 as 税控 systems print it
// (210 × 140 mm): header fields top right, buyer box with the 密码区 beside
// it, the item table, 合计, 价税合计, seller box, 备注.
func oldStyle(g genInvoice) []genPage {
	sp := g.nameSpace
	if sp == "" {
		sp = u3000
	}
	var L, V []draw
	l := func(x, y float64, s string) { L = append(L, draw{x: x, y: y, s: s}) }
	v := func(x, y float64, s string, align byte) {
		if s != "" {
			V = append(V, draw{x: x, y: y, s: s, align: align})
		}
	}
	L = append(L, draw{x: 105, y: 14, s: g.title, size: 16, align: 'C'})
	if g.toll {
		l(14, 12, "通行费")
	}
	if g.red {
		l(150, 12, "销项负数")
	}
	l(12, 24, "机器编号：")
	for i, s := range []string{"发票代码：", "发票号码：", "开票日期：", "校 验 码："} {
		l(140, float64(18+5*i), s)
	}
	for i, s := range []string{"购", "买", "方"} {
		l(8, float64(43+5*i), s)
	}
	for i, s := range []string{"名" + sp + "称：", "纳税人识别号：", "地 址、电 话：", "开户行及账号："} {
		l(13, float64(42+5*i), s)
	}
	for i, s := range []string{"密", "码", "区"} {
		l(120, float64(43+5*i), s)
	}
	if g.toll {
		for _, h := range []struct {
			x float64
			s string
		}{{29, "项目名称"}, {61, "车牌号"}, {78, "类 型"}, {94, "通行日期起"}, {114, "通行日期止"}, {137, "金 额"}, {157, "税率"}, {182, "税 额"}} {
			L = append(L, draw{x: h.x, y: 66, s: h.s, align: 'C'})
		}
	} else {
		for _, h := range []struct {
			x float64
			s string
		}{{34, "货物或应税劳务、服务名称"}, {71, "规格型号"}, {87, "单 位"}, {100, "数 量"}, {119, "单 价"}, {144, "金 额"}, {164, "税率"}, {185, "税 额"}} {
			L = append(L, draw{x: h.x, y: 66, s: h.s, align: 'C'})
		}
	}
	l(20, 100, "合"+sp+"计")
	l(12, 108, "价税合计（大写）")
	l(140, 108, "（小写）")
	for i, s := range []string{"销", "售", "方"} {
		l(8, float64(119+5*i), s)
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

	v(30, 24, g.machine, 'L')
	for i, s := range []string{g.code, g.number, g.date, g.check} {
		v(158, float64(18+5*i), s, 'L')
	}
	v(40, 42, g.buyer, 'L')
	v(40, 47, g.buyerID, 'L')
	v(40, 52, "杭州市西湖区文三路 0571-88880000", 'L')
	v(40, 57, "招商银行杭州分行 571900000000001", 'L')
	for i, s := range pwd {
		v(126, float64(42+5*i), s, 'L')
	}
	y := 72.0
	for _, it := range g.items {
		if g.toll {
			v(9, y, it.name, 'L')
			v(61, y, it.plate, 'C')
			v(78, y, it.vtype, 'C')
			v(94, y, it.from, 'C')
			v(114, y, it.to, 'C')
			v(149, y, it.amount, 'R')
			v(157, y, it.rate, 'C')
			v(199, y, it.tax, 'R')
		} else {
			v(9, y, it.name, 'L')
			v(61, y, it.spec, 'L')
			v(87, y, it.unit, 'C')
			v(107, y, it.qty, 'R')
			v(129, y, it.price, 'R')
			v(157, y, it.amount, 'R')
			v(164, y, it.rate, 'C')
			v(199, y, it.tax, 'R')
		}
		y += 5
		if it.name2 != "" {
			v(9, y, it.name2, 'L')
			y += 5
		}
	}
	if g.toll {
		v(149, 100, g.sumAmount, 'R')
	} else {
		v(157, 100, g.sumAmount, 'R')
	}
	v(199, 100, g.sumTax, 'R')
	v(50, 108, "ⓧ"+g.words, 'L')
	v(155, 108, g.total, 'L')
	v(40, 118, g.seller, 'L')
	v(40, 123, g.sellerID, 'L')
	v(40, 128, "杭州市滨江区网商路 0571-86660000", 'L')
	v(40, 133, "中国工商银行杭州高新支行 1202020000000000001", 'L')
	v(126, 124, "订单号 20261008-0001", 'L')
	v(124, 138, "王芳", 'L')
	pages := []genPage{{labels: L, values: V}}
	if len(g.listItems) > 0 {
		pages = append(pages, salesList(g))
	}
	return pages
}

// salesList is the 销售货物或者提供应税劳务、服务清单 page that carries the
// items of an invoice whose first page says (详见销货清单).
func salesList(g genInvoice) genPage {
	var L, V []draw
	L = append(L, draw{x: 105, y: 14, s: "销售货物或者提供应税劳务、服务清单", size: 14, align: 'C'})
	L = append(L, draw{x: 12, y: 24, s: "购买方名称："}, draw{x: 12, y: 30, s: "销售方名称："},
		draw{x: 12, y: 36, s: "所属增值税电子普通发票代码："}, draw{x: 110, y: 36, s: "号码："}, draw{x: 160, y: 36, s: "共 1 页 第 1 页"})
	for _, h := range []struct {
		x float64
		s string
	}{{12, "序号"}, {44, "货物（劳务）名称"}, {84, "规格型号"}, {99, "单位"}, {112, "数 量"}, {131, "单 价"}, {153, "金 额"}, {170, "税率"}, {189, "税 额"}} {
		L = append(L, draw{x: h.x, y: 44, s: h.s, align: 'C'})
	}
	y := 50.0
	for i, it := range g.listItems {
		V = append(V, draw{x: 12, y: y, s: fmt.Sprint(i + 1), align: 'C'}, draw{x: 21, y: y, s: it.name}, draw{x: 76, y: y, s: it.spec},
			draw{x: 99, y: y, s: it.unit, align: 'C'}, draw{x: 121, y: y, s: it.qty, align: 'R'}, draw{x: 142, y: y, s: it.price, align: 'R'},
			draw{x: 165, y: y, s: it.amount, align: 'R'}, draw{x: 170, y: y, s: it.rate, align: 'C'}, draw{x: 199, y: y, s: it.tax, align: 'R'})
		y += 5
	}
	L = append(L, draw{x: 20, y: y + 2, s: "小 计"}, draw{x: 20, y: y + 8, s: "总 计"}, draw{x: 12, y: y + 16, s: "备 注"})
	V = append(V, draw{x: 165, y: y + 2, s: g.sumAmount, align: 'R'}, draw{x: 199, y: y + 2, s: g.sumTax, align: 'R'},
		draw{x: 165, y: y + 8, s: g.sumAmount, align: 'R'}, draw{x: 199, y: y + 8, s: g.sumTax, align: 'R'},
		draw{x: 40, y: 24, s: g.buyer}, draw{x: 40, y: 30, s: g.seller}, draw{x: 70, y: 36, s: g.code}, draw{x: 122, y: 36, s: g.number})
	return genPage{labels: L, values: V}
}

// digital lays out a 数电 电子发票 (210 × 140 mm): 发票号码 and 开票日期 top
// right, the 购买方信息 and 销售方信息 boxes side by side, the item table
// with 税率/征收率, long unit prices in a smaller size, right-aligned. With
// perPage set, the items run over several pages, each with the whole
// frame, and the totals are filled in on the last.
func digital(g genInvoice) []genPage {
	if g.perPage == 0 || len(g.items) <= g.perPage {
		return digitalPage(g, true)
	}
	var pages []genPage
	all := g.items
	for len(all) > 0 {
		n := min(g.perPage, len(all))
		p := g
		p.items = all[:n]
		all = all[n:]
		pages = append(pages, digitalPage(p, len(all) == 0)...)
	}
	return pages
}

func digitalPage(g genInvoice, last bool) []genPage {
	var L, V []draw
	l := func(x, y float64, s string) { L = append(L, draw{x: x, y: y, s: s}) }
	v := func(x, y float64, s string, align byte, size float64) {
		if s != "" {
			V = append(V, draw{x: x, y: y, s: s, align: align, size: size})
		}
	}
	L = append(L, draw{x: 105, y: 14, s: g.title, size: 15, align: 'C'})
	l(150, 18, "发票号码：")
	l(150, 24, "开票日期：")
	for i, s := range []string{"购", "买", "方", "信", "息"} {
		l(6, float64(34+4*i), s)
	}
	for i, s := range []string{"销", "售", "方", "信", "息"} {
		l(106, float64(34+4*i), s)
	}
	l(12, 38, "名称：")
	l(12, 46, "统一社会信用代码/纳税人识别号：")
	l(112, 38, "名称：")
	l(112, 46, "统一社会信用代码/纳税人识别号：")
	for _, h := range []struct {
		x float64
		s string
	}{{30, "项目名称"}, {72, "规格型号"}, {91, "单 位"}, {107, "数 量"}, {129, "单 价"}, {155, "金 额"}, {178, "税率/征收率"}, {196, "税 额"}} {
		L = append(L, draw{x: h.x, y: 58, s: h.s, align: 'C', size: 8})
	}
	l(20, 96, "合")
	l(36, 96, "计")
	l(16, 104, "价税合计（大写）")
	l(143, 104, "（小写）")
	l(7, 112, "备")
	l(7, 118, "注")
	l(19, 130, "开票人：")

	v(168, 18, g.number, 'L', 0)
	v(168, 24, g.date, 'L', 0)
	v(22, 38, g.buyer, 'L', 0)
	v(62, 46, g.buyerID, 'L', 0)
	v(122, 38, g.seller, 'L', 0)
	v(162, 46, g.sellerID, 'L', 0)
	y := 64.0
	if !g.itemsOnly {
		for _, it := range g.items {
			v(6, y, it.name, 'L', 0)
			v(61, y, it.spec, 'L', 0)
			v(91, y, it.unit, 'C', 0)
			v(116, y, it.qty, 'R', 0)
			size := 0.0
			if len(it.price) > 10 {
				size = 6.5 // long prices are set smaller to fit
			}
			v(141, y, it.price, 'R', size)
			v(167, y, it.amount, 'R', 0)
			v(178, y, it.rate, 'C', 0)
			v(204, y, it.tax, 'R', 0)
			y += 4.5
			if it.name2 != "" {
				v(6, y, it.name2, 'L', 0)
				y += 4.5
			}
		}
	}
	if last {
		v(167, 96, g.sumAmount, 'R', 0)
		v(204, 96, g.sumTax, 'R', 0)
		v(60, 104, "ⓧ"+g.words, 'L', 0)
		v(160, 104, g.total, 'L', 0)
	}
	v(14, 114, "购方开户银行：招商银行上海分行; 银行账号：121900000000001;", 'L', 7)
	v(33, 130, "李娜", 'L', 0)
	return []genPage{{labels: L, values: V}}
}

// renderOFD writes an OFD package the way the tax bureau's producers do:
// the labels and the title on a template page, the values as text objects
// on the content page, and CustomTag.xml mapping fields to those objects.
func renderOFD(t *testing.T, pages []genPage, tags map[string][]string) []byte {
	t.Helper()
	return renderOFDWith(t, pages, tags, nil)
}

// renderOFDWith is renderOFD with extra parts (an attachment, say).
func renderOFDWith(t *testing.T, pages []genPage, tags map[string][]string, extra map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	put := func(name, body string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	const ns = `xmlns:ofd="http://www.ofdspec.org/2016"`
	put("OFD.xml", `<?xml version="1.0" encoding="UTF-8"?><ofd:OFD `+ns+` DocType="OFD" Version="1.0"><ofd:DocBody><ofd:DocInfo><ofd:DocID>0</ofd:DocID><ofd:Creator>Ferry test generator</ofd:Creator></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>`)
	id := 100
	ids := map[string]string{} // value text → object id, for the tags
	objects := func(ds []draw) string {
		var b strings.Builder
		for _, d := range ds {
			size := d.size
			if size == 0 {
				size = 9
			}
			mm := size * 25.4 / 72 // points to millimetres
			var adv []string
			width := 0.0
			for _, r := range d.s {
				a := mm
				if r < 0x2000 {
					a = mm / 2
				}
				adv = append(adv, fmt.Sprintf("%.4f", a))
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
			ids[d.s] = fmt.Sprint(id)
			dx := ""
			if n := utf8.RuneCountInString(d.s); n > 1 {
				dx = ` DeltaX="` + strings.Join(adv[:n-1], " ") + `"`
			}
			var esc bytes.Buffer
			_ = xml.EscapeText(&esc, []byte(d.s))
			fmt.Fprintf(&b, `<ofd:TextObject ID="%d" Boundary="%.4f %.4f %.4f %.4f" Font="1" Size="%.4f"><ofd:TextCode X="0" Y="%.4f"%s>%s</ofd:TextCode></ofd:TextObject>`,
				id, x, d.y-mm, width+1, mm*1.3, mm, mm, dx, esc.String())
		}
		return b.String()
	}
	var pageRefs, tpl strings.Builder
	for i, pg := range pages {
		put(fmt.Sprintf("Doc_0/Tpls/Tpl_%d/Content.xml", i), `<?xml version="1.0" encoding="UTF-8"?><ofd:Page `+ns+`><ofd:Area><ofd:PhysicalBox>0 0 210 140</ofd:PhysicalBox></ofd:Area><ofd:Content><ofd:Layer ID="1">`+objects(pg.labels)+`</ofd:Layer></ofd:Content></ofd:Page>`)
		put(fmt.Sprintf("Doc_0/Pages/Page_%d/Content.xml", i), fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><ofd:Page `+ns+`><ofd:Area><ofd:PhysicalBox>0 0 210 140</ofd:PhysicalBox></ofd:Area><ofd:Template TemplateID="%d" ZOrder="Background"/><ofd:Content><ofd:Layer ID="2">`, 10+i)+objects(pg.values)+`</ofd:Layer></ofd:Content></ofd:Page>`)
		fmt.Fprintf(&tpl, `<ofd:TemplatePage ID="%d" BaseLoc="Tpls/Tpl_%d/Content.xml"/>`, 10+i, i)
		fmt.Fprintf(&pageRefs, `<ofd:Page ID="%d" BaseLoc="Pages/Page_%d/Content.xml"/>`, 50+i, i)
	}
	put("Doc_0/Document.xml", `<?xml version="1.0" encoding="UTF-8"?><ofd:Document `+ns+`><ofd:CommonData><ofd:MaxUnitID>999</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 140</ofd:PhysicalBox></ofd:PageArea>`+tpl.String()+`</ofd:CommonData><ofd:Pages>`+pageRefs.String()+`</ofd:Pages><ofd:CustomTags>Tags/CustomTags.xml</ofd:CustomTags></ofd:Document>`)
	if tags != nil {
		put("Doc_0/Tags/CustomTags.xml", `<?xml version="1.0" encoding="UTF-8"?><ofd:CustomTags `+ns+`><ofd:CustomTag TypeID="root"><ofd:FileLoc>CustomTag.xml</ofd:FileLoc></ofd:CustomTag></ofd:CustomTags>`)
		var b strings.Builder
		for _, k := range []string{"InvoiceNo", "IssueDate", "BuyerName", "BuyerTaxID", "SellerName", "SellerTaxID", "TaxExclusiveTotalAmount", "TaxTotalAmount", "TaxInclusiveTotalAmount"} {
			for _, v := range tags[k] {
				if ref, ok := ids[v]; ok {
					fmt.Fprintf(&b, `<ofd:%s><ofd:ObjectRef PageRef="50">%s</ofd:ObjectRef></ofd:%s>`, k, ref, k)
				}
			}
		}
		put("Doc_0/Tags/CustomTag.xml", `<?xml version="1.0" encoding="UTF-8"?><ofd:root `+ns+` version="1.0">`+b.String()+`</ofd:root>`)
	}
	for n, body := range extra {
		put(n, body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for n, body := range files {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
