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
	if len(out) == 0 {
		out = append(out, &delivery.JSONLines{Path: filepath.Join(c.DataDir, "records.jsonl")})
	}
	return out, nil
}

// sandboxCredentials are the sandbox bank's published logins.
func sandboxCredentials() runner.StaticCredentials { return sandbox.Credentials() }
