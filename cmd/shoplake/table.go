package main

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/shoplake/shoplake/internal/clean"
)

// table prints rows in aligned columns: text left, numbers right.
type table struct {
	head  []string
	right []bool // per column: align right
	rows  [][]string
}

// add appends a row. A cell with a character a terminal would act on
// (control characters, escapes, invalid UTF-8: data such as a product's
// category may hold any) is shown quoted, with those characters escaped.
func (t *table) add(cells ...string) {
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = clean.Display(c)
	}
	t.rows = append(t.rows, row)
}

func (t *table) print(w io.Writer) {
	width := make([]int, len(t.head))
	for _, r := range append([][]string{t.head}, t.rows...) {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	line := func(r []string) {
		var b strings.Builder
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if t.right[i] {
				b.WriteString(pad + c)
			} else if i < len(r)-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	line(t.head)
	for _, r := range t.rows {
		line(r)
	}
}

// report writes rep to w: indented JSON with asJSON (for a machine), else
// the table print makes of it (for a person).
func report[T any](w io.Writer, asJSON bool, rep T, print func(io.Writer, T)) error {
	if !asJSON {
		print(w, rep)
		return nil
	}
	return writeJSON(w, rep)
}

// writeJSON writes v as indented JSON, every nil list and map as [] and {}
// (docs/JSON.md: a list or a map is never null).
func writeJSON(w io.Writer, v any) error {
	rv := reflect.New(reflect.TypeOf(v)).Elem()
	rv.Set(reflect.ValueOf(v))
	emptyNotNull(rv)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rv.Interface())
}

// emptyNotNull replaces, in v and what it holds, every nil slice and map
// that can be set by an empty one. Bytes (json.RawMessage) are left as
// they are.
func emptyNotNull(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			emptyNotNull(v.Elem())
		}
	case reflect.Struct:
		t := v.Type()
		for i := range v.NumField() {
			if f := v.Field(i); t.Field(i).IsExported() && f.CanSet() {
				emptyNotNull(f)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		if v.IsNil() {
			if v.CanSet() {
				v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			}
			return
		}
		for i := range v.Len() {
			emptyNotNull(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			if v.CanSet() {
				v.Set(reflect.MakeMap(v.Type()))
			}
			return
		}
		for _, k := range v.MapKeys() {
			cp := reflect.New(v.Type().Elem()).Elem()
			cp.Set(v.MapIndex(k))
			emptyNotNull(cp)
			v.SetMapIndex(k, cp)
		}
	}
}
