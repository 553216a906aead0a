package pdftext

import (
	"fmt"
	"strings"
)

// FormField is one filled-in form field (AcroForm) of a document.
type FormField struct {
	Name  string // the fully qualified name: parents' names joined with "."
	Value string
}

// Bounds on a hostile field tree: fields, and fields inside fields.
const (
	maxFormFields = 10000
	maxFieldDepth = 32
)

// FormFields returns the values of the document's form fields, in the
// order the form lists them. Text in form fields is not part of the pages'
// content streams, so page text alone would miss it. A field reached twice
// (a cycle in /Kids) makes the form malformed.
func (d *Document) FormFields() (fields []FormField, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			fields, err = nil, panicError("form fields", r)
			d.fault = err
		}
	}()
	form, _ := d.resolve(d.catalog()["AcroForm"]).(dict)
	if form == nil {
		return nil, nil
	}
	seen := map[ref]bool{}
	var walk func(v any, prefix string, depth int) error
	walk = func(v any, prefix string, depth int) error {
		if err := d.ctxErr(); err != nil {
			return fmt.Errorf("pdftext: form fields: %w", err)
		}
		if depth > maxFieldDepth || len(fields) >= maxFormFields {
			return fmt.Errorf("pdftext: form field tree too deep or too large: %w", ErrTooLarge)
		}
		if r, ok := v.(ref); ok {
			if seen[r] {
				return fmt.Errorf("pdftext: form fields: %v is reached twice (a cycle in /Kids?): %w", r, ErrMalformed)
			}
			seen[r] = true
		}
		f, ok := d.resolve(v).(dict)
		if !ok {
			return nil
		}
		fname := ""
		if t, ok := d.resolve(f["T"]).(pdfString); ok {
			fname = t.text()
		}
		full := fname
		if prefix != "" && fname != "" {
			full = prefix + "." + fname
		} else if fname == "" {
			full = prefix
		}
		if kids, ok := d.resolve(f["Kids"]).(array); ok && len(kids) > 0 {
			for _, k := range kids {
				if err := walk(k, full, depth+1); err != nil {
					return err
				}
			}
			return nil
		}
		var s string
		switch val := d.resolve(f["V"]).(type) {
		case nil:
			return nil
		case pdfString:
			s = val.text()
		case name:
			s = string(val)
		case array:
			parts := make([]string, 0, len(val))
			for _, e := range val {
				if t, ok := d.resolve(e).(pdfString); ok {
					parts = append(parts, t.text())
				}
			}
			s = strings.Join(parts, ", ")
		case *stream:
			// rich text values: the plain value is in the stream
			b, err := d.decodeStream(val, maxCMapBytes)
			if err != nil {
				return fmt.Errorf("pdftext: form field %q: %w", full, err)
			}
			s = string(b)
		default:
			s = objString(val)
		}
		fields = append(fields, FormField{Name: full, Value: s})
		return nil
	}
	list, _ := d.resolve(form["Fields"]).(array)
	for _, f := range list {
		if err := walk(f, "", 0); err != nil {
			return fields, err
		}
	}
	if d.fault != nil {
		return nil, fmt.Errorf("pdftext: form fields: %w", d.fault)
	}
	return fields, nil
}
