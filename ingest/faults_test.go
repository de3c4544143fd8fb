package ingest_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/sim"
)

// The tests below run the ingester against the simulator's FakeStore server
// wrapped in sim.Faults, on one simulated clock shared by the server, its
// fault windows and the ingester's waits: a retry costs no real time.

func startClock() *clock.Sim { return clock.NewSim(simDay.Add(24*time.Hour + 5*time.Minute)) }

func TestIngester_Faults(t *testing.T) {
	ctx := context.Background()

	t.Run("OutageRiddenOut", func(t *testing.T) {
		clk := startClock()
		// Down for 3 s of simulated time: shorter than the policy's patience.
		api := newSimAPI(t, clk, sim.FaultRule{Endpoint: "*", Kind: sim.Fault5xx, Until: clk.Now().Add(3 * time.Second)})
		p := testPolicy()
		p.BaseDelay, p.MaxAttempts = time.Second, 8
		h := newHarness(t, api.URL, clk, p)
		res, err := h.in.IngestDate(ctx, simDay)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != ingest.StatusCommitted || res.Retries == 0 || res.Waited < 3*time.Second {
			t.Fatalf("result = %+v, want committed after retries waiting >= 3s", res)
		}
		if n := api.Faults.Counts()[sim.Fault5xx]; n != res.Retries {
			t.Fatalf("%d faults fired, %d retries", n, res.Retries)
		}
	})

	t.Run("LongOutageFailsCleanlyThenRerunCompletes", func(t *testing.T) {
		clk := startClock()
		recovery := clk.Now().Add(time.Hour)
		api := newSimAPI(t, clk, sim.FaultRule{Endpoint: "/carts", Kind: sim.Fault5xx, Status: 502, Until: recovery})
		h := newHarness(t, api.URL, clk, testPolicy())
		res, err := h.in.IngestDate(ctx, simDay)
		if err == nil || !ingest.IsRetryable(errors.Unwrap(errors.Unwrap(err))) && !strings.Contains(err.Error(), "502") {
			t.Fatalf("err = %v, want the 502 of /carts", err)
		}
		if !strings.Contains(err.Error(), "GET /carts") || !strings.Contains(err.Error(), "gave up after 5 attempts") {
			t.Fatalf("err %q does not name the endpoint and the attempts", err)
		}
		if res.Status != ingest.StatusFailed || committedCount(t, h.wh) != 0 {
			t.Fatalf("status %s, %d committed; want failed, 0", res.Status, committedCount(t, h.wh))
		}
		// users and products reached RAW, but stay invisible downstream.
		if n := len(rawBodies(t, h.store)); n != 2 {
			t.Fatalf("RAW holds %d objects, want users and products", n)
		}
		st, err := h.wh.Load(ctx, h.store)
		if err != nil || st.ObjectsLoaded != 0 || st.ObjectsUncommitted != 2 {
			t.Fatalf("Load after the failed run: %+v, %v; want nothing loaded, 2 uncommitted", st, err)
		}

		if err := clk.Set(recovery); err != nil {
			t.Fatal(err)
		}
		res, err = h.in.IngestDate(ctx, simDay)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != ingest.StatusCommitted || res.Attempt != 2 || res.Written() != 1 {
			t.Fatalf("rerun = %+v, want attempt 2, committed, only carts written", res)
		}
		st, err = h.wh.Load(ctx, h.store)
		if err != nil || st.ObjectsLoaded != 3 {
			t.Fatalf("Load after the rerun: %+v, %v; want 3 loaded", st, err)
		}
		runs, err := h.wh.IngestLedger().Runs(ctx, simDay)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 2 || runs[0].Status != "failed" || runs[1].Status != "committed" || runs[0].Error == nil || !strings.Contains(*runs[0].Error, "GET /carts") {
			t.Fatalf("ledger runs = %+v", runs)
		}
	})

	t.Run("DuplicateFileSkipped", func(t *testing.T) {
		clk := startClock()
		api := newSimAPI(t, clk)
		h := newHarness(t, api.URL, clk, testPolicy())
		if _, err := h.in.IngestDate(ctx, simDay); err != nil {
			t.Fatal(err)
		}
		res, err := h.in.IngestDate(ctx, simDay)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != ingest.StatusUnchanged || res.Written() != 0 {
			t.Fatalf("rerun = %+v, want unchanged with nothing written", res)
		}
		if !strings.Contains(h.logs.String(), "raw object already present, skipped") {
			t.Fatal("the log does not say the same content was skipped")
		}
	})

	t.Run("HangAbandonedNoGoroutineLeft", func(t *testing.T) {
		clk := startClock()
		hangFrom := clk.Now().Add(time.Minute)
		api := newSimAPI(t, clk, sim.FaultRule{Endpoint: "/products", Kind: sim.FaultHang, From: hangFrom})
		p := testPolicy()
		p.RequestTimeout = 50 * time.Millisecond // the one real wait of these tests
		p.MaxAttempts = 2
		h := newHarness(t, api.URL, clk, p)
		// Warm up the lake's and the API's connections with a good run,
		// then count.
		if _, err := h.in.IngestDate(ctx, simDay.AddDate(0, 0, -1)); err != nil {
			t.Fatal(err)
		}
		if err := clk.Set(hangFrom); err != nil {
			t.Fatal(err)
		}
		before := runtime.NumGoroutine()
		res, err := h.in.IngestDate(ctx, simDay)
		if !errors.Is(err, ingest.ErrTimeout) || !strings.Contains(err.Error(), "GET /products") {
			t.Fatalf("err = %v, want ErrTimeout naming /products", err)
		}
		if res.Requests != 3 || res.Status != ingest.StatusFailed {
			t.Fatalf("result = %+v, want users once, products twice, failed", res)
		}
		if api.Faults.Counts()[sim.FaultHang] != 2 {
			t.Fatalf("hang fired %d times, want 2", api.Faults.Counts()[sim.FaultHang])
		}
		settle(t, before, api)
	})

	t.Run("RetryAfterObeyed", func(t *testing.T) {
		clk := startClock()
		api := newSimAPI(t, clk, sim.FaultRule{Endpoint: "/users", Kind: sim.Fault429, RetryAfter: 20 * time.Second, Until: clk.Now().Add(time.Second)})
		h := newHarness(t, api.URL, clk, testPolicy())
		res, err := h.in.IngestDate(ctx, simDay)
		if err != nil {
			t.Fatal(err)
		}
		var users []time.Time
		for _, r := range api.requests() {
			if r.path == "/users" {
				users = append(users, r.at)
			}
		}
		if len(users) != 2 || users[1].Sub(users[0]) < 20*time.Second {
			t.Fatalf("/users requested at %v, want twice, at least 20s apart", users)
		}
		if res.Retries != 1 || res.Waited < 20*time.Second {
			t.Fatalf("result = %+v, want 1 retry after >= 20s", res)
		}
	})

	t.Run("RetryAfterBeyondCap", func(t *testing.T) {
		clk := startClock()
		api := newSimAPI(t, clk, sim.FaultRule{Endpoint: "/users", Kind: sim.Fault429, RetryAfter: 2 * time.Minute, Probability: 1})
		h := newHarness(t, api.URL, clk, testPolicy())
		_, err := h.in.IngestDate(ctx, simDay)
		if !errors.Is(err, ingest.ErrRetryAfterTooLong) || len(api.requests()) != 1 {
			t.Fatalf("err = %v after %d requests, want ErrRetryAfterTooLong after 1", err, len(api.requests()))
		}
	})

	t.Run("BudgetBoundsAttempts", func(t *testing.T) {
		clk := startClock()
		// Every request fails, for ever; each request may try 100 times.
		api := newSimAPI(t, clk, sim.FaultRule{Endpoint: "*", Kind: sim.Fault5xx, Probability: 1})
		p := testPolicy()
		p.MaxAttempts, p.Budget, p.BreakerThreshold = 100, 4, 1000
		h := newHarness(t, api.URL, clk, p)
		res, err := h.in.IngestDate(ctx, simDay)
		if got := len(api.requests()); got != res.Requests || got > len(ingest.Entities)+p.Budget {
			t.Fatalf("%d requests (result says %d), want at most %d entities + %d retries", got, res.Requests, len(ingest.Entities), p.Budget)
		}
		if !errors.Is(err, ingest.ErrBudget) || res.Retries != p.Budget || res.Requests != 1+p.Budget {
			t.Fatalf("err = %v, retries %d; want ErrBudget after %d retries", err, res.Retries, p.Budget)
		}
	})

	t.Run("BreakerOpensAndHalfOpens", func(t *testing.T) {
		clk := startClock()
		recovery := clk.Now().Add(10 * time.Minute)
		api := newSimAPI(t, clk, sim.FaultRule{Endpoint: "*", Kind: sim.Fault5xx, Until: recovery})
		p := testPolicy()
		p.MaxAttempts, p.BreakerThreshold, p.BreakerCooldown = 3, 4, 5*time.Minute
		h := newHarness(t, api.URL, clk, p)
		// Three dates during the outage: the first spends 3 attempts, the
		// second trips the breaker at its first, the third is refused
		// without a request.
		res, err := h.in.Backfill(ctx, simDay.AddDate(0, 0, -2), simDay)
		if !errors.Is(err, ingest.ErrBreakerOpen) || len(res) != 3 {
			t.Fatalf("backfill: %d results, err %v; want 3 and ErrBreakerOpen", len(res), err)
		}
		if got := []int{res[0].Requests, res[1].Requests, res[2].Requests}; got[0] != 3 || got[1] != 1 || got[2] != 0 {
			t.Fatalf("requests per date = %v, want [3 1 0]", got)
		}
		if h.in.Client.Breaker().State() != ingest.BreakerOpen || h.in.Client.Breaker().Opened() != 1 {
			t.Fatalf("breaker %s, opened %d times; want open, once", h.in.Client.Breaker().State(), h.in.Client.Breaker().Opened())
		}
		// After the cool-down, during the outage: one probe, which fails and
		// opens the breaker again.
		clk.Advance(p.BreakerCooldown)
		if res, _ := h.in.IngestDate(ctx, simDay); res.Requests != 1 || h.in.Client.Breaker().Opened() != 2 {
			t.Fatalf("probe: %d requests, opened %d times; want 1 and 2", res.Requests, h.in.Client.Breaker().Opened())
		}
		// After recovery: the probe succeeds, the breaker closes, the dates complete.
		if err := clk.Set(recovery.Add(p.BreakerCooldown)); err != nil {
			t.Fatal(err)
		}
		res, err = h.in.Backfill(ctx, simDay.AddDate(0, 0, -2), simDay)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Status != ingest.StatusCommitted {
				t.Fatalf("%s: %s after recovery", r.Date.Format(time.DateOnly), r.Status)
			}
		}
		if h.in.Client.Breaker().State() != ingest.BreakerClosed {
			t.Fatalf("breaker %s after recovery, want closed", h.in.Client.Breaker().State())
		}
	})

	for _, kind := range []sim.FaultKind{sim.FaultTruncatedBody, sim.FaultReset, sim.FaultSlowBody} {
		t.Run("Retried/"+string(kind), func(t *testing.T) {
			clk := startClock()
			rule := sim.FaultRule{Endpoint: "/products", Kind: kind, Every: 2}
			p := testPolicy()
			if kind == sim.FaultSlowBody {
				// The slow body sleeps on the simulated clock: it delays
				// nothing real, so this run simply succeeds.
				rule.SlowDelay, rule.ChunkBytes = time.Second, 1<<12
			}
			api := newSimAPI(t, clk, rule)
			h := newHarness(t, api.URL, clk, p)
			if kind == sim.FaultReset {
				// Go's transport silently retries a GET reset on a reused
				// keep-alive connection; fresh connections leave the retry
				// to the client.
				c, err := ingest.NewClient(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}, api.URL, clk, newRand(), p, 0, h.in.Log)
				if err != nil {
					t.Fatal(err)
				}
				h.in.Client = c
			}
			if _, err := h.in.IngestDate(ctx, simDay.AddDate(0, 0, -1)); err != nil {
				t.Fatal(err)
			}
			res, err := h.in.IngestDate(ctx, simDay) // the second /products request faults
			if err != nil {
				t.Fatalf("%v\n%s", err, h.logs)
			}
			if api.Faults.Counts()[kind] == 0 {
				t.Fatalf("the %s fault never fired", kind)
			}
			if kind != sim.FaultSlowBody && res.Retries != 1 {
				t.Fatalf("retries = %d, want 1", res.Retries)
			}
		})
	}

	for kind, want := range map[sim.FaultKind]error{
		sim.FaultMalformedJSON: ingest.ErrMalformed,
		sim.FaultPriceString:   ingest.ErrSchema,
		sim.FaultMissingField:  ingest.ErrSchema,
	} {
		t.Run("Permanent/"+string(kind), func(t *testing.T) {
			clk := startClock()
			api := newSimAPI(t, clk, sim.FaultRule{Endpoint: "/products", Kind: kind, Probability: 1})
			h := newHarness(t, api.URL, clk, testPolicy())
			res, err := h.in.IngestDate(ctx, simDay)
			if !errors.Is(err, want) || ingest.IsRetryable(err) || !strings.Contains(err.Error(), "GET /products") {
				t.Fatalf("err = %v, want a permanent %v naming GET /products", err, want)
			}
			if res.Requests != 2 || committedCount(t, h.wh) != 0 {
				t.Fatalf("%d requests, %d committed; want 2 (users, products), 0", res.Requests, committedCount(t, h.wh))
			}
		})
	}

	t.Run("DuplicateIDsCounted", func(t *testing.T) {
		clk := startClock()
		api := newSimAPI(t, clk, sim.FaultRule{Endpoint: "/users", Kind: sim.FaultDuplicateIDs, Probability: 1, Share: 0.5})
		h := newHarness(t, api.URL, clk, testPolicy())
		res, err := h.in.IngestDate(ctx, simDay)
		if err != nil {
			t.Fatal(err)
		}
		var dup int
		if err := h.wh.DB().QueryRow("SELECT duplicate_ids FROM meta.ingest_objects WHERE entity = 'users'").Scan(&dup); err != nil {
			t.Fatal(err)
		}
		if dup == 0 || dup != res.Objects[0].DuplicateIDs {
			t.Fatalf("ledger duplicate_ids = %d, result %d; want the same, > 0", dup, res.Objects[0].DuplicateIDs)
		}
	})

	t.Run("NoPasswordAnywhere", func(t *testing.T) {
		clk := startClock()
		api := newSimAPI(t, clk,
			sim.FaultRule{Endpoint: "/users", Kind: sim.FaultMalformedJSON, Every: 2},
			sim.FaultRule{Endpoint: "/users", Kind: sim.FaultTruncatedBody, Every: 3},
		)
		h := newHarness(t, api.URL, clk, testPolicy())
		for d := 0; d < 4; d++ {
			_, _ = h.in.IngestDate(ctx, simDay.AddDate(0, 0, -d))
		}
		assertNoPasswords(t, h, api.passwords())
	})
}

// settle waits, in real time, for the goroutines to fall back to before,
// after closing what the test opened; it fails if some stay.
func settle(t *testing.T, before int, api *simAPI) {
	t.Helper()
	api.CloseClientConnections()
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	var now int
	for i := 0; i < 200; i++ {
		runtime.GC()
		if now = runtime.NumGoroutine(); now <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	t.Fatalf("%d goroutines after the hang, %d before:\n%s", now, before, buf[:n])
}

func TestBreaker(t *testing.T) {
	clk := clock.NewSim(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	b := &ingest.Breaker{Threshold: 3, Cooldown: time.Minute, Clock: clk}
	for i := 0; i < 3; i++ {
		if err := b.Allow(); err != nil {
			t.Fatalf("call %d refused while closed: %v", i+1, err)
		}
		b.Failure()
	}
	if err := b.Allow(); !errors.Is(err, ingest.ErrBreakerOpen) || b.State() != ingest.BreakerOpen {
		t.Fatalf("after 3 failures: %v, %s; want ErrBreakerOpen, open", err, b.State())
	}
	clk.Advance(time.Minute)
	if err := b.Allow(); err != nil || b.State() != ingest.BreakerHalfOpen {
		t.Fatalf("after the cool-down: %v, %s; want a probe, half-open", err, b.State())
	}
	if err := b.Allow(); !errors.Is(err, ingest.ErrBreakerOpen) {
		t.Fatalf("a second call during the probe: %v, want ErrBreakerOpen", err)
	}
	b.Failure()
	if b.State() != ingest.BreakerOpen || b.Opened() != 2 {
		t.Fatalf("failed probe: %s, opened %d; want open, 2", b.State(), b.Opened())
	}
	clk.Advance(time.Minute)
	if err := b.Allow(); err != nil {
		t.Fatal(err)
	}
	b.Success()
	if b.State() != ingest.BreakerClosed {
		t.Fatalf("after a good probe: %s, want closed", b.State())
	}
	// A success resets the count of consecutive failures.
	b.Failure()
	b.Failure()
	b.Success()
	b.Failure()
	if b.State() != ingest.BreakerClosed {
		t.Fatal("non-consecutive failures opened the breaker")
	}
}

func TestClient_Get_DeadlineAndCancel(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	clk := startClock()
	p := testPolicy()
	p.RunDeadline, p.MaxAttempts, p.BaseDelay = 3*time.Second, 50, time.Second
	c, err := ingest.NewClient(srv.Client(), srv.URL, clk, newRand(), p, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := c.NewBudget()
	start := clk.Now()
	err = c.Get(context.Background(), b, "/users", nil, func([]byte) error { return nil })
	if !errors.Is(err, ingest.ErrDeadline) {
		t.Fatalf("err = %v, want ErrDeadline", err)
	}
	if clk.Now().Sub(start) > p.RunDeadline {
		t.Fatalf("waited %s on the clock, past the deadline %s", clk.Now().Sub(start), p.RunDeadline)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Get(ctx, c.NewBudget(), "/users", nil, func([]byte) error { return nil }); !errors.Is(err, context.Canceled) || ingest.IsRetryable(err) {
		t.Fatalf("err = %v, want context.Canceled, not retryable", err)
	}
}

func TestPolicy_Validate(t *testing.T) {
	if err := ingest.DefaultPolicy().Validate(); err != nil {
		t.Fatal(err)
	}
	err := ingest.Policy{}.Validate()
	if err == nil || !strings.Contains(err.Error(), "RequestTimeout") || !strings.Contains(err.Error(), "MaxAttempts") {
		t.Fatalf("Validate of the zero policy = %v, want every problem listed", err)
	}
}
