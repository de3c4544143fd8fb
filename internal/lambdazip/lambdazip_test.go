package lambdazip_test

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/elf"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoplake/shoplake/internal/lambdazip"
)

// consumer is the function make lambda packs.
const consumer = "github.com/shoplake/shoplake/cmd/shoplake-lambda"

func TestBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/shoplake-lambda twice")
	}
	t.Run("OK", func(t *testing.T) {
		dir := t.TempDir()
		first, second := filepath.Join(dir, "a", "shoplake-lambda.zip"), filepath.Join(dir, "b.zip")
		for _, out := range []string{first, second} {
			if err := lambdazip.Build(context.Background(), consumer, out); err != nil {
				t.Fatal(err)
			}
		}
		a, b := readFile(t, first), readFile(t, second)
		if !bytes.Equal(a, b) {
			t.Fatalf("two builds of the same source differ: %d and %d bytes", len(a), len(b))
		}

		zr, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(zr.File), 1; got != want {
			t.Fatalf("%d entries, want %d", got, want)
		}
		f := zr.File[0]
		if got, want := f.Name, "bootstrap"; got != want {
			t.Errorf("entry %q, want %q", got, want)
		}
		if got, want := f.Mode(), os.FileMode(0o755); got != want {
			t.Errorf("mode %v, want %v", got, want)
		}
		if got, want := f.Modified, lambdazip.ModTime; !got.Equal(want) {
			t.Errorf("modified %v, want %v", got, want)
		}

		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		exe, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		ef, err := elf.NewFile(bytes.NewReader(exe))
		if err != nil {
			t.Fatalf("bootstrap is not an ELF file: %v", err)
		}
		if got, want := ef.Machine, elf.EM_AARCH64; got != want {
			t.Errorf("machine %v, want %v", got, want)
		}
		if got, want := ef.Class, elf.ELFCLASS64; got != want {
			t.Errorf("class %v, want %v", got, want)
		}
		for _, p := range ef.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("bootstrap has a PT_INTERP program header: it is dynamically linked")
			}
		}
	})

	t.Run("ErrBuild", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out.zip")
		if err := lambdazip.Build(context.Background(), "github.com/shoplake/shoplake/cmd/no-such-command", out); err == nil {
			t.Fatal("Build of a missing package: no error")
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("a failed build left %s (stat: %v)", out, err)
		}
	})
}

func TestWrite(t *testing.T) {
	exe := []byte("\x7fELF not really")
	var a, b bytes.Buffer
	for _, w := range []*bytes.Buffer{&a, &b} {
		if err := lambdazip.Write(w, exe); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two writes of the same binary differ")
	}
	zr, err := zip.NewReader(bytes.NewReader(a.Bytes()), int64(a.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(zr.File), 1; got != want {
		t.Fatalf("%d entries, want %d", got, want)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, exe) {
		t.Errorf("entry holds %q, want %q", got, exe)
	}
}

func readFile(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
