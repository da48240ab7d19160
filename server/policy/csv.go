package policy

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"github.com/parley-chat/parley/server/csvcell"
	"io"
	"slices"
	"strings"

	"github.com/parley-chat/parley/crypto"
)

// Policy CSV. The first line names the columns, in any order:
//
//	user,key,value
//
// Each further line is one value: user is a Parley ID for an individual
// value, or empty for the tenant's global value. Export writes the values
// that are set, global ones first; import sets every line's value, all or
// nothing, and leaves keys the file does not name as they are. A cell
// starting with = + - @ or a tab is written with a leading ' so that
// spreadsheets do not run it as a formula; import removes it again.

// CSV limits.
const (
	MaxCSVRows     = 10_000
	MaxCSVBytes    = 4 << 20
	MaxCSVProblems = 20
)

// CSVColumns are the columns of policy import and export, in export order.
func CSVColumns() []string { return []string{"user", "key", "value"} }

// Row is one value of a policy file.
type Row struct {
	// Line is the row's line in the file (0 for rows not read from one).
	Line int
	// User is zero for the tenant's global value.
	User  crypto.ID
	Key   string
	Value string
}

// LineError is a problem with one line of a file.
type LineError struct {
	Line int
	Err  error
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap returns the problem.
func (e LineError) Unwrap() error { return e.Err }

// CSVError refuses a whole file: it lists the problems found, by line, at
// most MaxCSVProblems of them. errors.Is(err, ErrInvalid) holds.
type CSVError struct {
	Problems []LineError
	// More is set when there were more problems than listed.
	More bool
}

func (e *CSVError) Error() string {
	var b strings.Builder
	b.WriteString("nothing was changed")
	for _, p := range e.Problems {
		b.WriteString("; ")
		b.WriteString(p.Error())
	}
	if e.More {
		b.WriteString("; and more")
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *CSVError) Is(target error) bool { return target == ErrInvalid }

// Add records a problem, up to MaxCSVProblems.
func (e *CSVError) Add(line int, err error) {
	if len(e.Problems) >= MaxCSVProblems {
		e.More = true
		return
	}
	e.Problems = append(e.Problems, LineError{Line: line, Err: err})
}

// Err returns e when it holds problems, else nil.
func (e *CSVError) Err() error {
	if e == nil || len(e.Problems) == 0 {
		return nil
	}
	return e
}

// ParseCSV reads a policy file and checks every line on its own: known
// key, a value of the key's type (canonical in the result), individual
// values only for PerUser keys, no key twice for the same user. What needs
// the store (that users and tenants exist) is SetTx's to check. Any problem
// refuses the file with a *CSVError listing the problems by line.
func ParseCSV(r io.Reader) ([]Row, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxCSVBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read the file: %w", err)
	}
	if len(data) > MaxCSVBytes {
		return nil, invalid("the file is larger than %d MiB: split it", MaxCSVBytes>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF")) // a spreadsheet's byte order mark
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1 // counted here, for a clearer message
	problems := &CSVError{}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, invalid("the file is empty: its first line names the columns %s", strings.Join(CSVColumns(), ","))
	}
	if err != nil {
		return nil, syntaxError(problems, err)
	}
	cols, err := parseHeader(header)
	if err != nil {
		problems.Add(1, err)
		return nil, problems
	}
	type level struct {
		user crypto.ID
		key  string
	}
	seen := map[level]int{}
	var rows []Row
	for n := 0; ; n++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, syntaxError(problems, err)
		}
		line, _ := cr.FieldPos(0)
		if n >= MaxCSVRows {
			return nil, invalid("more than %d rows: split the file", MaxCSVRows)
		}
		row, err := parseRow(cols, rec, line)
		if err != nil {
			problems.Add(line, err)
			continue
		}
		l := level{row.User, row.Key}
		if first, ok := seen[l]; ok {
			problems.Add(line, fmt.Errorf("%s is set twice for %s (first on line %d)", row.Key, who(row.User), first))
			continue
		}
		seen[l] = line
		rows = append(rows, row)
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	return rows, nil
}

// who names a level in messages.
func who(user crypto.ID) string {
	if user.IsZero() {
		return "the tenant"
	}
	return "user " + user.String()
}

// parseHeader maps each column of the file to its name.
func parseHeader(header []string) ([]string, error) {
	known := CSVColumns()
	cols := make([]string, len(header))
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case !slices.Contains(known, h):
			return nil, fmt.Errorf("unknown column %q: the columns are %s", clip(h), strings.Join(known, ","))
		case slices.Contains(cols[:i], h):
			return nil, fmt.Errorf("column %s appears twice", h)
		}
		cols[i] = h
	}
	for _, k := range known {
		if !slices.Contains(cols, k) {
			return nil, fmt.Errorf("column %s is missing: the columns are %s", k, strings.Join(known, ","))
		}
	}
	return cols, nil
}

// parseRow checks one record.
func parseRow(cols, rec []string, line int) (Row, error) {
	if len(rec) != len(cols) {
		return Row{}, fmt.Errorf("%d cells, but the first line names %d columns", len(rec), len(cols))
	}
	row := Row{Line: line}
	var value string
	for i, col := range cols {
		v := csvcell.Unguard(rec[i])
		switch col {
		case "user":
			if strings.TrimSpace(v) == "" {
				continue
			}
			id, err := crypto.ParseID(strings.TrimSpace(v))
			if err != nil {
				return Row{}, fmt.Errorf("user %q is not a Parley ID (8 characters A-Z, 0-9; empty for the tenant)", clip(v))
			}
			row.User = id
		case "key":
			row.Key = strings.TrimSpace(v)
		case "value":
			value = v
		}
	}
	k, ok := Lookup(row.Key)
	if !ok {
		return Row{}, unknownKey(row.Key)
	}
	if !row.User.IsZero() && !k.PerUser {
		return Row{}, invalid("%s applies to the whole tenant: leave user empty", k.Name)
	}
	v, err := k.Normalize(value)
	if err != nil {
		return Row{}, err
	}
	row.Value = v
	return row, nil
}

// syntaxError adds a syntax error, where encoding/csv cannot read on.
func syntaxError(problems *CSVError, err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("read the file: %w", err)
	}
	problems.Add(pe.StartLine, pe.Err)
	return problems
}

// WriteCSV writes rows with CSVColumns.
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVColumns()); err != nil {
		return fmt.Errorf("write policies: %w", err)
	}
	for _, r := range rows {
		user := ""
		if !r.User.IsZero() {
			user = r.User.String()
		}
		if err := cw.Write([]string{user, csvcell.Guard(r.Key), csvcell.Guard(r.Value)}); err != nil {
			return fmt.Errorf("write policies: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write policies: %w", err)
	}
	return nil
}
