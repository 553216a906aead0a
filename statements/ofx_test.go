package statements_test

import (
	"github.com/ferry-rpa/ferry/internal/testenv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/statements"
	"golang.org/x/text/encoding/charmap"
)

func TestOFXCorpus(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(corpus, "ofx/ofxparse")
	files, _ := filepath.Glob(filepath.Join(dir, "*.ofx"))
	if len(files) == 0 {
		testenv.Missing(t, "corpus not found")
	}
	for _, f := range files {
		base := filepath.Base(f)
		data, _ := os.ReadFile(f)
		sts, err := statements.ParseOFX(base, data)
		switch base {
		case "signon_fail.ofx":
			if err == nil || ferry.ClassOf(err) != ferry.ClassCredentialsRejected {
				t.Errorf("%s: got %v, want the refused sign-on as credentials_rejected", base, err)
			}
			continue
		case "account_listing_aggregation.ofx", "bank_small.ofx", "signon_success.ofx", "signon_success_no_message.ofx", "error_message.ofx":
			if err == nil {
				t.Errorf("%s: a file without statements parsed as %d statements", base, len(sts))
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", base, err)
			continue
		}
		// Every STMTTRN of a bank or card statement, and every cash
		// transaction of an investment statement, is a line.
		want := strings.Count(string(data), "<STMTTRN>")
		got := 0
		for _, st := range sts {
			got += len(st.Lines)
			if st.Account == "" {
				t.Errorf("%s: statement without account", base)
			}
		}
		if got != want {
			t.Errorf("%s: got %d lines, want %d", base, got, want)
		}
	}
}

func TestOFXValues(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(corpus, "ofx/ofxparse/checking.ofx"))
	if err != nil {
		testenv.Missing(t, "corpus not found")
	}
	sts, err := statements.ParseOFX("checking.ofx", data)
	if err != nil {
		t.Fatal(err)
	}
	st := sts[0]
	l := st.Lines[0]
	// Values read off the file by hand (lines 37-53, 73).
	if st.Account != "1452687~7" || st.Currency != "USD" || l.Amount.String() != "0.01" || l.BookingDate.String() != "2011-03-31" ||
		l.TransactionID != "0000486" || l.Counterparty != "DIVIDEND EARNED FOR PERIOD OF 03" || !strings.HasPrefix(l.Description, "DIVIDEND EARNED FOR PERIOD OF 03/01/2011") {
		t.Fatalf("got account %q %s, first line %+v", st.Account, st.Currency, l)
	}
	if st.Closing.String() != "100.99" {
		t.Fatalf("ledger balance %s, want 100.99", st.Closing)
	}
}

func TestOFXBrokenFilesFailClearly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ file, want string }{
		{"date_missing.ofx", "no posting date"},
		{"decimal_error.ofx", `bad amount "$120"`},
	} {
		data, err := os.ReadFile(filepath.Join(corpus, "ofx/ofxparse/fail_nice", tc.file))
		if err != nil {
			testenv.Missing(t, "corpus not found")
		}
		_, err = statements.ParseOFX(tc.file, data)
		if err == nil || !strings.Contains(err.Error(), tc.file+": line ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error naming the file and line with %q", tc.file, err, tc.want)
		}
	}
}

// ofxparse's empty_balance.ofx has LEDGERBAL and AVAILBAL with blank
// amounts: its transaction is read, no balance is, and the statement says
// so (what ofxparse itself does when not failing fast).
func TestOFXEmptyBalanceIsNotZero(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(corpus, "ofx/ofxparse/fail_nice/empty_balance.ofx"))
	if err != nil {
		testenv.Missing(t, "corpus not found")
	}
	sts, err := statements.ParseOFX("empty_balance.ofx", data)
	if err != nil {
		t.Fatal(err)
	}
	st := sts[0]
	if len(st.Lines) != 1 || len(st.Balances) != 0 || !st.NoBalances || len(st.Warnings) != 2 {
		t.Errorf("got %d lines, balances %v, warnings %q; want 1 line, no balance and two warnings", len(st.Lines), st.Balances, st.Warnings)
	}
}

// ofxSGML wraps a statement response's inner aggregates in an OFX 1.02
// (SGML) file the way Brazilian and US banks' exports begin.
func ofxSGML(signon, stmtStatus, stmtrs string) string {
	return "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n" +
		"<OFX>\n<SIGNONMSGSRSV1>\n<SONRS>\n<STATUS>\n" + signon + "</STATUS>\n<DTSERVER>20240315120000[-03:EST]\n<LANGUAGE>POR\n</SONRS>\n</SIGNONMSGSRSV1>\n" +
		"<BANKMSGSRSV1>\n<STMTTRNRS>\n<TRNUID>1001\n<STATUS>\n" + stmtStatus + "</STATUS>\n<STMTRS>\n<CURDEF>BRL\n" +
		"<BANKACCTFROM>\n<BANKID>0237\n<BRANCHID>1234\n<ACCTID>56789\n<ACCTTYPE>CHECKING\n</BANKACCTFROM>\n" +
		"<BANKTRANLIST>\n<DTSTART>20240301100000[-03:EST]\n<DTEND>20240315100000[-03:EST]\n" +
		"<STMTTRN>\n<TRNTYPE>DEBIT\n<DTPOSTED>20240304100000[-03:EST]\n<TRNAMT>-150,00\n<FITID>0304001\n<CHECKNUM>0304001\n<MEMO>PAGTO ELETRON COBRANCA\n</STMTTRN>\n" +
		"<STMTTRN>\n<TRNTYPE>CREDIT\n<DTPOSTED>20240311100000[-03:EST]\n<TRNAMT>2300,50\n<FITID>0311001\n<CHECKNUM>0311001\n<MEMO>TED RECEBIDA\n</STMTTRN>\n" +
		"</BANKTRANLIST>\n" + stmtrs + "</STMTRS>\n</STMTTRNRS>\n</BANKMSGSRSV1>\n</OFX>\n"
}

// Brazilian banks (Bradesco, CEF, Banco do Brasil) send the ledger
// balance as a placeholder: 0,00 dated 00000000, or an empty amount. That
// is no balance, never a balance of zero; the transactions are read.
func TestOFXBalancePlaceholders(t *testing.T) {
	t.Parallel()
	ok := "<CODE>0\n<SEVERITY>INFO\n"
	for _, tc := range []struct {
		name, bal, warning string
		closing            string // "" when no balance may be read
	}{
		{"bradesco_zero_date.ofx", "<LEDGERBAL>\n<BALAMT>0,00\n<DTASOF>00000000\n</LEDGERBAL>\n", "placeholder", ""},
		{"empty_amount.ofx", "<LEDGERBAL>\n<BALAMT>\n<DTASOF>20240315100000[-03:EST]\n</LEDGERBAL>\n", "no amount", ""},
		{"stated.ofx", "<LEDGERBAL>\n<BALAMT>5120,75\n<DTASOF>20240315100000[-03:EST]\n</LEDGERBAL>\n", "", "5120.75"},
	} {
		sts, err := statements.ParseOFX(tc.name, []byte(ofxSGML(ok, ok, tc.bal)))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		st := sts[0]
		if len(st.Lines) != 2 || st.Lines[0].Amount.String() != "-150" || st.Lines[1].Amount.String() != "2300.5" {
			t.Errorf("%s: lines %+v, want -150 and 2300.5", tc.name, st.Lines)
		}
		warnings := strings.Join(st.Warnings, "; ")
		switch {
		case tc.closing == "" && (len(st.Balances) != 0 || !strings.Contains(warnings, tc.warning)):
			t.Errorf("%s: balances %v, warnings %q; want no balance and a warning saying %q", tc.name, st.Balances, warnings, tc.warning)
		case tc.closing != "" && (len(st.Balances) != 1 || st.Closing.String() != tc.closing || warnings != ""):
			t.Errorf("%s: balances %v closing %s, warnings %q; want the closing balance %s", tc.name, st.Balances, st.Closing, warnings, tc.closing)
		}
	}
}

// An OFX status is fatal only with SEVERITY ERROR, and its code decides
// what the runner does: a rejected password is never retried, a
// multi-factor challenge asks a person, the bank's general error ("try
// again later") is retried.
func TestOFXStatusClasses(t *testing.T) {
	t.Parallel()
	ok := "<CODE>0\n<SEVERITY>INFO\n"
	bal := "<LEDGERBAL>\n<BALAMT>100,00\n<DTASOF>20240315\n</LEDGERBAL>\n"
	for _, tc := range []struct {
		name, signon, stmt string
		class              ferry.FailureClass // "" when the file parses
		warning            string
	}{
		{"signon_invalid.ofx", "<CODE>15500\n<SEVERITY>ERROR\n<MESSAGE>Signon invalid\n", ok, ferry.ClassCredentialsRejected, ""},
		{"lockout.ofx", "<CODE>15502\n<SEVERITY>ERROR\n", ok, ferry.ClassCredentialsRejected, ""},
		{"mfa.ofx", "<CODE>3000\n<SEVERITY>ERROR\n<MESSAGE>MFA challenge authentication is required\n", ok, ferry.ClassInputNeeded, ""},
		{"general_error.ofx", "<CODE>2000\n<SEVERITY>ERROR\n<MESSAGE>We were unable to process your request. Please try again later.\n", ok, ferry.ClassSiteUnavailable, ""},
		{"stmt_general_error.ofx", ok, "<CODE>2000\n<SEVERITY>ERROR\n", ferry.ClassSiteUnavailable, ""},
		{"stmt_unknown_account.ofx", ok, "<CODE>2003\n<SEVERITY>ERROR\n<MESSAGE>Account not found\n", ferry.ClassDocumentChanged, ""},
		{"signon_info.ofx", "<CODE>1\n<SEVERITY>INFO\n<MESSAGE>Client is up-to-date\n", ok, "", "sign-on status is INFO 1"},
		{"stmt_warn.ofx", ok, "<CODE>2020\n<SEVERITY>WARN\n<MESSAGE>Requested date range is partly unavailable\n", "", "status for this statement is WARN 2020"},
	} {
		sts, err := statements.ParseOFX(tc.name, []byte(ofxSGML(tc.signon, tc.stmt, bal)))
		if tc.class != "" {
			if err == nil || ferry.ClassOf(err) != tc.class || !strings.Contains(err.Error(), tc.name+": line ") {
				t.Errorf("%s: got %v (class %s), want %s naming the line", tc.name, err, ferry.ClassOf(err), tc.class)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if w := strings.Join(sts[0].Warnings, "; "); len(sts[0].Lines) != 2 || !strings.Contains(w, tc.warning) {
			t.Errorf("%s: %d lines, warnings %q; want 2 lines and a warning saying %q", tc.name, len(sts[0].Lines), w, tc.warning)
		}
	}
}

// Trades in an investment statement are not bank transactions: left out,
// and counted in a warning so that an empty statement is not taken for a
// quiet month.
func TestOFXInvestmentTradesNamed(t *testing.T) {
	t.Parallel()
	inv := "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX>\n<SIGNONMSGSRSV1>\n<SONRS>\n<STATUS>\n<CODE>0\n<SEVERITY>INFO\n</STATUS>\n<DTSERVER>20240315\n<LANGUAGE>ENG\n</SONRS>\n</SIGNONMSGSRSV1>\n" +
		"<INVSTMTMSGSRSV1>\n<INVSTMTTRNRS>\n<TRNUID>1\n<STATUS>\n<CODE>0\n<SEVERITY>INFO\n</STATUS>\n<INVSTMTRS>\n<DTASOF>20240315\n<CURDEF>USD\n<INVACCTFROM>\n<BROKERID>broker.example\n<ACCTID>X1234\n</INVACCTFROM>\n" +
		"<INVTRANLIST>\n<DTSTART>20240301\n<DTEND>20240315\n" +
		"<BUYSTOCK>\n<INVBUY>\n<INVTRAN>\n<FITID>T1\n<DTTRADE>20240305\n</INVTRAN>\n<SECID>\n<UNIQUEID>037833100\n<UNIQUEIDTYPE>CUSIP\n</SECID>\n<UNITS>10\n<UNITPRICE>170.5\n<TOTAL>-1705\n<SUBACCTSEC>CASH\n<SUBACCTFUND>CASH\n</INVBUY>\n<BUYTYPE>BUY\n</BUYSTOCK>\n" +
		"<INVBANKTRAN>\n<STMTTRN>\n<TRNTYPE>CREDIT\n<DTPOSTED>20240302\n<TRNAMT>2000.00\n<FITID>B1\n<NAME>WIRE IN\n</STMTTRN>\n<SUBACCTFUND>CASH\n</INVBANKTRAN>\n" +
		"</INVTRANLIST>\n</INVSTMTRS>\n</INVSTMTTRNRS>\n</INVSTMTMSGSRSV1>\n</OFX>\n"
	sts, err := statements.ParseOFX("broker.ofx", []byte(inv))
	if err != nil {
		t.Fatal(err)
	}
	st := sts[0]
	if len(st.Lines) != 1 || st.Lines[0].Amount.String() != "2000" || !strings.Contains(strings.Join(st.Warnings, "; "), "1 investment transactions") {
		t.Errorf("got %d lines, warnings %q; want the one cash line and the trade named", len(st.Lines), st.Warnings)
	}
}

// OFX 1.x files are mostly Windows-1252 (CHARSET:1252), but French and
// Polish banks also write CHARSET:NONE or ISO-8859 text: the header's set
// is used where it names one, the text's letters decide where not, and
// the statement says which.
func TestOFXCharsets(t *testing.T) {
	t.Parallel()
	ok := "<CODE>0\n<SEVERITY>INFO\n"
	bal := "<LEDGERBAL>\n<BALAMT>100,00\n<DTASOF>20240315\n</LEDGERBAL>\n"
	for _, tc := range []struct {
		name, charset, memo, label string
		cm                         *charmap.Charmap
	}{
		{"fr.ofx", "CHARSET:1252", "PRLV SEPA SOCIÉTÉ GÉNÉRALE Échéance", "Windows-1252", charmap.Windows1252},
		{"latin9.ofx", "CHARSET:ISO-8859-15", "VIR RECU FRAIS 5€ CRÉDIT", "ISO-8859-15", charmap.ISO8859_15},
		{"pl.ofx", "CHARSET:NONE", "PRZELEW ŁÓDŹ ŚWIĘTOKRZYSKA SPÓŁKA", "Windows-1250", charmap.Windows1250},
	} {
		text := strings.Replace(strings.Replace(ofxSGML(ok, ok, bal), "CHARSET:1252", tc.charset, 1), "TED RECEBIDA", tc.memo, 1)
		data, err := tc.cm.NewEncoder().Bytes([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		sts, err := statements.ParseOFX(tc.name, data)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if d := sts[0].Lines[1].Description; d != tc.memo || !strings.Contains(strings.Join(sts[0].Notes, ";"), tc.label) {
			t.Errorf("%s: memo %q notes %q; want %q read as %s", tc.name, d, sts[0].Notes, tc.memo, tc.label)
		}
	}
}
