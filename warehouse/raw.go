package warehouse

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/stream"
)

// RAW prefixes that Load reads.
const (
	fakestorePrefix = "raw/fakestore/"
	eventsPrefix    = "raw/events/"
)

// Entities of RAW objects, as recorded in meta.loaded_objects.entity.
const (
	entityUsers    = "users"
	entityProducts = "products"
	entityCarts    = "carts"
	entityEvents   = "events"
)

// rawKey is a parsed RAW key.
type rawKey struct {
	entity string
	date   time.Time // dt=: the logical date (fakestore) or arrival date (events)
	gzip   bool
}

// parseKey checks key against the RAW layout:
//
//	raw/fakestore/<users|products|carts>/dt=<YYYY-MM-DD>/<sha256>.json[.gz]
//	raw/events/dt=<YYYY-MM-DD>/hr=<HH>/<stream>-<shard>-<first>-<last>.ndjson[.gz]
func parseKey(key string) (rawKey, error) {
	bad := func(why string) (rawKey, error) {
		return rawKey{}, fmt.Errorf("%w: %q: %s", ErrInvalidKey, key, why)
	}
	parts := strings.Split(key, "/")
	var k rawKey
	var dt, file, ext string
	switch {
	case strings.HasPrefix(key, fakestorePrefix) && len(parts) == 5:
		k.entity, dt, file, ext = parts[2], parts[3], parts[4], ".json"
		switch k.entity {
		case entityUsers, entityProducts, entityCarts:
		default:
			return bad("unknown fakestore entity")
		}
	case strings.HasPrefix(key, eventsPrefix) && len(parts) == 5:
		k.entity, dt, file, ext = entityEvents, parts[2], parts[4], ".ndjson"
		hr, ok := strings.CutPrefix(parts[3], "hr=")
		if !ok || len(hr) != 2 || hr < "00" || hr > "23" {
			return bad("want hr=HH")
		}
	default:
		return bad("not a fakestore or events object")
	}
	d, ok := strings.CutPrefix(dt, "dt=")
	if !ok {
		return bad("want dt=YYYY-MM-DD")
	}
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return bad("want dt=YYYY-MM-DD")
	}
	k.date = t
	if base, ok := strings.CutSuffix(file, ".gz"); ok {
		k.gzip, file = true, base
	}
	if name, ok := strings.CutSuffix(file, ext); !ok || name == "" {
		return bad("want a " + ext + " file")
	}
	return k, nil
}

// The FakeStore shapes, as much of them as the warehouse keeps. Unknown
// fields (address, phone, rating, __v...) are ignored: the API is not ours.
type (
	fsUser struct {
		ID        *int64     `json:"id"`
		Email     string     `json:"email"`
		Country   *string    `json:"country"`
		CreatedAt *time.Time `json:"createdAt"`
	}
	fsProduct struct {
		ID          *int64       `json:"id"`
		Title       string       `json:"title"`
		Price       *money.Cents `json:"price"`
		Description string       `json:"description"`
		Category    string       `json:"category"`
		Image       string       `json:"image"`
		// PriceValidFrom is the simulator's extension "priceValidFrom":
		// when the price took effect; absent from the real FakeStore.
		PriceValidFrom *time.Time `json:"priceValidFrom"`
	}
	fsCart struct {
		ID       *int64     `json:"id"`
		UserID   *int64     `json:"userId"`
		Date     *time.Time `json:"date"`
		Status   *string    `json:"status"`
		Products []struct {
			ProductID *int64 `json:"productId"`
			Quantity  *int64 `json:"quantity"`
		} `json:"products"`
		// The order lifecycle's extension fields (sim/lifecycle.go).
		StatusDate *time.Time `json:"statusDate"`
		Refunds    []struct {
			Date      *time.Time `json:"date"`
			ProductID *int64     `json:"productId"`
			Quantity  *int64     `json:"quantity"`
		} `json:"refunds"`
	}
)

// defaultCartStatus is the status of a cart whose JSON has none.
const defaultCartStatus = "completed"

// stagingRows are the rows that one RAW object adds to staging, per table.
type stagingRows map[string][][]any

// staging table columns, in the order the parsers fill rows. The first three
// (raw_key, load_seq, then snapshot_date or row_no) are set by the parser;
// load_seq is filled in by Load when it knows it (index 1).
var stagingColumns = map[string][]string{
	"fakestore_users":        {"raw_key", "load_seq", "snapshot_date", "row_no", "user_id", "email_hash", "country", "created_at"},
	"fakestore_products":     {"raw_key", "load_seq", "snapshot_date", "row_no", "product_id", "title", "price", "description", "category", "image", "price_valid_from"},
	"fakestore_carts":        {"raw_key", "load_seq", "snapshot_date", "row_no", "cart_id", "user_id", "cart_date", "status", "status_date"},
	"fakestore_cart_refunds": {"raw_key", "load_seq", "snapshot_date", "cart_row_no", "refund_no", "cart_id", "refund_date", "product_id", "quantity"},
	"fakestore_cart_items":   {"raw_key", "load_seq", "snapshot_date", "cart_row_no", "line_no", "cart_id", "product_id", "quantity"},
	"events": {"raw_key", "load_seq", "row_no", "event_id", "event_type", "event_time", "ingestion_time", "session_id",
		"user_id", "anonymous_id", "product_id", "quantity", "price", "order_id", "schema_version", "shard_id", "sequence_number",
		"device_type", "device_os", "device_browser", "channel", "utm_source", "utm_medium", "utm_campaign", "referrer_host", "page_path", "country",
		"extra"},
}

// parsed is what one RAW object adds: staging rows, and quarantine rows for
// the records that could not be typed (rejected) or were stored with a
// value replaced (repaired).
type parsed struct {
	rows       stagingRows
	quarantine []quarantined
}

// reject records one rejected record.
func (p *parsed) reject(rowNo int64, record []byte, format string, args ...any) {
	p.quarantine = append(p.quarantine, quarantined{rowNo: rowNo, disposition: dispRejected,
		reason: fmt.Sprintf(format, args...), record: recordText(record)})
}

// stageChunk is how many elements of a FakeStore array are typed before
// their rows are handed on (to the Parquet codec): staging a snapshot takes
// the memory of a chunk of it, not of the snapshot.
const stageChunk = 4096

// parseStream reads a RAW object's (decompressed) body from r and hands
// its staging rows to add, in order: a FakeStore array a chunk of
// elements at a time (stageChunk), an events batch whole. load_seq (column
// 1) is left nil. A record that does not type (a price sent as a string, a
// missing id, an event that breaks its contract) is quarantined with its
// reason; only a body that is not an array (FakeStore) or not JSON lines at
// all fails the object. An error of add is returned as it is, as is one
// of r; the caller tells them from the body's. Errors do not name the
// key; Load adds it.
func parseStream(key string, k rawKey, r io.Reader, emailKey []byte, bounds eventBounds, add func(parsed) error) error {
	if k.entity == entityEvents {
		body, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		return add(parseEvents(key, body, bounds))
	}
	typeElem, tables, err := fakestoreTyper(key, k, emailKey)
	if err != nil {
		return err
	}
	chunk := func() parsed {
		p := parsed{rows: stagingRows{}}
		for _, t := range tables {
			p.rows[t] = nil
		}
		return p
	}
	p := chunk()
	var n, inChunk int64
	err = eachElement(r, func(raw []byte) error {
		n++
		typeElem(&p, n, raw)
		if inChunk++; inChunk < stageChunk {
			return nil
		}
		err := add(p)
		p, inChunk = chunk(), 0
		return err
	})
	if err != nil {
		return err
	}
	return add(p)
}

// fakestoreTyper returns the function that types one element of a
// FakeStore array of entity (its 1-based row number n, its bytes as
// written) into p, and the staging tables it feeds.
func fakestoreTyper(key string, k rawKey, emailKey []byte) (func(p *parsed, n int64, raw []byte), []string, error) {
	switch k.entity {
	case entityUsers:
		if len(emailKey) == 0 {
			return nil, nil, ErrNoEmailHashKey
		}
		return func(p *parsed, n int64, raw []byte) { typeUser(p, key, k, emailKey, n, raw) }, []string{"fakestore_users"}, nil
	case entityProducts:
		return func(p *parsed, n int64, raw []byte) { typeProduct(p, key, k, n, raw) }, []string{"fakestore_products"}, nil
	case entityCarts:
		return func(p *parsed, n int64, raw []byte) { typeCart(p, key, k, n, raw) }, []string{"fakestore_carts", "fakestore_cart_items", "fakestore_cart_refunds"}, nil
	}
	return nil, nil, fmt.Errorf("unknown entity %q", k.entity)
}

// eachElement calls fn with every element of the JSON array that r holds,
// undecoded, exactly as written, in order, and reads r to its end. The
// slice fn gets is reused for the next element: fn copies what it keeps.
// It decodes element by element: the array is never held whole. An error
// of fn stops it and is returned as it is.
func eachElement(r io.Reader, fn func(raw []byte) error) error {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return errors.New("not a JSON array")
	}
	var raw json.RawMessage
	for dec.More() {
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		if err := fn(raw); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // ']'
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after the JSON array")
	}
	return nil
}

// typeUser types user n of a users snapshot into p.
func typeUser(p *parsed, key string, k rawKey, emailKey []byte, n int64, raw []byte) {
	var u fsUser
	if err := json.Unmarshal(raw, &u); err != nil {
		p.reject(n, raw, "user %d: %v", n, err)
		return
	}
	if u.ID == nil {
		p.reject(n, raw, "user %d: id is required", n)
		return
	}
	var created any
	if u.CreatedAt != nil {
		created = u.CreatedAt.UTC()
	}
	var c cleaner
	p.rows["fakestore_users"] = append(p.rows["fakestore_users"], []any{key, nil, k.date, n, *u.ID,
		emailHash(emailKey, u.Email), c.optText("country", u.Country), created})
	p.quarantine = append(p.quarantine, c.repair(n, raw)...)
}

// emailHash is the hex HMAC-SHA256 of the trimmed, lower-cased email, or nil
// when there is no email.
func emailHash(key []byte, email string) any {
	e := strings.ToLower(strings.TrimSpace(email))
	if e == "" {
		return nil
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(e))
	return hex.EncodeToString(m.Sum(nil))
}

// typeProduct types product n of a products snapshot into p.
func typeProduct(p *parsed, key string, k rawKey, n int64, raw []byte) {
	var pr fsProduct
	if err := json.Unmarshal(raw, &pr); err != nil {
		p.reject(n, raw, "product %d: %v", n, err)
		return
	}
	switch {
	case pr.ID == nil:
		p.reject(n, raw, "product %d: id is required", n)
		return
	case pr.Price == nil:
		p.reject(n, raw, "product %d (id %d): price is required", n, *pr.ID)
		return
	}
	var validFrom any // NULL when the source does not say (price history, 007_marts.sql)
	if pr.PriceValidFrom != nil {
		validFrom = pr.PriceValidFrom.UTC()
	}
	var c cleaner
	p.rows["fakestore_products"] = append(p.rows["fakestore_products"], []any{key, nil, k.date, n, *pr.ID,
		c.text("title", pr.Title), *pr.Price, c.text("description", pr.Description),
		c.category("category", pr.Category), c.text("image", pr.Image), validFrom})
	p.quarantine = append(p.quarantine, c.repair(n, raw)...)
}

// typeCart types cart n of a carts response, and its lines, into p.
func typeCart(p *parsed, key string, k rawKey, n int64, raw []byte) {
	var ct fsCart
	if err := json.Unmarshal(raw, &ct); err != nil {
		p.reject(n, raw, "cart %d: %v", n, err)
		return
	}
	switch {
	case ct.ID == nil:
		p.reject(n, raw, "cart %d: id is required", n)
		return
	case ct.UserID == nil:
		p.reject(n, raw, "cart %d (id %d): userId is required", n, *ct.ID)
		return
	case ct.Date == nil:
		p.reject(n, raw, "cart %d (id %d): date is required", n, *ct.ID)
		return
	}
	var items [][]any
	for j, line := range ct.Products {
		if line.ProductID == nil || line.Quantity == nil {
			// The whole cart: an order without one of its lines would
			// carry a wrong total.
			p.reject(n, raw, "cart %d (id %d) line %d: productId and quantity are required", n, *ct.ID, j+1)
			return
		}
		items = append(items, []any{key, nil, k.date, n, int64(j + 1), *ct.ID, *line.ProductID, *line.Quantity})
	}
	var refunds [][]any
	for j, r := range ct.Refunds {
		if r.Date == nil || r.ProductID == nil || r.Quantity == nil {
			p.reject(n, raw, "cart %d (id %d) refund %d: date, productId and quantity are required", n, *ct.ID, j+1)
			return
		}
		if *r.Quantity <= 0 || *r.Quantity > quantityOf(ct.Products, *r.ProductID) {
			// A refund the order cannot have had: the net sales would
			// go below what was sold.
			p.reject(n, raw, "cart %d (id %d) refund %d: %d of product %d refunded, the cart has %d",
				n, *ct.ID, j+1, *r.Quantity, *r.ProductID, quantityOf(ct.Products, *r.ProductID))
			return
		}
		refunds = append(refunds, []any{key, nil, k.date, n, int64(j + 1), *ct.ID, r.Date.UTC(), *r.ProductID, *r.Quantity})
	}
	var c cleaner
	status := defaultCartStatus
	if ct.Status != nil {
		status = c.category("status", *ct.Status)
	}
	var statusDate any
	if ct.StatusDate != nil {
		statusDate = ct.StatusDate.UTC()
	}
	p.rows["fakestore_carts"] = append(p.rows["fakestore_carts"], []any{key, nil, k.date, n, *ct.ID, *ct.UserID, ct.Date.UTC(), status, statusDate})
	p.rows["fakestore_cart_items"] = append(p.rows["fakestore_cart_items"], items...)
	p.rows["fakestore_cart_refunds"] = append(p.rows["fakestore_cart_refunds"], refunds...)
	p.quarantine = append(p.quarantine, c.repair(n, raw)...)
}

// quantityOf is how many of product a cart's lines hold.
func quantityOf(lines []struct {
	ProductID *int64 `json:"productId"`
	Quantity  *int64 `json:"quantity"`
}, product int64) int64 {
	var n int64
	for _, l := range lines {
		if l.ProductID != nil && l.Quantity != nil && *l.ProductID == product {
			n += *l.Quantity
		}
	}
	return n
}

// parseEvents reads NDJSON stream.RawRecords, one per line. Fields the
// event contract does not name are kept (the extra column), as
// stream.ParseEvent keeps them; a field of the contract with a value of the
// wrong type rejects the record. An event whose event_time lies outside bounds around
// its ingestion_time (a client clock ahead, or far behind) is quarantined.
func parseEvents(key string, body []byte, bounds eventBounds) parsed {
	p := parsed{rows: stagingRows{"events": nil}}
	type candidate struct {
		n    int64
		line []byte
		r    stream.RawRecord
	}
	var (
		kept   []candidate
		newest time.Time // the newest event_time of the batch's believable records
	)
	lines := bytes.Split(body, []byte{'\n'})
	if len(lines) > 0 && len(bytes.TrimSpace(lines[len(lines)-1])) == 0 {
		lines = lines[:len(lines)-1]
	}
	for i, line := range lines {
		n := int64(i + 1)
		// Fields the contract does not name are kept (RawRecord's Extra).
		dec := json.NewDecoder(bytes.NewReader(line))
		var r stream.RawRecord
		if err := dec.Decode(&r); err != nil {
			p.reject(n, line, "record %d: %v", n, err)
			continue
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			p.reject(n, line, "record %d: trailing data after the JSON object", n)
			continue
		}
		if err := r.Validate(); err != nil {
			p.reject(n, line, "record %d: %v", n, err)
			continue
		}
		switch {
		case r.IngestionTime.IsZero():
			p.reject(n, line, "record %d: ingestion_time is required", n)
			continue
		case r.ShardID == "" || r.SequenceNumber == "":
			p.reject(n, line, "record %d: shard_id and sequence_number are required", n)
			continue
		case r.EventTime.Sub(r.IngestionTime) > bounds.future:
			p.reject(n, line, "record %d: event_time %s is %s after its ingestion_time %s (tolerance %s): a clock ahead",
				n, r.EventTime.UTC().Format(time.RFC3339Nano), r.EventTime.Sub(r.IngestionTime), r.IngestionTime.UTC().Format(time.RFC3339Nano), bounds.future)
			continue
		}
		if r.EventTime.After(newest) {
			newest = r.EventTime
		}
		kept = append(kept, candidate{n: n, line: line, r: r})
	}
	// A clock far behind: older than the maximum age both at its arrival
	// and against the newest event of its batch. The second test keeps a
	// replay of the past (a whole batch of old events, such as shoplake
	// produce of a simulated week through a real stream): only an event far
	// behind the events that arrived with it is from a wrong clock.
	for _, k := range kept {
		r, n, line := k.r, k.n, k.line
		if r.IngestionTime.Sub(r.EventTime) > bounds.maxAge && newest.Sub(r.EventTime) > bounds.maxAge {
			p.reject(n, line, "record %d: event_time %s is %s before its arrival %s and %s before the newest event of its batch: older than the maximum age %s (a clock behind)",
				n, r.EventTime.UTC().Format(time.RFC3339Nano), roughAge(r.IngestionTime.Sub(r.EventTime)),
				r.IngestionTime.UTC().Format(time.RFC3339Nano), roughAge(newest.Sub(r.EventTime)), FormatAge(bounds.maxAge))
			continue
		}
		var price any
		if r.Price != nil {
			price = *r.Price
		}
		var c cleaner
		var extra any
		if r.Extra != nil {
			extra = c.text("extra", string(r.Extra))
		}
		p.rows["events"] = append(p.rows["events"], []any{key, nil, n, c.id("event_id", r.EventID), string(r.EventType),
			r.EventTime.UTC(), r.IngestionTime.UTC(), c.id("session_id", r.SessionID), optInt(r.UserID),
			c.id("anonymous_id", r.AnonymousID), optInt(r.ProductID), optInt(r.Quantity), price, optInt(r.OrderID),
			int64(r.SchemaVersion), c.id("shard_id", r.ShardID), c.id("sequence_number", r.SequenceNumber),
			c.dimension("device_type", r.DeviceType), c.dimension("device_os", r.DeviceOS),
			c.dimension("device_browser", r.DeviceBrowser), c.dimension("channel", r.Channel),
			c.dimension("utm_source", r.UTMSource), c.dimension("utm_medium", r.UTMMedium),
			c.dimension("utm_campaign", r.UTMCampaign), c.dimension("referrer_host", r.Referrer),
			c.dimension("page_path", r.PagePath), c.dimension("country", r.Country), extra})
		p.quarantine = append(p.quarantine, c.repair(n, line)...)
	}
	return p
}

// eventBounds is the window around its ingestion_time in which an event's
// event_time is believed: at most future after it, at most maxAge before.
type eventBounds struct{ future, maxAge time.Duration }

// roughAge renders an age in the largest whole unit it reaches: "56 years",
// "3 days", else the duration ("20h0m0s").
func roughAge(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d >= 365*day:
		return plural(int64(d/(365*day)), "year")
	case d >= day:
		return plural(int64(d/day), "day")
	}
	return d.String()
}

func plural(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// FormatAge renders a maximum age as the --max-event-age flag accepts it:
// whole days as "7d", anything else as a Go duration ("36h0m0s").
func FormatAge(d time.Duration) string {
	const day = 24 * time.Hour
	if d > 0 && d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	return d.String()
}

func optInt(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}
