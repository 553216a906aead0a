package tax

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/einvoice"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/shopspring/decimal"
)

func TestAmountInWords(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"3558", "叁仟伍佰伍拾捌圆整"}, {"21100", "贰万壹仟壹佰圆整"}, {"4068", "肆仟零陆拾捌圆整"},
		{"100500", "壹拾万零伍佰圆整"}, {"0.5", "伍角整"}, {"10.05", "壹拾圆零伍分"}, {"-113", "（负数）壹佰壹拾叁圆整"},
		{"1000000500.12", "壹拾亿零伍佰圆壹角贰分"},
	} {
		if got := AmountInWords(decimal.RequireFromString(c.in)); got != c.want {
			t.Errorf("%s: %s, want %s", c.in, got, c.want)
		}
	}
	for c := int64(1); c < 3_000_000_000_000; c = c*3/2 + 7 {
		for _, d := range []decimal.Decimal{decimal.New(c, -2), decimal.New(-c, -2), decimal.New(c*100, -2), decimal.New(c*10000+c%100, -2)} {
			back, err := ferry.ParseChineseAmount(AmountInWords(d))
			if err != nil || !back.Equal(d) {
				t.Fatalf("%s → %s → %s, %v", d, AmountInWords(d), back, err)
			}
		}
	}
}

func TestIDs(t *testing.T) {
	t.Parallel()
	for _, tp := range append(Counterparties(), Home()) {
		if err := ferry.ValidTaxID(tp.TaxID); err != nil || !ValidUSCC(tp.TaxID) {
			t.Errorf("%s %s: %v", tp.Name, tp.TaxID, err)
		}
	}
	for _, u := range DefaultUsers() {
		if err := ferry.ValidTaxID(u.IDNumber); err != nil {
			t.Errorf("%s %s: %v", u.Name, u.IDNumber, err)
		}
	}
	id := Home().TaxID
	for _, c := range usccAlphabet {
		if ValidUSCC(id[:17]+string(c)) != (byte(c) == id[17]) {
			t.Errorf("check character %c: valid %v", c, !(byte(c) == id[17]))
		}
	}
}

// summary is what must agree between the portal's record and every file.
func summary(inv ferry.Invoice) string {
	var b strings.Builder
	b.WriteString(strings.Join([]string{inv.Kind, inv.Code, inv.Number, inv.IssueDate.String(), inv.CheckCode, inv.BuyerName, inv.BuyerTaxID,
		inv.SellerName, inv.SellerTaxID, inv.Amount.StringFixed(2), inv.Tax.StringFixed(2), inv.Total.StringFixed(2)}, "|"))
	// The words as a figure: readers write a red invoice's （负数） as 负.
	w, err := ferry.ParseChineseAmount(inv.TotalInWords)
	if err != nil {
		b.WriteString("|words " + err.Error())
	} else {
		b.WriteString("|" + w.StringFixed(2))
	}
	if inv.Red {
		b.WriteString("|red")
	}
	for _, it := range inv.Items {
		b.WriteString("\n  " + strings.Join([]string{it.Name, it.Spec, it.Unit, it.Quantity.String(), it.UnitPrice.String(), it.Amount.StringFixed(2), it.TaxRate, it.Tax.StringFixed(2)}, "|"))
	}
	return b.String()
}

// checkFile parses a downloaded file with Ferry's parsers and compares it
// with the portal's record.
func checkFile(t *testing.T, name string, data []byte, rec *Record) {
	t.Helper()
	inv, err := einvoice.Parse(context.Background(), name, data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := inv.Check(); err != nil {
		t.Errorf("%s: Check: %v", name, err)
	}
	if got, want := summary(inv), summary(rec.Invoice); got != want {
		t.Errorf("%s:\n got %s\nwant %s", name, got, want)
	}
}

// TestFiles renders invoices of every type and status and reads them back.
func TestFiles(t *testing.T) {
	t.Parallel()
	recs := generate(1, Home(), Counterparties())
	seen := map[string]int{}
	for _, rec := range recs {
		k := rec.Type + "/" + rec.Status
		if rec.Red {
			k += "/red"
		}
		if seen[k] >= 1 {
			continue
		}
		seen[k]++
		pdf, err := RenderPDF(rec)
		if err != nil {
			t.Fatal(err)
		}
		checkFile(t, rec.ID()+".pdf", pdf, rec)
		ofd, err := RenderOFD(rec)
		if err != nil {
			t.Fatal(err)
		}
		checkFile(t, rec.ID()+".ofd", ofd, rec)
		if rec.Digital() {
			x, err := RenderXML(rec)
			if err != nil {
				t.Fatal(err)
			}
			checkFile(t, rec.ID()+".xml", x, rec)
		} else if _, err := RenderXML(rec); err == nil {
			t.Errorf("%s: an XML for a %s", rec.ID(), rec.Type)
		}
	}
	t.Logf("kinds rendered: %v (of %d invoices)", seen, len(recs))
	if len(seen) < 8 {
		t.Errorf("only %d type/status combinations: %v", len(seen), seen)
	}
}

// BenchmarkRender measures each format's rendering of one invoice.
func BenchmarkRender(b *testing.B) {
	recs := generate(1, Home(), Counterparties())
	var rec *Record
	for _, r := range recs {
		if r.Digital() && len(r.Items) == 3 {
			rec = r
			break
		}
	}
	for _, f := range []struct {
		name string
		fn   func(*Record) ([]byte, error)
	}{{"pdf", RenderPDF}, {"ofd", RenderOFD}, {"xml", RenderXML}} {
		b.Run(f.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := f.fn(rec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDeterministic: a file is the same bytes on every download, and a
// portal from the same seed holds the same invoices.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	a, b := generate(3, Home(), Counterparties()), generate(3, Home(), Counterparties())
	if len(a) != len(b) {
		t.Fatalf("%d and %d invoices", len(a), len(b))
	}
	for i := range a {
		if summary(a[i].Invoice) != summary(b[i].Invoice) || a[i].Status != b[i].Status || !a[i].IssuedAt.Equal(b[i].IssuedAt) {
			t.Fatalf("invoice %d differs:\n%s\n%s", i, summary(a[i].Invoice), summary(b[i].Invoice))
		}
	}
	if c := generate(4, Home(), Counterparties()); len(c) > 0 && summary(c[0].Invoice) == summary(a[0].Invoice) {
		t.Error("another seed, the same first invoice")
	}
	var rec *Record
	for _, r := range a {
		if r.Digital() {
			rec = r
			break
		}
	}
	for i, f := range []func(*Record) ([]byte, error){RenderPDF, RenderOFD, RenderXML} {
		x, err1 := f(rec)
		y, err2 := f(rec)
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			t.Errorf("format %d: two renders differ (%v, %v)", i, err1, err2)
		}
	}
}

// TestSamples keeps sample files of the portal in testdata: a 数电专票, a
// red-letter 数电普票 and a red-letter 电子普通发票 from seed 1. The OFD and
// XML files are golden; a PDF's bytes follow the system's fonts, so its
// golden file is what einvoice reads from it. Rewrite them with -update.
func TestSamples(t *testing.T) {
	t.Parallel()
	recs := generate(1, Home(), Counterparties())
	pick := func(typ string, red bool) *Record {
		for _, r := range recs {
			if r.Type == typ && r.Red == red {
				return r
			}
		}
		t.Fatalf("no %s red=%v", typ, red)
		return nil
	}
	update := flag.Lookup("update") != nil && flag.Lookup("update").Value.String() == "true"
	for _, s := range []struct {
		name string
		rec  *Record
	}{{"special", pick(TypeDigitalSpecial, false)}, {"red-digital", pick(TypeDigitalGeneral, true)}, {"red-old", pick(TypeOldGeneral, true)}} {
		ofd, err := RenderOFD(s.rec)
		if err != nil {
			t.Fatal(err)
		}
		testenv.Golden(t, filepath.Join("testdata", s.name+".ofd"), ofd)
		if s.rec.Digital() {
			x, err := RenderXML(s.rec)
			if err != nil {
				t.Fatal(err)
			}
			testenv.Golden(t, filepath.Join("testdata", s.name+".xml"), x)
		}
		pdf, err := RenderPDF(s.rec)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", s.name+".pdf")
		if update {
			if err := os.WriteFile(path, pdf, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		stored, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []struct {
			what string
			data []byte
		}{{"rendered", pdf}, {"stored", stored}} {
			inv, err := einvoice.Parse(context.Background(), path, f.data)
			if err != nil {
				t.Fatalf("%s %s: %v", f.what, path, err)
			}
			testenv.Golden(t, filepath.Join("testdata", s.name+".pdf.txt"), []byte(summary(inv)+"\n"))
		}
	}
}
