// Package flagfile reads a command's settings from a TOML file whose keys
// are the command's flag names (ssh-listen = "127.0.0.1:2222"), and writes
// a commented template of every flag at its default, generated from the
// flag set itself so that file and flags never drift apart.
//
// A file only fills flags that nothing else set: the caller applies the
// command line first, then the environment, then the file, so the order of
// precedence is defaults < file < environment < command line. The file
// holds flat top-level keys only; a key no flag has is an error naming it
// and its line. flagfile knows nothing of what the flags mean.
package flagfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/spf13/pflag"
)

// ErrNotFound is returned by Load when the file does not exist.
var ErrNotFound = errors.New("config file not found")

// Load reads the TOML file at path and applies it to fs (see Apply).
func Load(fs *pflag.FlagSet, path string, skip ...string) error {
	data, err := os.ReadFile(path) //nolint:gosec // the operator names the file
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s: %w", path, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("read config file: %w", err)
	}
	return Apply(fs, path, data, skip...)
}

// Apply sets every flag of fs not yet Changed from the key of the same
// name in data, a TOML document read from the file name (for messages).
// Flags named in skip may not appear in a file. All errors are reported
// together, each with its key and line; on error some flags may be set, so
// callers apply a file to a fresh flag set.
func Apply(fs *pflag.FlagSet, name string, data []byte, skip ...string) error {
	var doc map[string]any
	md, err := toml.Decode(string(data), &doc)
	if err != nil {
		return fmt.Errorf("config file %s: %w", name, err)
	}
	lines := keyLines(data)
	var errs []error
	for _, k := range md.Keys() {
		if len(k) != 1 {
			continue // inside a table: reported with the table
		}
		key := k[0]
		at := fmt.Sprintf("config file %s line %d", name, lines[key])
		fl := fs.Lookup(key)
		if fl == nil || slices.Contains(skip, key) {
			errs = append(errs, fmt.Errorf("%s: unknown key %q", at, key))
			continue
		}
		val, err := text(doc[key])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", at, key, err))
			continue
		}
		if fl.Changed {
			continue // the environment or the command line said otherwise
		}
		if err := fs.Set(key, val); err != nil {
			errs = append(errs, fmt.Errorf("%s: %s = %s: %w", at, key, val, err))
		}
	}
	return errors.Join(errs...)
}

// text turns a TOML value into the text a flag parses.
func text(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	case map[string]any:
		return "", errors.New("a table: the file takes plain keys only")
	case []any, []map[string]any:
		return "", errors.New("a list: want a single value")
	case time.Time:
		return "", errors.New("a date: write durations as text, such as \"720h\"")
	}
	return "", fmt.Errorf("a %T: want text, a number or true/false", v)
}

// keyLines finds the line of each top-level key or table header in a
// TOML document, for error messages.
func keyLines(data []byte) map[string]int {
	lines := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		var key string
		switch {
		case strings.HasPrefix(l, "["):
			key, _, _ = strings.Cut(strings.Trim(l, "[ "), "]")
			key, _, _ = strings.Cut(key, ".")
		case strings.Contains(l, "=") && !strings.HasPrefix(l, "#"):
			key, _, _ = strings.Cut(l, "=")
			key, _, _ = strings.Cut(key, ".")
		default:
			continue
		}
		key = strings.Trim(strings.TrimSpace(key), `"'`)
		if _, seen := lines[key]; !seen {
			lines[key] = n
		}
	}
	return lines
}

// Template is a TOML file that sets every flag of fs but those in skip to
// its default, each under its usage as a comment; header is written first,
// each of its lines as a comment.
func Template(fs *pflag.FlagSet, header string, skip ...string) []byte {
	var b bytes.Buffer
	for l := range strings.SplitSeq(strings.TrimRight(header, "\n"), "\n") {
		fmt.Fprintf(&b, "# %s\n", l)
	}
	fs.VisitAll(func(fl *pflag.Flag) {
		if slices.Contains(skip, fl.Name) || fl.Hidden {
			return
		}
		b.WriteString("\n")
		for l := range strings.SplitSeq(wrap(fl.Usage, 76), "\n") {
			fmt.Fprintf(&b, "# %s\n", l)
		}
		fmt.Fprintf(&b, "%s = %s\n", fl.Name, value(fl))
	})
	return b.Bytes()
}

// value is a flag's default as a TOML value.
func value(fl *pflag.Flag) string {
	switch fl.Value.Type() {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64", "bool":
		return fl.DefValue
	}
	return quote(fl.DefValue)
}

// quote writes s as a TOML basic string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// wrap breaks s into lines of at most width bytes at spaces.
func wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for _, w := range strings.Fields(s) {
		if n > 0 && n+1+len(w) > width {
			b.WriteByte('\n')
			n = 0
		} else if n > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}
