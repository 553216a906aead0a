package statements_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	pngenc "image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/pdftext"
	"github.com/ferry-rpa/ferry/statements"
	"github.com/go-pdf/fpdf"
)

// The PDFs in testdata/pdf hold hand-written data laid out the way
// Singapore, US, Australian and UK banks print statements, made with
// go-pdf/fpdf and with LibreOffice from the HTML sources beside them, by
// testdata/pdf/gen (see testdata/pdf/README.md). Each .want file is the
// truth from the generator's data, not from this reader.

// describe prints a statement the way the generator writes its truth.
func describe(st ferry.Statement) string {
	var b strings.Builder
	fmt.Fprintf(&b, "account: %s\ncurrency: %s\nperiod: %s %s\n", st.Account, st.Currency, st.From, st.To)
	if st.NoBalances {
		b.WriteString("balances: none\n")
	} else {
		fmt.Fprintf(&b, "opening: %s\nclosing: %s\n", st.Opening.StringFixed(2), st.Closing.StringFixed(2))
	}
	for _, l := range st.Lines {
		bal := ""
		if !l.BalanceAfter.IsZero() {
			bal = l.BalanceAfter.StringFixed(2)
		}
		date := l.BookingDate.String()
		if l.ValueDate != l.BookingDate {
			date += " value " + l.ValueDate.String()
		}
		fmt.Fprintf(&b, "%s | %s | %s | %s | %s\n", date, l.Amount.StringFixed(2), bal, l.Description, l.Reference)
	}
	return b.String()
}

// goldenJSON is the whole parse, notes and warnings included.
func goldenJSON(t *testing.T, st ferry.Statement) []byte {
	t.Helper()
	type line struct {
		Booking, Value, Amount, Balance, Description, Reference, Counterparty, Currency string
	}
	out := struct {
		Account, Name, Currency, From, To, Opening, Closing string
		NoBalances                                          bool
		Notes, Warnings                                     []string
		Lines                                               []line
	}{Account: st.Account, Name: st.Name, Currency: st.Currency, From: st.From.String(), To: st.To.String(),
		Opening: st.Opening.StringFixed(2), Closing: st.Closing.StringFixed(2), NoBalances: st.NoBalances,
		Notes: st.Notes, Warnings: st.Warnings}
	for _, l := range st.Lines {
		out.Lines = append(out.Lines, line{l.BookingDate.String(), l.ValueDate.String(), l.Amount.StringFixed(2),
			l.BalanceAfter.StringFixed(2), l.Description, l.Reference, l.Counterparty, l.Currency})
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// diffLines fails t at the first line where got and want differ.
func diffLines(t *testing.T, got, want string) {
	t.Helper()
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("line %d of the statement:\n got: %s\nwant: %s", i+1, g, w)
		}
	}
}

func TestPDFLayouts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		// reconciles: whether the statement's lines add up (a scanned page
		// loses its transactions).
		reconciles bool
		// notes and warnings the reader must give, in part.
		notes, warnings []string
	}{
		{file: "sg_dbs_withdrawal_deposit", reconciles: true, notes: []string{`"Withdrawal (-)"=debit`, "day first (DD/MM)"}},
		{file: "sg_amount_cr", reconciles: true, notes: []string{"are debits: the column marks its 16 credits", "year comes from the statement period 2024-11-16 to 2024-12-15"}},
		{file: "us_chase_sections", reconciles: true, notes: []string{`the amounts under "CHECKS PAID" are debits`, `the amounts under "DEPOSITS AND ADDITIONS" are credits`, "currency USD: amounts in $, from a US bank", "month first (MM/DD)"}},
		{file: "us_boa_minus_checks", reconciles: true, notes: []string{"printed 2 times side by side", `"Withdrawals and other subtractions" are debits`}},
		{file: "us_wellsfargo_twoline_header", reconciles: true, notes: []string{`"Deposits/ Credits"=credit`, `"Ending daily balance"=balance`, "dates of the opening and closing balances"}},
		{file: "au_cba_year_end", reconciles: true, notes: []string{"currency AUD: amounts in $, from an Australian bank", "year comes from the statement period 2023-12-01 to 2024-01-31"}},
		{file: "uk_hsbc_amount_last", reconciles: true, notes: []string{"amount is on its last line", "currency GBP"}},
		{file: "uk_barclays_centred", reconciles: true, notes: []string{`"Money out £"=debit`}},
		{file: "mixed_scanned_page", reconciles: false, warnings: []string{"page 2 is a scanned image without a text layer: Ferry does not OCR scanned pages", "the transactions on page 2, which is a scanned image without text, are missing"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join("testdata", "pdf", tc.file+".pdf"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join("testdata", "pdf", tc.file+".want"))
			if err != nil {
				t.Fatal(err)
			}
			st, err := statements.ParseWith(context.Background(), tc.file+".pdf", data, statements.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(st) != 1 {
				t.Fatalf("got %d statements, want 1", len(st))
			}
			diffLines(t, describe(st[0]), string(want))
			if err := st[0].Reconcile(); (err == nil) != tc.reconciles {
				t.Errorf("Reconcile() = %v, want reconciles=%v", err, tc.reconciles)
			}
			for _, n := range tc.notes {
				if !strings.Contains(strings.Join(st[0].Notes, "\n"), n) {
					t.Errorf("no note says %q; notes:\n%s", n, strings.Join(st[0].Notes, "\n"))
				}
			}
			for _, w := range tc.warnings {
				if !strings.Contains(strings.Join(st[0].Warnings, "\n"), w) {
					t.Errorf("no warning says %q; warnings:\n%s", w, strings.Join(st[0].Warnings, "\n"))
				}
			}
			if len(tc.warnings) == 0 && len(st[0].Warnings) > 0 {
				t.Errorf("unexpected warnings: %q", st[0].Warnings)
			}
			testenv.Golden(t, filepath.Join("testdata", "pdf", tc.file+".golden"), goldenJSON(t, st[0]))
		})
	}
}

// textPDF lays out pages of text in Courier, line by line, the way
// statements printed by older core-banking systems look: columns are
// where the characters put them. Tests write their statements as text.
func textPDF(t *testing.T, pages ...string) []byte {
	t.Helper()
	p := fpdf.New("L", "pt", "A4", "")
	p.SetCreator("ferry test", true)
	p.SetAutoPageBreak(false, 0)
	for _, page := range pages {
		p.AddPage()
		// A page marked [scan] is a scanned image, with whatever text
		// follows printed over it (a page number, say).
		if rest, ok := strings.CutPrefix(page, "[scan]"); ok {
			page = rest
			img := image.NewGray(image.Rect(0, 0, 60, 40))
			for i := range img.Pix {
				img.Pix[i] = uint8(180 + i%50)
			}
			var png bytes.Buffer
			if err := pngenc.Encode(&png, img); err != nil {
				t.Fatal(err)
			}
			p.RegisterImageOptionsReader("scan", fpdf.ImageOptions{ImageType: "PNG"}, &png)
			p.ImageOptions("scan", 20, 20, 800, 550, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
		}
		p.SetFont("Courier", "", 8)
		for i, l := range strings.Split(strings.Trim(page, "\n"), "\n") {
			if strings.TrimSpace(l) != "" {
				p.Text(30, 40+float64(i)*11, l)
			}
		}
	}
	var b bytes.Buffer
	if err := p.Output(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const plainUK = `
FIRST EXAMPLE BANK PLC                                     Statement period: 1 March 2024 to 31 March 2024
Account number: 12345678                                   Sort code: 20-00-00      Currency: GBP

Date        Description                         Paid out          Paid in         Balance
01 Mar      BALANCE BROUGHT FORWARD                                             1,000.00
04 Mar      CARD PAYMENT TESCO STORES              23.45                          976.55
05 Mar      SALARY ACME LTD                                      2,000.00       2,976.55
            BALANCE CARRIED FORWARD                                             2,976.55
`

func TestPDFTextStatement(t *testing.T) {
	t.Parallel()
	st, err := statements.ParsePDF(context.Background(), "plain.pdf", textPDF(t, plainUK))
	if err != nil {
		t.Fatal(err)
	}
	diffLines(t, describe(st), `account: 12345678
currency: GBP
period: 2024-03-01 2024-03-31
opening: 1000.00
closing: 2976.55
2024-03-04 | -23.45 | 976.55 | CARD PAYMENT TESCO STORES | 
2024-03-05 | 2000.00 | 2976.55 | SALARY ACME LTD | 
`)
}

// Every value that cannot be read in full is an error naming the file,
// the page and the line; so is a sign that nothing settles.
func TestPDFRefusesWhatItCannotRead(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		text  string
		want  []string
		class ferry.FailureClass
	}{
		{"european amount", strings.Replace(plainUK, "   23.45 ", "1.234,56 ", 1),
			[]string{"x.pdf: page 1 line 5", `"1.234,56" is not an amount`}, ferry.ClassDocumentChanged},
		{"misprinted balance", strings.Replace(plainUK, "  976.55", "  976.65", 1),
			[]string{"x.pdf: page 1 line 5", "running balance is 976.55 here, the statement prints 976.65"}, ferry.ClassValidationFailed},
		{"no year and no period", strings.Replace(plainUK, "Statement period: 1 March 2024 to 31 March 2024", "", 1),
			[]string{"x.pdf: page 1 line 5", "has no year"}, ferry.ClassDocumentChanged},
		{"debit and credit on one line", strings.Replace(plainUK, "CARD PAYMENT TESCO STORES              23.45              ", "CARD PAYMENT TESCO STORES              23.45      1.00    ", 1),
			[]string{"x.pdf: page 1 line 5", "amounts in both the paid out and the paid in column"}, ferry.ClassDocumentChanged},
		{"amount without a sign", `
EXAMPLE BANK                                Statement period: 1 March 2024 to 31 March 2024
Account number: 12345678                    Currency: GBP

Date        Description                         Amount
04 Mar      CARD PAYMENT TESCO STORES            23.45
05 Mar      SALARY ACME LTD                   2,000.00
`, []string{"x.pdf: page 1 line 4", "cannot tell whether 23.45", "is a debit or a credit"}, ferry.ClassDocumentChanged},
		{"minus under deposits", `
EXAMPLE BANK                                March 1, 2024 through March 31, 2024
Account Number: 000123456789                Member FDIC

DEPOSITS AND ADDITIONS
DATE        DESCRIPTION                                         AMOUNT
03/04       Remote Online Deposit                             1,200.00
03/05       Reversal                                           -100.00
`, []string{"x.pdf: page 1 line 6", `is marked "-"`, `under "DEPOSITS AND ADDITIONS", a section of credits`}, ferry.ClassDocumentChanged},
		{"section total that does not add up", `
EXAMPLE BANK                                March 1, 2024 through March 31, 2024
Account Number: 000123456789                Member FDIC

DEPOSITS AND ADDITIONS
DATE        DESCRIPTION                                         AMOUNT
03/04       Remote Online Deposit                             1,200.00
03/05       Zelle Payment From Mary                             100.00
Total Deposits and Additions                                 $1,400.00
`, []string{"x.pdf: page 1 line 7", "says 1400.00, but the 2 amounts read under \"DEPOSITS AND ADDITIONS\" add up to 1300.00"}, ferry.ClassValidationFailed},
		{"two opening balances", strings.Replace(strings.Replace(plainUK, "FIRST EXAMPLE BANK PLC", "Opening balance 1,000.00", 1), "Sort code: 20-00-00", "Opening balance 900.00", 1),
			[]string{"x.pdf: page 1 line 2", "a second opening balance 900.00 (the first, 1000.00, is on page 1 line 1)"}, ferry.ClassDocumentChanged},
		{"summary and table disagree", strings.Replace(plainUK, "Sort code: 20-00-00", "Opening balance 900.00", 1),
			[]string{"x.pdf: page 1 line 4", "the running balance is 900.00 here, the statement prints 1000.00"}, ferry.ClassValidationFailed},
		{"numeric dates both ways", `
EXAMPLE BANK                                Statement period: 01/02/2024 to 29/02/2024
Account number: 12345678                    Currency: GBP

Date          Description                       Paid out        Paid in
13/02/2024    CARD PAYMENT                          1.00
02/14/2024    CARD PAYMENT                          2.00
`, []string{"numeric dates read day first on page 1 line 1 and month first on page 1 line 5"}, ferry.ClassDocumentChanged},
		{"amounts under a label Ferry does not know", `
EXAMPLE BANK                                Statement period: 1 March 2024 to 31 March 2024
Account number: 12345678                    Currency: GBP

Date        Description                  Paid out      Cashback       Paid in        Balance
04 Mar      CARD PAYMENT TESCO              23.45                                   976.55
05 Mar      CARD PAYMENT BOOTS              10.00          1.00                     967.55
`, []string{"x.pdf: page 1 line 5", `amount "1.00" is under the column "Cashback", which Ferry does not know`}, ferry.ClassDocumentChanged},
		{"a statement of nothing", `
EXAMPLE BANK
Account number: 12345678
Thank you for banking with us.
`, []string{"not a bank statement: no transaction table found"}, ferry.ClassDocumentChanged},
		{"dollars of no country", `
EXAMPLE BANK                                Statement period: 1 March 2024 to 31 March 2024
Account number: 12345678

Date        Description                         Amount          Balance
            Opening balance                                     $100.00
04 Mar      CARD PAYMENT                        -$23.45          $76.55
`, []string{"amounts are in $ but the statement does not say which dollar"}, ferry.ClassDocumentChanged},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := statements.ParsePDF(context.Background(), "x.pdf", textPDF(t, tc.text))
			if err == nil {
				t.Fatal("got nil error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to say %q", err, w)
				}
			}
			if !strings.Contains(err.Error(), "x.pdf") {
				t.Errorf("got %q, want it to name the file", err)
			}
			if c := ferry.ClassOf(err); c != tc.class {
				t.Errorf("class %s, want %s", c, tc.class)
			}
		})
	}
}

// What the reader infers, it says in the notes, and it infers only what
// the statement settles.
func TestPDFInfers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text, want string
		note             string
	}{
		{"signs from the running balance", `
EXAMPLE BANK                                Statement period: 1 March 2024 to 31 March 2024
Account number: 12345678                    Currency: GBP

Date        Description                         Amount          Balance
            Opening balance                                     1,000.00
04 Mar      CARD PAYMENT TESCO                   23.45            976.55
05 Mar      SALARY ACME LTD                   2,000.00          2,976.55
06 Mar      RENT                                800.00
06 Mar      REFUND                               10.00          2,186.55
`, `account: 12345678
currency: GBP
period: 2024-03-01 2024-03-31
opening: 1000.00
closing: 2186.55
2024-03-04 | -23.45 | 976.55 | CARD PAYMENT TESCO | 
2024-03-05 | 2000.00 | 2976.55 | SALARY ACME LTD | 
2024-03-06 | -800.00 |  | RENT | 
2024-03-06 | 10.00 | 2186.55 | REFUND | 
`, "the sign of 4 amounts comes from the running balance"},
		{"a card: amounts owed", `
EXAMPLE BANK CARD SERVICES, SINGAPORE       Statement Date: 15 Dec 2024
Card Number: 4111 2222 3333 4444            Currency: SGD

DATE        DESCRIPTION                                      AMOUNT
            PREVIOUS BALANCE                               1,000.00
20 NOV      GRAB*RIDE SINGAPORE                              100.00
01 DEC      PAYMENT - THANK YOU                              50.00 CR
03 DEC      COLD STORAGE                                      25.50
            NEW BALANCE                                    1,075.50
`, `account: 4111222233334444
currency: SGD
period: 2024-11-20 2024-12-15
opening: -1000.00
closing: -1075.50
2024-11-20 | -100.00 |  | GRAB*RIDE SINGAPORE | 
2024-12-01 | 50.00 |  | PAYMENT - THANK YOU | 
2024-12-03 | -25.50 |  | COLD STORAGE | 
`, "the balances are amounts owed"},
		{"a card: a minus marks a payment", `
EXAMPLE FREEDOM CARD                          Opening/Closing Date 11/14/24 - 12/13/24
Account Number: XXXX XXXX XXXX 1234           Credit Limit: $5,000
Member FDIC                                   Payment Due Date: 01/10/25
                                              Minimum Payment Due: $25.00

Previous Balance                 $1,000.00
New Balance                      $1,075.50

ACCOUNT ACTIVITY
Date of Transaction     Merchant Name or Transaction Description            $ Amount
PAYMENTS AND OTHER CREDITS
11/20                   Payment Thank You-Mobile                             -50.00
PURCHASE
11/25                   GRAB*RIDE SINGAPORE                                  100.00
12/03                   COLD STORAGE                                          25.50
`, `account: XXXXXXXXXXXX1234
currency: USD
period: 2024-11-14 2024-12-13
opening: -1000.00
closing: -1075.50
2024-11-20 | 50.00 |  | Payment Thank You-Mobile | 
2024-11-25 | -100.00 |  | GRAB*RIDE SINGAPORE | 
2024-12-03 | -25.50 |  | COLD STORAGE | 
`, "a credit card statement"},
		{"two date columns and a cheque column", `
OCBC BANK                                                       STATEMENT OF ACCOUNT
360 ACCOUNT  Account No. 501-234567-001                         1 NOV 2024 TO 30 NOV 2024
                                                                Currency: SGD

TRANSACTION DATE  VALUE DATE  DESCRIPTION                    CHEQUE     WITHDRAWAL      DEPOSIT      BALANCE
                              BALANCE B/F                                                            5,000.00
01 NOV            01 NOV      CHEQUE DEPOSIT                 000123                  1,000.00        6,000.00
03 NOV            02 NOV      NETS DEBIT COLD STORAGE                         45.60                  5,954.40
                              TAMPINES MALL
                              BALANCE C/F                                                            5,954.40
`, `account: 501-234567-001
currency: SGD
period: 2024-11-01 2024-11-30
opening: 5000.00
closing: 5954.40
2024-11-01 | 1000.00 | 6000.00 | CHEQUE DEPOSIT | 000123
2024-11-03 value 2024-11-02 | -45.60 | 5954.40 | NETS DEBIT COLD STORAGE TAMPINES MALL | 
`, `"VALUE DATE"=value date`},
		{"a Dr/Cr column and a month", `
EXAMPLE BANK LIMITED                        Statement for November 2024
Account No: 00012345678901                  Currency: INR

Date          Narration                              Amount      Dr/Cr        Balance
              Opening Balance                                             10,000.00
05/11/2024    UPI/123456/GROCERY MART               250.00      DR           9,750.00
12/11/2024    NEFT CR ACME PVT LTD                5,000.00      CR          14,750.00
`, `account: 00012345678901
currency: INR
period: 2024-11-01 2024-11-30
opening: 10000.00
closing: 14750.00
2024-11-05 | -250.00 | 9750.00 | UPI/123456/GROCERY MART | 
2024-11-12 | 5000.00 | 14750.00 | NEFT CR ACME PVT LTD | 
`, "the period is the month November 2024"},
		{"a description line that reads like a heading", `
EXAMPLE BANK                                Statement period: 1 March 2024 to 31 March 2024
Account number: 12345678                    Currency: SGD

Date        Description                         Amount          Balance
            Opening balance                                     1,000.00
04 Mar      VISA DEBIT                           23.45            976.55
            PURCHASE
05 Mar      SALARY ACME                       2,000.00 CR       2,976.55
06 Mar      NETS                                 10.00          2,966.55
`, `account: 12345678
currency: SGD
period: 2024-03-01 2024-03-31
opening: 1000.00
closing: 2966.55
2024-03-04 | -23.45 | 976.55 | VISA DEBIT PURCHASE | 
2024-03-05 | 2000.00 | 2976.55 | SALARY ACME | 
2024-03-06 | -10.00 | 2966.55 | NETS | 
`, "are debits: the column marks its 1 credits"},
		{"the day from the balance row and the page before", `
EXAMPLE BANK UK                             1 March to 31 March 2024
Sort Code 40-11-22    Account Number 21345678      Currency: GBP

Date        Payment type and details          Paid out      Paid in       Balance
14 Mar 24   BALANCE BROUGHT FORWARD                                       1,000.00
            VIS TESCO                            12.00                      988.00
            BALANCE CARRIED FORWARD                                         988.00
` + "\f" + `
EXAMPLE BANK UK                             Page 2 of 3

Date        Payment type and details          Paid out      Paid in       Balance
15 Mar 24   BALANCE BROUGHT FORWARD                                         988.00
            DD COUNCIL TAX                      100.00                      888.00
16 Mar 24   CR ACME LTD                                     500.00
` + "\f" + `
EXAMPLE BANK UK                             Page 3 of 3
            SO J SMITH RENT                      50.00                    1,338.00
            BALANCE CARRIED FORWARD                                       1,338.00
`, `account: 21345678
currency: GBP
period: 2024-03-01 2024-03-31
opening: 1000.00
closing: 1338.00
2024-03-14 | -12.00 | 988.00 | VIS TESCO | 
2024-03-15 | -100.00 | 888.00 | DD COUNCIL TAX | 
2024-03-16 | 500.00 |  | CR ACME LTD | 
2024-03-16 | -50.00 | 1338.00 | SO J SMITH RENT | 
`, `"Payment type and details"=description`},
		{"debit and credit under one label", `
EXAMPLE BANK                                Statement period: 1 March 2024 to 31 March 2024
Account number: 12345678                    Currency: GBP

Date        Description                    Transaction Amount       Balance
                                        Debit             Credit
            BALANCE BROUGHT FORWARD                                 1,000.00
04 Mar      CARD PAYMENT TESCO          23.45                         976.55
05 Mar      SALARY ACME LTD                             2,000.00    2,976.55
`, `account: 12345678
currency: GBP
period: 2024-03-01 2024-03-31
opening: 1000.00
closing: 2976.55
2024-03-04 | -23.45 | 976.55 | CARD PAYMENT TESCO | 
2024-03-05 | 2000.00 | 2976.55 | SALARY ACME LTD | 
`, `"Transaction Amount Debit"=debit`},
		{"labels of an Indian bank", `
EXAMPLE BANK LTD                            Statement From : 01/11/2024 To : 30/11/2024
Account No : 50100012345678                 Currency : INR

Date       Narration                   Chq./Ref.No.      Value Dt     Withdrawal Amt.    Deposit Amt.    Closing Balance
01/11/24   Opening Balance                                                                                    10,000.00
05/11/24   UPI-GROCERY MART            0000431234        05/11/24              250.00                          9,750.00
12/11/24   NEFT CR-ACME PVT LTD        N123456789        13/11/24                              5,000.00       14,750.00
`, `account: 50100012345678
currency: INR
period: 2024-11-01 2024-11-30
opening: 10000.00
closing: 14750.00
2024-11-05 | -250.00 | 9750.00 | UPI-GROCERY MART | 0000431234
2024-11-12 value 2024-11-13 | 5000.00 | 14750.00 | NEFT CR-ACME PVT LTD | N123456789
`, `"Withdrawal Amt."=debit`},
		{"a card with charges and payments columns", `
EXAMPLE BANK CARD SERVICES                  Statement Date: 15 Dec 2024
Card No.: 4111 2222 3333 4444               Credit Limit: GBP 5,000
                                            Minimum Payment Due: GBP 25.00

Date        Details                              Charges        Payments
            Previous balance                                                 1,000.00
20 Nov      TESCO STORES                          100.00
01 Dec      DIRECT DEBIT PAYMENT                                  50.00
            New balance                                                      1,050.00
`, `account: 4111222233334444
currency: GBP
period: 2024-11-20 2024-12-15
opening: -1000.00
closing: -1050.00
2024-11-20 | -100.00 |  | TESCO STORES | 
2024-12-01 | 50.00 |  | DIRECT DEBIT PAYMENT | 
`, "a credit card statement"},
		{"CR and DR apart from the balance", `
EXAMPLE BANK LIMITED ABN 12 345 678 901     Statement Period 1 Dec 2023 - 31 Dec 2023
Account Number 06 2000 12345678

Date     Transaction                         Debit        Credit          Balance
01 Dec   OPENING BALANCE                                               100.00  CR
02 Dec   WOOLWORTHS 1234 SYDNEY             150.00                      50.00  DR
05 Dec   SALARY ACME PTY LTD                           2,000.00      1,950.00  CR
31 Dec   CLOSING BALANCE                                             1,950.00  CR
`, `account: 06200012345678
currency: AUD
period: 2023-12-01 2023-12-31
opening: 100.00
closing: 1950.00
2023-12-02 | -150.00 | -50.00 | WOOLWORTHS 1234 SYDNEY | 
2023-12-05 | 2000.00 | 1950.00 | SALARY ACME PTY LTD | 
`, "currency AUD: no currency printed"},
		{"a period over the year end", `
EXAMPLE BANK LTD                            Statement period: 15 Dec 2023 to 14 Jan 2024
Account number: 12345678                    Currency: GBP

Date        Description                         Paid out          Paid in
20 Dec      CARD PAYMENT                           10.00
05 Jan      CARD PAYMENT                           20.00
`, `account: 12345678
currency: GBP
period: 2023-12-15 2024-01-14
balances: none
2023-12-20 | -10.00 |  | CARD PAYMENT | 
2024-01-05 | -20.00 |  | CARD PAYMENT | 
`, "dates printed without a year (2): the year comes from the statement period 2023-12-15 to 2024-01-14"},
		{"minus marks, no balances", `
EXAMPLE BANK                                March 1, 2024 through March 31, 2024
Account Number: 000123456789                Member FDIC

DATE        DESCRIPTION                                         AMOUNT
03/04       Remote Online Deposit                             1,200.00
03/05       Card Purchase Safeway                              -100.00
`, `account: 000123456789
currency: USD
period: 2024-03-01 2024-03-31
balances: none
2024-03-04 | 1200.00 |  | Remote Online Deposit | 
2024-03-05 | -100.00 |  | Card Purchase Safeway | 
`, "are credits: the column marks its 1 debits"},
		{"no currency printed, a US bank", `
EXAMPLE BANK, N.A.                          March 1, 2024 through March 31, 2024
Account Number: 000123456789                Member FDIC

DEPOSITS AND ADDITIONS
DATE        DESCRIPTION                                         AMOUNT
03/04       Remote Online Deposit                             1,200.00
`, `account: 000123456789
currency: USD
period: 2024-03-01 2024-03-31
balances: none
2024-03-04 | 1200.00 |  | Remote Online Deposit | 
`, "currency USD: no currency printed, from a US bank"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, err := statements.ParsePDF(context.Background(), "x.pdf", textPDF(t, strings.Split(tc.text, "\f")...))
			if err != nil {
				t.Fatal(err)
			}
			diffLines(t, describe(st), tc.want)
			if !strings.Contains(strings.Join(st.Notes, "\n"), tc.note) {
				t.Errorf("no note says %q; notes:\n%s", tc.note, strings.Join(st.Notes, "\n"))
			}
			if err := st.Reconcile(); err != nil {
				t.Error(err)
			}
		})
	}
}

// A scanned statement has no text to read: it is refused, saying that
// Ferry does not OCR.
func TestPDFScannedIsRefused(t *testing.T) {
	t.Parallel()
	p := fpdf.New("P", "mm", "A4", "")
	img := image.NewGray(image.Rect(0, 0, 60, 80))
	for i := range img.Pix {
		img.Pix[i] = uint8(200 + i%50)
	}
	img.SetGray(5, 5, color.Gray{})
	var pb bytes.Buffer
	if err := png.Encode(&pb, img); err != nil {
		t.Fatal(err)
	}
	p.RegisterImageOptionsReader("scan", fpdf.ImageOptions{ImageType: "PNG"}, &pb)
	for i := 0; i < 2; i++ {
		p.AddPage()
		p.ImageOptions("scan", 10, 10, 190, 270, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	}
	var b bytes.Buffer
	if err := p.Output(&b); err != nil {
		t.Fatal(err)
	}
	_, err := statements.ParsePDF(context.Background(), "scan.pdf", b.Bytes())
	if !errors.Is(err, pdftext.ErrNoText) || !strings.Contains(err.Error(), "does not OCR") || !strings.Contains(err.Error(), "scan.pdf") {
		t.Fatalf("got %v, want an error naming scan.pdf, wrapping ErrNoText, saying Ferry does not OCR", err)
	}
}

// A scanned page with a printed page number has text, but its
// transactions are still not read: the break in the running balance after
// it is a warning that names the page, and the statement does not
// reconcile.
func TestPDFScannedPageWithPageNumber(t *testing.T) {
	t.Parallel()
	data := textPDF(t, strings.Replace(plainUK, "            BALANCE CARRIED FORWARD                                             2,976.55\n", "", 1),
		"[scan]\n\n\n                                         - 2 -\n", `
Date        Description                         Paid out          Paid in         Balance
09 Mar      CARD PAYMENT BOOTS                     10.00                          2,866.55
            BALANCE CARRIED FORWARD                                             2,866.55
`)
	st, err := statements.ParsePDF(context.Background(), "x.pdf", data)
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(st.Warnings, "\n")
	if !strings.Contains(w, "page 3 line 2") || !strings.Contains(w, "the transactions on page 2, which is a scanned image with almost no text, are missing") {
		t.Errorf("warnings %q, want one naming page 2 and the break on page 3 line 2", st.Warnings)
	}
	if len(st.Lines) != 3 || st.Reconcile() == nil {
		t.Errorf("got %d lines, reconcile %v; want 3 lines and a statement that does not reconcile", len(st.Lines), st.Reconcile())
	}
}

// Invoices and the BAI2 specification are PDFs but not statements: they
// are refused with an error that says so.
func TestPDFRefusesOtherDocuments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, want string
	}{
		{"invoice2data/compare/AmazonWebServices.pdf", "it reads as an invoice"},
		{"invoice2data/compare/AzureInterior.pdf", "it reads as an invoice"},
		{"invoice2data/compare/FlipkartInvoice.pdf", "it reads as an invoice"},
		{"invoice2data/compare/QualityHosting.pdf", "it reads as an invoice"},
		{"invoice2data/compare/coolblue1.pdf", "it reads as an invoice"},
		{"invoice2data/compare/oyo.pdf", "it reads as an invoice"},
		{"bai2/moov-io/Cash_Management_Balance_Reporting_Specifications_Version_2.pdf", "no transaction table found"},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			t.Parallel()
			path := testenv.Corpus(t, tc.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = statements.ParseWith(context.Background(), filepath.Base(path), data, statements.Options{})
			if !errors.Is(err, statements.ErrNotAStatement) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), filepath.Base(path)) {
				t.Fatalf("got %v, want ErrNotAStatement naming the file and saying %q", err, tc.want)
			}
			if c := ferry.ClassOf(err); c != ferry.ClassDocumentChanged {
				t.Errorf("class %s, want document_changed", c)
			}
		})
	}
}

// A statement read twice reads the same, and a cancelled context stops
// the parse.
func TestPDFContext(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("testdata", "pdf", "us_chase_sections.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := statements.ParsePDF(ctx, "chase.pdf", data); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: got %v, want context.Canceled", err)
	}
}

// A page of a thousand lines of column labels and amounts is read in
// bounded time: it is no statement, and the error says so.
func TestPDFHostileRows(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := 0; i < 40; i++ {
		b.WriteString(strings.Repeat("Date Amount Balance Debit Credit ", 30) + "\n")
		b.WriteString(strings.Repeat("01/02 1.00 ", 60) + "\n")
	}
	pages := make([]string, 3)
	for i := range pages {
		pages[i] = b.String()
	}
	_, err := statements.ParsePDF(context.Background(), "hostile.pdf", textPDF(t, pages...))
	if err == nil || !strings.Contains(err.Error(), "hostile.pdf") {
		t.Fatalf("got %v, want an error naming the file", err)
	}
}

// FuzzPDFStatement feeds the statement reader broken variants of the test
// statements: it must return, never panic.
func FuzzPDFStatement(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "pdf", "*.pdf"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil && len(b) < 8<<10 { // small seeds: the fuzzer minimises what it finds
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = statements.ParsePDF(context.Background(), "fuzz.pdf", b)
	})
}

// BenchmarkPDFStatement parses each test statement and reports pages/s,
// to compare with `pdftotext -layout` on the same files.
func BenchmarkPDFStatement(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join("testdata", "pdf", "*.pdf"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			b.Fatal(err)
		}
		doc, err := pdftext.Open(data, "")
		if err != nil {
			b.Fatal(err)
		}
		pages := doc.NumPages()
		b.Run(strings.TrimSuffix(filepath.Base(file), ".pdf"), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				if _, err := statements.ParsePDF(context.Background(), file, data); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(pages*b.N)/b.Elapsed().Seconds(), "pages/s")
		})
	}
}

// A blank page (no text, no image) is no scan: it draws no warning.
func TestPDFBlankPageIsNoScan(t *testing.T) {
	t.Parallel()
	st, err := statements.ParsePDF(context.Background(), "blank.pdf", textPDF(t, plainUK, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Warnings) != 0 || len(st.Lines) != 2 {
		t.Fatalf("got %d lines and warnings %q, want 2 lines and none", len(st.Lines), st.Warnings)
	}
}
