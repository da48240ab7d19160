package policy

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/parley-chat/parley/server/quiet"
)

// Errors of the package. Their texts are written for the admin at the
// terminal; the errors returned wrap them with the detail.
var (
	// ErrInvalid is bad input: an unknown key, a value of the wrong type,
	// an individual value for a key that takes none.
	ErrInvalid = errors.New("invalid policy")
	// ErrUnknownUser is a user who is not in the tenant.
	ErrUnknownUser = errors.New("no such user in this tenant")
)

// invalidError is bad input: errors.Is(err, ErrInvalid) holds, and its
// text says only what is wrong.
type invalidError struct{ msg string }

func (e *invalidError) Error() string { return e.msg }
func (e *invalidError) Is(target error) bool {
	return target == ErrInvalid
}

// Invalidf is bad input found outside the registry (such as a value
// above the operator's ceiling): errors.Is(err, ErrInvalid) holds, and
// its text is the formatted message alone.
func Invalidf(format string, args ...any) error { return invalid(format, args...) }

func invalid(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

// unknownKey refuses a name that is not in the registry.
func unknownKey(name string) error {
	return invalid("unknown policy key %q: policy keys and docs/policies.md list the keys", clip(name))
}

// Source is the level a value in effect comes from.
type Source string

// The levels, lowest first.
const (
	SourceDefault    Source = "default"
	SourceGlobal     Source = "global"
	SourceIndividual Source = "individual"
)

// Value is a key's value in effect, and where it comes from.
type Value struct {
	Key string `json:"key"`
	// Raw is the canonical text (Key.Normalize).
	Raw    string `json:"value"`
	Source Source `json:"source"`
}

// Values are the values in effect for a tenant or a user, by key.
type Values map[string]Value

// raw returns the value of key: the one in v, else the registry's default.
func (v Values) raw(key string) string {
	if x, ok := v[key]; ok {
		return x.Raw
	}
	k, _ := Lookup(key)
	return k.Default
}

// Bool reports whether the key is "true".
func (v Values) Bool(key string) bool { return v.raw(key) == "true" }

// Int returns an integer key's value (0 if it is none).
func (v Values) Int(key string) int64 {
	n, _ := strconv.ParseInt(v.raw(key), 10, 64)
	return n
}

// String returns the key's canonical text.
func (v Values) String(key string) string { return v.raw(key) }

// Duration returns a duration key's value (0 if it is none).
func (v Values) Duration(key string) time.Duration {
	d, _ := time.ParseDuration(v.raw(key))
	return d
}

// List returns the names of a tenants key ("a,b" → [a b]); nil for none.
func (v Values) List(key string) []string {
	raw := v.raw(key)
	if raw == "" {
		return nil
	}
	return strings.Split(raw, ",")
}

// Expect describes the values the key takes, for help texts and errors:
// "a bool: true or false".
func (k Key) Expect() string {
	switch k.Type {
	case TypeBool:
		return "a bool: true or false"
	case TypeInt:
		if k.Min != 0 || k.Max != 0 {
			return fmt.Sprintf("an int from %d to %d", k.Min, k.Max)
		}
		return "an int"
	case TypeString:
		return fmt.Sprintf("a string of at most %d characters on one line", MaxStringLen)
	case TypeEnum:
		return "one of: " + strings.Join(k.Enum, ", ")
	case TypeDuration:
		if k.Min != 0 || k.Max != 0 {
			return fmt.Sprintf("a duration from %s to %s, like 15m or 1h30m", shortDuration(time.Duration(k.Min)), shortDuration(time.Duration(k.Max)))
		}
		return "a duration, like 15m or 1h30m"
	case TypeSchedule:
		return `a schedule: "ZONE SPEC" like "Europe/Zurich Mon-Fri 18:00-08:00; Sat,Sun all-day", or empty for none`
	case TypeTenants:
		return "a list of tenant names separated by commas, or empty for none"
	}
	return string(k.Type)
}

// shortDuration prints whole minutes and hours without trailing zero units.
func shortDuration(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	return strings.TrimSuffix(s, "0m")
}

// Normalize checks that value fits the key's type and returns its
// canonical text ("true"/"false", "15m0s", ...). The error names the
// expected type. A tenants value is checked for form only: SetTx checks
// that the tenants exist.
func (k Key) Normalize(value string) (string, error) {
	v := strings.TrimSpace(value)
	bad := func() error {
		return invalid("%s takes %s (got %q)", k.Name, k.Expect(), clip(value))
	}
	switch k.Type {
	case TypeBool:
		switch strings.ToLower(v) {
		case "true", "yes", "on", "1":
			return "true", nil
		case "false", "no", "off", "0":
			return "false", nil
		}
		return "", bad()
	case TypeInt:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || (k.Min != 0 || k.Max != 0) && (n < k.Min || n > k.Max) {
			return "", bad()
		}
		return strconv.FormatInt(n, 10), nil
	case TypeString:
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > MaxStringLen ||
			strings.ContainsFunc(v, unicode.IsControl) {
			return "", bad()
		}
		return v, nil
	case TypeEnum:
		for _, e := range k.Enum {
			if strings.EqualFold(v, e) {
				return e, nil
			}
		}
		return "", bad()
	case TypeDuration:
		d, err := time.ParseDuration(v)
		if err != nil || (k.Min != 0 || k.Max != 0) && (int64(d) < k.Min || int64(d) > k.Max) {
			return "", bad()
		}
		return d.String(), nil
	case TypeSchedule:
		s, err := quiet.ParseValue(v)
		if err != nil {
			return "", invalid("%s takes %s: %v", k.Name, k.Expect(), err)
		}
		return s.Value(), nil
	case TypeTenants:
		names, err := tenantNames(v)
		if err != nil {
			return "", invalid("%s takes %s: %v", k.Name, k.Expect(), err)
		}
		return strings.Join(names, ","), nil
	}
	return "", bad()
}

// tenantNames splits a tenants value into sorted, distinct, lower-case
// names.
func tenantNames(v string) ([]string, error) {
	var out []string
	for n := range strings.SplitSeq(v, ",") {
		n = strings.ToLower(strings.TrimSpace(n))
		switch {
		case n == "":
			continue
		case strings.ContainsFunc(n, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
			return nil, fmt.Errorf("%q is not a tenant name", clip(n))
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// clip shortens input quoted back in an error.
func clip(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}

// Typed returns the value as JSON should carry it: a bool for TypeBool, an
// int64 for TypeInt, the canonical text for every other type (and for a
// value that does not parse).
func (v Value) Typed() any {
	k, _ := Lookup(v.Key)
	return k.typed(v.Raw)
}

// typed converts canonical text of the key's type for JSON.
func (k Key) typed(raw string) any {
	switch k.Type {
	case TypeBool:
		if b, err := strconv.ParseBool(raw); err == nil {
			return b
		}
	case TypeInt:
		if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
			return n
		}
	}
	return raw
}

// TypedDefault returns the key's default as Typed does.
func (k Key) TypedDefault() any { return k.typed(k.Default) }
