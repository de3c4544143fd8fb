package lake

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// RecordCount counts the records of the NDJSON objects under a prefix, as
// they are in the lake.
type RecordCount struct {
	Prefix  string `json:"prefix"`
	Objects int    `json:"objects"` // listed and read whole
	// Records counts the non-blank lines of the objects that could be read.
	Records int `json:"records"`
	// Unreadable names the objects whose records are not counted, with
	// why: the body fails its checksum (corrupt, foreign), or does not
	// decompress.
	Unreadable []string `json:"unreadable,omitempty"`
}

// CountRecords reads every object under prefix and counts its records: the
// non-blank lines of its body, gunzipped when its key ends in ".gz" (RAW's
// raw/events/ and QUARANTINE's quarantine/events/ objects are gzip NDJSON).
// An object that fails its checksum or does not decompress is listed in
// Unreadable and its records are not counted; that is not an error. The
// error is for a failure to list or read (the network, the context). It
// changes nothing, and its cost is the size of the prefix.
func CountRecords(ctx context.Context, store Store, prefix string) (RecordCount, error) {
	rc := RecordCount{Prefix: prefix}
	infos, err := store.List(ctx, prefix)
	if err != nil {
		return RecordCount{}, fmt.Errorf("count records under %s: %w", prefix, err)
	}
	for _, info := range infos {
		body, err := store.Get(ctx, info.Key)
		switch {
		case errors.Is(err, ErrNotFound):
			continue // deleted since the listing
		case errors.Is(err, ErrChecksum):
			rc.Objects++
			rc.Unreadable = append(rc.Unreadable, info.Key+": "+checksumReason(err))
			continue
		case err != nil:
			return RecordCount{}, fmt.Errorf("count records under %s: %w", prefix, err)
		}
		rc.Objects++
		n, err := countLines(info.Key, body)
		if err != nil {
			rc.Unreadable = append(rc.Unreadable, info.Key+": "+err.Error())
			continue
		}
		rc.Records += n
	}
	return rc, nil
}

// checksumReason is the plain reason of a checksum error.
func checksumReason(err error) string {
	var ce *ChecksumError
	if errors.As(err, &ce) {
		return ce.Reason()
	}
	return err.Error()
}

// countLines counts the non-blank lines of body, gunzipped first when key
// ends in ".gz".
func countLines(key string, body []byte) (int, error) {
	var r io.Reader = bytes.NewReader(body)
	if strings.HasSuffix(key, ".gz") {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return 0, fmt.Errorf("not gzip: %w", err)
		}
		r = zr
	}
	n := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 8<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			n++
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read: %w", err)
	}
	return n, nil
}
