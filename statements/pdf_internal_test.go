package statements

import (
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
)

func TestPDFMoneyToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		abs  string
		sign int
		cur  string
	}{
		{"1,234.56", "1234.56", 0, ""},
		{"0.05", "0.05", 0, ""},
		{"$1,234.56", "1234.56", 0, "$"},
		{"-$1,234.56", "1234.56", -1, "$"},
		{"$-12.00", "12", -1, "$"},
		{"1,234.56 CR", "1234.56", 1, ""},
		{"1,234.56CR", "1234.56", 1, ""},
		{"12.00 DR", "12", -1, ""},
		{"(12.00)", "12", -1, ""},
		{"12.00-", "12", -1, ""},
		{"+12.00", "12", 1, ""},
		{"S$ 5.00", "5", 0, "S$"},
		{"£2,345.67", "2345.67", 0, "£"},
		{"$1,234.56 CR", "1234.56", 1, "$"},
		{"1,234.56 USD", "1234.56", 0, "USD"},
		{"SGD 10.00", "10", 0, "SGD"},
		{"123.45 OD", "123.45", -1, ""},
		{"1234567.89", "1234567.89", 0, ""},
	}
	for _, tc := range tests {
		m, ok := pdfParseMoneyToken(tc.in)
		if !ok || m.abs.String() != tc.abs || m.sign != tc.sign || m.cur != tc.cur {
			t.Errorf("pdfParseMoneyToken(%q) = %s sign %d cur %q ok %v; want %s sign %d cur %q", tc.in, m.abs, m.sign, m.cur, ok, tc.abs, tc.sign, tc.cur)
		}
	}
	// Not read as money: no cents, a European number, two marks that
	// disagree, misplaced separators, dates.
	for _, bad := range []string{"1,234", "1.234,56", "12.5", "-12.00 CR", "1,23.45", "12.345", "2024", "12/03", "1.2.3", "", "CR", "$", "12.00USDX"} {
		if m, ok := pdfParseMoneyToken(bad); ok {
			t.Errorf("pdfParseMoneyToken(%q) = %s, want no amount", bad, m.abs)
		}
	}
}

func TestPDFScanDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		y, m, d int
		hasYear bool
		numeric bool
	}{
		{"01 Nov", 0, 11, 1, false, false},
		{"3 DEC", 0, 12, 3, false, false},
		{"12 Mar 24", 2024, 3, 12, true, false},
		{"01-Nov-2024", 2024, 11, 1, true, false},
		{"01NOV24", 2024, 11, 1, true, false},
		{"November 1, 2024", 2024, 11, 1, true, false},
		{"Nov 01", 0, 11, 1, false, false},
		{"Sept 9", 0, 9, 9, false, false},
		{"2024-11-03", 2024, 11, 3, true, false},
		{"2026年09月01日", 2026, 9, 1, true, false},
		{"20241103", 2024, 11, 3, true, false},
	}
	for _, tc := range tests {
		d, ok, err := pdfScanDate(tc.in)
		if !ok || err != nil || d.y != tc.y || d.m != tc.m || d.d != tc.d || d.hasYear != tc.hasYear || d.numeric != tc.numeric {
			t.Errorf("pdfScanDate(%q) = %+v, %v, %v; want %d-%d-%d year %v", tc.in, d, ok, err, tc.y, tc.m, tc.d, tc.hasYear)
		}
	}
	// Numeric dates wait for the statement's order.
	for _, tc := range []struct {
		in   string
		o    pdfDateOrder
		m, d int
	}{{"12/03", pdfOrderDMY, 3, 12}, {"12/03", pdfOrderMDY, 12, 3}, {"1/9/2024", pdfOrderMDY, 1, 9}, {"31.12.2023", pdfOrderDMY, 12, 31}} {
		d, ok, err := pdfScanDate(tc.in)
		if !ok || err != nil {
			t.Fatalf("pdfScanDate(%q): %v %v", tc.in, ok, err)
		}
		v, err := d.withOrder(tc.o)
		if err != nil || v.m != tc.m || v.d != tc.d {
			t.Errorf("%q read %s = %d/%d, %v; want month %d day %d", tc.in, tc.o, v.m, v.d, err, tc.m, tc.d)
		}
	}
	if d, _, _ := pdfScanDate("13/11"); d.evidence() != pdfOrderDMY {
		t.Error("13/11 must say day first")
	}
	if d, _, _ := pdfScanDate("11/13/24"); d.evidence() != pdfOrderMDY {
		t.Error("11/13/24 must say month first")
	}
	if d, _, _ := pdfScanDate("13/11"); func() error { _, err := d.withOrder(pdfOrderMDY); return err }() == nil {
		t.Error("13/11 read month first must be an error")
	}
	for _, bad := range []string{"31 Feb 2024", "32 Jan", "00/12", "29 Feb 2023"} {
		if _, ok, err := pdfScanDate(bad); !ok || err == nil {
			t.Errorf("pdfScanDate(%q) = %v, %v; want a date-shaped error", bad, ok, err)
		}
	}
	for _, text := range []string{"BALANCE B/F", "Payment", "1,234.56", "Total"} {
		if _, ok, _ := pdfScanDate(text); ok {
			t.Errorf("pdfScanDate(%q) read a date", text)
		}
	}
}

func TestPDFYearFor(t *testing.T) {
	t.Parallel()
	day := func(y int, m time.Month, d int) ferry.Date { return ferry.NewDate(y, m, d) }
	tests := []struct {
		m, d     int
		from, to ferry.Date
		want     int
		ok       bool
	}{
		{12, 20, day(2023, 12, 15), day(2024, 1, 14), 2023, true},
		{1, 5, day(2023, 12, 15), day(2024, 1, 14), 2024, true},
		{11, 28, day(2024, 12, 1), day(2024, 12, 31), 2024, true}, // a card purchase before the period
		{2, 29, day(2024, 2, 1), day(2024, 2, 29), 2024, true},
		{6, 1, day(2024, 12, 1), day(2024, 12, 31), 0, false},
		{2, 10, day(2024, 12, 1), day(2024, 12, 31), 0, false},  // weeks after the period
		{3, 10, day(2023, 1, 1), day(2024, 6, 30), 0, false},    // in the period twice
		{7, 3, day(2024, 6, 1), day(2024, 6, 30), 2024, true},   // a value date just after
		{12, 31, day(2024, 1, 1), day(2024, 1, 31), 2023, true}, // a card date just before
	}
	for _, tc := range tests {
		y, ok := pdfYearFor(pdfDate{m: tc.m, d: tc.d}, tc.from, tc.to)
		if ok != tc.ok || ok && y != tc.want {
			t.Errorf("year of %02d-%02d in %s..%s = %d, %v; want %d, %v", tc.m, tc.d, tc.from, tc.to, y, ok, tc.want, tc.ok)
		}
	}
}

func TestPDFDateRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       string
		from, to string
	}{
		{"Statement period: 1 November 2024 to 30 November 2024", "2024-11-01", "2024-11-30"},
		{"April 01, 2025 through April 30, 2025", "2025-04-01", "2025-04-30"},
		{"1 Mar - 31 Mar 2024", "2024-03-01", "2024-03-31"},
		{"Period 1 Dec 2023 - 31 Jan 2024", "2023-12-01", "2024-01-31"},
		{"12 February to 11 March 2024", "2024-02-12", "2024-03-11"},
		{"For the period 01/11/2024 to 30/11/2024", "", ""},
		{"From: 2024-11-01 To: 2024-11-30", "2024-11-01", "2024-11-30"},
	}
	for _, tc := range tests {
		from, to, ok := pdfDateRangeIn(tc.in)
		if !ok {
			t.Errorf("pdfDateRangeIn(%q): no range", tc.in)
			continue
		}
		if tc.from == "" { // numeric: settled later, by the statement's order
			if !from.numeric || !to.numeric {
				t.Errorf("pdfDateRangeIn(%q) = %+v %+v, want numeric dates", tc.in, from, to)
			}
			continue
		}
		if from.date().String() != tc.from || to.date().String() != tc.to {
			t.Errorf("pdfDateRangeIn(%q) = %s to %s, want %s to %s", tc.in, from.date(), to.date(), tc.from, tc.to)
		}
	}
}

func TestPDFLabels(t *testing.T) {
	t.Parallel()
	for label, want := range map[string]pdfRole{
		"Date": pdfRoleDate, "TRANSACTION DATE": pdfRoleDate, "Value Date": pdfRoleValueDate, "Post Date": pdfRolePostDate,
		"Payment type and details": pdfRoleDescription, "Withdrawal (-)": pdfRoleDebit, "Deposit (+)": pdfRoleCredit,
		"Paid out": pdfRoleDebit, "Money in £": pdfRoleCredit, "Balance (SGD)": pdfRoleBalance, "AMOUNT (S$)": pdfRoleAmount,
		"Deposits/ Credits": pdfRoleCredit, "Withdrawals/Debits": pdfRoleDebit, "Ending daily balance": pdfRoleBalance,
		"Check No.": pdfRoleReference, "借方发生额 Debit": pdfRoleDebit, "交易日期": pdfRoleDate, "余额": pdfRoleBalance,
		"Statement date": pdfRoleNone, "Total": pdfRoleNone,
	} {
		if got := pdfLabelRole(label); got != want {
			t.Errorf("pdfLabelRole(%q) = %s, want %s", label, got, want)
		}
	}
	for s, want := range map[string]bool{
		"Total Deposits and Additions": true, "TOTAL": true, "Sub-total": true, "GRAND TOTAL FOR ALL CARD ACCOUNTS": true,
		"TOTAL GAS & POWER": false, "Totally Wines": false, "Payment": false,
	} {
		if got := pdfIsTotalLabel(s); got != want {
			t.Errorf("pdfIsTotalLabel(%q) = %v, want %v", s, got, want)
		}
	}
	for s, closing := range map[string]bool{
		"BALANCE BROUGHT FORWARD": false, "Balance B/F": false, "Opening balance": false, "Beginning Balance": false,
		"Previous balance": false, "Start balance": false, "期初余额 Opening Balance": false,
		"BALANCE CARRIED FORWARD": true, "BALANCE C/F": true, "Closing balance": true, "Ending Balance": true,
		"New Balance": true, "End balance": true, "期末余额": true, "Beginning balance on October 1, 2024": false,
		"Ending Balance 124": true, "Balance carried forward to next page": true, "Ending balance on 10/31": true,
	} {
		got, _, ok := pdfBalanceLabelAt(s)
		if !ok || got != closing {
			t.Errorf("pdfBalanceLabelAt(%q) = %v, %v; want closing=%v", s, got, ok, closing)
		}
	}
	for _, s := range []string{"Minimum Daily Ending Balance", "Your balance", "Balance", "NEW BALANCE ATHLETICS 1234", "Opening balance adjustment fee"} {
		if _, _, ok := pdfBalanceLabelAt(s); ok {
			t.Errorf("pdfBalanceLabelAt(%q) read a balance label", s)
		}
	}
}
