package lake_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/lake/laketest"
)

func TestS3Store_PutIfAbsent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, _ := laketest.NewStoreInDir(t, dir)
	key := "raw/fakestore/users/dt=2026-01-01/abc.json"

	t.Run("OK", func(t *testing.T) {
		if err := store.PutIfAbsent(ctx, key, []byte(`[1]`)); err != nil {
			t.Fatal(err)
		}
		got, err := store.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != `[1]` {
			t.Fatalf("Get = %q, want [1]", got)
		}
	})
	t.Run("ErrExists", func(t *testing.T) {
		err := store.PutIfAbsent(ctx, key, []byte(`[2]`))
		if !errors.Is(err, lake.ErrExists) {
			t.Fatalf("second PutIfAbsent err = %v, want ErrExists", err)
		}
		got, err := store.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != `[1]` {
			t.Fatalf("object was overwritten: %q", got)
		}
	})
	t.Run("BrowsableOnDisk", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(dir, "buckets", laketest.Bucket, filepath.FromSlash(key)))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != `[1]` {
			t.Fatalf("file holds %q", b)
		}
	})
	t.Run("ErrChecksum", func(t *testing.T) {
		// A body changed behind the store's back (a torn or corrupted
		// write) is caught on read.
		p := filepath.Join(dir, "buckets", laketest.Bucket, filepath.FromSlash(key))
		if err := os.WriteFile(p, []byte(`[9]`), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Get(ctx, key); !errors.Is(err, lake.ErrChecksum) {
			t.Fatalf("Get of a corrupted object err = %v, want ErrChecksum", err)
		}
	})
}

func TestS3Store_Get(t *testing.T) {
	store := laketest.NewStore(t)
	if _, err := store.Get(context.Background(), "raw/none.json"); !errors.Is(err, lake.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func TestS3Store_List(t *testing.T) {
	ctx := context.Background()
	store := laketest.NewStore(t)
	for _, k := range []string{"raw/b/2.json", "raw/a/1.json", "raw/b/1.json", "other/x.json"} {
		if err := store.Put(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	infos, err := store.List(ctx, "raw/")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, i := range infos {
		keys = append(keys, i.Key)
	}
	if got, want := strings.Join(keys, ","), "raw/a/1.json,raw/b/1.json,raw/b/2.json"; got != want {
		t.Fatalf("List = %s, want %s", got, want)
	}
}

func TestKeys(t *testing.T) {
	day := time.Date(2026, 3, 4, 17, 5, 0, 0, time.UTC)
	k, err := lake.RawFakestoreKey("users", day, "ab12")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := k, "raw/fakestore/users/dt=2026-03-04/ab12.json"; got != want {
		t.Fatalf("RawFakestoreKey = %s, want %s", got, want)
	}
	k, err = lake.RawEventsKey(day, "clickstream", "shardId-000000000001", "100", "200")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := k, "raw/events/dt=2026-03-04/hr=17/clickstream-shardId-000000000001-100-200.ndjson.gz"; got != want {
		t.Fatalf("RawEventsKey = %s, want %s", got, want)
	}
	for _, bad := range []string{"../etc", "a/../b", "a b", "x\x00", "", "/abs", "quo'te"} {
		if _, err := lake.RawFakestoreKey(bad, day, "ab"); !errors.Is(err, lake.ErrInvalidKey) {
			t.Errorf("entity %q: err = %v, want ErrInvalidKey", bad, err)
		}
	}
}

func TestS3Store_PutIfMatch(t *testing.T) {
	ctx := context.Background()
	store := laketest.NewStore(t)
	key := "checkpoints/g/s/shardId-000000000000.json"

	tag1, err := store.PutIfMatch(ctx, key, []byte(`{"v":1}`), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ErrExists", func(t *testing.T) {
		if _, err := store.PutIfMatch(ctx, key, []byte(`{"v":9}`), ""); !errors.Is(err, lake.ErrExists) {
			t.Fatalf("create over an object: err = %v, want ErrExists", err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		body, tag, err := store.GetWithETag(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if string(body) != `{"v":1}` || tag != tag1 {
			t.Fatalf("GetWithETag = %s %s, want {\"v\":1} %s", body, tag, tag1)
		}
		tag2, err := store.PutIfMatch(ctx, key, []byte(`{"v":2}`), tag1)
		if err != nil {
			t.Fatal(err)
		}
		if tag2 == tag1 || tag2 == "" {
			t.Fatalf("new ETag %q, old %q", tag2, tag1)
		}
	})
	t.Run("ErrChanged", func(t *testing.T) {
		// A writer holding the first version's ETag cannot replace the second.
		if _, err := store.PutIfMatch(ctx, key, []byte(`{"v":"stale"}`), tag1); !errors.Is(err, lake.ErrChanged) {
			t.Fatalf("stale ETag: err = %v, want ErrChanged", err)
		}
		if _, err := store.PutIfMatch(ctx, "checkpoints/g/s/none.json", []byte(`{}`), tag1); !errors.Is(err, lake.ErrChanged) {
			t.Fatalf("If-Match on a missing object: err = %v, want ErrChanged", err)
		}
		got, err := store.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != `{"v":2}` {
			t.Fatalf("object = %s, want the second version", got)
		}
	})
}
