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
	undated map[*node][]int // XML lines of booked entries without any date
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
	ce := &camtEntries{file: name, lines: map[*node][]ferry.StatementLine{}, pending: map[*node]int{}, undated: map[*node][]int{}}
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
			if l.BookingDate.IsZero() {
				ce.undated[parent] = append(ce.undated[parent], n.line)
			}
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
	doc := camtDocument(root, 0)
	if doc == nil {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "no ISO 20022 Document element")
	}
	if len(doc.children) == 0 {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, fmt.Sprintf("%s: line %d", name, doc.line), "the ISO 20022 Document is empty: no statement")
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
		st, err := camtRecord(name, rec, ce.lines[rec], ce.undated[rec])
		if err != nil {
			return nil, err
		}
		if n := ce.pending[rec]; n > 0 {
			st.Warnings = append(st.Warnings, fmt.Sprintf("%d entries not booked (status pending or information only) are left out", n))
		}
		out = append(out, st)
	}
	settleTransactionIDs(out)
	return out, nil
}

// camtDocument finds the ISO 20022 Document: the root element, or inside
// the envelope SWIFT and bank gateways wrap it in (<message> with an
// AppHdr, <RequestPayload>, <DataPDU><Body>), a few levels down.
func camtDocument(n *node, depth int) *node {
	if d := n.child("Document"); d != nil {
		return d
	}
	if depth >= 3 {
		return nil
	}
	for _, c := range n.children {
		if d := camtDocument(c, depth+1); d != nil {
			return d
		}
	}
	return nil
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
		if len(clock) > 9 && clock[8] == ':' && strings.Count(clock, ":") == 3 {
			// "00:00:00:000": milliseconds after a colon, as a German
			// bank's camt.052 writes them. Only the date is kept.
			clock = clock[:8] + "." + clock[9:]
		}
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

// camtDecimal reads an ISO 20022 amount, an xs:decimal that is never
// negative (the sign is in CdtDbtInd) and has no exponent: digits with an
// optional decimal point, where ".5" and "5." are as valid as "0.5" and
// "5.0" (XML Schema Part 2, §3.2.3.1).
func camtDecimal(s string) (decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	body := strings.TrimPrefix(s, "+")
	dots, digits := 0, 0
	for i := 0; i < len(body); i++ {
		switch {
		case isDigit(body[i]):
			digits++
		case body[i] == '.':
			dots++
		default:
			return decimal.Zero, fmt.Errorf("bad amount %q", s)
		}
	}
	if digits == 0 || dots > 1 || len(body) > 40 {
		return decimal.Zero, fmt.Errorf("bad amount %q", s)
	}
	if strings.HasPrefix(body, ".") {
		body = "0" + body
	}
	return decimal.NewFromString(strings.TrimSuffix(body, "."))
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

func camtRecord(file string, rec *node, lines []ferry.StatementLine, undatedAt []int) (ferry.Statement, error) {
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
	// Balances written without CdtDbtInd (a Lithuanian bank's camt.053
	// does so) are held unsigned until the entries tell their sign.
	var unsigned []camtUnsigned
	openAt, closeAt := -1, -1
	for _, b := range rec.all("Bal") {
		code := b.str("Tp", "CdOrPrtry", "Cd")
		if code == "" {
			code = b.str("Tp", "CdOrPrtry", "Prtry")
		}
		ind := b.str("CdtDbtInd")
		if ind == "" && b.child("CdtDbtInd") == nil {
			ind = "CRDT" // for now: the sign is settled below, never taken as it is
			unsigned = append(unsigned, camtUnsigned{at: len(st.Balances), code: code, line: b.line})
		}
		amt, ccy, err := camtAmount(b.child("Amt"), ind)
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
				st.Opening, hasOpen, openAt = amt, true, len(st.Balances)-1
				if st.From.IsZero() {
					st.From = date
				}
			}
		case "CLBD":
			st.Closing, hasClose, closeAt = amt, true, len(st.Balances)-1
			if st.To.IsZero() {
				st.To = date
			}
		}
		if st.Currency == "" {
			st.Currency = ccy
		}
	}
	st.NoBalances = !hasOpen || !hasClose
	if len(unsigned) > 0 {
		if err := camtSignBalances(file, &st, unsigned, openAt, closeAt); err != nil {
			return st, err
		}
	}
	if len(undatedAt) > 0 {
		// An entry without a booking or value date is never passed on
		// undated. A statement that covers one day (its period or both
		// balances on that day) dates it there; otherwise the day
		// cannot be told, and the file is refused naming the entry.
		if st.From.IsZero() || st.From != st.To {
			span := "states no period"
			if !st.From.IsZero() || !st.To.IsZero() {
				span = fmt.Sprintf("covers %s to %s", st.From, st.To)
			}
			return st, ferry.Errorf(ferry.ClassDocumentChanged, fmt.Sprintf("%s: line %d", file, undatedAt[0]),
				"entry states no booking or value date (BookgDt, ValDt), and statement %q %s: its day cannot be told (%d such entries)", st.ID, span, len(undatedAt))
		}
		for i := range st.Lines {
			if st.Lines[i].BookingDate.IsZero() {
				st.Lines[i].BookingDate = st.From
			}
		}
		st.Notes = append(st.Notes, fmt.Sprintf("%d entries state no booking or value date (first at line %d): booked on the one day the statement covers, %s", len(undatedAt), undatedAt[0], st.From))
	}
	if st.Currency == "" && len(st.Lines) > 0 {
		st.Currency = st.Lines[0].Currency
	}
	if st.Account == "" {
		return st, ferry.Errorf(ferry.ClassDocumentChanged, where(rec), "%s %q names no account (Acct/Id)", rec.name, st.ID)
	}
	return st, nil
}

// camtUnsigned is a balance written without CdtDbtInd: where it is in
// Statement.Balances, its code and line.
type camtUnsigned struct {
	at   int
	code string
	line int
}

// camtSignBalances settles the sign of balances written without a
// credit/debit indicator. The opening and closing balance take the one
// sign with which the booked entries, which carry their indicators, lead
// from the one to the other; a balance whose sign the entries cannot tell
// (a day without entries, an available balance) is left out, with a
// warning, never taken as a credit. When no sign makes the entries add
// up, the statement is refused.
func camtSignBalances(file string, st *ferry.Statement, unsigned []camtUnsigned, openAt, closeAt int) error {
	isUnsigned := map[int]camtUnsigned{}
	for _, u := range unsigned {
		isUnsigned[u.at] = u
	}
	_, openU := isUnsigned[openAt]
	_, closeU := isUnsigned[closeAt]
	drop := map[int]bool{}
	for _, u := range unsigned {
		if u.at != openAt && u.at != closeAt {
			drop[u.at] = true
			st.Warnings = append(st.Warnings, fmt.Sprintf("line %d: balance %s states no credit/debit indicator (CdtDbtInd): not read", u.line, u.code))
		}
	}
	if (openU || closeU) && st.NoBalances {
		// An opening without a closing balance (or the reverse): nothing
		// to tell its sign by.
		for _, at := range []int{openAt, closeAt} {
			if u, ok := isUnsigned[at]; ok {
				drop[at] = true
				st.Warnings = append(st.Warnings, fmt.Sprintf("line %d: balance %s states no credit/debit indicator (CdtDbtInd): not read", u.line, u.code))
			}
		}
		st.Opening, st.Closing = decimal.Zero, decimal.Zero
	}
	if (openU || closeU) && !st.NoBalances {
		sum := decimal.Zero
		for _, l := range st.Lines {
			sum = sum.Add(l.Amount)
		}
		signs := func(u bool) []int {
			if u {
				return []int{1, -1}
			}
			return []int{1}
		}
		type pair struct{ open, close decimal.Decimal }
		var fits []pair
		for _, so := range signs(openU) {
			for _, sc := range signs(closeU) {
				o, c := st.Opening.Mul(decimal.NewFromInt(int64(so))), st.Closing.Mul(decimal.NewFromInt(int64(sc)))
				if !o.Add(sum).Equal(c) {
					continue
				}
				dup := false
				for _, f := range fits {
					dup = dup || f.open.Equal(o) && f.close.Equal(c)
				}
				if !dup {
					fits = append(fits, pair{o, c})
				}
			}
		}
		var names []string
		for _, at := range []int{openAt, closeAt} {
			if u, ok := isUnsigned[at]; ok {
				names = append(names, fmt.Sprintf("%s (line %d)", u.code, u.line))
			}
		}
		what, verb := "balance "+names[0], "states"
		if len(names) == 2 {
			what, verb = "balances "+names[0]+" and "+names[1], "state"
		}
		switch len(fits) {
		case 0:
			return ferry.Errorf(ferry.ClassDocumentChanged, fmt.Sprintf("%s: line %d", file, unsigned[0].line),
				"%s %s no credit/debit indicator (CdtDbtInd), and with no sign do the entries (%s) lead from the opening to the closing balance",
				what, verb, sum.String())
		case 1:
			st.Opening, st.Closing = fits[0].open, fits[0].close
			st.Balances[openAt].Amount, st.Balances[closeAt].Amount = fits[0].open, fits[0].close
			st.Notes = append(st.Notes, fmt.Sprintf("%s %s no credit/debit indicator (CdtDbtInd): read with the sign with which the booked entries add up", what, verb))
		default:
			// A day without entries: a credit and a debit balance fit
			// alike. No balance is better than a guessed sign.
			st.NoBalances = true
			st.Opening, st.Closing = decimal.Zero, decimal.Zero
			for _, at := range []int{openAt, closeAt} {
				drop[at] = true
			}
			st.Warnings = append(st.Warnings, fmt.Sprintf("%s %s no credit/debit indicator (CdtDbtInd), and the entries cannot tell the sign: no balances are read", what, verb))
		}
	}
	if len(drop) > 0 {
		keep := st.Balances[:0]
		for i, b := range st.Balances {
			if !drop[i] {
				keep = append(keep, b)
			}
		}
		st.Balances = keep
	}
	return nil
}
