package scripts

import (
	"errors"
	"fmt"
	"github.com/ferry-rpa/ferry"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Param is one parameter a bot declares: its values come as text (from
// `ferry run --param k=v`, a schedule's params, the console) and are
// checked against Type before any browser starts.
type Param struct {
	// Type is string, int, date, bool, decimal or enum.
	Type string `yaml:"type"`
	// Default is used when a run gives no value. A date default may be
	// relative (today, yesterday, today-N), read when the run is made.
	Default *string `yaml:"default,omitempty"`
	// Values are an enum's allowed values.
	Values []string `yaml:"values,omitempty"`
	// Required: a run must give a value (there is no default).
	Required    bool   `yaml:"required,omitempty"`
	Description string `yaml:"description,omitempty"`
	// Line is where the file declares it.
	Line int `yaml:"-"`
}

// The parameter types.
const (
	ParamString  = "string"
	ParamInt     = "int"
	ParamDate    = "date"
	ParamBool    = "bool"
	ParamDecimal = "decimal"
	ParamEnum    = "enum"
)

var (
	paramName   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	decimalText = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
)

// Normalize checks v against the parameter's type and returns it in its
// canonical form: a date as YYYY-MM-DD (relative dates read against now),
// an int without sign or zeros it does not need, a bool as true or false.
// A decimal keeps its digits as given (a site may want "1.50").
func (p Param) Normalize(v string, now time.Time) (string, error) {
	v = strings.TrimSpace(v)
	switch p.Type {
	case ParamString:
		return v, nil
	case ParamInt:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return "", fmt.Errorf("%q is not an int", v)
		}
		return strconv.FormatInt(n, 10), nil
	case ParamDate:
		d, err := RelativeDate(v, now)
		if err != nil {
			return "", fmt.Errorf("%q is not a date (want YYYY-MM-DD, today, yesterday or today-N)", v)
		}
		return d.String(), nil
	case ParamBool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return "", fmt.Errorf("%q is not a bool (want true or false)", v)
		}
		return strconv.FormatBool(b), nil
	case ParamDecimal:
		if !decimalText.MatchString(v) {
			return "", fmt.Errorf("%q is not a decimal (want digits with an optional point, like 1250.50)", v)
		}
		if _, err := decimal.NewFromString(v); err != nil {
			return "", fmt.Errorf("%q is not a decimal: %w", v, err)
		}
		return v, nil
	case ParamEnum:
		for _, x := range p.Values {
			if v == x {
				return v, nil
			}
		}
		return "", fmt.Errorf("%q is not one of %s", v, strings.Join(p.Values, ", "))
	}
	return "", fmt.Errorf("unknown type %q", p.Type)
}

// ParamNames lists the script's parameters, sorted.
func (s *Script) ParamNames() []string {
	out := make([]string, 0, len(s.Params))
	for k := range s.Params {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ResolveParams checks the values a run gives against the script's
// declared parameters and fills in defaults, relative to now (the slot of
// a scheduled run). It returns every parameter that has a value, in its
// canonical form; resolving the result again gives the same result, so
// the runner may resolve when a run is made and the engine again when it
// starts. The error names the bot, the parameter and the bad value, for
// every bad parameter at once: call it before any browser starts.
func (s *Script) ResolveParams(given map[string]string, now time.Time) (map[string]string, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("scripts: bot %s: %s", s.Bot, fmt.Sprintf(format, args...)))
	}
	names := make([]string, 0, len(given))
	for k := range given {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if _, ok := s.Params[k]; !ok {
			declared := "none"
			if len(s.Params) > 0 {
				declared = strings.Join(s.ParamNames(), ", ")
			}
			bad("unknown parameter %q (the bot declares: %s)", k, declared)
		}
	}
	out := map[string]string{}
	for _, k := range s.ParamNames() {
		p := s.Params[k]
		v, ok := given[k]
		switch {
		case ok:
		case p.Default != nil:
			v = *p.Default
		case p.Required:
			hint := ""
			if p.Description != "" {
				hint = " (" + p.Description + ")"
			}
			bad("parameter %q is required%s: give it with --param %s=VALUE", k, hint, k)
			continue
		default:
			continue
		}
		n, err := p.Normalize(v, now)
		if err != nil {
			bad("parameter %q (%s): %v", k, p.Type, err)
			continue
		}
		out[k] = n
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// ParseParamArgs reads `--param NAME=VALUE` arguments (each "NAME=VALUE";
// the value may hold "=") into values for ResolveParams. A name given
// twice or an argument without "=" is an error naming it.
func ParseParamArgs(args []string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("scripts: --param %q: want NAME=VALUE", a)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("scripts: --param %s is given twice", k)
		}
		out[k] = v
	}
	return out, nil
}

// ResolveRun completes a run's parameters before it is queued: missing
// dates from the script's defaults ("yesterday" when it has none) and the
// bot's own parameters through ResolveParams, all relative to now (the
// slot of a scheduled run, where it is scheduled). Errors name the date
// or parameter; a period that ends before it starts is an error.
func (s *Script) ResolveRun(p ferry.RunParams, now time.Time) (ferry.RunParams, error) {
	for _, f := range []struct {
		name string
		d    *ferry.Date
	}{{"from", &p.From}, {"to", &p.To}} {
		if !f.d.IsZero() {
			continue
		}
		def := s.Defaults[f.name]
		if def == "" {
			def = "yesterday"
		}
		d, err := RelativeDate(def, now)
		if err != nil {
			return p, fmt.Errorf("scripts: bot %s: default %s %q: %w", s.Bot, f.name, def, err)
		}
		*f.d = d
	}
	if p.To.Before(p.From) {
		return p, fmt.Errorf("scripts: bot %s: period %s to %s ends before it starts", s.Bot, p.From, p.To)
	}
	values, err := s.ResolveParams(p.Values, now)
	if err != nil {
		return p, err
	}
	if len(values) == 0 {
		values = nil
	}
	p.Values = values
	return p, nil
}
