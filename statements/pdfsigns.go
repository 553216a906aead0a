package statements

import (
	"errors"
	"fmt"

	"github.com/ferry-rpa/ferry"
	"github.com/shopspring/decimal"
)

// Signs. A debit or credit column gives its amounts their sign. A single
// amount column takes it from the section the table is in ("CHECKS PAID"),
// the amount's own mark (CR, DR, a minus, brackets), the column's
// convention (only credits marked CR: the others are debits), or, for what
// is left, the running balance. An amount whose sign none of these settles
// is an error: a sign is never guessed.

// resolveSigns settles every sign it can without the balances.
func (rd *pdfReader) resolveSigns(txns []*pdfTxn) error {
	// The column's habit is counted over the whole statement: a header
	// repeated on every page is one column, and one page may hold no
	// marked amount.
	type colKey struct{ label string }
	marks := map[colKey][2]int{} // credits marked, debits marked
	for _, x := range txns {
		if x.role != pdfRoleAmount || pdfSignedSection(x.section) != 0 {
			continue
		}
		k := colKey{pdfNormLabel(x.colLabel)}
		c := marks[k]
		switch rd.markSign(*x.money) {
		case 1:
			c[0]++
		case -1:
			c[1]++
		}
		marks[k] = c
	}
	noted := map[any]bool{}
	for _, x := range txns {
		if x.role != pdfRoleAmount {
			continue
		}
		m := x.money
		mark := rd.markSign(*m)
		if want := pdfSignedSection(x.section); want != 0 {
			if mark != 0 && mark != want {
				return pdfErrorfAt(x.row, "amount %s is marked %q, but it is under %q, a section of %s", m.abs.StringFixed(2), m.mark, x.section.title, pdfKindWord(want))
			}
			x.sign, x.signSource = want, "section"
			if k := pdfNormHeading(x.section.title); !noted[k] {
				noted[k] = true
				rd.note("%s: the amounts under %q are %s", x.section.row.where(), x.section.title, pdfKindWord(want))
			}
			continue
		}
		if mark != 0 {
			x.sign, x.signSource = mark, "mark"
			continue
		}
		k := colKey{pdfNormLabel(x.colLabel)}
		c := marks[k]
		switch {
		case c[0] > 0 && c[1] == 0:
			x.sign, x.signSource = -1, "convention"
			if !noted[k] {
				noted[k] = true
				rd.note("%s: amounts without a mark in the %q column are debits: the column marks its %d credits (CR or +)", x.table.header[0].where(), x.colLabel, c[0])
			}
		case c[1] > 0 && c[0] == 0:
			x.sign, x.signSource = 1, "convention"
			if !noted[k] {
				noted[k] = true
				rd.note("%s: amounts without a mark in the %q column are credits: the column marks its %d debits (a minus, DR or brackets)", x.table.header[0].where(), x.colLabel, c[1])
			}
		}
	}
	return nil
}

// markSign is the sign an amount's mark gives it. On a credit card
// statement a minus (or brackets) marks a credit: a payment or a refund.
func (rd *pdfReader) markSign(m pdfMoney) int {
	if rd.card && (m.mark == "-" || m.mark == "()") {
		return 1
	}
	return m.sign
}

func pdfSignedSection(s *pdfSection) int {
	switch {
	case s == nil:
		return 0
	case s.kind == pdfSectionCredits:
		return 1
	case s.kind == pdfSectionDebits:
		return -1
	}
	return 0
}

func pdfKindWord(sign int) string {
	if sign > 0 {
		return "credits"
	}
	return "debits"
}

// pdfBalanceResult is what the balances say.
type pdfBalanceResult struct {
	stated           bool
	opening, closing decimal.Decimal
	// liability is set when the printed balances are amounts owed (a card
	// or loan account): an unmarked balance is then negative.
	liability bool
}

// value is a printed balance as the account holder's money. An amount
// owed (liability) prints unmarked or DR, and a credit balance with CR or
// a minus.
func (b pdfBalanceResult) value(m pdfMoney) decimal.Decimal {
	if !b.liability {
		return m.signed()
	}
	switch {
	case m.sign == 0, m.mark == "DR", m.mark == "D", m.mark == "OD", m.mark == "O/D":
		return m.abs.Neg()
	}
	return m.abs
}

// pdfChainItem is a step of the running balance: a transaction (with the
// balance printed after it, if any) or a printed balance.
type pdfChainItem struct {
	txn  *pdfTxn
	bal  *pdfMoney
	row  *pdfRow
	page int // for a summary balance: before the first page or after the last
}

var pdfErrSignUnknown = errors.New("sign not known")

type pdfChainError struct {
	err      error
	mismatch bool
}

func (e *pdfChainError) Error() string { return e.err.Error() }
func (e *pdfChainError) Unwrap() error { return e.err }

// balances settles the opening and closing balance, checks the running
// balance through every printed balance, and settles from it the signs
// nothing else did.
func (rd *pdfReader) balances(txns []*pdfTxn) (pdfBalanceResult, error) {
	f := &rd.fields
	var items []pdfChainItem
	open, err := pdfOneBalance(f.opening, "opening")
	if err != nil {
		return pdfBalanceResult{}, err
	}
	closing, err := pdfOneBalance(f.closing, "closing")
	if err != nil {
		return pdfBalanceResult{}, err
	}
	if open != nil {
		items = append(items, pdfChainItem{bal: &open.v, row: open.row, page: 0})
	}
	for i := range rd.events {
		e := &rd.events[i]
		if e.txn != nil {
			items = append(items, pdfChainItem{txn: e.txn, bal: e.txn.balance, row: e.row, page: e.row.page})
		} else {
			items = append(items, pdfChainItem{bal: &e.bal, row: e.row, page: e.row.page})
		}
	}
	if closing != nil {
		items = append(items, pdfChainItem{bal: &closing.v, row: closing.row, page: rd.pages + 1})
	}
	res := pdfBalanceResult{}
	signs, warns, err := rd.runChain(items, res)
	if ce := (*pdfChainError)(nil); errors.As(err, &ce) && ce.mismatch && pdfHasUnmarked(items) {
		liab := pdfBalanceResult{liability: true}
		if s2, w2, err2 := rd.runChain(items, liab); err2 == nil {
			signs, warns, err, res = s2, w2, nil, liab
			rd.note("the balances are amounts owed (a card or loan account): a balance without a mark is a debit balance")
		}
	}
	if err != nil {
		return res, err
	}
	rd.warns = append(rd.warns, warns...)
	inferred := 0
	for x, s := range signs {
		x.sign, x.signSource = s, "balance"
		inferred++
	}
	if inferred > 0 {
		rd.note("the sign of %d amounts comes from the running balance", inferred)
	}
	// Opening: a balance before the first transaction, else the first
	// transaction's printed balance less its amount. Closing: a balance
	// after the last one, else the last transaction's printed balance.
	first, last := -1, -1
	for i, it := range items {
		if it.txn != nil {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	var haveOpen, haveClose bool
	switch {
	case first < 0 && len(items) > 0:
		res.opening, res.closing = res.value(*items[0].bal), res.value(*items[len(items)-1].bal)
		haveOpen, haveClose = true, true
	case first > 0:
		res.opening, haveOpen = res.value(*items[first-1].bal), true
	case first == 0 && items[0].bal != nil:
		x := items[0].txn
		res.opening, haveOpen = res.value(*items[0].bal).Sub(pdfSignedAmount(x)), true
		rd.note("no opening balance printed: it is the first line's balance less its amount")
	}
	switch {
	case first < 0:
	case last < len(items)-1:
		res.closing, haveClose = res.value(*items[len(items)-1].bal), true
	case items[last].bal != nil:
		res.closing, haveClose = res.value(*items[last].bal), true
		rd.note("no closing balance printed: it is the last line's balance")
	}
	res.stated = haveOpen && haveClose
	if !res.stated {
		switch {
		case haveOpen:
			rd.warns = append(rd.warns, "only the opening balance is printed: nothing to reconcile the lines against")
		case haveClose:
			rd.warns = append(rd.warns, "only the closing balance is printed: nothing to reconcile the lines against")
		default:
			rd.note("no balances printed: nothing to reconcile the lines against")
		}
	}
	return res, nil
}

func pdfSignedAmount(x *pdfTxn) decimal.Decimal {
	if x.sign < 0 {
		return x.money.abs.Neg()
	}
	return x.money.abs
}

func pdfHasUnmarked(items []pdfChainItem) bool {
	for _, it := range items {
		if it.bal != nil && it.bal.sign == 0 {
			return true
		}
	}
	return false
}

// pdfOneBalance returns the one opening (or closing) balance the statement's
// fields state, or an error when they state different ones.
func pdfOneBalance(fs []pdfFieldMoney, what string) (*pdfFieldMoney, error) {
	if len(fs) == 0 {
		return nil, nil
	}
	for _, o := range fs[1:] {
		if !o.v.abs.Equal(fs[0].v.abs) || o.v.sign != fs[0].v.sign {
			return nil, &pdfError{where: o.row.where(), class: ferry.ClassDocumentChanged,
				err: fmt.Errorf("a second %s balance %s (the first, %s, is on %s): more than one account or statement in the file?", what, o.v.signed().StringFixed(2), fs[0].v.signed().StringFixed(2), fs[0].row.where())}
		}
	}
	return &fs[0], nil
}

// runChain walks the running balance. It returns the signs it settled and
// warnings for breaks that a page without text explains.
func (rd *pdfReader) runChain(items []pdfChainItem, b pdfBalanceResult) (map[*pdfTxn]int, []string, error) {
	signs := map[*pdfTxn]int{}
	var warns []string
	var running *decimal.Decimal
	known := decimal.Zero
	var unknown []*pdfTxn
	anchorPage := 0
	for _, it := range items {
		if x := it.txn; x != nil {
			if x.sign == 0 {
				unknown = append(unknown, x)
			} else {
				known = known.Add(pdfSignedAmount(x))
			}
		}
		if it.bal == nil {
			continue
		}
		v := b.value(*it.bal)
		if running == nil {
			if len(unknown) > 0 {
				return nil, nil, pdfSignError(unknown[0])
			}
			r := v
			running, known, anchorPage = &r, decimal.Zero, it.page
			continue
		}
		diff := v.Sub(*running).Sub(known)
		ok := diff.IsZero()
		if len(unknown) > 0 {
			sol, n := pdfSolveSigns(unknown, diff)
			switch n {
			case 1:
				for i, x := range unknown {
					signs[x] = sol[i]
				}
				ok = true
			case 2:
				return nil, nil, pdfErrorfAt(unknown[0].row, "cannot tell which of %d amounts are debits and which credits: no CR/DR mark, no minus, no section, and the balances fit more than one way", len(unknown))
			}
		}
		if !ok {
			gap, what := rd.blankBetween(anchorPage, it.page)
			where := "the statement's end"
			if it.row != nil {
				where = it.row.where()
			}
			if gap == 0 {
				return nil, nil, &pdfChainError{mismatch: true, err: &pdfError{where: where, class: ferry.ClassValidationFailed,
					err: fmt.Errorf("%w: the running balance is %s here, the statement prints %s: a line was missed or misread", ferry.ErrUnreconciled, running.Add(known).StringFixed(2), v.StringFixed(2))}}
			}
			warns = append(warns, fmt.Sprintf("%s: the running balance is %s, the statement prints %s: the transactions on page %d, %s, are missing (Ferry does not OCR scanned pages), so the statement does not reconcile", where, running.Add(known).StringFixed(2), v.StringFixed(2), gap, what))
		}
		r := v
		running, known, unknown, anchorPage = &r, decimal.Zero, nil, it.page
	}
	if len(unknown) > 0 {
		return nil, nil, pdfSignError(unknown[0])
	}
	return signs, warns, nil
}

func pdfSignError(x *pdfTxn) error {
	return &pdfChainError{err: pdfErrorfAt(x.row, "cannot tell whether %s in the %q column is a debit or a credit: %w (no CR/DR mark, no minus, no section heading, and no balance to follow)", x.money.abs.StringFixed(2), x.colLabel, pdfErrSignUnknown)}
}

// blankBetween returns a page without text (or with almost none: a scan
// with a printed page number) between two pages, or 0, and what it has.
func (rd *pdfReader) blankBetween(from, to int) (int, string) {
	for _, p := range rd.blank {
		if p > from && p < to {
			return p, "which is a scanned image without text"
		}
	}
	for _, p := range rd.sparse {
		if p > from && p < to {
			return p, "which is a scanned image with almost no text"
		}
	}
	return 0, ""
}

// pdfSolveSigns finds signs for amounts that add up to diff. n is the number
// of solutions found (0, 1, or 2 for "more than one").
func pdfSolveSigns(xs []*pdfTxn, diff decimal.Decimal) ([]int, int) {
	const maxUnknown = 14
	if len(xs) > maxUnknown {
		return nil, 2
	}
	var sol []int
	n := 0
	for mask := 0; mask < 1<<len(xs); mask++ {
		sum := decimal.Zero
		for i, x := range xs {
			if mask&(1<<i) != 0 {
				sum = sum.Sub(x.money.abs)
			} else {
				sum = sum.Add(x.money.abs)
			}
		}
		if sum.Equal(diff) {
			n++
			if n > 1 {
				return nil, 2
			}
			sol = make([]int, len(xs))
			for i := range xs {
				sol[i] = 1
				if mask&(1<<i) != 0 {
					sol[i] = -1
				}
			}
		}
	}
	return sol, n
}
