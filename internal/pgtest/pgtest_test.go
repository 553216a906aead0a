package pgtest_test

import (
	"context"
	"os"
	"testing"

	"github.com/ferry-rpa/ferry/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

func TestDatabasesAreFreshAndSeparate(t *testing.T) {
	srv := pgtest.New()
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
	})
	ctx := context.Background()
	a, b := srv.Database(t), srv.Database(t)
	if a == b {
		t.Fatalf("two tests share %s", a)
	}
	ca, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close(ctx)
	if _, err := ca.Exec(ctx, `CREATE TABLE x (id int)`); err != nil {
		t.Fatal(err)
	}
	cb, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close(ctx)
	var n int
	if err := cb.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = 'x'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("second database sees the first's table: %d, %v", n, err)
	}
	if os.Geteuid() == 0 {
		var who string
		if err := ca.QueryRow(ctx, `SELECT current_user`).Scan(&who); err != nil || who != "postgres" {
			t.Fatalf("current_user %q, %v", who, err)
		}
	}
}

func TestDatabaseFromTemplate(t *testing.T) {
	srv := pgtest.New()
	t.Cleanup(func() { _ = srv.Stop() })
	ctx := context.Background()
	made := 0
	setup := func(ctx context.Context, url string) error {
		made++
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		_, err = c.Exec(ctx, `CREATE TABLE schema_v1 (id int)`)
		return err
	}
	for range 3 {
		c, err := pgx.Connect(ctx, srv.DatabaseFrom(t, "schema", setup))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(ctx, `INSERT INTO schema_v1 VALUES (1)`); err != nil {
			t.Fatalf("the copy lacks the template's table: %v", err)
		}
		c.Close(ctx)
	}
	if made != 1 {
		t.Fatalf("the template was made %d times", made)
	}
}

// TestDatabaseAfterBackendsEnded: a test that ends every other backend
// (as a failover test does) closes the server's own admin connection;
// the next Database opens it again rather than failing every later test
// with "broken pipe".
func TestDatabaseAfterBackendsEnded(t *testing.T) {
	srv := pgtest.New()
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
	})
	ctx := context.Background()
	c, err := pgx.Connect(ctx, srv.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var ended int
	if err := c.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'`).Scan(&ended); err != nil {
		t.Fatal(err)
	}
	if ended < 1 {
		t.Fatalf("ended %d backends; the admin connection should be one of them", ended)
	}
	u := srv.Database(t)
	c2, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close(ctx)
	if err := c2.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}
