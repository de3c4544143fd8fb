package sim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/sim"
)

// faultEpoch is the clock of the fault tests: after everything in faultWorld.
var faultEpoch = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)

// faultWorld is a small literal world: 20 products (some with integer
// prices), 10 users, 15 carts, all in the past of faultEpoch.
func faultWorld() *sim.World {
	w := &sim.World{}
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for i := range 20 {
		w.Products = append(w.Products, sim.Product{
			ID: int64(i + 1), Title: fmt.Sprintf("product %d", i+1), Price: money.Cents(995 + 1000*i - 95*(i%2)),
			Description: "d", Category: sim.Categories[i%len(sim.Categories)], Image: "https://img.test/p.jpg",
			Rating: sim.Rating{Rate: 4.1, Count: i},
		})
	}
	for i := range 10 {
		w.Users = append(w.Users, sim.User{ID: int64(i + 1), Email: fmt.Sprintf("u%d@x.test", i+1), Username: fmt.Sprintf("u%d", i+1), Country: "ES", CreatedAt: start.Add(time.Duration(i) * time.Hour)})
	}
	for i := range 15 {
		w.Orders = append(w.Orders, sim.Order{
			ID: int64(i + 1), UserID: int64(i%3 + 1), Date: start.Add(time.Duration(i) * 2 * time.Hour),
			Lines: []sim.Line{{ProductID: int64(i%20 + 1), Quantity: 2}}, Status: sim.StatusCompleted,
		})
	}
	return w
}

// faultServer serves faultWorld through faults made of seed and rules, on a
// loopback port, with a simulated clock at faultEpoch.
func faultServer(tb testing.TB, seed uint64, rules ...sim.FaultRule) (*httptest.Server, *sim.Faults, *clock.Sim) {
	tb.Helper()
	clk := clock.NewSim(faultEpoch)
	f, err := sim.NewFaults(seed, clk, rules)
	if err != nil {
		tb.Fatal(err)
	}
	return serveHTTP(tb, f.Wrap(sim.NewServer(faultWorld(), clk))), f, clk
}

// noKeepAlive returns a client that opens a connection per request, so
// that Go's transport does not retry a GET reset on a reused connection.
func noKeepAlive(ts *httptest.Server) *http.Client {
	tr := ts.Client().Transport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// observe classifies what a client got into the fault it shows, "" if the
// response is sound. slow tells whether the simulated clock moved during
// the request (only slow_body sleeps).
func observe(tb testing.TB, res httpResult, slow bool) sim.FaultKind {
	tb.Helper()
	switch {
	case res.err != nil && errors.Is(res.err, io.ErrUnexpectedEOF):
		return sim.FaultTruncatedBody
	case res.err != nil:
		return sim.FaultReset
	case res.code == http.StatusTooManyRequests:
		if res.header.Get("Retry-After") == "" {
			tb.Fatal("429 without Retry-After")
		}
		return sim.Fault429
	case res.code >= 500:
		return sim.Fault5xx
	case res.code != http.StatusOK:
		tb.Fatalf("unexpected status %d: %s", res.code, res.body)
	case !json.Valid(res.body):
		return sim.FaultMalformedJSON
	case slow:
		return sim.FaultSlowBody
	}
	var objs []map[string]any
	if res.body[0] == '{' {
		objs = []map[string]any{{}}
		if err := json.Unmarshal(res.body, &objs[0]); err != nil {
			tb.Fatal(err)
		}
	} else if res.body[0] == '[' && len(res.body) > 2 && res.body[1] == '{' {
		if err := json.Unmarshal(res.body, &objs); err != nil {
			tb.Fatal(err)
		}
	}
	ids := map[any]bool{}
	for _, o := range objs {
		if _, ok := o["price"].(string); ok {
			return sim.FaultPriceString
		}
		id, ok := o["id"]
		if !ok {
			return sim.FaultMissingField
		}
		if ids[id] {
			return sim.FaultDuplicateIDs
		}
		ids[id] = true
	}
	return ""
}

func TestFaults_Probability(t *testing.T) {
	const n, p = 1000, 0.2
	mean, sd := n*p, math.Sqrt(n*p*(1-p))
	for _, c := range []struct {
		path string
		rule sim.FaultRule
	}{
		{"/products", sim.FaultRule{Endpoint: "/products", Kind: sim.FaultPriceString}},
		{"/products/category/electronics", sim.FaultRule{Endpoint: "/products/category/{name}", Kind: sim.FaultDuplicateIDs}},
		{"/products/3", sim.FaultRule{Endpoint: "/products/{id}", Kind: sim.FaultTruncatedBody}},
		{"/products/categories", sim.FaultRule{Endpoint: "/products/categories", Kind: sim.FaultMalformedJSON}},
		{"/users", sim.FaultRule{Endpoint: "/users", Kind: sim.FaultMissingField}},
		{"/users/2", sim.FaultRule{Endpoint: "/users/{id}", Kind: sim.Fault5xx}},
		{"/carts", sim.FaultRule{Endpoint: "/carts", Kind: sim.Fault429}},
		{"/carts/1", sim.FaultRule{Endpoint: "/carts/{id}", Kind: sim.FaultReset}},
		{"/carts/user/1", sim.FaultRule{Endpoint: "/carts/user/{id}", Kind: sim.FaultSlowBody, SlowDelay: time.Second, ChunkBytes: 16}},
	} {
		t.Run(string(c.rule.Kind), func(t *testing.T) {
			t.Parallel()
			c.rule.Probability = p
			ts, f, clk := faultServer(t, 42, c.rule)
			client := ts.Client()
			if c.rule.Kind == sim.FaultReset {
				client = noKeepAlive(ts)
			}
			observed := 0
			for range n {
				before := clk.Now()
				res := httpGet(t, client, ts.URL+c.path)
				switch got := observe(t, res, clk.Now().After(before)); got {
				case "":
				case c.rule.Kind:
					observed++
				default:
					t.Fatalf("GET %s showed %s, only %s is configured", c.path, got, c.rule.Kind)
				}
			}
			k := c.rule.Kind
			if got, want := f.Counts()[k], observed; got != want {
				t.Errorf("Faults counted %d, clients saw %d", got, want)
			}
			if got := float64(observed); math.Abs(got-mean) > 5*sd {
				t.Errorf("fired %v times in %d requests, want %v ± %.0f", got, n, mean, 5*sd)
			}
			if got := f.Requests()[c.rule.Endpoint]; got != n {
				t.Errorf("Requests()[%s] = %d, want %d", c.rule.Endpoint, got, n)
			}
			if got, want := f.Fired(), []sim.FaultCount{{Endpoint: c.rule.Endpoint, Kind: k, Requests: observed, Objects: f.Fired()[0].Objects}}; !slices.Equal(got, want) {
				t.Errorf("Fired() = %+v, want %+v", got, want)
			}
		})
	}
	t.Run("hang", func(t *testing.T) {
		// In process: a request whose context is already done returns at
		// once, so thousands of hangs cost nothing.
		const n = 2000
		mean, sd := n*p, math.Sqrt(n*p*(1-p))
		clk := clock.NewSim(faultEpoch)
		f, err := sim.NewFaults(42, clk, []sim.FaultRule{{Endpoint: "*", Kind: sim.FaultHang, Probability: p}})
		if err != nil {
			t.Fatal(err)
		}
		h := f.Wrap(sim.NewServer(faultWorld(), clk))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		hung := 0
		for range n {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodGet, "/carts", nil))
			if rec.Body.Len() == 0 {
				hung++
			}
		}
		if got := f.Counts()[sim.FaultHang]; got != hung || math.Abs(float64(got)-mean) > 5*sd {
			t.Errorf("%d requests unanswered, %d counted, want %v ± %.0f", hung, got, mean, 5*sd)
		}
	})
}

func TestFaults_Every(t *testing.T) {
	ts, f, _ := faultServer(t, 1, sim.FaultRule{Endpoint: "/products", Kind: sim.Fault5xx, Every: 3})
	c := ts.Client()
	var got []int
	for i := 1; i <= 30; i++ {
		if res := httpGet(t, c, ts.URL+"/users"); res.code != http.StatusOK {
			t.Fatalf("GET /users = %d: the rule is on /products", res.code)
		}
		if res := httpGet(t, c, ts.URL+"/products"); res.code != http.StatusOK {
			got = append(got, i)
		}
	}
	if want := []int{3, 6, 9, 12, 15, 18, 21, 24, 27, 30}; !slices.Equal(got, want) {
		t.Fatalf("5xx on requests %v, want %v", got, want)
	}
	if got, want := f.Counts()[sim.Fault5xx], 10; got != want {
		t.Fatalf("counted %d, want %d", got, want)
	}
}

func TestFaults_Schedule(t *testing.T) {
	from, until := faultEpoch.Add(time.Hour), faultEpoch.Add(2*time.Hour)
	ts, f, clk := faultServer(t, 1,
		sim.FaultRule{Endpoint: "*", Kind: sim.Fault5xx, Status: http.StatusBadGateway, From: from, Until: until},
		sim.FaultRule{Endpoint: "/carts", Kind: sim.Fault429, From: until, Every: 2},
	)
	c := ts.Client()
	for _, tc := range []struct {
		at    time.Time
		path  string
		code  int
		count int
	}{
		{faultEpoch, "/products", 200, 0},
		{from.Add(-time.Millisecond), "/users/1", 200, 0},
		{from, "/users/1", 502, 1},
		{from, "/carts", 502, 2},
		{until.Add(-time.Millisecond), "/products/categories", 502, 3},
		{until, "/products/categories", 200, 3},
		{until, "/carts", 200, 3},
		{until, "/carts", 429, 4},
		{until.Add(time.Hour), "/carts", 200, 4},
		{until.Add(time.Hour), "/carts", 429, 5},
	} {
		if err := clk.Set(tc.at); err != nil {
			t.Fatal(err)
		}
		res := httpGet(t, c, ts.URL+tc.path)
		if res.code != tc.code {
			t.Fatalf("at %s GET %s = %d, want %d", tc.at, tc.path, res.code, tc.code)
		}
		total := 0
		for _, n := range f.Counts() {
			total += n
		}
		if total != tc.count {
			t.Fatalf("at %s: %d faults counted, want %d", tc.at, total, tc.count)
		}
	}
}

func TestFaults_FirstRuleWins(t *testing.T) {
	ts, f, _ := faultServer(t, 1,
		sim.FaultRule{Endpoint: "/products", Kind: sim.Fault5xx, Probability: 1},
		sim.FaultRule{Endpoint: "*", Kind: sim.Fault429, Probability: 1},
	)
	for range 5 {
		if res := httpGet(t, ts.Client(), ts.URL+"/products"); res.code != http.StatusServiceUnavailable {
			t.Fatalf("GET /products = %d, want 503 (default status)", res.code)
		}
		if res := httpGet(t, ts.Client(), ts.URL+"/users"); res.code != http.StatusTooManyRequests {
			t.Fatalf("GET /users = %d, want 429", res.code)
		}
	}
	if got, want := f.Counts(), map[sim.FaultKind]int{sim.Fault5xx: 5, sim.Fault429: 5}; !mapsEqual(got, want) {
		t.Fatalf("Counts() = %v, want %v", got, want)
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestFaults_Hang(t *testing.T) {
	ts, f, _ := faultServer(t, 1, sim.FaultRule{Endpoint: "/carts", Kind: sim.FaultHang, Probability: 1})
	c := &http.Client{Transport: ts.Client().Transport, Timeout: 100 * time.Millisecond}
	if res := httpGet(t, c, ts.URL+"/users"); res.err != nil {
		t.Fatal(res.err) // warm the connection pool and the server's goroutines
	}
	base := runtime.NumGoroutine()
	start := time.Now()
	res := httpGet(t, c, ts.URL+"/carts")
	var ne interface{ Timeout() bool }
	if res.err == nil || !errors.As(res.err, &ne) || !ne.Timeout() {
		t.Fatalf("GET /carts = %d %v, want a client timeout", res.code, res.err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Fatalf("the hang ended after %s, before the client's timeout", d)
	}
	if got := f.Counts()[sim.FaultHang]; got != 1 {
		t.Fatalf("hang counted %d times, want 1", got)
	}
	waitFor(t, "the hanging handler to exit", func() bool { return f.Hanging() == 0 })
	waitFor(t, "goroutines to settle", func() bool { return runtime.NumGoroutine() <= base })
}

// waitFor polls cond for up to 5 seconds.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFaults_TruncatedBody(t *testing.T) {
	ts, f, _ := faultServer(t, 3, sim.FaultRule{Endpoint: "/users", Kind: sim.FaultTruncatedBody, Every: 2})
	c := ts.Client()
	full := httpGet(t, c, ts.URL+"/users")
	if full.err != nil || full.code != http.StatusOK {
		t.Fatalf("first GET /users = %d %v", full.code, full.err)
	}
	for i := range 10 {
		res := httpGet(t, c, ts.URL+"/users")
		if !errors.Is(res.err, io.ErrUnexpectedEOF) {
			t.Fatalf("truncated GET %d: err %v, want io.ErrUnexpectedEOF", i, res.err)
		}
		if res.code != http.StatusOK || res.header.Get("Content-Length") != strconv.Itoa(len(full.body)) {
			t.Fatalf("truncated GET: %d, Content-Length %s, want 200 and %d", res.code, res.header.Get("Content-Length"), len(full.body))
		}
		if len(res.body) == 0 || len(res.body) >= len(full.body) || string(res.body) != string(full.body[:len(res.body)]) {
			t.Fatalf("truncated body of %d bytes is not a proper prefix of the %d-byte body", len(res.body), len(full.body))
		}
		if res := httpGet(t, c, ts.URL+"/users"); res.err != nil || string(res.body) != string(full.body) {
			t.Fatalf("next GET /users = %v, want the full body", res.err)
		}
	}
	if got := f.Counts()[sim.FaultTruncatedBody]; got != 10 {
		t.Fatalf("counted %d, want 10", got)
	}
}

func TestFaults_MalformedJSON(t *testing.T) {
	ts, _, _ := faultServer(t, 3, sim.FaultRule{Endpoint: "/products/{id}", Kind: sim.FaultMalformedJSON, Probability: 1})
	for id := 1; id <= 20; id++ {
		res := httpGet(t, ts.Client(), fmt.Sprintf("%s/products/%d", ts.URL, id))
		if res.err != nil || res.code != http.StatusOK || res.header.Get("Content-Length") != strconv.Itoa(len(res.body)) {
			t.Fatalf("GET = %d %v (Content-Length %s, %d bytes read), want a complete 200", res.code, res.err, res.header.Get("Content-Length"), len(res.body))
		}
		var p map[string]any
		if err := json.Unmarshal(res.body, &p); err == nil {
			t.Fatalf("malformed body %s decoded", res.body)
		}
	}
	// A non-200 response is never altered, and not counted.
	ts, f, _ := faultServer(t, 3, sim.FaultRule{Endpoint: "*", Kind: sim.FaultMalformedJSON, Probability: 1})
	res := httpGet(t, ts.Client(), ts.URL+"/products/999")
	if res.code != http.StatusNotFound || !json.Valid(res.body) || len(f.Counts()) != 0 {
		t.Fatalf("GET /products/999 = %d %s, counts %v; want an intact 404, nothing counted", res.code, res.body, f.Counts())
	}
}

// decodeObjects decodes a list body into generic objects.
func decodeObjects(tb testing.TB, body []byte) []map[string]any {
	tb.Helper()
	var out []map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		tb.Fatalf("decode %s: %v", body, err)
	}
	return out
}

func TestFaults_SchemaDrift(t *testing.T) {
	ts0 := serveHTTP(t, sim.NewServer(faultWorld(), clock.NewSim(faultEpoch)))
	var want []json.RawMessage
	getJSONOK(t, ts0.Client(), ts0.URL+"/products", &want)

	t.Run("price string, one object", func(t *testing.T) {
		ts, f, _ := faultServer(t, 5, sim.FaultRule{Endpoint: "/products", Kind: sim.FaultPriceString, Probability: 1})
		res := httpGet(t, ts.Client(), ts.URL+"/products")
		if res.err != nil || res.code != http.StatusOK {
			t.Fatal(res.code, res.err)
		}
		objs := decodeObjects(t, res.body)
		strs := 0
		for i, o := range objs {
			s, ok := o["price"].(string)
			if !ok {
				continue
			}
			strs++
			var wantObj map[string]json.RawMessage
			if err := json.Unmarshal(want[i], &wantObj); err != nil {
				t.Fatal(err)
			}
			if s != string(wantObj["price"]) {
				t.Fatalf("drifted price %q, want the number %s as a string", s, wantObj["price"])
			}
			if _, err := money.Parse(s); err != nil {
				t.Fatalf("drifted price %q does not parse: %v", s, err)
			}
		}
		if strs != 1 || len(objs) != len(want) {
			t.Fatalf("%d of %d prices are strings, want 1 of %d", strs, len(objs), len(want))
		}
		if err := json.Unmarshal(res.body, new([]fixtureProduct)); err == nil {
			t.Fatal("a string price decoded into money.Cents")
		}
		if got := f.Fired(); len(got) != 1 || got[0] != (sim.FaultCount{Endpoint: "/products", Kind: sim.FaultPriceString, Requests: 1, Objects: 1}) {
			t.Fatalf("Fired() = %+v", got)
		}
	})
	t.Run("price string, share 1", func(t *testing.T) {
		ts, f, _ := faultServer(t, 5, sim.FaultRule{Endpoint: "*", Kind: sim.FaultPriceString, Probability: 1, Share: 1})
		for _, o := range decodeObjects(t, httpGet(t, ts.Client(), ts.URL+"/products").body) {
			if _, ok := o["price"].(string); !ok {
				t.Fatalf("price %v is not a string", o["price"])
			}
		}
		if res := httpGet(t, ts.Client(), ts.URL+"/users"); observe(t, res, false) != "" {
			t.Fatal("a price drift altered /users")
		}
		if got := f.Fired(); len(got) != 1 || got[0].Objects != len(want) {
			t.Fatalf("Fired() = %+v, want %d objects on /products only", got, len(want))
		}
	})
	t.Run("missing id", func(t *testing.T) {
		ts, _, _ := faultServer(t, 5, sim.FaultRule{Endpoint: "/products", Kind: sim.FaultMissingField, Probability: 1})
		var got []json.RawMessage
		getJSONOK(t, ts.Client(), ts.URL+"/products", &got)
		missing := 0
		for i, o := range got {
			if string(o) == string(want[i]) {
				continue
			}
			missing++
			if ks, wk := keysOf(t, o), keysOf(t, want[i]); !slices.Equal(ks, slices.DeleteFunc(wk, func(k string) bool { return k == "id" })) {
				t.Fatalf("altered object keys %v, want %v without id", ks, wk)
			}
		}
		if missing != 1 {
			t.Fatalf("%d objects altered, want 1", missing)
		}
	})
	t.Run("missing price on one object", func(t *testing.T) {
		ts, _, _ := faultServer(t, 5, sim.FaultRule{Endpoint: "/products/{id}", Kind: sim.FaultMissingField, Field: "price", Every: 1})
		var p map[string]any
		getJSONOK(t, ts.Client(), ts.URL+"/products/4", &p)
		if _, ok := p["price"]; ok || p["id"] != 4.0 {
			t.Fatalf("product %v, want id 4 without price", p)
		}
	})
	t.Run("duplicate ids", func(t *testing.T) {
		ts, f, _ := faultServer(t, 5, sim.FaultRule{Endpoint: "/products", Kind: sim.FaultDuplicateIDs, Probability: 1, Share: 0.2})
		var got []json.RawMessage
		getJSONOK(t, ts.Client(), ts.URL+"/products", &got)
		dups, j := 0, 0
		for i := 0; i < len(got); i++ {
			if string(got[i]) != string(want[j]) {
				t.Fatalf("object %d differs from the original %d", i, j)
			}
			if i+1 < len(got) && string(got[i+1]) == string(got[i]) {
				dups++
				i++
			}
			j++
		}
		if j != len(want) || dups == 0 || len(got) != len(want)+dups || f.Fired()[0].Objects != dups {
			t.Fatalf("%d objects, %d duplicates, want %d originals each once plus the duplicates (Fired %+v)", len(got), dups, len(want), f.Fired())
		}
	})
}

func TestFaults_RetryAfterAnd5xx(t *testing.T) {
	for _, tc := range []struct {
		rule        sim.FaultRule
		code        int
		retryAfter  string
		errContains string
	}{
		{sim.FaultRule{Kind: sim.Fault429}, 429, "1", "429 Too Many Requests"},
		{sim.FaultRule{Kind: sim.Fault429, RetryAfter: 1500 * time.Millisecond}, 429, "2", "429"},
		{sim.FaultRule{Kind: sim.Fault429, RetryAfter: 30 * time.Second}, 429, "30", "429"},
		{sim.FaultRule{Kind: sim.Fault5xx}, 503, "", "503 Service Unavailable"},
		{sim.FaultRule{Kind: sim.Fault5xx, Status: 500}, 500, "", "500 Internal Server Error"},
		{sim.FaultRule{Kind: sim.Fault5xx, Status: 504}, 504, "", "504 Gateway Timeout"},
	} {
		tc.rule.Endpoint, tc.rule.Probability = "/carts/{id}", 1
		ts, _, _ := faultServer(t, 1, tc.rule)
		res := httpGet(t, ts.Client(), ts.URL+"/carts/1")
		var e struct {
			Error string `json:"error"`
		}
		if err := json.Unmarshal(res.body, &e); err != nil || res.code != tc.code || res.header.Get("Retry-After") != tc.retryAfter || !strings.Contains(e.Error, tc.errContains) {
			t.Errorf("%+v: %d Retry-After %q body %s; want %d, %q, an error with %q", tc.rule, res.code, res.header.Get("Retry-After"), res.body, tc.code, tc.retryAfter, tc.errContains)
		}
	}
}

func TestFaults_Reset(t *testing.T) {
	ts, f, _ := faultServer(t, 1, sim.FaultRule{Endpoint: "/products/{id}", Kind: sim.FaultReset, Every: 1})
	res := httpGet(t, noKeepAlive(ts), ts.URL+"/products/1")
	if res.err == nil || res.code != 0 {
		t.Fatalf("GET = %d %v, want a transport error and no response", res.code, res.err)
	}
	if got := f.Counts()[sim.FaultReset]; got != 1 {
		t.Fatalf("counted %d, want 1", got)
	}
	// Without a hijackable connection, the handler aborts with
	// http.ErrAbortHandler for the transport to turn into an error.
	defer func() {
		if r := recover(); r != http.ErrAbortHandler {
			t.Fatalf("recovered %v, want http.ErrAbortHandler", r)
		}
	}()
	clk := clock.NewSim(faultEpoch)
	f2, _ := sim.NewFaults(1, clk, []sim.FaultRule{{Endpoint: "*", Kind: sim.FaultReset, Probability: 1}})
	f2.Wrap(sim.NewServer(faultWorld(), clk)).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/users", nil))
	t.Fatal("no panic")
}

func TestFaults_SlowBody(t *testing.T) {
	t.Run("simulated clock", func(t *testing.T) {
		ts, f, clk := faultServer(t, 1, sim.FaultRule{Endpoint: "/users", Kind: sim.FaultSlowBody, Every: 2, SlowDelay: 10 * time.Second, ChunkBytes: 100})
		c := ts.Client()
		full := httpGet(t, c, ts.URL+"/users")
		before := clk.Now()
		slow := httpGet(t, c, ts.URL+"/users")
		if slow.err != nil || string(slow.body) != string(full.body) {
			t.Fatalf("slow body %v: differs from the full body", slow.err)
		}
		chunks := (len(full.body) + 99) / 100
		if got, want := clk.Now().Sub(before), time.Duration(chunks-1)*10*time.Second; got != want {
			t.Fatalf("the clock moved %s, want %d waits of 10s = %s", got, chunks-1, want)
		}
		if f.Counts()[sim.FaultSlowBody] != 1 {
			t.Fatalf("Counts() = %v", f.Counts())
		}
	})
	t.Run("real clock", func(t *testing.T) {
		f, err := sim.NewFaults(1, clock.Real{}, []sim.FaultRule{{Endpoint: "/products", Kind: sim.FaultSlowBody, Probability: 1, SlowDelay: 2 * time.Millisecond, ChunkBytes: 1024}})
		if err != nil {
			t.Fatal(err)
		}
		ts := serveHTTP(t, f.Wrap(sim.NewServer(faultWorld(), clock.NewSim(faultEpoch))))
		start := time.Now()
		res := httpGet(t, ts.Client(), ts.URL+"/products")
		chunks := (len(res.body) + 1023) / 1024
		if res.err != nil || !json.Valid(res.body) || time.Since(start) < time.Duration(chunks-1)*2*time.Millisecond {
			t.Fatalf("slow body: %v, valid %v, %d chunks in %s", res.err, json.Valid(res.body), chunks, time.Since(start))
		}
		// A client that gives up mid-body ends the handler.
		c := &http.Client{Transport: ts.Client().Transport, Timeout: 5 * time.Millisecond}
		f2, _ := sim.NewFaults(1, clock.Real{}, []sim.FaultRule{{Endpoint: "/products", Kind: sim.FaultSlowBody, Probability: 1, SlowDelay: time.Hour, ChunkBytes: 10}})
		ts2 := serveHTTP(t, f2.Wrap(sim.NewServer(faultWorld(), clock.NewSim(faultEpoch))))
		c.Transport = ts2.Client().Transport
		if res := httpGet(t, c, ts2.URL+"/products"); res.err == nil {
			t.Fatal("a body slowed by an hour arrived within 5ms")
		}
		ts2.Close() // returns only once the handler has exited
	})
}

// faultTrace sends a fixed mix of requests and returns what each showed.
func faultTrace(tb testing.TB, seed uint64, rules []sim.FaultRule) ([]string, []sim.FaultCount) {
	tb.Helper()
	ts, f, clk := faultServer(tb, seed, rules...)
	c := noKeepAlive(ts) // no transparent retry of a reset
	paths := []string{"/products", "/products/2", "/products/categories", "/products/category/jewelery", "/users", "/users/3", "/carts", "/carts/4", "/carts/user/2"}
	var out []string
	for i := range 180 {
		path := paths[i%len(paths)]
		before := clk.Now()
		res := httpGet(tb, c, ts.URL+path)
		kind := observe(tb, res, clk.Now().After(before))
		out = append(out, fmt.Sprintf("%s %d %s %x", path, res.code, kind, res.body))
	}
	return out, f.Fired()
}

func TestFaults_Deterministic(t *testing.T) {
	rules := []sim.FaultRule{
		{Endpoint: "*", Kind: sim.Fault5xx, Probability: 0.05},
		{Endpoint: "*", Kind: sim.Fault429, Probability: 0.05, RetryAfter: 3 * time.Second},
		{Endpoint: "*", Kind: sim.FaultReset, Probability: 0.03},
		{Endpoint: "*", Kind: sim.FaultTruncatedBody, Probability: 0.05},
		{Endpoint: "*", Kind: sim.FaultMalformedJSON, Probability: 0.05},
		{Endpoint: "*", Kind: sim.FaultSlowBody, Probability: 0.05, SlowDelay: time.Second},
		{Endpoint: "*", Kind: sim.FaultPriceString, Probability: 0.1, Share: 0.5},
		{Endpoint: "*", Kind: sim.FaultMissingField, Probability: 0.1},
		{Endpoint: "*", Kind: sim.FaultDuplicateIDs, Probability: 0.1, Share: 0.3},
	}
	a, fa := faultTrace(t, 7, rules)
	b, fb := faultTrace(t, 7, rules)
	if !slices.Equal(a, b) {
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("request %d differs between two runs of seed 7:\n%.200s\n%.200s", i, a[i], b[i])
			}
		}
	}
	if !slices.Equal(fa, fb) {
		t.Fatalf("Fired differs: %+v vs %+v", fa, fb)
	}
	kinds := map[sim.FaultKind]bool{}
	for _, fc := range fa {
		kinds[fc.Kind] = true
	}
	for _, r := range rules {
		if !kinds[r.Kind] {
			t.Errorf("%s never fired in the trace: the test proves nothing about it", r.Kind)
		}
	}
	if c, _ := faultTrace(t, 8, rules); slices.Equal(a, c) {
		t.Fatal("seeds 7 and 8 gave the same faults")
	}

	// Adding a rule for another endpoint or kind does not move the others.
	only := []sim.FaultRule{{Endpoint: "/products", Kind: sim.Fault5xx, Probability: 0.3}}
	more := append([]sim.FaultRule{{Endpoint: "/users", Kind: sim.Fault429, Probability: 0.5}}, only...)
	x, _ := faultTrace(t, 7, only)
	y, _ := faultTrace(t, 7, more)
	for i := range x {
		if strings.HasPrefix(x[i], "/products ") && x[i] != y[i] {
			t.Fatalf("request %d on /products changed when a /users rule was added", i)
		}
	}
}

func TestNewFaults_Validate(t *testing.T) {
	clk := clock.NewSim(faultEpoch)
	bad := []struct {
		rule sim.FaultRule
		msg  string
	}{
		{sim.FaultRule{Endpoint: "/carts", Kind: "teapot", Probability: 1}, `unknown kind "teapot"`},
		{sim.FaultRule{Kind: sim.Fault5xx, Probability: 1}, "endpoint is required"},
		{sim.FaultRule{Endpoint: "/orders", Kind: sim.Fault5xx, Probability: 1}, "unknown endpoint"},
		{sim.FaultRule{Endpoint: "*", Kind: sim.Fault5xx, Probability: 1.5}, "probability 1.5 is outside [0, 1]"},
		{sim.FaultRule{Endpoint: "*", Kind: sim.Fault5xx, Probability: math.NaN()}, "probability NaN"},
		{sim.FaultRule{Endpoint: "*", Kind: sim.Fault5xx, Every: -1}, "every -1 is negative"},
		{sim.FaultRule{Endpoint: "*", Kind: sim.Fault5xx, Every: 2, Probability: 0.5}, "exclusive"},
		{sim.FaultRule{Endpoint: "*", Kind: sim.Fault5xx}, "never fires"},
		{sim.FaultRule{Endpoint: "*", Kind: sim.Fault5xx, From: faultEpoch, Until: faultEpoch}, "is empty"},
		{sim.FaultRule{Endpoint: "*", Kind: sim.Fault5xx, Every: 1, Status: 404}, "status 404 is not 500, 502, 503 or 504"},
		{sim.FaultRule{Endpoint: "*", Kind: sim.Fault429, Every: 1, Status: 503}, "status is only for 5xx"},
		{sim.FaultRule{Endpoint: "*", Kind: sim.Fault429, Every: 1, RetryAfter: -time.Second}, "retry_after -1s is negative"},
		{sim.FaultRule{Endpoint: "*", Kind: sim.FaultSlowBody, Every: 1}, "slow_delay 0s is not positive"},
		{sim.FaultRule{Endpoint: "*", Kind: sim.FaultHang, Every: 1, SlowDelay: time.Second}, "slow_delay is only for slow_body"},
		{sim.FaultRule{Endpoint: "*", Kind: sim.Fault5xx, Every: 1, Share: 0.5}, "share is only for"},
		{sim.FaultRule{Endpoint: "*", Kind: sim.FaultDuplicateIDs, Every: 1, Share: 2}, "share 2 is outside [0, 1]"},
		{sim.FaultRule{Endpoint: "/users", Kind: sim.FaultPriceString, Every: 1}, "does not apply to /users (its objects have no price)"},
		{sim.FaultRule{Endpoint: "/carts/{id}", Kind: sim.FaultDuplicateIDs, Every: 1}, "does not apply to /carts/{id}"},
		{sim.FaultRule{Endpoint: "/products/categories", Kind: sim.FaultMissingField, Every: 1}, `its objects have no field "id"`},
		{sim.FaultRule{Endpoint: "*", Kind: sim.FaultMissingField, Field: "nope", Every: 1}, "applies to no route"},
	}
	var rules []sim.FaultRule
	for _, b := range bad {
		rules = append(rules, b.rule)
		if _, err := sim.NewFaults(1, clk, []sim.FaultRule{b.rule}); err == nil || !strings.Contains(err.Error(), b.msg) {
			t.Errorf("NewFaults(%+v) = %v, want an error with %q", b.rule, err, b.msg)
		}
	}
	_, err := sim.NewFaults(1, clk, rules)
	if !errors.Is(err, sim.ErrInvalidConfig) {
		t.Fatalf("err %v does not wrap ErrInvalidConfig", err)
	}
	for i, b := range bad {
		if !strings.Contains(err.Error(), fmt.Sprintf("fault %d (", i)) || !strings.Contains(err.Error(), b.msg) {
			t.Errorf("the error listing every problem lacks rule %d: %q", i, b.msg)
		}
	}

	f, err := sim.NewFaults(1, clk, []sim.FaultRule{
		{Endpoint: "*", Kind: sim.Fault5xx, Probability: 1},
		{Endpoint: "/carts", Kind: sim.Fault429, Until: faultEpoch},
		{Endpoint: "/users", Kind: sim.FaultSlowBody, Every: 3, SlowDelay: time.Second},
		{Endpoint: "/carts/user/{id}", Kind: sim.FaultMissingField, From: faultEpoch},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := f.Rules()
	if got[0].Status != 503 || got[1].RetryAfter != time.Second || got[2].ChunkBytes != 64 || got[3].Field != "id" {
		t.Fatalf("defaults not applied: %+v", got)
	}
	var nilFaults *sim.Faults
	h := sim.NewServer(faultWorld(), clk)
	if nilFaults.Wrap(h) != h || len(nilFaults.Counts()) != 0 || nilFaults.Hanging() != 0 {
		t.Fatal("a nil *Faults is not inert")
	}
}

func TestFaultRule_YAML(t *testing.T) {
	doc := `
- endpoint: /carts
  kind: "429"
  probability: 0.25
  retry_after: 2s
- endpoint: "/products/{id}"
  kind: slow_body
  every: 10
  slow_delay: 250ms
  chunk_bytes: 32
  from: 2026-01-05T10:00:00Z
  until: 2026-01-05T12:00:00Z
- endpoint: "*"
  kind: schema_drift_missing_field
  field: price
  share: 0.1
  probability: 0.01
`
	var rules []sim.FaultRule
	if err := yaml.Unmarshal([]byte(doc), &rules); err != nil {
		t.Fatal(err)
	}
	want := []sim.FaultRule{
		{Endpoint: "/carts", Kind: sim.Fault429, Probability: 0.25, RetryAfter: 2 * time.Second},
		{Endpoint: "/products/{id}", Kind: sim.FaultSlowBody, Every: 10, SlowDelay: 250 * time.Millisecond, ChunkBytes: 32,
			From: time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC), Until: time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)},
		{Endpoint: "*", Kind: sim.FaultMissingField, Field: "price", Share: 0.1, Probability: 0.01},
	}
	if len(rules) != len(want) {
		t.Fatalf("decoded %d rules", len(rules))
	}
	for i := range want {
		if !rules[i].From.Equal(want[i].From) || !rules[i].Until.Equal(want[i].Until) {
			t.Fatalf("rule %d window %s..%s, want %s..%s", i, rules[i].From, rules[i].Until, want[i].From, want[i].Until)
		}
		rules[i].From, rules[i].Until, want[i].From, want[i].Until = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if rules[i] != want[i] {
			t.Fatalf("rule %d = %+v, want %+v", i, rules[i], want[i])
		}
	}
	if _, err := sim.NewFaults(1, clock.NewSim(faultEpoch), rules); err != nil {
		t.Fatal(err)
	}
	b, err := yaml.Marshal(want[0])
	if err != nil || !strings.Contains(string(b), "retry_after: 2s") {
		t.Fatalf("marshal: %v\n%s", err, b)
	}
	if err := yaml.Unmarshal([]byte("- {endpoint: /carts, kind: hang, every: 1, slow_delay: 5}"), &rules); err == nil {
		t.Fatal("a duration without a unit decoded")
	}
}

// TestFaults_IgnoreDateFilter: the fault serves a cart list as if
// startdate/enddate were absent, and fires only on requests that carry them.
func TestFaults_IgnoreDateFilter(t *testing.T) {
	ts, f, _ := faultServer(t, 5, sim.FaultRule{Endpoint: "*", Kind: sim.FaultIgnoreDateFilter, Probability: 1})
	var all, day []map[string]any
	getJSONOK(t, ts.Client(), ts.URL+"/carts", &all)
	if got := f.Counts()[sim.FaultIgnoreDateFilter]; got != 0 {
		t.Fatalf("fired %d times on a request without a date filter", got)
	}
	getJSONOK(t, ts.Client(), ts.URL+"/carts?startdate=2026-01-06&enddate=2026-01-07", &day)
	if len(day) != len(all) || len(all) < 2 {
		t.Fatalf("%d carts with the filter ignored, want all %d", len(day), len(all))
	}
	if got := f.Counts()[sim.FaultIgnoreDateFilter]; got != 1 {
		t.Fatalf("fired %d times, want 1", got)
	}
	plain := serveHTTP(t, sim.NewServer(faultWorld(), clock.NewSim(faultEpoch)))
	getJSONOK(t, plain.Client(), plain.URL+"/carts?startdate=2026-01-06&enddate=2026-01-07", &day)
	if len(day) >= len(all) {
		t.Fatalf("the plain server serves %d of %d carts for one day: the test proves nothing", len(day), len(all))
	}
	if _, err := sim.NewFaults(1, clock.NewSim(faultEpoch), []sim.FaultRule{{Endpoint: "/products", Kind: sim.FaultIgnoreDateFilter, Every: 1}}); err == nil ||
		!strings.Contains(err.Error(), "not a cart list") {
		t.Fatalf("a rule on /products: err %v, want it refused", err)
	}
}
