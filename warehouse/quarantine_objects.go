package warehouse

import (
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/shoplake/shoplake/lake"
)

// objectProblem is why Load sets a RAW object aside instead of loading it:
// a row of meta.quarantined_objects.
type objectProblem struct {
	reason string // plain words, for a person
	detail string // the error in full
	size   int64
	head   []byte
}

// layoutHint says what a key under prefix must look like.
func layoutHint(key string) string {
	if strings.HasPrefix(key, eventsPrefix) {
		return "raw/events/dt=<date>/hr=<HH>/<name>.ndjson[.gz]"
	}
	return "raw/fakestore/<users|products|carts>/dt=<date>/<sha256>.json[.gz]"
}

// getProblem turns the Source's refusal of a body into a problem, or
// returns nil for an error that is not about the body (the network, the
// context, the object gone since the listing): those stop Load.
func getProblem(o objectRef, err error) *objectProblem {
	var ce *lake.ChecksumError
	switch {
	case errors.As(err, &ce):
		return &objectProblem{reason: ce.Reason(), detail: err.Error(), size: ce.Size, head: ce.Head}
	case errors.Is(err, lake.ErrForeign):
		return &objectProblem{reason: "not written by shoplake (no sha256 recorded)", detail: err.Error(), size: o.size}
	case errors.Is(err, lake.ErrChecksum):
		return &objectProblem{reason: "corrupt: sha256 differs from the one recorded at write", detail: err.Error(), size: o.size}
	}
	return nil
}

// gzipReason names, in plain words, why a body that begins with head does
// not gunzip.
func gzipReason(head []byte, err error) string {
	switch {
	case len(head) < 2 || head[0] != 0x1f || head[1] != 0x8b, errors.Is(err, gzip.ErrHeader):
		return "not gzip, though its key ends in .gz"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "truncated gzip"
	case errors.Is(err, gzip.ErrChecksum):
		return "corrupt gzip (its CRC does not match)"
	}
	return "corrupt gzip"
}

// streamProblem is a problem found in a body the Source returned, of size
// bytes, whose first bytes are head (lake.HeadBytes at most).
func streamProblem(size int64, head []byte, reason string, err error) *objectProblem {
	return &objectProblem{reason: reason, detail: fmt.Errorf("%w: %v", ErrInvalidObject, err).Error(),
		size: size, head: head[:min(len(head), lake.HeadBytes)]}
}

// escapeHead renders bytes for a person: printable ASCII as is, \n \r \t
// and \\ escaped, every other byte as \xHH.
func escapeHead(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		switch {
		case c == '\\':
			s.WriteString(`\\`)
		case c == '\n':
			s.WriteString(`\n`)
		case c == '\r':
			s.WriteString(`\r`)
		case c == '\t':
			s.WriteString(`\t`)
		case c >= 0x20 && c < 0x7f:
			s.WriteByte(c)
		default:
			fmt.Fprintf(&s, `\x%02x`, c)
		}
	}
	return s.String()
}

// quarantinedVersion is the version of an object Load set aside.
type quarantinedVersion struct {
	etag string
	size int64
}

// quarantinedObjects returns meta.quarantined_objects by key.
func (w *Warehouse) quarantinedObjects(ctx context.Context, conn *sql.Conn) (map[string]quarantinedVersion, error) {
	q, err := readSQL("queries/quarantined_objects.sql")
	if err != nil {
		return nil, err
	}
	rs, err := conn.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("load: read quarantined objects: %w", err)
	}
	defer rs.Close()
	out := map[string]quarantinedVersion{}
	for rs.Next() {
		var k string
		var v quarantinedVersion
		if err := rs.Scan(&k, &v.etag, &v.size); err != nil {
			return nil, fmt.Errorf("load: read quarantined objects: %w", err)
		}
		out[k] = v
	}
	return out, rs.Err()
}

// releaseObject deletes key's row of meta.quarantined_objects, inside the
// transaction open on conn.
func (w *Warehouse) releaseObject(ctx context.Context, conn *sql.Conn, key string) error {
	q, err := readSQL("queries/quarantined_object_delete.sql")
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, q, key); err != nil {
		return fmt.Errorf("release %s from quarantine: %w", key, err)
	}
	return nil
}

// quarantineObject records o, as listed, in meta.quarantined_objects with
// its problem, replacing an earlier version's row.
func (w *Warehouse) quarantineObject(ctx context.Context, conn *sql.Conn, o objectRef, p *objectProblem) error {
	err := inTx(ctx, conn, func() error {
		if err := w.releaseObject(ctx, conn, o.key); err != nil {
			return err
		}
		return w.dialect.Insert(ctx, conn, "meta", "quarantined_objects",
			[]string{"object_key", "etag", "size_bytes", "reason", "detail", "head"},
			[][]any{{o.key, o.etag, o.size, p.reason, recordText([]byte(p.detail)), escapeHead(p.head)}})
	})
	if err != nil {
		return fmt.Errorf("quarantine %s: %w", o.key, err)
	}
	return nil
}
