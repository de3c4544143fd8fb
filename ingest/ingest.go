// Package ingest pulls users, products and carts from a FakeStore-compatible
// API into the RAW zone, one logical date at a time, as an orchestrator
// would run it: safe to run any number of times, never publishing half a
// date.
//
// A run of a date fetches each entity through a Client (timeouts, retries
// with full-jitter backoff, Retry-After, a retry budget, a circuit breaker),
// checks the response's shape, removes passwords, and writes it to RAW as
// one object keyed by the SHA-256 of its canonical content, with a
// conditional put: the same content again is skipped. It then commits the
// date's objects together, with a commit object written last in the lake
// (lake.Commit, raw/_commits/fakestore/); the Ledger, if any, keeps the
// history of runs. Every warehouse loads only the objects a commit in the
// lake names, so the RAW objects of a failed run stay invisible until a
// rerun commits them, and no warehouse is needed to ingest.
package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shoplake/shoplake/lake"
)

// The entities ingested for every logical date, in order.
var Entities = []string{"users", "products", "carts"}

// Ingester ingests logical dates from one FakeStore-compatible API.
type Ingester struct {
	Client *Client
	Store  lake.Store
	// Ledger, if set, records the history of runs (ids, attempts,
	// outcomes) and fences a superseded run: its FinishRun fails before
	// anything is committed. Without one, runs have no id and a date is
	// still committed in the lake.
	Ledger Ledger
	Log    *slog.Logger
	// BeforeDate, if set, is called by Backfill before each date, in
	// ascending order; an error stops the backfill. An orchestrator uses it
	// to bring the source to the date (the CLI's local mode serves the
	// simulated shop as of the date's ingestion time).
	BeforeDate func(date time.Time) error
	// PageSize is the per_page asked of a list (fakestore.page_size); 0
	// asks for every list whole, in one response without page parameters.
	PageSize int
	// FilterCartsByDate says that the source does not implement the carts'
	// startdate/enddate filter: the carts it serves outside the date are
	// dropped (they belong to their own date, which its own run fetches),
	// counted in Object.OutsideDate and logged. Without it such carts fail
	// the run with ErrOutsideDate and nothing is committed.
	FilterCartsByDate bool
	// LookbackDays is how many days of carts a date's batch reads: the
	// date and the LookbackDays-1 days before it (fakestore.lookback_days;
	// 0 or 1: the date alone). Re-reading past days is how an order's later
	// changes (statusDate, refunds) reach RAW; the warehouse takes an
	// order from the latest batch that served it.
	LookbackDays int
}

// window returns the carts' date range a batch of day reads: [from, end).
func (in *Ingester) window(day time.Time) (from, end time.Time) {
	return day.AddDate(0, 0, -max(in.LookbackDays-1, 0)), day.AddDate(0, 0, 1)
}

// Object is what one entity of one date became in RAW.
type Object struct {
	Entity  string `json:"entity"`
	Key     string `json:"key"`
	SHA256  string `json:"sha256"`
	Rows    int    `json:"rows"`
	Bytes   int    `json:"bytes"`
	Written bool   `json:"written"` // false when the same content was already in RAW
	// DuplicateIDs counts rows whose id an earlier row of the same response
	// already had (the fixtures' carts.json serves cart 6 twice: 1).
	DuplicateIDs int `json:"duplicate_ids"`
	// OutsideDate counts the carts the source served outside the logical
	// date and FilterCartsByDate dropped.
	OutsideDate int `json:"outside_date,omitempty"`
}

// MarshalJSON encodes the result with its date as a date (YYYY-MM-DD) and
// its wait in milliseconds (waited_ms), as docs/JSON.md says.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	return json.Marshal(struct {
		plain
		Date     string `json:"date"`
		WaitedMS int64  `json:"waited_ms"`
	}{plain(r), r.Date.Format(time.DateOnly), r.Waited.Milliseconds()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Result) UnmarshalJSON(b []byte) error {
	type plain Result
	var w struct {
		plain
		Date     string `json:"date"`
		WaitedMS int64  `json:"waited_ms"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	d, err := time.Parse(time.DateOnly, w.Date)
	if err != nil {
		return fmt.Errorf("date %q: want YYYY-MM-DD", w.Date)
	}
	*r = Result(w.plain)
	r.Date, r.Waited = d, time.Duration(w.WaitedMS)*time.Millisecond
	return nil
}

// Result reports one run of one logical date.
type Result struct {
	Date     time.Time     `json:"date"`
	RunID    int64         `json:"run_id,omitempty"`
	Attempt  int           `json:"attempt,omitempty"`
	Status   Status        `json:"status"`
	Objects  []Object      `json:"objects"`
	Requests int           `json:"requests"`
	Retries  int           `json:"retries"`
	Waited   time.Duration `json:"-"` // waited_ms in JSON (MarshalJSON)
	Error    string        `json:"error,omitempty"`
	// Superseded are earlier runs of the date that the ledger still had as
	// running when this run began (their process died): this run closed
	// them as failed, "interrupted: superseded by run RunID".
	Superseded []int64 `json:"superseded_runs,omitempty"`
	// Commit is the key of the commit the run wrote in the lake; "" when
	// it wrote none (unchanged, failed).
	Commit string `json:"commit,omitempty"`
}

// Written counts the objects the run wrote to RAW (not already present).
func (r Result) Written() int {
	n := 0
	for _, o := range r.Objects {
		if o.Written {
			n++
		}
	}
	return n
}

// IngestDate runs the ingestion of the UTC day of date: it fetches the users
// and products snapshots and the carts whose date falls in that day, writes
// each to RAW, records the run in the ledger (if any), and commits the three
// objects together in the lake, last (lake.WriteCommit). It is idempotent:
// the same content for the same date writes nothing and is reported
// StatusUnchanged.
//
// A snapshot (users, products) is taken once per date: when the lake
// already holds a committed one for the date, a rerun reuses it instead of
// fetching the API again. The API serves those entities only as they are
// now, so a snapshot taken days later, filed under the old date, would
// rewrite the date's history (a product created since would seem to exist
// then). Carts are served for any date and are fetched again.
//
// On failure it records the run as failed (its objects abandoned), returns
// the Result so far with StatusFailed and an error that names the endpoint
// and the cause; IsRetryable on it says whether a rerun may succeed as is.
func (in *Ingester) IngestDate(ctx context.Context, date time.Time) (Result, error) {
	day := date.UTC().Truncate(24 * time.Hour)
	res := Result{Date: day, Status: StatusWritten}
	if in.Client == nil || in.Store == nil {
		return res, fmt.Errorf("ingest %s: %w", day.Format(lake.DateFormat), ErrNoClient)
	}
	clk := in.Client.Clock()
	var run Run
	if in.Ledger != nil {
		var err error
		if run, err = in.Ledger.BeginRun(ctx, day, clk.Now()); err != nil {
			res.Status = StatusFailed
			return res, fmt.Errorf("ingest %s: begin run: %w", day.Format(lake.DateFormat), err)
		}
		res.RunID, res.Attempt, res.Superseded = run.ID, run.Attempt, run.Superseded
	}
	log := in.logger().With("date", day.Format(lake.DateFormat), "run", run.ID)
	for _, id := range run.Superseded {
		log.Warn("ingest: an earlier run of the date was still marked running: closed as failed (interrupted: superseded by this run); "+
			"its process died, or still runs, and two concurrent ingests of one date are not supported", "superseded_run", id)
	}
	budget := in.Client.NewBudget()
	taken, err := in.committedKeys(ctx, day, log)
	if err == nil {
		err = in.fetchAll(ctx, budget, day, taken, log, &res)
	}
	res.Requests, res.Retries, res.Waited = budget.Requests(), budget.Retries(), budget.Waited()
	if err == nil {
		err = in.commit(ctx, run, day, clk.Now(), taken, &res, log)
	}
	if err != nil {
		res.Status = StatusFailed
		res.Error = err.Error()
		if in.Ledger != nil {
			// Record the failure even if ctx is what failed.
			rec := RunRecord{Run: run, Status: StatusFailed, FinishedAt: clk.Now(), Requests: res.Requests,
				Retries: res.Retries, Error: res.Error, Objects: res.Objects}
			if ferr := in.Ledger.FinishRun(context.WithoutCancel(ctx), rec); ferr != nil {
				err = errors.Join(err, fmt.Errorf("record failed run: %w", ferr))
			}
		}
		log.Error("ingest: date failed; nothing committed", "requests", res.Requests, "retries", res.Retries, "error", err.Error())
		return res, fmt.Errorf("ingest %s: %w", day.Format(lake.DateFormat), err)
	}
	log.Info("ingest: date complete", "status", string(res.Status), "written", res.Written(), "requests", res.Requests, "retries", res.Retries)
	return res, nil
}

// SnapshotEntities are the entities the API serves only as they are now
// (users, products), as opposed to carts, which it serves for any date.
var SnapshotEntities = map[string]bool{"users": true, "products": true}

func (in *Ingester) fetchAll(ctx context.Context, b *Budget, day time.Time, taken map[string]bool, log *slog.Logger, res *Result) error {
	for _, entity := range Entities {
		if SnapshotEntities[entity] {
			obj, ok, err := in.takenSnapshot(ctx, entity, day, taken)
			if err != nil {
				return fmt.Errorf("ingest %s: %w", entity, err)
			}
			if ok {
				log.Info("snapshot already taken for the date, not fetched again: a snapshot taken now would rewrite the date's history",
					"entity", entity, "key", obj.Key)
				res.Objects = append(res.Objects, obj)
				continue
			}
		}
		obj, err := in.ingestEntity(ctx, b, entity, day, log)
		if err != nil {
			return fmt.Errorf("ingest %s: %w", entity, err)
		}
		res.Objects = append(res.Objects, obj)
	}
	return nil
}

// committedKeys returns the keys the lake's commits of day name. A commit
// that cannot be used (corrupt, foreign) commits nothing: it is logged, and
// shoplake verify reports it.
func (in *Ingester) committedKeys(ctx context.Context, day time.Time, log *slog.Logger) (map[string]bool, error) {
	cs, err := lake.ReadCommits(ctx, in.Store, day)
	if err != nil {
		return nil, fmt.Errorf("read the date's commits: %w", err)
	}
	for _, b := range cs.Bad {
		log.Warn("ingest: an object among the date's commits is not a valid commit; it commits nothing (shoplake verify lists it)",
			"key", b.Info.Key, "reason", b.Reason)
	}
	return cs.Keys(), nil
}

// commit finishes the run: unchanged when every object was committed
// before for the date (taken), committed otherwise. The ledger records the
// run first, so that a run it superseded commits nothing; the commit in the
// lake, written last, is what makes the objects visible.
func (in *Ingester) commit(ctx context.Context, run Run, day, now time.Time, taken map[string]bool, res *Result, log *slog.Logger) error {
	status := StatusUnchanged
	for _, o := range res.Objects {
		if !taken[o.Key] {
			status = StatusCommitted
		}
	}
	if in.Ledger != nil {
		rec := RunRecord{Run: run, Status: status, FinishedAt: now, Requests: res.Requests, Retries: res.Retries, Objects: res.Objects}
		if err := in.Ledger.FinishRun(ctx, rec); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
	}
	res.Status = status
	if status == StatusUnchanged {
		log.Info("ingest: date already committed with the same content, skipped")
		return nil
	}
	objs := make([]lake.CommitObject, 0, len(res.Objects))
	for _, o := range res.Objects {
		objs = append(objs, lake.CommitObject{Entity: o.Entity, Key: o.Key, SHA256: o.SHA256, Rows: o.Rows, Bytes: o.Bytes})
	}
	key, _, err := lake.WriteCommit(ctx, in.Store, lake.NewCommit(day, objs))
	if err != nil {
		// The ledger says committed; the lake, which is the truth, does
		// not: a rerun of the date commits it.
		res.Status = StatusFailed
		return fmt.Errorf("commit in the lake (the ledger recorded run %d as committed; rerun the date): %w", run.ID, err)
	}
	res.Commit = key
	return nil
}

func (in *Ingester) ingestEntity(ctx context.Context, b *Budget, entity string, day time.Time, log *slog.Logger) (Object, error) {
	q := url.Values{}
	if entity == "carts" {
		from, end := in.window(day)
		q.Set("startdate", from.Format(lake.DateFormat))
		q.Set("enddate", end.Format(lake.DateFormat))
	}
	body := lake.NewSpool("", spoolMemory)
	defer body.Close()
	snap, outside, pages, err := in.fetchList(ctx, b, entity, q, day, body)
	if err != nil {
		return Object{}, err
	}
	if pages > 1 {
		log.Info("list read page by page", "entity", entity, "pages", pages, "rows", snap.Rows)
	}
	hash := body.SHA256()
	key, err := lake.RawFakestoreKey(entity, day, hash)
	if err != nil {
		return Object{}, err
	}
	obj := Object{Entity: entity, Key: key, SHA256: hash, Rows: snap.Rows, Bytes: int(body.Size()), Written: true,
		DuplicateIDs: snap.DuplicateIDs, OutsideDate: outside.n}
	if outside.n > 0 {
		log.Warn("ingest: the source ignored startdate/enddate: carts outside the date filtered out (--filter-carts-by-date); "+
			"each belongs to its own date, which that date's run fetches",
			"entity", entity, "outside", outside.n, "served", outside.n+snap.Rows, "dates", outside.String())
	}
	if snap.DuplicateIDs > 0 {
		log.Warn("ingest: response repeats ids; kept as served, the warehouse rejects conflicting versions (meta.rejected_rows)",
			"entity", entity, "duplicate_ids", snap.DuplicateIDs, "key", key)
	}
	switch err := lake.PutSpoolIfAbsent(ctx, in.Store, key, body); {
	case errors.Is(err, lake.ErrExists):
		obj.Written = false
		log.Info("raw object already present, skipped", "entity", entity, "key", key)
	case err != nil:
		return Object{}, fmt.Errorf("write %s: %w", key, err)
	default:
		log.Info("raw object written", "entity", entity, "key", key, "rows", snap.Rows, "bytes", body.Size())
	}
	return obj, nil
}

// spoolMemory is the most of a list's canonical bytes held in memory: a
// longer list (the users of a large shop) is joined in a temporary file and
// written to the lake from there, so that a list of any length takes the
// memory of a page.
var spoolMemory = 8 << 20

// fetchList fetches the list of entity with query q, page by page when the
// source paginates, writes its canonical bytes to body and returns the
// rest of its snapshot (Body nil): the canonical bytes of the whole list
// are the same whether it came in one response or in many, so paging
// changes no RAW key. Each page is one request, retried on its own, and
// each is capped by the client's body limit, so the cap protects memory
// without capping the shop's size; a page is written to body as it is
// accepted (joinArrays) and dropped.
//
// Pages are asked for with page and per_page (the simulator's API and
// most JSON APIs that paginate); a source that ignores them (FakeStore)
// answers the whole list, without X-Total-Count, and that response is the
// list. A paginated list must keep its X-Total-Count from page to page: a
// list that grows or shrinks while it is read may skip or repeat objects,
// so the run fails with ErrListMoved and keeps nothing.
func (in *Ingester) fetchList(ctx context.Context, b *Budget, entity string, q url.Values, day time.Time, body io.Writer) (Snapshot, dateSpread, int, error) {
	per := in.PageSize
	var (
		outside dateSpread
		list    = joinArrays{w: body} // the pages' canonical arrays joined so far
		rows    int
		dups    int
		seen    = map[string]bool{}
		total   = -1 // X-Total-Count of the first page; -1: not paginated
	)
	for page := 1; ; page++ {
		pq := url.Values{}
		for k, v := range q {
			pq[k] = v
		}
		if per > 0 {
			pq.Set("page", strconv.Itoa(page))
			pq.Set("per_page", strconv.Itoa(per))
		}
		var snap Snapshot
		var spread dateSpread
		pageTotal := -1
		err := in.Client.GetWithHeader(ctx, b, "/"+entity, pq, func(raw []byte, h http.Header) error {
			pageTotal = -1
			if v := h.Get("X-Total-Count"); v != "" && per > 0 {
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 {
					return fmt.Errorf("%w: X-Total-Count %q is not a count", ErrMalformed, v)
				}
				pageTotal = n
			}
			var err error
			if snap, err = Parse(entity, raw); err != nil || entity != "carts" {
				return err
			}
			from, end := in.window(day)
			snap, spread, err = cartsOfDate(snap, from, end, in.FilterCartsByDate)
			return err
		})
		if err != nil {
			if page > 1 {
				return Snapshot{}, outside, page, fmt.Errorf("page %d: %w", page, err)
			}
			return Snapshot{}, outside, page, err
		}
		if page == 1 {
			total = pageTotal
		} else if pageTotal != total {
			return Snapshot{}, outside, page, fmt.Errorf("page %d: %w: X-Total-Count was %d on page 1, %d now; nothing of the list was kept",
				page, ErrListMoved, total, pageTotal)
		}
		// An id counts as a duplicate when any earlier row of the list
		// had it, on this page or an earlier one, as in one response.
		for _, id := range snap.ids {
			if seen[id] {
				dups++
			}
			seen[id] = true
		}
		rows += snap.Rows
		outside.merge(spread)
		if err := list.add(snap.Body); err != nil {
			return Snapshot{}, outside, page, err
		}
		// Distinct ids: a source may repeat a row (kept as served, counted
		// in DuplicateIDs), but more objects than the list has means it grew.
		if total >= 0 && len(seen)+outside.n > total {
			return Snapshot{}, outside, page, fmt.Errorf("page %d: %w: %d distinct objects served, more than X-Total-Count's %d; nothing of the list was kept",
				page, ErrListMoved, len(seen)+outside.n, total)
		}
		if total >= 0 && page*per < total && snap.Rows+spread.n == 0 {
			return Snapshot{}, outside, page, fmt.Errorf("page %d: %w: the page is empty but X-Total-Count says %d objects (%d read); nothing of the list was kept",
				page, ErrListMoved, total, rows)
		}
		if total < 0 || page*per >= total {
			if err := list.close(); err != nil {
				return Snapshot{}, outside, page, err
			}
			return Snapshot{Rows: rows, DuplicateIDs: dups}, outside, page, nil
		}
	}
}

// dateSpread counts the carts dated outside a logical date and the span
// of their dates.
type dateSpread struct {
	n           int
	first, last time.Time // UTC days
}

func (d *dateSpread) add(day time.Time) {
	if d.n == 0 || day.Before(d.first) {
		d.first = day
	}
	if d.n == 0 || day.After(d.last) {
		d.last = day
	}
	d.n++
}

// merge adds the dates of o to d.
func (d *dateSpread) merge(o dateSpread) {
	if o.n == 0 {
		return
	}
	d.add(o.first)
	d.add(o.last)
	d.n += o.n - 2
}

// joinArrays writes canonical JSON arrays to w as one array of their
// elements ("[a,b]" and "[c]" make "[a,b,c]", the bytes Parse gives for
// the whole list at once; one array alone keeps its own bytes), as they
// come: a list of many pages is never held whole.
type joinArrays struct {
	w     io.Writer
	begun bool // '[' written
	elems bool // an element written
}

// add writes the elements of the canonical array next.
func (j *joinArrays) add(next []byte) error {
	if !j.begun {
		if _, err := j.w.Write([]byte{'['}); err != nil {
			return err
		}
		j.begun = true
	}
	inner := next[1 : len(next)-1]
	if len(inner) == 0 {
		return nil
	}
	if j.elems {
		if _, err := j.w.Write([]byte{','}); err != nil {
			return err
		}
	}
	j.elems = true
	_, err := j.w.Write(inner)
	return err
}

// close ends the array.
func (j *joinArrays) close() error {
	if !j.begun {
		if _, err := j.w.Write([]byte{'['}); err != nil {
			return err
		}
	}
	_, err := j.w.Write([]byte{']'})
	return err
}

// String is "2026-01-03" or "2026-01-03 … 2026-01-09".
func (d dateSpread) String() string {
	if d.first.Equal(d.last) {
		return d.first.Format(lake.DateFormat)
	}
	return d.first.Format(lake.DateFormat) + " … " + d.last.Format(lake.DateFormat)
}

// cartsOfDate checks that the carts of snap, asked for the UTC days [from,
// end), are dated within them. Carts outside mean that the source ignored
// startdate/enddate: without filter that is an error wrapping
// ErrOutsideDate that says how many and which dates (nothing of the
// response is kept); with filter they are dropped, the rest kept in the
// canonical form Parse gives (the same bytes as a response that held only
// them), and counted in the returned spread. The kept carts' ids come back
// in order (Snapshot.ids); fetchList counts their duplicates over the whole
// list.
func cartsOfDate(snap Snapshot, day, end time.Time, filter bool) (Snapshot, dateSpread, error) {
	var spread dateSpread
	var elems []json.RawMessage
	if err := json.Unmarshal(snap.Body, &elems); err != nil {
		return snap, spread, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	kept := make([]json.RawMessage, 0, len(elems))
	var ids []string
	for _, e := range elems {
		var c struct {
			ID   json.Number `json:"id"`
			Date string      `json:"date"`
		}
		if err := json.Unmarshal(e, &c); err != nil {
			return snap, spread, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		t, err := time.Parse(time.RFC3339, c.Date) // checked by Parse
		if err != nil {
			return snap, spread, fmt.Errorf("%w: cart %s: date is not an RFC 3339 date", ErrSchema, c.ID)
		}
		if t = t.UTC(); t.Before(day) || !t.Before(end) {
			spread.add(t.Truncate(24 * time.Hour))
			continue
		}
		ids = append(ids, c.ID.String())
		kept = append(kept, e)
	}
	if spread.n == 0 {
		return snap, spread, nil
	}
	if !filter {
		return snap, spread, fmt.Errorf("%w: the source ignored startdate/enddate: %d of %d carts are dated outside %s (%s); "+
			"nothing of the date was committed; if the source cannot filter carts by date, ingest with --filter-carts-by-date",
			ErrOutsideDate, spread.n, len(elems), windowText(day, end), spread)
	}
	body := append([]byte{'['}, bytes.Join(toBytes(kept), []byte{','})...)
	body = append(body, ']')
	return Snapshot{Body: body, Rows: len(kept), ids: ids}, spread, nil
}

// windowText is "2026-01-03", or "2026-01-01 … 2026-01-03" for a window
// of several days.
func windowText(from, end time.Time) string {
	last := end.AddDate(0, 0, -1)
	if !last.After(from) {
		return from.Format(lake.DateFormat)
	}
	return from.Format(lake.DateFormat) + " … " + last.Format(lake.DateFormat)
}

func toBytes(rs []json.RawMessage) [][]byte {
	out := make([][]byte, len(rs))
	for i, r := range rs {
		out[i] = r
	}
	return out
}

// takenSnapshot returns the snapshot of entity that an earlier run
// committed for day (the first by key, if reruns committed several), read
// back from RAW to count its rows; false if there is none.
func (in *Ingester) takenSnapshot(ctx context.Context, entity string, day time.Time, taken map[string]bool) (Object, bool, error) {
	prefix, err := lake.RawFakestoreKey(entity, day, strings.Repeat("0", 64))
	if err != nil {
		return Object{}, false, err
	}
	prefix = prefix[:strings.LastIndexByte(prefix, '/')+1]
	var keys []string
	for k := range taken {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return Object{}, false, nil
	}
	sort.Strings(keys)
	key := keys[0]
	// Read as a stream, element by element: a snapshot of a large shop is
	// never held whole.
	rc, err := lake.OpenObject(ctx, in.Store, key)
	if err != nil {
		return Object{}, false, fmt.Errorf("read the snapshot taken before, %s: %w", key, err)
	}
	defer rc.Close()
	body := &hashingReader{r: rc, h: sha256.New()}
	rows, dups, err := countList(entity, body)
	if err != nil {
		return Object{}, false, fmt.Errorf("read the snapshot taken before, %s: %w", key, err)
	}
	return Object{Entity: entity, Key: key, SHA256: hex.EncodeToString(body.h.Sum(nil)), Rows: rows, Bytes: int(body.n), DuplicateIDs: dups}, true, nil
}

// hashingReader hashes and counts what is read through it, and keeps the
// first error of r that is not io.EOF.
type hashingReader struct {
	r   io.Reader
	h   hash.Hash
	n   int64
	err error
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	if err != nil && !errors.Is(err, io.EOF) && h.err == nil {
		h.err = err
	}
	return n, err
}

// countList reads a list of entity from body, element by element, checks
// it as Parse does, and returns its rows and the rows whose id an earlier
// row had. It reads body to its end. An error of body itself is returned
// as it is; what is not a list of entity is ErrMalformed or ErrSchema, as
// Parse says.
func countList(entity string, body *hashingReader) (rows, dups int, err error) {
	dec := json.NewDecoder(body)
	dec.UseNumber()
	malformed := func(err error) (int, int, error) {
		switch {
		case body.err != nil:
			return 0, 0, body.err
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return 0, 0, fmt.Errorf("%w: the JSON ends mid-document", ErrMalformed)
		}
		return 0, 0, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	tok, err := dec.Token()
	if err != nil {
		return malformed(err)
	}
	switch t := tok.(type) {
	case json.Delim:
		if t != '[' {
			return 0, 0, fmt.Errorf("%w: want a JSON array of objects, got object", ErrMalformed)
		}
	case nil:
		return 0, 0, fmt.Errorf("%w: want a JSON array, got null", ErrMalformed)
	default:
		return 0, 0, fmt.Errorf("%w: want a JSON array of objects, got %s", ErrMalformed, strings.TrimPrefix(jsonKind(t), "a "))
	}
	seen := map[string]bool{}
	for dec.More() {
		var v any
		if err := dec.Decode(&v); err != nil {
			return malformed(err)
		}
		rows++
		obj, ok := v.(map[string]any)
		if !ok {
			return 0, 0, fmt.Errorf("%w: element %d is not an object", ErrMalformed, rows)
		}
		if err := checkShape(entity, obj); err != nil {
			return 0, 0, fmt.Errorf("%w: element %d%s: %v", ErrSchema, rows, idOf(obj), err)
		}
		id := obj["id"].(json.Number).String()
		if seen[id] {
			dups++
		}
		seen[id] = true
	}
	if _, err := dec.Token(); err != nil { // ']'
		return malformed(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if body.err != nil {
			return 0, 0, body.err
		}
		return 0, 0, fmt.Errorf("%w: trailing data after the array", ErrMalformed)
	}
	return rows, dups, nil
}

func (in *Ingester) logger() *slog.Logger {
	if in.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return in.Log
}

// Backfill runs IngestDate for every date from from to to (inclusive, UTC
// days), in order, continuing after a failed date so that each date's
// outcome is reported; it stops early only if ctx ends. It returns one
// Result per date attempted and the failures joined.
func (in *Ingester) Backfill(ctx context.Context, from, to time.Time) ([]Result, error) {
	from, to = from.UTC().Truncate(24*time.Hour), to.UTC().Truncate(24*time.Hour)
	if to.Before(from) {
		return nil, fmt.Errorf("backfill: %s is after %s", from.Format(lake.DateFormat), to.Format(lake.DateFormat))
	}
	var out []Result
	var errs []error
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		if err := ctx.Err(); err != nil {
			errs = append(errs, fmt.Errorf("backfill stopped before %s: %w", d.Format(lake.DateFormat), err))
			break
		}
		if in.BeforeDate != nil {
			if err := in.BeforeDate(d); err != nil {
				errs = append(errs, fmt.Errorf("backfill: prepare %s: %w", d.Format(lake.DateFormat), err))
				break
			}
		}
		res, err := in.IngestDate(ctx, d)
		out = append(out, res)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

// Snapshot is one response, checked and canonicalized.
type Snapshot struct {
	Body         []byte // canonical JSON, passwords removed
	Rows         int
	DuplicateIDs int
	ids          []string // every row's id, in order
}

// Canonicalize is Parse returning the body and the row count.
func Canonicalize(entity string, raw []byte) ([]byte, int, error) {
	s, err := Parse(entity, raw)
	return s.Body, s.Rows, err
}

// Parse checks a response of entity (a JSON array of objects with the
// fields the warehouse needs, of the right JSON types), removes every
// "password" field, and re-encodes it canonically: object keys sorted,
// numbers kept exactly as sent, no insignificant whitespace. Equal content
// gives equal bytes whatever the server's key order or spacing. Unknown
// fields are kept (the API is not ours).
//
// It returns an error wrapping ErrMalformed for what is not a JSON array of
// objects (even a document merely cut short: the transfer was complete), and
// ErrSchema, naming the element and the field, for drift. It never panics
// and never quotes values in errors.
func Parse(entity string, raw []byte) (Snapshot, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var rows []any
	if err := dec.Decode(&rows); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			// The transfer was complete (a short read is ErrTruncated, in
			// the client): the server sent a cut document as whole.
			return Snapshot{}, fmt.Errorf("%w: the JSON ends mid-document", ErrMalformed)
		}
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return Snapshot{}, fmt.Errorf("%w: want a JSON array of objects, got %s", ErrMalformed, ute.Value)
		}
		return Snapshot{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Snapshot{}, fmt.Errorf("%w: trailing data after the array", ErrMalformed)
	}
	if rows == nil {
		return Snapshot{}, fmt.Errorf("%w: want a JSON array, got null", ErrMalformed)
	}
	seen := map[string]bool{}
	dups := 0
	ids := make([]string, 0, len(rows))
	for i, r := range rows {
		obj, ok := r.(map[string]any)
		if !ok {
			return Snapshot{}, fmt.Errorf("%w: element %d is not an object", ErrMalformed, i+1)
		}
		if err := checkShape(entity, obj); err != nil {
			return Snapshot{}, fmt.Errorf("%w: element %d%s: %v", ErrSchema, i+1, idOf(obj), err)
		}
		id := obj["id"].(json.Number).String()
		if seen[id] {
			dups++
		}
		seen[id] = true
		ids = append(ids, id)
		stripSecrets(obj)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rows); err != nil {
		return Snapshot{}, err
	}
	return Snapshot{Body: bytes.TrimRight(buf.Bytes(), "\n"), Rows: len(rows), DuplicateIDs: dups, ids: ids}, nil
}

func idOf(obj map[string]any) string {
	if n, ok := obj["id"].(json.Number); ok {
		if _, err := n.Int64(); err == nil {
			return " (id " + n.String() + ")"
		}
	}
	return ""
}

// field is one required field: its name and the JSON type it must have.
type field struct{ name, kind string }

// required lists, per entity, the fields the warehouse reads and their
// types. Optional fields that are present are type-checked too.
var (
	required = map[string][]field{
		"users":    {{"id", "integer"}},
		"products": {{"id", "integer"}, {"title", "string"}, {"price", "number"}},
		"carts":    {{"id", "integer"}, {"userId", "integer"}, {"date", "date"}, {"products", "array"}},
	}
	optional = map[string][]field{
		"users":    {{"email", "string"}, {"createdAt", "date"}, {"country", "string"}},
		"products": {{"category", "string"}, {"description", "string"}, {"image", "string"}},
		"carts":    {{"status", "string"}, {"statusDate", "date"}, {"refunds", "array"}},
	}
	lineFields   = []field{{"productId", "integer"}, {"quantity", "integer"}}
	refundFields = []field{{"date", "date"}, {"productId", "integer"}, {"quantity", "integer"}}
)

func checkShape(entity string, obj map[string]any) error {
	for _, f := range required[entity] {
		v, ok := obj[f.name]
		if !ok || v == nil {
			return fmt.Errorf("%s is missing", f.name)
		}
		if err := checkKind(f, v); err != nil {
			return err
		}
	}
	for _, f := range optional[entity] {
		if v, ok := obj[f.name]; ok && v != nil {
			if err := checkKind(f, v); err != nil {
				return err
			}
		}
	}
	if entity == "carts" {
		if err := checkLines("products", obj["products"].([]any), lineFields); err != nil {
			return err
		}
		if r, ok := obj["refunds"].([]any); ok {
			if err := checkLines("refunds", r, refundFields); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkLines checks that every element of the array name is an object with
// fields.
func checkLines(name string, lines []any, fields []field) error {
	for j, l := range lines {
		line, ok := l.(map[string]any)
		if !ok {
			return fmt.Errorf("%s[%d] is not an object", name, j)
		}
		for _, f := range fields {
			v, ok := line[f.name]
			if !ok || v == nil {
				return fmt.Errorf("%s[%d].%s is missing", name, j, f.name)
			}
			if err := checkKind(field{fmt.Sprintf("%s[%d].%s", name, j, f.name), f.kind}, v); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkKind(f field, v any) error {
	bad := func() error { return fmt.Errorf("%s is %s, want %s", f.name, jsonKind(v), f.kind) }
	switch f.kind {
	case "string":
		if _, ok := v.(string); !ok {
			return bad()
		}
	case "number":
		n, ok := v.(json.Number)
		if !ok {
			return bad()
		}
		if _, err := n.Float64(); err != nil {
			return bad()
		}
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return bad()
		}
		if _, err := n.Int64(); err != nil {
			return fmt.Errorf("%s is not an integer", f.name)
		}
	case "date":
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return fmt.Errorf("%s is not an RFC 3339 date", f.name)
		}
	case "array":
		if _, ok := v.([]any); !ok {
			return bad()
		}
	}
	return nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// secretFields never reach RAW.
var secretFields = []string{"password"}

func stripSecrets(v any) {
	switch t := v.(type) {
	case map[string]any:
		for _, f := range secretFields {
			delete(t, f)
		}
		for _, c := range t {
			stripSecrets(c)
		}
	case []any:
		for _, c := range t {
			stripSecrets(c)
		}
	}
}
