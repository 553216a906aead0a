package main

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// slowPDF writes a valid PDF whose pages all draw one content stream of
// two million operators: minutes of work, every operator legal.
func slowPDF(t *testing.T, pages int) []byte {
	t.Helper()
	var content bytes.Buffer
	zw := zlib.NewWriter(&content)
	ops := bytes.Repeat([]byte("q Q\n"), 2_000_000)
	zw.Write(ops)
	zw.Close()
	var b bytes.Buffer
	var offsets []int
	obj := func(format string, args ...any) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n", len(offsets))
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\nendobj\n")
	}
	b.WriteString("%PDF-1.4\n")
	kids := make([]string, pages)
	for i := range kids {
		kids[i] = fmt.Sprintf("%d 0 R", 4+i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), pages)
	offsets = append(offsets, b.Len())
	fmt.Fprintf(&b, "3 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n", content.Len())
	b.Write(content.Bytes())
	b.WriteString("\nendstream\nendobj\n")
	for range pages {
		obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>")
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}

// SIGTERM stops a long parse at once: the parse checks the signal's
// context as it reads, and the exit code says it was interrupted.
func TestParseStopsOnSIGTERM(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := buildFerry(t)
	pdf := filepath.Join(dir, "slow.pdf")
	if err := os.WriteFile(pdf, slowPDF(t, 400), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "parse", pdf)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// The parse is under way once the process has had a moment; the
	// signal then has to stop it, whenever it arrives.
	select {
	case err := <-done:
		t.Fatalf("the parse of 400 slow pages ended before the signal: %v\n%s", err, stderr.String())
	case <-time.After(time.Second):
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("ferry parse still running 20 s after SIGTERM")
	}
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Fatalf("got exit %d, want %d (interrupted)\n%s", code, exitInterrupted, stderr.String())
	}
}
