package warehouse

import (
	"bytes"
	"compress/gzip"
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

// decompress gunzips body if the key says it is gzipped.
func decompress(k rawKey, body []byte) ([]byte, error) {
	if !k.gzip {
		return body, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return io.ReadAll(zr)
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
	"fakestore_users":      {"raw_key", "load_seq", "snapshot_date", "row_no", "user_id", "email_hash", "country", "created_at"},
	"fakestore_products":   {"raw_key", "load_seq", "snapshot_date", "row_no", "product_id", "title", "price", "description", "category", "image"},
	"fakestore_carts":      {"raw_key", "load_seq", "snapshot_date", "row_no", "cart_id", "user_id", "cart_date", "status"},
	"fakestore_cart_items": {"raw_key", "load_seq", "snapshot_date", "cart_row_no", "line_no", "cart_id", "product_id", "quantity"},
	"events": {"raw_key", "load_seq", "row_no", "event_id", "event_type", "event_time", "ingestion_time", "session_id",
		"user_id", "anonymous_id", "product_id", "quantity", "price", "order_id", "schema_version", "shard_id", "sequence_number"},
}

// parseObject turns a RAW object's (decompressed) body into staging rows.
// load_seq (column 1) is left nil. Errors do not name the key; Load adds it.
func parseObject(key string, k rawKey, body []byte, emailKey []byte) (stagingRows, error) {
	switch k.entity {
	case entityUsers:
		return parseUsers(key, k, body, emailKey)
	case entityProducts:
		return parseProducts(key, k, body)
	case entityCarts:
		return parseCarts(key, k, body)
	case entityEvents:
		return parseEvents(key, body)
	}
	return nil, fmt.Errorf("unknown entity %q", k.entity)
}

func decodeArray[T any](body []byte) ([]T, error) {
	var out []T
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the JSON array")
	}
	if out == nil {
		return nil, errors.New("not a JSON array")
	}
	return out, nil
}

func parseUsers(key string, k rawKey, body []byte, emailKey []byte) (stagingRows, error) {
	if len(emailKey) == 0 {
		return nil, ErrNoEmailHashKey
	}
	users, err := decodeArray[fsUser](body)
	if err != nil {
		return nil, err
	}
	rows := make([][]any, 0, len(users))
	for i, u := range users {
		if u.ID == nil {
			return nil, fmt.Errorf("user %d: id is required", i+1)
		}
		var created any
		if u.CreatedAt != nil {
			created = u.CreatedAt.UTC()
		}
		rows = append(rows, []any{key, nil, k.date, int64(i + 1), *u.ID,
			emailHash(emailKey, u.Email), optString(u.Country), created})
	}
	return stagingRows{"fakestore_users": rows}, nil
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

func parseProducts(key string, k rawKey, body []byte) (stagingRows, error) {
	products, err := decodeArray[fsProduct](body)
	if err != nil {
		return nil, err
	}
	rows := make([][]any, 0, len(products))
	for i, p := range products {
		switch {
		case p.ID == nil:
			return nil, fmt.Errorf("product %d: id is required", i+1)
		case p.Price == nil:
			return nil, fmt.Errorf("product %d (id %d): price is required", i+1, *p.ID)
		}
		rows = append(rows, []any{key, nil, k.date, int64(i + 1), *p.ID,
			p.Title, *p.Price, p.Description, p.Category, p.Image})
	}
	return stagingRows{"fakestore_products": rows}, nil
}

func parseCarts(key string, k rawKey, body []byte) (stagingRows, error) {
	carts, err := decodeArray[fsCart](body)
	if err != nil {
		return nil, err
	}
	var cartRows, itemRows [][]any
	for i, c := range carts {
		switch {
		case c.ID == nil:
			return nil, fmt.Errorf("cart %d: id is required", i+1)
		case c.UserID == nil:
			return nil, fmt.Errorf("cart %d (id %d): userId is required", i+1, *c.ID)
		case c.Date == nil:
			return nil, fmt.Errorf("cart %d (id %d): date is required", i+1, *c.ID)
		}
		status := defaultCartStatus
		if c.Status != nil {
			status = *c.Status
		}
		rowNo := int64(i + 1)
		cartRows = append(cartRows, []any{key, nil, k.date, rowNo, *c.ID, *c.UserID, c.Date.UTC(), status})
		for j, p := range c.Products {
			if p.ProductID == nil || p.Quantity == nil {
				return nil, fmt.Errorf("cart %d (id %d) line %d: productId and quantity are required", i+1, *c.ID, j+1)
			}
			itemRows = append(itemRows, []any{key, nil, k.date, rowNo, int64(j + 1), *c.ID, *p.ProductID, *p.Quantity})
		}
	}
	return stagingRows{"fakestore_carts": cartRows, "fakestore_cart_items": itemRows}, nil
}

// parseEvents reads NDJSON stream.RawRecords. Unknown fields are rejected,
// as stream.ParseEvent does: the record format is ours, so drift is an error.
func parseEvents(key string, body []byte) (stagingRows, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var rows [][]any
	for n := int64(1); ; n++ {
		var r stream.RawRecord
		if err := dec.Decode(&r); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("record %d: %w", n, err)
		}
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("record %d: %w", n, err)
		}
		switch {
		case r.IngestionTime.IsZero():
			return nil, fmt.Errorf("record %d: ingestion_time is required", n)
		case r.ShardID == "" || r.SequenceNumber == "":
			return nil, fmt.Errorf("record %d: shard_id and sequence_number are required", n)
		}
		var price any
		if r.Price != nil {
			price = *r.Price
		}
		rows = append(rows, []any{key, nil, n, r.EventID, string(r.EventType), r.EventTime.UTC(), r.IngestionTime.UTC(),
			r.SessionID, optInt(r.UserID), r.AnonymousID, optInt(r.ProductID), optInt(r.Quantity), price, optInt(r.OrderID),
			int64(r.SchemaVersion), r.ShardID, r.SequenceNumber})
	}
	return stagingRows{"events": rows}, nil
}

func optInt(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func optString(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}
