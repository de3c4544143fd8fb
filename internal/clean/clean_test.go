package clean_test

import (
	"testing"

	"github.com/shoplake/shoplake/internal/clean"
)

func TestCategory(t *testing.T) {
	for in, want := range map[string]string{
		"  Electronics ":         "electronics",
		"../electronics\x00\x00": "../electronics\uFFFD\uFFFD",
		"men's clothing":         "men's clothing",
		"bad\xffutf8":            "bad\uFFFDutf8",
	} {
		got, _ := clean.Category(in)
		if got != want {
			t.Errorf("Category(%q) = %q, want %q", in, got, want)
		}
	}
	if _, repaired := clean.Text("plain"); repaired {
		t.Error("plain text reported as repaired")
	}
	if _, repaired := clean.Text("a\x00"); !repaired {
		t.Error("NUL not reported as repaired")
	}
}
