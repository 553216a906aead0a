package pdftext

import (
	"fmt"
	"strings"

	"github.com/ledongthuc/pdf"
)

// FormField is one filled-in form field (AcroForm) of a document.
type FormField struct {
	Name  string // the fully qualified name: parents' names joined with "."
	Value string
}

// maxFormFields bounds a hostile field tree.
const maxFormFields = 10000

// FormFields returns the values of the document's form fields, in the
// order the form lists them. Text in form fields is not part of the pages'
// content streams, so page text alone would miss it.
func (d *Document) FormFields() (fields []FormField, err error) {
	defer func() {
		if r := recover(); r != nil {
			fields, err = nil, panicError("form fields", r)
		}
	}()
	form := d.r.Trailer().Key("Root").Key("AcroForm")
	if form.IsNull() {
		return nil, nil
	}
	var walk func(v pdf.Value, prefix string, depth int) error
	walk = func(v pdf.Value, prefix string, depth int) error {
		if depth > 32 || len(fields) > maxFormFields {
			return fmt.Errorf("pdftext: form field tree too deep or too large")
		}
		name := v.Key("T").Text()
		full := name
		if prefix != "" && name != "" {
			full = prefix + "." + name
		} else if name == "" {
			full = prefix
		}
		if kids := v.Key("Kids"); kids.Kind() == pdf.Array && kids.Len() > 0 {
			for i := 0; i < kids.Len(); i++ {
				if err := walk(kids.Index(i), full, depth+1); err != nil {
					return err
				}
			}
			return nil
		}
		val := v.Key("V")
		var s string
		switch val.Kind() {
		case pdf.String:
			s = val.Text()
		case pdf.Name:
			s = val.Name()
		case pdf.Array:
			var parts []string
			for i := 0; i < val.Len(); i++ {
				parts = append(parts, val.Index(i).Text())
			}
			s = strings.Join(parts, ", ")
		case pdf.Null:
			return nil
		default:
			s = val.String()
		}
		fields = append(fields, FormField{Name: full, Value: s})
		return nil
	}
	list := form.Key("Fields")
	for i := 0; i < list.Len(); i++ {
		if err := walk(list.Index(i), "", 0); err != nil {
			return fields, err
		}
	}
	return fields, nil
}
