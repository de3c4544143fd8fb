package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/money"
)

// fakestoreTime is FakeStore's date format: UTC with milliseconds.
const fakestoreTime = "2006-01-02T15:04:05.000Z"

// queryDate is the format of the startdate and enddate query parameters.
const queryDate = "2006-01-02"

// The route patterns of the FakeStore API. A {name} segment matches one
// path segment, percent-decoded.
const (
	routeProducts   = "/products"
	routeProduct    = "/products/{id}"
	routeCategories = "/products/categories"
	routeCategory   = "/products/category/{name}"
	routeUsers      = "/users"
	routeUser       = "/users/{id}"
	routeCarts      = "/carts"
	routeCart       = "/carts/{id}"
	routeUserCarts  = "/carts/user/{id}"
)

// Routes returns the route patterns NewServer answers, the values a
// FaultRule's Endpoint may take besides "*".
func Routes() []string {
	return []string{
		routeProducts, routeProduct, routeCategories, routeCategory,
		routeUsers, routeUser,
		routeCarts, routeCart, routeUserCarts,
	}
}

// route is a request matched to a route pattern; param is the decoded value
// of the pattern's {id} or {name} segment.
type route struct {
	pattern string
	param   string
}

// matchRoute maps a URL path to its route. It reads the escaped path and
// splits it on '/' before decoding each segment, so that "%2F" inside a
// segment is data, not a separator. Dot segments are not resolved ("..",
// "%2E%2E" are a category named ".."): a path parameter is only ever a
// value to compare, never a location. One trailing slash is ignored, as
// FakeStore (Express, non-strict routing) does.
func matchRoute(u *url.URL) (route, bool) {
	p := u.EscapedPath()
	if len(p) > 1 && strings.HasSuffix(p, "/") {
		p = p[:len(p)-1]
	}
	if !strings.HasPrefix(p, "/") {
		return route{}, false
	}
	raw := strings.Split(p[1:], "/")
	seg := make([]string, len(raw))
	for i, s := range raw {
		d, err := url.PathUnescape(s)
		if err != nil {
			return route{}, false
		}
		seg[i] = d
	}
	switch {
	case len(seg) == 1 && seg[0] == "products":
		return route{pattern: routeProducts}, true
	case len(seg) == 2 && seg[0] == "products" && seg[1] == "categories":
		return route{pattern: routeCategories}, true
	case len(seg) == 3 && seg[0] == "products" && seg[1] == "category":
		return route{pattern: routeCategory, param: seg[2]}, true
	case len(seg) == 2 && seg[0] == "products":
		return route{pattern: routeProduct, param: seg[1]}, true
	case len(seg) == 1 && seg[0] == "users":
		return route{pattern: routeUsers}, true
	case len(seg) == 2 && seg[0] == "users":
		return route{pattern: routeUser, param: seg[1]}, true
	case len(seg) == 1 && seg[0] == "carts":
		return route{pattern: routeCarts}, true
	case len(seg) == 3 && seg[0] == "carts" && seg[1] == "user":
		return route{pattern: routeUserCarts, param: seg[2]}, true
	case len(seg) == 2 && seg[0] == "carts":
		return route{pattern: routeCart, param: seg[1]}, true
	}
	return route{}, false
}

// path returns the canonical escaped path of rt, for Link headers.
func (rt route) path() string {
	if i := strings.Index(rt.pattern, "{"); i >= 0 {
		return rt.pattern[:i] + url.PathEscape(rt.param)
	}
	return rt.pattern
}

// The JSON shapes of FakeStore, fields in FakeStore's order; extensions last.
type (
	productJSON struct {
		ID             int64       `json:"id"`
		Title          string      `json:"title"`
		Price          money.Cents `json:"price"`
		Description    string      `json:"description"`
		Category       string      `json:"category"`
		Image          string      `json:"image"`
		Rating         ratingJSON  `json:"rating"`
		PriceValidFrom *string     `json:"priceValidFrom"`
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
		// With the order lifecycle: when the order took its status, and
		// the lines refunded so far.
		StatusDate string       `json:"statusDate,omitempty"`
		Refunds    []refundJSON `json:"refunds,omitempty"`
	}
	refundJSON struct {
		Date      string `json:"date"`
		ProductID int64  `json:"productId"`
		Quantity  int64  `json:"quantity"`
	}
	lineJSON struct {
		ProductID int64 `json:"productId"`
		Quantity  int64 `json:"quantity"`
	}
	errorJSON struct {
		Error string `json:"error"`
	}
)

// The top-level fields of each entity, as served; FaultRule.Field must be
// one of them.
var (
	productFields = []string{"id", "title", "price", "description", "category", "image", "rating", "priceValidFrom"}
	userFields    = []string{"address", "id", "email", "username", "password", "name", "phone", "__v", "country", "createdAt"}
	cartFields    = []string{"id", "userId", "date", "products", "__v", "status", "statusDate", "refunds"}
)

// toProductJSON serves p as returned by World.ProductsAsOf: Price is the
// price in force, PriceValidFrom when it took effect (null if zero: in force
// since before the simulated period).
func toProductJSON(p Product) productJSON {
	var from *string
	if !p.PriceValidFrom.IsZero() {
		s := p.PriceValidFrom.UTC().Format(fakestoreTime)
		from = &s
	}
	return productJSON{
		ID: p.ID, Title: p.Title, Price: p.Price, Description: p.Description,
		Category: p.Category, Image: p.Image,
		Rating:         ratingJSON{Rate: p.Rating.Rate, Count: p.Rating.Count},
		PriceValidFrom: from,
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

// cartAsOf returns the JSON of a cart as of now: with the order lifecycle
// (lifecycle), its status then, when it took it and the lines refunded by
// then; without it, its status (which never changes).
func cartAsOf(now time.Time, lifecycle bool) func(Order) cartJSON {
	return func(o Order) cartJSON {
		lines := make([]lineJSON, len(o.Lines))
		for i, l := range o.Lines {
			lines[i] = lineJSON{ProductID: l.ProductID, Quantity: l.Quantity}
		}
		c := cartJSON{ID: o.ID, UserID: o.UserID, Date: o.Date.UTC().Format(fakestoreTime), Products: lines, Status: o.Status}
		if !lifecycle {
			return c
		}
		status, since, refunds, _ := o.AsOf(now)
		c.Status, c.StatusDate = status, since.UTC().Format(fakestoreTime)
		for _, r := range refunds {
			c.Refunds = append(c.Refunds, refundJSON{Date: r.At.UTC().Format(fakestoreTime), ProductID: r.ProductID, Quantity: r.Quantity})
		}
		return c
	}
}

// server serves a World as of its clock.
type server struct {
	w      *World
	clk    clock.Clock
	orders []Order // w.Orders by ascending ID (w.Orders itself if already so)

	mu      sync.Mutex // guards the users snapshot
	usersAt time.Time
	users   []int64 // the IDs of UsersAsOf(usersAt), or nil
}

// NewServer returns a FakeStore-compatible API over w: GET (and HEAD)
//
//	/products                    /products/{id}
//	/products/categories         /products/category/{name}
//	/users                       /users/{id}
//	/carts                       /carts/{id}        /carts/user/{id}
//
// with FakeStore's shapes (field order included) and query parameters
// (limit, sort=asc|desc, and startdate/enddate on the two cart lists), the
// extension fields appended after FakeStore's (products' "priceValidFrom",
// users' "country" and "createdAt", carts' "status"), and the page/per_page
// pagination of pagination.go. The package doc has the details.
//
// It serves the world as of clk.Now(), read once per request: the products
// of World.ProductsAsOf (a withdrawn product is gone from every route,
// prices are those in force, priceValidFrom when that price took effect or
// null if since before the simulated period), the users of World.UsersAsOf,
// the orders with Date <= now, whatever their status. Categories are those
// of the listed products, distinct, sorted by bytes. An unknown category or
// user gives an empty list, as in FakeStore.
//
// Paths are split on '/' before percent-decoding, so a {name} may hold any
// byte ("a%2Fb" is the category "a/b"); dot segments are never resolved and
// nothing redirects. A bad query value or a non-integer id is answered 400,
// a missing object 404, an unknown path 404, another method 405; every
// error body is {"error": "..."}.
//
// The same World, clock reading and request always produce the same status,
// headers and body bytes. It never modifies w, reads no other time source
// and draws no randomness; wrap it with (*Faults).Wrap to inject faults.
func NewServer(w *World, clk clock.Clock) http.Handler {
	s := &server{w: w, clk: clk, orders: w.Orders}
	if !slices.IsSortedFunc(s.orders, func(a, b Order) int { return compareInt64(a.ID, b.ID) }) {
		s.orders = sortedByID(w.Orders, func(o Order) int64 { return o.ID })
	}
	return s
}

// ServeHTTP routes a request. Only GET and HEAD are answered; another method
// on a known route gets 405, an unknown path 404.
func (s *server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	rt, ok := matchRoute(r.URL)
	if !ok {
		writeError(rw, http.StatusNotFound, fmt.Sprintf("no route %q", r.URL.Path))
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		rw.Header().Set("Allow", "GET, HEAD")
		writeError(rw, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed on %s", r.Method, rt.pattern))
		return
	}
	now := s.clk.Now()
	switch rt.pattern {
	case routeProducts:
		s.products(rw, r, rt, now, nil)
	case routeProduct:
		s.product(rw, rt, now)
	case routeCategories:
		s.categories(rw, now)
	case routeCategory:
		name := rt.param
		s.products(rw, r, rt, now, func(p Product) bool { return p.Category == name })
	case routeUsers:
		s.usersList(rw, r, rt, now)
	case routeUser:
		s.user(rw, rt, now)
	case routeCarts:
		s.carts(rw, r, rt, now, nil)
	case routeCart:
		s.cart(rw, rt, now)
	case routeUserCarts:
		id, ok := parseID(rw, rt.param)
		if !ok {
			return
		}
		s.carts(rw, r, rt, now, func(o Order) bool { return o.UserID == id })
	}
}

// listQuery is the parsed limit, sort and pagination parameters of a list
// route.
type listQuery struct {
	limit int // 0: no limit
	desc  bool
	page  pageQuery
}

func parseListQuery(v url.Values) (listQuery, error) {
	var q listQuery
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
	var err error
	q.page, err = parsePageQuery(v)
	return q, err
}

// serveList answers a list route. items are in ascending id order; the
// query sorts, limits and paginates them, in that order, and only the
// objects served are converted by toJSON.
func serveList[T, J any](rw http.ResponseWriter, r *http.Request, rt route, q listQuery, items []T, toJSON func(T) J) {
	total := len(items)
	if q.limit > 0 && q.limit < total {
		total = q.limit
	}
	lo, hi := 0, total
	if q.page.on {
		lo, hi = q.page.bounds(total)
		rw.Header().Set("X-Total-Count", strconv.Itoa(total))
		rw.Header().Set("Link", q.page.link(rt.path(), r.URL.Query(), total))
	}
	out := make([]J, 0, hi-lo)
	for i := lo; i < hi; i++ {
		j := i
		if q.desc {
			j = len(items) - 1 - i
		}
		out = append(out, toJSON(items[j]))
	}
	writeJSON(rw, http.StatusOK, out)
}

// products answers /products and, with a filter, /products/category/{name}.
func (s *server) products(rw http.ResponseWriter, r *http.Request, rt route, now time.Time, keep func(Product) bool) {
	q, err := parseListQuery(r.URL.Query())
	if err != nil {
		writeError(rw, http.StatusBadRequest, err.Error())
		return
	}
	items := s.w.ProductsAsOf(now)
	if keep != nil {
		items = slices.DeleteFunc(items, func(p Product) bool { return !keep(p) })
	}
	serveList(rw, r, rt, q, items, toProductJSON)
}

func (s *server) product(rw http.ResponseWriter, rt route, now time.Time) {
	id, ok := parseID(rw, rt.param)
	if !ok {
		return
	}
	items := s.w.ProductsAsOf(now)
	if i, found := slices.BinarySearchFunc(items, id, func(p Product, id int64) int { return compareInt64(p.ID, id) }); found {
		writeJSON(rw, http.StatusOK, toProductJSON(items[i]))
		return
	}
	writeError(rw, http.StatusNotFound, fmt.Sprintf("product %d not found", id))
}

// categories answers the distinct categories of the products listed now,
// sorted ascending by bytes. Query parameters are ignored, as FakeStore
// ignores them there.
func (s *server) categories(rw http.ResponseWriter, now time.Time) {
	out := []string{}
	for _, p := range s.w.ProductsAsOf(now) {
		out = append(out, p.Category)
	}
	slices.Sort(out)
	writeJSON(rw, http.StatusOK, slices.Compact(out))
}

// usersAsOf returns the IDs of the users UsersAsOf(now) returns, ascending,
// reusing the previous snapshot when the clock has not moved: a paginated
// crawl under a simulated clock reads one snapshot, and a snapshot costs an
// ID per user; each user of a page is read (or derived) as it is served.
// The slice is shared: do not modify it.
func (s *server) usersAsOf(now time.Time) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users == nil || !s.usersAt.Equal(now) {
		s.users, s.usersAt = s.w.userIDsAsOf(now), now
		if s.users == nil {
			s.users = []int64{}
		}
	}
	return s.users
}

func (s *server) usersList(rw http.ResponseWriter, r *http.Request, rt route, now time.Time) {
	q, err := parseListQuery(r.URL.Query())
	if err != nil {
		writeError(rw, http.StatusBadRequest, err.Error())
		return
	}
	serveList(rw, r, rt, q, s.usersAsOf(now), func(id int64) userJSON {
		u, _ := s.w.User(id)
		return toUserJSON(u)
	})
}

func (s *server) user(rw http.ResponseWriter, rt route, now time.Time) {
	id, ok := parseID(rw, rt.param)
	if !ok {
		return
	}
	if u, ok := s.userAsOf(id, now); ok {
		writeJSON(rw, http.StatusOK, toUserJSON(u))
		return
	}
	writeError(rw, http.StatusNotFound, fmt.Sprintf("user %d not found", id))
}

// userAsOf finds the user id among those UsersAsOf(now) returns (CreatedAt
// <= now) without reading every user: a million-user world answers
// /users/{id} in constant time.
func (s *server) userAsOf(id int64, now time.Time) (User, bool) {
	u, ok := s.w.User(id)
	return u, ok && !u.CreatedAt.After(now)
}

// carts answers /carts and, with a filter, /carts/user/{id}: the orders
// with Date <= now, within the startdate/enddate range if given.
func (s *server) carts(rw http.ResponseWriter, r *http.Request, rt route, now time.Time, keep func(Order) bool) {
	v := r.URL.Query()
	q, err := parseListQuery(v)
	if err != nil {
		writeError(rw, http.StatusBadRequest, err.Error())
		return
	}
	from, to, err := parseDateRange(v)
	if err != nil {
		writeError(rw, http.StatusBadRequest, err.Error())
		return
	}
	// A list with an enddate is served as the carts stood at that
	// midnight (or now, if sooner): a batch of a date, and any rerun of
	// it, reads the same answer, and a later change reaches the warehouse
	// through a later date's lookback.
	asOf := now
	if to != nil && to.Before(now) {
		asOf = *to
	}
	items := []Order{}
	for _, o := range s.orders {
		d := o.Date.UTC()
		if d.After(now) || (from != nil && d.Before(*from)) || (to != nil && !d.Before(*to)) {
			continue
		}
		if keep == nil || keep(o) {
			items = append(items, o)
		}
	}
	serveList(rw, r, rt, q, items, cartAsOf(asOf, s.w.Config.OrderLifecycle))
}

// parseDateRange reads startdate (inclusive) and enddate (exclusive) as UTC
// midnights; a nil bound is absent.
func parseDateRange(v url.Values) (from, to *time.Time, err error) {
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

func (s *server) cart(rw http.ResponseWriter, rt route, now time.Time) {
	id, ok := parseID(rw, rt.param)
	if !ok {
		return
	}
	if i, found := slices.BinarySearchFunc(s.orders, id, func(o Order, id int64) int { return compareInt64(o.ID, id) }); found && !s.orders[i].Date.After(now) {
		writeJSON(rw, http.StatusOK, cartAsOf(now, s.w.Config.OrderLifecycle)(s.orders[i]))
		return
	}
	writeError(rw, http.StatusNotFound, fmt.Sprintf("cart %d not found", id))
}

// parseID parses an {id} path value, answering 400 if it is not an integer.
func parseID(rw http.ResponseWriter, s string) (int64, bool) {
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
	slices.SortStableFunc(out, func(a, b T) int { return compareInt64(id(a), id(b)) })
	return out
}

func writeJSON(rw http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(rw, http.StatusInternalServerError, "encode response: "+err.Error())
		return
	}
	writeBody(rw, status, b)
}

func writeError(rw http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(errorJSON{Error: msg})
	writeBody(rw, status, b)
}

// writeBody writes a complete JSON response with its Content-Length.
func writeBody(rw http.ResponseWriter, status int, b []byte) {
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	rw.Header().Set("Content-Length", strconv.Itoa(len(b)))
	rw.WriteHeader(status)
	_, _ = rw.Write(b)
}
