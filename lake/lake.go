// Package lake owns the zones of the data lake (RAW, QUARANTINE, STAGING,
// CURATED) and their object keys, over the S3 API. Every object is written
// with its SHA-256 in the metadata; Get verifies it, so a partial or corrupted
// write is detected where it is read.
package lake

import (
	"bytes"
	"context"
	"encoding/json"
)

// ObjectInfo describes one stored object.
type ObjectInfo struct {
	Key    string
	Size   int64
	SHA256 string // hex SHA-256 of the body, as recorded at write time
	// ETag names the version listed: it changes when the object is
	// replaced ("" if the store does not say).
	ETag string
}

// Store is the lake's view of an object store. Keys are '/'-separated and
// relative to the lake's bucket (and prefix, if any).
type Store interface {
	// PutIfAbsent writes body at key only if no object exists there
	// (If-None-Match: *). It returns ErrExists if the key is already written;
	// it never overwrites.
	PutIfAbsent(ctx context.Context, key string, body []byte) error
	// Put writes body at key, replacing what is there. Only mutable state
	// (checkpoints) uses it; RAW never does.
	Put(ctx context.Context, key string, body []byte) error
	// Get returns the body at key after checking it against the SHA-256
	// recorded at write time. It returns ErrNotFound if there is no object
	// and a *ChecksumError (ErrChecksum; also ErrForeign when no SHA-256 was
	// recorded) if the body does not match.
	Get(ctx context.Context, key string) ([]byte, error)
	// List returns the objects under prefix, sorted by key.
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
}

// EncodeDocument returns the bytes of one of the lake's JSON documents
// (commits, staging and export manifests, the ingestion's run records): indented, ending in a newline,
// the same bytes for the same document.
func EncodeDocument(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// DecodeDocument decodes one of the lake's JSON documents into v, refusing
// fields its type does not have: a document from another version or tool
// is not read as if it were one of ours.
func DecodeDocument(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
