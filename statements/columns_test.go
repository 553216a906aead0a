package statements

import (
	"testing"
)

// Amounts as banks print them, with the file's decimal mark (0: not
// known, so the amount must prove its own).
func TestParseAmountVariants(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		dec  byte
		want string
		cur  string
	}{
		{"1,234.56", '.', "1234.56", ""},
		{"1.234,56", ',', "1234.56", ""},
		{"-1.234,56", ',', "-1234.56", ""},
		{"1 234,56", ',', "1234.56", ""},
		{"1\u00a0234,56", ',', "1234.56", ""},
		{"1\u202f234,56", ',', "1234.56", ""},
		{"1'234.56", '.', "1234.56", ""},
		{"1’234.56", '.', "1234.56", ""},
		{"12,50-", ',', "-12.50", ""},
		{"+12,50", ',', "12.50", ""},
		{"(12.50)", '.', "-12.50", ""},
		{"12.50 CR", '.', "12.50", ""},
		{"12.50 DR", '.', "-12.50", ""},
		{"12.50DR", '.', "-12.50", ""},
		{"€ 12,50", ',', "12.50", "EUR"},
		{"-€12.50", '.', "-12.50", "EUR"},
		{"12,50 EUR", ',', "12.50", "EUR"},
		{"-18,47 PLN", ',', "-18.47", "PLN"},
		{"EUR -5,00", ',', "-5.00", "EUR"},
		{"1 250 Ft", 0, "1250", "HUF"},
		{"£1,000.00", '.', "1000.00", "GBP"},
		{"$1,000.00", '.', "1000.00", ""},
		{"¥1,000.00", '.', "1000.00", ""},
		{"−7.00", '.', "-7.00", ""},
		{"0.125", 0, "0.125", ""},
		{"12,5", 0, "12.5", ""},
		{"1.234.567", 0, "1234567", ""},
		{"1.234.567,89", 0, "1234567.89", ""},
		{"1234.567", 0, "1234.567", ""},
		{"100", 0, "100", ""},
	}
	for _, tc := range tests {
		d, m, err := parseAmount(tc.in, tc.dec)
		if err != nil || d.String() != mustDec(tc.want) || m.currency != tc.cur {
			t.Errorf("parseAmount(%q, %q) = %s %q %v; want %s %q", tc.in, tc.dec, d, m.currency, err, tc.want, tc.cur)
		}
	}
	for _, tc := range []struct {
		in  string
		dec byte
	}{
		{"1,234", 0}, {"1.234", 0}, {"1,23.00", '.'}, {"12a", '.'}, {"1.2.3", '.'}, {"--", '.'}, {"", '.'},
		{"1.234,56", '.'}, {"1,234.56", ','}, {"-12,50-", ','}, {"12,,50", ','}, {"1 23,00", ','}, {"(12", '.'},
		{"12.50 EURO", '.'},
	} {
		if d, _, err := parseAmount(tc.in, tc.dec); err == nil {
			t.Errorf("parseAmount(%q, %q) = %s, want an error", tc.in, tc.dec, d)
		}
	}
}

func mustDec(s string) string {
	// decimal.String drops trailing zeros.
	for len(s) > 0 && (s[len(s)-1] == '0' && contains(s, '.')) {
		s = s[:len(s)-1]
	}
	if len(s) > 0 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

func contains(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// Dates in every style, with the column's order.
func TestParseDateVariants(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		order dateOrder
		want  string
	}{
		{"31.01.2024", orderDMY, "2024-01-31"},
		{"01/31/2024", orderMDY, "2024-01-31"},
		{"2024-01-31", orderDMY, "2024-01-31"},
		{"20240131", orderDMY, "2024-01-31"},
		{"31-01-24", orderDMY, "2024-01-31"},
		{"02.01.23", orderDMY, "2023-01-02"},
		{"31 Jan 2024", orderUnknown, "2024-01-31"},
		{"Jan 31, 2024", orderUnknown, "2024-01-31"},
		{"31-Jan-24", orderUnknown, "2024-01-31"},
		{"31.Okt.2024", orderUnknown, "2024-10-31"},
		{"1 février 2024", orderUnknown, "2024-02-01"},
		{"3 maggio 2024", orderUnknown, "2024-05-03"},
		{"3 de mayo de 2024", orderUnknown, ""},
		{"2024. május 3.", orderUnknown, "2024-05-03"},
		{"31 stycznia 2024", orderUnknown, "2024-01-31"},
		{"2024. 01. 31.", orderUnknown, "2024-01-31"},
		{"2024年1月31日", orderUnknown, "2024-01-31"},
		{"2024-01-31 10:11:12", orderUnknown, "2024-01-31"},
		{"2024-01-31T10:11:12Z", orderUnknown, "2024-01-31"},
		{"31.01.2024 10:11:12:123", orderDMY, "2024-01-31"},
		{"01/31/2024 9:05 PM", orderMDY, "2024-01-31"},
	}
	for _, tc := range tests {
		d, err := dateFormat{order: tc.order}.parse(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("parse(%q) = %s, want an error", tc.in, d)
			}
			continue
		}
		if err != nil || d.String() != tc.want {
			t.Errorf("parse(%q, %s) = %s %v, want %s", tc.in, tc.order, d, err, tc.want)
		}
	}
	for _, bad := range []string{"31.02.2024", "32.01.2024", "13/13/2024", "12.50", "1.234,56", "hello", "2024-13-01", "12:30"} {
		if d, err := (dateFormat{order: orderDMY}).parse(bad); err == nil {
			t.Errorf("parse(%q) = %s, want an error", bad, d)
		}
	}
}

// The order is decided over the whole column.
func TestDateOrderEvidence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cells []string
		hint  dateOrder
		want  dateOrder
		err   bool
	}{
		{[]string{"01/02/2024", "13/02/2024"}, orderUnknown, orderDMY, false},
		{[]string{"01/02/2024", "02/13/2024"}, orderUnknown, orderMDY, false},
		{[]string{"01/02/2024", "02/03/2024"}, orderUnknown, orderUnknown, true},
		{[]string{"01/02/2024", "02/03/2024"}, orderDMY, orderDMY, false},
		{[]string{"01.02.2024", "02.03.2024"}, orderUnknown, orderDMY, false},
		{[]string{"2024-01-02", "2024-01-03"}, orderUnknown, orderYMD, false},
		{[]string{"13/01/2024", "01/13/2024"}, orderUnknown, orderUnknown, true},
	}
	for _, tc := range tests {
		var e dateEvidence
		for _, c := range tc.cells {
			e.add(c, "here")
		}
		got, _, err := e.decide(tc.hint, "hint")
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("%v hint %s: got %s %v, want %s (error %v)", tc.cells, tc.hint, got, err, tc.want, tc.err)
		}
	}
}

// Header texts in every language find their role.
func TestHeaderVocabulary(t *testing.T) {
	t.Parallel()
	v := buildVocab()
	tests := map[string]role{
		"Buchungstag": roleBooking, "Valutadatum": roleValue, "Wertstellung": roleValue, "Betrag (EUR)": roleAmount,
		"Waehrung": roleCurrency, "Währung": roleCurrency, "Af Bij": roleSign, "Soll/Haben": roleSign,
		"Naam / Omschrijving": roleCounterparty, "Tegenrekening": roleCounterpartyAccount, "Saldo na trn": roleBalance,
		"Date opération": roleBooking, "Libellé": roleDescription, "Débit": roleDebit, "Crédit": roleCredit,
		"Data contabile": roleBooking, "Data valuta": roleValue, "Addebiti": roleDebit, "Accrediti": roleCredit,
		"Fecha": roleBooking, "F.Valor": roleValue, "Concepto": roleDescription, "Importe": roleAmount,
		"Könyvelés dátuma": roleBooking, "Összeg": roleAmount, "Közlemény": roleDescription, "T/J": roleSign,
		"Data operacji": roleBooking, "Kwota": roleAmount, "Saldo po operacji": roleBalance, "#Opis operacji": roleDescription,
		"交易日期": roleBooking, "借方发生额": roleDebit, "贷方发生额": roleCredit, "交易流水号": roleTransactionID,
		"对方户名": roleCounterparty, "对方账号": roleCounterpartyAccount, "借贷标志": roleSign, "余额": roleBalance,
		"Transaction ID": roleTransactionID, "Posting Date": roleBooking, "Paid out": roleDebit, "Paid in": roleCredit,
		"Debit/Credit": roleSign, "Running Balance": roleBalance, "Oorspr bedrag": roleIgnore,
	}
	for h, want := range tests {
		if got := v.headerRoles(h); len(got) == 0 || got[0] != want {
			t.Errorf("%q: roles %v, want %s first", h, got, want)
		}
	}
	// Dutch/Italian "Valuta" is a currency or a value date: both stay
	// candidates for the cells to decide.
	got := v.headerRoles("Valuta")
	hasCur, hasVal := false, false
	for _, r := range got {
		hasCur = hasCur || r == roleCurrency
		hasVal = hasVal || r == roleValue
	}
	if !hasCur || !hasVal {
		t.Errorf("Valuta: %v", got)
	}
}
