package lake_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/lake/laketest"
)

// TestSpool: a body written piece by piece is held in memory up to the
// threshold and in a file beyond it; either way the store gets the same
// bytes, with their SHA-256 recorded, whether it takes the body from the
// file (S3Store) or only as bytes; a second put of the key is ErrExists;
// Close removes the file.
func TestSpool(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, _ := laketest.NewStoreInDir(t, t.TempDir())
	var want bytes.Buffer
	for i := 0; i < 1000; i++ {
		want.WriteString(`{"id":` + string(rune('0'+i%10)) + `},`)
	}
	for _, tc := range []struct {
		name      string
		threshold int
		store     lake.Store
		inMemory  bool
	}{
		{"Memory", 1 << 20, store, true},
		{"File", 1 << 10, store, false},
		{"FileToBytesOnlyStore", 1 << 10, struct{ lake.Store }{store}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := lake.NewSpool(dir, tc.threshold)
			for b := want.Bytes(); len(b) > 0; {
				n := min(len(b), 700)
				if _, err := s.Write(b[:n]); err != nil {
					t.Fatal(err)
				}
				b = b[n:]
			}
			if s.InMemory() != tc.inMemory {
				t.Fatalf("InMemory = %v, want %v", s.InMemory(), tc.inMemory)
			}
			sum := sha256.Sum256(want.Bytes())
			if s.SHA256() != hex.EncodeToString(sum[:]) || s.Size() != int64(want.Len()) {
				t.Fatalf("spool says sha256 %s, %d bytes; want %x, %d", s.SHA256(), s.Size(), sum, want.Len())
			}
			key := "raw/t/" + tc.name + ".json"
			if err := lake.PutSpoolIfAbsent(ctx, tc.store, key, s); err != nil {
				t.Fatal(err)
			}
			if got, err := store.Get(ctx, key); err != nil || !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("read back %d bytes, %v; want the %d written", len(got), err, want.Len())
			}
			if err := lake.PutSpoolIfAbsent(ctx, tc.store, key, s); !errors.Is(err, lake.ErrExists) {
				t.Fatalf("second put: %v, want ErrExists", err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) > 0 {
				t.Fatalf("Close left %q", left)
			}
		})
	}
}

// TestS3Store_Open: the stream gives the bytes Get gives; a body changed
// behind the store's back ends in the *ChecksumError Get returns; a
// missing key is ErrNotFound.
func TestS3Store_Open(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, _ := laketest.NewStoreInDir(t, dir)
	key := "raw/t/a.json"
	body := bytes.Repeat([]byte("0123456789"), 100_000)
	if err := store.PutIfAbsent(ctx, key, body); err != nil {
		t.Fatal(err)
	}
	read := func() ([]byte, error) {
		r, err := store.Open(ctx, key)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return io.ReadAll(r)
	}
	if got, err := read(); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("Open read %d bytes, %v; want the %d written", len(got), err, len(body))
	}
	p := filepath.Join(dir, "buckets", laketest.Bucket, filepath.FromSlash(key))
	damaged := bytes.Clone(body)
	damaged[len(damaged)-1] = 'x'
	if err := os.WriteFile(p, damaged, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := read()
	var ce *lake.ChecksumError
	if !errors.As(err, &ce) || !errors.Is(err, lake.ErrChecksum) {
		t.Fatalf("Open of a damaged object: %v, want a *ChecksumError", err)
	}
	_, gerr := store.Get(ctx, key)
	var gce *lake.ChecksumError
	if !errors.As(gerr, &gce) || ce.Error() != gce.Error() || !bytes.Equal(ce.Head, gce.Head) || ce.Size != gce.Size {
		t.Fatalf("Open's error %v (head %q), Get's %v (head %q)", ce, ce.Head, gerr, gce.Head)
	}
	if _, err := store.Open(ctx, "raw/t/none.json"); !errors.Is(err, lake.ErrNotFound) {
		t.Fatalf("Open of a missing key: %v, want ErrNotFound", err)
	}
}

// TestPutDerivedSpool: a file adopted by SpoolFile is written from its
// file (or as bytes to a store that only takes bytes); put again, the same
// bytes are found equal (written false) by a stream of the stored object;
// other bytes at the key, or an object damaged behind the store's back,
// are ErrConflict naming the key; Close removes the adopted file.
func TestPutDerivedSpool(t *testing.T) {
	ctx := context.Background()
	storeDir := t.TempDir()
	store, _ := laketest.NewStoreInDir(t, storeDir)
	body := bytes.Repeat([]byte("PAR1 derived "), 200_000)
	adopt := func(b []byte) *lake.Spool {
		t.Helper()
		p := filepath.Join(t.TempDir(), "out.parquet")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := lake.SpoolFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if s.Path() != p || s.InMemory() || s.Size() != int64(len(b)) || s.SHA256() != hex.EncodeToString(sum[:]) {
			t.Fatalf("SpoolFile: path %q, %d bytes, sha256 %s; want %q, %d, %x", s.Path(), s.Size(), s.SHA256(), p, len(b), sum)
		}
		return s
	}
	for name, st := range map[string]lake.Store{"BodyPutter": store, "BytesOnly": struct{ lake.Store }{store}} {
		t.Run(name, func(t *testing.T) {
			key := "staging/events/dt=2026-01-05/" + name + ".parquet"
			s := adopt(body)
			if written, err := lake.PutDerivedSpool(ctx, st, key, s); err != nil || !written {
				t.Fatalf("first put: written %v, %v", written, err)
			}
			if got, err := store.Get(ctx, key); err != nil || !bytes.Equal(got, body) {
				t.Fatalf("read back %d bytes, %v; want the %d written", len(got), err, len(body))
			}
			if written, err := lake.PutDerivedSpool(ctx, st, key, s); err != nil || written {
				t.Fatalf("same bytes again: written %v, %v; want false, nil", written, err)
			}
			other := adopt(append(bytes.Clone(body), '!'))
			if _, err := lake.PutDerivedSpool(ctx, st, key, other); !errors.Is(err, lake.ErrConflict) || !bytes.Contains([]byte(err.Error()), []byte(key)) {
				t.Fatalf("other bytes: %v, want ErrConflict naming %s", err, key)
			}
			p := filepath.Join(storeDir, "buckets", laketest.Bucket, filepath.FromSlash(key))
			damaged := bytes.Clone(body)
			damaged[0] = 'X'
			if err := os.WriteFile(p, damaged, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := lake.PutDerivedSpool(ctx, st, key, s); !errors.Is(err, lake.ErrConflict) {
				t.Fatalf("damaged object: %v, want ErrConflict", err)
			}
			path := s.Path()
			if err := errors.Join(s.Close(), other.Close()); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("Close left the adopted file: %v", err)
			}
		})
	}
	if _, err := lake.SpoolFile(filepath.Join(t.TempDir(), "none.parquet")); err == nil {
		t.Fatal("SpoolFile of a missing file: no error")
	}
}
