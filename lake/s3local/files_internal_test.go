package s3local

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/clock"
)

// TestFileBackend_NamesFile: a file whose metadata gofakes3 cannot read is
// not adopted (its recorded metadata may matter); the listing's error names
// the file and what to do, instead of an unnamed 500.
func TestFileBackend_NamesFile(t *testing.T) {
	dir := t.TempDir()
	srv, err := New(dir, clock.NewSim(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	do := func(method, path string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, ts.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, b.String()
	}
	if code, body := do(http.MethodPut, "/bkt"); code != http.StatusOK {
		t.Fatalf("create bucket: %d %s", code, body)
	}
	file := filepath.Join(dir, "buckets", "bkt", "raw", "x.json")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("[]"), 0o644); err != nil {
		t.Fatal(err)
	}
	fb := &fileBackend{dir: dir}
	mp := fb.metaPath("bkt", "raw/x.json")
	if err := os.MkdirAll(filepath.Dir(mp), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mp, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, body := do(http.MethodGet, "/bkt?list-type=2&prefix=raw/")
	if code != http.StatusInternalServerError || !strings.Contains(body, file) || !strings.Contains(body, "move the file out of the lake folder") {
		t.Fatalf("list: %d %s; want a 500 naming %s and what to do", code, body, file)
	}
}
