package lake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// RawCommitsFakestore is the prefix of the commits of FakeStore snapshots.
const RawCommitsFakestore = "raw/_commits/fakestore/"

// CommitFormat is the version of the commit document written here.
const CommitFormat = 1

// Commit makes the RAW objects of one logical date's FakeStore snapshot
// visible, all together: the warehouse loads a FakeStore object only once a
// commit in the lake names it (with its SHA-256), whatever warehouse it is
// and whatever it recorded before. Ingestion writes a date's objects first
// and its commit last, with a conditional put, under a key derived from the
// commit's own bytes (CommitKey): a retry rewrites nothing, and a date
// committed again with other content (carts fetched again) gets a second
// commit beside the first. A date's committed objects are those of all its
// commits.
type Commit struct {
	Format int    `json:"format"` // CommitFormat
	Source string `json:"source"` // "fakestore"
	// Date is the logical date, YYYY-MM-DD.
	Date    string         `json:"date"`
	Objects []CommitObject `json:"objects"` // sorted by key
}

// CommitObject is one object of a commit.
type CommitObject struct {
	Entity string `json:"entity"`
	Key    string `json:"key"`
	SHA256 string `json:"sha256"`
	Rows   int    `json:"rows"`
	Bytes  int    `json:"bytes"`
}

var hexSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// NewCommit returns the commit of date's objects, sorted by key.
func NewCommit(date time.Time, objects []CommitObject) Commit {
	objs := append([]CommitObject(nil), objects...)
	sort.Slice(objs, func(i, j int) bool { return objs[i].Key < objs[j].Key })
	return Commit{Format: CommitFormat, Source: "fakestore", Date: date.UTC().Format(DateFormat), Objects: objs}
}

// Validate says what is wrong with c, in plain words: a format this build
// does not read, a date that is not one, an object outside the date's
// partition of its entity or with no SHA-256.
func (c Commit) Validate() error {
	if c.Format != CommitFormat {
		return fmt.Errorf("commit format %d, this build reads %d", c.Format, CommitFormat)
	}
	if c.Source != "fakestore" {
		return fmt.Errorf("commit of source %q, want fakestore", c.Source)
	}
	if _, err := time.Parse(DateFormat, c.Date); err != nil {
		return fmt.Errorf("commit date %q is not a date YYYY-MM-DD", c.Date)
	}
	if len(c.Objects) == 0 {
		return errors.New("commit names no object")
	}
	for _, o := range c.Objects {
		want := fmt.Sprintf("%s%s/dt=%s/%s.json", RawFakestore, o.Entity, c.Date, o.SHA256)
		if !hexSHA256.MatchString(o.SHA256) || o.Key != want {
			return fmt.Errorf("commit of %s names %q (sha256 %q): want an object %s<entity>/dt=%s/<sha256>.json", c.Date, o.Key, o.SHA256, RawFakestore, c.Date)
		}
		if err := ValidateKey(o.Key); err != nil {
			return err
		}
	}
	return nil
}

// Encode returns c's bytes: indented JSON, the same bytes for the same
// commit.
func (c Commit) Encode() ([]byte, error) { return EncodeDocument(c) }

// CommitKey is where the commit whose bytes are body is kept:
// raw/_commits/fakestore/dt=<date>/<sha256 of body>.json.
func CommitKey(date time.Time, body []byte) (string, error) {
	sum := sha256.Sum256(body)
	k := fmt.Sprintf("%sdt=%s/%s.json", RawCommitsFakestore, date.UTC().Format(DateFormat), hex.EncodeToString(sum[:]))
	return k, ValidateKey(k)
}

// WriteCommit validates c and writes it with a conditional put. It returns
// its key, and written false when the same commit was already there.
func WriteCommit(ctx context.Context, store Store, c Commit) (key string, written bool, err error) {
	if err := c.Validate(); err != nil {
		return "", false, fmt.Errorf("write commit: %w", err)
	}
	body, err := c.Encode()
	if err != nil {
		return "", false, fmt.Errorf("write commit of %s: %w", c.Date, err)
	}
	date, _ := time.Parse(DateFormat, c.Date)
	if key, err = CommitKey(date, body); err != nil {
		return "", false, err
	}
	switch err := store.PutIfAbsent(ctx, key, body); {
	case errors.Is(err, ErrExists):
		return key, false, nil
	case err != nil:
		return key, false, fmt.Errorf("write commit %s: %w", key, err)
	}
	return key, true, nil
}

// Reader is what reading commits needs of a store.
type Reader interface {
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
	Get(ctx context.Context, key string) ([]byte, error)
}

// Commits are the commits read from the lake: the valid ones, and those
// that could not be used, each with why.
type Commits struct {
	Valid []ReadCommit
	Bad   []BadCommit
}

// ReadCommit is one valid commit and the object that holds it.
type ReadCommit struct {
	Commit
	Info ObjectInfo
}

// BadCommit is an object under the commits' prefix that is not a valid
// commit: corrupt, not written by shoplake, not a commit document, or not
// what its key says. The objects it names are not committed by it.
type BadCommit struct {
	Info   ObjectInfo
	Reason string
	// Err is the read or parse error; Head the body's first HeadBytes
	// bytes when it could be read.
	Err  error
	Head []byte
}

// Keys returns the keys of the objects the valid commits name.
func (c Commits) Keys() map[string]bool {
	out := map[string]bool{}
	for _, rc := range c.Valid {
		for _, o := range rc.Objects {
			out[o.Key] = true
		}
	}
	return out
}

// Latest returns the latest date a valid commit commits; ok is false when
// there is none.
func (c Commits) Latest() (date time.Time, ok bool) {
	for _, rc := range c.Valid {
		d, err := time.Parse(DateFormat, rc.Date)
		if err == nil && (!ok || d.After(date)) {
			date, ok = d, true
		}
	}
	return date, ok
}

// ReadCommits reads the commits of date (of every date when date is zero).
// An object that is not a valid commit is in Bad, not an error: it commits
// nothing, and the callers say so (the warehouse sets it aside, verify
// reports it). The error is a listing or a read that failed for another
// reason than the object's (the network, the context).
func ReadCommits(ctx context.Context, r Reader, date time.Time) (Commits, error) {
	prefix := RawCommitsFakestore
	if !date.IsZero() {
		prefix += "dt=" + date.UTC().Format(DateFormat) + "/"
	}
	infos, err := r.List(ctx, prefix)
	if err != nil {
		return Commits{}, fmt.Errorf("list commits %s: %w", prefix, err)
	}
	return ReadCommitObjects(ctx, r, infos)
}

// ReadCommitObjects reads the commits of infos, listed already (by a caller
// that lists the commits' prefix for its own reasons), as ReadCommits does.
func ReadCommitObjects(ctx context.Context, r Reader, infos []ObjectInfo) (Commits, error) {
	var out Commits
	for _, info := range infos {
		body, err := r.Get(ctx, info.Key)
		if err := out.Add(info, body, err); err != nil {
			return out, err
		}
	}
	return out, nil
}

// Add files one object read under the commits' prefix (its body, or the
// error of its read) in Valid or Bad. A read error that is not the
// object's (not a checksum error) is returned.
func (c *Commits) Add(info ObjectInfo, body []byte, readErr error) error {
	var ce *ChecksumError
	switch {
	case errors.As(readErr, &ce):
		c.Bad = append(c.Bad, BadCommit{Info: info, Reason: ce.Reason(), Err: readErr, Head: ce.Head})
		return nil
	case readErr != nil:
		return fmt.Errorf("read commit %s: %w", info.Key, readErr)
	}
	commit, reason := parseCommit(info.Key, body)
	if reason != "" {
		c.Bad = append(c.Bad, BadCommit{Info: info, Reason: reason, Head: body[:min(len(body), HeadBytes)]})
		return nil
	}
	c.Valid = append(c.Valid, ReadCommit{Commit: commit, Info: info})
	return nil
}

// parseCommit decodes a commit read at key and checks that it is what its
// key says; the reason is "" when it is.
func parseCommit(key string, body []byte) (Commit, string) {
	var c Commit
	if err := DecodeDocument(body, &c); err != nil {
		return c, "not a commit document: " + err.Error()
	}
	if err := c.Validate(); err != nil {
		return c, "not a valid commit: " + err.Error()
	}
	date, _ := time.Parse(DateFormat, c.Date)
	want, err := CommitKey(date, body)
	if err != nil || want != key {
		return c, fmt.Sprintf("not what its key says: a commit of %s with these bytes is %s", c.Date, strings.TrimPrefix(want, RawCommitsFakestore))
	}
	return c, ""
}
