package main

import (
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary be the shoplake command of a testscript:
// scripts (testdata/script/*.txtar and the README's examples) run
// `shoplake ...` as a separate process of this very binary, through main,
// so exit codes and the split of stdout and stderr are the user's.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"shoplake": main})
}
