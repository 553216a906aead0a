package main

import (
	"fmt"
	"os"

	"github.com/ferry-rpa/ferry/statements"
	"github.com/spf13/cobra"
)

type mappingSuggestOptions struct {
	encoding string
	account  string
}

func newMappingSuggestCmd(g *globals) *cobra.Command {
	var o mappingSuggestOptions
	c := &cobra.Command{
		Use:   "suggest FILE",
		Short: "Print the mapping Ferry infers for an export, as YAML for review",
		Long: `Read the first rows of a CSV or XLSX export and print, as a mapping file, what
Ferry's automatic recognition makes of it: the encoding, the delimiter, which
column serves as what, the sign values, the date order, the decimal mark and
the account, each with a comment saying why. Review it, correct it, save it and
pass it to ferry parse --mapping. When the table cannot be recognised, a
skeleton naming its columns is printed and the command fails with the reason.`,
		Example: `  ferry mapping suggest export.csv > banks/mybank.yaml
  ferry parse export.csv --mapping banks/mybank.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runMappingSuggest(cmd, g, o, args[0])
		},
	}
	c.Flags().StringVar(&o.encoding, "encoding", "", "text encoding of a CSV export instead of detecting it (utf-8, utf-16le, gb18030, windows-1252, iso-8859-15 ...)")
	c.Flags().StringVar(&o.account, "account", "", "the account the export belongs to, when the file names none")
	return c
}

func runMappingSuggest(cmd *cobra.Command, g *globals, o mappingSuggestOptions, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	out, err := statements.SuggestMapping(cmd.Context(), file, f, st.Size(), statements.Options{Encoding: o.encoding, Account: o.account})
	if len(out) > 0 {
		fmt.Fprint(g.stdout, string(out))
	}
	return err
}
