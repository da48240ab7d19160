package hosted

import (
	"bytes"
	"testing"
	"testing/synctest"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/policy"
)

func testSecretKey(t *testing.T, fill byte) *crypto.SecretKey {
	t.Helper()
	var sk crypto.SecretKey
	for i := range sk {
		sk[i] = fill
	}
	return &sk
}

// held returns the stored entry of a user (nil: none), for checking that
// a key was wiped.
func (k *Keyring) held(id crypto.ID) *heldKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keys[id]
}

func wiped(e *heldKey) bool {
	var zero crypto.SecretKey
	return bytes.Equal(e.sk[:], zero[:])
}

// twoIDs returns two Parley IDs for keyring tests.
func twoIDs() (ada, bob crypto.ID) {
	return crypto.ID{'A', 'D', 'A', '0', '0', '0', '0', '1'}, crypto.ID{'B', 'O', 'B', '0', '0', '0', '0', '2'}
}

// In these tests time is synctest's: time.Sleep moves the bubble's clock
// and fires the timers due, instantly.

func TestKeyringWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ada, bob := twoIDs()
		k := NewKeyring()
		sk := testSecretKey(t, 7)
		start := time.Now()
		until := k.Unlock(ada, sk, 15*time.Minute)
		if want := start.Add(15 * time.Minute); !until.Equal(want) {
			t.Fatalf("until = %v, want %v", until, want)
		}
		sk.Wipe() // the keyring holds its own copy
		e := k.held(ada)
		time.Sleep(15*time.Minute - time.Second)
		got, gotUntil, ok := k.Key(ada, 15*time.Minute)
		if !ok || got[0] != 7 || !gotUntil.Equal(until) {
			t.Fatalf("Key within the window = %v, %v, %v", got, gotUntil, ok)
		}
		got[0] = 9 // a copy: changing it changes nothing kept
		if again, _, _ := k.Key(ada, 15*time.Minute); again[0] != 7 {
			t.Fatal("Key returned the kept key, not a copy")
		}
		if _, _, ok := k.Key(bob, 15*time.Minute); ok {
			t.Fatal("another user's key is there")
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if k.held(ada) != nil || !wiped(e) {
			t.Fatal("the key outlived its window")
		}
		if _, _, ok := k.Key(ada, 15*time.Minute); ok {
			t.Fatal("Key after the window")
		}
	})
}

// TestKeyringWindowShortened: an admin who shortens the window or turns it
// off ends open windows early.
func TestKeyringWindowShortened(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ada, bob := twoIDs()
		k := NewKeyring()
		k.Unlock(ada, testSecretKey(t, 1), time.Hour)
		k.Unlock(bob, testSecretKey(t, 2), time.Hour)
		e := k.held(ada)
		time.Sleep(10 * time.Minute)
		if _, _, ok := k.Key(ada, 5*time.Minute); ok {
			t.Fatal("a 5-minute window is still open after 10 minutes")
		}
		if k.held(ada) != nil || !wiped(e) {
			t.Fatal("the key of a closed window was kept")
		}
		if _, _, ok := k.Key(bob, 0); ok {
			t.Fatal("the window is off, yet the key is there")
		}
	})
}

func TestKeyringSessions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ada, bob := twoIDs()
		k := NewKeyring()
		k.Hold(ada, "s1", testSecretKey(t, 3))
		k.Hold(ada, "s2", testSecretKey(t, 3))
		e := k.held(ada)
		time.Sleep(48 * time.Hour) // sessions last as long as they are open
		if _, until, ok := k.Key(ada, 0); !ok || !until.IsZero() {
			t.Fatalf("Key while sessions are open = %v, %v", until, ok)
		}
		k.Release(ada, "s1", 0)
		k.Release(ada, "unknown session", 0)
		if _, _, ok := k.Key(ada, 0); !ok {
			t.Fatal("the key went while a session is still open")
		}
		// With the window off, the last session takes the key with it.
		k.Release(ada, "s2", 0)
		if k.held(ada) != nil || !wiped(e) {
			t.Fatal("the key stayed after the last session with the window off")
		}

		// With a window, it stays that long after the last session.
		k.Hold(bob, "s3", testSecretKey(t, 4))
		e = k.held(bob)
		time.Sleep(time.Hour)
		k.Release(bob, "s3", 10*time.Minute)
		if _, until, ok := k.Key(bob, 10*time.Minute); !ok || !until.Equal(time.Now().Add(10*time.Minute)) {
			t.Fatalf("Key after the session = %v, %v", until, ok)
		}
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if k.held(bob) != nil || !wiped(e) {
			t.Fatal("the key outlived the window after the session")
		}
	})
}

// TestKeyringUnlockAndSession: an unlock longer than the window after a
// session keeps the longer one.
func TestKeyringUnlockAndSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ada, _ := twoIDs()
		k := NewKeyring()
		until := k.Unlock(ada, testSecretKey(t, 5), time.Hour)
		k.Hold(ada, "s1", testSecretKey(t, 5))
		k.Release(ada, "s1", time.Minute)
		if _, got, ok := k.Key(ada, time.Hour); !ok || !got.Equal(until) {
			t.Fatalf("Key = %v, %v; want until %v", got, ok, until)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		if k.held(ada) != nil {
			t.Fatal("the key outlived the unlock")
		}
	})
}

func TestKeyringLockAndClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ada, bob := twoIDs()
		k := NewKeyring()
		k.Unlock(ada, testSecretKey(t, 6), time.Hour)
		e := k.held(ada)
		if n := k.Lock(ada); n != 0 || k.held(ada) != nil || !wiped(e) {
			t.Fatalf("Lock = %d; the key is kept or not wiped", n)
		}
		if n := k.Lock(ada); n != 0 {
			t.Fatalf("Lock of nothing = %d", n)
		}
		// A session keeps its key through a lock; the window is gone.
		k.Unlock(bob, testSecretKey(t, 8), time.Hour)
		k.Hold(bob, "s1", testSecretKey(t, 8))
		if n := k.Lock(bob); n != 1 {
			t.Fatalf("Lock with a session open = %d, want 1", n)
		}
		if _, until, ok := k.Key(bob, time.Hour); !ok || !until.IsZero() {
			t.Fatalf("Key after Lock with a session = %v, %v", until, ok)
		}
		k.Hold(ada, "s2", testSecretKey(t, 6))
		ea, eb := k.held(ada), k.held(bob)
		k.Close()
		if k.held(ada) != nil || k.held(bob) != nil || !wiped(ea) || !wiped(eb) {
			t.Fatal("Close kept keys")
		}
		k.Hold(ada, "s3", testSecretKey(t, 6))
		k.Unlock(ada, testSecretKey(t, 6), time.Hour)
		if _, _, ok := k.Key(ada, time.Hour); ok {
			t.Fatal("a closed keyring took a key")
		}
	})
}

// TestChatSessionUnlocksTheWindow: a hosted chat session that unlocks puts
// its key on the keyring; when it ends the tenant's window applies, and 0
// ends it with the session.
func TestChatSessionUnlocksTheWindow(t *testing.T) {
	w := newWorld(t, 0)
	w.d.Keyring = NewKeyring()
	t.Cleanup(w.d.Keyring.Close)
	ada := w.user("Ada")
	s := w.session(ada, "chat-1")
	p := &auth.Principal{User: ada, Session: "chat-1"}
	win, err := UnlockWindow(bg, w.db, p)
	if err != nil || win != 15*time.Minute {
		t.Fatalf("default window = %v, %v", win, err)
	}
	sk, until, ok := w.d.Keyring.Key(ada.ID, win)
	if !ok || !until.IsZero() || !sk.Public().Equal(ada.PublicKey) {
		t.Fatalf("key of an open session = %v, %v", until, ok)
	}
	s.Close()
	EndSession(bg, w.d, p)
	if _, until, ok := w.d.Keyring.Key(ada.ID, win); !ok || time.Until(until) < 14*time.Minute {
		t.Fatalf("after the session: %v, %v; want the 15-minute window", until, ok)
	}
	w.d.Keyring.Lock(ada.ID)

	w.setPolicy(crypto.ID{}, policy.UnlockWindow, "0")
	w.session(ada, "chat-2")
	p2 := &auth.Principal{User: ada, Session: "chat-2"}
	if _, _, ok := w.d.Keyring.Key(ada.ID, 0); !ok {
		t.Fatal("an open session does not count with the window off")
	}
	EndSession(bg, w.d, p2)
	if _, _, ok := w.d.Keyring.Key(ada.ID, 0); ok {
		t.Fatal("the key stayed after the session with the window off")
	}
}
