package runner

// Invoices a bot downloads (as: invoice). This version parses each file
// and stops: invoice storage is not built yet (issue 12 builds it here).

import (
	"context"
	"io"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/einvoice"
)

// maxInvoiceFile bounds an invoice file read whole: an invoice is a few
// pages, never hundreds of megabytes.
const maxInvoiceFile = 64 << 20

// ingestInvoices parses each invoice file the run downloaded, and returns
// how many it stored. A file that is not an invoice is its parser's
// ClassDocumentChanged error naming the file; every file parsed, it
// returns a ClassInternal error saying that invoice storage is not built
// yet, so that the run fails rather than dropping invoices silently.
func (r *Runner) ingestInvoices(ctx context.Context, run ferry.RunRecord, files []stored) (int, error) {
	for _, f := range files {
		a := f.artifact
		rc, err := r.cfg.DB.OpenArtifact(ctx, a.SHA256)
		if err != nil {
			return 0, ferry.Errorf(ferry.ClassInternal, a.Name, "artifact %s: %v", a.SHA256, err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, maxInvoiceFile+1))
		rc.Close()
		if err != nil {
			return 0, ferry.Errorf(ferry.ClassInternal, a.Name, "artifact %s: %v", a.SHA256, err)
		}
		if len(data) > maxInvoiceFile {
			return 0, ferry.Errorf(ferry.ClassDocumentChanged, a.Name, "%d MiB: larger than an invoice Ferry reads (%d MiB)", a.Size>>20, maxInvoiceFile>>20)
		}
		if _, err := einvoice.Parse(ctx, a.Name, data); err != nil {
			return 0, err
		}
	}
	return 0, ferry.Errorf(ferry.ClassInternal, "invoices", "run %d downloaded %d invoice(s) and parsed them, but invoice storage is not built yet: nothing was stored", run.ID, len(files))
}
