// Package ingest pulls users, products and carts from a FakeStore-compatible
// API into the RAW zone, one logical date at a time. Each response becomes
// one RAW object keyed by the SHA-256 of its canonical content and written
// with a conditional put, so a rerun of the same date writes nothing new.
// Passwords are removed before anything is hashed or written.
package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shoplake/shoplake/lake"
)

// The entities ingested for every logical date, in order.
var Entities = []string{"users", "products", "carts"}

// DefaultMaxBody caps the size of one response body.
const DefaultMaxBody = 64 << 20

// Doer sends HTTP requests; *http.Client satisfies it.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Ingester ingests logical dates from one FakeStore-compatible API.
type Ingester struct {
	HTTP    Doer
	BaseURL string // e.g. "https://fakestoreapi.com" or the simulator's URL
	Store   lake.Store
	Log     *slog.Logger
	// MaxBody caps a response body; DefaultMaxBody if zero.
	MaxBody int64
}

// Object is what one entity of one date became in RAW.
type Object struct {
	Entity  string
	Key     string
	Rows    int
	Bytes   int
	Written bool // false when the same content was already in RAW
}

// Result reports one logical date.
type Result struct {
	Date    time.Time
	Objects []Object
}

// Written counts the objects the run wrote (not skipped).
func (r Result) Written() int {
	n := 0
	for _, o := range r.Objects {
		if o.Written {
			n++
		}
	}
	return n
}

// IngestDate fetches the users and products snapshots and the carts whose
// date falls in the UTC day of date, and writes each to RAW. It is
// idempotent: the same content for the same date is skipped. It returns an
// error, naming the endpoint, at the first entity that fails.
func (in *Ingester) IngestDate(ctx context.Context, date time.Time) (Result, error) {
	day := date.UTC().Truncate(24 * time.Hour)
	res := Result{Date: day}
	for _, entity := range Entities {
		obj, err := in.ingestEntity(ctx, entity, day)
		if err != nil {
			return res, fmt.Errorf("ingest %s for %s: %w", entity, day.Format(lake.DateFormat), err)
		}
		res.Objects = append(res.Objects, obj)
	}
	return res, nil
}

func (in *Ingester) ingestEntity(ctx context.Context, entity string, day time.Time) (Object, error) {
	q := url.Values{}
	if entity == "carts" {
		q.Set("startdate", day.Format(lake.DateFormat))
		q.Set("enddate", day.AddDate(0, 0, 1).Format(lake.DateFormat))
	}
	raw, err := in.get(ctx, entity, q)
	if err != nil {
		return Object{}, err
	}
	body, rows, err := Canonicalize(entity, raw)
	if err != nil {
		return Object{}, fmt.Errorf("GET /%s: %w", entity, err)
	}
	sum := sha256.Sum256(body)
	key, err := lake.RawFakestoreKey(entity, day, hex.EncodeToString(sum[:]))
	if err != nil {
		return Object{}, err
	}
	obj := Object{Entity: entity, Key: key, Rows: rows, Bytes: len(body), Written: true}
	switch err := in.Store.PutIfAbsent(ctx, key, body); {
	case errors.Is(err, lake.ErrExists):
		obj.Written = false
		in.logger().Info("raw object already present, skipped", "entity", entity, "key", key)
	case err != nil:
		return Object{}, err
	default:
		in.logger().Info("raw object written", "entity", entity, "key", key, "rows", rows, "bytes", len(body))
	}
	return obj, nil
}

func (in *Ingester) get(ctx context.Context, entity string, q url.Values) ([]byte, error) {
	u := strings.TrimRight(in.BaseURL, "/") + "/" + entity
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("GET /%s: %w", entity, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := in.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET /%s: %w", entity, err)
	}
	defer resp.Body.Close()
	max := in.MaxBody
	if max <= 0 {
		max = DefaultMaxBody
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("GET /%s: read body: %w", entity, err)
	}
	if int64(len(body)) > max {
		return nil, fmt.Errorf("GET /%s: %w: more than %d bytes", entity, ErrTooLarge, max)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /%s: %w: status %d", entity, ErrStatus, resp.StatusCode)
	}
	return body, nil
}

func (in *Ingester) logger() *slog.Logger {
	if in.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return in.Log
}

// Canonicalize parses a response (a JSON array of objects), removes every
// "password" field, and re-encodes it canonically: object keys sorted,
// numbers kept exactly as sent, no insignificant whitespace. Equal content
// gives equal bytes whatever the server's key order or spacing.
func Canonicalize(entity string, raw []byte) ([]byte, int, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var rows []any
	if err := dec.Decode(&rows); err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if dec.More() {
		return nil, 0, fmt.Errorf("%w: trailing data after the array", ErrMalformed)
	}
	for i, r := range rows {
		obj, ok := r.(map[string]any)
		if !ok {
			return nil, 0, fmt.Errorf("%w: element %d is not an object", ErrMalformed, i)
		}
		if _, ok := obj["id"].(json.Number); !ok {
			return nil, 0, fmt.Errorf("%w: element %d has no numeric id", ErrMalformed, i)
		}
		stripSecrets(obj)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rows); err != nil {
		return nil, 0, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), len(rows), nil
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
