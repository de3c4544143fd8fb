package yamlstrict_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/internal/yamlstrict"
)

type world struct {
	Users int    `yaml:"users"`
	Days  int    `yaml:"days"`
	Zone  string `yaml:"time_zone,omitempty"`
}

type fault struct {
	Kind       string `yaml:"kind"`
	RetryAfter string `yaml:"retry_after"`
}

type doc struct {
	Name   string  `yaml:"name"`
	World  world   `yaml:"world"`
	Faults []fault `yaml:"faults"`
	Ok     bool    `yaml:"ok"`
}

func TestDecode(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     []string // each must appear
		none     []string // none may appear
	}{
		{"UnknownKeyNested", "name: a\nworld:\n  user: 3\n", []string{`line 3: unknown key "user" under world (did you mean "users"?)`, "the keys there are days, time_zone, users"}, []string{"main.world", "yamlstrict_test", "type"}},
		{"UnknownKeyInList", "faults:\n  - kind: x\n    RetryAfter: 2s\n", []string{`line 3: unknown key "RetryAfter" under faults[] (did you mean "retry_after"?)`}, []string{"yamlstrict_test.fault"}},
		{"UnknownTopLevel", "nmae: a\n", []string{`line 1: unknown key "nmae" at the top level (did you mean "name"?)`, "faults, name, ok, world"}, nil},
		{"NoGuessWhenFar", "colour: red\n", []string{`unknown key "colour" at the top level; the keys`}, []string{"did you mean"}},
		{"WrongType", "world:\n  users: many\n", []string{`line 2: "many" is not a whole number`}, []string{"!!str", "int"}},
		{"WrongBool", "ok: perhaps\n", []string{`line 1: "perhaps" is not true or false`}, nil},
		{"EveryProblem", "nmae: a\nworld:\n  days: x\n", []string{"line 1:", "line 3:"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var d doc
			err := yamlstrict.Decode([]byte(c.in), &d)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, n := range c.none {
				if strings.Contains(err.Error(), n) {
					t.Errorf("error %q contains %q", err, n)
				}
			}
		})
	}
	var d doc
	if err := yamlstrict.Decode(nil, &d); !errors.Is(err, yamlstrict.ErrEmpty) {
		t.Errorf("empty: %v, want ErrEmpty", err)
	}
	if err := yamlstrict.Decode([]byte("name: a\nworld: {users: 2, days: 1}\n"), &d); err != nil || d.World.Users != 2 {
		t.Errorf("a good document: %v, %+v", err, d)
	}
}
