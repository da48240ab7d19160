package admin

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"github.com/parley-chat/parley/server/csvcell"
	"io"
	"slices"
	"strings"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// User CSV. The first line names the columns, in any order:
//
//	id,name,first_name,last_name,nickname,email,category,tags,status
//
// A row without id creates a user; a row with the id of one of the
// tenant's users edits it, and only in the columns the file has (an empty
// cell clears the field). tags are separated by ';'. status is what export
// writes; an import changes no status, so it must match (or be empty).
// A cell starting with = + - @ or a tab is written with a leading ' so
// that spreadsheets do not run it as a formula; import removes it again.

// Import limits.
const (
	MaxImportRows  = 10_000
	MaxImportBytes = 4 << 20
)

// UserCSVColumns are the columns of user import and export, in export order.
func UserCSVColumns() []string {
	return []string{"id", "name", "first_name", "last_name", "nickname", "email", "category", "tags", "status"}
}

// ImportResult is what an import did (or, checked only, would do).
type ImportResult struct {
	Created []ImportedUser
	Updated []ImportedUser
	// Unchanged counts the rows that match their user already.
	Unchanged int
	// DryRun is set when nothing was written (CheckUsersCSV).
	DryRun bool
}

// ImportedUser is a user an import created or changed.
type ImportedUser struct {
	Line int // of the file
	User store.User
	// Code is a created user's one-time activation code (not in a dry run).
	Code directory.Code
}

// ImportUsersCSV creates and edits the tenant's users from a CSV file, all
// or nothing: every row is checked first, and the users are written in one
// transaction only when every row is valid. Otherwise nothing changes and
// the error, a *directory.BatchError, lists up to MaxBatchProblems problems
// by line. Every created or changed user gets its audit entry.
func (s *Service) ImportUsersCSV(ctx context.Context, tenant string, r io.Reader) (ImportResult, error) {
	return s.importUsers(ctx, tenant, r, false)
}

// CheckUsersCSV checks a file as ImportUsersCSV would, and reports what it
// would do, without changing anything.
func (s *Service) CheckUsersCSV(ctx context.Context, tenant string, r io.Reader) (ImportResult, error) {
	return s.importUsers(ctx, tenant, r, true)
}

func (s *Service) importUsers(ctx context.Context, tenant string, r io.Reader, dryRun bool) (ImportResult, error) {
	tid, err := s.TenantID(ctx, tenant)
	if err != nil {
		return ImportResult{}, err
	}
	p, err := s.authorize(ctx, tid, PermUsersWrite)
	if err != nil {
		return ImportResult{}, err
	}
	rows, problems, err := parseUsersCSV(r)
	if err != nil {
		return ImportResult{}, err
	}
	if problems.Err() != nil {
		// Check the rows that parsed too, to report every problem at once.
		if _, err := s.dir.ApplyBatch(ctx, tid, rows, true, nil); err != nil {
			var more *directory.BatchError
			if !errors.As(err, &more) {
				return ImportResult{}, err
			}
			problems.Problems = append(problems.Problems, more.Problems...)
			problems.More = problems.More || more.More
			slices.SortStableFunc(problems.Problems, func(a, b directory.RowError) int { return cmp.Compare(a.Line, b.Line) })
			if len(problems.Problems) > directory.MaxBatchProblems {
				problems.Problems, problems.More = problems.Problems[:directory.MaxBatchProblems], true
			}
		}
		return ImportResult{}, problems
	}
	res, err := s.dir.ApplyBatch(ctx, tid, rows, dryRun, func(tx store.Tx, before, after any) error {
		u := after.(store.User)
		if before == nil {
			return s.record(tx, p, tid, "user.create", u.ID.String(), nil, u)
		}
		return s.record(tx, p, tid, "user.edit", u.ID.String(), before, u)
	})
	if err != nil {
		return ImportResult{}, err
	}
	out := ImportResult{Unchanged: len(res.Unchanged), DryRun: dryRun}
	for _, c := range res.Created {
		out.Created = append(out.Created, ImportedUser(c))
	}
	for _, c := range res.Updated {
		out.Updated = append(out.Updated, ImportedUser(c))
	}
	return out, nil
}

// parseUsersCSV reads a user file into batch rows. A file it cannot read
// on (too large, no header, a bad header, broken quoting) is an error;
// problems with single rows are collected, with the rows that parsed.
func parseUsersCSV(r io.Reader) ([]directory.BatchUser, *directory.BatchError, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read the file: %w", err)
	}
	if len(data) > MaxImportBytes {
		return nil, nil, fmt.Errorf("%w: the file is larger than %d MiB: split it", ErrInvalid, MaxImportBytes>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF")) // a spreadsheet's byte order mark
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1 // counted here, for a clearer message
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("%w: the file is empty: its first line names the columns, e.g. %s",
			ErrInvalid, strings.Join(UserCSVColumns(), ","))
	}
	problems := &directory.BatchError{}
	if err != nil {
		return nil, nil, csvError(problems, err)
	}
	cols, err := parseHeader(header)
	if err != nil {
		problems.Add(1, err)
		return nil, nil, problems
	}
	var rows []directory.BatchUser
	for n := 0; ; n++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, nil, csvError(problems, err)
		}
		line, _ := cr.FieldPos(0)
		if n >= MaxImportRows {
			return nil, nil, fmt.Errorf("%w: more than %d rows: split the file", ErrInvalid, MaxImportRows)
		}
		row, err := parseRow(cols, rec, line)
		if err != nil {
			problems.Add(line, err)
			continue
		}
		rows = append(rows, row)
	}
	return rows, problems, nil
}

// parseHeader maps each column of the file to its name.
func parseHeader(header []string) ([]string, error) {
	known := UserCSVColumns()
	cols := make([]string, len(header))
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case !slices.Contains(known, h):
			return nil, fmt.Errorf("unknown column %q: the columns are %s", clipField(h), strings.Join(known, ","))
		case slices.Contains(cols[:i], h):
			return nil, fmt.Errorf("column %s appears twice", h)
		}
		cols[i] = h
	}
	return cols, nil
}

// parseRow turns one record into a batch row.
func parseRow(cols, rec []string, line int) (directory.BatchUser, error) {
	if len(rec) != len(cols) {
		return directory.BatchUser{}, fmt.Errorf("%d cells, but the first line names %d columns", len(rec), len(cols))
	}
	row := directory.BatchUser{Line: line}
	var c directory.ProfileChange
	var tags []string
	for i, col := range cols {
		v := csvcell.Unguard(rec[i])
		switch col {
		case "id":
			if strings.TrimSpace(v) == "" {
				continue
			}
			id, err := crypto.ParseID(v)
			if err != nil {
				return directory.BatchUser{}, fmt.Errorf("id %q is not a Parley ID (8 characters A-Z, 0-9)", clipField(v))
			}
			row.ID = id
		case "name":
			c.Name = &v
		case "first_name":
			c.FirstName = &v
		case "last_name":
			c.LastName = &v
		case "nickname":
			c.Nickname = &v
		case "email":
			c.Email = &v
		case "category":
			c.Category = &v
		case "tags":
			tags = []string{}
			for t := range strings.SplitSeq(v, ";") {
				if t = strings.TrimSpace(t); t != "" {
					tags = append(tags, t)
				}
			}
			c.Tags = &tags
		case "status":
			row.Status = store.UserStatus(strings.ToLower(strings.TrimSpace(v)))
		}
	}
	if row.ID.IsZero() {
		val := func(p *string) string {
			if p == nil {
				return ""
			}
			return *p
		}
		row.Spec = directory.UserSpec{Name: val(c.Name), FirstName: val(c.FirstName), LastName: val(c.LastName),
			Nickname: val(c.Nickname), Category: val(c.Category), Email: val(c.Email), Tags: tags}
	} else {
		row.Change = c
	}
	return row, nil
}

// csvError adds a syntax error, where encoding/csv cannot read on, to the
// problems found so far.
func csvError(problems *directory.BatchError, err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("read the file: %w", err)
	}
	problems.Add(pe.StartLine, pe.Err)
	return problems
}

// writeUsersCSV writes users with UserCSVColumns.
func writeUsersCSV(w io.Writer, users []directory.UserInfo) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(UserCSVColumns()); err != nil {
		return fmt.Errorf("write users: %w", err)
	}
	for _, u := range users {
		rec := []string{u.ID.String(), u.Name, u.FirstName, u.LastName, u.Nickname, u.Email, u.Category,
			strings.Join(u.Tags, ";"), string(u.Status)}
		for i := range rec {
			rec[i] = csvcell.Guard(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write users: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write users: %w", err)
	}
	return nil
}

// clipField shortens input quoted back in an error.
func clipField(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
