package scenarios_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/shoplake/shoplake/scenarios"
)

// TestScenarios runs every scenario file of testdata/ and checks that it
// passes; then, over the whole suite, that every fault kind fired at least
// once (a "sometimes" check: a fault that never fires proves nothing).
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenario files: %v", err)
	}
	var mu sync.Mutex
	fired := map[scenarios.Kind]int{}
	t.Run("files", func(t *testing.T) {
		for _, f := range files {
			name := strings.TrimSuffix(filepath.Base(f), ".yaml")
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				sc, err := scenarios.Load(f)
				if err != nil {
					t.Fatal(err)
				}
				rep, err := scenarios.Run(context.Background(), sc, scenarios.RunOptions{})
				if err != nil {
					t.Fatal(err)
				}
				var b bytes.Buffer
				rep.WriteText(&b)
				if !rep.OK {
					t.Errorf("scenario failed:\n%s", b.String())
				} else {
					t.Log("\n" + b.String())
				}
				mu.Lock()
				defer mu.Unlock()
				for _, fr := range rep.Faults {
					fired[fr.Kind] += fr.Fired
				}
			})
		}
	})
	if t.Failed() {
		return
	}
	for _, k := range scenarios.Kinds() {
		if fired[k] == 0 {
			t.Errorf("fault kind %s never fired over the suite: add or fix its scenario file", k)
		}
	}
}
