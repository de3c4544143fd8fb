package lake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// The STAGING zone: what the transform derived from each RAW object, typed
// and cleaned, as Parquet, and the manifest that says an object is staged.
const (
	// StagedPrefix holds one manifest per staged RAW object (StagedKey).
	StagedPrefix = StagingPrefix + "_staged/"
	// QuarantineTransform holds, per RAW object, the records the transform
	// rejected or repaired, each with its reason (Parquet).
	QuarantineTransform = QuarantinePrefix + "transform/"
)

// StagedFormat is the version of the staging manifest written here.
const StagedFormat = 1

// Staged is the manifest of one RAW object's staging: the Parquet files the
// transform derived from it (one per staging table it feeds, and its
// quarantine), each with its SHA-256 and row count. It is written last, with
// a conditional put, after every file it names: an object is staged once its
// manifest exists, and never in part. Its key follows the RAW key
// (StagedKey), so a RAW object has at most one manifest.
//
// The files are a pure function of the RAW object's bytes and of the rules
// that typed them (Rules: a fingerprint of the transform's parameters, never
// a secret), so that staging the same object again writes the same bytes.
type Staged struct {
	Format    int    `json:"format"`     // StagedFormat
	RawKey    string `json:"raw_key"`    // the RAW object
	RawSHA256 string `json:"raw_sha256"` // its SHA-256, as recorded when it was written
	Rules     string `json:"rules"`
	// Rejected and Repaired count the records in the quarantine file:
	// rejected ones are in no staging table; repaired ones are, with a
	// value replaced.
	Rejected int64        `json:"rejected"`
	Repaired int64        `json:"repaired"`
	Files    []StagedFile `json:"files"` // sorted by key
}

// StagedFile is one Parquet file of a staged object.
type StagedFile struct {
	// Table is the staging table it feeds ("events", "fakestore_carts"...),
	// or "quarantine".
	Table  string `json:"table"`
	Key    string `json:"key"`
	SHA256 string `json:"sha256"`
	Rows   int64  `json:"rows"`
	Bytes  int64  `json:"bytes"`
}

// stagedName splits a RAW data key into the parts its staging keys keep:
// the path under raw/ (events/dt=D/hr=H/<file>, fakestore/users/dt=D/<file>)
// and the path under the entity's folder (dt=D/hr=H/<file>, dt=D/<file>).
// The RAW file's whole name is kept, extension included: two RAW objects
// (an object copied to another hour, a .json beside a .json.gz) never
// share a staging key.
func stagedName(rawKey string) (path, rest string, err error) {
	bad := func(why string) (string, string, error) {
		return "", "", fmt.Errorf("%w: %q is not a RAW data object: %s", ErrInvalidKey, rawKey, why)
	}
	if err := ValidateKey(rawKey); err != nil {
		return "", "", err
	}
	path, ok := strings.CutPrefix(rawKey, RawPrefix)
	if !ok || strings.HasPrefix(path, "_") {
		return bad("not under raw/")
	}
	parts := strings.Split(path, "/")
	switch {
	case parts[0] == "events" && len(parts) == 4:
		rest = strings.Join(parts[1:], "/")
	case parts[0] == "fakestore" && len(parts) == 4:
		rest = strings.Join(parts[2:], "/")
	default:
		return bad("want raw/events/dt=<date>/hr=<HH>/<file> or raw/fakestore/<entity>/dt=<date>/<file>")
	}
	d, ok := PartitionDate(rawKey)
	if !ok || !strings.HasPrefix(rest, "dt=") {
		return bad("no dt= partition")
	}
	if _, err := time.Parse(DateFormat, d); err != nil {
		return bad("dt=" + d + " is not a date")
	}
	return path, rest, nil
}

// StagedKey is the manifest of the staging of rawKey:
// staging/_staged/<rawKey without raw/>.json.
func StagedKey(rawKey string) (string, error) {
	path, _, err := stagedName(rawKey)
	if err != nil {
		return "", err
	}
	return StagedPrefix + path + ".json", nil
}

// StagingKey is the Parquet file of staging table table derived from
// rawKey: staging/<table>/<rawKey's path under its entity>.parquet
// (staging/events/dt=D/hr=H/<file>.parquet), or for table "quarantine",
// quarantine/transform/<entity>/<the same path>.parquet.
func StagingKey(table, entity, rawKey string) (string, error) {
	_, rest, err := stagedName(rawKey)
	if err != nil {
		return "", err
	}
	var k string
	if table == "quarantine" {
		k = QuarantineTransform + entity + "/" + rest + ".parquet"
	} else {
		k = StagingPrefix + table + "/" + rest + ".parquet"
	}
	return k, ValidateKey(k)
}

// Validate says what is wrong with s, in plain words.
func (s Staged) Validate() error {
	if s.Format != StagedFormat {
		return fmt.Errorf("staging manifest format %d, this build reads %d", s.Format, StagedFormat)
	}
	if _, _, err := stagedName(s.RawKey); err != nil {
		return fmt.Errorf("staging manifest of %q: %w", s.RawKey, err)
	}
	if !hexSHA256.MatchString(s.RawSHA256) {
		return fmt.Errorf("staging manifest of %s: raw_sha256 %q is not a SHA-256", s.RawKey, s.RawSHA256)
	}
	if s.Rules == "" {
		return fmt.Errorf("staging manifest of %s names no rules", s.RawKey)
	}
	for _, f := range s.Files {
		if !hexSHA256.MatchString(f.SHA256) || f.Rows < 0 || f.Bytes <= 0 {
			return fmt.Errorf("staging manifest of %s: file %q has sha256 %q, %d rows, %d bytes", s.RawKey, f.Key, f.SHA256, f.Rows, f.Bytes)
		}
		if err := ValidatePart(f.Table); err != nil {
			return fmt.Errorf("staging manifest of %s: table: %w", s.RawKey, err)
		}
		if !strings.HasPrefix(f.Key, StagingPrefix+f.Table+"/") && !strings.HasPrefix(f.Key, QuarantineTransform) {
			return fmt.Errorf("staging manifest of %s names %q, outside STAGING and the transform's QUARANTINE", s.RawKey, f.Key)
		}
		if err := ValidateKey(f.Key); err != nil {
			return err
		}
	}
	return nil
}

// Encode returns s's bytes: indented JSON, the same bytes for the same
// manifest.
func (s Staged) Encode() ([]byte, error) { return EncodeDocument(s) }

// ParseStaged decodes the manifest read at key and checks that it is what
// its key says.
func ParseStaged(key string, body []byte) (Staged, error) {
	var s Staged
	if err := DecodeDocument(body, &s); err != nil {
		return s, fmt.Errorf("%s is not a staging manifest: %w", key, err)
	}
	if err := s.Validate(); err != nil {
		return s, fmt.Errorf("%s: %w", key, err)
	}
	if want, _ := StagedKey(s.RawKey); want != key {
		return s, fmt.Errorf("%s is the manifest of %s, which belongs at %s", key, s.RawKey, want)
	}
	return s, nil
}

// ErrConflict is returned when a key of a derived zone (STAGING, CURATED)
// already holds other bytes than the ones derived: the zone was written
// under other rules, or altered. Nothing is overwritten.
var ErrConflict = errors.New("holds other bytes than the ones derived")

// PutDerived writes body at key with a conditional put. An object already
// there with the same bytes is fine (written false): a derived object is
// the same every time it is derived. One with other bytes, or one that
// cannot be read back, is an error wrapping ErrConflict, naming the key.
// It is PutDerivedSpool of a body held in memory.
func PutDerived(ctx context.Context, store Writer, key string, body []byte) (written bool, err error) {
	s := NewSpool("", len(body)+1) // in memory: the body is already there
	defer s.Close()
	if _, err := s.Write(body); err != nil {
		return false, fmt.Errorf("write %s: %w", key, err)
	}
	return PutDerivedSpool(ctx, store, key, s)
}

// PutDerivedSpool is PutDerived with the body of s, sent from its file
// when the store is a BodyPutter and compared, when the key already holds
// an object, by the SHA-256 of a stream of that object: a derived file of
// any size is written and checked without being held in memory.
func PutDerivedSpool(ctx context.Context, store Writer, key string, s *Spool) (written bool, err error) {
	var perr error
	if bp, ok := store.(BodyPutter); ok && !s.InMemory() {
		b, err := s.Body()
		if err != nil {
			return false, fmt.Errorf("write %s: %w", key, err)
		}
		perr = bp.PutBodyIfAbsent(ctx, key, b)
	} else {
		b, err := s.Bytes()
		if err != nil {
			return false, fmt.Errorf("write %s: %w", key, err)
		}
		perr = store.PutIfAbsent(ctx, key, b)
	}
	switch {
	case perr == nil:
		return true, nil
	case !errors.Is(perr, ErrExists):
		return false, fmt.Errorf("write %s: %w", key, perr)
	}
	h := sha256.New()
	rc, err := OpenObject(ctx, store, key)
	if err == nil {
		_, err = io.Copy(h, rc)
		rc.Close()
	}
	var ce *ChecksumError
	switch {
	case errors.As(err, &ce):
		return false, fmt.Errorf("%s %w: it is %s", key, ErrConflict, ce.Reason())
	case err != nil:
		return false, fmt.Errorf("read back %s: %w", key, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != s.SHA256() {
		return false, fmt.Errorf("%s %w (sha256 %s, derived %s)", key, ErrConflict, got, s.SHA256())
	}
	return false, nil
}

// Writer is what writing a derived zone needs of a store.
type Writer interface {
	PutIfAbsent(ctx context.Context, key string, body []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
}
