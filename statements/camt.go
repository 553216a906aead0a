package statements

import (
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

// ParseCAMT reads an ISO 20022 cash-management message: camt.052 (account
// report), camt.053 (statement) or camt.054 (debit/credit notification),
// versions 1 to 8. Each Rpt, Stmt or Ntfctn becomes a statement.
func ParseCAMT(name string, data []byte) ([]ferry.Statement, error) {
	root, err := parseXML(data)
	if err != nil {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "not well-formed XML: %v", err)
	}
	doc := root.child("Document")
	if doc == nil || len(doc.children) == 0 {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "no ISO 20022 Document element")
	}
	msg := doc.children[0]
	var recName string
	// Version 1 messages carry their version in the element name.
	msgName := msg.name
	if i := strings.LastIndex(msgName, "V0"); i > 0 {
		msgName = msgName[:i]
	}
	switch msgName {
	case "BkToCstmrAcctRpt":
		recName = "Rpt"
	case "BkToCstmrStmt":
		recName = "Stmt"
	case "BkToCstmrDbtCdtNtfctn":
		recName = "Ntfctn"
	default:
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "unsupported ISO 20022 message %s (want camt.052, camt.053 or camt.054)", msg.name)
	}
	recs := msg.all(recName)
	if len(recs) == 0 {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "%s holds no %s", msg.name, recName)
	}
	var out []ferry.Statement
	for _, rec := range recs {
		st, err := camtRecord(name, rec)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

func camtAccount(acct *node) string {
	if iban := acct.str("Id", "IBAN"); iban != "" {
		return iban
	}
	return acct.str("Id", "Othr", "Id")
}

// camtDate reads a Dt or DtTm choice: the calendar date as the file writes
// it, in the file's own offset.
func camtDate(n *node) (ferry.Date, error) {
	if n == nil {
		return ferry.Date{}, nil
	}
	if s := n.str("Dt"); s != "" {
		return ferry.ParseDate(s)
	}
	if s := n.str("DtTm"); s != "" {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999"} {
			if t, err := time.Parse(layout, s); err == nil {
				return ferry.DateOf(t), nil
			}
		}
		return ferry.Date{}, fmt.Errorf("bad date-time %q", s)
	}
	if s := strings.TrimSpace(n.text); s != "" {
		return ferry.ParseDate(s)
	}
	return ferry.Date{}, nil
}

func camtAmount(n *node, ind string) (decimal.Decimal, string, error) {
	if n == nil {
		return decimal.Zero, "", fmt.Errorf("no amount")
	}
	d, err := decimal.NewFromString(strings.TrimSpace(n.text))
	if err != nil {
		return d, "", fmt.Errorf("bad amount %q", n.text)
	}
	switch ind {
	case "DBIT":
		d = d.Neg()
	case "CRDT", "":
	default:
		return d, "", fmt.Errorf("bad credit/debit indicator %q", ind)
	}
	return d, n.attrs["Ccy"], nil
}

func camtRecord(file string, rec *node) (ferry.Statement, error) {
	where := func(n *node) string { return fmt.Sprintf("%s: line %d", file, n.line) }
	st := ferry.Statement{ID: rec.str("Id"), Account: camtAccount(rec.child("Acct")), Currency: rec.str("Acct", "Ccy"), Name: rec.str("Acct", "Nm")}
	if fr := rec.child("FrToDt"); fr != nil {
		st.From, _ = camtDate(&node{children: []*node{{name: "DtTm", text: fr.str("FrDtTm")}}})
		st.To, _ = camtDate(&node{children: []*node{{name: "DtTm", text: fr.str("ToDtTm")}}})
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
			}
		case "CLBD":
			st.Closing, hasClose = amt, true
		}
		if st.Currency == "" {
			st.Currency = ccy
		}
	}
	st.NoBalances = !hasOpen || !hasClose
	for _, e := range rec.all("Ntry") {
		ind := e.str("CdtDbtInd")
		amt, ccy, err := camtAmount(e.child("Amt"), ind)
		if err != nil {
			return st, ferry.Errorf(ferry.ClassDocumentChanged, where(e), "entry: %v", err)
		}
		l := ferry.StatementLine{Account: st.Account, Amount: amt, Currency: ccy}
		if l.BookingDate, err = camtDate(e.child("BookgDt")); err != nil {
			return st, ferry.Errorf(ferry.ClassDocumentChanged, where(e), "booking date: %v", err)
		}
		if l.ValueDate, err = camtDate(e.child("ValDt")); err != nil {
			return st, ferry.Errorf(ferry.ClassDocumentChanged, where(e), "value date: %v", err)
		}
		if l.BookingDate.IsZero() {
			l.BookingDate = l.ValueDate
		}
		l.Reference = e.str("AcctSvcrRef")
		if l.Reference == "" {
			l.Reference = e.str("NtryRef")
		}
		l.Description = e.str("AddtlNtryInf")
		tx := e.child("NtryDtls", "TxDtls")
		if tx != nil {
			if l.Reference == "" {
				if l.Reference = tx.str("Refs", "AcctSvcrRef"); l.Reference == "" {
					l.Reference = tx.str("Refs", "EndToEndId")
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
			if l.Description == "" {
				var parts []string
				for _, u := range tx.child("RmtInf").all("Ustrd") {
					parts = append(parts, strings.TrimSpace(u.text))
				}
				l.Description = strings.Join(parts, " ")
			}
		}
		st.Lines = append(st.Lines, l)
	}
	if st.Currency == "" && len(st.Lines) > 0 {
		st.Currency = st.Lines[0].Currency
	}
	return st, nil
}
