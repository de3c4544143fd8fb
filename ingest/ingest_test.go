package ingest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoplake/shoplake/ingest"
)

// fixtureDay holds carts 3, 5 and both carts with id 6 of the fixtures.
var fixtureDay = time.Date(2020, 3, 1, 0, 0, 0, 0, time.UTC)

func TestIngester_IngestDate(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, fixtureServer(t).URL, nil, testPolicy())

	t.Run("OK", func(t *testing.T) {
		res, err := h.in.IngestDate(ctx, fixtureDay)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != ingest.StatusCommitted || res.Written() != 3 || res.RunID != 1 || res.Attempt != 1 {
			t.Fatalf("result = %+v, want run 1, attempt 1, committed, 3 written", res)
		}
		rows, dups := map[string]int{}, map[string]int{}
		for _, o := range res.Objects {
			rows[o.Entity], dups[o.Entity] = o.Rows, o.DuplicateIDs
			if !strings.HasPrefix(o.Key, "raw/fakestore/"+o.Entity+"/dt=2020-03-01/") || !strings.HasSuffix(o.Key, ".json") {
				t.Errorf("key %s does not follow raw/fakestore/<entity>/dt=<date>/<sha256>.json", o.Key)
			}
		}
		if rows["users"] != 10 || rows["products"] != 20 || rows["carts"] != 4 {
			t.Fatalf("rows = %v, want users 10, products 20, carts 4 (the carts dated 2020-03-01)", rows)
		}
		if dups["carts"] != 1 || dups["users"] != 0 {
			t.Fatalf("duplicate ids = %v, want carts 1 (id 6 twice)", dups)
		}
		if got := committedCount(t, h.wh); got != 3 {
			t.Fatalf("ledger commits %d objects, want 3", got)
		}
		if !strings.Contains(h.logs.String(), "duplicate_ids=1") {
			t.Errorf("no warning about the duplicate cart id in the log:\n%s", h.logs)
		}
	})
	t.Run("RawKeepsDuplicatesAsServed", func(t *testing.T) {
		for key, body := range rawBodies(t, h.store) {
			if strings.Contains(key, "/carts/") && bytes.Count(body, []byte(`"id":6,`)) != 2 {
				t.Fatalf("%s does not hold both carts with id 6:\n%s", key, body)
			}
		}
	})
	t.Run("KeyIsContentHash", func(t *testing.T) {
		for key, body := range rawBodies(t, h.store) {
			if sum := sha256Hex(body); !strings.HasSuffix(key, "/"+sum+".json") {
				t.Errorf("key %s, content sha256 %s", key, sum)
			}
		}
	})
	t.Run("NoPasswordInRawLedgerOrLogs", func(t *testing.T) {
		assertNoPasswords(t, h, fixturePasswords(t))
	})
	t.Run("RerunSkips", func(t *testing.T) {
		res, err := h.in.IngestDate(ctx, fixtureDay)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != ingest.StatusUnchanged || res.Written() != 0 || res.Attempt != 2 {
			t.Fatalf("rerun = %+v, want attempt 2, unchanged, nothing written", res)
		}
		for _, want := range []string{"already present, skipped", "already committed with the same content, skipped"} {
			if !strings.Contains(h.logs.String(), want) {
				t.Errorf("the log does not say %q", want)
			}
		}
		if got := committedCount(t, h.wh); got != 3 {
			t.Fatalf("ledger commits %d objects after the rerun, want 3", got)
		}
	})
	t.Run("Backfill", func(t *testing.T) {
		res, err := h.in.Backfill(ctx, fixtureDay.AddDate(0, 0, -1), fixtureDay.AddDate(0, 0, 1))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range res {
			got = append(got, r.Date.Format(time.DateOnly)+" "+string(r.Status))
		}
		want := "2020-02-29 committed, 2020-03-01 unchanged, 2020-03-02 committed"
		if strings.Join(got, ", ") != want {
			t.Fatalf("backfill = %s, want %s", strings.Join(got, ", "), want)
		}
	})
}

// assertNoPasswords scans RAW, the ledger and the logs for passwords.
func assertNoPasswords(t *testing.T, h *harness, passwords []string) {
	t.Helper()
	raw := rawBodies(t, h.store)
	if len(raw) == 0 {
		t.Fatal("RAW is empty: nothing to scan")
	}
	ledger := ledgerText(t, h.wh)
	for key, body := range raw {
		if bytes.Contains(body, []byte(`"password"`)) {
			t.Errorf("%s holds a password field", key)
		}
	}
	for _, pw := range passwords {
		for key, body := range raw {
			if bytes.Contains(body, []byte(pw)) {
				t.Errorf("%s holds the password %q", key, pw)
			}
		}
		if strings.Contains(ledger, pw) {
			t.Errorf("the ledger holds the password %q", pw)
		}
		if strings.Contains(h.logs.String(), pw) {
			t.Errorf("the logs hold the password %q", pw)
		}
	}
}

func TestIngester_IngestDate_Permanent(t *testing.T) {
	ctx := context.Background()
	products := `[{"id":1,"title":"x","price":1.5}]`
	for name, tc := range map[string]struct {
		body    string // served on /users (and products/carts are fine)
		status  int
		maxBody int64
		gzip    bool
		want    error
		problem string
	}{
		"ErrStatus":         {status: http.StatusNotFound, want: ingest.ErrStatus, problem: "404"},
		"ErrMalformed":      {body: `[{"id":1,`, want: ingest.ErrMalformed, problem: "mid-document"},
		"ErrNotArray":       {body: `{"id":1}`, want: ingest.ErrMalformed, problem: "want a JSON array"},
		"ErrTrailing":       {body: `[] []`, want: ingest.ErrMalformed, problem: "trailing"},
		"ErrMissingID":      {body: `[{"id":1},{"email":"a@b"}]`, want: ingest.ErrSchema, problem: "element 2: id is missing"},
		"ErrIDNotInteger":   {body: `[{"id":"1"}]`, want: ingest.ErrSchema, problem: "id is a string, want integer"},
		"ErrTooLarge":       {body: `[` + strings.Repeat(`{"id":1},`, 100) + `{"id":2}]`, maxBody: 64, want: ingest.ErrTooLarge},
		"ErrTooLarge/Gzip":  {body: `[` + strings.Repeat(`{"id":1},`, 100) + `{"id":2}]`, maxBody: 64, gzip: true, want: ingest.ErrTooLarge, problem: "after decompression"},
		"ErrPriceAsString":  {body: "products", want: ingest.ErrSchema, problem: "price is a string, want number"},
		"ErrNullElement":    {body: `[null]`, want: ingest.ErrMalformed, problem: "element 1 is not an object"},
		"ErrCartLineString": {body: "carts", want: ingest.ErrSchema, problem: "products[0].quantity is a string"},
	} {
		t.Run(name, func(t *testing.T) {
			endpoint := "/users"
			switch tc.body {
			case "products":
				endpoint = "/products"
			case "carts":
				endpoint = "/carts"
			}
			requests := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != endpoint {
					_, _ = w.Write([]byte(map[string]string{"/users": `[{"id":1}]`, "/products": products, "/carts": `[]`}[r.URL.Path]))
					return
				}
				requests++
				if tc.status != 0 {
					http.Error(w, "no", tc.status)
					return
				}
				body := tc.body
				switch body {
				case "products":
					body = `[{"id":1,"title":"x","price":"1.50"}]`
				case "carts":
					body = `[{"id":1,"userId":1,"date":"2020-03-01T00:00:00.000Z","products":[{"productId":1,"quantity":"2"}]}]`
				}
				if tc.gzip {
					var b bytes.Buffer
					zw := gzip.NewWriter(&b)
					_, _ = zw.Write([]byte(body))
					_ = zw.Close()
					w.Header().Set("Content-Encoding", "gzip")
					_, _ = w.Write(b.Bytes())
					return
				}
				_, _ = w.Write([]byte(body))
			}))
			defer srv.Close()
			h := newHarness(t, srv.URL, nil, testPolicy())
			if tc.maxBody > 0 {
				c, err := ingest.NewClient(srv.Client(), srv.URL, h.clk, newRand(), testPolicy(), tc.maxBody, nil)
				if err != nil {
					t.Fatal(err)
				}
				h.in.Client = c
			}
			res, err := h.in.IngestDate(ctx, fixtureDay)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if ingest.IsRetryable(err) {
				t.Errorf("IsRetryable(%v) = true, want a permanent error", err)
			}
			if !strings.Contains(err.Error(), "GET "+endpoint) || !strings.Contains(err.Error(), tc.problem) {
				t.Errorf("error %q does not name the endpoint %s and the problem %q", err, endpoint, tc.problem)
			}
			if requests != 1 {
				t.Errorf("a permanent error was tried %d times, want 1", requests)
			}
			if res.Status != ingest.StatusFailed || committedCount(t, h.wh) != 0 {
				t.Fatalf("status %s, %d committed; want failed, 0", res.Status, committedCount(t, h.wh))
			}
			for key := range rawBodies(t, h.store) {
				if strings.Contains(key, endpoint) {
					t.Fatalf("a failed fetch left %s in RAW", key)
				}
			}
		})
	}
}

func TestParse(t *testing.T) {
	a := []byte(`[{"id":1,"price":22.3,"title":"x","password":"p"}]`)
	b := []byte(" [ {\"title\":\"x\", \"password\":\"q\",\n \"price\":22.3, \"id\":1} ] ")
	ca, n, err := ingest.Canonicalize("users", a)
	if err != nil {
		t.Fatal(err)
	}
	cb, _, err := ingest.Canonicalize("users", b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ca, cb) {
		t.Fatalf("same content, different bytes:\n%s\n%s", ca, cb)
	}
	if got, want := string(ca), `[{"id":1,"price":22.3,"title":"x"}]`; got != want {
		t.Fatalf("Canonicalize = %s, want %s", got, want)
	}
	if n != 1 {
		t.Fatalf("rows = %d, want 1", n)
	}
	s, err := ingest.Parse("carts", []byte(`[{"id":6,"userId":4,"date":"2020-03-01T00:00:02.000Z","products":[]},
		{"id":6,"userId":8,"date":"2020-03-01T00:00:02.000Z","products":[]},{"id":7,"userId":8,"date":"2020-03-01T00:00:02.000Z","products":[]}]`))
	if err != nil || s.DuplicateIDs != 1 || s.Rows != 3 {
		t.Fatalf("Parse = %+v, %v; want 3 rows, 1 duplicate id", s, err)
	}
	if _, err := ingest.Parse("users", []byte(`[{"id":1,"password":{"nested":"secret"},"x":[{"password":"s"}]}]`)); err != nil {
		t.Fatal(err)
	}
}

func TestIsRetryable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&ingest.StatusError{Code: 503}, true},
		{&ingest.StatusError{Code: 500}, true},
		{&ingest.StatusError{Code: 429}, true},
		{&ingest.StatusError{Code: 408}, true},
		{&ingest.StatusError{Code: 404}, false},
		{&ingest.StatusError{Code: 400}, false},
		{ingest.ErrTimeout, true},
		{ingest.ErrTruncated, true},
		{ingest.ErrMalformed, false},
		{ingest.ErrSchema, false},
		{ingest.ErrTooLarge, false},
		{ingest.ErrBudget, false},
		{ingest.ErrBreakerOpen, false},
		{context.Canceled, false},
		{errors.Join(&ingest.StatusError{Code: 503}, ingest.ErrBudget), false},
		{nil, false},
	} {
		if got := ingest.IsRetryable(tc.err); got != tc.want {
			t.Errorf("IsRetryable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// TestIngester_SnapshotTakenOnce reruns a committed date after the source's
// products changed: the date's snapshot is not fetched again (a snapshot
// taken now would file today's catalogue under the old date), the carts are,
// and nothing new is written or committed. A date never committed still
// gets the current snapshot.
func TestIngester_SnapshotTakenOnce(t *testing.T) {
	ctx := context.Background()
	var changed atomic.Bool
	var products atomic.Int64
	fixtures := fixtureHandler(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/products" {
			products.Add(1)
			if changed.Load() {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`[{"id":99,"title":"New since","price":1.5,"description":"d","category":"c","image":"i"}]`))
				return
			}
		}
		fixtures.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	h := newHarness(t, srv.URL, nil, testPolicy())
	first, err := h.in.IngestDate(ctx, fixtureDay)
	if err != nil {
		t.Fatal(err)
	}
	changed.Store(true)
	before := products.Load()
	rerun, err := h.in.IngestDate(ctx, fixtureDay)
	if err != nil {
		t.Fatal(err)
	}
	if products.Load() != before {
		t.Fatalf("the rerun fetched /products again")
	}
	if rerun.Status != ingest.StatusUnchanged || rerun.Written() != 0 {
		t.Fatalf("rerun = %+v, want unchanged, nothing written", rerun)
	}
	if rerun.Objects[1].Key != first.Objects[1].Key || rerun.Objects[1].Rows != first.Objects[1].Rows || rerun.Objects[1].Entity != "products" {
		t.Fatalf("rerun's products object = %+v, want the first run's %+v", rerun.Objects[1], first.Objects[1])
	}
	for i := range 2 { // users, products: read back from the lake as the first run wrote them
		w, g := first.Objects[i], rerun.Objects[i]
		w.Written = false
		if g != w {
			t.Errorf("rerun's %s object = %+v, want the first run's %+v", w.Entity, g, w)
		}
	}
	if !strings.Contains(h.logs.String(), "snapshot already taken for the date, not fetched again") {
		t.Error("the log does not say the snapshot was reused")
	}
	next, err := h.in.IngestDate(ctx, fixtureDay.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	if products.Load() != before+1 || next.Objects[1].Rows != 1 {
		t.Fatalf("a new date: products fetched %d times, %d rows; want the current snapshot", products.Load()-before, next.Objects[1].Rows)
	}
}
