package core

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// lChats gives Ann a session with conversations with Bob and Cat.
func lChats(t *testing.T) (n *lNet, a *Core, st *lStore, ann, bob, cat *lUser) {
	t.Helper()
	n = newLNet(t)
	ann, bob, cat = n.user("ANN00001", "Ann", nil), n.user("BOB00001", "Bob", nil), n.user("CAT00001", "Cat", nil)
	st = newLStore()
	a = n.core(ann, st, nil)
	lSync(t, a)
	for _, u := range []*lUser{bob, cat} {
		if _, err := a.Send(context.Background(), Direct(u.ct.ID), "hello "+u.ct.Name); err != nil {
			t.Fatal(err)
		}
	}
	return n, a, st, ann, bob, cat
}

// lTitles lists the names of the conversations c shows, with "(hidden)"
// after hidden ones.
func lTitles(t *testing.T, c *Core) string {
	t.Helper()
	convs, err := c.Conversations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, cv := range convs {
		s := cv.Name
		if cv.Hidden {
			s += "(hidden)"
		}
		names = append(names, s)
	}
	return strings.Join(names, ",")
}

func TestSetPINRefusesBadPINs(t *testing.T) {
	_, a, st, _, _, _ := lChats(t)
	ctx := context.Background()
	before := len(st.raw())
	for _, pin := range []string{"123", "1234567890123", "12a4", "12 34", " 1234", "١٢٣٤", "-123", "12.4"} {
		if err := a.SetPIN(ctx, "", pin); !errors.Is(err, ErrBadPIN) {
			t.Errorf("SetPIN(%q) = %v, want ErrBadPIN", pin, err)
		}
	}
	if err := a.SetPIN(ctx, "", ""); !errors.Is(err, ErrNoPIN) {
		t.Errorf("removing a PIN that is not set = %v, want ErrNoPIN", err)
	}
	if err := a.SetPIN(ctx, "1234", "5678"); !errors.Is(err, ErrNoPIN) {
		t.Errorf("changing a PIN that is not set = %v, want ErrNoPIN", err)
	}
	if set, err := a.PINSet(ctx); err != nil || set {
		t.Fatalf("PINSet after refusals = %v, %v; want false", set, err)
	}
	if after := len(st.raw()); after != before {
		t.Fatalf("refused PINs changed the store: %d values, want %d", after, before)
	}
	for _, pin := range []string{"1234", "123456789012", "0000"} {
		if err := a.SetPIN(ctx, "", pin); err != nil {
			t.Fatalf("SetPIN(%q) = %v", pin, err)
		}
		if err := a.SetPIN(ctx, pin, ""); err != nil {
			t.Fatalf("remove PIN %q = %v", pin, err)
		}
	}
}

func TestPINStoredAsArgon2idHash(t *testing.T) {
	_, a, st, _, _, _ := lChats(t)
	ctx := context.Background()
	if err := a.SetPIN(ctx, "", "274185"); err != nil {
		t.Fatal(err)
	}
	for _, v := range st.raw() {
		if bytes.Contains(v, []byte("274185")) {
			t.Fatal("the PIN is in the store in clear")
		}
	}
	k, _ := a.storeKey()
	var rec pinRecord
	err := st.View(ctx, func(tx Tx) error {
		found, err := getRecord(tx, k, spaceLocal, localKey(k, "pin"), &rec)
		if !found && err == nil {
			err = errors.New("no PIN record")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Params != pinParams() || len(rec.Salt) != pinSaltSize {
		t.Fatalf("PIN record params %+v salt %d bytes", rec.Params, len(rec.Salt))
	}
	if want := hashPIN("274185", rec.Salt, rec.Params); !bytes.Equal(rec.Hash, want) {
		t.Fatal("stored hash is not Argon2id of the PIN with its salt")
	}
}

func TestChangePIN(t *testing.T) {
	_, a, _, _, _, _ := lChats(t)
	ctx := context.Background()
	if err := a.SetPIN(ctx, "", "1111"); err != nil {
		t.Fatal(err)
	}
	if err := a.SetPIN(ctx, "", "2222"); !errors.Is(err, ErrBadPIN) {
		t.Fatalf("change without the old PIN = %v, want ErrBadPIN", err)
	}
	if err := a.SetPIN(ctx, "9999", "2222"); !errors.Is(err, ErrWrongPIN) {
		t.Fatalf("change with a wrong old PIN = %v, want ErrWrongPIN", err)
	}
	if err := a.Reveal(ctx, "1111"); err != nil {
		t.Fatalf("old PIN after refused change: %v", err)
	}
	if err := a.SetPIN(ctx, "1111", "2222"); err != nil {
		t.Fatal(err)
	}
	if err := a.Reveal(ctx, "1111"); !errors.Is(err, ErrWrongPIN) {
		t.Fatalf("old PIN after change = %v, want ErrWrongPIN", err)
	}
	if err := a.Reveal(ctx, "2222"); err != nil {
		t.Fatalf("new PIN: %v", err)
	}
}

func TestWrongPINThrottled(t *testing.T) {
	n, a, st, ann, _, _ := lChats(t)
	ctx := context.Background()
	if err := a.SetPIN(ctx, "", "4321"); err != nil {
		t.Fatal(err)
	}
	// A right PIN resets the count.
	for range 4 {
		if err := a.Reveal(ctx, "0000"); !errors.Is(err, ErrWrongPIN) {
			t.Fatalf("wrong PIN = %v", err)
		}
	}
	if err := a.Reveal(ctx, "4321"); err != nil {
		t.Fatal(err)
	}
	a.Conceal()
	// Five wrong in a row, spread over two sessions of the same user.
	a2 := n.core(ann, st, nil)
	for i := range 4 {
		c := a
		if i%2 == 1 {
			c = a2
		}
		err := c.Reveal(ctx, "1234")
		if want := []string{"4", "3", "2", "1"}[i] + " tries left"; !errors.Is(err, ErrWrongPIN) || !strings.Contains(err.Error(), want) {
			t.Fatalf("wrong PIN %d = %v, want ErrWrongPIN with %q", i+1, err, want)
		}
	}
	err := a2.Reveal(ctx, "1234")
	if !errors.Is(err, ErrWrongPIN) || !errors.Is(err, ErrPINThrottled) || !strings.Contains(err.Error(), "try again in 5m0s") {
		t.Fatalf("fifth wrong PIN = %v, want wrong and throttled for 5m", err)
	}
	// Now even the right PIN waits, in every session, and a malformed one too.
	for _, c := range []*Core{a, a2} {
		for _, pin := range []string{"4321", "x"} {
			if err := c.Reveal(ctx, pin); !errors.Is(err, ErrPINThrottled) {
				t.Fatalf("PIN %q while throttled = %v, want ErrPINThrottled", pin, err)
			}
		}
		if err := c.SetPIN(ctx, "4321", "5555"); !errors.Is(err, ErrPINThrottled) {
			t.Fatalf("SetPIN while throttled = %v, want ErrPINThrottled", err)
		}
	}
	if a.Revealed() || a2.Revealed() {
		t.Fatal("revealed while throttled")
	}
	n.advance(4 * time.Minute)
	if err := a.Reveal(ctx, "4321"); !errors.Is(err, ErrPINThrottled) {
		t.Fatalf("after 4 minutes = %v, want ErrPINThrottled", err)
	}
	n.advance(time.Minute)
	if err := a.Reveal(ctx, "4321"); err != nil {
		t.Fatalf("right PIN after the wait: %v", err)
	}
	if !a.Revealed() || a2.Revealed() {
		t.Fatalf("revealed: %v %v, want only the session that entered the PIN", a.Revealed(), a2.Revealed())
	}
}

func TestHideRevealConceal(t *testing.T) {
	_, a, _, _, bob, _ := lChats(t)
	ctx := context.Background()
	if got, want := lTitles(t, a), "Cat,Bob"; got != want {
		t.Fatalf("conversations = %s, want %s", got, want)
	}
	if err := a.Hide(ctx, Direct(bob.ct.ID)); !errors.Is(err, ErrNoPIN) {
		t.Fatalf("Hide without a PIN = %v, want ErrNoPIN", err)
	}
	if err := a.Reveal(ctx, "1234"); !errors.Is(err, ErrNoPIN) {
		t.Fatalf("Reveal without a PIN = %v, want ErrNoPIN", err)
	}
	if err := a.SetPIN(ctx, "", "1234"); err != nil {
		t.Fatal(err)
	}
	if err := a.Hide(ctx, Direct(bob.ct.ID)); err != nil {
		t.Fatal(err)
	}
	if got, want := lTitles(t, a), "Cat"; got != want {
		t.Fatalf("conversations after hiding Bob = %s, want %s", got, want)
	}
	// Concealed, a hidden chat does not exist: neither hide nor unhide
	// tells an onlooker that it does.
	if err := a.Hide(ctx, Direct(bob.ct.ID)); !errors.Is(err, ErrNoConversation) {
		t.Fatalf("Hide of a concealed hidden chat = %v, want ErrNoConversation", err)
	}
	for _, ref := range []ConvRef{Direct(bob.ct.ID), Direct(crypto.ID{'N', 'O', 'B', 'O', 'D', 'Y', '0', '1'})} {
		if err := a.Unhide(ctx, ref); !errors.Is(err, ErrConcealed) {
			t.Fatalf("Unhide(%s) while concealed = %v, want ErrConcealed", ref, err)
		}
	}
	if _, err := a.FindConversation(ctx, "Bob"); err == nil {
		t.Fatal("FindConversation found a concealed hidden chat")
	}
	history := func() int {
		t.Helper()
		p, err := a.Messages(ctx, Direct(bob.ct.ID), nil, 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(p.Messages)
	}
	if n := history(); n != 0 {
		t.Fatalf("a concealed hidden chat shows %d messages, want none", n)
	}
	if err := a.Reveal(ctx, "1234"); err != nil {
		t.Fatal(err)
	}
	if n := history(); n != 1 {
		t.Fatalf("the revealed hidden chat shows %d messages, want 1", n)
	}
	if got, want := lTitles(t, a), "Cat,Bob(hidden)"; got != want {
		t.Fatalf("conversations revealed = %s, want %s", got, want)
	}
	a.Conceal()
	if got, want := lTitles(t, a), "Cat"; got != want {
		t.Fatalf("conversations concealed again = %s, want %s", got, want)
	}
	// Removing the PIN is refused while a chat is hidden.
	if err := a.SetPIN(ctx, "1234", ""); !errors.Is(err, ErrHiddenChats) {
		t.Fatalf("remove PIN with a hidden chat = %v, want ErrHiddenChats", err)
	}
	if err := a.Reveal(ctx, "1234"); err != nil {
		t.Fatal(err)
	}
	if err := a.Unhide(ctx, Direct(bob.ct.ID)); err != nil {
		t.Fatal(err)
	}
	a.Conceal()
	if got, want := lTitles(t, a), "Cat,Bob"; got != want {
		t.Fatalf("conversations after unhiding = %s, want %s", got, want)
	}
	if err := a.SetPIN(ctx, "1234", ""); err != nil {
		t.Fatalf("remove PIN: %v", err)
	}
	if set, _ := a.PINSet(ctx); set {
		t.Fatal("PIN still set after removal")
	}
}

func TestHideUnknownConversation(t *testing.T) {
	_, a, _, _, _, _ := lChats(t)
	ctx := context.Background()
	if err := a.SetPIN(ctx, "", "1234"); err != nil {
		t.Fatal(err)
	}
	nobody := Direct(crypto.ID{'N', 'O', 'B', 'O', 'D', 'Y', '0', '1'})
	if err := a.Hide(ctx, nobody); !errors.Is(err, ErrNoConversation) {
		t.Fatalf("Hide of an unknown conversation = %v, want ErrNoConversation", err)
	}
	if got, want := lTitles(t, a), "Cat,Bob"; got != want {
		t.Fatalf("conversations = %s, want %s", got, want)
	}
}

// TestHiddenChatStaysHiddenWhenMessagesArrive: a new message in a hidden
// chat does not bring it back to the list.
func TestHiddenChatStaysHiddenWhenMessagesArrive(t *testing.T) {
	n, a, _, ann, bob, _ := lChats(t)
	ctx := context.Background()
	if err := a.SetPIN(ctx, "", "1234"); err != nil {
		t.Fatal(err)
	}
	if err := a.Hide(ctx, Direct(bob.ct.ID)); err != nil {
		t.Fatal(err)
	}
	b := n.core(bob, newLStore(), nil)
	lSync(t, b)
	if _, err := b.Send(ctx, Direct(ann.ct.ID), "secret plans"); err != nil {
		t.Fatal(err)
	}
	ch := lSync(t, a)
	if got, want := lTitles(t, a), "Cat"; got != want {
		t.Fatalf("conversations after Bob wrote = %s, want %s", got, want)
	}
	for _, m := range ch.Incoming {
		if m.From == bob.ct.ID {
			t.Fatalf("a concealed hidden chat raised a notification: %+v", m)
		}
	}
}

func TestRevealLocked(t *testing.T) {
	n := newLNet(t)
	ann := n.user("ANN00001", "Ann", nil)
	c := New(Config{Identity: Identity{ID: ann.ct.ID, PublicKey: ann.ct.PublicKey}, Store: newLStore()})
	ctx := context.Background()
	if err := c.Reveal(ctx, "1234"); !errors.Is(err, ErrLocked) {
		t.Fatalf("Reveal while locked = %v, want ErrLocked", err)
	}
	if err := c.SetPIN(ctx, "", "1234"); !errors.Is(err, ErrLocked) {
		t.Fatalf("SetPIN while locked = %v, want ErrLocked", err)
	}
	if err := c.Hide(ctx, Direct(ann.ct.ID)); !errors.Is(err, ErrLocked) {
		t.Fatalf("Hide while locked = %v, want ErrLocked", err)
	}
}

func FuzzValidPIN(f *testing.F) {
	for _, s := range []string{"1234", "123", "123456789012", "1234567890123", "12a4", "١٢٣٤", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ok := validPIN(s)
		want := len(s) >= 4 && len(s) <= 12 && strings.Trim(s, "0123456789") == ""
		if ok != want {
			t.Fatalf("validPIN(%q) = %v, want %v", s, ok, want)
		}
	})
}
