package config

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// EnvPrefix starts the name of every environment override.
const EnvPrefix = "SHOPLAKE_"

func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

func sortErrs(errs []error) {
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
}

// EnvNames lists every environment variable that overrides a field, sorted.
func EnvNames() []string {
	var names []string
	walkFields(reflect.ValueOf(&Config{}).Elem(), EnvPrefix, func(name string, _ reflect.Value) {
		names = append(names, name)
	})
	sort.Strings(names)
	return names
}

// applyEnv sets every field whose SHOPLAKE_ variable is present in environ.
// An unknown SHOPLAKE_ variable is an error, so that a typo is not ignored,
// unless the configuration file references it (referenced): ${SHOPLAKE_X}
// in a file is the file's own variable.
func applyEnv(c *Config, environ []string, referenced map[string]bool) error {
	env := envMap(environ)
	known := map[string]bool{}
	var errs []error
	walkFields(reflect.ValueOf(c).Elem(), EnvPrefix, func(name string, f reflect.Value) {
		known[name] = true
		v, ok := env[name]
		if !ok {
			return
		}
		if err := setField(f, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	})
	var unknown []string
	for k := range env {
		if strings.HasPrefix(k, EnvPrefix) && !known[k] && !referenced[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		errs = append(errs, fmt.Errorf("%s: unknown setting", k))
	}
	if len(errs) > 0 {
		return fmt.Errorf("environment overrides: %w", errors.Join(errs...))
	}
	return nil
}

func walkFields(v reflect.Value, prefix string, fn func(name string, f reflect.Value)) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		name := prefix + strings.ToUpper(tag)
		f := v.Field(i)
		if f.Kind() == reflect.Struct && f.Type() != reflect.TypeOf(time.Time{}) {
			walkFields(f, name+"_", fn)
			continue
		}
		fn(name, f)
	}
}

func setField(f reflect.Value, s string) error {
	if f.Type() == reflect.TypeOf(time.Duration(0)) {
		d, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		f.SetInt(int64(d))
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("want an integer, got %q", s)
		}
		f.SetInt(n)
	case reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return fmt.Errorf("want a non-negative integer, got %q", s)
		}
		f.SetUint(n)
	case reflect.Float64:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("want a number, got %q", s)
		}
		f.SetFloat(x)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want true or false, got %q", s)
		}
		f.SetBool(b)
	default:
		return fmt.Errorf("unsupported field kind %s", f.Kind())
	}
	return nil
}

// IsSecretVariable reports whether the variable name holds a secret whose
// value must not be printed (the email hash key, a DSN with its password).
func IsSecretVariable(name string) bool {
	return name == EnvPrefix+"WAREHOUSE_EMAIL_HASH_KEY" || name == EnvPrefix+"WAREHOUSE_DSN"
}
