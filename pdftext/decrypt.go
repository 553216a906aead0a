package pdftext

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

var disablePdfcpuConfig sync.Once

// decrypt rewrites an encrypted PDF as a plain one with pdfcpu, which
// implements every standard security handler (RC4 40 to 128 bits, AES-128,
// AES-256 revisions 5 and 6); Ferry's object reader has none of its own,
// and reads the plain file. pdfcpu validates the file's structure as it
// decrypts (a page tree cycle fails there), but takes no context: the
// decryption of one file cannot be cancelled, only the pages after it.
// The password is used only here and never appears in an error.
func decrypt(data []byte, password string) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, panicError("decrypt", r)
		}
	}()
	disablePdfcpuConfig.Do(api.DisableConfigDir)
	conf := model.NewDefaultConfiguration()
	conf.UserPW = password
	conf.OwnerPW = password
	conf.ValidationMode = model.ValidationRelaxed
	var buf bytes.Buffer
	if err := api.Decrypt(bytes.NewReader(data), &buf, conf); err != nil {
		msg := err.Error()
		switch {
		case errors.Is(err, pdfcpu.ErrWrongPassword) || strings.Contains(msg, "correct password"):
			if password == "" {
				return nil, fmt.Errorf("pdftext: the PDF is encrypted: supply its password: %w", ErrPassword)
			}
			return nil, fmt.Errorf("pdftext: the PDF is encrypted and the password does not open it: %w", ErrPassword)
		case strings.Contains(msg, "not encrypted"):
			return data, nil
		case strings.Contains(msg, "unsupported") || strings.Contains(msg, "encryption"):
			return nil, fmt.Errorf("pdftext: %s: %w", strings.ReplaceAll(msg, password, "…"), ErrUnsupportedEncryption)
		}
		if password != "" {
			msg = strings.ReplaceAll(msg, password, "…")
		}
		return nil, fmt.Errorf("pdftext: decrypting: %s", msg)
	}
	return buf.Bytes(), nil
}
