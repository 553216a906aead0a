package statements

import (
	"fmt"

	"github.com/ferry-rpa/ferry"
)

// dropRepeatedIDs keeps TransactionID only where it is what it claims to
// be: unique per account. A bank that writes the same reference on two
// different lines of one file (cmxl's sample repeats "//55555") would
// otherwise have the second line dropped as a duplicate of the first.
// Such ids are cleared on every line that shares them, and the statement
// says so.
func dropRepeatedIDs(sts []ferry.Statement) {
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
		cleared := 0
		for j := range sts[i].Lines {
			l := &sts[i].Lines[j]
			if l.TransactionID != "" && seen[key{l.Account, l.TransactionID}] > 1 {
				l.TransactionID = ""
				cleared++
			}
		}
		if cleared > 0 {
			sts[i].Notes = append(sts[i].Notes, fmt.Sprintf("%d lines share a bank reference with another line: it is not used as their transaction id", cleared))
		}
	}
}
