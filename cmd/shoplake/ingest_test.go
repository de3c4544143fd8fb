package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/shoplake/shoplake/ingest"
)

// fakestoreFixtures serves the real FakeStore responses of ingest/testdata
// (copies of the shared fixtures) as they are, ignoring query parameters.
// While down is set it answers 429 with a Retry-After of an hour, which the
// client refuses to wait for: the run fails at once, as a run that exhausts
// its retries would, without real waits in the test.
func fakestoreFixtures(t *testing.T, down *atomic.Bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			w.Header().Set("Retry-After", "3600")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		b, err := os.ReadFile(filepath.Join("..", "..", "ingest", "testdata", strings.Trim(r.URL.Path, "/")+".json"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		if q := r.URL.Query(); r.URL.Path == "/carts" && q.Has("startdate") && q.Has("enddate") {
			b = filterCarts(t, b, q.Get("startdate"), q.Get("enddate"))
		}
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// filterCarts keeps the carts dated in [start, end) (YYYY-MM-DD), as
// FakeStore's startdate/enddate do.
func filterCarts(t *testing.T, b []byte, start, end string) []byte {
	var carts []json.RawMessage
	if err := json.Unmarshal(b, &carts); err != nil {
		t.Error(err)
		return b
	}
	kept := []json.RawMessage{}
	for _, c := range carts {
		var d struct{ Date string }
		if err := json.Unmarshal(c, &d); err != nil {
			t.Error(err)
			return b
		}
		if day := d.Date[:min(10, len(d.Date))]; day >= start && day < end {
			kept = append(kept, c)
		}
	}
	out, err := json.Marshal(kept)
	if err != nil {
		t.Error(err)
		return b
	}
	return out
}

func TestIngestCmd(t *testing.T) {
	dir := t.TempDir()
	var down atomic.Bool
	src := fakestoreFixtures(t, &down)

	t.Run("JSON", func(t *testing.T) {
		out, stderr, err := execute(t, "ingest", "--date", "2020-03-01", "--source", src.URL, "--data-dir", dir, "--json")
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		var rep ingestReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("--json output is not JSON: %v\n%s", err, out)
		}
		if !rep.Complete || len(rep.Dates) != 1 || rep.Dates[0].Status != ingest.StatusCommitted || len(rep.Dates[0].Objects) != 3 {
			t.Fatalf("report = %+v", rep)
		}
		if rep.Dates[0].Objects[2].DuplicateIDs != 1 {
			t.Fatalf("carts duplicate ids = %d, want 1 (cart 6)", rep.Dates[0].Objects[2].DuplicateIDs)
		}
	})
	t.Run("DownFailsWithNonZeroStatus", func(t *testing.T) {
		down.Store(true)
		defer down.Store(false)
		out, _, err := execute(t, "ingest", "--from", "2020-03-02", "--to", "2020-03-03", "--source", src.URL, "--data-dir", dir)
		if err == nil || !strings.Contains(err.Error(), "2 of 2 dates incomplete") || !strings.Contains(err.Error(), "GET /users") {
			t.Fatalf("err = %v, want both dates incomplete, naming GET /users", err)
		}
		if !strings.Contains(out, "2020-03-02  failed") {
			t.Fatalf("the table does not show the failed date:\n%s", out)
		}
	})
	t.Run("BackfillSkipsCommittedDates", func(t *testing.T) {
		out, stderr, err := execute(t, "ingest", "--from", "2020-03-01", "--to", "2020-03-03", "--source", src.URL, "--data-dir", dir)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		for _, want := range []string{"2020-03-01  unchanged", "2020-03-02  committed", "2020-03-03  committed"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		// The rerun of a failed date is its second try.
		if !strings.Contains(out, "2020-03-02  committed  20200302002    2") {
			t.Errorf("2020-03-02 is not run 20200302002, try 2:\n%s", out)
		}
	})
	t.Run("LocalSimulator", func(t *testing.T) {
		out, stderr, err := execute(t, "ingest", "--date", "2026-01-05", "--days", "1", "--users", "30", "--data-dir", t.TempDir(), "--json")
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		var rep ingestReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil || !rep.Complete || rep.Dates[0].Objects[0].Rows == 0 {
			t.Fatalf("report = %+v (%v)", rep, err)
		}
	})
	t.Run("ErrFlags", func(t *testing.T) {
		for _, args := range [][]string{
			{"ingest"},
			{"ingest", "--date", "2020-13-01"},
			{"ingest", "--date", "2020-03-01", "--from", "2020-03-01", "--to", "2020-03-02"},
			{"ingest", "--from", "2020-03-02", "--to", "2020-03-01"},
		} {
			if _, _, err := execute(t, append(args, "--data-dir", t.TempDir())...); err == nil {
				t.Errorf("%v: no error", args)
			}
		}
	})
}

// TestIngestCmd_JitterSeed runs ingest twice against a source that fails
// the first request of each run: the two processes must not wait the same
// before their first retry, unless --jitter-seed fixes the draw.
func TestIngestCmd_JitterSeed(t *testing.T) {
	var requests atomic.Int64
	var down atomic.Bool
	fixtures := fakestoreFixtures(t, &down)
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) == 1 {
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		resp, err := http.Get(fixtures.URL + r.URL.RequestURI())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(src.Close)
	run := func(t *testing.T, args ...string) ingestReport {
		t.Helper()
		requests.Store(0)
		args = append([]string{"ingest", "--date", "2020-03-01", "--source", src.URL, "--data-dir", t.TempDir(), "--json", "-v"}, args...)
		out, stderr, err := execute(t, args...)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		var rep ingestReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("--json output is not JSON: %v\n%s", err, out)
		}
		if rep.Dates[0].Retries != 1 || rep.Dates[0].Waited <= 0 {
			t.Fatalf("date %+v: want one retry after a wait", rep.Dates[0])
		}
		if want := fmt.Sprintf("retry jitter seed %d", rep.JitterSeed); !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
		return rep
	}
	t.Run("PerProcess", func(t *testing.T) {
		a, b := run(t), run(t)
		if a.JitterSeed == b.JitterSeed {
			t.Errorf("both runs drew jitter seed %d", a.JitterSeed)
		}
		if a.Dates[0].Waited == b.Dates[0].Waited {
			t.Errorf("both runs waited %s before their first retry: retries in lockstep", a.Dates[0].Waited)
		}
	})
	t.Run("Fixed", func(t *testing.T) {
		a, b := run(t, "--jitter-seed", "1234"), run(t, "--jitter-seed", "1234")
		if a.JitterSeed != 1234 || b.JitterSeed != 1234 {
			t.Errorf("jitter seeds %d and %d, want 1234", a.JitterSeed, b.JitterSeed)
		}
		if a.Dates[0].Waited != b.Dates[0].Waited {
			t.Errorf("--jitter-seed 1234 waited %s, then %s", a.Dates[0].Waited, b.Dates[0].Waited)
		}
	})
}
