package sim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
)

// get sends GET path to h and returns the status and body.
func get(tb testing.TB, h http.Handler, path string) (int, []byte) {
	tb.Helper()
	return do(tb, h, http.MethodGet, path)
}

func do(tb testing.TB, h http.Handler, method, path string) (int, []byte) {
	tb.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Fatalf("%s %s: Content-Type %q", method, path, ct)
	}
	return rec.Code, rec.Body.Bytes()
}

// getOK sends GET path, requires 200 and decodes the body into v.
func getOK(tb testing.TB, h http.Handler, path string, v any) {
	tb.Helper()
	code, body := get(tb, h, path)
	if code != http.StatusOK {
		tb.Fatalf("GET %s = %d %s", path, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		tb.Fatalf("GET %s: decode: %v", path, err)
	}
}

// The fixture shapes (testdata/fakestore), for decoding.
type (
	fixtureProduct struct {
		ID          int64       `json:"id"`
		Title       string      `json:"title"`
		Price       money.Cents `json:"price"`
		Description string      `json:"description"`
		Category    string      `json:"category"`
		Image       string      `json:"image"`
		Rating      struct {
			Rate  float64 `json:"rate"`
			Count int     `json:"count"`
		} `json:"rating"`
		PriceValidFrom *string `json:"priceValidFrom"` // extension
	}
	fixtureUser struct {
		Address struct {
			Geolocation struct {
				Lat  string `json:"lat"`
				Long string `json:"long"`
			} `json:"geolocation"`
			City    string `json:"city"`
			Street  string `json:"street"`
			Number  int    `json:"number"`
			Zipcode string `json:"zipcode"`
		} `json:"address"`
		ID       int64  `json:"id"`
		Email    string `json:"email"`
		Username string `json:"username"`
		Password string `json:"password"`
		Name     struct {
			Firstname string `json:"firstname"`
			Lastname  string `json:"lastname"`
		} `json:"name"`
		Phone     string `json:"phone"`
		V         int    `json:"__v"`
		Country   string `json:"country"`   // extension
		CreatedAt string `json:"createdAt"` // extension
	}
	fixtureCart struct {
		ID       int64  `json:"id"`
		UserID   int64  `json:"userId"`
		Date     string `json:"date"`
		Products []struct {
			ProductID int64 `json:"productId"`
			Quantity  int64 `json:"quantity"`
		} `json:"products"`
		V      int    `json:"__v"`
		Status string `json:"status"` // extension
	}
)

// shape describes a JSON value's structure: object keys in order with the
// shape of their values, the shape of an array's first element, and 's',
// 'n', 'b' for strings, numbers and booleans. Top-level keys in skip are
// left out.
func shape(tb testing.TB, raw json.RawMessage, skip ...string) string {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var sb strings.Builder
	var walk func(depth int)
	walk = func(depth int) {
		tok, err := dec.Token()
		if err != nil {
			tb.Fatal(err)
		}
		switch tok := tok.(type) {
		case json.Delim:
			if tok == '[' {
				sb.WriteString("[")
				first := true
				for dec.More() {
					if first {
						walk(depth + 1)
						first = false
						continue
					}
					var ignore json.RawMessage
					_ = dec.Decode(&ignore)
				}
				sb.WriteString("]")
				_, _ = dec.Token()
				return
			}
			sb.WriteString("{")
			for dec.More() {
				k, _ := dec.Token()
				if depth == 0 && slices.Contains(skip, k.(string)) {
					var ignore json.RawMessage
					_ = dec.Decode(&ignore)
					continue
				}
				fmt.Fprintf(&sb, "%s:", k)
				walk(depth + 1)
				sb.WriteString(",")
			}
			sb.WriteString("}")
			_, _ = dec.Token()
		case string:
			sb.WriteString("s")
		case json.Number:
			sb.WriteString("n")
		case bool:
			sb.WriteString("b")
		default:
			sb.WriteString("null")
		}
	}
	walk(0)
	return sb.String()
}

// keysOf returns the top-level keys of a JSON object, in order.
func keysOf(tb testing.TB, raw json.RawMessage) []string {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		tb.Fatal(err)
	}
	var keys []string
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var ignore json.RawMessage
		if err := dec.Decode(&ignore); err != nil {
			tb.Fatal(err)
		}
	}
	return keys
}

func readFixture(tb testing.TB, name string) []json.RawMessage {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fakestore", name))
	if err != nil {
		tb.Fatal(err)
	}
	var out []json.RawMessage
	if err := json.Unmarshal(b, &out); err != nil {
		tb.Fatal(err)
	}
	return out
}

// endServer serves the default world once the run is over.
func endServer(tb testing.TB) (*sim.World, http.Handler) {
	tb.Helper()
	w := newWorld(tb, sim.DefaultConfig())
	return w, sim.NewServer(w, clock.NewSim(w.Config.End()))
}

// firstCartUser returns the user of the World's first order.
func firstCartUser(tb testing.TB, w *sim.World) int64 {
	tb.Helper()
	if len(w.Orders) == 0 {
		tb.Fatal("the world has no orders")
	}
	return w.Orders[0].UserID
}

func TestServer_FixtureShapes(t *testing.T) {
	w, h := endServer(t)
	cat := url.PathEscape(w.ProductsAsOf(w.Config.End())[0].Category)
	for _, tc := range []struct {
		route, fixture string
		extensions     []string
		into           any
	}{
		{"/products", "products.json", []string{"priceValidFrom"}, &[]fixtureProduct{}},
		{"/products/1", "products.json", []string{"priceValidFrom"}, &fixtureProduct{}},
		{"/products/category/" + cat, "products.json", []string{"priceValidFrom"}, &[]fixtureProduct{}},
		{"/products?page=1&per_page=5", "products.json", []string{"priceValidFrom"}, &[]fixtureProduct{}},
		{"/users", "users.json", []string{"country", "createdAt"}, &[]fixtureUser{}},
		{"/users/1", "users.json", []string{"country", "createdAt"}, &fixtureUser{}},
		{"/carts", "carts.json", []string{"status"}, &[]fixtureCart{}},
		{"/carts/1", "carts.json", []string{"status"}, &fixtureCart{}},
		{fmt.Sprintf("/carts/user/%d", firstCartUser(t, w)), "carts.json", []string{"status"}, &[]fixtureCart{}},
	} {
		t.Run(tc.route, func(t *testing.T) {
			fix := readFixture(t, tc.fixture)
			want := shape(t, fix[0])
			for i, f := range fix {
				if got := shape(t, f); got != want {
					t.Fatalf("fixture %s[%d] shape %s differs from [0] %s", tc.fixture, i, got, want)
				}
			}
			code, body := get(t, h, tc.route)
			if code != http.StatusOK {
				t.Fatalf("GET %s = %d", tc.route, code)
			}
			var served []json.RawMessage
			if bytes.HasPrefix(body, []byte("{")) {
				served = []json.RawMessage{body}
			} else if err := json.Unmarshal(body, &served); err != nil {
				t.Fatal(err)
			}
			if len(served) == 0 {
				t.Fatalf("GET %s served nothing", tc.route)
			}
			fixKeys := keysOf(t, fix[0])
			for i, s := range served {
				if got := shape(t, s, tc.extensions...); got != want {
					t.Fatalf("%s[%d] shape without extensions\n got %s\nwant %s", tc.route, i, got, want)
				}
				if got, want := keysOf(t, s), append(slices.Clone(fixKeys), tc.extensions...); !slices.Equal(got, want) {
					t.Fatalf("%s[%d] keys %v, want %v", tc.route, i, got, want)
				}
			}
			if err := json.Unmarshal(body, tc.into); err != nil {
				t.Fatalf("decode %s into the fixture's struct: %v", tc.route, err)
			}
		})
	}
	t.Run("/products/categories", func(t *testing.T) {
		var cats []string
		getOK(t, h, "/products/categories", &cats)
		var want []string
		for _, p := range w.ProductsAsOf(w.Config.End()) {
			want = append(want, p.Category)
		}
		slices.Sort(want)
		want = slices.Compact(want)
		if !slices.Equal(cats, want) {
			t.Fatalf("categories %q, want %q (distinct, ascending)", cats, want)
		}
	})
}

func TestServer_Values(t *testing.T) {
	w, h := endServer(t)
	end := w.Config.End()
	var products []fixtureProduct
	getOK(t, h, "/products", &products)
	listed := w.ProductsAsOf(end)
	if got, want := len(products), len(listed); got != want {
		t.Fatalf("%d products served, %d listed", got, want)
	}
	for i, p := range products {
		if got, want := p.Price, listed[i].Price; p.ID != listed[i].ID || got != want {
			t.Fatalf("product %d price %v, want product %d at %v", p.ID, got, listed[i].ID, want)
		}
	}
	var users []fixtureUser
	getOK(t, h, "/users", &users)
	for i, u := range users {
		wu := w.Users[i]
		if u.ID != wu.ID || u.Email != wu.Email || u.Address.Number != wu.Number || u.Country != wu.Country || u.CreatedAt != wu.CreatedAt.Format("2006-01-02T15:04:05.000Z") {
			t.Fatalf("user %d served as %+v, world has %+v", wu.ID, u, wu)
		}
	}
	var carts []fixtureCart
	getOK(t, h, "/carts", &carts)
	for i, c := range carts {
		o := w.Orders[i]
		d, err := time.Parse(time.RFC3339, c.Date)
		if err != nil || !d.Equal(o.Date) || c.UserID != o.UserID || len(c.Products) != len(o.Lines) || c.Status != o.Status || c.Status == "" {
			t.Fatalf("cart %d served as %+v, world has %+v", o.ID, c, o)
		}
	}
}

func TestServer_PriceBytes(t *testing.T) {
	w := &sim.World{Products: []sim.Product{
		{ID: 1, Price: 10995, Category: "electronics"},
		{ID: 2, Price: 2230, Category: "jewelery"},
		{ID: 3, Price: 69500, Category: "jewelery"},
	}}
	h := sim.NewServer(w, clock.NewSim(time.Unix(0, 0)))
	_, body := get(t, h, "/products")
	for _, want := range []string{`"price":109.95,`, `"price":22.30,`, `"price":695.00,`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("body lacks %s: %s", want, body)
		}
	}
}

func TestServer_Deterministic(t *testing.T) {
	_, a := endServer(t)
	_, b := endServer(t)
	for _, path := range []string{
		"/products", "/users", "/carts", "/carts?sort=desc&limit=3", "/users/7", "/carts/2",
		"/products/categories", "/products/category/electronics", "/carts/user/3", "/users?page=2&per_page=7",
	} {
		ca, ba := get(t, a, path)
		cb, bb := get(t, b, path)
		if ca != cb || !bytes.Equal(ba, bb) {
			t.Fatalf("GET %s differs between two servers of the same config", path)
		}
	}
}

// TestServer_CartsMatchPurchases checks that, at any clock reading, the
// carts served are exactly the orders of the purchases made by then.
func TestServer_CartsMatchPurchases(t *testing.T) {
	w := newWorld(t, sim.DefaultConfig())
	clk := clock.NewSim(w.Config.Start)
	h := sim.NewServer(w, clk)
	for clk.Now().Before(w.Config.End().Add(time.Hour)) {
		now := clk.Now()
		want := []int64{}
		for _, e := range w.Events {
			if e.EventType == stream.Purchase && !e.EventTime.After(now) {
				want = append(want, *e.OrderID)
			}
		}
		var carts []fixtureCart
		getOK(t, h, "/carts", &carts)
		got := []int64{}
		for _, c := range carts {
			got = append(got, c.ID)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("at %s: carts %v, purchases %v", now, got, want)
		}
		for _, id := range want {
			var c fixtureCart
			getOK(t, h, fmt.Sprintf("/carts/%d", id), &c)
		}
		clk.Advance(6 * time.Hour)
	}
}

func TestServer_UsersByClock(t *testing.T) {
	w := newWorld(t, sim.DefaultConfig())
	clk := clock.NewSim(w.Config.Start)
	h := sim.NewServer(w, clk)
	var users []fixtureUser
	getOK(t, h, "/users", &users)
	if got, want := len(users), w.Config.Users/3; got != want {
		t.Fatalf("at Start, %d users served, want %d", got, want)
	}
	last := w.Users[len(w.Users)-1]
	if code, _ := get(t, h, fmt.Sprintf("/users/%d", last.ID)); code != http.StatusNotFound {
		t.Fatalf("GET /users/%d before its sign-up = %d, want 404", last.ID, code)
	}
	if err := clk.Set(last.CreatedAt.Add(-time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, h, fmt.Sprintf("/users/%d", last.ID)); code != http.StatusNotFound {
		t.Fatalf("GET /users/%d 1ms before its sign-up = %d, want 404", last.ID, code)
	}
	clk.Advance(time.Millisecond)
	getOK(t, h, fmt.Sprintf("/users/%d", last.ID), new(fixtureUser))
	getOK(t, h, "/users", &users)
	if got, want := len(users), len(w.Users); got != want {
		t.Fatalf("after the last sign-up, %d users served, want %d", got, want)
	}
}

// dateWorld has one order around each boundary of 2026-01-05 and 2026-01-06.
func dateWorld() *sim.World {
	at := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	dates := []string{
		"2026-01-04T23:59:59.999Z",
		"2026-01-05T00:00:00Z",
		"2026-01-05T23:59:59.999Z",
		"2026-01-06T00:00:00Z",
		"2026-01-06T12:00:00Z",
		"2026-01-07T00:00:00Z",
	}
	w := &sim.World{Products: []sim.Product{{ID: 1, Price: 100}}}
	for i, d := range dates {
		w.Orders = append(w.Orders, sim.Order{ID: int64(i + 1), UserID: 1, Date: at(d), Lines: []sim.Line{{ProductID: 1, Quantity: 1}}, Status: sim.StatusCompleted})
	}
	return w
}

func TestServer_CartsDateRange(t *testing.T) {
	h := sim.NewServer(dateWorld(), clock.NewSim(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	for _, tc := range []struct {
		query string
		want  []int64
	}{
		{"", []int64{1, 2, 3, 4, 5, 6}},
		{"?startdate=2026-01-05&enddate=2026-01-06", []int64{2, 3}},
		{"?startdate=2026-01-05", []int64{2, 3, 4, 5, 6}},
		{"?enddate=2026-01-06", []int64{1, 2, 3}},
		{"?startdate=2026-01-06&enddate=2026-01-07", []int64{4, 5}},
		{"?startdate=2026-01-06&enddate=2026-01-06", []int64{}},
		{"?startdate=2026-01-05&enddate=2026-01-07&sort=desc&limit=3", []int64{5, 4, 3}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			var carts []fixtureCart
			getOK(t, h, "/carts"+tc.query, &carts)
			got := []int64{}
			for _, c := range carts {
				got = append(got, c.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("GET /carts%s = %v, want %v", tc.query, got, tc.want)
			}
		})
	}
}

func TestServer_LimitSort(t *testing.T) {
	w, h := endServer(t)
	ids := func(path string) []int64 {
		var items []struct {
			ID int64 `json:"id"`
		}
		getOK(t, h, path, &items)
		out := []int64{}
		for _, it := range items {
			out = append(out, it.ID)
		}
		return out
	}
	var listed []int64
	for _, p := range w.ProductsAsOf(w.Config.End()) {
		listed = append(listed, p.ID)
	}
	n := len(listed)
	for _, tc := range []struct {
		path string
		want []int64
	}{
		{"/products?limit=3", listed[:3]},
		{"/products?sort=desc&limit=2", []int64{listed[n-1], listed[n-2]}},
		{"/products?sort=asc&limit=1", listed[:1]},
		{"/users?sort=desc&limit=2", []int64{int64(len(w.Users)), int64(len(w.Users) - 1)}},
		{"/carts?limit=1", []int64{w.Orders[0].ID}},
	} {
		if got := ids(tc.path); !slices.Equal(got, tc.want) {
			t.Errorf("GET %s = %v, want %v", tc.path, got, tc.want)
		}
	}
	if got, want := len(ids("/products?limit=100000")), n; got != want {
		t.Errorf("limit above the count served %d, want %d", got, want)
	}
}

func TestServer_Errors(t *testing.T) {
	_, h := endServer(t)
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/products?limit=abc", http.StatusBadRequest},
		{"GET", "/products?limit=0", http.StatusBadRequest},
		{"GET", "/users?limit=-1", http.StatusBadRequest},
		{"GET", "/users?limit=", http.StatusBadRequest},
		{"GET", "/carts?sort=up", http.StatusBadRequest},
		{"GET", "/carts?startdate=2026-13-01", http.StatusBadRequest},
		{"GET", "/carts?enddate=yesterday", http.StatusBadRequest},
		{"GET", "/carts?startdate=2026-01-07&enddate=2026-01-05", http.StatusBadRequest},
		{"GET", "/products/abc", http.StatusBadRequest},
		{"GET", "/products/999", http.StatusNotFound},
		{"GET", "/users/0", http.StatusNotFound},
		{"GET", "/carts/99999", http.StatusNotFound},
		{"GET", "/nothing", http.StatusNotFound},
		{"POST", "/products", http.StatusMethodNotAllowed},
		{"DELETE", "/carts/1", http.StatusMethodNotAllowed},
		{"PUT", "/products/categories", http.StatusMethodNotAllowed},
		{"PATCH", "/carts/user/1", http.StatusMethodNotAllowed},
		{"GET", "/products/category/a/b", http.StatusNotFound},
		{"GET", "/products/category", http.StatusBadRequest}, // /products/{id} with id "category", as FakeStore
		{"GET", "/carts/user/abc", http.StatusBadRequest},
		{"GET", "/carts/user/1?enddate=2026-02-30", http.StatusBadRequest},
		{"GET", "/carts/user/1?sort=random", http.StatusBadRequest},
		{"GET", "/products?page=0", http.StatusBadRequest},
		{"GET", "/products?page=-1", http.StatusBadRequest},
		{"GET", "/products?page=x", http.StatusBadRequest},
		{"GET", "/products?page=", http.StatusBadRequest},
		{"GET", "/users?per_page=0", http.StatusBadRequest},
		{"GET", "/users?per_page=10001", http.StatusBadRequest},
		{"GET", "/carts?per_page=1.5", http.StatusBadRequest},
		{"GET", "/products/category/x?per_page=abc", http.StatusBadRequest},
		{"GET", "/carts/user/1?page=1e3", http.StatusBadRequest},
		{"GET", "//products", http.StatusNotFound},
		{"GET", "/products/1/2", http.StatusNotFound},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			code, body := do(t, h, tc.method, tc.path)
			if code != tc.code {
				t.Fatalf("status %d, want %d (%s)", code, tc.code, body)
			}
			var e struct {
				Error string `json:"error"`
			}
			if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
				t.Fatalf("body %s is not a JSON error", body)
			}
		})
	}
}

// serveHTTP serves h on a loopback port until the test ends.
func serveHTTP(tb testing.TB, h http.Handler) *httptest.Server {
	tb.Helper()
	ts := httptest.NewServer(h)
	tb.Cleanup(ts.Close)
	return ts
}

// httpResult is what a real client got: a response, or an error.
type httpResult struct {
	code   int
	header http.Header
	body   []byte
	err    error // from the round trip or from reading the body
}

// httpGet sends GET to url with c and reads the whole body.
func httpGet(tb testing.TB, c *http.Client, url string) httpResult {
	tb.Helper()
	resp, err := c.Get(url)
	if err != nil {
		return httpResult{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return httpResult{code: resp.StatusCode, header: resp.Header, body: body, err: err}
}

// getJSONOK sends GET with a real client, requires 200 and decodes into v.
func getJSONOK(tb testing.TB, c *http.Client, url string, v any) http.Header {
	tb.Helper()
	res := httpGet(tb, c, url)
	if res.err != nil || res.code != http.StatusOK {
		tb.Fatalf("GET %s = %d, %v: %s", url, res.code, res.err, res.body)
	}
	if err := json.Unmarshal(res.body, v); err != nil {
		tb.Fatalf("GET %s: decode: %v", url, err)
	}
	return res.header
}

func TestServer_HTTP(t *testing.T) {
	w, h := endServer(t)
	ts := serveHTTP(t, h)
	c := ts.Client()
	for _, path := range []string{
		"/products", "/products/3", "/products/categories", "/products/category/" + url.PathEscape(w.ProductsAsOf(w.Config.End())[0].Category),
		"/users", "/users/9", "/carts", fmt.Sprintf("/carts/%d", w.Orders[len(w.Orders)-1].ID), fmt.Sprintf("/carts/user/%d", firstCartUser(t, w)),
		"/products?sort=desc&limit=4", "/carts?startdate=2026-01-06", "/products/", "/users?page=3&per_page=9",
	} {
		res := httpGet(t, c, ts.URL+path)
		if res.err != nil || res.code != http.StatusOK {
			t.Fatalf("GET %s = %d, %v", path, res.code, res.err)
		}
		_, want := get(t, h, path)
		if !bytes.Equal(res.body, want) {
			t.Fatalf("GET %s over HTTP differs from ServeHTTP", path)
		}
		if got, want := res.header.Get("Content-Length"), strconv.Itoa(len(want)); got != want {
			t.Fatalf("GET %s Content-Length %s, want %s", path, got, want)
		}
		resp, err := c.Head(ts.URL + path)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("HEAD %s = %v, %v", path, resp, err)
		}
		_ = resp.Body.Close()
	}
	if res := httpGet(t, c, ts.URL+"/products?page=1"); res.header.Get("X-Total-Count") == "" {
		t.Fatal("paginated response without X-Total-Count")
	}
	if res := httpGet(t, c, ts.URL+"/products"); res.header.Get("X-Total-Count") != "" || res.header.Get("Link") != "" {
		t.Fatalf("unpaginated response with pagination headers %v", res.header)
	}
}

// historyWorld has a product whose price changes twice, one listed late
// and withdrawn, and one withdrawn with a category of its own.
func historyWorld(t0 time.Time) *sim.World {
	t1, t2 := t0.Add(24*time.Hour), t0.Add(48*time.Hour)
	return &sim.World{Products: []sim.Product{
		{ID: 1, Title: "a", Price: 1000, Category: "electronics", Prices: []sim.PricePoint{{From: t1, Price: 1200}, {From: t2, Price: 900}}},
		{ID: 2, Title: "b", Price: 500, Category: "jewelery", ListedAt: t1, WithdrawnAt: &t2},
		{ID: 3, Title: "c", Price: 700, Category: "electronics"},
	}}
}

func TestServer_PriceHistory(t *testing.T) {
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	t1, t2 := t0.Add(24*time.Hour), t0.Add(48*time.Hour)
	clk := clock.NewSim(t0)
	h := sim.NewServer(historyWorld(t0), clk)
	stamp := func(t time.Time) *string { s := t.Format("2006-01-02T15:04:05.000Z"); return &s }
	type want struct {
		price money.Cents
		from  *string
	}
	for _, tc := range []struct {
		at   time.Time
		want map[int64]want
		cats []string
	}{
		{t0, map[int64]want{1: {1000, nil}, 3: {700, nil}}, []string{"electronics"}},
		{t1.Add(-time.Millisecond), map[int64]want{1: {1000, nil}, 3: {700, nil}}, []string{"electronics"}},
		{t1, map[int64]want{1: {1200, stamp(t1)}, 2: {500, stamp(t1)}, 3: {700, nil}}, []string{"electronics", "jewelery"}},
		{t2, map[int64]want{1: {900, stamp(t2)}, 3: {700, nil}}, []string{"electronics"}},
	} {
		if err := clk.Set(tc.at); err != nil {
			t.Fatal(err)
		}
		var products []fixtureProduct
		getOK(t, h, "/products", &products)
		if len(products) != len(tc.want) {
			t.Fatalf("at %s: %d products, want %d", tc.at, len(products), len(tc.want))
		}
		for _, p := range products {
			w, ok := tc.want[p.ID]
			if !ok || p.Price != w.price || (p.PriceValidFrom == nil) != (w.from == nil) || p.PriceValidFrom != nil && *p.PriceValidFrom != *w.from {
				t.Fatalf("at %s: product %d price %v from %v, want %+v", tc.at, p.ID, p.Price, p.PriceValidFrom, w)
			}
		}
		for id := int64(1); id <= 3; id++ {
			code, _ := get(t, h, fmt.Sprintf("/products/%d", id))
			if _, listed := tc.want[id]; listed != (code == http.StatusOK) || !listed && code != http.StatusNotFound {
				t.Fatalf("at %s: GET /products/%d = %d, listed %v", tc.at, id, code, listed)
			}
		}
		var cats []string
		getOK(t, h, "/products/categories", &cats)
		if !slices.Equal(cats, tc.cats) {
			t.Fatalf("at %s: categories %q, want %q", tc.at, cats, tc.cats)
		}
		var jew []fixtureProduct
		getOK(t, h, "/products/category/jewelery", &jew)
		if got, want := len(jew), len(tc.cats)-1; got != want {
			t.Fatalf("at %s: %d jewelery products, want %d", tc.at, got, want)
		}
	}
}

// hostileCategories are category names a generator may produce on purpose.
var hostileCategories = []string{
	"men's clothing", `a "quoted" one`, "../../etc/passwd", "..", ".", "a/b", "%2F", "100%", "tab\there", "nl\nx", "nul\x00",
	"<script>alert(1)</script>", "a?b#c&d=e", "plus+sign", " spaced ", "ünïcödé ñ", "back\\slash", "semi;colon", "",
}

func TestServer_HostileCategories(t *testing.T) {
	w := &sim.World{}
	for i, c := range hostileCategories {
		w.Products = append(w.Products, sim.Product{ID: int64(i + 1), Title: "p", Price: 100, Category: c})
	}
	ts := serveHTTP(t, sim.NewServer(w, clock.NewSim(time.Unix(0, 0))))
	c := ts.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	var cats []string
	getJSONOK(t, c, ts.URL+"/products/categories", &cats)
	want := slices.Sorted(slices.Values(hostileCategories))
	if !slices.Equal(cats, want) {
		t.Fatalf("categories %q, want %q", cats, want)
	}
	for i, name := range hostileCategories {
		if name == "" {
			continue // no path segment can name it: /products/category/ is /products/category
		}
		t.Run(fmt.Sprintf("%q", name), func(t *testing.T) {
			var got []fixtureProduct
			getJSONOK(t, c, ts.URL+"/products/category/"+url.PathEscape(name), &got)
			if len(got) != 1 || got[0].ID != int64(i+1) || got[0].Category != name {
				t.Fatalf("category %q served %+v, want product %d alone", name, got, i+1)
			}
		})
	}
	for _, tc := range []struct {
		path string
		code int
	}{
		{"/products/category/../1", http.StatusNotFound},        // never resolved to /products/1
		{"/products/category/../../users", http.StatusNotFound}, // never resolved to /users
		{"/products/category/a/../b", http.StatusNotFound},
		{"/products/category/nothing-like-it", http.StatusOK}, // FakeStore: an unknown category is an empty list
		{"/products/category/%2E%2E", http.StatusOK},
	} {
		res := httpGet(t, c, ts.URL+tc.path)
		if res.err != nil || res.code != tc.code || res.header.Get("Location") != "" {
			t.Errorf("GET %s = %d %v (Location %q), want %d", tc.path, res.code, res.err, res.header.Get("Location"), tc.code)
		}
	}
}

func TestServer_UserCarts(t *testing.T) {
	w := dateWorld()
	w.Orders[1].UserID, w.Orders[4].UserID, w.Orders[5].UserID = 2, 2, 2
	h := sim.NewServer(w, clock.NewSim(time.Date(2026, 1, 6, 12, 0, 0, 0, time.UTC)))
	for _, tc := range []struct {
		path string
		want []int64
	}{
		{"/carts/user/2", []int64{2, 5}}, // 6 is after the clock
		{"/carts/user/1", []int64{1, 3, 4}},
		{"/carts/user/1?sort=desc&limit=2", []int64{4, 3}},
		{"/carts/user/1?startdate=2026-01-05&enddate=2026-01-06", []int64{3}},
		{"/carts/user/99", []int64{}},
		{"/carts/user/1?page=2&per_page=2", []int64{4}},
	} {
		var carts []fixtureCart
		getOK(t, h, tc.path, &carts)
		got := []int64{}
		for _, c := range carts {
			got = append(got, c.ID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("GET %s = %v, want %v", tc.path, got, tc.want)
		}
	}
}

// nextLink returns the target of the Link header's rel="next", or "".
func nextLink(tb testing.TB, header http.Header) string {
	tb.Helper()
	for _, part := range strings.Split(header.Get("Link"), ",") {
		target, rel, ok := strings.Cut(strings.TrimSpace(part), ";")
		if ok && strings.TrimSpace(rel) == `rel="next"` {
			return strings.TrimSuffix(strings.TrimPrefix(target, "<"), ">")
		}
	}
	return ""
}

func TestServer_Pagination(t *testing.T) {
	w, h := endServer(t)
	ts := serveHTTP(t, h)
	c := ts.Client()
	cat := url.PathEscape(w.ProductsAsOf(w.Config.End())[0].Category)
	for _, route := range []string{
		"/products", "/products?sort=desc", "/products/category/" + cat, "/users", "/users?sort=desc&limit=33",
		"/carts", "/carts?startdate=2026-01-06&sort=desc", fmt.Sprintf("/carts/user/%d", firstCartUser(t, w)),
	} {
		var all []json.RawMessage
		getJSONOK(t, c, ts.URL+route, &all)
		for _, per := range []int{1, 7, 50, sim.MaxPerPage} {
			t.Run(fmt.Sprintf("%s/per_page=%d", route, per), func(t *testing.T) {
				sep := "?"
				if strings.Contains(route, "?") {
					sep = "&"
				}
				next := fmt.Sprintf("%s%sper_page=%d", route, sep, per)
				var got []json.RawMessage
				pages := 0
				for next != "" {
					u, err := url.Parse(ts.URL + "/")
					if err != nil {
						t.Fatal(err)
					}
					ref, err := url.Parse(next)
					if err != nil {
						t.Fatalf("Link target %q: %v", next, err)
					}
					var page []json.RawMessage
					hdr := getJSONOK(t, c, u.ResolveReference(ref).String(), &page)
					if got, want := hdr.Get("X-Total-Count"), strconv.Itoa(len(all)); got != want {
						t.Fatalf("X-Total-Count %s, want %s", got, want)
					}
					if len(page) > per || len(page) == 0 && len(all) > 0 {
						t.Fatalf("page %d has %d objects, per_page %d", pages+1, len(page), per)
					}
					got = append(got, page...)
					next = nextLink(t, hdr)
					if pages++; pages > len(all)+1 {
						t.Fatal("Link next never ends")
					}
				}
				if got, want := mustJSON(t, got), mustJSON(t, all); got != want {
					t.Fatalf("pages concatenated differ from the full list (%d objects, %d pages)", len(all), pages)
				}
			})
		}
	}
	t.Run("past the end", func(t *testing.T) {
		var page []json.RawMessage
		hdr := getJSONOK(t, c, ts.URL+"/products?page=1000000000000&per_page=10000", &page)
		if len(page) != 0 || nextLink(t, hdr) != "" {
			t.Fatalf("page past the end: %d objects, next %q", len(page), nextLink(t, hdr))
		}
	})
	t.Run("Link", func(t *testing.T) {
		hdr := getJSONOK(t, c, ts.URL+"/products/category/"+url.PathEscape("a/b \"c\"")+"?page=2&per_page=1&sort=desc", new([]json.RawMessage))
		if got, want := hdr.Get("Link"), `</products/category/a%2Fb%20%22c%22?page=1&per_page=1&sort=desc>; rel="first", </products/category/a%2Fb%20%22c%22?page=1&per_page=1&sort=desc>; rel="prev", </products/category/a%2Fb%20%22c%22?page=1&per_page=1&sort=desc>; rel="last"`; got != want {
			t.Fatalf("Link\n got %s\nwant %s", got, want)
		}
		hdr = getJSONOK(t, c, ts.URL+"/users?per_page=60&page=2", new([]json.RawMessage))
		if got, want := hdr.Get("Link"), `</users?page=1&per_page=60>; rel="first", </users?page=1&per_page=60>; rel="prev", </users?page=3&per_page=60>; rel="next", </users?page=4&per_page=60>; rel="last"`; got != want {
			t.Fatalf("Link\n got %s\nwant %s", got, want)
		}
	})
}
