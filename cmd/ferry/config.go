package main

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/delivery"
	"github.com/ferry-rpa/ferry/ledger"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox"
	"gopkg.in/yaml.v3"
)

// defaultConfig points Ferry at a sandbox served by `ferry sandbox` on its
// default port, with the sandbox's published logins.
//
//go:embed ferry.example.yaml
var defaultConfig []byte

// Config is ferry.yaml.
type Config struct {
	DataDir      string                       `yaml:"data_dir"`
	ScriptsDir   string                       `yaml:"scripts_dir"`
	SelectorsDir string                       `yaml:"selectors_dir"`
	Chromium     string                       `yaml:"chromium"`
	Workers      int                          `yaml:"workers"`
	Sites        map[string]string            `yaml:"sites"`
	Credentials  map[string]map[string]Secret `yaml:"credentials"`
	Schedules    []runner.Schedule            `yaml:"schedules"`
	Sinks        struct {
		JSONL *struct {
			Path string `yaml:"path"`
		} `yaml:"jsonl"`
		HTTP *struct {
			URL     string            `yaml:"url"`
			Headers map[string]Secret `yaml:"headers"`
		} `yaml:"http"`
		// Endpoints are generic HTTP sinks: see delivery.Endpoint.
		Endpoints []EndpointConfig `yaml:"endpoints"`
		// Hledger feeds hledger-web's API with balanced transactions.
		Hledger *struct {
			URL     string `yaml:"url"`
			Mapping string `yaml:"mapping"`
		} `yaml:"hledger"`
	} `yaml:"sinks"`
	path string
}

// Secret is a credential field: a literal (for sandboxes only), or read
// from the environment or a file at use, so the config file can be shared.
type Secret struct {
	Value, Env, File string
}

// UnmarshalYAML reads "value", {env: NAME} or {file: PATH}.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		s.Value = n.Value
		return nil
	}
	var m struct {
		Env  string `yaml:"env"`
		File string `yaml:"file"`
	}
	if err := n.Decode(&m); err != nil {
		return err
	}
	if (m.Env == "") == (m.File == "") {
		return fmt.Errorf("line %d: a secret is a string, {env: NAME} or {file: PATH}", n.Line)
	}
	s.Env, s.File = m.Env, m.File
	return nil
}

func (s Secret) resolve() (string, error) {
	switch {
	case s.Env != "":
		v, ok := os.LookupEnv(s.Env)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", s.Env)
		}
		return v, nil
	case s.File != "":
		b, err := os.ReadFile(s.File)
		if err != nil {
			return "", fmt.Errorf("secret file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return s.Value, nil
}

func loadConfig(path string) (*Config, error) {
	data := defaultConfig
	name := "embedded default config"
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		data, name = b, path
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	c.path = name
	if c.DataDir == "" {
		c.DataDir = ".ferry"
	}
	if path != "" {
		// Relative paths in a config file are relative to the file.
		base := filepath.Dir(path)
		for _, p := range []*string{&c.DataDir, &c.ScriptsDir, &c.SelectorsDir} {
			if *p != "" && !filepath.IsAbs(*p) {
				*p = filepath.Join(base, *p)
			}
		}
		if c.Sinks.JSONL != nil && !filepath.IsAbs(c.Sinks.JSONL.Path) {
			c.Sinks.JSONL.Path = filepath.Join(base, c.Sinks.JSONL.Path)
		}
	}
	return &c, nil
}

// credentials resolves every configured login. Errors name the login and
// field, never a value.
func (c *Config) credentials() (runner.StaticCredentials, error) {
	out := runner.StaticCredentials{}
	for name, fields := range c.Credentials {
		cr := ferry.Credential{Name: name, Fields: map[string]string{}}
		for k, s := range fields {
			v, err := s.resolve()
			if err != nil {
				return nil, fmt.Errorf("config %s: credential %s field %s: %w", c.path, name, k, err)
			}
			cr.Fields[k] = v
		}
		out[name] = cr
	}
	return out, nil
}

func (c *Config) sinks() ([]delivery.Sink, error) {
	var out []delivery.Sink
	if c.Sinks.JSONL != nil {
		p := c.Sinks.JSONL.Path
		if p == "" {
			p = filepath.Join(c.DataDir, "records.jsonl")
		}
		out = append(out, &delivery.JSONLines{Path: p})
	}
	if h := c.Sinks.HTTP; h != nil {
		sink := &delivery.HTTP{URL: h.URL, Header: map[string][]string{}}
		for k, s := range h.Headers {
			v, err := s.resolve()
			if err != nil {
				return nil, fmt.Errorf("config %s: sink header %s: %w", c.path, k, err)
			}
			sink.Header[k] = []string{v}
		}
		out = append(out, sink)
	}
	if h := c.Sinks.Hledger; h != nil {
		p := h.Mapping
		if p != "" && !filepath.IsAbs(p) && c.path != "embedded default config" {
			p = filepath.Join(filepath.Dir(c.path), p)
		}
		m, err := ledger.LoadMapping(p)
		if err != nil {
			return nil, fmt.Errorf("config %s: sinks.hledger: %w", c.path, err)
		}
		out = append(out, &delivery.Hledger{URL: h.URL, Mapping: m})
	}
	for i, ec := range c.Sinks.Endpoints {
		e, err := ec.endpoint()
		if err != nil {
			return nil, fmt.Errorf("config %s: sinks.endpoints[%d] (%s): %w", c.path, i, ec.Name, err)
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		out = append(out, &delivery.JSONLines{Path: filepath.Join(c.DataDir, "records.jsonl")})
	}
	return out, nil
}

// EndpointConfig is one generic HTTP sink in ferry.yaml.
type EndpointConfig struct {
	Name              string          `yaml:"name"`
	URL               string          `yaml:"url"`
	Method            string          `yaml:"method"`
	Body              string          `yaml:"body"` // json, form, or a template
	ContentType       string          `yaml:"content_type"`
	IdempotencyHeader string          `yaml:"idempotency_header"`
	Batch             int             `yaml:"batch"`
	Results           string          `yaml:"results"`    // where per-row results are in a batch answer
	ResultKey         string          `yaml:"result_key"` // the dedup key's field in a result
	Rules             []delivery.Rule `yaml:"rules"`
	Auth              struct {
		Bearer *Secret `yaml:"bearer"`
		Basic  *struct {
			User     string `yaml:"user"`
			Password Secret `yaml:"password"`
		} `yaml:"basic"`
		HMAC  *Secret `yaml:"hmac"`
		Login *struct {
			URL       string `yaml:"url"`
			Body      Secret `yaml:"body"`
			Token     string `yaml:"token"`
			ExpiresIn string `yaml:"expires_in"`
		} `yaml:"login"`
	} `yaml:"auth"`
}

func (ec EndpointConfig) endpoint() (*delivery.Endpoint, error) {
	if ec.Name == "" || ec.URL == "" {
		return nil, fmt.Errorf("name and url are required")
	}
	for i, r := range ec.Rules {
		switch r.Outcome {
		case delivery.Delivered, delivery.Already, delivery.Transient, delivery.Refused:
		default:
			return nil, fmt.Errorf("rules[%d]: outcome %q (want delivered, already, transient or rejected)", i, r.Outcome)
		}
	}
	e := &delivery.Endpoint{SinkName: ec.Name, URL: ec.URL, Method: ec.Method, Body: ec.Body, ContentType: ec.ContentType,
		IdempotencyHeader: ec.IdempotencyHeader, Batch: ec.Batch, ResultsPath: ec.Results, ResultKey: ec.ResultKey, Rules: ec.Rules}
	a := ec.Auth
	n := 0
	if a.Bearer != nil {
		v, err := a.Bearer.resolve()
		if err != nil {
			return nil, fmt.Errorf("auth.bearer: %w", err)
		}
		e.Auth.Bearer, n = v, n+1
	}
	if a.Basic != nil {
		v, err := a.Basic.Password.resolve()
		if err != nil {
			return nil, fmt.Errorf("auth.basic.password: %w", err)
		}
		e.Auth.Basic, n = &[2]string{a.Basic.User, v}, n+1
	}
	if a.HMAC != nil {
		v, err := a.HMAC.resolve()
		if err != nil {
			return nil, fmt.Errorf("auth.hmac: %w", err)
		}
		e.Auth.HMAC, n = v, n+1
	}
	if a.Login != nil {
		v, err := a.Login.Body.resolve()
		if err != nil {
			return nil, fmt.Errorf("auth.login.body: %w", err)
		}
		e.Auth.Login, n = &delivery.Login{URL: a.Login.URL, Body: v, TokenPath: a.Login.Token, ExpiresIn: a.Login.ExpiresIn}, n+1
	}
	if n > 1 {
		return nil, fmt.Errorf("auth: give one of bearer, basic, hmac or login")
	}
	if e.Body != "" && e.Body != "json" && e.Body != "form" {
		// Parse the template now: a broken template is a config error.
		if err := e.Check(); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// sandboxCredentials are the sandbox bank's published logins.
func sandboxCredentials() runner.StaticCredentials { return sandbox.Credentials() }
