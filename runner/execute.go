package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/crashpoint"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/ferry-rpa/ferry/selectors"
	"github.com/rs/zerolog"
)

// IngestSummary counts what a run stored.
type IngestSummary struct {
	Accounts   int      `json:"accounts"`
	Statements int      `json:"statements"`
	Lines      int      `json:"lines"`
	NewLines   int      `json:"new_lines"`
	Held       int      `json:"held"`
	Problems   []string `json:"problems,omitempty"`
}

// prepared is what a run needs before it begins: its script, selector
// file, site and login.
type prepared struct {
	script *scripts.Script
	sel    *selectors.File
	// site is where the run logs in (a name in Config.Sites): the run's
	// own, else its script's. The script's site names its portal
	// software, whose selector file every site of that software shares.
	site string
	base string // the site's base URL
	cred ferry.Credential
}

// prepare loads what run needs. Its errors are the run's failure.
func (r *Runner) prepare(ctx context.Context, run ferry.RunRecord) (*prepared, error) {
	script, sel, err := scripts.LoadWith(r.cfg.ScriptsDir, r.cfg.Selectors.Get, run.Bot)
	if err != nil {
		return nil, ferry.Errorf(ferry.ClassInternal, "script", "%v", err)
	}
	p := &prepared{script: script, sel: sel, site: runSite(run, script)}
	var ok bool
	if p.base, ok = r.cfg.Sites[p.site]; !ok {
		return nil, ferry.Errorf(ferry.ClassInternal, "config", "no URL configured for site %q", p.site)
	}
	if p.cred, err = r.credential(ctx, run.Login); err != nil {
		return nil, ferry.Errorf(ferry.ClassCredentialsRejected, "credentials", "%v", err)
	}
	return p, nil
}

// execute performs one attempt of a run that has begun.
func (r *Runner) execute(ctx context.Context, log zerolog.Logger, run ferry.RunRecord, p *prepared, attempt int) error {
	script, sel, base, cred := p.script, p.sel, p.base, p.cred
	crashpoint.Hit("start")
	// A retry resumes: an account whose every download an earlier attempt
	// stored is not downloaded again; its stored files are ingested.
	downloads, skip, err := r.resumable(ctx, run.ID, script)
	if err != nil {
		return err
	}
	state, err := r.loadLoginState(ctx, log, run, p)
	if err != nil {
		return err
	}
	var storeErr error
	job := ferry.BrowserJob[*scripts.Script, *selectors.File]{RunID: run.ID, Script: script, Selectors: sel, BaseURL: base, Params: run.Params,
		Credential: cred, SkipAccounts: skip, StepTimeout: r.cfg.StepTimeout, Now: r.cfg.Now,
		Fingerprints: r.fingerprints(ctx, script.Site), HealPolicy: r.cfg.HealPolicy, Ask: r.asker(log, run),
		LoginState: state, SaveLoginState: r.cfg.LoginKeys != nil,
		OnStep: func(s ferry.Step) {
			crashpoint.Hit("step")
			if r.cfg.OnStep != nil {
				r.cfg.OnStep(run.ID, s)
			}
		},
		OnDownload: func(d ferry.BrowserDownload) error {
			crashpoint.Hit("download")
			a, err := r.cfg.DB.PutArtifact(ctx, ferry.Artifact{RunID: run.ID, Kind: "download", Name: d.Name, MIME: d.MIME, Account: d.Account, Format: d.Format}, d.Data)
			if err != nil {
				storeErr = err
				return err
			}
			crashpoint.Hit("artifact")
			downloads = append(downloads, storedAs(script, a)) // read back from disk: not held twice
			return nil
		}}
	// The engine logs with the run's fields.
	res, runErr := r.cfg.Browser.Execute(log.WithContext(ctx), job)
	r.closeOpen(context.WithoutCancel(ctx), log, run.ID)
	// A run cut off by a stop failed at no selector: what it saw when its
	// context ended is no evidence, and no reason to heal.
	cut := runErr != nil && r.interrupted(ctx)
	// A run that reached its time limit failed where it was waiting: the
	// evidence shows where, but the element it waited for may be fine.
	late := runErr != nil && !cut && errors.Is(ctx.Err(), context.DeadlineExceeded)
	if res != nil {
		if !cut && !late {
			r.keepHealing(context.WithoutCancel(ctx), log, run, sel, res)
		}
		if err := r.cfg.DB.AddSteps(context.WithoutCancel(ctx), run.ID, attempt, res.Trace); err != nil {
			log.Error().Err(err).Msg("could not store the step trace")
		}
		if !cut {
			r.keepLoginState(context.WithoutCancel(ctx), log, run, p, res, runErr)
		}
	}
	if storeErr != nil {
		// The bot stopped because its download could not be stored.
		if diskFull(storeErr) {
			return ferry.Errorf(ferry.ClassResourceExhausted, "artifacts", "disk full: %w", storeErr)
		}
		return ferry.Errorf(ferry.ClassInternal, "artifacts", "%w", storeErr)
	}
	if runErr != nil {
		if res != nil && res.Evidence != nil && !cut {
			r.storeEvidence(context.WithoutCancel(ctx), log, run.ID, res.Evidence)
		}
		return runErr
	}
	crashpoint.Hit("ingest")
	sum, err := r.ingest(ctx, run, downloads, res.RowsSeen)
	if err != nil {
		return err
	}
	sum.Accounts = len(res.Accounts)
	status := ferry.RunSucceeded
	if sum.Held > 0 {
		status = ferry.RunHeld
	}
	summary, _ := json.Marshal(sum)
	if err := r.cfg.DB.FinishRun(ctx, run.ID, status, "", "", string(summary)); err != nil {
		return err
	}
	crashpoint.Hit("finish")
	log.Info().Str("summary", FormatSummary(sum)).Msg(string(status))
	if _, err := r.Deliver(ctx); err != nil {
		// The outbox keeps the records; the periodic deliverer retries.
		log.Warn().Err(err).Msg("delivery incomplete")
	}
	return nil
}

func (r *Runner) storeEvidence(ctx context.Context, log zerolog.Logger, runID int64, ev *ferry.BrowserEvidence) {
	meta := ev.Report
	for _, part := range []struct {
		name, mime, format string
		data               []byte
	}{
		{"evidence.json", "application/json", "json", meta},
		{"screenshot.png", "image/png", "png", ev.Screenshot},
		{"page.html", "text/html", "html", []byte(ev.HTML)},
	} {
		if len(part.data) == 0 {
			continue
		}
		if _, err := r.cfg.DB.PutArtifact(ctx, ferry.Artifact{RunID: runID, Kind: "evidence", Name: part.name, MIME: part.mime, Format: part.format}, part.data); err != nil {
			log.Error().Err(err).Str("part", part.name).Msg("could not store evidence")
		}
	}
}

// downloadFormats lists the formats a script downloads per account: in
// for_each_account, whose accounts a retry skips once they are complete.
func downloadFormats(steps []scripts.Step, into map[string]bool) {
	scripts.Walk(steps, func(st scripts.Step) {
		if st.ForEachAccount != nil {
			scripts.Walk(st.ForEachAccount.Steps, func(st scripts.Step) {
				if st.Download != "" {
					into[st.Format] = true
				}
			})
		}
	})
}

// resumable returns the downloads earlier attempts of the run stored for
// accounts that are complete, and those accounts.
func (r *Runner) resumable(ctx context.Context, runID int64, script *scripts.Script) ([]stored, map[string]bool, error) {
	formats := map[string]bool{}
	downloadFormats(script.Steps, formats)
	arts, err := r.cfg.DB.Artifacts(ctx, runID)
	if err != nil {
		return nil, nil, err
	}
	byAccount := map[string]map[string]ferry.Artifact{}
	for _, a := range arts {
		if a.Kind != "download" || a.Account == "" || !formats[a.Format] {
			continue // downloads outside for_each_account are downloaded again
		}
		if byAccount[a.Account] == nil {
			byAccount[a.Account] = map[string]ferry.Artifact{}
		}
		byAccount[a.Account][a.Format] = a // a later copy of a format wins
	}
	var out []stored
	skip := map[string]bool{}
	for acct, m := range byAccount {
		if len(m) != len(formats) {
			continue // incomplete: download this account again
		}
		var files []stored
		for _, a := range m {
			// Its bytes must still be there: else download it again.
			f, err := r.cfg.DB.OpenArtifact(ctx, a.SHA256)
			if err != nil {
				return nil, nil, fmt.Errorf("runner: resume run %d: artifact %s: %w", runID, a.Name, err)
			}
			f.Close()
			files = append(files, storedAs(script, a))
		}
		sort.Slice(files, func(i, j int) bool { return files[i].artifact.ID < files[j].artifact.ID })
		out = append(out, files...)
		skip[acct] = true
	}
	return out, skip, nil
}
