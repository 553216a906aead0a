package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ferry-rpa/ferry"
)

var sinks = []string{"jsonl", "http"}

func day(n int) ferry.Date { return ferry.NewDate(2026, 10, n) }

const acct = "DE89370400440532013000"

// statement is two lines that reconcile, 100.00 to 50.00.
func statement() ferry.Statement {
	return ferry.Statement{Account: acct, Currency: "EUR", From: day(1), To: day(2), Opening: d("100.00"), Closing: d("50.00"), Lines: []ferry.StatementLine{
		{Account: acct, BookingDate: day(1), ValueDate: day(1), Amount: d("-70.00"), Currency: "EUR", Counterparty: "Stadtwerke München GmbH", Description: "Abschlag", Reference: "R1", BalanceAfter: d("30.00")},
		{Account: acct, BookingDate: day(2), ValueDate: day(2), Amount: d("20.00"), Currency: "EUR", Counterparty: "阿里云计算有限公司", Reference: "R2", BalanceAfter: d("50.00")},
	}}
}

// download makes a run and an artifact for a statement to be read from.
func download(t *testing.T, s Store, name string) (run, artifact int64) {
	t.Helper()
	run = newRun(t, s, ferry.Run{Bot: "b", Login: "l"})
	a, err := s.PutArtifact(ctx, ferry.Artifact{RunID: run, Kind: "download", Name: name}, []byte(name))
	if err != nil {
		t.Fatal(err)
	}
	return run, a.ID
}

func save(t *testing.T, s Store, name string, st ferry.Statement) (ferry.SaveResult, error) {
	t.Helper()
	run, a := download(t, s, name)
	return s.SaveStatement(ctx, run, a, st, sinks, "")
}

func mustSave(t *testing.T, s Store, name string, st ferry.Statement) ferry.SaveResult {
	t.Helper()
	res, err := save(t, s, name, st)
	if err != nil {
		t.Fatalf("save %s: %v", name, err)
	}
	return res
}

func lines(t *testing.T, s Store) int {
	t.Helper()
	n, err := s.CountLines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func stream(st ferry.Statement, failAt int) ferry.StatementLines {
	return func(yield func(ferry.StatementLine) error) error {
		for i, l := range st.Lines {
			if i+1 == failAt {
				return fmt.Errorf("reading line %d: the file ends early", i+1)
			}
			if err := yield(l); err != nil {
				return err
			}
		}
		return nil
	}
}

func header(st ferry.Statement) ferry.Statement {
	st.Lines = nil
	return st
}

func records(t *testing.T, h Harness) {
	t.Run("SaveIsIdempotent", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		run, a := download(t, s, "oct.xml")
		res, err := s.SaveStatement(ctx, run, a, statement(), sinks, "")
		if err != nil || res.NewLines != 2 || res.Duplicates != 0 || res.Queued != 4 || res.StatementID == 0 {
			t.Fatalf("first save: %+v, %v; want 2 new lines, 4 outbox rows", res, err)
		}
		res2, err := s.SaveStatement(ctx, run, a, statement(), sinks, "")
		if err != nil || res2.NewLines != 0 || res2.Duplicates != 2 || res2.Queued != 0 || res2.StatementID == res.StatementID {
			t.Fatalf("second save: %+v, %v; want 2 duplicates, nothing queued", res2, err)
		}
		if n := lines(t, s); n != 2 {
			t.Fatalf("%d lines stored, want 2", n)
		}
		rows, err := s.Statements(ctx, run)
		if err != nil || len(rows) != 2 {
			t.Fatalf("Statements: %+v, %v", rows, err)
		}
		r := rows[0]
		if r.ID != res.StatementID || r.ArtifactID != a || r.Account != acct || r.Currency != "EUR" || r.From != "2026-10-01" || r.To != "2026-10-02" ||
			r.Opening != "100" || r.Closing != "50" || r.Lines != 2 || r.NewLines != 2 || r.Status != "accepted" || r.Problem != "" {
			t.Fatalf("first statement row: %+v", r)
		}
		if rows[1].NewLines != 0 || rows[1].Duplicates != 2 {
			t.Fatalf("second statement row: %+v", rows[1])
		}
	})
	t.Run("IdenticalLinesAreBookings", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		fee := ferry.StatementLine{Account: acct, BookingDate: day(1), Amount: d("-0.50"), Currency: "EUR", Description: "Kontoführung"}
		st := ferry.Statement{Account: acct, Currency: "EUR", From: day(1), To: day(1), NoBalances: true, Lines: []ferry.StatementLine{fee, fee}}
		if res := mustSave(t, s, "a.csv", st); res.NewLines != 2 {
			t.Fatalf("two identical fees: %+v, want 2 new lines", res)
		}
		st.Lines = append(st.Lines, fee)
		if res := mustSave(t, s, "b.csv", st); res.NewLines != 1 || res.Duplicates != 2 || res.Queued != 2 {
			t.Fatalf("a third identical fee: %+v, want 1 new line", res)
		}
	})
	t.Run("KeyCollision", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		st := statement()
		st.Lines[0].TransactionID = "2026100100001"
		mustSave(t, s, "a.xml", st)
		other := statement()
		other.Lines[1].TransactionID = "2026100100001" // another booking under the first's bank id
		run, a := download(t, s, "b.xml")
		_, err := s.SaveStatement(ctx, run, a, other, sinks, "")
		if !errors.Is(err, ferry.ErrKeyCollision) || !strings.Contains(err.Error(), "b.xml") {
			t.Fatalf("a bank id on two bookings: %v, want ErrKeyCollision naming b.xml", err)
		}
		if n := lines(t, s); n != 2 {
			t.Fatalf("%d lines after a refused statement, want 2", n)
		}
		if rows, _ := s.Statements(ctx, run); len(rows) != 0 {
			t.Fatalf("a refused statement left its row: %+v", rows)
		}
		// One bank id on two different bookings of one statement.
		twice := statement()
		twice.Lines[0].TransactionID, twice.Lines[1].TransactionID = "X1", "X1"
		if _, err := save(t, s, "c.xml", twice); !errors.Is(err, ferry.ErrKeyCollision) {
			t.Fatalf("one statement reusing a bank id: %v, want ErrKeyCollision", err)
		}
		if _, err := s.SaveStatementLines(ctx, run, a, header(twice), stream(twice, 0), sinks); !errors.Is(err, ferry.ErrKeyCollision) {
			t.Fatalf("streamed, one statement reusing a bank id: %v, want ErrKeyCollision", err)
		}
	})
	t.Run("ConcurrentSavesStoreEachLineOnce", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		const n = 6
		var wg sync.WaitGroup
		results := make([]ferry.SaveResult, n)
		errs := make([]error, n)
		for i := range n {
			run, a := download(t, s, fmt.Sprintf("node-%d.xml", i))
			wg.Go(func() {
				if i%2 == 0 {
					results[i], errs[i] = s.SaveStatement(ctx, run, a, statement(), sinks, "")
				} else {
					results[i], errs[i] = s.SaveStatementLines(ctx, run, a, header(statement()), stream(statement(), 0), sinks)
				}
			})
		}
		wg.Wait()
		newLines, queued := 0, 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("concurrent save %d: %v", i, errs[i])
			}
			if results[i].NewLines+results[i].Duplicates != 2 {
				t.Fatalf("save %d: %+v", i, results[i])
			}
			newLines += results[i].NewLines
			queued += results[i].Queued
		}
		if newLines != 2 || queued != 4 || lines(t, s) != 2 {
			t.Fatalf("%d concurrent saves stored %d new lines and queued %d items, want 2 and 4", n, newLines, queued)
		}
	})
	t.Run("StreamAsWhole", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		run, a := download(t, s, "big.csv")
		res, err := s.SaveStatementLines(ctx, run, a, header(statement()), stream(statement(), 0), sinks)
		if err != nil || res.NewLines != 2 || res.Queued != 4 {
			t.Fatalf("streamed save: %+v, %v", res, err)
		}
		rows, _ := s.Statements(ctx, run)
		if len(rows) != 1 || rows[0].Lines != 2 || rows[0].NewLines != 2 {
			t.Fatalf("streamed statement row: %+v", rows)
		}
		if res := mustSave(t, s, "again.csv", statement()); res.NewLines != 0 || res.Duplicates != 2 {
			t.Fatalf("the streamed lines saved whole: %+v, want 2 duplicates", res)
		}
		res, err = s.SaveStatementLines(ctx, run, a, header(statement()), stream(statement(), 0), sinks)
		if err != nil || res.NewLines != 0 || res.Duplicates != 2 || res.Queued != 0 {
			t.Fatalf("streamed again: %+v, %v", res, err)
		}
		if _, err := s.SaveStatementLines(ctx, run, a, statement(), stream(statement(), 0), sinks); err == nil {
			t.Fatal("a header with lines was accepted")
		}
	})
	t.Run("StreamRollsBack", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		st := statement()
		st.Lines = append(st.Lines, ferry.StatementLine{Account: acct, BookingDate: day(2), Amount: d("1.00"), Currency: "EUR", Description: "third"})
		run, a := download(t, s, "cut.csv")
		if _, err := s.SaveStatementLines(ctx, run, a, header(st), stream(st, 3), sinks); err == nil || !strings.Contains(err.Error(), "ends early") {
			t.Fatalf("a stream that fails at line 3: %v", err)
		}
		if n := lines(t, s); n != 0 {
			t.Fatalf("%d lines stored by a failed stream", n)
		}
		if rows, _ := s.Statements(ctx, run); len(rows) != 0 {
			t.Fatalf("a failed stream left its statement: %+v", rows)
		}
		if res := mustSave(t, s, "whole.csv", st); res.NewLines != 3 || res.Queued != 6 {
			t.Fatalf("after the failed stream: %+v, want every line new", res)
		}
	})
	t.Run("Hold", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		run, a := download(t, s, "odd.csv")
		res, err := s.HoldStatement(ctx, run, a, header(statement()), 2, "closing balance 50.00, lines sum to 49.00")
		if err != nil || res.StatementID == 0 || res.NewLines != 0 || res.Queued != 0 {
			t.Fatalf("HoldStatement: %+v, %v", res, err)
		}
		if _, err := s.SaveStatement(ctx, run, a, statement(), sinks, "does not reconcile"); err != nil {
			t.Fatal(err)
		}
		rows, _ := s.Statements(ctx, run)
		if len(rows) != 2 || rows[0].Status != "held" || rows[0].Lines != 2 || !strings.Contains(rows[0].Problem, "49.00") || rows[1].Status != "held" {
			t.Fatalf("held statements: %+v", rows)
		}
		if n := lines(t, s); n != 0 {
			t.Fatalf("%d lines of held statements stored", n)
		}
		if _, err := s.HoldStatement(ctx, run, a, header(statement()), 2, ""); err == nil {
			t.Fatal("a hold without a problem was accepted")
		}
		// Held lines are new when the statement is saved later.
		if res := mustSave(t, s, "fixed.csv", statement()); res.NewLines != 2 {
			t.Fatalf("after holds: %+v", res)
		}
	})
	t.Run("LegacyKeys", func(t *testing.T) {
		t.Parallel()
		if h.Exec == nil {
			t.Skip("the harness cannot write the previous version's lines")
		}
		s := h.New(t, nil)
		// A line the previous version stored, under its key.
		run, a := download(t, s, "old.xml")
		held, err := s.HoldStatement(ctx, run, a, header(statement()), 1, "fixture")
		if err != nil {
			t.Fatal(err)
		}
		l := statement().Lines[0]
		old := l.LegacyDedupKey(0)
		h.Exec(t, s, `INSERT INTO statement_lines (dedup_key, legacy_key, statement_id, run_id, account, booking_date, value_date, amount, currency, counterparty, description, reference, balance_after, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			old, old, held.StatementID, run, l.Account, l.BookingDate.String(), l.ValueDate.String(), l.Amount.String(), l.Currency, l.Counterparty, l.Description, l.Reference, l.BalanceAfter.String(), "2026-10-03T00:00:00.000000000Z")
		// A streamed save cannot match it.
		if _, err := s.SaveStatementLines(ctx, run, a, header(statement()), stream(statement(), 0), sinks); !errors.Is(err, ferry.ErrLegacyPending) {
			t.Fatalf("streamed over an unmatched legacy line: %v, want ErrLegacyPending", err)
		}
		res := mustSave(t, s, "new.xml", statement())
		if res.NewLines != 1 || res.Duplicates != 1 || res.Legacy != 1 || res.Queued != 2 {
			t.Fatalf("save over a legacy line: %+v, want it recognised (1 new, 1 legacy duplicate)", res)
		}
		if n := lines(t, s); n != 2 {
			t.Fatalf("%d lines, want 2", n)
		}
		// Found under its current key from now on, streamed too.
		res = mustSave(t, s, "again.xml", statement())
		if res.NewLines != 0 || res.Duplicates != 2 || res.Legacy != 0 {
			t.Fatalf("save after the match: %+v", res)
		}
		run2, a2 := download(t, s, "stream.xml")
		if res, err := s.SaveStatementLines(ctx, run2, a2, header(statement()), stream(statement(), 0), sinks); err != nil || res.Duplicates != 2 {
			t.Fatalf("streamed after the match: %+v, %v", res, err)
		}
		// Two lines that may be the one stored line: ambiguous.
		s2 := h.New(t, nil)
		run, a = download(t, s2, "old.xml")
		held, _ = s2.HoldStatement(ctx, run, a, header(statement()), 1, "fixture")
		h.Exec(t, s2, `INSERT INTO statement_lines (dedup_key, legacy_key, statement_id, run_id, account, booking_date, value_date, amount, currency, counterparty, description, reference, balance_after, created_at)
			VALUES ('old-1', 'old-1', ?, ?, ?, ?, ?, ?, ?, 'Altes Encoding', 'Miete', '', '0', '2026-10-03T00:00:00.000000000Z')`,
			held.StatementID, run, acct, day(1).String(), day(1).String(), d("-800.00").String(), "EUR")
		amb := ferry.Statement{Account: acct, Currency: "EUR", From: day(1), To: day(1), NoBalances: true, Lines: []ferry.StatementLine{
			{Account: acct, BookingDate: day(1), Amount: d("-800.00"), Currency: "EUR", Counterparty: "Hausverwaltung Müller", Description: "Miete Oktober"},
			{Account: acct, BookingDate: day(1), Amount: d("-800.00"), Currency: "EUR", Counterparty: "Garage Müller", Description: "Miete Stellplatz"},
		}}
		if _, err := save(t, s2, "amb.xml", amb); !errors.Is(err, ferry.ErrLegacyAmbiguous) {
			t.Fatalf("two candidates for one legacy line: %v, want ErrLegacyAmbiguous", err)
		}
	})
}

func selectorStore(t *testing.T, h Harness) {
	t.Run("Versions", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		seq, added, err := s.RecordSelectorVersion(ctx, "demobank", "2026.1", []byte("login: {user: '#u'}"), "ferry", "loaded")
		if err != nil || seq != 1 || !added {
			t.Fatalf("first version: %d %v %v", seq, added, err)
		}
		if seq, added, _ := s.RecordSelectorVersion(ctx, "demobank", "2026.1", []byte("login: {user: '#u'}"), "ferry", "loaded again"); seq != 1 || added {
			t.Fatalf("the same content: %d %v, want 1 false", seq, added)
		}
		if seq, added, _ := s.RecordSelectorVersion(ctx, "demobank", "2026.2", []byte("login: {user: '#user'}"), "lina", "heal 3"); seq != 2 || !added {
			t.Fatalf("new content: %d %v, want 2 true", seq, added)
		}
		if seq, _, _ := s.RecordSelectorVersion(ctx, "otherbank", "1", []byte("x: y"), "ferry", ""); seq != 1 {
			t.Fatalf("another site's first version: %d", seq)
		}
		vs, err := s.SelectorVersions(ctx, "demobank")
		if err != nil || len(vs) != 2 || vs[0].Seq != 1 || vs[1].Seq != 2 || vs[1].Author != "lina" || vs[1].Content != "login: {user: '#user'}" ||
			vs[1].SHA256 != ferry.SHA256Hex([]byte("login: {user: '#user'}")) || vs[1].CreatedAt.IsZero() {
			t.Fatalf("versions: %+v, %v", vs, err)
		}
		v, err := s.SelectorVersionAt(ctx, "demobank", 1)
		if err != nil || v.Version != "2026.1" {
			t.Fatalf("version 1: %+v, %v", v, err)
		}
		if _, err := s.SelectorVersionAt(ctx, "demobank", 3); !errors.Is(err, ferry.ErrNoSelectorVersion) || !errors.Is(err, ferry.ErrNotFound) {
			t.Fatalf("unknown version: %v, want ErrNoSelectorVersion", err)
		}
	})
	t.Run("VersionsConcurrently", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		const n = 6
		var wg sync.WaitGroup
		seqs := make([]int, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				seqs[i], _, errs[i] = s.RecordSelectorVersion(ctx, "demobank", fmt.Sprint(i), []byte(fmt.Sprintf("v: %d", i)), "node", "")
			})
		}
		wg.Wait()
		seen := map[int]bool{}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("concurrent RecordSelectorVersion: %v", errs[i])
			}
			if seen[seqs[i]] || seqs[i] < 1 || seqs[i] > n {
				t.Fatalf("version numbers %v: not 1..%d once each", seqs, n)
			}
			seen[seqs[i]] = true
		}
	})
	t.Run("HealsConcurrently", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		hr := ferry.HealRecord{Site: "demobank", Element: "login.user", RunID: 7, Page: "/login", Way: `{"ways":["#user"]}`, Score: 0.9, Breakdown: `{}`, BaseSeq: 1}
		const n = 6
		var wg sync.WaitGroup
		ids := make([]int64, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { ids[i], _, errs[i] = s.AddHeal(ctx, hr) })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("concurrent proposals of one heal: ids %v, errors %v", ids, errs)
			}
		}
		if list, _ := s.Heals(ctx, "demobank", ""); len(list) != 1 {
			t.Fatalf("%d heals stored for one proposal", len(list))
		}
	})
	t.Run("Fingerprints", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		fp := ferry.StoredFingerprint{Site: "demobank", Element: "login.user", Variant: "", Page: "/login", Data: `{"tag":"input"}`, RunID: 1}
		if err := s.SaveFingerprints(ctx, []ferry.StoredFingerprint{fp, {Site: "demobank", Element: "login.pass", Page: "/login", Data: `{}`, RunID: 1}}); err != nil {
			t.Fatal(err)
		}
		fp.Data, fp.RunID = `{"tag":"input","id":"u"}`, 2
		if err := s.SaveFingerprints(ctx, []ferry.StoredFingerprint{fp}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Fingerprints(ctx, "demobank")
		if err != nil || len(got) != 2 {
			t.Fatalf("fingerprints: %+v, %v", got, err)
		}
		for _, g := range got {
			if g.Element == "login.user" && (g.Data != fp.Data || g.RunID != 2) {
				t.Fatalf("the newest fingerprint is not kept: %+v", g)
			}
		}
		if none, _ := s.Fingerprints(ctx, "otherbank"); len(none) != 0 {
			t.Fatalf("another site's fingerprints: %+v", none)
		}
	})
	t.Run("Heals", func(t *testing.T) {
		t.Parallel()
		s := h.New(t, nil)
		hr := ferry.HealRecord{Site: "demobank", Element: "login.user", RunID: 7, Page: "/login", Way: `{"ways":["#user"]}`, Score: 0.93, RunnerUp: 0.41, Breakdown: `{}`, Diff: "-#u\n+#user", BaseSeq: 1}
		id, added, err := s.AddHeal(ctx, hr)
		if err != nil || !added || id == 0 {
			t.Fatalf("AddHeal: %d %v %v", id, added, err)
		}
		if again, added, _ := s.AddHeal(ctx, hr); again != id || added {
			t.Fatalf("the same proposal again: %d %v, want %d false", again, added, id)
		}
		other := hr
		other.Element = "login.pass"
		id2, _, _ := s.AddHeal(ctx, other)
		got, err := s.Heal(ctx, id)
		if err != nil || got.Score != 0.93 || got.RunnerUp != 0.41 || got.Status != "proposed" || got.BaseSeq != 1 || got.CreatedAt.IsZero() {
			t.Fatalf("Heal: %+v, %v", got, err)
		}
		if list, _ := s.Heals(ctx, "demobank", "proposed"); len(list) != 2 || list[0].ID != id2 {
			t.Fatalf("Heals newest first: %+v", list)
		}
		if err := s.DecideHeal(ctx, id, "accepted", "lina"); err != nil {
			t.Fatal(err)
		}
		if err := s.DecideHeal(ctx, id, "rejected", "wei"); !errors.Is(err, ferry.ErrNotWaiting) {
			t.Fatalf("deciding twice: %v, want ErrNotWaiting", err)
		}
		if got, _ := s.Heal(ctx, id); got.Status != "accepted" || got.DecidedBy != "lina" || got.DecidedAt.IsZero() {
			t.Fatalf("decided heal: %+v", got)
		}
		if err := s.DecideHeal(ctx, id+1000, "accepted", "lina"); !errors.Is(err, ferry.ErrNoHeal) || !errors.Is(err, ferry.ErrNotFound) {
			t.Fatalf("deciding an unknown heal: %v, want ErrNoHeal", err)
		}
		if _, err := s.Heal(ctx, id+1000); !errors.Is(err, ferry.ErrNoHeal) {
			t.Fatalf("unknown heal: %v", err)
		}
		if list, _ := s.Heals(ctx, "", "accepted"); len(list) != 1 || list[0].ID != id {
			t.Fatalf("accepted heals: %+v", list)
		}
		// Once decided, the same proposal may be made again.
		if again, added, _ := s.AddHeal(ctx, hr); again == id || !added {
			t.Fatalf("a decided proposal made again: %d %v", again, added)
		}
	})
}
