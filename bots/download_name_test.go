package bots_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ferry-rpa/ferry/bots"
)

func TestSanitizeFilename(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 200) + ".csv"
	for in, want := range map[string]string{
		"statement.csv":                      "statement.csv",
		"../../etc/passwd":                   "passwd",
		`..\..\windows\win.ini`:              "win.ini",
		"a..b..csv":                          "a.b.csv",
		"..":                                 "download",
		"":                                   "download",
		"  .hidden ":                         "hidden",
		"report\x00.csv":                     "report.csv",
		"line1\nline2\r.csv":                 "line1line2.csv",
		"\x1b[31mred\x1b[0m.csv":             "[31mred[0m.csv",
		"invoice\u202Efdp.exe":               "invoicefdp.exe",
		"zero\u200Bwidth\u2066.pdf":          "zerowidth.pdf",
		"bad\xffutf8.csv":                    "bad_utf8.csv",
		"a:b*c?.csv":                         "a_b_c_.csv",
		"tab\there.csv":                      "tabhere.csv",
		"对账单_2026-10.xlsx":                   "对账单_2026-10.xlsx",
		"trailing dots...":                   "trailing dots",
		"dir/sub/" + "\u0085next.csv":        "next.csv",
		"x" + strings.Repeat("y", 300) + ".": "x" + strings.Repeat("y", 119),
	} {
		if got := bots.SanitizeFilename(in); got != want {
			t.Errorf("SanitizeFilename(%q) = %q, want %q", in, got, want)
		}
	}
	got := bots.SanitizeFilename(long)
	if len(got) > 120 || !strings.HasSuffix(got, ".csv") || !utf8.ValidString(got) {
		t.Errorf("long name: %q (%d bytes)", got, len(got))
	}
}

func TestParseByteSize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"200MB": 200 << 20, "1.5 GB": 3 << 29, "512MiB": 512 << 20, "800k": 800 << 10, "4096": 4096} {
		if got, err := bots.ParseByteSize(in); err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MB", "-1MB", "lots", "0"} {
		if _, err := bots.ParseByteSize(bad); err == nil {
			t.Errorf("ParseByteSize(%q): no error", bad)
		}
	}
}
