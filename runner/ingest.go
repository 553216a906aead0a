package runner

// Ingest: a run's downloads become stored statements. CSV and XLSX exports
// are read row by row from their artifact files, twice: once to check them
// (formats agree, the balance chain holds, the count is what the site
// listed), once to store them; memory does not grow with their length.
// Other formats are read whole: their readers bound their size.

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/crashpoint"
	"github.com/ferry-rpa/ferry/statements"
)

// stored is a download the run stored as an artifact; its bytes are read
// back from the artifact file when it is ingested.
type stored struct {
	artifact ferry.Artifact
}

// detectWindow is how much of a file format detection reads
// (statements.Detect looks at no more).
const detectWindow = 64 << 10

// ingest parses every download and stores each account's statement once.
// The formats of one account must agree record for record; a statement
// that does not reconcile, or that disagrees with the rows the site showed,
// is held back.
func (r *Runner) ingest(ctx context.Context, run ferry.RunRecord, downloads []stored, rowsSeen map[string]int) (IngestSummary, error) {
	var sum IngestSummary
	byAccount := map[string][]stored{}
	var order []string
	for _, d := range downloads {
		if _, ok := byAccount[d.artifact.Account]; !ok {
			order = append(order, d.artifact.Account)
		}
		byAccount[d.artifact.Account] = append(byAccount[d.artifact.Account], d)
	}
	sort.Strings(order)
	sinks := make([]string, len(r.cfg.Sinks))
	for i, s := range r.cfg.Sinks {
		sinks[i] = s.Name()
	}
	for _, acct := range order {
		lines, res, problem, err := r.ingestAccount(ctx, run, acct, byAccount[acct], rowsSeen, sinks)
		if err != nil {
			return sum, err
		}
		crashpoint.Hit("commit")
		sum.Statements++
		sum.Lines += lines
		sum.NewLines += res.NewLines
		if problem != "" {
			sum.Held++
			sum.Problems = append(sum.Problems, acct+": "+problem)
		}
	}
	return sum, nil
}

// ingestAccount checks an account's downloads and stores its statement
// from the first of them: held, with its problem, when a check fails.
func (r *Runner) ingestAccount(ctx context.Context, run ferry.RunRecord, acct string, files []stored, rowsSeen map[string]int, sinks []string) (int, ferry.SaveResult, string, error) {
	docs := make([]*document, len(files))
	for i, f := range files {
		crashpoint.Hit("parse")
		d, err := r.check(ctx, acct, f.artifact, i == 0)
		if err != nil {
			return 0, ferry.SaveResult{}, "", err // document changed: the artifact is kept, nothing delivered
		}
		docs[i] = d
	}
	problem, err := verdict(ctx, acct, docs, rowsSeen)
	if err != nil {
		return 0, ferry.SaveResult{}, "", err
	}
	p := docs[0]
	var res ferry.SaveResult
	switch {
	case problem != "":
		res, err = r.cfg.DB.HoldStatement(ctx, run.ID, p.art.ID, p.header, p.lines, problem)
	case p.whole != nil:
		res, err = r.cfg.DB.SaveStatement(ctx, run.ID, p.art.ID, *p.whole, sinks, "")
	default:
		res, err = r.cfg.DB.SaveStatementLines(ctx, run.ID, p.art.ID, p.header, p.stream(ctx), sinks)
		if errors.Is(err, ferry.ErrLegacyPending) {
			// Lines the previous version stored are matched on the whole
			// statement: read it whole, this once.
			r.cfg.Logger.Info().Str("file", p.art.Name).Msg("matching lines the previous version stored: the statement is read whole")
			var st ferry.Statement
			if st, err = p.parseWhole(ctx); err == nil {
				res, err = r.cfg.DB.SaveStatement(ctx, run.ID, p.art.ID, st, sinks, "")
			}
		}
	}
	return p.lines, res, problem, err
}

// document is one download of an account, as the checks read it.
type document struct {
	// hook is the runner's test hook (nil outside tests).
	hook   func(point string)
	art    ferry.Artifact
	src    ferry.ArtifactStore // holds the artifact's bytes
	opts   statements.Options
	format statements.Format
	// header is the statement without its lines; when the file does not
	// reconcile as it streams (problem set), only what its lines showed
	// until then.
	header ferry.Statement
	// whole is the statement with its lines, for the first download of an
	// account when its format is read whole.
	whole   *ferry.Statement
	partial bool // header is only what the lines showed
	lines   int
	digest  lineDigest
	problem string // the file's own: it does not reconcile
}

// artifactFile is an artifact's bytes as a file, readable at any offset
// (XLSX is a zip), with its size.
type artifactFile struct {
	*os.File
	size int64
	temp bool // a copy of bytes the store keeps elsewhere: removed at Close
}

// Close closes the file and removes it if it is a copy.
func (f *artifactFile) Close() error {
	err := f.File.Close()
	if f.temp {
		_ = os.Remove(f.Name())
	}
	return err
}

// open opens the document's bytes. A store that keeps them as files (on
// disk) hands the file itself; one that keeps them elsewhere (in the
// database) is copied to a private temporary file first, so that a large
// download is never held in memory.
func (d *document) open(ctx context.Context) (*artifactFile, error) {
	fail := func(err error) error {
		return ferry.Errorf(ferry.ClassInternal, d.art.Name, "artifact %s: %v", d.art.SHA256, err)
	}
	rc, err := d.src.OpenArtifact(ctx, d.art.SHA256)
	if err != nil {
		return nil, fail(err)
	}
	if f, ok := rc.(*os.File); ok {
		info, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, fail(err)
		}
		return &artifactFile{File: f, size: info.Size()}, nil
	}
	defer rc.Close()
	tmp, err := os.CreateTemp("", "ferry-artifact-*") // 0600
	if err != nil {
		return nil, fail(err)
	}
	af := &artifactFile{File: tmp, temp: true}
	if af.size, err = io.Copy(tmp, rc); err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		af.Close()
		return nil, fail(err)
	}
	return af, nil
}

// streamed reports whether the document is read row by row.
func (d *document) streamed() bool { return d.format == statements.CSV || d.format == statements.XLSX }

// check reads a download once: its header, line count, digest and whether
// it reconciles. keep keeps a statement read whole.
func (r *Runner) check(ctx context.Context, acct string, a ferry.Artifact, keep bool) (*document, error) {
	d := &document{art: a, src: r.cfg.DB, opts: statements.Options{Account: acct}}
	if h := r.hook.Load(); h != nil {
		d.hook = *h
	}
	f, err := d.open(ctx)
	if err != nil {
		return nil, err
	}
	head := make([]byte, detectWindow)
	n, err := io.ReadFull(f, head)
	f.Close()
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, ferry.Errorf(ferry.ClassInternal, a.Name, "artifact %s: %v", a.SHA256, err)
	}
	if d.format, err = statements.Detect(a.Name, head[:n]); err != nil {
		return nil, err
	}
	d.opts.Format = d.format
	var seen seenLines
	st, count, err := d.each(ctx, func(l ferry.StatementLine) error {
		seen.add(l)
		d.digest.add(l)
		return nil
	})
	d.digest.keyer = ferry.LineKeyer{} // one key a line: let it go
	switch {
	case err != nil && (errors.Is(err, ferry.ErrUnreconciled) || ferry.ClassOf(err) == ferry.ClassValidationFailed):
		// The balance chain broke as the file streamed, or a reader that
		// checks every printed balance (PDF) refused the file for it: a
		// held statement, with what was read of it.
		d.problem, d.lines, d.partial = problemText(err), count, true
		d.header = seen.header(acct)
		return d, nil
	case err != nil:
		return nil, err
	}
	d.lines = count
	if !d.streamed() {
		if err := st.Reconcile(); err != nil {
			d.problem = err.Error()
		}
		if keep {
			whole := st
			d.whole = &whole
		}
	}
	st.Lines = nil
	d.header = st
	return d, nil
}

// each hands the document's lines to fn in file order and returns its
// statement (with its lines when it is read whole) and their count.
func (d *document) each(ctx context.Context, fn func(ferry.StatementLine) error) (ferry.Statement, int, error) {
	if !d.streamed() {
		st, err := d.parseWhole(ctx)
		if err != nil {
			return st, 0, err
		}
		for _, l := range st.Lines {
			if err := fn(l); err != nil {
				return st, 0, err
			}
		}
		return st, len(st.Lines), nil
	}
	f, err := d.open(ctx)
	if err != nil {
		return ferry.Statement{}, 0, err
	}
	defer f.Close()
	sts, n, err := statements.Scan(ctx, d.art.Name, f, f.size, d.opts, fn)
	if err != nil {
		if ctx.Err() != nil {
			return ferry.Statement{}, n, fmt.Errorf("runner: reading %s: %w", d.art.Name, ctx.Err())
		}
		return ferry.Statement{}, n, err
	}
	if len(sts) != 1 {
		return ferry.Statement{}, n, ferry.Errorf(ferry.ClassDocumentChanged, d.art.Name, "holds %d statements, want one", len(sts))
	}
	return sts[0], n, nil
}

// parseWhole reads the document into memory.
func (d *document) parseWhole(ctx context.Context) (ferry.Statement, error) {
	f, err := d.open(ctx)
	if err != nil {
		return ferry.Statement{}, err
	}
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return ferry.Statement{}, ferry.Errorf(ferry.ClassInternal, d.art.Name, "artifact %s: %v", d.art.SHA256, err)
	}
	sts, err := statements.ParseWith(ctx, d.art.Name, data, d.opts)
	if err != nil {
		return ferry.Statement{}, err
	}
	if len(sts) != 1 {
		return ferry.Statement{}, ferry.Errorf(ferry.ClassDocumentChanged, d.art.Name, "holds %d statements, want one", len(sts))
	}
	return sts[0], nil
}

// stream reads the document again for storing: the same lines the check
// counted, or an error (which leaves nothing stored).
func (d *document) stream(ctx context.Context) ferry.StatementLines {
	return func(yield func(ferry.StatementLine) error) error {
		_, n, err := d.each(ctx, func(l ferry.StatementLine) error {
			crashpoint.Hit("line")
			if d.hook != nil {
				d.hook("line") // inside the statement's transaction
			}
			return yield(l)
		})
		if err != nil {
			return err
		}
		if n != d.lines {
			return ferry.Errorf(ferry.ClassInternal, d.art.Name, "read %d lines, the check read %d", n, d.lines)
		}
		return nil
	}
}

// verdict says why an account's statement is held, or "": a file that
// names another account, formats that disagree, a statement that does not
// reconcile, a line count other than the site listed.
func verdict(ctx context.Context, acct string, docs []*document, rowsSeen map[string]int) (string, error) {
	for _, d := range docs {
		if !d.partial && !sameAccount(d.header.Account, acct) {
			return fmt.Sprintf("%s holds account %s, expected %s", d.art.Name, d.header.Account, acct), nil
		}
	}
	p := docs[0]
	if !p.partial {
		for _, d := range docs[1:] {
			if d.partial {
				continue
			}
			diff, err := compare(ctx, p, d)
			if err != nil {
				return "", err
			}
			if diff != "" {
				return fmt.Sprintf("%s and %s disagree: %s", p.art.Format, d.art.Format, diff), nil
			}
		}
	}
	for _, d := range docs {
		if d.problem != "" {
			return d.problem, nil
		}
	}
	if n, ok := rowsSeen[acct]; ok && n != p.lines {
		return fmt.Sprintf("the site listed %d transactions, the statement file has %d", n, p.lines), nil
	}
	return "", nil
}

// compare says how two downloads of one statement differ, or "".
func compare(ctx context.Context, a, b *document) (string, error) {
	x, y := a.header, b.header
	switch {
	case !sameAccount(x.Account, y.Account) || x.Currency != y.Currency || x.From != y.From || x.To != y.To:
		return "header", nil
	case !x.Opening.Equal(y.Opening) || !x.Closing.Equal(y.Closing):
		return "balances", nil
	case a.lines != b.lines:
		return fmt.Sprintf("%d lines vs %d", a.lines, b.lines), nil
	case a.digest.sum == b.digest.sum:
		return "", nil
	}
	return explain(ctx, a, b)
}

// explain finds a line that makes two digests differ: it reads both files
// again, keeping only the lines of the first bucket whose sums differ.
func explain(ctx context.Context, a, b *document) (string, error) {
	bucket := 0
	for bucket < len(a.digest.buckets) && a.digest.buckets[bucket] == b.digest.buckets[bucket] {
		bucket++
	}
	type entry struct {
		num  int
		hash [sha256.Size]byte
		ref  string
	}
	collect := func(d *document) ([]entry, error) {
		var keyer ferry.LineKeyer
		var out []entry
		num := 0
		_, _, err := d.each(ctx, func(l ferry.StatementLine) error {
			num++
			h := lineHash(keyer.Key(l), l)
			if int(h[0]) == bucket {
				out = append(out, entry{num, h, l.Reference})
			}
			return nil
		})
		return out, err
	}
	ea, err := collect(a)
	if err != nil {
		return "", err
	}
	eb, err := collect(b)
	if err != nil {
		return "", err
	}
	left := map[[sha256.Size]byte]int{}
	for _, e := range eb {
		left[e.hash]++
	}
	for _, e := range ea {
		if left[e.hash] == 0 {
			return fmt.Sprintf("line %d (%s)", e.num, e.ref), nil
		}
		left[e.hash]--
	}
	for _, e := range eb {
		if left[e.hash] > 0 {
			return fmt.Sprintf("%s line %d (%s)", b.art.Format, e.num, e.ref), nil
		}
	}
	return "the lines differ", nil // the sums differ: never reached unless a file changed
}

// lineDigest summarises a statement's keyed lines so that two downloads
// can be compared without holding either: a sum of the lines' SHA-256
// hashes (in four 64-bit lanes), which does not depend on the order the
// file lists them in (a newest-first file streams in its own order, a file
// read whole is put in date order), and the same sum per bucket of the
// hash's first byte, so that a difference can be found by reading one
// bucket's lines again.
type lineDigest struct {
	keyer   ferry.LineKeyer
	sum     [4]uint64
	buckets [256][4]uint64
}

func (g *lineDigest) add(l ferry.StatementLine) {
	h := lineHash(g.keyer.Key(l), l)
	b := &g.buckets[h[0]]
	for i := range 4 {
		v := binary.LittleEndian.Uint64(h[8*i:])
		g.sum[i] += v
		b[i] += v
	}
}

// lineHash hashes what two downloads of one statement must agree on for a
// line: its dedup key, dates, amount, counterparty and description
// (references, bank ids and balances are not in every format).
func lineHash(key string, l ferry.StatementLine) [sha256.Size]byte {
	var buf []byte
	for _, f := range []string{key, l.BookingDate.String(), l.ValueDate.String(), l.Amount.String(), l.Counterparty, l.Description} {
		buf = strconv.AppendInt(buf, int64(len(f)), 10)
		buf = append(buf, ':')
		buf = append(buf, f...)
	}
	return sha256.Sum256(buf)
}

// seenLines is what a streamed file's lines showed, for the header of a
// statement that broke off.
type seenLines struct {
	account    string
	currencies map[string]bool
	from, to   ferry.Date
}

func (s *seenLines) add(l ferry.StatementLine) {
	if s.account == "" {
		s.account = l.Account
	}
	if s.currencies == nil {
		s.currencies = map[string]bool{}
	}
	if len(s.currencies) < 8 {
		s.currencies[l.Currency] = true
	}
	if s.from.IsZero() || l.BookingDate.Before(s.from) {
		s.from = l.BookingDate
	}
	if s.to.IsZero() || l.BookingDate.After(s.to) {
		s.to = l.BookingDate
	}
}

// header is the statement as far as it was read: its balances unknown.
func (s *seenLines) header(acct string) ferry.Statement {
	st := ferry.Statement{Account: s.account, From: s.from, To: s.to, NoBalances: true}
	if st.Account == "" {
		st.Account = acct
	}
	if len(s.currencies) == 1 {
		for c := range s.currencies {
			st.Currency = c
		}
	}
	return st
}

// problemText is an error as a held statement's problem: where and what,
// without the failure class.
func problemText(err error) string {
	var fe *ferry.Error
	if errors.As(err, &fe) {
		if fe.Where == "" {
			return fe.Err.Error()
		}
		return fe.Where + ": " + fe.Err.Error()
	}
	return err.Error()
}

// sameAccount compares account numbers as banks print them: spaces, dashes
// and case aside.
func sameAccount(a, b string) bool {
	norm := func(s string) string {
		return strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return unicode.ToUpper(r)
			}
			return -1
		}, s)
	}
	return norm(a) == norm(b)
}
