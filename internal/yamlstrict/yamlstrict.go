// Package yamlstrict decodes the YAML files a user writes (scenarios, the
// configuration, FakeStore fault rules) refusing keys the target does not
// have, with errors in the file's words: the line, the key as written,
// where it stands, and the keys accepted there. No Go type name reaches the
// user.
package yamlstrict

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ErrEmpty is returned for a document with nothing in it.
var ErrEmpty = errors.New("the file is empty")

// Decode decodes the first YAML document of b into v (a pointer),
// refusing unknown keys. An error lists every problem, one per line,
// each with its line number.
func Decode(b []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	err := dec.Decode(v)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF):
		return ErrEmpty
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	types := typesOf(reflect.TypeOf(v))
	msgs := make([]string, len(te.Errors))
	for i, e := range te.Errors {
		msgs[i] = rewrite(e, types)
	}
	return errors.New(strings.Join(msgs, "; "))
}

var (
	unknownField = regexp.MustCompile(`^(line \d+): field (.+) not found in type (\S+)$`)
	cannot       = regexp.MustCompile("^(line \\d+): cannot unmarshal !!(\\w+) `(.*)` into (\\S+)$")
)

// place is where a struct type stands in the document ("world",
// "faults[]") and the keys it accepts.
type place struct {
	path string
	keys []string
}

// rewrite puts one of yaml.v3's messages in the file's words.
func rewrite(msg string, types map[string]place) string {
	if m := unknownField.FindStringSubmatch(msg); m != nil {
		p, ok := types[m[3]]
		if !ok {
			return fmt.Sprintf("%s: unknown key %q", m[1], m[2])
		}
		where := "at the top level"
		switch {
		case p.path == "[]":
			where = "in an item of the list"
		case p.path != "":
			where = "under " + p.path
		}
		hint := ""
		if close := closest(m[2], p.keys); close != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", close)
		}
		return fmt.Sprintf("%s: unknown key %q %s%s; the keys there are %s", m[1], m[2], where, hint, strings.Join(p.keys, ", "))
	}
	if m := cannot.FindStringSubmatch(msg); m != nil {
		want := m[4]
		switch {
		case strings.HasPrefix(want, "int"), strings.HasPrefix(want, "uint"):
			want = "a whole number"
		case strings.HasPrefix(want, "float"):
			want = "a number"
		case want == "bool":
			want = "true or false"
		case want == "string":
			want = "a text"
		case strings.HasPrefix(want, "[]"):
			want = "a list"
		case strings.HasPrefix(want, "map["):
			want = "a mapping of keys to values"
		default:
			want = "a mapping of keys to values"
			if m[2] == "seq" {
				want = "not a list here"
			}
		}
		return fmt.Sprintf("%s: %q is not %s", m[1], m[3], strings.TrimPrefix(want, "not "))
	}
	return msg
}

// closest returns the accepted key nearest to key when it is a likely
// typo (a case or underscore difference, or one letter off), else "".
func closest(key string, keys []string) string {
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }
	for _, k := range keys {
		if norm(k) == norm(key) {
			return k
		}
	}
	for _, k := range keys {
		if editDistance(norm(k), norm(key)) <= 1 {
			return k
		}
	}
	return ""
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of two neighbours count one each.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// typesOf maps the name yaml.v3 gives each struct type reachable from t
// ("scenarios.World") to where it first stands and the keys it accepts.
func typesOf(t reflect.Type) map[string]place {
	out := map[string]place{}
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Slice, reflect.Array:
			walk(t.Elem(), path+"[]")
			return
		case reflect.Map:
			walk(t.Elem(), path+".*")
			return
		case reflect.Struct:
		default:
			return
		}
		name := t.String()
		if _, seen := out[name]; seen {
			return
		}
		p := place{path: strings.TrimPrefix(path, ".")}
		out[name] = p
		var fields func(t reflect.Type, prefix string)
		fields = func(t reflect.Type, prefix string) {
			for f := range t.Fields() {
				if !f.IsExported() {
					continue
				}
				tag, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
				if tag == "-" {
					continue
				}
				if strings.Contains(opts, "inline") {
					fields(f.Type, prefix)
					continue
				}
				if tag == "" {
					tag = strings.ToLower(f.Name)
				}
				p.keys = append(p.keys, tag)
				walk(f.Type, prefix+"."+tag)
			}
		}
		fields(t, path)
		slices.Sort(p.keys)
		out[name] = p
	}
	walk(t, "")
	return out
}
