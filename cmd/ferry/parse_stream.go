package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/statements"
	"github.com/ferry-rpa/ferry/storage"
)

// streamThreshold is the default size above which a CSV or XLSX statement is read
// row by row instead of whole: its lines go to a spool file per account and
// are printed from there, so memory stays flat for a million-line export.
// A streamed statement's balance chain is checked as it is read: a break is
// an error naming the row, where a statement read whole is printed with
// its verdict.
const streamThreshold = 32 << 20

// streamable reports whether file f is a table export to stream.
func streamable(f, format string, threshold int64) (bool, error) {
	st, err := os.Stat(f)
	if err != nil {
		return false, err
	}
	if st.Size() <= threshold || format == "invoice" {
		return false, nil
	}
	switch statements.Format(format) {
	case statements.CSV, statements.XLSX:
		return true, nil
	case "":
	default:
		return false, nil
	}
	h, err := os.Open(f)
	if err != nil {
		return false, err
	}
	defer h.Close()
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(h, head)
	d, err := statements.Detect(f, head[:n])
	return err == nil && (d == statements.CSV || d == statements.XLSX), nil
}

// spool holds one account's lines, as JSON records, in a temporary file.
type spool struct {
	file  *os.File
	w     *bufio.Writer
	enc   *json.Encoder
	keyer ferry.LineKeyer
	n     int
}

func streamTable(ctx context.Context, pr *printer, mapping *statements.Mapping, f string) error {
	o := pr.o
	// What stays live while a table streams is small (the shared strings
	// and one key per line), but the garbage of a million rows is not: a
	// tighter collector target keeps the peak near the live heap.
	defer debug.SetGCPercent(debug.SetGCPercent(25))
	in, err := os.Open(f)
	if err != nil {
		return err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return err
	}
	spools := map[string]*spool{}
	defer func() {
		for _, sp := range spools {
			sp.file.Close()
			os.Remove(sp.file.Name())
		}
	}()
	sts, _, err := statements.Scan(ctx, f, in, info.Size(), statements.Options{Format: statements.Format(o.format), Mapping: mapping}, func(l ferry.StatementLine) error {
		sp := spools[l.Account]
		if sp == nil {
			tmp, err := os.CreateTemp("", "ferry-parse-*.jsonl")
			if err != nil {
				return err
			}
			sp = &spool{file: tmp, w: bufio.NewWriterSize(tmp, 1<<20)}
			sp.enc = json.NewEncoder(sp.w)
			sp.enc.SetEscapeHTML(false)
			spools[l.Account] = sp
		}
		sp.n++
		return sp.enc.Encode(storage.NewLineRecord(0, sp.keyer.Key(l), l))
	})
	if err != nil {
		return err
	}
	for _, st := range sts {
		sp := spools[st.Account]
		n := 0
		if sp != nil {
			n = sp.n
		}
		lines := func(yield func(storage.LineRecord) error) error { return nil }
		if sp != nil {
			if err := sp.w.Flush(); err != nil {
				return err
			}
			if _, err := sp.file.Seek(0, io.SeekStart); err != nil {
				return err
			}
			lines = func(yield func(storage.LineRecord) error) error {
				dec := json.NewDecoder(bufio.NewReaderSize(sp.file, 1<<20))
				for {
					var r storage.LineRecord
					if err := dec.Decode(&r); err == io.EOF {
						return nil
					} else if err != nil {
						return fmt.Errorf("%s: spooled lines: %w", f, err)
					}
					if err := yield(r); err != nil {
						return err
					}
				}
			}
		}
		// The chain was checked while streaming: a break was an error.
		if err := pr.statement(f, st, n, nil, lines); err != nil {
			return err
		}
	}
	return nil
}
