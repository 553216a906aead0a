package statements

import (
	"fmt"
	"strings"

	"github.com/ferry-rpa/ferry"
)

// idLike reports whether a text a format puts where the bank's own
// transaction id goes looks like one: a single token of at least six
// letters, digits and joiners, with three digits or, eight characters
// long, one; not one character repeated. Banks also write free text there: Danske Bank's
// MT940 wraps its booking text across the ":61:" reference and the part
// after "//" ("Gebyrer ifolge//nota", "DBT.dansken//momsmanual"); used as
// an identity on its own, such a word would make next month's fee "the
// same transaction" as this month's, and it would be dropped.
func idLike(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) < 6 || len(s) > 64 {
		return false
	}
	digits := 0
	same := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			digits++
		case isAlnum(c), c >= 'a' && c <= 'z', c == '-', c == '.', c == '_', c == '/', c == ':', c == '+':
		default:
			return false // spaces and other text: words, not an id
		}
		if c != s[0] {
			same = false
		}
	}
	if same {
		return false // 6666666666666: an anonymised or filler number
	}
	// Three digits make a number; a code of letters and digits needs more
	// length to be more than a word with a digit in it.
	return digits >= 3 || digits >= 1 && len(s) >= 8
}

// settleTransactionIDs keeps TransactionID only where it is what it
// claims to be: the bank's own id, unique per account. An id the file
// gives to two different lines of one account (cmxl's sample repeats
// "//55555") would make different transactions share a dedup key and the
// later one be dropped. Such an id is moved into the line's Reference
// instead, where it joins the content key with the date, amount and
// texts, and each statement says how many lines it concerns.
func settleTransactionIDs(sts []ferry.Statement) {
	type key struct{ account, id string }
	seen := map[key]int{}
	for _, st := range sts {
		for _, l := range st.Lines {
			if l.TransactionID != "" {
				seen[key{l.Account, l.TransactionID}]++
			}
		}
	}
	for i := range sts {
		repeated := 0
		for j := range sts[i].Lines {
			l := &sts[i].Lines[j]
			if l.TransactionID != "" && seen[key{l.Account, l.TransactionID}] > 1 {
				l.Reference = joinReference(l.Reference, l.TransactionID)
				l.TransactionID = ""
				repeated++
			}
		}
		if repeated > 0 {
			sts[i].Notes = append(sts[i].Notes, fmt.Sprintf("%d lines share a bank reference with another line: it is kept in the reference, not used as their transaction id", repeated))
		}
	}
}

// joinReference adds a bank reference to a line's reference the way
// MT940 writes the two ("customer//bank"), once.
func joinReference(ref, bank string) string {
	ref, bank = strings.TrimSpace(ref), strings.TrimSpace(bank)
	switch {
	case ref == "" || ref == bank:
		return bank
	case strings.HasSuffix(ref, "//"+bank):
		return ref
	}
	return ref + "//" + bank
}
