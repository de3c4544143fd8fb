package s3local_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/lake/laketest"
)

// TestServer_PutIsAtomic sends bodies that do not match their Content-MD5
// (a byte changed in transit) or are cut short: the endpoint refuses each,
// as S3 does, and keeps nothing of it. The prefix still lists, the key is
// absent, and a whole write of it then succeeds. A small body is received
// in memory, a large one (3 MiB) in a temporary file, which is gone after
// the put either way.
func TestServer_PutIsAtomic(t *testing.T) {
	for _, size := range []int{1 << 10, 3 << 20} {
		t.Run(strconv.Itoa(size), func(t *testing.T) { testPutIsAtomic(t, size) })
	}
}

func testPutIsAtomic(t *testing.T, size int) {
	ctx := context.Background()
	dir := t.TempDir()
	store, url := laketest.NewStoreInDir(t, dir)
	body := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	sum := md5.Sum(body)
	damaged := bytes.Clone(body)
	damaged[len(damaged)-100] ^= 0x20
	for _, tc := range []struct {
		name   string
		sent   []byte
		length int
	}{
		{"BadChecksum", damaged, len(damaged)},
		{"Torn", body[:len(body)/2], len(body)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer noTempFiles(t, dir)
			key := "raw/t/" + tc.name + ".json"
			req, err := http.NewRequest(http.MethodPut, url+"/"+laketest.Bucket+"/"+key, &tornReader{b: tc.sent})
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = int64(tc.length)
			req.Header.Set("Content-Length", strconv.Itoa(tc.length))
			req.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode/100 == 2 {
					t.Fatalf("a damaged body was accepted: %s", resp.Status)
				}
			}
			infos, err := store.List(ctx, "raw/t/")
			if err != nil {
				t.Fatalf("list after a refused write: %v", err)
			}
			for _, i := range infos {
				if i.Key == key {
					t.Fatalf("the refused object is listed: %+v", i)
				}
			}
			if _, err := store.Get(ctx, key); !errors.Is(err, lake.ErrNotFound) {
				t.Fatalf("get after a refused write: %v, want ErrNotFound", err)
			}
			if err := store.PutIfAbsent(ctx, key, body); err != nil {
				t.Fatalf("a whole write after the refused one: %v", err)
			}
			if got, err := store.Get(ctx, key); err != nil || !bytes.Equal(got, body) {
				t.Fatalf("read back: %v", err)
			}
		})
	}
}

// noTempFiles fails the test if the endpoint left a file in <dir>/tmp,
// where it receives large bodies.
func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("%s left in the endpoint's temporary folder", e.Name())
	}
}

// tornReader yields b, then ends: with a larger Content-Length, the server
// sees the connection's body end early.
type tornReader struct{ b []byte }

func (r *tornReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, errors.New("connection dropped")
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}
