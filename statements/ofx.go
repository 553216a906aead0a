package statements

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
	"golang.org/x/text/encoding/charmap"
)

// ofxTagAt reads a tag starting at body[i] == '<': whether it closes, its
// upper-cased name and where it ends. ok is false for text that is not a
// tag ("<" in a memo) and for <?...?> and <!...> declarations, skipped
// whole.
func ofxTagAt(body string, i int) (closing bool, name string, end int, ok bool) {
	j := i + 1
	if j < len(body) && (body[j] == '?' || body[j] == '!') {
		k := strings.IndexByte(body[j:], '>')
		if k < 0 {
			return false, "", len(body), false
		}
		return false, "", j + k + 1, false
	}
	if j < len(body) && body[j] == '/' {
		closing = true
		j++
	}
	k := j
	for k < len(body) && (isAlnum(body[k]) || body[k] == '_' || body[k] == '.' || body[k] >= 'a' && body[k] <= 'z') {
		k++
	}
	if k == j {
		return false, "", i + 1, false
	}
	gt := strings.IndexByte(body[k:], '>')
	if gt < 0 || strings.IndexByte(body[k:k+gt], '<') >= 0 {
		return false, "", i + 1, false
	}
	return closing, strings.ToUpper(body[j:k]), k + gt + 1, true
}

func isAlnum(c byte) bool { return isUpper(c) || isDigit(c) }

// parseOFXTree reads OFX 1.x (SGML, where leaf elements are not closed) and
// 2.x (XML) into one tree. An element followed by text is a leaf; one
// followed by a tag is an aggregate, closed by its end tag. An empty
// element left unclosed gives its children back to its parent. A file
// that ends before </OFX> is truncated: an error naming what was open.
//
// closed, when set, is called with each aggregate closed by its end tag
// and the elements open around it; when it returns drop, the aggregate
// leaves the tree (transactions turned into lines as they end).
func parseOFXTree(body string, closed func(n *node, open []*node) (drop bool, err error)) (*node, error) {
	root := &node{name: "#document"}
	stack := []*node{root}
	line, counted := 1, 0
	sawTag, closedOFX := false, false
	for i := strings.IndexByte(body, '<'); i >= 0 && i < len(body); {
		closing, name, end, ok := ofxTagAt(body, i)
		if !ok {
			next := strings.IndexByte(body[end:], '<')
			if next < 0 {
				break
			}
			i = end + next
			continue
		}
		line += strings.Count(body[counted:i], "\n")
		counted = i
		sawTag = true
		// The element's text runs to the next tag.
		next := strings.IndexByte(body[end:], '<')
		textEnd := len(body)
		if next >= 0 {
			textEnd = end + next
		}
		if closing {
			// Pop to the matching open element; unclosed ones on the way
			// were empty leaves: their children belong to their parent.
			j := len(stack) - 1
			for j > 0 && stack[j].name != name {
				j--
			}
			if j > 0 {
				for k := len(stack) - 1; k > j; k-- {
					n := stack[k]
					parent := stack[k-1]
					parent.children = append(parent.children, n.children...)
					n.children = nil
				}
				n := stack[j]
				stack = stack[:j]
				if name == "OFX" {
					closedOFX = true
				}
				if closed != nil {
					drop, err := closed(n, stack)
					if err != nil {
						return nil, err
					}
					if parent := stack[j-1]; drop && len(parent.children) > 0 && parent.children[len(parent.children)-1] == n {
						parent.children = parent.children[:len(parent.children)-1]
					}
				}
			}
			// else: the end tag of a leaf, already complete
		} else {
			text := strings.TrimSpace(body[end:textEnd])
			n := &node{name: name, line: line, text: text}
			parent := stack[len(stack)-1]
			parent.children = append(parent.children, n)
			if text == "" {
				if len(stack) > maxXMLDepth {
					return nil, fmt.Errorf("line %d: OFX nested too deep", line)
				}
				stack = append(stack, n)
			}
		}
		if next < 0 {
			break
		}
		i = textEnd
	}
	if !sawTag {
		return nil, fmt.Errorf("no OFX tags")
	}
	if !closedOFX {
		open := "OFX"
		for _, n := range stack[1:] {
			switch n.name {
			case "STMTTRN", "BANKTRANLIST", "STMTRS", "CCSTMTRS", "INVSTMTRS", "INVTRANLIST", "LEDGERBAL", "AVAILBAL":
				open = fmt.Sprintf("%s (line %d)", n.name, n.line)
			}
		}
		return nil, fmt.Errorf("the file ends at line %d inside %s, before </OFX>: it is truncated", line+strings.Count(body[counted:], "\n"), open)
	}
	return root, nil
}

// ofxTime reads YYYYMMDD[HHMMSS[.XXX]][[+-]H[:TZ]] in its stated offset.
var ofxTimeRe = regexp.MustCompile(`^(\d{8})(\d{6})?(?:\.\d{1,3})?(?:\[([+-]?\d{1,2}(?:\.\d+)?)(?::[A-Za-z]*)?\])?`)

func ofxDate(s string) (ferry.Date, error) {
	m := ofxTimeRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return ferry.Date{}, fmt.Errorf("bad OFX date %q", s)
	}
	t, err := time.Parse("20060102", m[1])
	if err != nil {
		return ferry.Date{}, fmt.Errorf("bad OFX date %q", s)
	}
	return ferry.DateOf(t), nil
}

// ofxAmount reads an OFX amount: a dot or (some banks) a comma decimal
// separator, no grouping, no currency sign.
func ofxAmount(s string) (decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	if strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		s = strings.Replace(s, ",", ".", 1)
	}
	// Signed decimal only: no exponent, no grouping, no currency sign.
	body := strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if body == "" || strings.Count(body, ".") > 1 || body == "." || len(body) > 40 {
		return decimal.Zero, fmt.Errorf("bad amount %q", s)
	}
	for i := 0; i < len(body); i++ {
		if !isDigit(body[i]) && body[i] != '.' {
			return decimal.Zero, fmt.Errorf("bad amount %q", s)
		}
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return d, fmt.Errorf("bad amount %q", s)
	}
	return d, nil
}

// ParseOFX reads OFX 1.x (SGML) and 2.x (XML) bank, credit-card and the
// cash part of investment statements. Each statement response becomes a
// statement; a failed sign-on or statement request is an error with the
// server's message. Security trades are not statement lines and are left
// out.
func ParseOFX(name string, data []byte) ([]ferry.Statement, error) {
	text := string(data)
	var charsetNote string
	if i := bytes.Index(data, []byte("<OFX")); i >= 0 {
		if !utf8.Valid(data) {
			// The header's CHARSET (1.x) or XML declaration (2.x) names
			// the set; where it names none Ferry knows, the letters
			// decide (Windows-1252 unless the text reads as Central
			// European).
			cm, label := ofxCharset(string(data[:i]))
			if cm == nil {
				cm, label = mtCharset(data)
			}
			if dec, err := cm.NewDecoder().Bytes(data); err == nil {
				text = string(dec)
				charsetNote = "text is not UTF-8: read as " + label
			}
		}
	} else {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "no <OFX> element")
	}
	// Transactions become lines as they end, so the tree never holds
	// them: a long statement costs its lines, not a tree of its tags.
	lines := map[*node]*ofxLines{}
	// One array for every transaction of the file: no regrowth copies.
	all := make([]ferry.StatementLine, 0, strings.Count(text, "<STMTTRN>"))
	root, err := parseOFXTree(text, func(n *node, open []*node) (bool, error) {
		if n.name != "STMTTRN" {
			return false, nil
		}
		for i := len(open) - 1; i > 0; i-- {
			rs := open[i]
			acctTag, ok := ofxAccountTags[rs.name]
			if !ok {
				continue
			}
			ls := lines[rs]
			if ls == nil {
				ls = &ofxLines{}
				lines[rs] = ls
			}
			l, contradicts, err := ofxLine(name, n, rs.child(acctTag).str("ACCTID"), rs.str("CURDEF"))
			if err != nil {
				return false, err
			}
			if len(ls.lines) == 0 {
				ls.first = len(all)
			}
			all = append(all, l)
			ls.lines = all[ls.first:len(all):len(all)]
			if contradicts {
				ls.contradict++
			}
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		var fe *ferry.Error
		if errors.As(err, &fe) {
			return nil, err
		}
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", err)
	}
	ofx := root.child("OFX")
	if ofx == nil {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "no <OFX> element")
	}
	var warnings []string
	if st := ofx.child("SIGNONMSGSRSV1", "SONRS", "STATUS"); st != nil && st.str("CODE") != "0" {
		if !ofxStatusFatal(st) {
			warnings = append(warnings, fmt.Sprintf("the bank's sign-on status is %s %s %s", st.str("SEVERITY"), st.str("CODE"), st.str("MESSAGE")))
		} else {
			return nil, ferry.Errorf(ofxSignonClass(st.str("CODE")), fmt.Sprintf("%s: line %d", name, st.line), "the bank refused the sign-on: code %s %s", st.str("CODE"), st.str("MESSAGE"))
		}
	}
	var out []ferry.Statement
	for _, set := range []struct{ msgs, trnrs, rs, acct string }{
		{"BANKMSGSRSV1", "STMTTRNRS", "STMTRS", "BANKACCTFROM"},
		{"CREDITCARDMSGSRSV1", "CCSTMTTRNRS", "CCSTMTRS", "CCACCTFROM"},
		{"INVSTMTMSGSRSV1", "INVSTMTTRNRS", "INVSTMTRS", "INVACCTFROM"},
	} {
		for _, msgs := range ofx.all(set.msgs) {
			for _, trn := range msgs.all(set.trnrs) {
				var trnWarning string
				if st := trn.child("STATUS"); st != nil && st.str("CODE") != "0" && st.str("CODE") != "" {
					if ofxStatusFatal(st) {
						return nil, ferry.Errorf(ofxStatementClass(st.str("CODE")), fmt.Sprintf("%s: line %d", name, trn.line), "statement request failed: code %s %s", st.str("CODE"), st.str("MESSAGE"))
					}
					trnWarning = fmt.Sprintf("the bank's status for this statement is %s %s %s", st.str("SEVERITY"), st.str("CODE"), st.str("MESSAGE"))
				}
				for _, rs := range trn.all(set.rs) {
					st, err := ofxStatement(name, rs, set.acct, lines[rs])
					if err != nil {
						return nil, err
					}
					st.Warnings = append(append(append([]string(nil), warnings...), nonEmpty(trnWarning)...), st.Warnings...)
					out = append(out, st)
				}
			}
		}
	}
	if len(out) == 0 {
		return nil, ferry.Errorf(ferry.ClassDocumentChanged, name, "no statement in this OFX file (an account listing or sign-on only?)")
	}
	if charsetNote != "" {
		for i := range out {
			out[i].Notes = append([]string{charsetNote}, out[i].Notes...)
		}
	}
	settleTransactionIDs(out)
	return out, nil
}

// ofxCharset reads the character set an OFX header names: CHARSET:1252
// or CHARSET:ISO-8859-1 in 1.x, encoding="..." in 2.x. It returns nil
// for none, NONE or one Ferry does not know.
func ofxCharset(head string) (*charmap.Charmap, string) {
	u := strings.ToUpper(head)
	name := ""
	if _, after, ok := strings.Cut(u, "CHARSET:"); ok {
		name = strings.TrimSpace(strings.SplitN(after, "\n", 2)[0])
	}
	if _, after, ok := strings.Cut(u, "ENCODING=\""); ok && (name == "" || name == "NONE") {
		name, _, _ = strings.Cut(after, "\"")
	}
	switch strings.TrimPrefix(strings.TrimPrefix(name, "WINDOWS-"), "ISO-") {
	case "1252", "CP1252":
		return charmap.Windows1252, "Windows-1252"
	case "8859-1", "LATIN1":
		return charmap.ISO8859_1, "ISO-8859-1"
	case "8859-15":
		return charmap.ISO8859_15, "ISO-8859-15"
	case "1250", "CP1250":
		return charmap.Windows1250, "Windows-1250"
	case "8859-2":
		return charmap.ISO8859_2, "ISO-8859-2"
	}
	return nil, ""
}

// ofxAccountTags names each statement response's account aggregate.
var ofxAccountTags = map[string]string{"STMTRS": "BANKACCTFROM", "CCSTMTRS": "CCACCTFROM", "INVSTMTRS": "INVACCTFROM"}

// ofxStatusFatal reports whether an OFX STATUS aggregate with a non-zero
// code stops the response: SEVERITY ERROR does (and a status without a
// severity, to be safe); INFO and WARN are information beside the data
// (OFX 2.1.1 §3.1.5).
func ofxStatusFatal(st *node) bool {
	switch strings.ToUpper(st.str("SEVERITY")) {
	case "INFO", "WARN":
		return false
	}
	return true
}

// ofxSignonClass tells what a failed sign-on means for the runner (OFX
// 2.1.1 §2.5.1.6 and §3.1.5): a rejected or locked user id or password is
// never retried, a multi-factor challenge asks a person, a general server
// error ("try again later") is retried; anything else is a file Ferry
// cannot use.
func ofxSignonClass(code string) ferry.FailureClass {
	switch code {
	case "15500", "15502", "15507", "3001": // signon invalid, lockout, invalid without PIN change, MFA answer wrong
		return ferry.ClassCredentialsRejected
	case "3000": // MFA challenge required
		return ferry.ClassInputNeeded
	case "2000", "15505": // general error, country system not available
		return ferry.ClassSiteUnavailable
	}
	return ferry.ClassDocumentChanged
}

// ofxStatementClass tells what a failed statement request means: a general
// server error is retried; the rest (an unknown account, dates out of
// range) are not the file Ferry expected.
func ofxStatementClass(code string) ferry.FailureClass {
	if code == "2000" {
		return ferry.ClassSiteUnavailable
	}
	return ferry.ClassDocumentChanged
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// ofxLines are a statement response's transactions, read as they ended.
type ofxLines struct {
	lines      []ferry.StatementLine // a window on the file's one array
	first      int
	contradict int
}

// ofxLine reads one STMTTRN.
func ofxLine(file string, t *node, account, currency string) (l ferry.StatementLine, contradicts bool, err error) {
	bad := func(format string, args ...any) error {
		return ferry.Errorf(ferry.ClassDocumentChanged, fmt.Sprintf("%s: line %d", file, t.line), "transaction %s: "+format, append([]any{t.str("FITID")}, args...)...)
	}
	amt, err := ofxAmount(t.str("TRNAMT"))
	if err != nil {
		return l, false, bad("%v", err)
	}
	if t.str("DTPOSTED") == "" {
		return l, false, bad("no posting date (DTPOSTED)")
	}
	posted, err := ofxDate(t.str("DTPOSTED"))
	if err != nil {
		return l, false, bad("%v", err)
	}
	// FITID is the bank's own id of the transaction, unique per account.
	l = ferry.StatementLine{Account: account, BookingDate: posted, ValueDate: posted, Amount: amt,
		Currency: currency, TransactionID: t.str("FITID"), Description: t.str("MEMO"), Counterparty: t.str("NAME")}
	if l.Counterparty == "" {
		l.Counterparty = t.str("PAYEE", "NAME")
	}
	if cur := t.str("CURRENCY", "CURSYM"); cur != "" {
		l.Currency = cur
	}
	// DTAVAIL is when the funds are available: the value date. (DTUSER
	// is when the customer acted, a card purchase's day, not a value date.)
	if s := t.str("DTAVAIL"); s != "" {
		d, err := ofxDate(s)
		if err != nil {
			return l, false, bad("DTAVAIL: %v", err)
		}
		l.ValueDate = d
	}
	for _, ref := range []string{t.str("REFNUM"), t.str("CHECKNUM"), t.str("SRVRTID")} {
		if !placeholderRef(ref) {
			l.Reference = ref
			break
		}
	}
	// TRNAMT's sign decides (OFX 1.6 §11.4.3); a type that says the
	// opposite is shown, not followed.
	typ := strings.ToUpper(t.str("TRNTYPE"))
	return l, typ == "DEBIT" && amt.IsPositive() || typ == "CREDIT" && amt.IsNegative(), nil
}

func ofxStatement(file string, rs *node, acctTag string, read *ofxLines) (ferry.Statement, error) {
	where := func(n *node) string { return fmt.Sprintf("%s: line %d", file, n.line) }
	acct := rs.child(acctTag)
	st := ferry.Statement{Account: acct.str("ACCTID"), Currency: rs.str("CURDEF"), NoBalances: true}
	if st.Account == "" {
		return st, ferry.Errorf(ferry.ClassDocumentChanged, where(rs), "statement without an account id (%s/ACCTID)", acctTag)
	}
	contradict := 0
	if read != nil {
		st.Lines, contradict = read.lines, read.contradict
	}
	list := rs.child("BANKTRANLIST")
	// Transactions still in the tree (not closed by their own end tag).
	var trns []*node
	if list != nil {
		trns = list.all("STMTTRN")
	} else if list = rs.child("INVTRANLIST"); list != nil {
		for _, ib := range list.all("INVBANKTRAN") {
			trns = append(trns, ib.all("STMTTRN")...)
		}
	}
	if list != nil {
		var err error
		if s := list.str("DTSTART"); s != "" {
			if st.From, err = ofxDate(s); err != nil {
				return st, ferry.Errorf(ferry.ClassDocumentChanged, where(list), "%v", err)
			}
		}
		if s := list.str("DTEND"); s != "" {
			if st.To, err = ofxDate(s); err != nil {
				return st, ferry.Errorf(ferry.ClassDocumentChanged, where(list), "%v", err)
			}
		}
	}
	if inv := rs.child("INVTRANLIST"); inv != nil {
		// Trades, income and fees of securities move cash too, but they
		// are not bank transactions: left out, and said so.
		n := 0
		for _, c := range inv.children {
			switch c.name {
			case "INVBANKTRAN", "DTSTART", "DTEND":
			default:
				n++
			}
		}
		if n > 0 {
			st.Warnings = append(st.Warnings, fmt.Sprintf("%d investment transactions (trades, income, fees) are not statement lines and are left out; only INVBANKTRAN cash transactions are read", n))
		}
	}
	for _, t := range trns {
		l, contradicts, err := ofxLine(file, t, st.Account, st.Currency)
		if err != nil {
			return st, err
		}
		if contradicts {
			contradict++
		}
		st.Lines = append(st.Lines, l)
	}
	if contradict > 0 {
		st.Warnings = append(st.Warnings, fmt.Sprintf("%d transactions typed DEBIT or CREDIT against the sign of their amount: the amount's sign is used", contradict))
	}
	if st.Currency == "" {
		// CURDEF is required, but some exports leave it empty and name the
		// currency on each transaction: taken only when they all agree.
		ccy := ""
		for i, l := range st.Lines {
			if l.Currency == "" || (i > 0 && l.Currency != ccy) {
				ccy = ""
				break
			}
			ccy = l.Currency
		}
		switch {
		case ccy != "":
			st.Currency = ccy
			st.Notes = append(st.Notes, "no statement currency (CURDEF): "+ccy+", the currency of every transaction")
		case len(st.Lines) > 0:
			return st, ferry.Errorf(ferry.ClassDocumentChanged, where(rs), "statement without a currency (CURDEF) and transactions without one")
		default:
			st.Warnings = append(st.Warnings, "the statement states no currency (CURDEF)")
		}
	}
	for _, b := range []struct{ tag, typ string }{{"LEDGERBAL", "closing"}, {"AVAILBAL", "closing_available"}} {
		bn := rs.child(b.tag)
		if bn == nil || bn.str("BALAMT") == "" && bn.str("DTASOF") == "" {
			continue // no balance stated (some banks send the empty aggregate)
		}
		// Brazilian banks send the aggregate with an empty amount, or
		// with 0,00 dated 00000000: a placeholder for a balance they do
		// not report, never a balance of zero.
		if bn.str("BALAMT") == "" {
			st.Warnings = append(st.Warnings, fmt.Sprintf("line %d: %s has no amount (BALAMT): no %s balance is read", bn.line, b.tag, b.typ))
			continue
		}
		if d := bn.str("DTASOF"); d != "" && strings.Trim(d, "0") == "" {
			st.Warnings = append(st.Warnings, fmt.Sprintf("line %d: %s is dated %s, a placeholder: its amount %s is not read as a balance", bn.line, b.tag, d, bn.str("BALAMT")))
			continue
		}
		amt, err := ofxAmount(bn.str("BALAMT"))
		if err != nil {
			return st, ferry.Errorf(ferry.ClassDocumentChanged, where(bn), "%s: %v", b.tag, err)
		}
		bal := ferry.Balance{Type: b.typ, Amount: amt, Currency: st.Currency}
		if s := bn.str("DTASOF"); s != "" {
			if bal.Date, err = ofxDate(s); err != nil {
				return st, ferry.Errorf(ferry.ClassDocumentChanged, where(bn), "%s: %v", b.tag, err)
			}
		}
		st.Balances = append(st.Balances, bal)
		if b.typ == "closing" {
			st.Closing = amt
		}
	}
	return st, nil
}
