package einvoice

import (
	"testing"

	"github.com/ferry-rpa/ferry/pdftext"
)

// line lays out strings on one baseline, each glyph w wide (w 0: an em
// for ideographs, half for the rest).
func line(size float64, runs ...struct {
	x float64
	s string
	w float64
}) pdftext.Line {
	var l pdftext.Line
	for _, r := range runs {
		x := r.x
		for _, c := range r.s {
			w := r.w
			if w == 0 {
				w = size
				if c < 0x2E80 {
					w = size / 2
				}
			}
			l.Glyphs = append(l.Glyphs, pdftext.Glyph{X: x, W: w, Size: size, Text: string(c), Space: c == ' '})
			x += w
		}
	}
	return l
}

type run = struct {
	x float64
	s string
	w float64
}

// The header and a row of a 增值税电子普通发票 set in STSong-Light with the
// predefined UniGB-UCS2-H CMap (JD.com's and Huawei's invoices of 2021–22):
// text extraction that takes the codes for CIDs gives every Latin glyph the
// font's default width, an em, so a right-aligned 金额 seems to reach past the
// 税率 label. The figure's column is read from its estimated extent.
func TestInflatedLatinWidths(t *testing.T) {
	t.Parallel()
	const size = 9
	head := line(size, run{44, "货物或应税劳务、服务名称", 0}, run{180.4, "规格型号", 0}, run{226.7, "单位", 0}, run{275.3, "数量", 0},
		run{343.9, "单价", 0}, run{423.4, "金额", 0}, run{483.6, "税率", 0}, run{536.8, "税额", 0})
	cols := header(head)
	if cols == nil {
		t.Fatal("no header")
	}
	row := line(size, run{27, "*移动通信设备*通讯器材及配件", 0}, run{232.5, "个", 0}, run{314.8, "1", size}, run{362.9, "4158.41", size},
		run{450.9, "4158.41", size}, run{486.5, "13%", size}, run{567.1, "540.59", size})
	c := assign(cols, words(row))
	for k, want := range map[colKind]string{cQty: "1", cPrice: "4158.41", cAmount: "4158.41", cRate: "13%", cTax: "540.59", cUnit: "个"} {
		if got := join(c[k]); got != want {
			t.Errorf("%s: got %q, want %q", colNames[k], got, want)
		}
	}
	// With the widths the font gives (half an em), nothing changes.
	row = line(size, run{27, "*移动通信设备*通讯器材及配件", 0}, run{232.5, "个", 0}, run{314.8, "1", 0}, run{362.9, "4158.41", 0},
		run{450.9, "4158.41", 0}, run{486.5, "13%", 0}, run{567.1, "540.59", 0})
	if got := join(assign(cols, words(row))[cAmount]); got != "4158.41" {
		t.Errorf("金额 with true widths: got %q", got)
	}
}

// A word under the border of 规格型号 and 单位 (Huawei's colour 冰河银 on
// the line a wrapped name continues on) is flagged, not given to either.
func TestWordAcrossShortCells(t *testing.T) {
	t.Parallel()
	const size = 9
	cols := header(line(size, run{44, "货物或应税劳务、服务名称", 0}, run{180.4, "规格型号", 0}, run{226.7, "单位", 0}, run{275.3, "数量", 0},
		run{343.9, "单价", 0}, run{423.4, "金额", 0}, run{483.6, "税率", 0}, run{536.8, "税额", 0}))
	c := assign(cols, words(line(size, run{27, "cBook", 0}, run{212.2, "冰河银", 0})))
	if len(c[cAmbig]) != 1 {
		t.Errorf("got %q, want 冰河银 named as across 规格型号 and 单位", c[cAmbig])
	}
	c = assign(cols, words(line(size, run{182, "冰河银", 0})))
	if len(c[cAmbig]) != 0 || join(c[cSpec]) != "冰河银" {
		t.Errorf("a word inside 规格型号: spec %q, ambiguous %q", c[cSpec], c[cAmbig])
	}
}

// The 数电 PDF (a Huawei watch from 南京驰信): quantity 1 and the
// long unit price 1582.30088495575 drawn right after it, in STSong-Light
// whose widths text extraction misreads, so that they touch: two figures,
// split where the strings meet, not "11582.30088495575".
func TestInflatedStringsTouching(t *testing.T) {
	t.Parallel()
	const size = 9
	cols := header(line(size, run{46.5, "项目名称", 0}, run{130, "规格型号", 0}, run{200, "单位", 0}, run{262, "数量", 0},
		run{330, "单价", 0}, run{395, "金额", 0}, run{455, "税率/征收率", 0}, run{560, "税额", 0}))
	if cols == nil {
		t.Fatal("no header")
	}
	row := line(size, run{35, "*移动通信设备*智能电话", 0}, run{200.5, "台", 0}, run{287.84, "1", size}, run{297.49, "1582.30088495575", size},
		run{406.91, "1582.30", size}, run{467.26, "13%", size}, run{559.57, "205.70", size})
	c := assign(cols, words(row))
	for k, want := range map[colKind]string{cQty: "1", cPrice: "1582.30088495575", cAmount: "1582.30", cRate: "13%", cTax: "205.70"} {
		if got := join(c[k]); got != want {
			t.Errorf("%s: got %q, want %q", colNames[k], got, want)
		}
	}
}
