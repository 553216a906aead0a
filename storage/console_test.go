package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/ferry-rpa/ferry/storage/storetest"
)

func consoleHarness(open func(testing.TB, bool, func() time.Time) *storage.DB) storetest.ConsoleHarness {
	return storetest.ConsoleHarness{
		New: func(t *testing.T, now func() time.Time) ferry.ConsoleStore { return open(t, false, now) },
		Exec: func(t *testing.T, s ferry.ConsoleStore, query string, args ...any) error {
			_, err := s.(*storage.DB).ExecSQL(context.Background(), query, args...)
			return err
		},
	}
}

func TestConsoleConformanceSQLite(t *testing.T) {
	storetest.Console(t, consoleHarness(openSQLite))
}

func TestConsoleConformancePostgres(t *testing.T) {
	storetest.Console(t, consoleHarness(openPostgres))
}
