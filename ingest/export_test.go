package ingest

import "testing"

// SetSpoolMemory sets, for the test, the most of a list held in memory
// before it goes to a temporary file.
func SetSpoolMemory(tb testing.TB, n int) {
	old := spoolMemory
	spoolMemory = n
	tb.Cleanup(func() { spoolMemory = old })
}
