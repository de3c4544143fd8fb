package ingest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/rng"
	"github.com/shoplake/shoplake/lake"
)

// paginate serves the lists of h page by page, as the simulator's API does:
// page and per_page slice the JSON array h answers, X-Total-Count says its
// length. total, if set, replaces the header's value on each page (to play
// a list that moves while it is read). Requests without page parameters
// get h's answer as it is.
func paginate(tb testing.TB, h http.Handler, total func(page, n int) int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if !q.Has("page") && !q.Has("per_page") {
			h.ServeHTTP(w, r)
			return
		}
		page, _ := strconv.Atoi(q.Get("page"))
		per, _ := strconv.Atoi(q.Get("per_page"))
		q.Del("page")
		q.Del("per_page")
		inner := r.Clone(r.Context())
		inner.URL.RawQuery = q.Encode()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, inner)
		if rec.Code != http.StatusOK {
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
		var all []json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &all); err != nil {
			tb.Errorf("paginate %s: %v", r.URL, err)
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		lo, hi := min((page-1)*per, len(all)), min(page*per, len(all))
		n := len(all)
		if total != nil {
			n = total(page, n)
		}
		w.Header().Set("X-Total-Count", strconv.Itoa(n))
		body, _ := json.Marshal(all[lo:hi])
		w.Write(body)
	})
}

// newPagedHarness is newHarness over handler with the given page size and
// response cap; it counts the requests.
func newPagedHarness(tb testing.TB, handler http.Handler, pageSize int, maxBody int64) (*harness, *atomic.Int64) {
	tb.Helper()
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		handler.ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	h := newHarness(tb, srv.URL, nil, testPolicy())
	c, err := ingest.NewClient(http.DefaultClient, srv.URL, h.clk, rng.New(testSeed, "ingest/retry"), testPolicy(), maxBody, nil)
	if err != nil {
		tb.Fatal(err)
	}
	h.in.Client = c
	h.in.PageSize = pageSize
	return h, &requests
}

// TestIngester_Paging reads the fixtures' lists in pages of 3 and finds the
// very objects one response per list gives: same keys, same bytes, same
// rows and duplicate counts (the fixtures' cart 6 twice), in as many
// requests as pages.
func TestIngester_Paging(t *testing.T) {
	ctx := context.Background()
	whole, wholeReqs := newPagedHarness(t, paginate(t, fixtureHandler(t), nil), 0, 0)
	want, err := whole.in.IngestDate(ctx, fixtureDay)
	if err != nil {
		t.Fatal(err)
	}
	if got := wholeReqs.Load(); got != 3 {
		t.Fatalf("whole lists took %d requests, want 3", got)
	}
	paged, pagedReqs := newPagedHarness(t, paginate(t, fixtureHandler(t), nil), 3, 0)
	got, err := paged.in.IngestDate(ctx, fixtureDay)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Objects) != len(want.Objects) {
		t.Fatalf("paged objects %+v, whole %+v", got.Objects, want.Objects)
	}
	for i := range want.Objects {
		w, g := want.Objects[i], got.Objects[i]
		w.Written, g.Written = true, true
		if w != g {
			t.Errorf("%s: paged %+v, whole %+v", w.Entity, g, w)
		}
	}
	// users 10 → 4 pages, products 20 → 7, carts of the date 5 → 2.
	if n := pagedReqs.Load(); n != 4+7+2 {
		t.Errorf("paged ingestion took %d requests, want 13 (one per page)", n)
	}
	if w, g := rawBodies(t, whole.store), rawBodies(t, paged.store); len(w) != len(g) {
		t.Fatalf("paged RAW has %d objects, whole %d", len(g), len(w))
	} else {
		for k, body := range w {
			if string(g[k]) != string(body) {
				t.Errorf("%s differs between paged and whole reads", k)
			}
		}
	}
}

// TestIngester_Paging_Spooled: a list longer than the memory a list may
// take is joined in a temporary file and written from there: the same
// objects and bytes as a list held in memory, and no file left behind.
func TestIngester_Paging_Spooled(t *testing.T) {
	ctx := context.Background()
	whole, _ := newPagedHarness(t, paginate(t, fixtureHandler(t), nil), 0, 0)
	want, err := whole.in.IngestDate(ctx, fixtureDay)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	ingest.SetSpoolMemory(t, 256)
	for _, per := range []int{0, 3} {
		h, _ := newPagedHarness(t, paginate(t, fixtureHandler(t), nil), per, 0)
		got, err := h.in.IngestDate(ctx, fixtureDay)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want.Objects {
			w, g := want.Objects[i], got.Objects[i]
			if w.Bytes <= 256 {
				t.Errorf("%s: %d bytes, too few to be spooled to a file", w.Entity, w.Bytes)
			}
			if w != g {
				t.Errorf("pages of %d: %s: spooled %+v, in memory %+v", per, w.Entity, g, w)
			}
		}
		w, g := rawBodies(t, whole.store), rawBodies(t, h.store)
		if len(w) != len(g) {
			t.Fatalf("pages of %d: spooled RAW has %d objects, in memory %d", per, len(g), len(w))
		}
		for k, body := range w {
			if string(g[k]) != string(body) {
				t.Errorf("pages of %d: %s differs between spooled and in-memory lists", per, k)
			}
		}
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "shoplake-spool-*")); len(left) > 0 {
		t.Errorf("spool files left behind: %q", left)
	}
}

// TestIngester_Paging_Simulator reads a list too large for one response,
// from the simulator's own pagination: whole, it fails with ErrTooLarge;
// in pages within the cap, it is the same object as without a cap.
func TestIngester_Paging_Simulator(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewSim(simDay.Add(24*3600e9 + 5*60e9))
	api := newSimAPI(t, clk)
	uncapped, _ := newPagedHarness(t, api.Server.Config.Handler, 0, 0)
	want, err := uncapped.in.IngestDate(ctx, simDay)
	if err != nil {
		t.Fatal(err)
	}
	users := want.Objects[0]
	if users.Entity != "users" || users.Rows != 40 {
		t.Fatalf("first object %+v, want the 40 users", users)
	}
	limit := int64(users.Bytes / 3)

	capped, _ := newPagedHarness(t, api.Server.Config.Handler, 0, limit)
	if _, err := capped.in.IngestDate(ctx, simDay); !errors.Is(err, ingest.ErrTooLarge) {
		t.Fatalf("whole list over the cap: err = %v, want ErrTooLarge", err)
	}
	paged, reqs := newPagedHarness(t, api.Server.Config.Handler, 6, limit)
	got, err := paged.in.IngestDate(ctx, simDay)
	if err != nil {
		t.Fatalf("pages of 6 under a cap of %d bytes: %v", limit, err)
	}
	if got.Objects[0] != users {
		t.Fatalf("paged users %+v, want %+v", got.Objects[0], users)
	}
	if reqs.Load() < 7 {
		t.Fatalf("%d requests: the 40 users alone are 7 pages of 6", reqs.Load())
	}
}

// TestIngester_Paging_ListMoved: a list whose X-Total-Count changes
// between pages, or whose pages end before it says, may have skipped or
// repeated objects, and one whose pages hold more than it says has lied
// about its length: the run fails with ErrListMoved, retryable by a rerun,
// and writes nothing of the list.
func TestIngester_Paging_ListMoved(t *testing.T) {
	for name, total := range map[string]func(page, n int) int{
		"Grows":      func(page, n int) int { return n + page - 1 },
		"EndsEarly":  func(page, n int) int { return n + 100 },
		"FirstPage0": func(page, n int) int { return map[bool]int{true: 0, false: n}[page == 1] },
	} {
		t.Run(name, func(t *testing.T) {
			h, _ := newPagedHarness(t, paginate(t, fixtureHandler(t), total), 3, 0)
			_, err := h.in.IngestDate(context.Background(), fixtureDay)
			if !errors.Is(err, ingest.ErrListMoved) || !ingest.IsRetryable(err) {
				t.Fatalf("err = %v, want a retryable ErrListMoved", err)
			}
			if !strings.Contains(err.Error(), "users") || !strings.Contains(err.Error(), "page") {
				t.Errorf("error %q does not name the entity and the page", err)
			}
			if n := len(rawBodies(t, h.store)); n != 0 {
				t.Fatalf("%d RAW objects written by a run whose list moved", n)
			}
			cs, err := lake.ReadCommits(context.Background(), h.store, fixtureDay)
			if err != nil || len(cs.Valid)+len(cs.Bad) != 0 {
				t.Fatalf("commits %+v (%v), want none", cs, err)
			}
		})
	}
}
