package main

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"github.com/ferry-rpa/ferry/storage"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/delivery"
	"github.com/ferry-rpa/ferry/ledger"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/ferry-rpa/ferry/selectors"
	"github.com/ferry-rpa/ferry/service"
	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"
)

// defaultConfig points Ferry at a sandbox served by `ferry sandbox` on its
// default port, with the sandbox's published logins.
//
//go:embed ferry.example.yaml
var defaultConfig []byte

// Config is ferry.yaml. Every path in it is relative to the file, and
// every file Ferry writes lives under DataDir unless the file names another
// place: one config and one data directory say where everything is.
type Config struct {
	DataDir string `yaml:"data_dir"`
	// Database is where Ferry keeps its state: empty for the SQLite file
	// in DataDir (the default), or a postgres:// URL so that several
	// machines share the work. FERRY_DATABASE and --database override it;
	// put a password there, not in this file.
	Database string `yaml:"database"`
	// Artifacts is where the files bots produce are kept: "database" (in
	// the database itself, so that every machine sharing a PostgreSQL
	// database sees them), or a directory (a shared one, for a cluster).
	// Empty: the database on PostgreSQL, DataDir/artifacts on SQLite.
	Artifacts    string                      `yaml:"artifacts"`
	ScriptsDir   string                      `yaml:"scripts_dir"`
	SelectorsDir string                      `yaml:"selectors_dir"`
	Chromium     string                      `yaml:"chromium"`
	Workers      int                         `yaml:"workers"`
	Sites        map[string]string           `yaml:"-"` // site name → base URL, from SiteEntries
	Credentials  map[string]CredentialConfig `yaml:"credentials"`
	Schedules    []runner.Schedule           `yaml:"schedules"`
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

	// SiteEntries are the portals Ferry logs in to, by name (sites: in the
	// file): a base URL, or {url, max_concurrent, min_interval}.
	SiteEntries map[string]SiteConfig `yaml:"sites"`
	// Bots holds per-bot settings, by bot (script) name.
	Bots map[string]BotConfig `yaml:"bots"`
	// Browser is a remote browser to run the bots in (see BrowserConfig).
	Browser BrowserConfig `yaml:"browser"`
	// Console is the web console serve serves (see ConsoleConfig); none
	// without an address.
	Console ConsoleConfig `yaml:"console"`
	// Vault is the credential vault's key (see VaultConfig): with a key
	// (here or in the environment), runs take their credentials from the
	// vault, and credentials: is not read.
	Vault VaultConfig `yaml:"vault"`
	// Logins keeps each login's browser state between runs, sealed (see
	// LoginsConfig).
	Logins LoginsConfig `yaml:"logins"`
	// Challenges says how runs wait for a person's code (see
	// ChallengesConfig).
	Challenges ChallengesConfig `yaml:"challenges"`

	path string     // the file, or embeddedConfigName
	doc  *yaml.Node // the parsed file, for the lines of errors found after decoding
}

// SiteConfig is one entry of sites: in ferry.yaml: the site's base URL
// ("name: https://…"), or a mapping with the URL and limits that hold
// across every Ferry process sharing the database, so that the bank never
// sees a burst of logins.
type SiteConfig struct {
	URL string
	// MaxConcurrent is how many runs may be logged in to the site at once
	// (0: no limit).
	MaxConcurrent int
	// MinInterval is the least time between two runs' logins on the site
	// (0: none).
	MinInterval time.Duration
	// Page holds the browser page's settings for the site: window:
	// {width, height} (default 1280x900), device: desktop, mobile or
	// tablet, and dialogs: {alert, confirm, prompt, beforeunload: accept,
	// dismiss or fail}.
	Page bots.SiteOptions
	// MaxDownload caps one download from the site in bytes (max_download:
	// 200MB; 0: bots.DefaultMaxDownload). A larger file fails its step,
	// naming the file and the cap, and nothing of it is stored.
	MaxDownload int64
}

// UnmarshalYAML reads "URL" or {url: URL, max_concurrent: N, min_interval:
// 30s}. It checks the mapping's keys itself, since yaml.v3 does not pass
// KnownFields down to a custom unmarshaler.
func (s *SiteConfig) UnmarshalYAML(n *yaml.Node) error {
	bad := func(line int, format string, args ...any) error {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s", line, fmt.Sprintf(format, args...))}}
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return bad(n.Line, "a site is a URL or {url: URL, max_concurrent: N, min_interval: DURATION}")
		}
		s.URL = n.Value
		return nil
	case yaml.MappingNode:
	default:
		return bad(n.Line, "a site is a URL or {url: URL, max_concurrent: N, min_interval: DURATION}")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "window" || k.Value == "dialogs" {
			if err := decodeSitePage(&s.Page, k.Value, v, bad); err != nil {
				return err
			}
			continue
		}
		if v.Kind != yaml.ScalarNode {
			return bad(v.Line, "%s: want a single value", k.Value)
		}
		switch k.Value {
		case "device":
			s.Page.Device = v.Value
			if err := (bots.SiteOptions{Device: v.Value}).Validate(); err != nil {
				return bad(v.Line, "%v", err)
			}
		case "url":
			s.URL = v.Value
		case "max_concurrent":
			c, err := strconv.Atoi(v.Value)
			if err != nil || c < 0 {
				return bad(v.Line, "max_concurrent: %q is not a whole number of runs, 0 or more (0: no limit)", v.Value)
			}
			s.MaxConcurrent = c
		case "min_interval":
			d, err := time.ParseDuration(v.Value)
			if err != nil || d < 0 {
				return bad(v.Line, "min_interval: %q is not a duration such as 30s or 2m, 0 or more (0: none)", v.Value)
			}
			s.MinInterval = d
		case "max_download":
			b, err := bots.ParseByteSize(v.Value)
			if err != nil || b <= 0 {
				return bad(v.Line, "max_download: %q is not a size such as 200MB or 1GB", v.Value)
			}
			s.MaxDownload = b
		default:
			return bad(k.Line, "unknown key %q in a site (want url, max_concurrent, min_interval, max_download, window, device or dialogs)", k.Value)
		}
	}
	if s.URL == "" {
		return bad(n.Line, "the site has no url")
	}
	return nil
}

// decodeSitePage reads a site's window: {width, height} or dialogs:
// {alert, confirm, prompt, beforeunload} mapping into o, checking each key
// and value at its line.
func decodeSitePage(o *bots.SiteOptions, key string, v *yaml.Node, bad func(int, string, ...any) error) error {
	if v.Kind != yaml.MappingNode {
		if key == "window" {
			return bad(v.Line, "window: want {width: N, height: N} in pixels")
		}
		return bad(v.Line, "dialogs: want {alert|confirm|prompt|beforeunload: accept|dismiss|fail}")
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, x := v.Content[i], v.Content[i+1]
		if x.Kind != yaml.ScalarNode {
			return bad(x.Line, "%s.%s: want a single value", key, k.Value)
		}
		var field *string
		var size *int
		switch key + "." + k.Value {
		case "window.width":
			size = &o.Window.Width
		case "window.height":
			size = &o.Window.Height
		case "dialogs.alert":
			field = &o.Dialogs.Alert
		case "dialogs.confirm":
			field = &o.Dialogs.Confirm
		case "dialogs.prompt":
			field = &o.Dialogs.Prompt
		case "dialogs.beforeunload":
			field = &o.Dialogs.BeforeUnload
		default:
			if key == "window" {
				return bad(k.Line, "unknown key %q in window (want width and height)", k.Value)
			}
			return bad(k.Line, "unknown key %q in dialogs (want alert, confirm, prompt or beforeunload)", k.Value)
		}
		if size != nil {
			n, err := strconv.Atoi(x.Value)
			if err != nil || n <= 0 || n > 10000 {
				return bad(x.Line, "%s.%s: %q is not a number of pixels from 1 to 10000", key, k.Value, x.Value)
			}
			*size = n
			continue
		}
		*field = x.Value
		if err := o.Dialogs.Validate(); err != nil {
			return bad(x.Line, "%v", err)
		}
	}
	if key == "window" && (o.Window.Width == 0) != (o.Window.Height == 0) {
		return bad(v.Line, "window: give both width and height")
	}
	return nil
}

// siteEngine gives each run the page settings of its site (window, device,
// dialogs) and its download cap, found by the run's base URL, and streams
// every download under the data directory.
type siteEngine struct {
	runner.Engine
	pages     map[string]bots.SiteOptions // by base URL without a trailing slash
	caps      map[string]int64            // likewise
	downloads string                      // DATA_DIR/downloads
}

// Execute runs job with its site's settings in ctx.
func (e siteEngine) Execute(ctx context.Context, job ferry.BrowserJob[*scripts.Script, *selectors.File]) (*ferry.BrowserResult[selectors.Way], error) {
	base := strings.TrimRight(job.BaseURL, "/")
	if o, ok := e.pages[base]; ok {
		ctx = bots.WithSiteOptions(ctx, o)
	}
	ctx = bots.WithDownloadOptions(ctx, bots.DownloadOptions{Dir: e.downloads, Max: e.caps[base]})
	return e.Engine.Execute(ctx, job)
}

// sitePages wraps br to apply the sites' page settings and download caps,
// with downloads streamed to DATA_DIR/downloads (never outside the data
// directory); a nil br stays nil.
func (c *Config) sitePages(br runner.Engine) runner.Engine {
	if br == nil {
		return nil
	}
	e := siteEngine{Engine: br, pages: map[string]bots.SiteOptions{}, caps: map[string]int64{},
		downloads: filepath.Join(c.DataDir, "downloads")}
	for _, s := range c.SiteEntries {
		base := strings.TrimRight(s.URL, "/")
		if s.Page != (bots.SiteOptions{}) {
			e.pages[base] = s.Page
		}
		if s.MaxDownload > 0 {
			e.caps[base] = s.MaxDownload
		}
	}
	return e
}

// BotConfig is one entry of bots: in ferry.yaml.
type BotConfig struct {
	// Timeout bounds a run of the bot (default: 30 minutes). A bot that
	// waits for a person (a second factor, an approval) can be given hours.
	Timeout time.Duration `yaml:"timeout"`
}

// embeddedConfigName names the built-in configuration in errors.
const embeddedConfigName = "embedded default config"

// CredentialConfig is one login in ferry.yaml. The fields are fixed, so a
// typo such as `pasword:` is an error at load instead of an empty password
// submitted to the bank (which counts toward its lockout).
type CredentialConfig struct {
	User     Secret  `yaml:"user"`
	Password Secret  `yaml:"password"`
	TOTP     *Secret `yaml:"totp"` // the TOTP seed, for scripts with a totp step
}

// fields lists the credential's configured fields by the names scripts use
// (cred.user, cred.password, cred.totp).
func (c CredentialConfig) fields() map[string]Secret {
	m := map[string]Secret{"user": c.User, "password": c.Password}
	if c.TOTP != nil {
		m["totp"] = *c.TOTP
	}
	return m
}

// Secret is a credential field: a literal (for sandboxes only), or read
// from the environment or a file at use, so the config file can be shared.
type Secret struct {
	Value, Env, File string
	line             int    // where it is in the config, for errors
	base             string // the config file's directory, for relative files
}

// String says where the secret comes from, never its value, so a config
// printed by mistake (%v, %+v, a log field) shows no secret.
func (s Secret) String() string {
	switch {
	case s.Env != "":
		return "{env: " + s.Env + "}"
	case s.File != "":
		return "{file: " + s.File + "}"
	}
	return "******"
}

// GoString is String, for %#v.
func (s Secret) GoString() string { return s.String() }

// MarshalJSON is String as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(s.String())), nil }

// UnmarshalYAML reads "value", {env: NAME} or {file: PATH}. It checks the
// mapping's keys itself: yaml.v3 does not pass KnownFields down to a
// custom unmarshaler.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	s.line = n.Line
	if n.Kind == yaml.ScalarNode {
		if n.Tag == "!!null" {
			return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: the secret is empty (a string, {env: NAME} or {file: PATH})", n.Line)}}
		}
		s.Value = n.Value
		return nil
	}
	bad := func(line int, msg string) error {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s", line, msg)}}
	}
	if n.Kind != yaml.MappingNode {
		return bad(n.Line, "a secret is a string, {env: NAME} or {file: PATH}")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return bad(v.Line, fmt.Sprintf("%s: want a string", k.Value))
		}
		switch k.Value {
		case "env":
			s.Env = v.Value
		case "file":
			s.File = v.Value
		default:
			return bad(k.Line, fmt.Sprintf("unknown key %q in a secret (want env or file)", k.Value))
		}
	}
	if (s.Env == "") == (s.File == "") {
		return bad(n.Line, "a secret is a string, {env: NAME} or {file: PATH}")
	}
	return nil
}

// resolve reads the secret's value. Errors say where the secret is
// configured, never what it holds; an empty value is an error, since an
// empty secret must never be submitted.
func (s Secret) resolve() (string, error) {
	var v string
	switch {
	case s.Env != "":
		var ok bool
		if v, ok = os.LookupEnv(s.Env); !ok {
			return "", fmt.Errorf("environment variable %s is not set", s.Env)
		}
		if v == "" {
			return "", fmt.Errorf("environment variable %s is empty", s.Env)
		}
	case s.File != "":
		p := s.File
		if !filepath.IsAbs(p) && s.base != "" {
			p = filepath.Join(s.base, p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return "", fmt.Errorf("secret file: %w", err)
		}
		if v = strings.TrimSpace(string(b)); v == "" {
			return "", fmt.Errorf("secret file %s is empty", p)
		}
	default:
		if s.Value == "" {
			return "", errors.New("the value is empty")
		}
		v = s.Value
	}
	return v, nil
}

// configError is a problem in the configuration, found while reading it or
// checking it after, at a file and line. It has its own exit code.
type configError struct {
	file string
	line int // 0 when the problem has no single place
	msg  string
}

func (e *configError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("config %s:%d: %s", e.file, e.line, e.msg)
	}
	return fmt.Sprintf("config %s: %s", e.file, e.msg)
}

// yamlLineRe finds the line yaml.v3 puts in its messages ("line 7: ...",
// "yaml: line 7: ...").
var yamlLineRe = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// unknownFieldRe and decodedTypes turn yaml.v3's "field x not found in type
// main.T" into words an operator knows.
var unknownFieldRe = regexp.MustCompile(`^field (\S+) not found in type main\.(\w+)$`)

var decodedTypes = map[string]string{
	"Config":           "the config",
	"CredentialConfig": "a credential (it has user, password and totp)",
	"BotConfig":        "a bot (it has timeout)",
	"EndpointConfig":   "an endpoint",
	"BrowserConfig":    "browser (it has remote)",
	"ConsoleConfig":    "console (it has addr and secure_cookies)",
	"ChallengesConfig": "challenges (it has max_wait, notify_url, poll_url, poll_every, code_pattern and secret)",
}

// yamlErrors turns a yaml.v3 error into config errors with file and line.
func yamlErrors(file string, err error) error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var errs []error
	for _, m := range msgs {
		ce := &configError{file: file, msg: strings.TrimPrefix(m, "yaml: ")}
		if sm := yamlLineRe.FindStringSubmatch(m); sm != nil {
			ce.line, _ = strconv.Atoi(sm[1])
			ce.msg = sm[2]
		}
		if um := unknownFieldRe.FindStringSubmatch(ce.msg); um != nil {
			where, ok := decodedTypes[um[2]]
			if !ok {
				where = um[2]
			}
			ce.msg = fmt.Sprintf("unknown key %q in %s", um[1], where)
		}
		errs = append(errs, ce)
	}
	return errors.Join(errs...)
}

// loadConfig reads and checks a configuration: path, or the built-in one
// when path is "". dataDir, when set, replaces the config's data_dir (the
// --data flag) before anything derives a path from it. Every problem is a
// *configError naming the file and line.
func loadConfig(path, dataDir string) (*Config, error) {
	data := defaultConfig
	name := embeddedConfigName
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, &configError{file: path, msg: err.Error()}
		}
		data, name = b, path
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlErrors(name, err)
	}
	var c Config
	if len(doc.Content) > 0 {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return nil, yamlErrors(name, err)
		}
	}
	c.path, c.doc = name, &doc
	if c.SiteEntries != nil {
		c.Sites = make(map[string]string, len(c.SiteEntries))
		for name, s := range c.SiteEntries {
			c.Sites[name] = s.URL
		}
	}
	if c.DataDir == "" {
		c.DataDir = ".ferry"
	}
	base := ""
	if path != "" {
		// Relative paths in a config file are relative to the file.
		base = filepath.Dir(path)
		for _, p := range []*string{&c.DataDir, &c.ScriptsDir, &c.SelectorsDir} {
			if *p != "" && !filepath.IsAbs(*p) {
				*p = filepath.Join(base, *p)
			}
		}
		if c.Sinks.JSONL != nil && c.Sinks.JSONL.Path != "" && !filepath.IsAbs(c.Sinks.JSONL.Path) {
			c.Sinks.JSONL.Path = filepath.Join(base, c.Sinks.JSONL.Path)
		}
	}
	for name, cr := range c.Credentials {
		cr.User.base, cr.Password.base = base, base
		if cr.TOTP != nil {
			cr.TOTP.base = base
		}
		c.Credentials[name] = cr
	}
	if c.Vault.KeyFile != "" && base != "" && !filepath.IsAbs(c.Vault.KeyFile) {
		c.Vault.KeyFile = filepath.Join(base, c.Vault.KeyFile)
	}
	if dataDir != "" {
		c.DataDir = dataDir
	}
	if v := os.Getenv("FERRY_DATABASE"); v != "" {
		c.Database = v
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return &c, nil
}

// node finds the node at a path of mapping keys and sequence indexes in
// the config file, or nil.
func (c *Config) node(path ...any) *yaml.Node {
	if c.doc == nil || len(c.doc.Content) == 0 {
		return nil
	}
	n := c.doc.Content[0]
	for _, p := range path {
		switch k := p.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return nil
			}
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == k {
					next = n.Content[i+1]
				}
			}
			if next == nil {
				return nil
			}
			n = next
		case int:
			if n.Kind != yaml.SequenceNode || k >= len(n.Content) {
				return nil
			}
			n = n.Content[k]
		}
	}
	return n
}

// errAt is a config error at the node the path names (or the nearest
// enclosing node the file has).
func (c *Config) errAt(format string, args ...any) func(path ...any) *configError {
	return func(path ...any) *configError {
		e := &configError{file: c.path, msg: fmt.Sprintf(format, args...)}
		for i := len(path); i >= 0; i-- {
			if n := c.node(path[:i]...); n != nil {
				e.line = n.Line
				break
			}
		}
		return e
	}
}

// check finds what decoding cannot: bad cron specs and time zones, bots and
// logins that do not exist, impossible numbers. Each error has its line.
func (c *Config) check() error {
	errs := c.checkArtifacts()
	if c.Workers < 0 {
		errs = append(errs, c.errAt("workers: %d is negative (0 means the default, 2)", c.Workers)("workers"))
	}
	for name, u := range c.Sites {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			errs = append(errs, c.errAt("sites.%s: %q is not an http(s) URL", name, u)("sites", name, "url"))
		}
	}
	for name, b := range c.Bots {
		if b.Timeout <= 0 {
			errs = append(errs, c.errAt("bots.%s: timeout must be a positive duration such as 4h (it bounds each run of the bot)", name)("bots", name, "timeout"))
		}
		if _, _, err := scripts.Load(c.ScriptsDir, c.SelectorsDir, name); err != nil {
			errs = append(errs, c.errAt("bots.%s: %v", name, err)("bots", name))
		}
	}
	for name, cr := range c.Credentials {
		for field, s := range cr.fields() {
			if s.Env == "" && s.File == "" && s.Value == "" {
				errs = append(errs, c.errAt("credential %s: field %s is empty or missing", name, field)("credentials", name, field))
			}
		}
	}
	seen := map[string]int{}
	for i, s := range c.Schedules {
		at := func(field string) []any { return []any{"schedules", i, field} }
		if s.ID == "" || s.Bot == "" || s.Login == "" || s.Cron == "" {
			errs = append(errs, c.errAt("schedules[%d]: a schedule needs id, bot, login and cron", i)("schedules", i))
			continue
		}
		if prev, dup := seen[s.ID]; dup {
			errs = append(errs, c.errAt("schedule id %q is used twice (also schedules[%d])", s.ID, prev)(at("id")...))
		}
		seen[s.ID] = i
		if _, err := cron.ParseStandard(s.Cron); err != nil {
			errs = append(errs, c.errAt("schedule %s: cron %q: %v", s.ID, s.Cron, err)(at("cron")...))
		}
		script, _, err := scripts.Load(c.ScriptsDir, c.SelectorsDir, s.Bot)
		switch {
		case err != nil:
			errs = append(errs, c.errAt("schedule %s: bot %q: %v", s.ID, s.Bot, err)(at("bot")...))
		case s.Site != "":
			if _, ok := c.Sites[s.Site]; !ok {
				errs = append(errs, c.errAt("schedule %s: site %q is not in sites:", s.ID, s.Site)(at("site")...))
			}
		default:
			if _, ok := c.Sites[script.Site]; !ok {
				errs = append(errs, c.errAt("schedule %s: bot %s logs into site %q, which sites: does not list (or name the site with site:)", s.ID, s.Bot, script.Site)(at("bot")...))
			}
		}
		// With a vault the logins are in the database: a missing one fails
		// its run, naming it.
		if _, ok := c.Credentials[s.Login]; !ok && !c.vaultConfigured() {
			errs = append(errs, c.errAt("schedule %s: login %q is not in credentials:", s.ID, s.Login)(at("login")...))
		}
		if script != nil {
			if _, err := script.ResolveParams(s.Params, time.Now()); err != nil {
				errs = append(errs, c.errAt("schedule %s: params: %v", s.ID, err)(at("params")...))
			}
		}
	}
	errs = append(errs, c.checkBrowser()...)
	errs = append(errs, c.checkLogins()...)
	errs = append(errs, c.checkChallenges()...)
	// In file order, whatever order the maps were walked in.
	slices.SortStableFunc(errs, func(a, b *configError) int { return a.line - b.line })
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return errors.Join(out...)
}

// credentials resolves the configured logins (only those named, when
// names are given; unknown names are left for the caller to report): from
// the vault when a vault key is configured, else from credentials:.
// Errors name the config file and line, the login and the field, never a
// value; an empty value is an error, so nothing ever submits an empty
// secret.
func (c *Config) credentials(names ...string) (runner.StaticCredentials, error) {
	if c.vaultConfigured() {
		return c.vaultCredentials(names...)
	}
	return c.yamlCredentials(names...)
}

// yamlCredentials resolves the logins of the credentials: block (see
// credentials).
func (c *Config) yamlCredentials(names ...string) (runner.StaticCredentials, error) {
	out := runner.StaticCredentials{}
	for name, cc := range c.Credentials {
		if len(names) > 0 && !slices.Contains(names, name) {
			continue
		}
		cr := ferry.Credential{Name: name, Fields: map[string]string{}}
		for k, s := range cc.fields() {
			v, err := s.resolve()
			if err != nil {
				return nil, &configError{file: c.path, line: s.line, msg: fmt.Sprintf("credential %s: field %s: %v", name, k, err)}
			}
			cr.Fields[k] = v
		}
		out[name] = cr
	}
	return out, nil
}

// scratchSinks makes the config deliver only to records.jsonl in its data
// directory, for a run on another data directory (--data) or against the
// sandbox: such a run must not reach the finance systems the config names.
// It returns what it left out, for the operator.
func (c *Config) scratchSinks() []string {
	var dropped []string
	if j := c.Sinks.JSONL; j != nil && j.Path != "" && j.Path != filepath.Join(c.DataDir, "records.jsonl") {
		dropped = append(dropped, "jsonl "+j.Path)
	}
	if c.Sinks.HTTP != nil {
		dropped = append(dropped, "http "+c.Sinks.HTTP.URL)
	}
	for _, e := range c.Sinks.Endpoints {
		dropped = append(dropped, "endpoint "+e.Name)
	}
	if c.Sinks.Hledger != nil {
		dropped = append(dropped, "hledger "+c.Sinks.Hledger.URL)
	}
	c.Sinks.JSONL = &struct {
		Path string `yaml:"path"`
	}{}
	c.Sinks.HTTP, c.Sinks.Endpoints, c.Sinks.Hledger = nil, nil, nil
	return dropped
}

// jsonlPath is where the JSON Lines sink writes: its configured path, or
// records.jsonl in the data directory (so --data moves it too).
func (c *Config) jsonlPath() string {
	if c.Sinks.JSONL != nil && c.Sinks.JSONL.Path != "" {
		return c.Sinks.JSONL.Path
	}
	return filepath.Join(c.DataDir, "records.jsonl")
}

func (c *Config) sinks() ([]delivery.Sink, error) {
	var out []delivery.Sink
	if c.Sinks.JSONL != nil {
		out = append(out, &delivery.JSONLines{Path: c.jsonlPath()})
	}
	if h := c.Sinks.HTTP; h != nil {
		sink := &delivery.HTTP{URL: h.URL, Header: map[string][]string{}}
		for k, s := range h.Headers {
			v, err := s.resolve()
			if err != nil {
				return nil, c.errAt("sinks.http.headers.%s: %v", k, err)("sinks", "http", "headers", k)
			}
			sink.Header[k] = []string{v}
		}
		out = append(out, sink)
	}
	if h := c.Sinks.Hledger; h != nil {
		p := h.Mapping
		if p != "" && !filepath.IsAbs(p) && c.path != embeddedConfigName {
			p = filepath.Join(filepath.Dir(c.path), p)
		}
		m, err := ledger.LoadMapping(p)
		if err != nil {
			return nil, c.errAt("sinks.hledger: %v", err)("sinks", "hledger", "mapping")
		}
		out = append(out, &delivery.Hledger{URL: h.URL, Mapping: m})
	}
	for i, ec := range c.Sinks.Endpoints {
		e, err := ec.endpoint()
		if err != nil {
			return nil, c.errAt("sinks.endpoints[%d] (%s): %v", i, ec.Name, err)("sinks", "endpoints", i)
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		out = append(out, &delivery.JSONLines{Path: c.jsonlPath()})
	}
	return out, nil
}

// EndpointConfig is one generic HTTP sink in ferry.yaml.
type EndpointConfig struct {
	Name   string `yaml:"name"`
	URL    string `yaml:"url"`
	Method string `yaml:"method"`
	Body   string `yaml:"body"` // json, form, or a template
	// InvoiceBody is the template for invoice records (statement lines use
	// Body); without it invoices are sent as JSON.
	InvoiceBody       string          `yaml:"invoice_body"`
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
		IdempotencyHeader: ec.IdempotencyHeader, Batch: ec.Batch, ResultsPath: ec.Results, ResultKey: ec.ResultKey, Rules: ec.Rules,
		InvoiceBody: ec.InvoiceBody}
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
	if (e.Body != "" && e.Body != "json" && e.Body != "form") || e.InvoiceBody != "" {
		// Parse the templates now: a broken template is a config error.
		if err := e.Check(); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// sandboxCredentials are the sandbox bank's published logins.
func sandboxCredentials() runner.StaticCredentials { return sandbox.Credentials() }

// database is the DSN storage opens: the config's database (a postgres://
// URL), else the SQLite file in the data directory.
func (c *Config) database() string {
	if c.Database != "" {
		return c.Database
	}
	return service.DataDir(c.DataDir).Database()
}

// storageOptions say which database to open and where its artifacts are.
func (c *Config) storageOptions() storage.Options {
	return storage.Options{DSN: c.database(), ArtifactsDir: c.artifactsDir(), ArtifactsInDatabase: c.artifactsInDatabase()}
}

// artifactsInDatabase reports whether artifact bytes live in the database.
func (c *Config) artifactsInDatabase() bool {
	return c.Artifacts == "database" || (c.Artifacts == "" && c.postgres())
}

// artifactsDir is the artifact directory (when they are not in the
// database): the configured one, relative to the config file, else the
// data directory's.
func (c *Config) artifactsDir() string {
	if c.Artifacts == "" || c.Artifacts == "database" {
		return service.DataDir(c.DataDir).Artifacts()
	}
	if !filepath.IsAbs(c.Artifacts) && c.path != embeddedConfigName {
		return filepath.Join(filepath.Dir(c.path), c.Artifacts)
	}
	return c.Artifacts
}

// checkArtifacts refuses an artifacts: value that is neither "database"
// nor a directory path.
func (c *Config) checkArtifacts() []*configError {
	if c.Artifacts == "" || c.Artifacts == "database" {
		return nil
	}
	if strings.Contains(c.Artifacts, "://") {
		return []*configError{c.errAt("artifacts: %q is neither \"database\" nor a directory", c.Artifacts)("artifacts")}
	}
	if fi, err := os.Stat(c.artifactsDir()); err == nil && !fi.IsDir() {
		return []*configError{c.errAt("artifacts: %s is a file, not a directory", c.artifactsDir())("artifacts")}
	}
	return nil
}

// postgres reports whether the state is in PostgreSQL.
func (c *Config) postgres() bool {
	return strings.HasPrefix(c.Database, "postgres://") || strings.HasPrefix(c.Database, "postgresql://")
}

// botTimeouts is each configured bot's run time limit, for
// runner.Config.BotTimeouts.
func (c *Config) botTimeouts() map[string]time.Duration {
	out := make(map[string]time.Duration, len(c.Bots))
	for name, b := range c.Bots {
		out[name] = b.Timeout
	}
	return out
}

// siteLimits is each configured site's limits, for runner.Config.SiteLimits
// (sites without limits are left out).
func (c *Config) siteLimits() map[string]ferry.SiteLimits {
	out := map[string]ferry.SiteLimits{}
	for name, s := range c.SiteEntries {
		if s.MaxConcurrent > 0 || s.MinInterval > 0 {
			out[name] = ferry.SiteLimits{MaxConcurrent: s.MaxConcurrent, MinInterval: s.MinInterval}
		}
	}
	return out
}
