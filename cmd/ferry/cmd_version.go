package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// versionInfo is what `ferry version` reports, from the build information
// Go embeds in the binary.
type versionInfo struct {
	Module    string `json:"module"`
	Version   string `json:"version"` // the module version, "(devel)" for a build from a checkout
	Revision  string `json:"revision,omitempty"`
	Time      string `json:"time,omitempty"` // the commit's time
	Modified  bool   `json:"modified"`       // built from a tree with uncommitted changes
	GoVersion string `json:"go"`
}

func readVersion() versionInfo {
	v := versionInfo{Module: "github.com/ferry-rpa/ferry", Version: "unknown"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.GoVersion = bi.GoVersion
	if bi.Main.Path != "" {
		v.Module = bi.Main.Path
	}
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print Ferry's version: module version, VCS revision, Go version",
		Example: `  ferry version
  ferry version --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := readVersion()
			if g.json {
				return g.printJSON(v)
			}
			rev := v.Revision
			if rev == "" {
				rev = "no VCS revision"
			} else if v.Modified {
				rev += " (modified)"
			}
			fmt.Fprintf(g.stdout, "ferry %s %s, %s, built with %s\n", v.Module, v.Version, rev, v.GoVersion)
			return nil
		},
	}
}
