package delivery

import (
	"bytes"
	"encoding/json"
	"fmt"
	"text/template"
)

// parseInvoiceBody parses an endpoint's invoice body template, with the
// same functions as its Body template.
func parseInvoiceBody(sink, text string) (*template.Template, error) {
	t, err := template.New(sink + " invoice body").Option("missingkey=error").Funcs(template.FuncMap{"json": func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}}).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("invoice body template: %w", err)
	}
	return t, nil
}

// invoiceBody renders an invoice record with the endpoint's InvoiceBody
// template. ok is false for any other record, or when the endpoint has
// no such template (Body renders it).
func (e *Endpoint) invoiceBody(payload []byte) (body []byte, ok bool, err error) {
	if e.invTmpl == nil {
		return nil, false, nil
	}
	var rec map[string]any
	if err := json.Unmarshal(payload, &rec); err != nil {
		return nil, false, err
	}
	if rec["type"] != "invoice" {
		return nil, false, nil
	}
	var b bytes.Buffer
	if err := e.invTmpl.Execute(&b, rec); err != nil {
		return nil, true, fmt.Errorf("invoice body template: %w", err)
	}
	return b.Bytes(), true, nil
}
