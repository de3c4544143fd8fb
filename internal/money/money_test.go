package money_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/shoplake/shoplake/internal/money"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]money.Cents{
		"109.95": 10995, "22.3": 2230, "695": 69500, "0.5": 50, "-1.25": -125, "0": 0,
	} {
		got, err := money.Parse(in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if got != want {
			t.Fatalf("Parse(%q) = %d, want %d", in, got, want)
		}
	}
	for _, in := range []string{"", "1.234", "1e3", `"9.99"`, "abc", ".5", "5.", "-"} {
		if _, err := money.Parse(in); !errors.Is(err, money.ErrInvalid) {
			t.Fatalf("Parse(%q) err = %v, want ErrInvalid", in, err)
		}
	}
}

func TestCents_JSON(t *testing.T) {
	var v struct {
		Price money.Cents `json:"price"`
	}
	if err := json.Unmarshal([]byte(`{"price":22.3}`), &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"price":22.30}`; got != want {
		t.Fatalf("round trip = %s, want %s", got, want)
	}
	if err := json.Unmarshal([]byte(`{"price":"22.3"}`), &v); err == nil {
		t.Fatal("price as a string was accepted")
	}
	if got, want := money.Cents(-50).String(), "-0.50"; got != want {
		t.Fatalf("String() = %s, want %s", got, want)
	}
}
