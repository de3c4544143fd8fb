package s3local_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/lake/laketest"
)

// TestServer_ForeignFile drops plain files into the bucket's folder on disk,
// as a person or another program might, without gofakes3's metadata. The
// endpoint serves each as an object with no user metadata, as S3 serves an
// object another tool uploaded: listing still works and names it, a read
// returns its bytes and says that no SHA-256 was recorded, and a conditional
// put finds the key taken. The file itself is left as it was.
func TestServer_ForeignFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, _ := laketest.NewStoreInDir(t, dir)
	if err := store.PutIfAbsent(ctx, "raw/events/dt=2026-01-01/hr=00/s-0-1-2.ndjson.gz", []byte("ours")); err != nil {
		t.Fatal(err)
	}
	listed := "raw/events/dt=2026-01-01/hr=00/notes.txt"
	direct := "raw/events/dt=2026-01-01/hr=01/dropped.ndjson"
	for _, k := range []string{listed, direct} {
		p := filepath.Join(dir, "buckets", laketest.Bucket, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("hello from "+k), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("Get", func(t *testing.T) {
		// Read before any listing: the key is found without one.
		_, err := store.Get(ctx, direct)
		if !errors.Is(err, lake.ErrForeign) {
			t.Fatalf("Get of a dropped file: err = %v, want ErrForeign", err)
		}
		var ce *lake.ChecksumError
		if !errors.As(err, &ce) || string(ce.Head) != "hello from "+direct || ce.Size != int64(len("hello from "+direct)) {
			t.Fatalf("Get of a dropped file: err = %#v, want a ChecksumError with its bytes", err)
		}
	})
	t.Run("List", func(t *testing.T) {
		infos, err := store.List(ctx, "raw/")
		if err != nil {
			t.Fatalf("List with a dropped file: %v", err)
		}
		var keys []string
		for _, i := range infos {
			keys = append(keys, i.Key)
		}
		want := []string{listed, "raw/events/dt=2026-01-01/hr=00/s-0-1-2.ndjson.gz", direct}
		if len(keys) != len(want) {
			t.Fatalf("List = %v, want %v", keys, want)
		}
		for i := range want {
			if keys[i] != want[i] {
				t.Fatalf("List = %v, want %v", keys, want)
			}
		}
		if infos[0].ETag == "" {
			t.Fatalf("the dropped file has no ETag: %+v", infos[0])
		}
	})
	t.Run("PutIfAbsent", func(t *testing.T) {
		if err := store.PutIfAbsent(ctx, listed, []byte("x")); !errors.Is(err, lake.ErrExists) {
			t.Fatalf("PutIfAbsent over a dropped file: err = %v, want ErrExists", err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "buckets", laketest.Bucket, filepath.FromSlash(listed)))
		if err != nil || string(b) != "hello from "+listed {
			t.Fatalf("the dropped file changed: %q, %v", b, err)
		}
	})
}
