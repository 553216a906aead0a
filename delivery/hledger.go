package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/ledger"
)

// Hledger delivers records to hledger-web's JSON API (`hledger-web
// --serve-api`): each record becomes a balanced two-posting transaction
// added with PUT /add. hledger-web has no idempotency and accepts
// unbalanced transactions, so Ferry checks the postings balance before
// sending, tags each transaction ferry:DEDUP_KEY, skips keys already in
// the journal, and reads /transactions back to confirm what it added.
type Hledger struct {
	SinkName string // default "hledger"
	URL      string // hledger-web's base URL
	Mapping  *ledger.Mapping
	Client   *http.Client
	// mu serialises deliveries to the journal: Deliver reads the journal's
	// keys, then adds what is missing, and two deliveries interleaving
	// there would both add a record neither saw.
	mu sync.Mutex
}

// nextSecond waits until the wall clock is in a later whole second than
// t. hledger-web reloads its journal on a request when the file's
// modification time is later than the time it last read it, both in whole
// seconds: a reload and a write within one second leave the write
// invisible until the file changes again, and a later delivery would then
// add the record a second time. So Ferry reads (a reload) and writes in
// different seconds: it reads, waits for the next second, adds; and it
// waits again before reading back.
func nextSecond(ctx context.Context, t time.Time) error {
	wait := t.Truncate(time.Second).Add(time.Second).Sub(time.Now())
	if wait <= 0 {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(wait + 10*time.Millisecond):
		return nil
	}
}

// Name implements Sink.
func (h *Hledger) Name() string {
	if h.SinkName == "" {
		return "hledger"
	}
	return h.SinkName
}

func (h *Hledger) client() *http.Client {
	if h.Client == nil {
		return &http.Client{Timeout: 30 * time.Second}
	}
	return h.Client
}

// keys reads the ferry tags of the journal's transactions.
func (h *Hledger) keys(ctx context.Context) (map[string]bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(h.URL, "/")+"/transactions", nil)
	if err != nil {
		return nil, err
	}
	resp, err := h.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("hledger-web: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("hledger-web: GET /transactions: %s", resp.Status)
	}
	var txs []struct {
		Tags [][2]string `json:"ttags"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&txs); err != nil {
		return nil, fmt.Errorf("hledger-web: /transactions: %w", err)
	}
	out := map[string]bool{}
	for _, t := range txs {
		for _, tag := range t.Tags {
			if tag[0] == "ferry" {
				out[tag[1]] = true
			}
		}
	}
	return out, nil
}

// Deliver implements Sink.
func (h *Hledger) Deliver(ctx context.Context, items []ferry.OutboxItem) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	have, err := h.keys(ctx)
	if err != nil {
		return err
	}
	rej := &Rejected{Keys: map[string]string{}}
	var added []string
	var lastWrite time.Time
	for _, it := range items {
		if have[it.DedupKey] {
			continue // already in the journal (a delivery before a crash)
		}
		// A statement line, an invoice, or an invoice's update.
		tx, err := h.Mapping.PayloadTransaction(it.Payload)
		if errors.Is(err, ledger.ErrNothingToBook) {
			continue // acknowledged: the journal needs nothing for it
		}
		if err != nil {
			rej.Keys[it.DedupKey] = err.Error()
			continue
		}
		// Read (hledger-web reloads what earlier additions wrote), then
		// add in a later second: see nextSecond.
		if have, err = h.keys(ctx); err != nil {
			return err
		}
		read := time.Now()
		if have[it.DedupKey] {
			continue
		}
		if err := nextSecond(ctx, read); err != nil {
			return err
		}
		body, _ := json.Marshal(hledgerTransaction(tx))
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, strings.TrimRight(h.URL, "/")+"/add", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := h.client().Do(req)
		lastWrite = time.Now()
		if err != nil {
			rej.Others = fmt.Errorf("hledger-web: PUT /add: %w", err)
			break
		}
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		resp.Body.Close()
		switch {
		case resp.StatusCode/100 == 2:
			added = append(added, it.DedupKey)
		case resp.StatusCode >= 500:
			rej.Others = fmt.Errorf("hledger-web: PUT /add: %s %s", resp.Status, bytes.TrimSpace(msg))
		default:
			rej.Keys[it.DedupKey] = fmt.Sprintf("hledger-web: %s %s", resp.Status, bytes.TrimSpace(msg))
		}
		if rej.Others != nil {
			break
		}
	}
	if len(added) > 0 {
		if err := nextSecond(ctx, lastWrite); err != nil {
			return err
		}
		// Read back: only what the journal now holds counts as delivered.
		// hledger-web reloads its journal from the file, not at once after
		// /add, so the read-back waits up to 15 seconds for it (a loaded machine).
		deadline := time.Now().Add(15 * time.Second)
		for {
			now, err := h.keys(ctx)
			if err != nil {
				return err
			}
			missing := ""
			for _, k := range added {
				if !now[k] {
					missing = k
					break
				}
			}
			if missing == "" {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("hledger-web accepted %s but /transactions does not list it", missing)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	switch {
	case len(rej.Keys) == 0 && rej.Others == nil:
		return nil
	case len(rej.Keys) == 0:
		return rej.Others
	}
	return rej
}

// hledgerTransaction renders hledger's JSON transaction. Quantities go as
// decimal mantissa and places, exactly; floatingPoint is informational.
func hledgerTransaction(t ledger.Transaction) map[string]any {
	pos := map[string]any{"sourceName": "", "sourceLine": 1, "sourceColumn": 1}
	var posts []map[string]any
	for _, p := range t.Postings {
		places := int32(2)
		if e := -p.Amount.Exponent(); e > places {
			places = e // never round a sub-cent amount away
		}
		mant := p.Amount.Shift(places).IntPart()
		f, _ := p.Amount.Float64()
		posts = append(posts, map[string]any{
			"paccount": p.Account, "pcomment": "", "pdate": nil, "pdate2": nil, "poriginal": nil, "pstatus": "Unmarked",
			"ptags": []any{}, "ptransaction_": "0", "ptype": "RegularPosting", "pbalanceassertion": nil,
			"pamount": []any{map[string]any{"acommodity": p.Currency, "aprice": nil,
				"aquantity": map[string]any{"decimalMantissa": mant, "decimalPlaces": places, "floatingPoint": f},
				"astyle":    map[string]any{"ascommodityside": "R", "ascommodityspaced": true, "asdecimalpoint": ".", "asdigitgroups": nil, "asprecision": places}}},
		})
	}
	desc := t.Payee
	if t.Narration != "" {
		desc = strings.TrimSpace(desc + " | " + t.Narration)
	}
	return map[string]any{
		"tcode": t.Reference, "tcomment": "ferry:" + t.Key + "\n", "tdate": t.Date, "tdate2": nil, "tdescription": desc, "tindex": 0,
		"tprecedingcomment": "", "tsourcepos": []any{pos, pos}, "tstatus": "Unmarked", "ttags": [][2]string{{"ferry", t.Key}},
		"tpostings": posts,
	}
}
