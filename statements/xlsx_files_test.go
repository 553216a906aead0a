package statements

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry/internal/testenv"
)

// Workbooks written by real spreadsheet software, read in place:
//   - tealeg/xlsx v3.3.13 testdocs/ (BSD-3-Clause): Excel 2007 to 2019 on
//     Windows and Mac, WPS Office, Tencent Office, Google Sheets, Numbers,
//     LibreOffice 6.4;
//   - thedatashed/xlsxreader v1.2.8 test/ (MIT): LibreOffice 6.0, Excel for
//     Mac, gnumeric;
//   - xuri/excelize v2.10.0 test/ (BSD-3-Clause): Excel 2007 and Excel for
//     Mac;
//   - testdata/xlsx: LibreOffice 7.4, from sources in that folder.
//
// The expected values come from each file's XML (the <v> of the cell, the
// numFmt of its style, given in the comments) or from the LibreOffice
// sources, not from this reader; dates were worked out from the serials
// separately (serial 43910 is 43910 days after 1899-12-30).
const (
	tealegMod     = "github.com/tealeg/xlsx/v3@v3.3.13"
	xlsxreaderMod = "github.com/thedatashed/xlsxreader@v1.2.8"
	excelizeMod   = "github.com/xuri/excelize/v2@v2.10.0"
)

var kindNames = map[cellKind]string{cellText: "text", cellNumber: "number", cellDate: "date", cellTime: "time"}

// readSheetAt reads one sheet ("" for the active one) of a workbook file
// into "KIND:VALUE" by cell reference, with its hidden rows and columns.
type readSheetResult struct {
	cells      map[string]string
	hidden     []int
	hiddenCols []int
	warnings   []string
	dump       string
}

func readSheetAt(t *testing.T, file, sheet string) readSheetResult {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	book, err := openXLSX(f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	defer book.Close()
	if sheet != "" {
		if err := book.selectSheet(sheet); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := book.rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := readSheetResult{cells: map[string]string{}}
	var dump strings.Builder
	for {
		n, cells, kinds, err := rows.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if rows.Hidden() {
			out.hidden = append(out.hidden, n)
		}
		for i, c := range cells {
			if c == "" && kinds[i] == cellText {
				continue
			}
			ref := fmt.Sprintf("%s%d", colName(i), n)
			out.cells[ref] = kindNames[kinds[i]] + ":" + c
			fmt.Fprintf(&dump, "%s\t%s\t%q\n", ref, kindNames[kinds[i]], c)
		}
	}
	for i := 0; i < 64; i++ {
		if rows.ColumnHidden(i) {
			out.hiddenCols = append(out.hiddenCols, i)
		}
	}
	out.warnings = book.Warnings()
	for _, w := range out.warnings {
		fmt.Fprintf(&dump, "warning\t%s\n", w)
	}
	out.dump = dump.String()
	return out
}

func TestXLSXFromRealWriters(t *testing.T) {
	t.Parallel()
	tealeg := func(f string) string { return filepath.Join(testenv.Module(t, tealegMod), "testdocs", f) }
	xr := func(f string) string { return filepath.Join(testenv.Module(t, xlsxreaderMod), "test", f) }
	exc := func(f string) string { return filepath.Join(testenv.Module(t, excelizeMod), "test", f) }
	lo := func(f string) string { return filepath.Join("testdata", "xlsx", f) }
	cases := []struct {
		name, file, sheet, writer string
		cells                     map[string]string
		hidden, hiddenCols        []int
	}{
		{"excel-mac-16-hyperlinks", tealeg("testhyperlinks.xlsx"), "Sample", "Microsoft Macintosh Excel 16", map[string]string{
			"A1": "text:Name",
			"B2": "date:2020-03-20", // 43910, numFmtId 14
			"B3": "date:2020-04-17", // 43938
			"C2": "number:24315",    // General
			"D2": "number:1215.75",  // _-* #,##0.00\ [$€-407]_-;\-* ...;_-* "-"??\ [$€-407]_-;_-@_-
			"D4": "number:1607.25",
		}, nil, nil},
		{"excel-mac-16-hyperlinks-styles", tealeg("testhyperlinks.xlsx"), "Styles", "Microsoft Macintosh Excel 16", map[string]string{
			"C2": "number:37.4", // numFmtId 2
			"A5": "text:São Paulo",
		}, nil, nil},
		{"excel-mac-chinese", tealeg("v3.xlsx"), "示例1", "Microsoft Macintosh Excel 16 (Chinese)", map[string]string{
			"C5": "number:12.35",       // numFmtId 2
			"D5": "number:12345678901", // numFmtId 49 (@): still the number stored
			"F5": "number:12.345678",   // 12.345677999999999 in 0.00000000000, to 15 digits
			"B5": "text:123456789012345678",
		}, nil, nil},
		{"excel-mac-chinese-accounting", tealeg("v3.xlsx"), "规则", "Microsoft Macintosh Excel 16 (Chinese)", map[string]string{
			"H9": "number:4294242.353", // 4294242.3530000001 in _(* #,##0.00_);_(* \(#,##0.00\);_(* "-"??_);_(@_)
			"G9": "number:1273",
		}, nil, nil},
		{"excel-2007-inline-strings", tealeg("inlineStrings.xlsx"), "", "Microsoft Excel 12", map[string]string{
			"B10": "text:Date",
			"B11": "text:06/25/16",              // an inline string, not a date cell
			"D11": "number:3599619",             // [$-010409]#,##0;-#,##0
			"F11": "number:0.00370900364733045", // [$-010409]#,##0.00#%
			"G11": "number:2.63033230469628",    // 2.6303323046962774324020672609 to 15 digits
			"H36": "number:575464.7108",         // [$-010409]"$"#,##0.00;("$"#,##0.00)
			"C36": "number:1",                   // a custom numFmt 86 "General"
			"K11": "number:0.477014543484912",   // [$-010409]#,##0%
		}, nil, nil},
		{"excel-mac-2008-cell-types", tealeg("testcelltypes.xlsx"), "", "Microsoft Macintosh Excel 12 (Japanese)", map[string]string{
			"A2": "text:日本語", // its phonetic reading (<rPh>ニホンゴ) is not text
			"A3": "number:12345",
			"A4": "number:1.024",
			"A5": "date:2015-01-01", // 40543, numFmtId 14, in the 1904 date system (date1904="1")
			"A6": "text:TRUE",       // t="b"
			"A7": "number:30",       // a formula's value
			"A8": "text:#DIV/0!",    // t="e"
		}, nil, nil},
		{"excel-mac-chinese-yen", tealeg("panic_test.xlsx"), "", "Microsoft Macintosh Excel (Chinese)", map[string]string{
			"C3": "number:0.02", // \¥#,##0.00: an escaped two-byte character
			"E5": "number:0.01",
			"B5": "text:6226090111766537",
		}, nil, nil},
		{"excel-mac-15-hidden-column", tealeg("testFileToSlice.xlsx"), "", "Microsoft Macintosh Excel 15", map[string]string{
			"A1": "", "B2": "", // 1.5 MB of styled cells without values
		}, nil, []int{0}}, // <col min="1" max="1" ... hidden="1"/>
		{"wps", tealeg("wpsBlankLineTest.xlsx"), "", "WPS Office 个人版", map[string]string{
			"A1": "text:编号", "A3": "text:编号", "C5": "text:编号",
		}, nil, nil},
		{"tencent-office-prefixed-xml", tealeg("namespaced.xlsx"), "", "Tencent office", map[string]string{
			"A1": "text:w", "M1": "text:w", "L2": "text:w",
			"C2": "", // <x:c r="C2" s="3" t="s"/>: a shared-string cell without a value
		}, nil, nil},
		{"google-sheets", tealeg("googleDocsTest.xlsx"), "", "Google Sheets", map[string]string{
			"A1": "text:This is a test spreadsheet", "B2": "text:hello hello",
		}, nil, nil},
		{"numbers", tealeg("macNumbersTest.xlsx"), "", "Apple Numbers", map[string]string{
			"A1": "text:编号",
		}, nil, nil},
		{"libreoffice-6.0-general", xr("test-multiple-sheets.xlsx"), "testSheet1", "LibreOffice 6.0.7.3", map[string]string{
			"D2":  "number:22", // General (numFmt 164): read as a date before
			"L2":  "number:200",
			"P2":  "number:5596539",
			"Q10": "number:0",
			"E2":  "date:1996-06-21", // 35237 in DD/MM/YYYY
			"T2":  "date:2013-10-05", // 41552
		}, nil, nil},
		{"excel-mac-escaped-date", xr("test-deleted-sheet.xlsx"), "Sheet1", "Microsoft Macintosh Excel", map[string]string{
			"E2":  "date:2000-01-01", // 36526 in yyyy\-mm\-dd
			"K2":  "date:2020-02-23", // 43884, numFmtId 14
			"E5":  "date:1994-02-23", // 34388
			"K4":  "text:02-22-1994", // a string that looks like a date
			"D5":  "number:8765678765",
			"E13": "date:1990-02-23", // 32927
		}, nil, nil},
		{"gnumeric", xr("test-bold.xlsx"), "", "gnumeric", map[string]string{
			"A2": "number:9876543", "B2": "number:12345678901", "C2": "text:v!", "D2": "number:17658671046",
		}, nil, nil},
		{"excel-mac-15-book", exc("Book1.xlsx"), "Sheet2", "Microsoft Macintosh Excel 15", map[string]string{
			"B2": "number:19", "D11": "number:37", "C11": "text:Other",
		}, nil, nil},
		{"excel-2007-big-integer", exc("OverflowNumericCell.xlsx"), "", "Microsoft Excel 12", map[string]string{
			"A1": "number:8595602512225", // numFmtId 1
		}, nil, nil},
		{"libreoffice-7.4-statement", lo("libreoffice-formats.xlsx"), "Umsätze", "LibreOffice 7.4.7.2", map[string]string{
			"A2": "date:2026-10-01", // 46296 in [$-407]dd/mm/yyyy
			"B3": "date:2026-10-03",
			"E2": "number:-84.2", // #,##0.00\ [$€-407];[RED]\-#,##0.00\ [$€-407]
			"G2": "number:1915.8",
			"E3": "number:2500",
			"E4": "number:-10",   // in a row hidden by a filter
			"E6": "number:-1000", // in a collapsed outline group
			"H2": "text:geprüft", // in a hidden column
			"E8": "number:0.07",
			"G8": "number:3165.32",
		}, []int{4, 6, 7}, []int{7}},
		{"libreoffice-7.4-formats", lo("libreoffice-formats.xlsx"), "Formats", "LibreOffice 7.4.7.2", map[string]string{
			"B1":  "number:1234.5", // General
			"B2":  "number:22",
			"B3":  "number:1234.5",   // #,##0.00
			"B4":  "number:-1234.56", // euro, red when negative
			"B5":  "number:99.99",    // [$$-409]#,##0.00
			"B6":  "date:2026-10-01", // [$-407]dd/mm/yyyy
			"B7":  "date:2026-10-02", // yyyy\-mm\-dd
			"B8":  "date:2026-10-03", // [$-407]d/\ mmmm\ yyyy
			"B9":  "date:2026-10-04 13:45:30",
			"B10": "date:2026-10-05", // [$-804]yyyy\年m\月d\日
			"B11": "date:2026-10-06", // [$-1030411]ge\年m\月d\日 (Japanese era)
			"B12": "date:2026-10-07", // [$-107041E]d/m/yyyy (Buddhist calendar)
			"B13": "time:13:45:30",   // hh:mm:ss
			"B14": "time:13:30:00",   // [$-409]h:mm\ AM/PM
			"B15": "time:36:15:00",   // [h]:mm
			"B16": "time:00:05:07",   // mm:ss
			"B17": "number:0.0525",   // 0.00%
			"B18": "number:123456789",
			"B19": "number:2.5",         // # ?/?
			"B20": "number:12345678901", // @
			"B21": "text:TRUE",
			"B22": "number:12.5",     // 0.00" d"
			"B23": "date:2026-10-08", // [<0]\-0.00;yyyy\-mm\-dd
			"B24": "number:-5",       // the same format, negative
			"B25": "number:0.1",
		}, nil, nil},
		{"libreoffice-7.4-1904", lo("libreoffice-1904.xlsx"), "", "LibreOffice 7.4.7.2", map[string]string{
			"A2": "date:2026-10-01", // 44834 with date1904
			"A3": "date:1904-01-01", // 0
			"B2": "number:-84.2",
		}, nil, nil},
		{"libreoffice-7.4-dutch-bank-csv", lo("libreoffice-nl-bank.xlsx"), "", "LibreOffice 7.4.7.2", map[string]string{
			"A2": "number:20261001", // yyyymmdd, General
			"G2": "number:23.45",    // "23,45" in the CSV: General, not a date
			"G3": "number:2500",
			"G5": "number:0.07",
			"F2": "text:Af",
			"C2": "text:NL91INGB0001234567",
		}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := readSheetAt(t, c.file, c.sheet)
			for ref, want := range c.cells {
				if got.cells[ref] != want {
					t.Errorf("%s (%s) %s: got %q, want %q", filepath.Base(c.file), c.writer, ref, got.cells[ref], want)
				}
			}
			if fmt.Sprint(got.hidden) != fmt.Sprint(c.hidden) {
				t.Errorf("hidden rows %v, want %v", got.hidden, c.hidden)
			}
			if fmt.Sprint(got.hiddenCols) != fmt.Sprint(c.hiddenCols) {
				t.Errorf("hidden columns %v, want %v", got.hiddenCols, c.hiddenCols)
			}
			if len(got.warnings) > 0 {
				t.Errorf("warnings: %q", got.warnings)
			}
			testenv.Golden(t, filepath.Join("testdata", "xlsx", "golden", c.name+".golden"), []byte(got.dump))
		})
	}
}

// The number formats WPS and Tencent Office write into their styles (WPS
// redefines the built-in accounting ids 41-44 in Chinese form): all show
// numbers.
func TestXLSXWPSFormats(t *testing.T) {
	t.Parallel()
	file := filepath.Join(testenv.Module(t, tealegMod), "testdocs", "wpsBlankLineTest.xlsx")
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	book, err := openXLSX(f)
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	var codes []string
	err = book.eachStart("xl/styles.xml", 1<<20, func(_ *xml.Decoder, se xml.StartElement) error {
		if se.Name.Local == "numFmt" {
			code, _ := localAttr(se, "formatCode")
			codes = append(codes, code)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(codes)
	if len(codes) != 4 {
		t.Fatalf("WPS file has %d number formats: %q", len(codes), codes)
	}
	for _, code := range codes {
		for _, v := range []string{"1234.5", "-1234.5", "0"} {
			if got := shows(code, v); got != "number" {
				t.Errorf("WPS format %q shows %s as %s", code, v, got)
			}
		}
	}
}
