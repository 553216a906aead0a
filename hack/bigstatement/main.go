// Command bigstatement writes a long bank statement export in the sandbox
// bank's layout, for measuring how Ferry reads large files:
//
//	go run ./hack/bigstatement -lines 1000000 -format xlsx -o /tmp/big.xlsx
//	/usr/bin/time -v ferry parse /tmp/big.xlsx --json > /dev/null
//
// The lines repeat the sandbox's transactions with the balance chain kept
// and every serial number unique.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/sandbox"
)

func main() {
	lines := flag.Int("lines", 1_000_000, "how many transaction lines")
	format := flag.String("format", "xlsx", "xlsx or csv")
	out := flag.String("o", "", "output file (required)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "bigstatement: -o FILE is required")
		os.Exit(2)
	}
	bank := sandbox.New(sandbox.Options{Seed: 1})
	st, err := bank.Statement("6222021000010001", ferry.NewDate(2025, 1, 1), ferry.NewDate(2026, 12, 31))
	if err != nil {
		fmt.Fprintln(os.Stderr, "bigstatement:", err)
		os.Exit(1)
	}
	base := st.Lines
	st.Lines = make([]ferry.StatementLine, 0, *lines)
	bal := st.Opening
	for i := 0; len(st.Lines) < *lines; i++ {
		l := base[i%len(base)]
		l.Reference = fmt.Sprintf("%s-%07d", l.Reference, i)
		l.TransactionID = l.Reference
		bal = bal.Add(l.Amount)
		l.BalanceAfter = bal
		st.Lines = append(st.Lines, l)
	}
	st.Closing = bal
	var data []byte
	switch *format {
	case "xlsx":
		data, err = sandbox.RenderXLSX(st)
	case "csv":
		data, err = sandbox.RenderCSV(st)
	default:
		err = fmt.Errorf("unknown format %q (want xlsx or csv)", *format)
	}
	if err == nil {
		err = os.WriteFile(*out, data, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bigstatement:", err)
		os.Exit(1)
	}
}
