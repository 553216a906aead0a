package runner

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// River's warnings and errors reach Ferry's log with their attributes;
// its info and debug lines do not.
func TestRiverLogPassesWarningsAndErrors(t *testing.T) {
	var buf bytes.Buffer
	l := newRiverLog(zerolog.New(&buf)).With("client_id", "c1").WithGroup("producer")
	l.Info("Fetched jobs", "count", 3)
	l.Debug("tick")
	l.Warn("Queue control notification dropped", "action", "pause")
	l.Error("Error fetching jobs", "err", "database is locked")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want the warning and the error:\n%s", len(lines), buf.String())
	}
	want := []map[string]string{
		{"level": "warn", "component": "river", "client_id": "c1", "producer.action": "pause", "message": "Queue control notification dropped"},
		{"level": "error", "component": "river", "client_id": "c1", "producer.err": "database is locked", "message": "Error fetching jobs"},
	}
	for i, line := range lines {
		var got map[string]string
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatal(err)
		}
		for k, v := range want[i] {
			if got[k] != v {
				t.Errorf("line %d: %s = %q, want %q (%s)", i+1, k, got[k], v, line)
			}
		}
	}
}
