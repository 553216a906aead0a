package bots

// File names a site gives its downloads are the site's text: they are
// made safe before Ferry prints or stores them.

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameBytes bounds a download's name: long enough for any real export,
// short enough for every file system and terminal line.
const maxNameBytes = 120

// SanitizeFilename returns a download's name safe to print and store: its
// last path element (both / and \ separate), without control characters
// (NUL, newlines, ANSI escapes), bidirectional overrides and other
// invisible format characters, without "..", leading dots or trailing
// dots and spaces, at most 120 bytes with its extension kept, and never
// empty ("download").
func SanitizeFilename(name string) string {
	name = strings.ToValidUTF8(name, "_")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, c := range name {
		switch {
		case c == 0x1b:
			// An ANSI escape: its sequence's remaining text is harmless.
		case unicode.IsControl(c), unicode.Is(unicode.Cf, c), c == utf8.RuneError:
			// Cf holds the bidirectional overrides (U+202A-U+202E,
			// U+2066-U+2069) and zero-width characters.
		case c == ':' || c == '*' || c == '?' || c == '"' || c == '<' || c == '>' || c == '|':
			b.WriteByte('_') // reserved on Windows shares and in shells
		case unicode.IsSpace(c):
			b.WriteByte(' ')
		default:
			b.WriteRune(c)
		}
	}
	name = b.String()
	for strings.Contains(name, "..") {
		name = strings.ReplaceAll(name, "..", ".")
	}
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	name = strings.TrimRight(name, ". ")
	if len(name) > maxNameBytes {
		ext := path.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		name = clipBytes(strings.TrimSuffix(name, ext), maxNameBytes-len(ext)) + ext
	}
	if name == "" {
		return "download"
	}
	return name
}

// clipBytes cuts s to at most n bytes without splitting a character.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ParseByteSize reads a size as config writes it: "200MB", "1.5 GB",
// "512MiB", "800k" or a number of bytes. MB and MiB are both 2^20 bytes:
// a cap is an order of magnitude, not a unit test.
func ParseByteSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.m
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f <= 0 || f*float64(mult) > 1<<50 {
		return 0, fmt.Errorf("size %q: want a positive number of bytes, or with KB, MB or GB", s)
	}
	return int64(f * float64(mult)), nil
}
