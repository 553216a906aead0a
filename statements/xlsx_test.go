package statements_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/statements"
	"github.com/xuri/excelize/v2"
)

// typedStatementXLSX writes a statement the way most banks' Excel exports
// are made: dates as date serials with a date format, amounts as numbers
// with a thousands format, text in the shared-string table, a cover sheet
// before the active one and a rich-text title.
func typedStatementXLSX(t *testing.T, st ferry.Statement, active bool) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetName("Sheet1", "说明")
	f.SetCellValue("说明", "A1", "This sheet is not the statement")
	f.NewSheet("交易明细")
	sheet := "交易明细"
	if active {
		idx, _ := f.GetSheetIndex(sheet)
		f.SetActiveSheet(idx)
	}
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 14})                                  // built-in m/d/yy
	isoStyle, _ := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("yyyy\"年\"mm\"月\"dd\"日\"")}) // custom
	moneyStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 4})                                  // #,##0.00
	f.SetCellRichText(sheet, "A1", []excelize.RichTextRun{{Text: "对账单"}, {Text: " Statement", Font: &excelize.Font{Bold: true}}})
	rows := [][]any{
		{"账号 Account", st.Account},
		{"户名 Name", st.Name},
		{"币种 Currency", st.Currency},
		{"起始日期 From", st.From.Time(time.UTC)},
		{"截止日期 To", st.To.Time(time.UTC)},
		{"期初余额 Opening balance", st.Opening.InexactFloat64()},
		{},
		{},
	}
	for _, h := range sandbox.TableHeader {
		rows[7] = append(rows[7], h)
	}
	for _, l := range st.Lines {
		var debit, credit any
		if l.Amount.IsNegative() {
			debit = l.Amount.Neg().InexactFloat64()
		} else {
			credit = l.Amount.InexactFloat64()
		}
		rows = append(rows, []any{l.BookingDate.Time(time.UTC), l.ValueDate.Time(time.UTC), debit, credit, l.BalanceAfter.InexactFloat64(), l.Counterparty, l.Description, l.Reference})
	}
	rows = append(rows, []any{"期末余额 Closing balance", st.Closing.InexactFloat64()})
	for i, r := range rows {
		for j, v := range r {
			if v == nil {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(j+1, i+2)
			if err := f.SetCellValue(sheet, cell, v); err != nil {
				t.Fatal(err)
			}
			switch v.(type) {
			case time.Time:
				style := dateStyle
				if j == 1 {
					style = isoStyle
				}
				f.SetCellStyle(sheet, cell, cell, style)
			case float64:
				f.SetCellStyle(sheet, cell, cell, moneyStyle)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func ptr[T any](v T) *T { return &v }

func TestTypedXLSXStatement(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 11})
	want, _ := bank.Statement("6222021000010001", from, to)
	data := typedStatementXLSX(t, want, true)
	got, err := statements.ParseXLSX("typed.xlsx", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !statementsEqual(got, want) {
		t.Fatalf("typed XLSX differs:\n got %+v\nwant %+v", got.Lines[:2], want.Lines[:2])
	}
	// Without the active-sheet mark the first sheet is read, and it is
	// not a statement: that is an error naming the file, not an empty
	// statement.
	if _, err := statements.ParseXLSX("cover.xlsx", bytes.NewReader(typedStatementXLSX(t, want, false))); err == nil || !strings.Contains(err.Error(), "cover.xlsx") {
		t.Fatalf("cover sheet: got %v", err)
	}
}

// Cell by cell against excelize, the reference reader, on text cells of
// every kind (shared, rich, inline, formula strings, booleans, gaps).
func TestXLSXCellsAgreeWithExcelize(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	s := "Sheet1"
	f.SetCellValue(s, "A1", "shared 共享")
	f.SetCellValue(s, "C1", "after a gap")
	f.SetCellRichText(s, "A2", []excelize.RichTextRun{{Text: "rich "}, {Text: "text", Font: &excelize.Font{Italic: true}}})
	f.SetCellValue(s, "B2", true)
	f.SetCellValue(s, "C2", "line\nbreak & <tag>")
	f.SetCellFormula(s, "A4", `"formula "&"string"`)
	f.SetCellValue(s, "E4", "far right")
	var buf bytes.Buffer
	f.Write(&buf)
	ref, _ := f.GetRows(s)
	got := readAllRows(t, buf.Bytes())
	// excelize leaves formula results empty until Excel computes them; so does Ferry.
	for i := range ref {
		for j := range ref[i] {
			g := ""
			if i < len(got) && j < len(got[i]) {
				g = got[i][j]
			}
			w := ref[i][j]
			if w == "TRUE" || w == "FALSE" {
				w = strings.ToUpper(w)
			}
			if g != w {
				t.Errorf("row %d col %d: Ferry %q, excelize %q", i+1, j+1, g, w)
			}
		}
	}
}

// readAllRows reads a workbook's active sheet with Ferry's reader.
func readAllRows(t *testing.T, data []byte) [][]string {
	t.Helper()
	rows, err := statements.XLSXRows(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestExcelNumbersAndDates(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	s := "Sheet1"
	date, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	dt, _ := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("yyyy-mm-dd hh:mm")})
	pct, _ := f.NewStyle(&excelize.Style{CustomNumFmt: ptr(`0.00"d";[Red]-0.00`)}) // a quoted d is not a date
	f.SetCellValue(s, "A1", 0.1+0.2)
	f.SetCellValue(s, "B1", 1234.56)
	f.SetCellValue(s, "C1", -0.001)
	f.SetCellValue(s, "D1", 123456789012345678)
	f.SetCellValue(s, "E1", 12.5)
	f.SetCellStyle(s, "E1", "E1", pct)
	f.SetCellValue(s, "A2", 45658)
	f.SetCellStyle(s, "A2", "A2", date)
	f.SetCellValue(s, "B2", 61)
	f.SetCellStyle(s, "B2", "B2", date)
	f.SetCellValue(s, "C2", 45658.75)
	f.SetCellStyle(s, "C2", "C2", dt)
	var buf bytes.Buffer
	f.Write(&buf)
	got := readAllRows(t, buf.Bytes())
	want := [][]string{{"0.3", "1234.56", "-0.001", "123456789012346000", "12.5"}, {"2025-01-01", "1900-03-01", "2025-01-01 18:00:00"}}
	for i := range want {
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Errorf("row %d col %d: %q, want %q", i+1, j+1, got[i][j], want[i][j])
			}
		}
	}
}

// A sheet that inflates 800:1 (40 MB of blanks) is refused with an error, not read for
// minutes or into memory; a damaged reference names sheet and row.
func TestXLSXBombAndDamage(t *testing.T) {
	t.Parallel()
	base := typedStatementXLSX(t, ferry.Statement{Account: "1", Currency: "CNY", From: from, To: to}, true)
	swap := func(part string, body func(w io.Writer)) []byte {
		zr, _ := zip.NewReader(bytes.NewReader(base), int64(len(base)))
		var out bytes.Buffer
		zw := zip.NewWriter(&out)
		zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
		for _, f := range zr.File {
			w, _ := zw.Create(f.Name)
			if f.Name == part {
				body(w)
				continue
			}
			rc, _ := f.Open()
			io.Copy(w, rc)
			rc.Close()
		}
		zw.Close()
		return out.Bytes()
	}
	bomb := swap("xl/worksheets/sheet2.xml", func(w io.Writer) {
		io.WriteString(w, `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
		// runs of blanks shorter than the 1 MiB token cap, so that the
		// inflation limit is what stops it
		chunk := append(bytes.Repeat([]byte(" "), 512<<10), "<x/>"...)
		for i := 0; i < 80; i++ {
			w.Write(chunk)
		}
		io.WriteString(w, `</sheetData></worksheet>`)
	})
	if len(bomb) > 2<<20 {
		t.Fatalf("bomb is %d bytes compressed; the test wants a high ratio", len(bomb))
	}
	_, err := statements.ParseXLSX("bomb.xlsx", bytes.NewReader(bomb))
	if !errors.Is(err, statements.ErrXLSXBomb) || !strings.Contains(err.Error(), "bomb.xlsx") {
		t.Fatalf("bomb: got %v", err)
	}
	damaged := swap("xl/worksheets/sheet2.xml", func(w io.Writer) {
		io.WriteString(w, `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>99999</v></c></row></sheetData></worksheet>`)
	})
	_, err = statements.ParseXLSX("damaged.xlsx", bytes.NewReader(damaged))
	if err == nil || !strings.Contains(err.Error(), "damaged.xlsx") || !strings.Contains(err.Error(), "row 2") || !strings.Contains(err.Error(), "99999") {
		t.Fatalf("damaged: got %v", err)
	}
}

// A European bank's XLSX with a decimal-comma mapping: numeric cells are
// machine numbers and are not re-read with the comma rule; date cells are
// dates whatever the mapping's date_format says; text cells still follow
// the mapping.
func TestMappedXLSXTypedCells(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	s := "Sheet1"
	date, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	f.SetSheetRow(s, "A1", &[]any{"Buchungstag", "Valuta", "Auftraggeber/Empfänger", "Verwendungszweck", "Referenz", "Betrag", "Saldo"})
	f.SetSheetRow(s, "A2", &[]any{time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), "01.10.2026", "Stadtwerke", "Strom", "R-1", -84.2, 1915.8})
	f.SetSheetRow(s, "A3", &[]any{time.Date(2026, 10, 2, 0, 0, 0, 0, time.UTC), "03.10.2026", "ACME", "Rechnung", "R-2", "2.500,00", "4.415,80"})
	f.SetCellStyle(s, "A2", "A3", date)
	var buf bytes.Buffer
	f.Write(&buf)
	m := writeMapping(t, euroMapping)
	st, err := statements.ParseMapped("export.xlsx", buf.Bytes(), m)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Lines) != 2 || st.Lines[0].Amount.String() != "-84.2" || st.Lines[1].Amount.String() != "2500" ||
		st.Lines[0].BookingDate.String() != "2026-10-01" || st.Lines[1].ValueDate.String() != "2026-10-03" || st.Closing.String() != "4415.8" {
		t.Fatalf("got %+v", st)
	}
}

// FuzzXLSXSheet puts fuzzed XML in place of the active sheet of a valid
// workbook (fuzzing the ZIP bytes themselves mostly exercises CRC checks).
// Whatever the sheet holds, parsing returns, with an error or a statement.
func FuzzXLSXSheet(f *testing.F) {
	bank := sandbox.New(sandbox.Options{Seed: 3})
	st, _ := bank.Statement("6222021000010001", from, to)
	st.Lines = st.Lines[:3]
	st.Closing = st.Lines[2].BalanceAfter
	base, _ := sandbox.RenderXLSX(st)
	sheetOf := func(data []byte) []byte {
		zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		for _, file := range zr.File {
			if strings.HasPrefix(file.Name, "xl/worksheets/") {
				rc, _ := file.Open()
				b, _ := io.ReadAll(rc)
				rc.Close()
				return b
			}
		}
		return nil
	}
	f.Add(sheetOf(base))
	f.Add([]byte(`<worksheet><sheetData><row r="3"><c r="B3" t="s"><v>0</v></c><c t="d"><v>2026-01-01T10:00:00</v></c><c s="1"><v>45000.5</v></c></row></sheetData></worksheet>`))
	f.Fuzz(func(t *testing.T, sheet []byte) {
		zr, _ := zip.NewReader(bytes.NewReader(base), int64(len(base)))
		var out bytes.Buffer
		zw := zip.NewWriter(&out)
		for _, file := range zr.File {
			w, _ := zw.Create(file.Name)
			if strings.HasPrefix(file.Name, "xl/worksheets/") {
				w.Write(sheet)
				continue
			}
			rc, _ := file.Open()
			io.Copy(w, rc)
			rc.Close()
		}
		zw.Close()
		_, _ = statements.ParseXLSX("fuzz.xlsx", bytes.NewReader(out.Bytes()))
		_, _ = statements.XLSXRows(bytes.NewReader(out.Bytes()))
	})
}
