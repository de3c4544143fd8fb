// Package lambdazip builds the deployment package of a Go function for
// AWS Lambda's provided.al2023 runtime: a zip holding one file, bootstrap,
// a static linux/arm64 executable.
//
// The archive is reproducible: the binary is built with -trimpath and
// without VCS stamping, and the zip entry has a fixed mode and
// modification time, so that the same source and Go version give the same
// bytes (and CloudFormation sees no change to deploy).
package lambdazip

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// The entry of the archive: the name the provided runtimes execute, its
// mode and its fixed modification time (the first instant a zip's MS-DOS
// date can hold).
const (
	EntryName = "bootstrap"
	EntryMode = 0o755
)

// ModTime is the modification time of every entry.
var ModTime = time.Date(1980, time.January, 1, 0, 0, 0, 0, time.UTC)

// Build compiles the main package pkg (an import path, or a ./relative
// directory resolved from the current directory) for linux/arm64 without
// cgo, with the lambda.norpc tag, and writes the zip to outZip, creating
// its directory. outZip is replaced only once the archive is complete; on
// error it is left as it was. The error of a failed build carries go
// build's output.
func Build(ctx context.Context, pkg, outZip string) error {
	tmp, err := os.MkdirTemp("", "lambdazip-")
	if err != nil {
		return fmt.Errorf("build %s: %w", pkg, err)
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, EntryName)
	cmd := exec.CommandContext(ctx, "go", "build",
		"-tags", "lambda.norpc", "-trimpath", "-buildvcs=false", "-ldflags=-s -w",
		"-o", bin, pkg)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
	}
	exe, err := os.ReadFile(bin)
	if err != nil {
		return fmt.Errorf("read %s: %w", bin, err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, exe); err != nil {
		return err
	}
	return writeFile(outZip, buf.Bytes())
}

// Write writes a zip holding exe as the single entry bootstrap, mode
// 0755, modified at ModTime.
func Write(w io.Writer, exe []byte) error {
	zw := zip.NewWriter(w)
	h := &zip.FileHeader{Name: EntryName, Method: zip.Deflate, Modified: ModTime}
	h.SetMode(EntryMode)
	f, err := zw.CreateHeader(h)
	if err != nil {
		return fmt.Errorf("write zip: %w", err)
	}
	if _, err := f.Write(exe); err != nil {
		return fmt.Errorf("write zip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write zip: %w", err)
	}
	return nil
}

// writeFile writes b to path through a temporary file in the same
// directory, renamed into place.
func writeFile(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(f.Name()) // fails harmlessly after the rename
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
