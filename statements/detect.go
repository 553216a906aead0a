package statements

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/ferry-rpa/ferry"
)

// mtStart finds an MT940 field tag at a line start.
var mtStart = regexp.MustCompile(`(?m)^:(20|25|60F|61):`)

// Detect tells a file's format from its first bytes, falling back to its name.
func Detect(name string, data []byte) (Format, error) {
	switch {
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return PDF, nil
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return XLSX, nil
	case bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return "", ferry.Errorf(ferry.ClassDocumentChanged, name, "%v", ErrLegacyXLS)
	}
	head := bytes.TrimLeft(bytes.TrimPrefix(data[:min(len(data), 4096)], []byte("\xEF\xBB\xBF")), " \t\r\n")
	if bytes.HasPrefix(head, []byte("<")) && bytes.Contains(data[:min(len(data), 4096)], []byte("urn:iso:std:iso:20022:tech:xsd:camt.05")) {
		return CAMT, nil
	}
	if bytes.HasPrefix(head, []byte("01,")) && bytes.Contains(data[:min(len(data), 4096)], []byte("\n02,")) {
		return BAI2, nil
	}
	if bytes.Contains(head, []byte("OFXHEADER")) || bytes.Contains(data[:min(len(data), 4096)], []byte("<OFX>")) {
		return OFX, nil
	}
	if mtStart.Match(data[:min(len(data), 8192)]) && bytes.Contains(data, []byte(":61:")) || bytes.Contains(data[:min(len(data), 512)], []byte("{4:")) {
		return MT940, nil
	}
	switch strings.ToLower(strings.TrimPrefix(filepath.Ext(name), ".")) {
	case "csv", "txt":
		return CSV, nil
	}
	if len(data) > 0 && !bytes.ContainsRune(data[:min(len(data), 4096)], 0) {
		return CSV, nil
	}
	return "", ferry.Errorf(ferry.ClassDocumentChanged, name, "unrecognised statement file (not PDF, XLSX or CSV)")
}
