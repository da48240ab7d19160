package directory

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// Limits of a directory search.
const (
	// DefaultFindLimit is the number of entries Find returns when asked for
	// none in particular.
	DefaultFindLimit = 50
	// MaxFindLimit bounds the entries of one search.
	MaxFindLimit = 500
	// MaxQueryLen bounds a query, in bytes.
	MaxQueryLen = 200
	// MaxQueryTerms bounds the words of a query.
	MaxQueryTerms = 8
)

// Entry is a user as the company directory lists them: enough to find
// and address them, nothing more.
type Entry struct {
	ID       crypto.ID
	Name     string
	Nickname string
	Category string
	Tags     []string
	// Internal says the user belongs to the viewer's own tenant.
	Internal bool
	// Organisation is the name of another tenant of the viewer's
	// directory group (its display name when it has one); empty for
	// internal entries.
	Organisation string
}

// Find searches the company directory for viewer: the active users of the
// viewer's tenant and of the tenants in the same directory group
// (store.Tenant.DirectoryGroup) — except suspended tenants and tenants
// that switched their directory off for everyone (th_disable_work_directory
// set globally). A query is one or more words, all of which must match
// (see ParseQuery). A viewer whose th_disable_work_directory is in effect is
// refused with a *policy.ForbiddenError. At most limit entries come back,
// sorted by name (limit ≤ 0: DefaultFindLimit; at most MaxFindLimit).
func (s *Service) Find(ctx context.Context, viewer crypto.ID, query string, limit int) ([]Entry, error) {
	q, err := ParseQuery(query)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = DefaultFindLimit
	}
	limit = min(limit, MaxFindLimit)
	var out []Entry
	err = s.db.View(ctx, func(tx store.Tx) error {
		out = nil
		v, err := tx.User(viewer)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%s: %w", viewer, ErrUserNotFound)
		} else if err != nil {
			return fmt.Errorf("read user: %w", err)
		}
		if v.Status != store.UserActive {
			return ErrNotActive
		}
		values, err := policy.EffectiveTx(tx, v.TenantID, v.ID)
		if err != nil {
			return err
		}
		if err := policy.Allows(values, policy.UseWorkDirectory); err != nil {
			return err
		}
		tenants, err := directoryTenants(tx, v.TenantID)
		if err != nil {
			return err
		}
		f := newFolder()
		for _, t := range tenants {
			users, err := tx.UsersOfTenant(t.ID)
			if err != nil {
				return fmt.Errorf("list users: %w", err)
			}
			for _, u := range users {
				if u.Status != store.UserActive || !q.matches(f, u) {
					continue
				}
				e := Entry{ID: u.ID, Name: u.Name, Nickname: u.Nickname, Category: u.Category,
					Tags: slices.Clone(u.Tags), Internal: t.ID == v.TenantID}
				if !e.Internal {
					e.Organisation = cmp.Or(t.DisplayName, t.Name)
				}
				out = append(out, e)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err // bad input and refusals read as they are; store errors say what failed
	}
	f := newFolder()
	keys := make(map[crypto.ID]string, len(out))
	for _, e := range out {
		keys[e.ID] = f.fold(e.Name)
	}
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(strings.Compare(keys[a.ID], keys[b.ID]), strings.Compare(a.ID.String(), b.ID.String()))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// directoryTenants returns the viewer's tenant and the tenants that share
// its directory: same directory group, not suspended, directory not
// switched off for the whole tenant.
func directoryTenants(tx store.Tx, own string) ([]store.Tenant, error) {
	t, err := tx.Tenant(own)
	if err != nil {
		return nil, fmt.Errorf("read tenant: %w", err)
	}
	out := []store.Tenant{t}
	if t.DirectoryGroup == "" {
		return out, nil
	}
	all, err := tx.Tenants()
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	for _, o := range all {
		if o.ID == own || o.Suspended || o.DirectoryGroup != t.DirectoryGroup {
			continue
		}
		global, err := policy.EffectiveTx(tx, o.ID, crypto.ID{})
		if err != nil {
			return nil, err
		}
		if global.Bool(policy.DisableWorkDirectory) {
			continue
		}
		out = append(out, o)
	}
	return out, nil
}

// Query is a parsed directory search: every term must match.
type Query struct {
	names []*regexp.Regexp // each must match the display name or a word of it, first, last, nickname or e-mail
	tags  []*regexp.Regexp // each must match one of the tags
}

// ParseQuery parses a directory search. It is made of words separated by
// spaces; every word must match. A word starting with # matches a tag
// ("#sales"); any other word matches the display name (whole or any of
// its words), first name, last name, nickname or e-mail address. In a word, * stands for any run of characters and ?
// for one character, and the word must then match the whole name or tag
// ("mül*" finds "Müller"; "*mül*" finds "Anna Müller"); without them a
// name word matches anywhere in the name and a tag word matches a whole
// tag. Matching ignores case and accents as far as simple folding goes
// ("*mul*" and "*MÜL*" find "Müller" alike). A query of "*" lists
// everyone.
func ParseQuery(s string) (Query, error) {
	if len(s) > MaxQueryLen {
		return Query{}, invalid("search is longer than %d bytes", MaxQueryLen)
	}
	if !utf8.ValidString(s) {
		return Query{}, invalid("search is not valid UTF-8")
	}
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || isBidiControl(r) }) >= 0 {
		return Query{}, invalid("search contains control characters")
	}
	words := strings.Fields(s)
	if len(words) == 0 {
		return Query{}, invalid("search for a name or a #tag, e.g. *mül* or #sales")
	}
	if len(words) > MaxQueryTerms {
		return Query{}, invalid("search has more than %d words", MaxQueryTerms)
	}
	f := newFolder()
	var q Query
	for _, w := range words {
		if tag, ok := strings.CutPrefix(w, "#"); ok {
			if tag == "" {
				return Query{}, invalid("give a tag after #, e.g. #sales")
			}
			q.tags = append(q.tags, globRE(f.fold(tag), true))
			continue
		}
		q.names = append(q.names, globRE(f.fold(w), false))
	}
	return q, nil
}

// Matches reports whether u passes every term of q; the zero Query
// matches nobody.
func (q Query) Matches(u store.User) bool { return q.matches(newFolder(), u) }

// matches is Matches with the caller's folder.
func (q Query) matches(f *folder, u store.User) bool {
	if len(q.names) == 0 && len(q.tags) == 0 {
		return false
	}
	// The display name counts whole and word by word, so that "mül*"
	// finds "Anna Müller" when no first or last name was set.
	fields := append(strings.Fields(u.Name), u.Name, u.FirstName, u.LastName, u.Nickname, u.Email)
	names := make([]string, 0, len(fields))
	for _, n := range fields {
		if n != "" {
			names = append(names, f.fold(n))
		}
	}
	for _, re := range q.names {
		if !slices.ContainsFunc(names, re.MatchString) {
			return false
		}
	}
	if len(q.tags) == 0 {
		return true
	}
	tags := make([]string, len(u.Tags))
	for i, t := range u.Tags {
		tags[i] = f.fold(t)
	}
	for _, re := range q.tags {
		if !slices.ContainsFunc(tags, re.MatchString) {
			return false
		}
	}
	return true
}

// globRE compiles a folded word: with * or ? it must match whole;
// without, a name matches anywhere and a tag must match whole.
func globRE(w string, whole bool) *regexp.Regexp {
	if !strings.ContainsAny(w, "*?") {
		if whole {
			return regexp.MustCompile("^" + regexp.QuoteMeta(w) + "$")
		}
		return regexp.MustCompile(regexp.QuoteMeta(w))
	}
	var b strings.Builder
	b.WriteString("(?s)^")
	for _, r := range w {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// folder folds text for matching: case folded, accents removed
// ("Müller" → "muller", "Straße" → "strasse"). It is not safe for
// concurrent use: make one per search.
type folder struct{ t transform.Transformer }

func newFolder() *folder {
	return &folder{t: transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC, cases.Fold())}
}

func (f *folder) fold(s string) string {
	out, _, err := transform.String(f.t, s)
	if err != nil { // cannot happen for valid UTF-8; fall back to lower case
		return strings.ToLower(s)
	}
	return out
}

// NormalizeDirectoryGroup lower-cases and checks the name of a directory
// group; the rules are those of tenant names.
func NormalizeDirectoryGroup(s string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(s))
	if !tenantNameRE.MatchString(n) {
		return "", invalid("directory group %q: use 1-63 characters a-z, 0-9 and '-', starting with a letter or digit", clip(s))
	}
	return n, nil
}
