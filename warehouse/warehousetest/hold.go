package warehousetest

import (
	"bufio"
	"context"
	"os"
	osexec "os/exec"
	"testing"

	"github.com/shoplake/shoplake/warehouse"
)

// holdEnv names the DuckDB file that ServeHold opens for writing, in the
// child process HoldWriter starts. Not SHOPLAKE_-prefixed: the
// configuration rejects unknown SHOPLAKE_ variables.
const holdEnv = "TEST_SHOPLAKE_HOLD_WAREHOUSE"

// HoldWriter opens the DuckDB warehouse at path for writing in a process of
// its own, as a running transform does (DuckDB's lock is per process), and
// holds it until done is called or tb ends. The test binary must define
//
//	func TestHelperHoldWarehouse(t *testing.T) { warehousetest.ServeHold(t) }
//
// which HoldWriter runs as the child.
func HoldWriter(tb testing.TB, path string) (done func()) {
	tb.Helper()
	cmd := osexec.Command(os.Args[0], "-test.run=^TestHelperHoldWarehouse$")
	cmd.Env = append(os.Environ(), holdEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	done = func() {
		stdin.Close()
		_ = cmd.Wait()
	}
	tb.Cleanup(done)
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "ready\n" {
		tb.Fatalf("helper process: %q, %v", line, err)
	}
	return done
}

// ServeHold is the child of HoldWriter: it opens the warehouse named by the
// parent for writing, says "ready" and holds it until its stdin closes.
// Run as an ordinary test, it skips.
func ServeHold(t *testing.T) {
	path := os.Getenv(holdEnv)
	if path == "" {
		t.Skip("helper process of warehousetest.HoldWriter")
	}
	w, err := warehouse.Open(context.Background(), path, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	os.Stdout.WriteString("ready\n")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
}
