package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/ingest"
)

// TestIngester_SupersedesCrashedRun: a run whose process died stays running
// in the ledger until the next run of its date begins; that run closes it as
// failed ("interrupted: superseded by run N"), reports it in its Result (and
// so in shoplake ingest --json) and in the log, and commits normally.
func TestIngester_SupersedesCrashedRun(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, fixtureServer(t).URL, nil, testPolicy())
	// The crashed process got as far as BeginRun.
	crashed, err := h.wh.IngestLedger().BeginRun(ctx, fixtureDay, h.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.in.IngestDate(ctx, fixtureDay)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != ingest.StatusCommitted || res.Attempt != 2 || len(res.Superseded) != 1 || res.Superseded[0] != crashed.ID {
		t.Fatalf("result = %+v, want attempt 2, committed, superseding run %d", res, crashed.ID)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`"superseded_runs":[%d]`, crashed.ID); !strings.Contains(string(b), want) {
		t.Fatalf("JSON %s lacks %s", b, want)
	}
	if !strings.Contains(h.logs.String(), "superseded_run="+fmt.Sprint(crashed.ID)) {
		t.Fatalf("the log does not name the superseded run:\n%s", h.logs.String())
	}
	runs, err := h.wh.IngestLedger().Runs(ctx, fixtureDay)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("interrupted: superseded by run %d", res.RunID)
	if len(runs) != 2 || runs[0].Status != "failed" || runs[0].Error == nil || !strings.HasPrefix(*runs[0].Error, want) || runs[1].Status != "committed" {
		t.Fatalf("ledger runs = %+v, want the crashed run failed (%q), the rerun committed", runs, want)
	}
}
