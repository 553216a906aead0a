package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ferry-rpa/ferry/scripts"
	"github.com/ferry-rpa/ferry/selectors"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/spf13/cobra"
)

// selectorsEnv is what the selectors commands work on: the config's
// selector and script directories and its data directory.
type selectorsEnv struct {
	g       *globals
	dataDir string
}

func (e *selectorsEnv) config() (*Config, error) {
	cfg, err := loadConfig(e.g.config)
	if err != nil {
		return nil, err
	}
	if e.dataDir != "" {
		cfg.DataDir = e.dataDir
	}
	return cfg, nil
}

func (e *selectorsEnv) db(ctx context.Context) (*storage.DB, *Config, error) {
	cfg, err := e.config()
	if err != nil {
		return nil, nil, err
	}
	db, err := openDB(ctx, cfg.DataDir)
	return db, cfg, err
}

func currentAuthor() string {
	if a := os.Getenv("FERRY_AUTHOR"); a != "" {
		return a
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "ferry"
}

// parseVersion reads "3" or "v3".
func parseVersion(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(s, "v"))
	if err != nil || n < 1 {
		return 0, &exitError{exitUsage, fmt.Errorf("version %q is not a version number (1, 2, … or v1, v2, …)", s)}
	}
	return n, nil
}

func newSelectorsCmd(g *globals) *cobra.Command {
	e := &selectorsEnv{g: g}
	c := &cobra.Command{
		Use:   "selectors",
		Short: "Selector files: history, diff, rollback, lint, heals, offline tests",
		Example: `  ferry selectors lint
  ferry selectors history demobank
  ferry selectors diff demobank v2 v3
  ferry selectors rollback demobank v2 --message "v3 broke the login"`,
	}
	c.PersistentFlags().StringVar(&e.dataDir, "data", "", "data directory (default: the config's data_dir)")
	c.AddCommand(e.historyCmd(), e.diffCmd(), e.rollbackCmd(), e.lintCmd(), e.recordCmd(), e.healsCmd(), e.acceptCmd(), e.rejectCmd(), e.testCmd(), e.checkCmd())
	return c
}

func (e *selectorsEnv) historyCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "history SITE",
		Short:   "List a site's selector versions: number, time, author, message",
		Example: "  ferry selectors history demobank",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, _, err := e.db(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			vs, err := db.SelectorVersions(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if len(vs) == 0 {
				return fmt.Errorf("no versions of site %q are recorded yet (they are recorded when a run or `ferry selectors record` loads the file)", args[0])
			}
			tw := tabwriter.NewWriter(e.g.stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "VERSION\tCREATED\tAUTHOR\tFILE VERSION\tMESSAGE")
			for _, v := range vs {
				fmt.Fprintf(tw, "v%d\t%s\t%s\t%s\t%s\n", v.Seq, v.CreatedAt.Format("2006-01-02 15:04:05 MST"), v.Author, v.Version, v.Message)
			}
			return tw.Flush()
		},
	}
}

func (e *selectorsEnv) diffCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "diff SITE V1 V2",
		Short:   "Show what changed between two versions of a site's selector file",
		Example: "  ferry selectors diff demobank v1 v2",
		Args:    cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := parseVersion(args[1])
			if err != nil {
				return err
			}
			b, err := parseVersion(args[2])
			if err != nil {
				return err
			}
			db, _, err := e.db(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			va, err := db.SelectorVersionAt(cmd.Context(), args[0], a)
			if err != nil {
				return err
			}
			vb, err := db.SelectorVersionAt(cmd.Context(), args[0], b)
			if err != nil {
				return err
			}
			d := selectors.Diff(fmt.Sprintf("%s v%d", args[0], a), fmt.Sprintf("%s v%d", args[0], b), va.Content, vb.Content)
			if d == "" {
				fmt.Fprintf(e.g.stdout, "v%d and v%d are identical\n", a, b)
				return nil
			}
			fmt.Fprint(e.g.stdout, d)
			return nil
		},
	}
}

// writeSelectorFile replaces SITE.yaml in the selectors directory
// atomically, so a running serve never reads half a file.
func writeSelectorFile(dir, site string, content []byte) (string, error) {
	if dir == "" {
		return "", &exitError{exitUsage, errors.New("the config has no selectors_dir: set one so that serve reads the files ops edit")}
	}
	if _, err := selectors.Parse(site+".yaml", content); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, site+".yaml")
	tmp, err := os.CreateTemp(dir, "."+site+"-*.yaml")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(tmp.Name(), path)
}

func (e *selectorsEnv) rollbackCmd() *cobra.Command {
	var message, author string
	c := &cobra.Command{
		Use:     "rollback SITE V",
		Short:   "Put version V of a site's selector file back in place (a new version; serve picks it up)",
		Example: `  ferry selectors rollback demobank v2 --message "v3 broke the login"`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			seq, err := parseVersion(args[1])
			if err != nil {
				return err
			}
			db, cfg, err := e.db(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			v, err := db.SelectorVersionAt(cmd.Context(), args[0], seq)
			if err != nil {
				return err
			}
			path, err := writeSelectorFile(cfg.SelectorsDir, args[0], []byte(v.Content))
			if err != nil {
				return err
			}
			if message == "" {
				message = fmt.Sprintf("rollback to v%d", seq)
			}
			if author == "" {
				author = currentAuthor()
			}
			n, added, err := db.RecordSelectorVersion(cmd.Context(), args[0], v.Version, []byte(v.Content), author, message)
			if err != nil {
				return err
			}
			if !added {
				fmt.Fprintf(e.g.stdout, "%s already holds v%d (the newest version is v%d)\n", path, seq, n)
				return nil
			}
			fmt.Fprintf(e.g.stdout, "wrote v%d back to %s as v%d\n", seq, path, n)
			return nil
		},
	}
	c.Flags().StringVarP(&message, "message", "m", "", "why (default: rollback to vN)")
	c.Flags().StringVar(&author, "author", "", "who (default: $FERRY_AUTHOR or the OS user)")
	return c
}

func (e *selectorsEnv) recordCmd() *cobra.Command {
	var message, author string
	c := &cobra.Command{
		Use:     "record SITE",
		Short:   "Record the site's current selector file as a new version, with a message",
		Example: `  ferry selectors record demobank -m "login button renamed"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, cfg, err := e.db(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			f, err := selectors.Load(cfg.SelectorsDir, args[0])
			if err != nil {
				return err
			}
			if author == "" {
				author = currentAuthor()
			}
			if message == "" {
				message = "recorded from " + f.Path
			}
			n, added, err := db.RecordSelectorVersion(cmd.Context(), f.Site, f.Version, f.Source, author, message)
			if err != nil {
				return err
			}
			if !added {
				fmt.Fprintf(e.g.stdout, "%s is unchanged: still v%d\n", f.Path, n)
				return nil
			}
			fmt.Fprintf(e.g.stdout, "recorded %s as v%d\n", f.Path, n)
			return nil
		},
	}
	c.Flags().StringVarP(&message, "message", "m", "", "what changed and why")
	c.Flags().StringVar(&author, "author", "", "who (default: $FERRY_AUTHOR or the OS user)")
	return c
}

func (e *selectorsEnv) lintCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "lint [SITE]",
		Short: "Check selector files: schema, names no script uses, names scripts lack, brittle ways",
		Example: `  ferry selectors lint
  ferry selectors lint demobank --config ferry.yaml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := e.config()
			if err != nil {
				return err
			}
			sites := args
			if len(sites) == 0 {
				sites = selectorSites(cfg.SelectorsDir, cfg.ScriptsDir)
			}
			total := 0
			for _, site := range sites {
				f, err := selectors.Load(cfg.SelectorsDir, site)
				if err != nil {
					fmt.Fprintln(e.g.stdout, err)
					total++
					continue
				}
				refs, err := scripts.SiteRefs(cfg.ScriptsDir, site)
				if err != nil {
					return err
				}
				uses := make([]selectors.Use, len(refs))
				for i, r := range refs {
					uses[i] = selectors.Use{Name: r.Name, Path: r.Path, Line: r.Line}
				}
				for _, p := range selectors.Lint(f, uses) {
					fmt.Fprintln(e.g.stdout, p)
					total++
				}
			}
			if total > 0 {
				return &exitError{exitFailed, fmt.Errorf("%d problem(s)", total)}
			}
			fmt.Fprintf(e.g.stdout, "%s: no problems\n", strings.Join(sites, ", "))
			return nil
		},
	}
}

// selectorSites lists the sites that have a selector file (in dir or
// embedded) or a script.
func selectorSites(selDir, scriptsDir string) []string {
	seen := map[string]bool{}
	for _, bot := range scripts.Bots(scriptsDir) {
		if s, _, err := scripts.Load(scriptsDir, selDir, bot); err == nil {
			seen[s.Site] = true
		}
	}
	if selDir != "" {
		m, _ := filepath.Glob(filepath.Join(selDir, "*.yaml"))
		for _, p := range m {
			seen[strings.TrimSuffix(filepath.Base(p), ".yaml")] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}
