package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/money"
)

// fakestoreTime is FakeStore's date format: UTC with milliseconds.
const fakestoreTime = "2006-01-02T15:04:05.000Z"

// queryDate is the format of the startdate and enddate query parameters.
const queryDate = "2006-01-02"

// The JSON shapes of FakeStore, fields in FakeStore's order; extensions last.
type (
	productJSON struct {
		ID          int64       `json:"id"`
		Title       string      `json:"title"`
		Price       money.Cents `json:"price"`
		Description string      `json:"description"`
		Category    string      `json:"category"`
		Image       string      `json:"image"`
		Rating      ratingJSON  `json:"rating"`
	}
	ratingJSON struct {
		Rate  float64 `json:"rate"`
		Count int     `json:"count"`
	}
	userJSON struct {
		Address   addressJSON `json:"address"`
		ID        int64       `json:"id"`
		Email     string      `json:"email"`
		Username  string      `json:"username"`
		Password  string      `json:"password"`
		Name      nameJSON    `json:"name"`
		Phone     string      `json:"phone"`
		V         int         `json:"__v"`
		Country   string      `json:"country"`
		CreatedAt string      `json:"createdAt"`
	}
	addressJSON struct {
		Geolocation geoJSON `json:"geolocation"`
		City        string  `json:"city"`
		Street      string  `json:"street"`
		Number      int     `json:"number"`
		Zipcode     string  `json:"zipcode"`
	}
	geoJSON struct {
		Lat  string `json:"lat"`
		Long string `json:"long"`
	}
	nameJSON struct {
		Firstname string `json:"firstname"`
		Lastname  string `json:"lastname"`
	}
	cartJSON struct {
		ID       int64      `json:"id"`
		UserID   int64      `json:"userId"`
		Date     string     `json:"date"`
		Products []lineJSON `json:"products"`
		V        int        `json:"__v"`
		Status   string     `json:"status"`
	}
	lineJSON struct {
		ProductID int64 `json:"productId"`
		Quantity  int64 `json:"quantity"`
	}
	errorJSON struct {
		Error string `json:"error"`
	}
)

func toProductJSON(p Product) productJSON {
	return productJSON{
		ID: p.ID, Title: p.Title, Price: p.Price, Description: p.Description,
		Category: p.Category, Image: p.Image,
		Rating: ratingJSON{Rate: p.Rating.Rate, Count: p.Rating.Count},
	}
}

func toUserJSON(u User) userJSON {
	return userJSON{
		Address: addressJSON{
			Geolocation: geoJSON{Lat: u.Lat, Long: u.Long},
			City:        u.City, Street: u.Street, Number: u.Number, Zipcode: u.Zipcode,
		},
		ID: u.ID, Email: u.Email, Username: u.Username, Password: u.Password,
		Name:    nameJSON{Firstname: u.FirstName, Lastname: u.LastName},
		Phone:   u.Phone,
		Country: u.Country, CreatedAt: u.CreatedAt.UTC().Format(fakestoreTime),
	}
}

func toCartJSON(o Order) cartJSON {
	lines := make([]lineJSON, len(o.Lines))
	for i, l := range o.Lines {
		lines[i] = lineJSON{ProductID: l.ProductID, Quantity: l.Quantity}
	}
	return cartJSON{ID: o.ID, UserID: o.UserID, Date: o.Date.UTC().Format(fakestoreTime), Products: lines, Status: o.Status}
}

// server serves a World as of its clock.
type server struct {
	w   *World
	clk clock.Clock
}

// NewServer returns a FakeStore-compatible API over w (see the package doc
// for routes, shapes, extensions and query parameters). It serves the world
// as of clk.Now(), read once per request: users with CreatedAt <= now,
// orders with Date <= now, every product. The same World, clock reading and
// request always produce the same response bytes. It never modifies w.
func NewServer(w *World, clk clock.Clock) http.Handler {
	s := &server{w: w, clk: clk}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /products", s.products)
	mux.HandleFunc("GET /products/{id}", s.product)
	mux.HandleFunc("GET /users", s.users)
	mux.HandleFunc("GET /users/{id}", s.user)
	mux.HandleFunc("GET /carts", s.carts)
	mux.HandleFunc("GET /carts/{id}", s.cart)
	mux.HandleFunc("/", s.fallback)
	return mux
}

// listQuery is the parsed limit and sort parameters of a list route.
type listQuery struct {
	limit int // 0: no limit
	desc  bool
}

func parseListQuery(r *http.Request) (listQuery, error) {
	var q listQuery
	v := r.URL.Query()
	if v.Has("limit") {
		s := v.Get("limit")
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return q, fmt.Errorf("limit %q is not a positive integer", s)
		}
		q.limit = n
	}
	switch s := v.Get("sort"); {
	case !v.Has("sort"), s == "asc":
	case s == "desc":
		q.desc = true
	default:
		return q, fmt.Errorf("sort %q is neither asc nor desc", s)
	}
	return q, nil
}

// apply sorts items (given in ascending id order) and limits them.
func apply[T any](q listQuery, items []T) []T {
	if q.desc {
		slices.Reverse(items)
	}
	if q.limit > 0 && q.limit < len(items) {
		items = items[:q.limit]
	}
	return items
}

func (s *server) products(rw http.ResponseWriter, r *http.Request) {
	q, err := parseListQuery(r)
	if err != nil {
		writeError(rw, http.StatusBadRequest, err.Error())
		return
	}
	out := make([]productJSON, 0, len(s.w.Products))
	for _, p := range sortedByID(s.w.Products, func(p Product) int64 { return p.ID }) {
		out = append(out, toProductJSON(p))
	}
	writeJSON(rw, http.StatusOK, apply(q, out))
}

func (s *server) product(rw http.ResponseWriter, r *http.Request) {
	id, ok := pathID(rw, r)
	if !ok {
		return
	}
	for _, p := range s.w.Products {
		if p.ID == id {
			writeJSON(rw, http.StatusOK, toProductJSON(p))
			return
		}
	}
	writeError(rw, http.StatusNotFound, fmt.Sprintf("product %d not found", id))
}

func (s *server) users(rw http.ResponseWriter, r *http.Request) {
	q, err := parseListQuery(r)
	if err != nil {
		writeError(rw, http.StatusBadRequest, err.Error())
		return
	}
	now := s.clk.Now()
	out := []userJSON{}
	for _, u := range sortedByID(s.w.Users, func(u User) int64 { return u.ID }) {
		if !u.CreatedAt.After(now) {
			out = append(out, toUserJSON(u))
		}
	}
	writeJSON(rw, http.StatusOK, apply(q, out))
}

func (s *server) user(rw http.ResponseWriter, r *http.Request) {
	id, ok := pathID(rw, r)
	if !ok {
		return
	}
	now := s.clk.Now()
	for _, u := range s.w.Users {
		if u.ID == id && !u.CreatedAt.After(now) {
			writeJSON(rw, http.StatusOK, toUserJSON(u))
			return
		}
	}
	writeError(rw, http.StatusNotFound, fmt.Sprintf("user %d not found", id))
}

func (s *server) carts(rw http.ResponseWriter, r *http.Request) {
	q, err := parseListQuery(r)
	if err != nil {
		writeError(rw, http.StatusBadRequest, err.Error())
		return
	}
	from, to, err := parseDateRange(r)
	if err != nil {
		writeError(rw, http.StatusBadRequest, err.Error())
		return
	}
	now := s.clk.Now()
	out := []cartJSON{}
	for _, o := range sortedByID(s.w.Orders, func(o Order) int64 { return o.ID }) {
		d := o.Date.UTC()
		if d.After(now) || (from != nil && d.Before(*from)) || (to != nil && !d.Before(*to)) {
			continue
		}
		out = append(out, toCartJSON(o))
	}
	writeJSON(rw, http.StatusOK, apply(q, out))
}

// parseDateRange reads startdate (inclusive) and enddate (exclusive) as UTC
// midnights; a nil bound is absent.
func parseDateRange(r *http.Request) (from, to *time.Time, err error) {
	v := r.URL.Query()
	parse := func(name string) (*time.Time, error) {
		if !v.Has(name) {
			return nil, nil
		}
		s := v.Get(name)
		t, err := time.Parse(queryDate, s)
		if err != nil {
			return nil, fmt.Errorf("%s %q is not a date YYYY-MM-DD", name, s)
		}
		return &t, nil
	}
	if from, err = parse("startdate"); err != nil {
		return nil, nil, err
	}
	if to, err = parse("enddate"); err != nil {
		return nil, nil, err
	}
	if from != nil && to != nil && from.After(*to) {
		return nil, nil, fmt.Errorf("startdate %s is after enddate %s", from.Format(queryDate), to.Format(queryDate))
	}
	return from, to, nil
}

func (s *server) cart(rw http.ResponseWriter, r *http.Request) {
	id, ok := pathID(rw, r)
	if !ok {
		return
	}
	now := s.clk.Now()
	for _, o := range s.w.Orders {
		if o.ID == id && !o.Date.After(now) {
			writeJSON(rw, http.StatusOK, toCartJSON(o))
			return
		}
	}
	writeError(rw, http.StatusNotFound, fmt.Sprintf("cart %d not found", id))
}

// fallback answers 405 on a known route with a method other than GET (or
// HEAD), 404 elsewhere.
func (s *server) fallback(rw http.ResponseWriter, r *http.Request) {
	for _, p := range []string{"/products", "/users", "/carts"} {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			break
		}
		if r.URL.Path == p || len(r.URL.Path) > len(p) && r.URL.Path[:len(p)+1] == p+"/" {
			rw.Header().Set("Allow", "GET, HEAD")
			writeError(rw, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed on %s", r.Method, r.URL.Path))
			return
		}
	}
	writeError(rw, http.StatusNotFound, fmt.Sprintf("no route %s", r.URL.Path))
}

// pathID parses the {id} path value, answering 400 if it is not an integer.
func pathID(rw http.ResponseWriter, r *http.Request) (int64, bool) {
	s := r.PathValue("id")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		writeError(rw, http.StatusBadRequest, fmt.Sprintf("id %q is not an integer", s))
		return 0, false
	}
	return id, true
}

// sortedByID returns a copy of items sorted by ascending id.
func sortedByID[T any](items []T, id func(T) int64) []T {
	out := slices.Clone(items)
	slices.SortStableFunc(out, func(a, b T) int {
		switch x, y := id(a), id(b); {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	return out
}

func writeJSON(rw http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(rw, http.StatusInternalServerError, "encode response: "+err.Error())
		return
	}
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	rw.Header().Set("Content-Length", strconv.Itoa(len(b)))
	rw.WriteHeader(status)
	_, _ = rw.Write(b)
}

func writeError(rw http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(errorJSON{Error: msg})
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	rw.Header().Set("Content-Length", strconv.Itoa(len(b)))
	rw.WriteHeader(status)
	_, _ = rw.Write(b)
}
