package statements

import (
	"regexp"
	"strings"
	"unicode"
)

// The words English-language (and the Chinese demobank's) PDF statements
// print: column labels, section headings, balance and total labels. They
// live here, apart from the CSV/XLSX header vocabulary, because a printed
// page names things differently from an export ("Paid out", "BALANCE
// B/F", "ATM & DEBIT CARD WITHDRAWALS").

// pdfRole is what a printed table column holds.
type pdfRole int

const (
	pdfRoleNone pdfRole = iota
	pdfRoleDate         // booking or transaction date
	pdfRoleValueDate
	pdfRolePostDate // a card statement's posting date (booked)
	pdfRoleDescription
	pdfRoleType // a transaction type code column (DD, VIS, FPO)
	pdfRoleReference
	pdfRoleTransactionID // the bank's own serial number of the transaction
	pdfRoleCounterparty
	pdfRoleCurrency
	pdfRoleSign // a DR/CR indicator column
	pdfRoleAmount
	pdfRoleDebit
	pdfRoleCredit
	pdfRoleBalance
)

var pdfRoleNames = map[pdfRole]string{
	pdfRoleDate: "date", pdfRoleValueDate: "value date", pdfRolePostDate: "posting date", pdfRoleDescription: "description",
	pdfRoleType: "type", pdfRoleReference: "reference", pdfRoleTransactionID: "transaction id", pdfRoleCounterparty: "counterparty", pdfRoleCurrency: "currency",
	pdfRoleSign: "debit/credit mark", pdfRoleAmount: "amount", pdfRoleDebit: "debit", pdfRoleCredit: "credit", pdfRoleBalance: "balance",
}

func (r pdfRole) String() string {
	if s, ok := pdfRoleNames[r]; ok {
		return s
	}
	return "unknown"
}

func (r pdfRole) isMoney() bool {
	return r == pdfRoleAmount || r == pdfRoleDebit || r == pdfRoleCredit || r == pdfRoleBalance
}

func (r pdfRole) isDate() bool {
	return r == pdfRoleDate || r == pdfRoleValueDate || r == pdfRolePostDate
}

// pdfColumnLabels are normalized English column labels (see pdfNormLabel).
var pdfColumnLabels = func() map[string]pdfRole {
	m := map[string]pdfRole{}
	add := func(r pdfRole, labels ...string) {
		for _, l := range labels {
			m[strings.TrimRight(l, ".")] = r // as pdfNormLabel leaves it
		}
	}
	add(pdfRoleDate, "date", "transaction date", "trans date", "trans. date", "txn date", "tran date", "trx date",
		"booking date", "book date", "entry date", "date of transaction", "transaction\u00a0date", "processed date",
		"date paid", "paid date", "date of trans", "trans dt", "txn dt")
	add(pdfRolePostDate, "posting date", "post date", "posted date", "date posted", "posted", "posting")
	add(pdfRoleValueDate, "value date", "effective date", "val date", "val. date", "value dt", "val dt")
	add(pdfRoleDescription, "description", "details", "transaction details", "transaction description", "particulars",
		"narrative", "narration", "payment type and details", "payment details", "transaction", "transactions",
		"merchant", "merchant name", "memo", "remarks", "description of transaction", "transaction type and details",
		"payee/description", "details of transaction", "transaction particulars", "merchant name or transaction description",
		"description/payee", "activity", "transaction information", "item")
	add(pdfRoleType, "type", "transaction type", "trans type", "tran type", "txn type", "code")
	add(pdfRoleReference, "reference", "ref", "ref.", "ref no", "ref. no", "ref no.", "reference no", "reference no.",
		"reference number", "check no", "check no.", "check number", "check #", "check", "checks", "cheque", "cheque no",
		"cheque no.", "cheque number", "chq no", "chq no.", "chq", "transaction ref", "transaction reference", "serial no",
		"check/ref", "check/serial", "chq/ref no", "chq./ref.no.", "cheque/ref")
	add(pdfRoleTransactionID, "transaction id", "transaction no", "transaction no.", "transaction number", "txn id", "trans id")
	add(pdfRoleCounterparty, "counterparty", "counter party", "payee", "payer", "beneficiary", "payee/payer")
	add(pdfRoleCurrency, "currency", "ccy", "curr")
	add(pdfRoleSign, "dr/cr", "cr/dr", "d/c", "c/d", "dr / cr", "cr / dr")
	add(pdfRoleAmount, "amount", "transaction amount", "amount in", "debit/credit", "credit/debit", "debit / credit",
		"credit / debit", "net amount", "amt", "amount debited/credited")
	add(pdfRoleDebit, "debit", "debits", "debit amount", "withdrawal", "withdrawals", "withdrawn", "paid out", "money out",
		"payments", "out", "withdrawals/debits", "debits/withdrawals", "withdrawal/debit", "amount debited",
		"cheques and withdrawals", "checks and withdrawals", "checks/debits", "checks and debits", "subtractions",
		"withdrawal amount", "debits/checks", "payments/debits", "charges/debits", "spent", "withdrawal amt", "debit amt",
		"dr amount", "withdrawals amount", "amount debited (dr)", "charges", "purchases")
	add(pdfRoleCredit, "credit", "credits", "credit amount", "deposit", "deposits", "paid in", "money in", "receipts",
		"in", "deposits/credits", "credits/deposits", "deposit/credit", "amount credited", "additions", "lodgements",
		"deposit amount", "deposits and credits", "receipts/credits", "credits/receipts", "received", "deposit amt", "credit amt",
		"cr amount", "deposits amount")
	add(pdfRoleBalance, "balance", "running balance", "ending daily balance", "daily balance", "ledger balance",
		"available balance", "book balance", "daily ending balance", "end of day balance", "closing balance",
		"balance due", "account balance")
	// German-language statements and card bills (Germany, Austria,
	// Switzerland: Cembra's "Verbucht am / Gutschrift CHF / Belastung CHF").
	add(pdfRoleDate, "datum", "buchungsdatum", "buchungstag", "buchung", "einkaufsdatum", "einkaufs-datum", "transaktionsdatum",
		"belegdatum", "kaufdatum")
	add(pdfRolePostDate, "verbucht am", "verbuchungsdatum", "gebucht am")
	add(pdfRoleValueDate, "valuta", "valutadatum", "wertstellung", "wert", "valuta-datum")
	add(pdfRoleDescription, "beschreibung", "buchungstext", "verwendungszweck", "text", "umsatz", "umsatzbeschreibung",
		"details zur buchung", "buchungsdetails", "vorgang", "transaktion")
	add(pdfRoleDebit, "belastung", "belastungen", "lastschrift", "soll", "ausgang", "auszahlung", "abbuchung")
	add(pdfRoleCredit, "gutschrift", "gutschriften", "haben", "eingang", "einzahlung")
	add(pdfRoleAmount, "betrag", "umsatzbetrag", "betrag in")
	add(pdfRoleBalance, "saldo", "kontostand")
	return m
}()

// pdfLabelWords are the words of the column labels: a row with fewer than
// two of them is no header, and is not looked at further.
var pdfLabelWords = func() map[string]bool {
	m := map[string]bool{}
	for l := range pdfColumnLabels {
		for _, w := range strings.FieldsFunc(l, func(r rune) bool { return r == ' ' || r == '/' }) {
			m[w] = true
		}
	}
	return m
}()

// pdfIsLabelWord reports whether w is a word of some column label.
func pdfIsLabelWord(w string) bool {
	for _, part := range strings.FieldsFunc(strings.ToLower(pdfCleanText(w)), func(r rune) bool { return r == '/' }) {
		if pdfLabelWords[strings.Trim(part, ":()[]£$€.#*")] {
			return true
		}
	}
	return false
}

// pdfWeakLabelWords are label words common in running text: they do not
// make a row a header candidate on their own.
var pdfWeakLabelWords = map[string]bool{"in": true, "out": true, "type": true, "code": true, "item": true, "activity": true,
	"transaction": true, "transactions": true, "details": true, "of": true, "and": true, "no": true, "no.": true, "ref": true,
	"check": true, "checks": true, "posted": true, "posting": true, "number": true, "date": false}

// labelWords counts the row's words that are words of column labels, and
// tells whether one of them is not a common word: a header needs two, one
// of them uncommon, on its one or two lines.
func (r *pdfRow) labelWords() (n int, strong bool) {
	if r.labels == 0 {
		for _, w := range r.words {
			t := strings.ToLower(strings.Trim(w.text, ":/()[]£$€.#*"))
			if pdfLabelWords[t] {
				n++
				strong = strong || !pdfWeakLabelWords[t]
			} else if pdfHasCJK(w.text) {
				for _, c := range pdfCjkLabels {
					if strings.Contains(w.text, c.word) {
						n++
						strong = true
						break
					}
				}
			}
		}
		r.labels, r.strongLabel = n+1, strong
	}
	return r.labels - 1, r.strongLabel
}

// pdfCjkLabels are matched by containment, in this order: Chinese labels
// carry qualifiers (借方发生额, 交易流水号) around the word that matters.
var pdfCjkLabels = []struct {
	word string
	role pdfRole
}{
	{"起息日", pdfRoleValueDate}, {"交易日期", pdfRoleDate}, {"记账日期", pdfRoleDate}, {"入账日期", pdfRoleDate}, {"日期", pdfRoleDate},
	{"借方", pdfRoleDebit}, {"支出", pdfRoleDebit}, {"贷方", pdfRoleCredit}, {"收入", pdfRoleCredit},
	{"余额", pdfRoleBalance}, {"交易金额", pdfRoleAmount}, {"发生额", pdfRoleAmount}, {"金额", pdfRoleAmount},
	{"对方户名", pdfRoleCounterparty}, {"对方名称", pdfRoleCounterparty}, {"对方", pdfRoleCounterparty},
	{"摘要", pdfRoleDescription}, {"用途", pdfRoleDescription}, {"附言", pdfRoleDescription},
	{"流水号", pdfRoleTransactionID}, {"凭证号", pdfRoleReference}, {"币种", pdfRoleCurrency},
}

// decorations are label parts that name a unit, a currency or a sign, not
// a column: "Withdrawal (SGD)", "Paid out £", "Deposit (+)".
var pdfDecoration = regexp.MustCompile(`(?i)^(\(.*\)|\[.*\]|[$£€¥]|s\$|a\$|us\$|hk\$|nz\$|[a-z]{3}|\(?[-+]\)?|no\.?|#|:)$`)

var pdfSpaceRun = regexp.MustCompile(`\s+`)

// pdfNormLabel lowers a label, drops a trailing colon, decorations in
// brackets and currency marks, and spaces around slashes.
func pdfNormLabel(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range strings.ToLower(pdfCleanText(s)) {
		switch {
		case r == '(' || r == '[':
			depth++
		case r == ')' || r == ']':
			if depth > 0 {
				depth--
			}
			b.WriteByte(' ')
		case depth > 0:
		case r == '&':
			b.WriteString(" and ")
		case r == '£' || r == '€' || r == '$' || r == '¥' || r == '*':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	s = strings.Join(strings.Fields(b.String()), " ")
	s = strings.ReplaceAll(s, " /", "/")
	s = strings.ReplaceAll(s, "/ ", "/")
	s = strings.TrimSpace(strings.TrimRight(s, ":."))
	for _, cur := range []string{" sgd", " usd", " aud", " gbp", " eur", " s", " a", " us", " hk", " nz"} {
		s = strings.TrimSuffix(s, cur)
	}
	return strings.TrimSpace(s)
}

// pdfLabelRole classifies one column label.
func pdfLabelRole(label string) pdfRole {
	n := pdfNormLabel(label)
	if r, ok := pdfColumnLabels[n]; ok {
		return r
	}
	if pdfHasCJK(label) && !strings.ContainsAny(strings.TrimSpace(pdfCjkOnly(label)), " ") {
		for _, c := range pdfCjkLabels {
			if strings.Contains(label, c.word) {
				return c.role
			}
		}
	}
	return pdfRoleNone
}

// pdfCjkOnly drops the Latin part of a bilingual label ("借方发生额 Debit"),
// so that two Chinese labels side by side are not read as one.
func pdfCjkOnly(s string) string {
	var b strings.Builder
	for _, f := range strings.Fields(s) {
		if pdfHasCJK(f) {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(f)
		}
	}
	return b.String()
}

func pdfHasCJK(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// pdfSectionKind is what a heading says about the rows under it.
type pdfSectionKind int

const (
	pdfSectionNone     pdfSectionKind = iota
	pdfSectionCredits                 // deposits: every amount adds to the balance
	pdfSectionDebits                  // withdrawals, checks, fees: every amount takes away
	pdfSectionActivity                // transactions of both signs
	pdfSectionSkip                    // summaries and daily balances: not transactions
)

// pdfSectionHeadings are normalized (see pdfNormHeading) section titles.
var pdfSectionHeadings = func() map[string]pdfSectionKind {
	m := map[string]pdfSectionKind{}
	add := func(k pdfSectionKind, hs ...string) {
		for _, h := range hs {
			m[h] = k
		}
	}
	add(pdfSectionCredits, "deposits", "deposits and additions", "deposits and other additions", "deposits and other credits",
		"deposits and credits", "other credits", "credits", "additions", "electronic deposits", "other deposits",
		"deposits/credits", "payments and credits", "payments and other credits", "credits and deposits",
		"atm and debit card deposits", "card deposits and credits", "money in", "paid in", "receipts",
		"deposits and other additions", "customer deposits", "deposits, credits and interest", "other additions")
	add(pdfSectionDebits, "withdrawals", "electronic withdrawals", "atm and debit card withdrawals", "other withdrawals",
		"withdrawals and other subtractions", "withdrawals and other debits", "withdrawals and debits", "checks paid",
		"checks", "cheques", "cheques paid", "fees", "service fees", "fees and charges", "service charges", "fees charged",
		"card purchases", "debit card purchases", "purchases", "purchase", "other debits", "debits", "other subtractions",
		"checks and substitute checks", "atm withdrawals", "subtractions", "electronic payments", "checks and other debits",
		"atm and debit card subtractions", "other withdrawals and debits", "checks cleared", "interest charged",
		"money out", "paid out", "other charges", "cash advances", "bill payments", "electronic debits",
		"deductions", "other deductions", "online and electronic banking deductions", "banking/debit card withdrawals and purchases",
		"debit card withdrawals and purchases", "card withdrawals", "checks presented conventionally", "checks presented electronically",
		"other withdrawals, debits and service charges", "atm/debit card withdrawals", "electronic withdrawals and payments",
		"checks and other deductions", "withdrawals and other deductions")
	add(pdfSectionActivity, "transaction history", "transaction details", "account activity", "transactions",
		"new transactions", "your transactions", "account transactions", "transaction detail", "activity",
		"details of your account", "account details", "your account activity",
		"transaction information", "account transaction details")
	add(pdfSectionSkip, "daily ending balance", "daily balance", "daily balances", "daily ledger balances",
		"daily balance summary", "balance summary", "checking summary", "account summary", "summary",
		"service charge summary", "service fee summary", "overdraft and returned item fee summary", "interest summary",
		"summary of account activity", "account balance summary", "daily account balances", "ending daily balances",
		"daily ledger balance", "rewards summary", "interest charge calculation", "balance by date",
		"summary of your account", "your account summary", "account overview", "statement summary")
	return m
}()

// pdfHeadingFirstWords are the first words of the section headings: a row
// that starts with another word is no heading.
var pdfHeadingFirstWords = func() map[string]bool {
	m := map[string]bool{}
	for h := range pdfSectionHeadings {
		m[strings.Fields(h)[0]] = true
	}
	return m
}()

var pdfHeadingNoise = regexp.MustCompile(`(?i)\(?\b(continued|cont'?d|cont\.)\b\)?|\(\d+\)|:$`)

// pdfNormHeading normalizes a possible section heading.
func pdfNormHeading(s string) string {
	s = pdfCleanText(s)
	if strings.ContainsAny(s, "(:") || strings.Contains(strings.ToLower(s), "cont") {
		s = pdfHeadingNoise.ReplaceAllString(s, " ")
	}
	s = strings.ToLower(s)
	s = strings.ReplaceAll(s, "&", " and ")
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, " /", "/")
	s = strings.ReplaceAll(s, "/ ", "/")
	return strings.TrimSpace(strings.Trim(strings.TrimSpace(s), ":-"))
}

// pdfBalanceLabel is a label that states a balance, and which one.
type pdfBalanceLabel struct {
	re      *regexp.Regexp
	closing bool
}

// pdfBalanceLabels match at the start of a cell (after an optional date).
var pdfBalanceLabels = []pdfBalanceLabel{
	{regexp.MustCompile(`(?i)^(opening balance|opening bal\.?|balance brought forward|brought forward|bal(ance)? b/f|b/f balance|b/fwd|beginning balance|previous (statement )?balance|start(ing)? balance|balance forward|balance at (the )?(start|beginning)( of (the )?(period|statement))?|balance from (last|previous) statement|balance last statement|old balance|balance b/forward|期初余额|上期余额|saldovortrag|anfangssaldo|alter saldo|alter kontostand|saldo alt)(?:$|[^A-Za-z0-9])`), false},
	{regexp.MustCompile(`(?i)^(closing balance|closing bal\.?|balance carried forward|carried forward|bal(ance)? c/f|c/f balance|c/fwd|ending balance|new balance|end(ing)? bal\.?|end balance|balance at (the )?end( of (the )?(period|statement))?|statement balance|balance c/forward|期末余额|本期余额|neuer saldo|endsaldo|schlusssaldo|neuer kontostand|saldo neu|saldo per)(?:$|[^A-Za-z0-9])`), true},
}

// pdfInterimBalance is a row that states the balance at a point between
// transactions.
var pdfInterimBalance = regexp.MustCompile(`(?i)^\s*(balance|daily balance|ledger balance|end of day balance|balance this date|available balance|running balance)\s*:?\s*$`)

// pdfBalanceLabelAt reports whether s is a balance label, and the label's
// length. Only dates, counts and a few words may follow the label:
// "Beginning balance on October 1, 2024", "Ending Balance 124" (a count),
// "Balance carried forward to next page"; "NEW BALANCE ATHLETICS" is a
// merchant, not a balance.
func pdfBalanceLabelAt(s string) (closing bool, n int, ok bool) {
	for _, bl := range pdfBalanceLabels {
		if loc := bl.re.FindStringIndex(s); loc != nil && pdfBalanceRest(s[loc[1]:]) {
			return bl.closing, loc[1], true
		}
	}
	return false, 0, false
}

var pdfBalanceRestWords = map[string]bool{"on": true, "as": true, "at": true, "of": true, "to": true, "from": true,
	"next": true, "previous": true, "last": true, "page": true, "the": true, "this": true, "statement": true, "date": true,
	"period": true, "for": true, "in": true, "your": true, "account": true, "b/f": true, "c/f": true, "bf": true, "cf": true,
	"-": true, "=": true, "is": true, "was": true, "total": true,
	// German: "Saldovortrag letzte Rechnung", "Saldo per 23.10.2025 zu
	// unseren Gunsten CHF"
	"letzte": true, "letzten": true, "rechnung": true, "abrechnung": true, "zu": true, "unseren": true, "ihren": true,
	"gunsten": true, "per": true, "am": true, "vom": true, "auszug": true, "kontoauszug": true,
	// the English half of a bilingual label: "期初余额 Opening Balance"
	"opening": true, "closing": true, "balance": true, "brought": true, "carried": true, "forward": true}

func pdfBalanceRest(s string) bool {
	for _, d := range pdfDatesIn(s) {
		s = s[:d.start] + strings.Repeat(" ", d.end-d.start) + s[d.end:]
	}
	for _, w := range strings.Fields(s) {
		w = strings.ToLower(strings.Trim(w, ":,.()"))
		if w == "" || pdfBalanceRestWords[w] || pdfCurrencyCodes.MatchString(strings.ToUpper(w)) || strings.Trim(w, "0123456789/$£€-") == "" {
			continue
		}
		if _, ok := pdfParseMoneyToken(w); ok {
			continue
		}
		return false
	}
	return true
}

// pdfTotalWords may follow "Total" in a total row ("Total Deposits and
// Additions", "Total paid out this period"), and nothing else may.
var pdfTotalWords = map[string]bool{
	"deposits": true, "deposit": true, "withdrawals": true, "withdrawal": true, "credits": true, "credit": true,
	"debits": true, "debit": true, "checks": true, "check": true, "cheques": true, "paid": true, "out": true, "in": true,
	"money": true, "fees": true, "fee": true, "charges": true, "additions": true, "subtractions": true, "and": true,
	"other": true, "payments": true, "payment": true, "receipts": true, "for": true, "this": true, "the": true,
	"period": true, "statement": true, "month": true, "amount": true, "amounts": true, "transactions": true, "atm": true,
	"electronic": true, "card": true, "purchases": true, "service": true, "items": true, "of": true, "&": true, "/": true,
	"-": true, "page": true, "cycle": true, "to": true, "date": true, "year": true, "interest": true, "debit/credit": true,
	"deposits/credits": true, "withdrawals/debits": true, "number": true, "count": true, "all": true, "ytd": true,
	"account": true, "accounts": true, "cards": true, "new": true, "charges/debits": true, "credits/payments": true,
}

var pdfTotalStart = regexp.MustCompile(`(?i)^(sub-?\s?|grand\s)?totals?\b:?`)

// pdfStartsTotal reports whether a row's text starts like a total's label
// ("Total ...", "Sub-total", "GRAND TOTAL ...").
func pdfStartsTotal(s string) bool { return pdfTotalStart.MatchString(strings.TrimSpace(s)) }

// pdfIsTotalLabel reports whether a row's text (without its amounts) is a
// total's label: "Total" and words of totals only, so that a merchant such
// as "TOTAL GAS & POWER" is not one.
func pdfIsTotalLabel(s string) bool {
	loc := pdfTotalStart.FindStringIndex(strings.TrimSpace(s))
	if loc == nil {
		return false
	}
	for _, w := range strings.Fields(strings.ToLower(strings.TrimSpace(s)[loc[1]:])) {
		if !pdfTotalWords[strings.Trim(w, ":,.()")] {
			return false
		}
	}
	return true
}

// pdfPageNoise are printed lines that belong to the page, not the statement.
var pdfPageNoise = regexp.MustCompile(`(?i)^(page\s*\d+(\s*(of|/)\s*\d+)?|\d+\s*of\s*\d+|\d+\s+/\s+\d+|第\s*\d+\s*页.*|(\(?continued( on (the )?next page)?\)?\.?)|continued from previous page|continued overleaf|please turn over|p\.?\s*t\.?\s*o\.?|\*+\s*end of statement\s*\*+|end of statement)$`)

// pdfCardCues mark a credit card statement: its balance is owed, and a
// minus marks a payment or refund (a credit to the card), not a charge.
var pdfCardCues = regexp.MustCompile(`(?i)\b(credit limit|minimum (amount |payment )?(due|payment)|payment due date|available credit|cash advance limit|credit line|total credit line)\b`)

// pdfInvoiceCue marks a document as an invoice, not a statement.
var pdfInvoiceCue = regexp.MustCompile(`(?i)\b(tax invoice|invoice (no|number|date|#)|invoice\b|bill to|billed to|sold by|rechnung(snr\.?|snummer)?\b|factuur(nummer)?\b|facture\b|fattura\b|factura\b|faktura\b)|发票`)
