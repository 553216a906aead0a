package sandbox

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/ferry-rpa/ferry"
	"github.com/go-pdf/fpdf"
	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// The labels of a demobank statement export. Parsers key on them.
const (
	titleRow        = "银行账户交易明细 Account Statement"
	labelAccount    = "账号 Account No."
	labelName       = "户名 Account Name"
	labelCurrency   = "币种 Currency"
	labelFrom       = "起始日期 From"
	labelTo         = "截止日期 To"
	labelOpening    = "期初余额 Opening Balance"
	labelClosing    = "期末余额 Closing Balance"
	labelPageFormat = "第 %d 页 / 共 %d 页 Page %d of %d"
)

// TableHeader is the column header row of every demobank export.
var TableHeader = []string{
	"交易日期 Booking Date", "起息日 Value Date", "借方发生额 Debit", "贷方发生额 Credit",
	"余额 Balance", "对方户名 Counterparty", "摘要 Description", "交易流水号 Reference",
}

// FormatMoney writes d with thousands separators and two decimals, as the
// bank prints amounts: 1234567.5 becomes "1,234,567.50".
func FormatMoney(d decimal.Decimal) string {
	s := d.Abs().StringFixed(2)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if d.IsNegative() {
		b.WriteByte('-')
	}
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	b.WriteByte('.')
	b.WriteString(frac)
	return b.String()
}

func headerRows(st ferry.Statement) [][]string {
	return [][]string{
		{titleRow},
		{labelAccount, st.Account},
		{labelName, st.Name},
		{labelCurrency, st.Currency},
		{labelFrom, st.From.String()},
		{labelTo, st.To.String()},
		{labelOpening, FormatMoney(st.Opening)},
		{},
		TableHeader,
	}
}

func lineRow(l ferry.StatementLine) []string {
	debit, credit := "", ""
	if l.Amount.IsNegative() {
		debit = FormatMoney(l.Amount.Neg())
	} else {
		credit = FormatMoney(l.Amount)
	}
	return []string{l.BookingDate.String(), l.ValueDate.String(), debit, credit, FormatMoney(l.BalanceAfter), l.Counterparty, l.Description, l.Reference}
}

// RenderXLSX writes the statement as the bank's Excel export.
func RenderXLSX(st ferry.Statement) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	sheet := "交易明细"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	row := 1
	write := func(cells []string) error {
		vals := make([]any, len(cells))
		for i, c := range cells {
			vals[i] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, row)
		row++
		return sw.SetRow(cell, vals)
	}
	for _, r := range headerRows(st) {
		if err := write(r); err != nil {
			return nil, err
		}
	}
	for _, l := range st.Lines {
		if err := write(lineRow(l)); err != nil {
			return nil, err
		}
	}
	if err := write([]string{labelClosing, FormatMoney(st.Closing)}); err != nil {
		return nil, err
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// RenderCSV writes the statement as the bank's CSV export, encoded in
// GB18030 as Chinese banks do.
func RenderCSV(st ferry.Statement) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(simplifiedchinese.GB18030.NewEncoder().Writer(&buf))
	w.UseCRLF = true
	for _, r := range headerRows(st) {
		if err := w.Write(r); err != nil {
			return nil, err
		}
	}
	for _, l := range st.Lines {
		if err := w.Write(lineRow(l)); err != nil {
			return nil, err
		}
	}
	if err := w.Write([]string{labelClosing, FormatMoney(st.Closing)}); err != nil {
		return nil, err
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// The TrueType fonts the sandbox embeds in its PDFs: Debian's
// fonts-droid-fallback for Chinese and fonts-dejavu-core for Latin text
// (the Chinese font has no Latin glyphs). Mixed-font lines are what real
// bank PDFs look like.
const (
	CJKFontPath   = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"
	LatinFontPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
)

type pdfFonts struct{ cjk, latin []byte }

var loadFonts = sync.OnceValues(func() (pdfFonts, error) {
	cjk, err := os.ReadFile(CJKFontPath)
	if err != nil {
		return pdfFonts{}, fmt.Errorf("sandbox: the PDF statements need a CJK font: %w (install Debian's fonts-droid-fallback)", err)
	}
	latin, err := os.ReadFile(LatinFontPath)
	if err != nil {
		return pdfFonts{}, fmt.Errorf("sandbox: the PDF statements need a Latin font: %w (install Debian's fonts-dejavu-core)", err)
	}
	return pdfFonts{cjk, latin}, nil
})

// pdfColumns are the table's column widths in millimetres.
var pdfColumns = []float64{22, 22, 27, 27, 29, 72, 48, 38}

// linesPerPage is how many statement lines one PDF page holds.
const linesPerPage = 25

// pdfWriter lays out text in runs: CJK runs in one font, the rest in another.
type pdfWriter struct {
	p    *fpdf.Fpdf
	size float64
}

type textRun struct {
	s   string
	cjk bool
}

func splitRuns(s string) []textRun {
	var out []textRun
	for _, r := range s {
		cjk := r > 0x2e7f
		if n := len(out); n > 0 && out[n-1].cjk == cjk {
			out[n-1].s += string(r)
			continue
		}
		out = append(out, textRun{string(r), cjk})
	}
	return out
}

func (w *pdfWriter) font(cjk bool) {
	if cjk {
		w.p.SetFont("cjk", "", w.size)
	} else {
		w.p.SetFont("latin", "", w.size)
	}
}

func (w *pdfWriter) width(s string) float64 {
	total := 0.0
	for _, r := range splitRuns(s) {
		w.font(r.cjk)
		total += w.p.GetStringWidth(r.s)
	}
	return total
}

// cell writes s in the box starting at x on the line whose top is y,
// aligned left or right within width.
func (w *pdfWriter) cell(x, y, width, height float64, s string, right bool) {
	if right {
		x += width - w.width(s) - 1
	} else {
		x++
	}
	baseline := y + height*0.75
	for _, r := range splitRuns(s) {
		w.font(r.cjk)
		w.p.Text(x, baseline, r.s)
		x += w.p.GetStringWidth(r.s)
	}
}

// RenderPDF writes the statement as the bank's PDF: landscape A4, Chinese
// text in an embedded subset of a TrueType font, the table repeated page by
// page.
func RenderPDF(st ferry.Statement) ([]byte, error) {
	fonts, err := loadFonts()
	if err != nil {
		return nil, err
	}
	p := fpdf.New("L", "mm", "A4", "")
	p.SetCompression(true)
	// fpdf writes into the font bytes it is given (its subsetting), so
	// each document gets its own copy: concurrent renders share nothing.
	p.AddUTF8FontFromBytes("cjk", "", bytes.Clone(fonts.cjk))
	p.AddUTF8FontFromBytes("latin", "", bytes.Clone(fonts.latin))
	p.SetCreator("demobank statement service", true)
	p.SetTitle(titleRow, true)
	p.SetAutoPageBreak(false, 10)
	w := &pdfWriter{p: p}
	left, _, _, _ := p.GetMargins()
	pages := max(1, (len(st.Lines)+linesPerPage-1)/linesPerPage)
	for page := 0; page < pages; page++ {
		p.AddPage()
		y := 12.0
		w.size = 14
		w.cell(left, y, 200, 8, titleRow, false)
		y += 10
		w.size = 9
		if page == 0 {
			for _, kv := range headerRows(st)[1:7] {
				w.cell(left, y, 45, 5, kv[0], false)
				w.cell(left+45, y, 100, 5, kv[1], false)
				y += 5
			}
			y += 3
		}
		w.size = 7.5
		// Bilingual header: Chinese over English, as the bank prints it.
		x := left
		for i, h := range TableHeader {
			zh, en, _ := strings.Cut(h, " ")
			w.cell(x, y, pdfColumns[i], 4, zh, i >= 2 && i <= 4)
			w.cell(x, y+4, pdfColumns[i], 4, en, i >= 2 && i <= 4)
			x += pdfColumns[i]
		}
		y += 9
		p.Line(left, y, x, y)
		y += 1
		end := min((page+1)*linesPerPage, len(st.Lines))
		for _, l := range st.Lines[page*linesPerPage : end] {
			x = left
			for i, c := range lineRow(l) {
				w.cell(x, y, pdfColumns[i], 5, c, i >= 2 && i <= 4)
				x += pdfColumns[i]
			}
			y += 5
		}
		if page == pages-1 {
			y += 2
			w.size = 9
			w.cell(left, y, 45, 5, labelClosing, false)
			w.cell(left+45, y, 100, 5, FormatMoney(st.Closing), false)
		}
		w.size = 7.5
		footer := fmt.Sprintf(labelPageFormat, page+1, pages, page+1, pages)
		_, ph := p.GetPageSize()
		pw, _ := p.GetPageSize()
		w.cell((pw-w.width(footer))/2-1, ph-15, w.width(footer)+2, 5, footer, false)
	}
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, fmt.Errorf("sandbox: render PDF for %s: %w", st.Account, err)
	}
	return buf.Bytes(), nil
}
