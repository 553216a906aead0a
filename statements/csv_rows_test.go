package statements_test

import (
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry/statements"
)

// Rows whose cells do not line up with the header's: N26 escapes quotes
// inside quoted cells with a backslash, which an RFC 4180 reading takes for
// the cell's end, so the rest of the row shifted and a fee became the
// amount. Hand-written imitations of each shape.
func TestRowsLineUpWithTheHeader(t *testing.T) {
	t.Parallel()
	const head = "Booking Date,Value Date,Partner Name,Partner Iban,Type,Payment Reference,Account Name,Amount (EUR),Original Amount,Original Currency,Exchange Rate\n"
	t.Run("backslash escapes", func(t *testing.T) {
		t.Parallel()
		csv := head +
			`2025-01-03,2025-01-03,"BAKERY ""OLD"" STYLE",,Presentment,"Bread","Main Account",-3.20,3.20,EUR,1` + "\n"
		// The same table written with backslashes: \" is a quote.
		bs := head +
			`2025-01-02,2025-01-02,"CAFE \"LUNA\"",,Presentment,"Coffee, two","Main Account",-4.50,4.50,EUR,1` + "\n" +
			`2025-01-03,2025-01-03,"BAKERY \"OLD\" STYLE",,Presentment,"Bread","Main Account",-3.20,3.20,EUR,1` + "\n" +
			`2025-01-04,2025-01-04,"PATH C:\\TEMP",,Credit Transfer,"Refund","Main Account",12.00,,,` + "\n"
		for _, tc := range []struct{ name, csv, amounts, cp string }{
			{"doubled.csv", csv, "-3.20", `BAKERY "OLD" STYLE`},
			{"backslash.csv", bs, "-4.50 -3.20 12.00", `CAFE "LUNA"|BAKERY "OLD" STYLE|PATH C:\TEMP`},
		} {
			sts, err := parseTable(t, tc.name, []byte(tc.csv), statements.Options{})
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var cps []string
			for _, l := range sts[0].Lines {
				cps = append(cps, l.Counterparty)
			}
			if got := amounts(sts[0]); got != tc.amounts || strings.Join(cps, "|") != tc.cp {
				t.Errorf("%s: got %s %q, want %s %q", tc.name, got, cps, tc.amounts, tc.cp)
			}
		}
	})
	t.Run("more cells than the header", func(t *testing.T) {
		t.Parallel()
		csv := "Date,Payee,Amount,Balance\n" +
			"2025-02-01,ACME,-10.00,90.00\n" +
			"2025-02-02,SMITH, JONES AND CO,-5.00,85.00\n" +
			"2025-02-03,SHOP,-1.00,84.00\n"
		_, err := parseTable(t, "shifted.csv", []byte(csv), statements.Options{})
		if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "5 cells where the header has 4") {
			t.Fatalf("got %v, want an error naming line 3 and its cell count", err)
		}
	})
	t.Run("a stray quote and fewer cells", func(t *testing.T) {
		t.Parallel()
		// One row escapes with a backslash: read that way, every row
		// has the header's cells, so the file is read that way.
		csv := "Date,Payee,Note,Amount\n" +
			"2025-02-01,\"ACME\",\"x\",-10.00\n" +
			"2025-02-01,\"ACME\",\"y\",-10.00\n" +
			"2025-02-02,\"Q \\\"P\\\"\",\"z\",-5.00\n"
		sts, err := parseTable(t, "one.csv", []byte(csv), statements.Options{})
		if err != nil || amounts(sts[0]) != "-10.00 -10.00 -5.00" || sts[0].Lines[2].Counterparty != `Q "P"` {
			t.Fatalf("got %v %v", sts, err)
		}
		// A quote inside a quoted cell that neither doubles nor
		// escapes it: where the cell ends is a guess, and the row is
		// one cell short. Refused, naming the row.
		short := "Date,Payee,Note,Amount,Balance\n" +
			"2025-02-01,ACME,x,-10.00,90.00\n" +
			"2025-02-02,\"Q \"P\"\" R\",-5.00,85.00\n" +
			"2025-02-03,SHOP,y,-1.00,84.00\n"
		_, err = parseTable(t, "short.csv", []byte(short), statements.Options{})
		if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "stray quote") {
			t.Fatalf("got %v, want an error naming line 3 and the stray quote", err)
		}
	})
	t.Run("trailing cells", func(t *testing.T) {
		t.Parallel()
		// A trailing delimiter, and rows that stop before the last,
		// empty columns (Swedbank): a safe reading.
		csv := "Date,Payee,Amount,Balance,Code,Originator,\n" +
			"2025-02-01,ACME,-10.00,90.00,\n" +
			"2025-02-02,SHOP,-5.00,85.00,K,,,\n"
		sts, err := parseTable(t, "trailing.csv", []byte(csv), statements.Options{})
		if err != nil || amounts(sts[0]) != "-10.00 -5.00" {
			t.Fatalf("got %v %v", sts, err)
		}
	})
}

// Placeholders fill empty text cells in Chinese exports ("/" in WeChat's
// and Meituan's, "----------" in Bank of China's); they are no text. A
// counterparty's name header that holds a code word (对方账户名: "the
// other account's name") is the name, not the account.
func TestTextPlaceholdersAndNameHeaders(t *testing.T) {
	t.Parallel()
	csv := "记账日期,金额,余额,附言,对方账户名,对方卡号/账号\n" +
		"2025-08-01,\"1,000.00\",\"2,000.00\",转账,张三,6226******5669\n" +
		"2025-08-02,-71.89,\"1,928.11\",----------,李四,-------------------\n" +
		"2025-08-03,-8.00,\"1,920.11\",/,/,/\n"
	sts, err := parseTable(t, "boc.csv", []byte(csv), statements.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range sts[0].Lines {
		got = append(got, l.Counterparty+"|"+l.Description)
	}
	if want := "张三|转账 李四| |"; strings.Join(got, " ") != want {
		t.Fatalf("got %q, want %q", strings.Join(got, " "), want)
	}
}

// Card exports whose header says nothing of a card: the sign is in each
// row's transaction type (消费 a charge; 退货, 退款, 还款 a credit).
// Hand-written imitations of 广发's (charges positive, credits negative),
// 交通银行's (every amount unsigned) and BMO's (unsigned, no types).
func TestTransactionTypesGiveTheSigns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, csv, amounts, err string
	}{
		{"flipped.csv", "交易日期,交易摘要,交易金额\n" +
			"2025/03/01,（消费）某超市,25.80\n" +
			"2025/03/02,（退款）某网店,-12.00\n" +
			"2025/03/03,（还款）银联入账,-500.00\n" +
			"2025/03/04,某咖啡馆,9.00\n", "-25.80 12.00 500.00 -9.00", ""},
		{"unsigned.csv", "交易日期,交易说明,金额\n" +
			"2025-03-01,退货 某网店,CNY 12.00\n" +
			"2025-03-02,信用卡还款 转账还款,CNY 500.00\n" +
			"2025-03-03,消费 某超市,CNY 25.80\n" +
			"2025-03-04,消费撤销 某超市,CNY 25.80\n", "12.00 500.00 -25.80 25.80", ""},
		{"agree.csv", "Date,Description,Amount\n" +
			"2025-03-01,PURCHASE GROCER,-25.80\n" +
			"2025-03-02,REFUND WEBSHOP,12.00\n" +
			"2025-03-03,CAFE,-9.00\n", "-25.80 12.00 -9.00", ""},
		{"untyped.csv", "交易日期,交易说明,金额\n" +
			"2025-03-01,消费 某超市,25.80\n" +
			"2025-03-02,某网店,12.00\n", "", "line 3: no transaction type"},
		{"contradict.csv", "交易日期,交易说明,金额\n" +
			"2025-03-01,消费 某超市,-25.80\n" +
			"2025-03-02,消费 某网店,12.00\n", "", "contradict each other by the transaction types"},
		// A merchant's refunds paid out are negative: no charge shows a
		// card's convention, so nothing is negated.
		{"merchant.csv", "Date,Type,Amount\n" +
			"2025-03-01,Express Checkout Payment,45.90\n" +
			"2025-03-02,Payment Refund,-45.90\n" +
			"2025-03-03,Express Checkout Payment,116.17\n", "45.90 -45.90 116.17", ""},
		{"bmo_like.csv", "Item #,Card #,Transaction Date,Posting Date,Transaction Amount,Description\n" +
			"1,'5191000000000001',20250511,20250512,3.27,GROCER SURREY BC\n" +
			"2,'5191000000000001',20250512,20250515,6.0,MARKET SURREY BC\n", "", "every amount in column 5 \"Transaction Amount\" is positive"},
	}
	for _, tc := range tests {
		sts, err := parseTable(t, tc.name, []byte(tc.csv), statements.Options{})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: got %v, want an error with %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := amounts(sts[0]); got != tc.amounts {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.amounts)
		}
	}
}

// A sign column of bilingual marks (交通银行's 借贷: "借 Dr", "贷 Cr").
func TestBilingualSignMarks(t *testing.T) {
	t.Parallel()
	csv := "交易日期,借贷,交易金额,余额\n" +
		"2025-03-01,贷 Cr,100.00,1100.00\n" +
		"2025-03-02,借 Dr,3.21,1096.79\n" +
		"2025-03-03,借 Dr,10.00,1086.79\n"
	sts, err := parseTable(t, "bocom.csv", []byte(csv), statements.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := amounts(sts[0]); got != "100.00 -3.21 -10.00" {
		t.Fatalf("got %s", got)
	}
}

// Whose name a party column holds. bunq: one merchant on most rows of a
// small file is still the counterparty. KBC: a bare "Naam" holding the
// same name on every row, beside "Naam tegenpartij", is the holder's.
func TestHolderNameColumns(t *testing.T) {
	t.Parallel()
	bunq := `"Date","Amount","Account","Counterparty","Name","Description"` + "\n" +
		`"2025-01-06","-8,78","NL26BUNQ2025126409","","HOSTING CO","HOSTING CO card 9.95 USD"` + "\n" +
		`"2025-01-07","8,78","NL26BUNQ2025126409","","HOSTING CO","Refund: HOSTING CO"` + "\n" +
		`"2025-01-08","-7,07","NL26BUNQ2025126409","","HOSTING CO","HOSTING CO card 8.03 USD"` + "\n" +
		`"2025-01-17","-7,99","NL26BUNQ2025126409","","STREAMING","STREAMING NL"` + "\n"
	kbc := "Rekeningnummer;Naam;Munt;Datum;Omschrijving;Bedrag;Saldo;Naam tegenpartij\n" +
		"BE11123456789012;JANSEN PIET;EUR;01/02/2025;BIJDRAGE;-3,40;219,95;\n" +
		"BE11123456789012;JANSEN PIET;EUR;13/02/2025;OVERSCHRIJVING;100,00;319,95;DE VRIES ANNA\n"
	for _, tc := range []struct{ name, csv, want string }{
		{"bunq.csv", bunq, "HOSTING CO|HOSTING CO|HOSTING CO|STREAMING"},
		{"kbc.csv", kbc, "|DE VRIES ANNA"},
	} {
		sts, err := parseTable(t, tc.name, []byte(tc.csv), statements.Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var got []string
		for _, l := range sts[0].Lines {
			got = append(got, l.Counterparty)
		}
		if strings.Join(got, "|") != tc.want {
			t.Errorf("%s: counterparties %q, want %q", tc.name, strings.Join(got, "|"), tc.want)
		}
	}
}

// Headers of card exports and apps: KBC's Handelaar (the merchant) and
// toelichting, DKB's card export's Transaktionsbeschreibung and
// Buchungswährung beside Originalwährung, Outbank's Reason.
func TestMoreHeaderWords(t *testing.T) {
	t.Parallel()
	csv := "Belegdatum;Buchungsdatum;Originalbetrag;Originalwährung;Buchungsbetrag;Buchungswährung;Transaktionsbeschreibung;Handelaar\n" +
		"20.02.25;20.02.25;-5,00;USD;-4,60;EUR;COFFEE SHOP 0800;COFFEE SHOP\n" +
		"21.02.25;22.02.25;-10,00;USD;-9,20;EUR;BOOKS 0800;BOOK STORE\n"
	sts, err := parseTable(t, "umsatz.csv", []byte(csv), statements.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := sts[0]
	l := st.Lines[0]
	if amounts(st) != "-4.60 -9.20" || st.Currency != "EUR" || l.Currency != "EUR" || l.Description != "COFFEE SHOP 0800" || l.Counterparty != "COFFEE SHOP" {
		t.Fatalf("got %s %s %+v", amounts(st), st.Currency, l)
	}
}

// Singapore banks write the merchant on a row of its own under each
// transaction, with no date and no amount, and name the account beside
// "Account details for:" above the table.
func TestContinuationRows(t *testing.T) {
	t.Parallel()
	csv := "Account details for:,LEE Account 123-456789-001\n" +
		"Available Balance,\"1,000.00\"\n\n" +
		"Transaction History\n" +
		"Transaction date,Value date,Description,Withdrawals (SGD),Deposits (SGD)\n" +
		"18/04/2025,18/04/2025,DEBIT PURCHASE,6.50,\n" +
		",,15/04/25  12-3456 NOODLE HOUSE SINGAPORE\n" +
		"17/04/2025,17/04/2025,SALARY,,2500.00\n" +
		"16/04/2025,16/04/2025,CCY CONVERSION FEE,0.10,\n" +
		",,FOR: 6.50 SGD\n" +
		",,second line\n"
	sts, err := parseTable(t, "TransactionHistory.csv", []byte(csv), statements.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := sts[0]
	var got []string
	for _, l := range st.Lines {
		got = append(got, l.Description)
	}
	want := "DEBIT PURCHASE 15/04/25 12-3456 NOODLE HOUSE SINGAPORE|SALARY|CCY CONVERSION FEE FOR: 6.50 SGD second line"
	if strings.Join(got, "|") != want || amounts(st) != "-6.50 2500.00 -0.10" || st.Account != "123-456789-001" || st.Currency != "SGD" {
		t.Fatalf("got %q %s %q %s", strings.Join(got, "|"), amounts(st), st.Account, st.Currency)
	}
}

// ¥ and 元 are yuan under Chinese headers: 美团's "¥21.17", Alipay's
// "16.54元" in the block above the table.
func TestYuanSymbols(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, csv string }{
		{"mt.csv", "交易成功时间,订单标题,收/支,实付金额\n2025-02-28 20:35:25,喜茶,支出,¥21.17\n2025-02-27 07:04:18,退款,收入,¥20.00\n"},
		{"alipay.csv", "支出：2笔 16.54元\n\n交易时间,商品说明,收/支,金额\n2023-07-10 10:00:00,日用百货,支出,9.90\n2023-07-10 11:00:00,日用百货,支出,6.64\n"},
	} {
		sts, err := parseTable(t, tc.name, []byte(tc.csv), statements.Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if sts[0].Currency != "CNY" || sts[0].Lines[0].Currency != "CNY" {
			t.Errorf("%s: currency %q", tc.name, sts[0].Currency)
		}
	}
	// In a file with English headers ¥ names no currency.
	sts, err := parseTable(t, "jp.csv", []byte("Date,Description,Amount\n2025-02-28,Shop,-¥2100\n2025-02-27,Refund,¥500\n"), statements.Options{})
	if err != nil || sts[0].Currency != "" {
		t.Fatalf("got %v %v", sts, err)
	}
}

// Lines in several currencies without a balance column (HSBC Hong Kong's
// card export): one statement per currency, never one without a currency.
func TestCurrenciesSplitWithoutBalances(t *testing.T) {
	t.Parallel()
	csv := "Transaction date,Description,Billing amount,Billing currency\n" +
		"09/04/2025,QR NOODLES,-18.00,CNY\n" +
		"08/04/2025,SALES BURGER (HKD),-27.90,HKD\n" +
		"24/03/2025,PAYMENT - THANK YOU,500.00,CNY\n"
	sts, err := parseTable(t, "hsbc.csv", []byte(csv), statements.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sts) != 2 || sts[0].Currency != "CNY" || amounts(sts[0]) != "-18.00 500.00" || sts[1].Currency != "HKD" || amounts(sts[1]) != "-27.90" {
		t.Fatalf("got %d statements: %+v", len(sts), sts)
	}
}

// A row between transactions with neither a date nor an amount (one
// bank2ynab slipped into a Raiffeisen export) is skipped with a warning
// naming it; a footer after the last transaction is not.
func TestGarbledRowBetweenTransactions(t *testing.T) {
	t.Parallel()
	csv := "18.09.2025;\"SHOP ONE 0527 K2 18.09. 17:20\";18.09.2025;-33,87;EUR;;\n" +
		"A note in the middle;;\n" +
		"17.09.2025;\"POS 23,55 AT K1 16.09. 11:32 SHOP TWO\";16.09.2025;-23,55;EUR;;\n" +
		"15.09.2025;\"SALARY SEPTEMBER\";15.09.2025;2100,00;EUR;;\n" +
		"14.09.2025;\"SHOP THREE 0391 K2 14.09. 17:10\";13.09.2025;-24,11;EUR;;\n" +
		"Footer line;;\n"
	sts, err := parseTable(t, "raiffeisen.csv", []byte(csv), statements.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(sts[0].Warnings, "\n")
	if amounts(sts[0]) != "-33.87 -23.55 2100.00 -24.11" || !strings.Contains(w, "1 rows left out: no date and no amount between transaction rows (a garbled row?) (line 2)") {
		t.Fatalf("got %s, warnings %q", amounts(sts[0]), w)
	}
}
