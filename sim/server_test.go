package sim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
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

func TestServer_FixtureShapes(t *testing.T) {
	_, h := endServer(t)
	for _, tc := range []struct {
		route, fixture string
		extensions     []string
		into           any
	}{
		{"/products", "products.json", nil, &[]fixtureProduct{}},
		{"/users", "users.json", []string{"country", "createdAt"}, &[]fixtureUser{}},
		{"/carts", "carts.json", []string{"status"}, &[]fixtureCart{}},
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
			if err := json.Unmarshal(body, &served); err != nil {
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
}

func TestServer_Values(t *testing.T) {
	w, h := endServer(t)
	var products []fixtureProduct
	getOK(t, h, "/products", &products)
	for i, p := range products {
		if got, want := p.Price, w.Products[i].Price; got != want {
			t.Fatalf("product %d price %v, want %v", p.ID, got, want)
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
		if err != nil || !d.Equal(o.Date) || c.UserID != o.UserID || len(c.Products) != len(o.Lines) || c.Status != "completed" {
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
	for _, path := range []string{"/products", "/users", "/carts", "/carts?sort=desc&limit=3", "/users/7", "/carts/2"} {
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
	_, h := endServer(t)
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
	for _, tc := range []struct {
		path string
		want []int64
	}{
		{"/products?limit=3", []int64{1, 2, 3}},
		{"/products?sort=desc&limit=2", []int64{20, 19}},
		{"/products?sort=asc&limit=1", []int64{1}},
		{"/users?sort=desc&limit=2", []int64{200, 199}},
		{"/carts?limit=2", []int64{1, 2}},
	} {
		if got := ids(tc.path); !slices.Equal(got, tc.want) {
			t.Errorf("GET %s = %v, want %v", tc.path, got, tc.want)
		}
	}
	if got, want := len(ids("/products?limit=1000")), 20; got != want {
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
