package sim

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Pagination, an extension to FakeStore for worlds too large for one
// response. A list route is paginated when its query has page or per_page;
// without either, the response is FakeStore's plain array of every object,
// byte for byte as before.
const (
	// DefaultPerPage is per_page when only page is given.
	DefaultPerPage = 100
	// MaxPerPage is the largest per_page accepted.
	MaxPerPage = 10_000
)

// pageQuery is the parsed page and per_page parameters.
type pageQuery struct {
	on   bool // page or per_page was given
	page int  // 1-based
	per  int
}

// parsePageQuery reads page (>= 1, default 1) and per_page (1..MaxPerPage,
// default DefaultPerPage).
func parsePageQuery(v url.Values) (pageQuery, error) {
	q := pageQuery{page: 1, per: DefaultPerPage}
	if v.Has("page") {
		s := v.Get("page")
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return q, fmt.Errorf("page %q is not a positive integer", s)
		}
		q.on, q.page = true, n
	}
	if v.Has("per_page") {
		s := v.Get("per_page")
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxPerPage {
			return q, fmt.Errorf("per_page %q is not an integer in 1..%d", s, MaxPerPage)
		}
		q.on, q.per = true, n
	}
	return q, nil
}

// bounds returns the positions [lo, hi) of the page in a list of total
// objects; a page past the end is empty.
func (q pageQuery) bounds(total int) (lo, hi int) {
	if q.page-1 > total/q.per { // also keeps (page-1)*per from overflowing
		return total, total
	}
	lo = min((q.page-1)*q.per, total)
	return lo, min(lo+q.per, total)
}

// last returns the number of the last page (1 for an empty list).
func (q pageQuery) last(total int) int {
	return max(1, (total+q.per-1)/q.per)
}

// link returns the Link header (RFC 8288) of the page: rel "first", "prev"
// (from page 2 on), "next" (while objects remain) and "last". Targets are
// relative references (the route's canonical path with its parameter
// escaped, and the request's query with page and per_page set, keys sorted),
// so that the header does not depend on the Host the client used.
func (q pageQuery) link(path string, v url.Values, total int) string {
	target := func(page int) string {
		w := url.Values{}
		for k, vs := range v {
			w[k] = vs
		}
		w.Set("page", strconv.Itoa(page))
		w.Set("per_page", strconv.Itoa(q.per))
		return "<" + path + "?" + w.Encode() + ">"
	}
	last := q.last(total)
	parts := []string{target(1) + `; rel="first"`}
	if q.page > 1 {
		parts = append(parts, target(min(q.page-1, last))+`; rel="prev"`)
	}
	if _, hi := q.bounds(total); hi < total {
		parts = append(parts, target(q.page+1)+`; rel="next"`)
	}
	parts = append(parts, target(last)+`; rel="last"`)
	return strings.Join(parts, ", ")
}
