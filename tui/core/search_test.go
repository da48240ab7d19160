package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/parley-chat/parley/crypto"
)

// lTexts lists the texts of ms.
func lTexts(ms []Message) string {
	var s []string
	for _, m := range ms {
		s = append(s, m.Text)
	}
	return strings.Join(s, "|")
}

func TestSearch(t *testing.T) {
	n := newLNet(t)
	ann, bob, cat := n.user("ANN00001", "Ann", nil), n.user("BOB00001", "Bob", nil), n.user("CAT00001", "Cat", nil)
	a, b := n.core(ann, newLStore(), nil), n.core(bob, newLStore(), nil)
	ctx := context.Background()
	lSync(t, a)
	lSync(t, b)
	send := func(c *Core, to *lUser, text string) {
		t.Helper()
		if _, err := c.Send(ctx, Direct(to.ct.ID), text); err != nil {
			t.Fatal(err)
		}
	}
	send(a, bob, "Quarterly REPORT draft")
	send(a, cat, "lunch at noon?")
	send(b, ann, "the report is late")
	lSync(t, a)
	send(a, cat, "Report: Grüße from Zürich")
	send(a, bob, "nothing to see")

	got, err := a.Search(ctx, "report", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := lTexts(got), "Report: Grüße from Zürich|the report is late|Quarterly REPORT draft"; got != want {
		t.Fatalf("search report = %s, want %s", got, want)
	}
	if got[1].Outgoing || got[1].From != bob.ct.ID || got[1].Conv != Direct(bob.ct.ID) {
		t.Fatalf("incoming result = %+v, want from Bob in Bob's conversation", got[1])
	}
	if got[0].Conv != Direct(cat.ct.ID) {
		t.Fatalf("result's conversation = %v, want Cat's", got[0].Conv)
	}
	for q, want := range map[string]string{
		"  GRÜSSE ":   "",
		"grüße":       "Report: Grüße from Zürich",
		"ZÜRICH":      "Report: Grüße from Zürich",
		"at noon":     "lunch at noon?",
		"nowhere":     "",
		"REPORT DRAF": "Quarterly REPORT draft",
	} {
		ms, err := a.Search(ctx, q, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got := lTexts(ms); got != want {
			t.Errorf("search %q = %q, want %q", q, got, want)
		}
	}
	// The limit keeps the newest.
	ms, err := a.Search(ctx, "REPORT", 2)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := lTexts(ms), "Report: Grüße from Zürich|the report is late"; got != want {
		t.Fatalf("search with limit 2 = %s, want %s", got, want)
	}
	// Bob's store is his own.
	ms, err = b.Search(ctx, "lunch", 0)
	if err != nil || len(ms) != 0 {
		t.Fatalf("Bob found Ann's message to Cat: %v %v", lTexts(ms), err)
	}
}

func TestSearchBadQuery(t *testing.T) {
	n := newLNet(t)
	a := n.core(n.user("ANN00001", "Ann", nil), newLStore(), nil)
	ctx := context.Background()
	for _, q := range []string{"", "   ", "\t\n"} {
		if _, err := a.Search(ctx, q, 10); !errors.Is(err, ErrEmptyQuery) {
			t.Errorf("Search(%q) = %v, want ErrEmptyQuery", q, err)
		}
	}
	if _, err := a.Search(ctx, strings.Repeat("a", MaxQueryLen+1), 10); err == nil {
		t.Error("an over-long query was accepted")
	}
	if _, err := a.Search(ctx, "\xff\xfe", 10); err == nil {
		t.Error("a query that is not UTF-8 was accepted")
	}
}

func TestSearchLimitBounded(t *testing.T) {
	n := newLNet(t)
	ann, bob := n.user("ANN00001", "Ann", nil), n.user("BOB00001", "Bob", nil)
	a := n.core(ann, newLStore(), nil)
	ctx := context.Background()
	lSync(t, a)
	for i := range MaxSearchLimit + 5 {
		if _, err := a.Send(ctx, Direct(bob.ct.ID), fmt.Sprintf("note %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := a.Search(ctx, "note", 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != MaxSearchLimit || ms[0].Text != fmt.Sprintf("note %d", MaxSearchLimit+4) {
		t.Fatalf("search = %d results starting %q, want %d newest first", len(ms), ms[0].Text, MaxSearchLimit)
	}
	if ms, _ := a.Search(ctx, "note", 0); len(ms) != DefaultSearchLimit {
		t.Fatalf("default limit gave %d results, want %d", len(ms), DefaultSearchLimit)
	}
}

func TestSearchSkipsHiddenChatsUntilRevealed(t *testing.T) {
	_, a, _, _, bob, _ := lChats(t)
	ctx := context.Background()
	if err := a.SetPIN(ctx, "", "1234"); err != nil {
		t.Fatal(err)
	}
	if err := a.Hide(ctx, Direct(bob.ct.ID)); err != nil {
		t.Fatal(err)
	}
	search := func() string {
		t.Helper()
		ms, err := a.Search(ctx, "hello", 0)
		if err != nil {
			t.Fatal(err)
		}
		return lTexts(ms)
	}
	if got, want := search(), "hello Cat"; got != want {
		t.Fatalf("search with Bob hidden = %s, want %s", got, want)
	}
	if err := a.Reveal(ctx, "1234"); err != nil {
		t.Fatal(err)
	}
	if got, want := search(), "hello Cat|hello Bob"; got != want {
		t.Fatalf("search revealed = %s, want %s", got, want)
	}
	a.Conceal()
	if got, want := search(), "hello Cat"; got != want {
		t.Fatalf("search concealed again = %s, want %s", got, want)
	}
}

func TestSearchSkipsDeleted(t *testing.T) {
	n := newLNet(t)
	ann, bob := n.user("ANN00001", "Ann", nil), n.user("BOB00001", "Bob", nil)
	a := n.core(ann, newLStore(), nil)
	ctx := context.Background()
	lSync(t, a)
	m, err := a.Send(ctx, Direct(bob.ct.ID), "oops, wrong chat")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Delete(ctx, Direct(bob.ct.ID), m.ID); err != nil {
		t.Fatal(err)
	}
	if ms, err := a.Search(ctx, "wrong chat", 0); err != nil || len(ms) != 0 {
		t.Fatalf("search found a deleted message: %q %v", lTexts(ms), err)
	}
}

func TestSearchMatchesAttachmentsLocationsPolls(t *testing.T) {
	for _, tc := range []struct {
		m    Message
		q    string
		want bool
	}{
		{Message{Text: "Hello"}, "hell", true},
		{Message{Kind: KindFile, File: &FileInfo{Name: "Budget-2026.xlsx"}}, "budget", true},
		{Message{Kind: KindFile, File: &FileInfo{Name: "a.pdf", Caption: "Signed Contract"}}, "contract", true},
		{Message{Kind: KindFile, File: &FileInfo{Name: "a.pdf"}}, "b.pdf", false},
		{Message{Kind: KindLocation, Location: &crypto.Location{Lat: 47.37, Lon: 8.54, Label: "Office Zürich"}}, "zürich", true},
		{Message{Kind: KindPoll, Poll: &Poll{Question: "Lunch where?", Choices: []string{"Pizza", "Sushi"}}}, "sushi", true},
		{Message{Kind: KindPoll, Poll: &Poll{Question: "Lunch where?", Choices: []string{"Pizza"}}}, "where", true},
		{Message{Kind: KindPoll, Poll: &Poll{Question: "Lunch where?"}}, "dinner", false},
		{Message{}, "x", false},
	} {
		if got := matches(&tc.m, tc.q); got != tc.want {
			t.Errorf("matches(%+v, %q) = %v, want %v", tc.m, tc.q, got, tc.want)
		}
	}
}
