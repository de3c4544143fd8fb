package lake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// RawPruned holds the prune records: what shoplake prune deleted from RAW,
// so that the lake still says where those records are. A RAW object is
// pruned only once its staging is in the lake, so a record is what lets a
// warehouse rebuilt from the lake load the object from STAGING (its RAW
// gone), and what lets verify tell a pruned object from a lost one.
const RawPruned = RawPrefix + "_pruned/"

// PrunedFormat is the version of the prune record written here.
const PrunedFormat = 1

// Pruned is one prune record: the RAW objects one prune deleted, written
// with a conditional put before the first of them is deleted, under a key
// derived from its own bytes (PrunedKey). It is never deleted.
type Pruned struct {
	Format int `json:"format"` // PrunedFormat
	// PrunedAt is the prune's clock (RFC 3339, UTC), as given to it.
	PrunedAt string         `json:"pruned_at"`
	Objects  []PrunedObject `json:"objects"` // sorted by key
	Policy   Retention      `json:"policy"`
}

// PrunedObject is one RAW object a prune deleted: its key, the SHA-256 and
// size it had, and the staging manifest that holds its records.
type PrunedObject struct {
	Key      string `json:"key"`
	SHA256   string `json:"sha256"`
	Bytes    int64  `json:"bytes"`
	StagedBy string `json:"staged_by"`
}

// Validate says what is wrong with p, in plain words.
func (p Pruned) Validate() error {
	if p.Format != PrunedFormat {
		return fmt.Errorf("prune record format %d, this build reads %d", p.Format, PrunedFormat)
	}
	if _, err := time.Parse(time.RFC3339, p.PrunedAt); err != nil {
		return fmt.Errorf("prune record: pruned_at %q is not an RFC 3339 time", p.PrunedAt)
	}
	if len(p.Objects) == 0 {
		return errors.New("prune record names no object")
	}
	for _, o := range p.Objects {
		mkey, err := StagedKey(o.Key)
		if err != nil {
			return fmt.Errorf("prune record: %w", err)
		}
		if !hexSHA256.MatchString(o.SHA256) || o.Bytes < 0 || o.StagedBy != mkey {
			return fmt.Errorf("prune record: %s has sha256 %q, %d bytes, staged by %q (want %s)", o.Key, o.SHA256, o.Bytes, o.StagedBy, mkey)
		}
	}
	return nil
}

// PrunedKey is where the prune record whose bytes are body is kept:
// raw/_pruned/dt=<date of the prune>/<sha256 of body>.json.
func PrunedKey(at time.Time, body []byte) (string, error) {
	sum := sha256.Sum256(body)
	k := fmt.Sprintf("%sdt=%s/%s.json", RawPruned, at.UTC().Format(DateFormat), hex.EncodeToString(sum[:]))
	return k, ValidateKey(k)
}

// WritePruned validates p, sorts its objects and writes it with a
// conditional put; the same record written twice is written once.
func WritePruned(ctx context.Context, store Writer, p Pruned) (string, error) {
	p.Objects = append([]PrunedObject(nil), p.Objects...)
	sort.Slice(p.Objects, func(i, j int) bool { return p.Objects[i].Key < p.Objects[j].Key })
	if err := p.Validate(); err != nil {
		return "", fmt.Errorf("write prune record: %w", err)
	}
	body, err := EncodeDocument(p)
	if err != nil {
		return "", fmt.Errorf("write prune record: %w", err)
	}
	at, _ := time.Parse(time.RFC3339, p.PrunedAt)
	key, err := PrunedKey(at, body)
	if err != nil {
		return "", err
	}
	if err := store.PutIfAbsent(ctx, key, body); err != nil && !errors.Is(err, ErrExists) {
		return key, fmt.Errorf("write prune record %s: %w", key, err)
	}
	return key, nil
}

// PruneRecords are the prune records read from the lake.
type PruneRecords struct {
	// Objects maps each pruned RAW key to what its record says (the
	// latest record's, when two name it).
	Objects map[string]PrunedObject
	// Bad are the objects under RawPruned that are not a valid record:
	// the objects they would name are not known to be pruned.
	Bad []BadDocument
}

// BadDocument is an object under one of the lake's document prefixes that
// is not a valid document of its kind, and why.
type BadDocument struct {
	Info   ObjectInfo
	Reason string
	Err    error // the read error, for a body that failed its checksum
}

// ReadPruneRecords reads every prune record. The error is a listing or a
// read that failed for another reason than the object's.
func ReadPruneRecords(ctx context.Context, r Reader) (PruneRecords, error) {
	infos, err := r.List(ctx, RawPruned)
	if err != nil {
		return PruneRecords{}, fmt.Errorf("list prune records %s: %w", RawPruned, err)
	}
	out := PruneRecords{Objects: map[string]PrunedObject{}}
	for _, info := range infos {
		body, err := r.Get(ctx, info.Key)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err := out.Add(info, body, err); err != nil {
			return out, err
		}
	}
	return out, nil
}

// Add files one object read under RawPruned (its body, or the error of its
// read). A read error that is not the object's is returned.
func (p *PruneRecords) Add(info ObjectInfo, body []byte, readErr error) error {
	if p.Objects == nil {
		p.Objects = map[string]PrunedObject{}
	}
	var ce *ChecksumError
	switch {
	case errors.As(readErr, &ce):
		p.Bad = append(p.Bad, BadDocument{Info: info, Reason: ce.Reason(), Err: readErr})
		return nil
	case readErr != nil:
		return fmt.Errorf("read prune record %s: %w", info.Key, readErr)
	}
	var rec Pruned
	reason := ""
	if err := DecodeDocument(body, &rec); err != nil {
		reason = "not a prune record: " + err.Error()
	} else if err := rec.Validate(); err != nil {
		reason = "not a valid prune record: " + err.Error()
	} else if at, _ := time.Parse(time.RFC3339, rec.PrunedAt); !strings.HasSuffix(info.Key, "/"+sha256Hex(body)+".json") ||
		!strings.HasPrefix(info.Key, RawPruned+"dt="+at.UTC().Format(DateFormat)+"/") {
		reason = "not what its key says (raw/_pruned/dt=<date pruned>/<sha256 of the record>.json)"
	}
	if reason != "" {
		p.Bad = append(p.Bad, BadDocument{Info: info, Reason: reason})
		return nil
	}
	for _, o := range rec.Objects {
		p.Objects[o.Key] = o
	}
	return nil
}
