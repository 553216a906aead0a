package statements

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
)

// The statement's own fields (account, holder, currency, period, stated
// balances) are read from the labelled text around the tables.

type pdfFieldMoney struct {
	v   pdfMoney
	row *pdfRow
}

type pdfFields struct {
	account     string
	accountRow  *pdfRow
	name        string
	currency    string
	currencyWhy string
	from, to    *pdfDate
	periodRow   *pdfRow
	stmtDate    *pdfDate
	stmtDateRow *pdfRow
	// stmtDateAlone: the statement date is a date printed alone, not
	// labelled.
	stmtDateAlone bool
	// openDate and closeDate are the dates of the summary's opening and
	// closing balances: the period, when it is not printed as such.
	openDate, closeDate       *pdfDate
	openDateRow, closeDateRow *pdfRow
	opening                   []pdfFieldMoney
	closing                   []pdfFieldMoney
	otherAccount              map[string]*pdfRow
}

var (
	pdfAccountLabel   = regexp.MustCompile(`(?i)(?:^|[^A-Za-z])(?:(?:account|acct\.?|a/c|card)\s*(?:number|no\.?|num\.?|#|nr\.?)|account\s*:|account(?:\s+\d)|账号(?:\s*account\s*no\.?)?|konto-?\s*(?:nummer|nr\.?)|karten-?\s*(?:nummer|nr\.?)|(?:haupt|zusatz)?karte endet auf)\s*[:.]?\s*`)
	pdfAccountValue   = regexp.MustCompile(`^(?:[A-Z]{2}\d{2}[A-Z0-9 ]{8,34}|[\dXx*•.][\dXx*•.\- ]{2,40}\d)`)
	pdfIbanLabel      = regexp.MustCompile(`(?i)^iban\s*:?\s*`)
	pdfNameLabel      = regexp.MustCompile(`(?i)^(?:account name|account holder|customer name|户名(?:\s*account name)?)\s*:?\s*`)
	pdfCurrencyLabel  = regexp.MustCompile(`(?i)^(?:account currency|currency|币种(?:\s*currency)?|ccy)\s*:?\s*`)
	pdfFromLabel      = regexp.MustCompile(`(?i)^(?:起始日期(?:\s*from)?|from date|start date|period from|statement from)\s*:?\s*`)
	pdfToLabel        = regexp.MustCompile(`(?i)^(?:截止日期(?:\s*to)?|to date|end date|period to|statement to)\s*:?\s*`)
	pdfStmtDateLabel  = regexp.MustCompile(`(?i)\b(?:statement date|statement closing date|closing date|date of statement|statement as (?:at|of)|as (?:at|of)|statement issued(?: on)?|issue date|statement dated|rechnungsdatum|auszugsdatum|kontoauszug vom|abrechnung vom)\b\s*:?\s*`)
	pdfShortDateAfter = regexp.MustCompile(`^\s*(?:on\s+)?(\d{1,2}/\d{1,2})\b`)
	pdfMonthPeriod    = regexp.MustCompile(`(?i)\b(?:statement|period|for|month)\b[^0-9]{0,30}?\b` + pdfMonthRE + `\s+(\d{4})\b`)
	pdfFieldWords     = regexp.MustCompile(`(?i)account|acct|a/c|card|iban|name|currency|ccy|from|start|end|to\b|konto|karte|账号|户名|币种|日期`)
	pdfOnWord         = regexp.MustCompile(`(?i)^\s*(on|as (of|at)|at|:)\s*$`)
	pdfPeriodWords    = regexp.MustCompile(`(?i)\b(period|statement|from|for|covering|dates?)\b|期间`)
)

// readFields reads the statement's fields from the rows outside the tables.
func (rd *pdfReader) readFields() error {
	f := &rd.fields
	f.otherAccount = map[string]*pdfRow{}
	sort.SliceStable(rd.outside, func(i, j int) bool {
		a, b := rd.outside[i], rd.outside[j]
		if a.page != b.page {
			return a.page < b.page
		}
		return a.line < b.line
	})
	var labelledPeriod, anyPeriod *pdfRow
	var lp, ap [2]pdfDate
	next := func(i int) *pdfRow {
		if i+1 < len(rd.outside) && rd.outside[i+1].page == rd.outside[i].page {
			return rd.outside[i+1]
		}
		return nil
	}
	for i, r := range rd.outside {
		ps := pdfPhrases(r.words, 0.8)
		for pi, p := range ps {
			text := pdfJoinWords(p)
			if !pdfFieldWords.MatchString(text) {
				continue // no label of a field: most of the page's text
			}
			rest := func(loc []int) (string, []pdfWord) {
				if s := strings.TrimSpace(text[loc[1]:]); s != "" {
					return s, p
				}
				if pi+1 < len(ps) {
					return pdfJoinWords(ps[pi+1]), ps[pi+1]
				}
				// The value printed under its label.
				if n := next(i); n != nil {
					x0, x1 := pdfSpanOf(p)
					for _, q := range pdfPhrases(n.words, 0.8) {
						q0, q1 := pdfSpanOf(q)
						if pdfOverlap(x0, x1, q0, q1) > 0 {
							return pdfJoinWords(q), q
						}
					}
				}
				return "", nil
			}
			if loc := pdfAccountLabel.FindStringIndex(text); loc != nil {
				if loc[1] > 0 && text[loc[1]-1] >= '0' && text[loc[1]-1] <= '9' {
					loc[1]-- // "Account 1234 5678": the label ends before the digit
				}
				v, _ := rest(loc)
				if acct := pdfAccountOf(v); acct != "" {
					if f.account == "" {
						f.account, f.accountRow = acct, r
					} else if !pdfSameAccount(f.account, acct) && !strings.ContainsAny(acct, "Xx*•") {
						if _, seen := f.otherAccount[acct]; !seen {
							f.otherAccount[acct] = r
						}
					}
				}
			}
			if loc := pdfIbanLabel.FindStringIndex(text); loc != nil && f.account == "" {
				v, _ := rest(loc)
				if acct := pdfAccountOf(v); acct != "" {
					f.account, f.accountRow = acct, r
				}
			}
			if loc := pdfNameLabel.FindStringIndex(text); loc != nil && f.name == "" {
				f.name, _ = rest(loc)
			}
			if loc := pdfCurrencyLabel.FindStringIndex(text); loc != nil && f.currency == "" {
				v, _ := rest(loc)
				if m := pdfCurrencyCodes.FindString(strings.ToUpper(v)); m != "" && strings.HasPrefix(strings.ToUpper(strings.TrimSpace(v)), m) {
					f.currency, f.currencyWhy = pdfNormCurrency(m), fmt.Sprintf("labelled on %s", r.where())
				}
			}
			if loc := pdfFromLabel.FindStringIndex(text); loc != nil && f.from == nil {
				v, _ := rest(loc)
				if ds := pdfDatesIn(v); len(ds) > 0 && ds[0].d.hasYear {
					d := ds[0].d
					f.from = &d
				}
			}
			if loc := pdfToLabel.FindStringIndex(text); loc != nil && f.to == nil {
				v, _ := rest(loc)
				if ds := pdfDatesIn(v); len(ds) > 0 && ds[0].d.hasYear {
					d := ds[0].d
					f.to = &d
				}
			}
		}
		text := r.text()
		if loc := pdfStmtDateLabel.FindStringIndex(text); loc != nil && f.stmtDate == nil {
			if ds := pdfDatesIn(text[loc[1]:]); len(ds) > 0 && ds[0].start <= 2 && ds[0].d.hasYear {
				d := ds[0].d
				f.stmtDate, f.stmtDateRow = &d, r
			}
		}
		if from, to, ok := pdfDateRangeIn(text); ok {
			if pdfPeriodWords.MatchString(text) && labelledPeriod == nil {
				labelledPeriod, lp = r, [2]pdfDate{from, to}
			}
			if anyPeriod == nil {
				anyPeriod, ap = r, [2]pdfDate{from, to}
			}
		}
		rd.summaryBalances(r)
	}
	if f.stmtDate == nil {
		// A date standing alone near the top of the first page is the
		// statement's date (Wells Fargo prints "October 31, 2024" there).
		for _, r := range rd.outside {
			if r.page != 1 || r.line > 12 {
				continue
			}
			for _, p := range pdfPhrases(r.words, 0.8) {
				t := pdfJoinWords(p)
				if ds := pdfDatesIn(t); len(ds) == 1 && ds[0].start == 0 && ds[0].end == len(t) && ds[0].d.hasYear && !ds[0].d.numeric {
					d := ds[0].d
					f.stmtDate, f.stmtDateRow, f.stmtDateAlone = &d, r, true
					break
				}
			}
			if f.stmtDate != nil {
				break
			}
		}
	}
	if f.from == nil && f.to == nil && labelledPeriod == nil && anyPeriod == nil {
		// "Statement for November 2024": the whole month.
		for _, r := range rd.outside {
			if m := pdfMonthPeriod.FindStringSubmatch(r.text()); m != nil {
				y, mo := pdfAtoi(m[2]), pdfMonths[strings.ToLower(strings.TrimSuffix(m[1], "."))]
				last := time.Date(y, time.Month(mo)+1, 0, 0, 0, 0, 0, time.UTC).Day()
				lp = [2]pdfDate{{y: y, m: mo, d: 1, hasYear: true}, {y: y, m: mo, d: last, hasYear: true}}
				labelledPeriod = r
				rd.note("the period is the month %s %s named on %s", m[1], m[2], r.where())
				break
			}
		}
	}
	if f.from == nil || f.to == nil {
		switch {
		case labelledPeriod != nil:
			f.from, f.to, f.periodRow = &lp[0], &lp[1], labelledPeriod
		case anyPeriod != nil:
			f.from, f.to, f.periodRow = &ap[0], &ap[1], anyPeriod
		}
	}
	return nil
}

// pdfAccountOf reads an account number at the start of s, or "".
func pdfAccountOf(s string) string {
	v := pdfAccountValue.FindString(strings.TrimSpace(s))
	v = strings.TrimRight(strings.TrimSpace(v), "-. ")
	digits := 0
	for _, r := range v {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	if digits < 4 {
		return ""
	}
	return strings.ReplaceAll(v, " ", "")
}

// pdfSameAccount reports whether two printed account numbers name one
// account: one may be masked or shortened to its last digits.
func pdfSameAccount(a, b string) bool {
	da, db := pdfOnlyDigits(a), pdfOnlyDigits(b)
	if len(da) > len(db) {
		da, db = db, da
	}
	return len(da) >= 4 && strings.HasSuffix(db, da)
}

func pdfOnlyDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func pdfNormCurrency(c string) string {
	if c == "RMB" {
		return "CNY"
	}
	return c
}

// summaryBalances reads "Opening balance £1,234.56", "Beginning Balance
// $5,613.92", "Ending balance on October 31, 2024 $1,622.56": a balance
// label at the start of a cell, and the first amount after it within a
// few words.
func (rd *pdfReader) summaryBalances(r *pdfRow) {
	toks := r.tokens()
	ps := pdfPhrases(r.words, 0.8)
	for _, p := range ps {
		text := pdfJoinWords(p)
		if ds := pdfDatesIn(text); len(ds) > 0 && ds[0].start == 0 {
			text = strings.TrimSpace(text[ds[0].end:])
		}
		closing, n, ok := pdfBalanceLabelAt(text)
		if !ok {
			continue
		}
		// "Beginning balance on October 1, 2024", "Ending balance on
		// 10/31": the balance's date, a bound of the period.
		ds := pdfDatesIn(text[n:])
		if m := pdfShortDateAfter.FindStringSubmatchIndex(text[n:]); len(ds) == 0 && m != nil {
			if d, ok, err := pdfScanDate(text[n+m[2] : n+m[3]]); ok && err == nil {
				ds = []pdfFoundDate{{d: d, start: m[2], end: m[3]}}
			}
		}
		if len(ds) > 0 && strings.TrimSpace(pdfOnWord.ReplaceAllString(text[n:n+ds[0].start], "")) == "" {
			d := ds[0].d
			if closing && rd.fields.closeDate == nil {
				rd.fields.closeDate, rd.fields.closeDateRow = &d, r
			} else if !closing && rd.fields.openDate == nil {
				rd.fields.openDate, rd.fields.openDateRow = &d, r
			}
		}
		words := 0
		for _, t := range toks {
			if t.x0 < p[0].x0 {
				continue
			}
			if t.money != nil && t.x0 > p[0].x0 {
				fm := pdfFieldMoney{v: *t.money, row: r}
				if closing {
					rd.fields.closing = append(rd.fields.closing, fm)
				} else {
					rd.fields.opening = append(rd.fields.opening, fm)
				}
				break
			}
			words++
			if words > 12 {
				break
			}
		}
	}
}

// currency settles the statement's currency.
func (rd *pdfReader) currency() (string, error) {
	f := &rd.fields
	if f.currency != "" {
		return f.currency, nil
	}
	codes := map[string]*pdfRow{}
	symbols := map[string]*pdfRow{}
	dollar := false
	look := func(s string, r *pdfRow) {
		for _, m := range pdfCurrencyCodes.FindAllString(s, -1) {
			if _, ok := codes[pdfNormCurrency(m)]; !ok {
				codes[pdfNormCurrency(m)] = r
			}
		}
		for _, cs := range pdfCurrencySymbols {
			if strings.Contains(s, cs.sym) {
				if _, ok := symbols[cs.code]; !ok {
					symbols[cs.code] = r
				}
				s = strings.ReplaceAll(s, cs.sym, " ")
			}
		}
		if strings.Contains(s, "$") {
			dollar = true
		}
	}
	// The table's own labels and amounts first: the page's fine print may
	// name other currencies.
	for _, t := range rd.tables {
		for _, h := range t.header {
			look(h.text(), h)
		}
	}
	for _, e := range rd.events {
		if e.txn != nil && e.txn.money != nil && e.txn.money.cur != "" {
			look(e.txn.money.cur, e.row)
		}
		if e.txn == nil && e.bal.cur != "" {
			look(e.bal.cur, e.row)
		}
	}
	if len(codes) == 0 && len(symbols) == 0 {
		for _, r := range rd.outside {
			look(r.text(), r)
		}
	}
	pick := func(m map[string]*pdfRow, what string) (string, error) {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		if len(ks) > 1 {
			return "", fmt.Errorf("the statement names several currencies (%s): which is the account's is not labelled", strings.Join(ks, ", "))
		}
		rd.note("currency %s: the %s %s on %s", ks[0], what, ks[0], m[ks[0]].where())
		return ks[0], nil
	}
	if len(codes) > 0 {
		return pick(codes, "code")
	}
	if len(symbols) > 0 {
		return pick(symbols, "symbol of")
	}
	// A bare "$", or no currency printed at all: the country of the bank
	// the statement names settles it, if it names one.
	{
		// Only the statement's own text: descriptions name merchants' towns.
		var all strings.Builder
		for _, r := range rd.outside {
			all.WriteString(r.text())
			all.WriteByte('\n')
		}
		text := all.String()
		var hits []string
		for _, dc := range pdfDollarCountries {
			if dc.re.MatchString(text) {
				hits = append(hits, dc.code)
				if len(hits) == 1 {
					what := "amounts in $"
					if !dollar {
						what = "no currency printed"
					}
					rd.note("currency %s: %s, from %s (%q)", dc.code, what, dc.why, dc.re.FindString(text))
				}
			}
		}
		if len(hits) == 1 {
			return hits[0], nil
		}
		if dollar {
			return "", fmt.Errorf("amounts are in $ but the statement does not say which dollar (no currency code, and %d countries named)", len(hits))
		}
	}
	return "", fmt.Errorf("no currency: no currency label, code or symbol in the statement")
}

// pdfDateOrder settles day-first or month-first for every numeric date in the
// statement from the dates themselves, else from the currency's country.
func (rd *pdfReader) dateOrder(currency string) (pdfDateOrder, error) {
	var dmy, mdy *pdfRow
	numeric := false
	see := func(d *pdfDate, r *pdfRow) {
		if d == nil || !d.numeric {
			return
		}
		numeric = true
		switch d.evidence() {
		case pdfOrderDMY:
			if dmy == nil {
				dmy = r
			}
		case pdfOrderMDY:
			if mdy == nil {
				mdy = r
			}
		}
	}
	f := &rd.fields
	see(f.from, f.periodRow)
	see(f.to, f.periodRow)
	see(f.stmtDate, f.stmtDateRow)
	see(f.openDate, f.openDateRow)
	see(f.closeDate, f.closeDateRow)
	for _, e := range rd.events {
		if e.txn != nil {
			see(&e.txn.date, e.txn.row)
			see(e.txn.valueDate, e.txn.row)
		}
	}
	switch {
	case !numeric:
		return pdfOrderUnknown, nil
	case dmy != nil && mdy != nil:
		return 0, fmt.Errorf("numeric dates read day first on %s and month first on %s", dmy.where(), mdy.where())
	case dmy != nil:
		rd.note("numeric dates are day first (DD/MM), as on %s", dmy.where())
		return pdfOrderDMY, nil
	case mdy != nil:
		rd.note("numeric dates are month first (MM/DD), as on %s", mdy.where())
		return pdfOrderMDY, nil
	}
	switch currency {
	case "USD":
		rd.note("numeric dates read month first (MM/DD), as US banks print them: no date in the statement settles it")
		return pdfOrderMDY, nil
	case "GBP", "AUD", "SGD", "NZD", "HKD", "INR", "EUR", "MYR", "ZAR", "IDR", "PHP", "THB":
		rd.note("numeric dates read day first (DD/MM), as %s banks print them: no date in the statement settles it", currency)
		return pdfOrderDMY, nil
	}
	return 0, fmt.Errorf("numeric dates could be day first or month first, and nothing in the statement settles it")
}

// pdfYearFor gives a date printed without a year the year that puts it in
// the statement period (Dec → Jan periods take two years), or before the
// statement date.
func pdfYearFor(d pdfDate, from, to ferry.Date) (int, bool) {
	best, bestDist, inside := 0, math.Inf(1), 0
	fy, ty := from.Time(time.UTC).Year(), to.Time(time.UTC).Year()
	for y := fy - 1; y <= ty+1; y++ {
		if !pdfValidDate(y, d.m, d.d) {
			continue
		}
		t := ferry.NewDate(y, time.Month(d.m), d.d)
		dist := 0.0
		switch {
		case t.Before(from):
			dist = from.Time(time.UTC).Sub(t.Time(time.UTC)).Hours() / 24
		case t.After(to):
			// A value date may fall a few days after the period; a
			// booking never long after it.
			dist = t.Time(time.UTC).Sub(to.Time(time.UTC)).Hours() / 24 * 8
		default:
			inside++
		}
		if dist < bestDist {
			best, bestDist = y, dist
		}
	}
	// Card and cheque dates can precede the period by some weeks. A
	// period longer than a year holds the date twice: no year is sure.
	return best, bestDist <= 62 && inside <= 1
}

// assemble settles dates, signs and balances and builds the statement.
func (rd *pdfReader) assemble() (ferry.Statement, error) {
	f := &rd.fields
	var st ferry.Statement
	if f.account == "" {
		return st, fmt.Errorf("no account number found (want a label such as \"Account number\", \"Account No.\", \"A/C No\" or \"Card number\" with the number beside or under it)")
	}
	for acct, r := range f.otherAccount {
		rd.warns = append(rd.warns, fmt.Sprintf("%s: another account number %s is printed; Ferry read the file as one statement of account %s", r.where(), acct, f.account))
	}
	sort.Strings(rd.warns)
	cur, err := rd.currency()
	if err != nil {
		return st, err
	}
	order, err := rd.dateOrder(cur)
	if err != nil {
		return st, err
	}
	settle := func(d *pdfDate, r *pdfRow) (ferry.Date, error) {
		v, err := d.withOrder(order)
		if err != nil {
			return ferry.Date{}, &pdfError{where: r.where(), class: ferry.ClassDocumentChanged, err: err}
		}
		*d = v
		if !v.hasYear {
			return ferry.Date{}, nil
		}
		return v.date(), nil
	}
	var from, to ferry.Date
	if f.from != nil && f.to != nil {
		if from, err = settle(f.from, f.periodRow); err != nil {
			return st, err
		}
		if to, err = settle(f.to, f.periodRow); err != nil {
			return st, err
		}
		if to.Before(from) {
			return st, &pdfError{where: f.periodRow.where(), class: ferry.ClassDocumentChanged, err: fmt.Errorf("statement period %s to %s ends before it starts", from, to)}
		}
	}
	var stmtDate ferry.Date
	if f.stmtDate != nil {
		if stmtDate, err = settle(f.stmtDate, f.stmtDateRow); err != nil {
			return st, err
		}
	}
	if from.IsZero() && f.openDate != nil && f.closeDate != nil {
		// The dates of the opening and closing balances bound the period;
		// printed without a year, they take it from the statement date.
		a, err := settle(f.openDate, f.openDateRow)
		if err != nil {
			return st, err
		}
		b, err := settle(f.closeDate, f.closeDateRow)
		if err != nil {
			return st, err
		}
		if (!f.openDate.hasYear || !f.closeDate.hasYear) && !stmtDate.IsZero() {
			for _, d := range []*pdfDate{f.openDate, f.closeDate} {
				if !d.hasYear {
					if y, ok := pdfYearFor(*d, stmtDate.AddDays(-365), stmtDate); ok {
						d.y, d.hasYear = y, true
					}
				}
			}
			a, b = f.openDate.date(), f.closeDate.date()
		}
		if f.openDate.hasYear && f.closeDate.hasYear && !b.Before(a) {
			from, to = a, b
			rd.note("the period %s to %s is the dates of the opening and closing balances (%s, %s)", from, to, f.openDateRow.where(), f.closeDateRow.where())
		}
	}
	// Transaction dates.
	var txns []*pdfTxn
	for _, e := range rd.events {
		if e.txn != nil {
			txns = append(txns, e.txn)
		}
	}
	lo, hi := from, to
	var yearFrom string
	switch {
	case !from.IsZero():
		yearFrom = fmt.Sprintf("the statement period %s to %s", from, to)
	case !stmtDate.IsZero():
		lo, hi = stmtDate.AddDays(-365), stmtDate
		yearFrom = fmt.Sprintf("the statement date %s", stmtDate)
		if f.stmtDateAlone {
			yearFrom = fmt.Sprintf("the statement date %s (the date printed alone on %s)", stmtDate, f.stmtDateRow.where())
		}
	}
	lines := make([]ferry.StatementLine, len(txns))
	noYear := 0
	for i, x := range txns {
		where := x.row
		if x.dateRow != nil {
			where = x.dateRow
		}
		resolve := func(d *pdfDate) (ferry.Date, error) {
			if _, err := settle(d, where); err != nil {
				return ferry.Date{}, err
			}
			if !d.hasYear {
				if yearFrom == "" {
					return ferry.Date{}, pdfErrorfAt(where, "the date %02d-%02d has no year, and the statement prints no period or statement date to take it from", d.m, d.d)
				}
				y, ok := pdfYearFor(*d, lo, hi)
				if !ok {
					return ferry.Date{}, pdfErrorfAt(where, "the date %02d-%02d lies outside %s in every year", d.m, d.d, yearFrom)
				}
				d.y, d.hasYear = y, true
				noYear++
			}
			return d.date(), nil
		}
		if lines[i].BookingDate, err = resolve(&x.date); err != nil {
			return st, err
		}
		lines[i].ValueDate = lines[i].BookingDate
		if x.valueDate != nil {
			if lines[i].ValueDate, err = resolve(x.valueDate); err != nil {
				return st, err
			}
		}
		lines[i].Description = strings.Join(x.desc, " ")
		lines[i].Reference = strings.Join(x.ref, " ")
		// The bank's serial number identifies the transaction (unless it
		// is a placeholder), and is the line's reference when it has no
		// other, as the table readers have it.
		if id := strings.Join(x.txid, ""); id != "" {
			if lines[i].Reference == "" {
				lines[i].Reference = id
			}
			if ferry.NormalizeReference(id) != "" {
				lines[i].TransactionID = id
			}
		}
		lines[i].Counterparty = strings.Join(x.cp, " ")
	}
	if noYear > 0 {
		rd.note("dates printed without a year (%d): the year comes from %s", noYear, yearFrom)
	}
	switch {
	case !from.IsZero():
	case !stmtDate.IsZero() && len(lines) > 0:
		from, to = pdfEarliest(lines), stmtDate
		rd.note("no statement period printed: the period runs from the first transaction to the statement date %s", stmtDate)
	case len(lines) > 0:
		from, to = pdfEarliest(lines), pdfLatest(lines)
		rd.note("no statement period printed: the period runs from the first to the last transaction")
	case !stmtDate.IsZero():
		from, to = stmtDate, stmtDate
	default:
		return st, fmt.Errorf("no statement period and no transactions")
	}
	if err := rd.resolveSigns(txns); err != nil {
		return st, err
	}
	bal, err := rd.balances(txns)
	if err != nil {
		return st, err
	}
	for i, x := range txns {
		l := &lines[i]
		l.Account, l.Currency = f.account, cur
		l.Amount = x.money.abs
		if x.sign < 0 {
			l.Amount = l.Amount.Neg()
		}
		if x.balance != nil {
			l.BalanceAfter = bal.value(*x.balance)
		}
	}
	st = ferry.Statement{
		Account: f.account, Name: strings.TrimSpace(f.name), Currency: cur, From: from, To: to, Lines: lines,
		NoBalances: !bal.stated,
	}
	if bal.stated {
		st.Opening, st.Closing = bal.opening, bal.closing
		st.Balances = []ferry.Balance{{Type: "opening", Amount: bal.opening, Currency: cur, Date: from}, {Type: "closing", Amount: bal.closing, Currency: cur, Date: to}}
	}
	for _, p := range rd.blank {
		rd.warns = append(rd.warns, fmt.Sprintf("page %d is a scanned image without a text layer: Ferry does not OCR scanned pages, so any transactions on it are not read", p))
	}
	st.Notes, st.Warnings = rd.notes, rd.warns
	return st, nil
}

func pdfEarliest(ls []ferry.StatementLine) ferry.Date {
	d := ls[0].BookingDate
	for _, l := range ls {
		if l.BookingDate.Before(d) {
			d = l.BookingDate
		}
	}
	return d
}

func pdfLatest(ls []ferry.StatementLine) ferry.Date {
	d := ls[0].BookingDate
	for _, l := range ls {
		if l.BookingDate.After(d) {
			d = l.BookingDate
		}
	}
	return d
}
