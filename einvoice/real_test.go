package einvoice_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/einvoice"
	"github.com/ferry-rpa/ferry/internal/testenv"
)

// realInvoiceDir holds real VAT e-invoices that other projects publish as
// test data, copied with their source and licence (see the README.md in
// each of its directories).
const realInvoiceDir = "testdata/real"

// realInvoiceRefusals are the real files Ferry must refuse, with the
// failure class and a text the message must contain (the problem it
// names).
var realInvoiceRefusals = map[string]struct {
	class ferry.FailureClass
	names string
}{
	// Pages of the OFD standard itself (ofdrw's converter tests): text,
	// but no invoice; refused, not read as an empty invoice.
	"ofdrw/z.ofd": {ferry.ClassDocumentChanged, "not a VAT e-invoice: no invoice markers"},
	// A signed OFD whose pages hold only path drawings: no text to read,
	// and Ferry does not OCR.
	"ofdrw/V4RideRight.ofd": {ferry.ClassDocumentChanged, "does not OCR"},
}

// renderInvoice writes an invoice for a golden file: every field, every
// item, the reader's flags and Check's verdict. Notes (which source gave a
// field) are left out: they explain a parse, they are not its result.
func renderInvoice(inv ferry.Invoice) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "kind %q\ncode %q number %q date %s check_code %q machine_no %q\n", inv.Kind, inv.Code, inv.Number, inv.IssueDate, inv.CheckCode, inv.MachineNo)
	fmt.Fprintf(&b, "buyer %q tax_id %q\nseller %q tax_id %q\n", inv.BuyerName, inv.BuyerTaxID, inv.SellerName, inv.SellerTaxID)
	fmt.Fprintf(&b, "amount %s stated=%v tax %s tax_printed %q total %s currency %q\ntotal_in_words %q\n",
		inv.Amount.StringFixed(2), inv.AmountStated, inv.Tax.StringFixed(2), inv.TaxPrinted, inv.Total.StringFixed(2), inv.Currency, inv.TotalInWords)
	fmt.Fprintf(&b, "red %v toll %v digital %v special %v\n", inv.Red, inv.Toll, inv.Digital(), inv.Special())
	for i, it := range inv.Items {
		fmt.Fprintf(&b, "item %d name %q spec %q unit %q", i+1, it.Name, it.Spec, it.Unit)
		if it.QuantityStated {
			fmt.Fprintf(&b, " qty %s", it.Quantity.String())
		}
		if it.PriceStated {
			fmt.Fprintf(&b, " price %s", it.UnitPrice.String())
		}
		fmt.Fprintf(&b, " amount %s rate %q tax %s", it.Amount.StringFixed(2), it.TaxRate, it.Tax.StringFixed(2))
		if it.TaxPrinted != "" {
			fmt.Fprintf(&b, " tax_printed %q", it.TaxPrinted)
		}
		if inv.Toll {
			fmt.Fprintf(&b, " plate %q type %q pass %s..%s", it.Plate, it.VehicleType, it.PassFrom, it.PassTo)
		}
		b.WriteByte('\n')
	}
	for _, f := range inv.Flags {
		fmt.Fprintf(&b, "flag %s\n", f)
	}
	if err := inv.Check(); err != nil {
		fmt.Fprintf(&b, "check: %v\n", err)
	} else {
		fmt.Fprintf(&b, "check: ok\n")
	}
	return b.Bytes()
}

// Real VAT e-invoices (OFD from several issuers and producers — 数电 专票
// and 普票, a highway-toll 普票, 增值税电子普通发票 with a code — and a PDF)
// parse with einvoice.Parse and no hint. Every field is in a golden file
// beside the file (go test ./einvoice -run TestRealInvoices -update
// rewrites them), checked by hand against the document before it was
// committed: an invoice is either right in every field or flagged by
// Check. The files Ferry must refuse are in realInvoiceRefusals.
func TestRealInvoices(t *testing.T) {
	t.Parallel()
	files := testenv.RealFiles(t, realInvoiceDir)
	if len(files) < 10 {
		t.Fatalf("found %d real invoice files in %s", len(files), realInvoiceDir)
	}
	testenv.CheckProvenance(t, realInvoiceDir, files)
	for _, rel := range files {
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(realInvoiceDir, filepath.FromSlash(rel))
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Base(rel)
			inv, err := einvoice.Parse(t.Context(), name, data)
			if want, ok := realInvoiceRefusals[rel]; ok {
				switch {
				case err == nil:
					t.Fatalf("parsed as invoice %q; want a refusal naming %q", inv.Number, want.names)
				case ferry.ClassOf(err) != want.class:
					t.Errorf("error class %s, want %s: %v", ferry.ClassOf(err), want.class, err)
				case !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), want.names):
					t.Errorf("the error does not name the file and %q: %v", want.names, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v", err)
			}
			testenv.Golden(t, p+".golden", renderInvoice(inv))
		})
	}
	for rel := range realInvoiceRefusals {
		if _, err := os.Stat(filepath.Join(realInvoiceDir, filepath.FromSlash(rel))); err != nil {
			t.Errorf("refusal table names %s: %v", rel, err)
		}
	}
}
