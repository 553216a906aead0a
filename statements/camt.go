package statements

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
)

// balanceTypes names ISO 20022 balance codes.
var balanceTypes = map[string]string{
	"OPBD": "opening", "CLBD": "closing", "OPAV": "opening_available", "CLAV": "closing_available",
	"ITBD": "interim", "ITAV": "interim_available", "FWAV": "forward_available", "PRCD": "opening",
	"XPCD": "expected", "INFO": "information",
}

// camtRecordNames are the statement-level elements of camt.052, .053 and
// .054, by message.
var camtRecordNames = map[string]string{
	"BkToCstmrAcctRpt":      "Rpt",
	"BkToCstmrStmt":         "Stmt",
	"BkToCstmrDbtCdtNtfctn": "Ntfctn",
}

// camtEntries collects each record's entries as the reader meets them.
type camtEntries struct {
	file    string
	lines   map[*node][]ferry.StatementLine
	pending map[*node]int
}

// ParseCAMT reads an ISO 20022 cash-management message: camt.052 (account
// report), camt.053 (statement) or camt.054 (debit/credit notification),
// versions 1 to 8. Each Rpt, Stmt or Ntfctn becomes a statement. Entries
// are turned into lines as they are read and their XML is dropped, so the
// parse is linear and holds one entry's tree at a time.
func ParseCAMT(name string, data []byte) ([]ferry.Statement, error) {
	return ParseCAMTContext(context.Background(), name, data)
}

// ParseCAMTContext is ParseCAMT that stops with an error when ctx is done.
func ParseCAMTContext(ctx context.Context, name string, data []byte) ([]ferry.Statement, error) {
	ce := &camtEntries{file: name, lines: map[*node][]ferry.StatementLine{}, pending: map[*node]int{}}
	root, err := parseXMLStream(ctx, data, func(n, parent *node) (bool, error) {
		if n.name != "Ntry" {
			return false, nil
		}
		switch parent.name {
		case "Rpt", "Stmt", "Ntfctn":
		default:
			return false, nil
		}
		l, booked, err := camtEntry(name, parent, n)
		if err != nil {
			return false, err
		}
		if booked {
			ce.lines[parent] = append(ce.lines[parent], l)
		} else {
			ce.pending[parent]++
		}
		return true, nil
	})
	if err != nil {
		var fe *ferry.Error
		if errors.As(err, &fe) {
			return nil, err
		}
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "not well-formed XML: %v", err)
	}
	doc := root.child("Document")
	if doc == nil || len(doc.children) == 0 {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "no ISO 20022 Document element")
	}
	msg := doc.children[0]
	// Version 1 messages carry their version in the element name.
	msgName := msg.name
	if i := strings.LastIndex(msgName, "V0"); i > 0 {
		msgName = msgName[:i]
	}
	recName, ok := camtRecordNames[msgName]
	if !ok {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "unsupported ISO 20022 message %s (want camt.052, camt.053 or camt.054)", msg.name)
	}
	recs := msg.all(recName)
	if len(recs) == 0 {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "%s holds no %s", msg.name, recName)
	}
	var out []ferry.Statement
	for _, rec := range recs {
		st, err := camtRecord(name, rec, ce.lines[rec])
		if err != nil {
			return nil, err
		}
		if n := ce.pending[rec]; n > 0 {
			st.Warnings = append(st.Warnings, fmt.Sprintf("%d entries not booked (status pending or information only) are left out", n))
		}
		out = append(out, st)
	}
	dropRepeatedIDs(out)
	return out, nil
}

// camtAccount reads an account id: IBAN, another scheme's id, or the
// version 1 forms (proprietary, BBAN, UPIC).
func camtAccount(acct *node) string {
	for _, path := range [][]string{{"Id", "IBAN"}, {"Id", "Othr", "Id"}, {"Id", "PrtryAcct", "Id"}, {"Id", "BBAN"}, {"Id", "UPIC"}} {
		if id := acct.str(path...); id != "" {
			return id
		}
	}
	return ""
}

// camtDateText reads an ISO 8601 date or date-time as the bank wrote it:
// "2017-04-01", "2017-04-01+02:00", "2017-04-01Z",
// "2017-04-01T10:00:00+02:00", "2017-04-01T10:00:00.000000000". The
// calendar date is the one written, in the file's own offset: a booking
// date is never moved to another zone's day.
func camtDateText(s string) (ferry.Date, error) {
	s = strings.TrimSpace(s)
	if len(s) < 10 {
		return ferry.Date{}, fmt.Errorf("bad date %q", s)
	}
	d, err := time.Parse("2006-01-02", s[:10])
	if err != nil {
		return ferry.Date{}, fmt.Errorf("bad date %q", s)
	}
	rest := s[10:]
	if strings.HasPrefix(rest, "T") {
		// hh:mm[:ss[.fraction]]
		t := rest[1:]
		i := 0
		for i < len(t) && (isDigit(t[i]) || t[i] == ':' || t[i] == '.') {
			i++
		}
		clock := t[:i]
		ok := false
		for _, layout := range []string{"15:04", "15:04:05", "15:04:05.999999999"} {
			if _, err := time.Parse(layout, clock); err == nil {
				ok = true
				break
			}
		}
		if !ok {
			return ferry.Date{}, fmt.Errorf("bad date-time %q", s)
		}
		rest = t[i:]
	}
	if !validZone(rest) {
		return ferry.Date{}, fmt.Errorf("bad date %q: %q is not a time-zone offset", s, rest)
	}
	return ferry.DateOf(d), nil
}

// validZone accepts "", "Z", "+hh:mm", "-hh:mm" and "+hhmm".
func validZone(z string) bool {
	switch {
	case z == "" || z == "Z":
		return true
	case len(z) == 6 && (z[0] == '+' || z[0] == '-') && z[3] == ':':
		return allDigits(z[1:3]) && allDigits(z[4:]) && z[1:3] <= "14" && z[4:] < "60"
	case len(z) == 5 && (z[0] == '+' || z[0] == '-'):
		return allDigits(z[1:]) && z[1:3] <= "14" && z[3:] < "60"
	}
	return false
}

// camtDate reads a Dt or DtTm choice (or a bare date in the element).
func camtDate(n *node) (ferry.Date, error) {
	if n == nil {
		return ferry.Date{}, nil
	}
	if s := n.str("Dt"); s != "" {
		return camtDateText(s)
	}
	if s := n.str("DtTm"); s != "" {
		return camtDateText(s)
	}
	if s := n.str("Dt", "DtTm"); s != "" {
		return camtDateText(s)
	}
	if s := strings.TrimSpace(n.text); s != "" {
		return camtDateText(s)
	}
	return ferry.Date{}, nil
}

// camtDecimal reads an ISO 20022 amount: digits with an optional decimal
// point, never negative (the sign is in CdtDbtInd), never an exponent.
func camtDecimal(s string) (decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	dots := 0
	for i := 0; i < len(s); i++ {
		switch {
		case isDigit(s[i]):
		case s[i] == '.':
			dots++
		default:
			return decimal.Zero, fmt.Errorf("bad amount %q", s)
		}
	}
	if s == "" || dots > 1 || s[0] == '.' || len(s) > 40 {
		return decimal.Zero, fmt.Errorf("bad amount %q", s)
	}
	return decimal.NewFromString(s)
}

func camtAmount(n *node, ind string) (decimal.Decimal, string, error) {
	if n == nil {
		return decimal.Zero, "", fmt.Errorf("no amount")
	}
	d, err := camtDecimal(n.text)
	if err != nil {
		return d, "", err
	}
	ccy := n.attr("Ccy")
	if ccy == "" {
		return d, "", fmt.Errorf("amount %s has no currency (Ccy)", d)
	}
	switch ind {
	case "DBIT":
		d = d.Neg()
	case "CRDT":
	case "":
		// The sign is never guessed; zero has none to guess.
		if !d.IsZero() {
			return d, "", fmt.Errorf("amount %s %s has no credit/debit indicator (CdtDbtInd)", d, ccy)
		}
	default:
		return d, "", fmt.Errorf("bad credit/debit indicator %q", ind)
	}
	return d, ccy, nil
}

// camtPlaceholder reports the fillers SEPA writes where there is no
// reference ("NOTPROVIDED" end-to-end ids, "NONREF").
func camtPlaceholder(s string) bool {
	return placeholderRef(s)
}

// camtEntry turns one Ntry into a statement line. booked is false for
// entries that are not booked (pending, information only).
func camtEntry(file string, rec, e *node) (ferry.StatementLine, bool, error) {
	where := fmt.Sprintf("%s: line %d", file, e.line)
	ind := e.str("CdtDbtInd")
	amt, ccy, err := camtAmount(e.child("Amt"), ind)
	if err != nil {
		return ferry.StatementLine{}, false, ferry.Errorf(ferry.ClassDocumentChanged, where, "entry: %v", err)
	}
	status := e.str("Sts")
	if status == "" {
		status = e.str("Sts", "Cd")
	}
	l := ferry.StatementLine{Account: camtAccount(rec.child("Acct")), Amount: amt, Currency: ccy}
	if l.BookingDate, err = camtDate(e.child("BookgDt")); err != nil {
		return l, false, ferry.Errorf(ferry.ClassDocumentChanged, where, "booking date: %v", err)
	}
	if l.ValueDate, err = camtDate(e.child("ValDt")); err != nil {
		return l, false, ferry.Errorf(ferry.ClassDocumentChanged, where, "value date: %v", err)
	}
	if l.BookingDate.IsZero() {
		l.BookingDate = l.ValueDate
	}
	if l.ValueDate.IsZero() {
		l.ValueDate = l.BookingDate
	}
	l.TransactionID = e.str("AcctSvcrRef")
	txs := e.child("NtryDtls").all("TxDtls")
	if len(txs) == 1 {
		// The entry's only transaction speaks for it; in a batch each
		// transaction names one part, not the booking.
		tx := txs[0]
		if l.TransactionID == "" {
			l.TransactionID = tx.str("Refs", "AcctSvcrRef")
		}
		for _, ref := range []string{tx.str("Refs", "EndToEndId"), tx.str("Refs", "InstrId"), tx.str("Refs", "TxId")} {
			if !camtPlaceholder(ref) {
				l.Reference = ref
				break
			}
		}
		// The counterparty is the debtor of a credit, the creditor of a debit.
		party := "Dbtr"
		if ind == "DBIT" {
			party = "Cdtr"
		}
		if l.Counterparty = tx.str("RltdPties", party, "Nm"); l.Counterparty == "" {
			l.Counterparty = tx.str("RltdPties", party, "Pty", "Nm")
		}
		// The remittance text first, as MT940 readers take ?20–?29: the
		// same payment reads the same from either format.
		var parts []string
		for _, u := range tx.child("RmtInf").all("Ustrd") {
			parts = append(parts, strings.TrimSpace(u.text))
		}
		l.Description = strings.Join(parts, " ")
		if l.Description == "" {
			l.Description = tx.str("AddtlTxInf")
		}
	}
	if camtPlaceholder(l.TransactionID) {
		l.TransactionID = ""
	}
	if l.Description == "" {
		l.Description = e.str("AddtlNtryInf")
	}
	if ref := e.str("NtryRef"); l.Reference == "" && !camtPlaceholder(ref) {
		l.Reference = ref
	}
	booked := status == "" || status == "BOOK"
	return l, booked, nil
}

func camtRecord(file string, rec *node, lines []ferry.StatementLine) (ferry.Statement, error) {
	where := func(n *node) string { return fmt.Sprintf("%s: line %d", file, n.line) }
	st := ferry.Statement{ID: rec.str("Id"), Account: camtAccount(rec.child("Acct")), Currency: rec.str("Acct", "Ccy"), Name: rec.str("Acct", "Nm"), Lines: lines}
	if fr := rec.child("FrToDt"); fr != nil {
		var err error
		if s := fr.str("FrDtTm"); s != "" {
			if st.From, err = camtDateText(s); err != nil {
				return st, ferry.Errorf(ferry.ClassDocumentChanged, where(fr), "period start: %v", err)
			}
		}
		if s := fr.str("ToDtTm"); s != "" {
			if st.To, err = camtDateText(s); err != nil {
				return st, ferry.Errorf(ferry.ClassDocumentChanged, where(fr), "period end: %v", err)
			}
		}
	}
	var hasOpen, hasClose bool
	for _, b := range rec.all("Bal") {
		code := b.str("Tp", "CdOrPrtry", "Cd")
		if code == "" {
			code = b.str("Tp", "CdOrPrtry", "Prtry")
		}
		amt, ccy, err := camtAmount(b.child("Amt"), b.str("CdtDbtInd"))
		if err != nil {
			return st, ferry.Errorf(ferry.ClassDocumentChanged, where(b), "balance %s: %v", code, err)
		}
		date, err := camtDate(b.child("Dt"))
		if err != nil {
			return st, ferry.Errorf(ferry.ClassDocumentChanged, where(b), "balance %s: %v", code, err)
		}
		typ := balanceTypes[code]
		if code == "XPCD" {
			typ = "expected_credit"
			if amt.IsNegative() {
				typ = "expected_debit"
			}
		}
		if typ == "" {
			typ = strings.ToLower(code)
		}
		st.Balances = append(st.Balances, ferry.Balance{Type: typ, Amount: amt, Currency: ccy, Date: date})
		switch code {
		case "OPBD", "PRCD":
			if !hasOpen {
				st.Opening, hasOpen = amt, true
				if st.From.IsZero() {
					st.From = date
				}
			}
		case "CLBD":
			st.Closing, hasClose = amt, true
			if st.To.IsZero() {
				st.To = date
			}
		}
		if st.Currency == "" {
			st.Currency = ccy
		}
	}
	st.NoBalances = !hasOpen || !hasClose
	undated := 0
	for _, l := range st.Lines {
		if l.BookingDate.IsZero() {
			undated++
		}
	}
	if undated > 0 {
		// camt.054 notifications may leave the dates out: shown, not invented.
		st.Warnings = append(st.Warnings, fmt.Sprintf("%d entries state no booking or value date", undated))
	}
	if st.Currency == "" && len(st.Lines) > 0 {
		st.Currency = st.Lines[0].Currency
	}
	if st.Account == "" {
		return st, ferry.Errorf(ferry.ClassDocumentChanged, where(rec), "%s %q names no account (Acct/Id)", rec.name, st.ID)
	}
	return st, nil
}
