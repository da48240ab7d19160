package admin

import (
	"context"
	"errors"
	"testing"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

func TestPermissions(t *testing.T) {
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dir := directory.New(db, directory.Config{KDF: crypto.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}})
	svc := New(dir)
	admin := auth.With(context.Background(), &auth.Principal{Admin: &store.Admin{Role: store.RoleInstance}})
	user := auth.With(context.Background(), &auth.Principal{User: &store.User{Status: store.UserActive}})
	nobody := auth.With(context.Background(), &auth.Principal{})
	none := context.Background()

	if _, err := svc.CreateTenant(admin, directory.TenantSpec{Name: "acme", Seats: 5}); err != nil {
		t.Fatal(err)
	}
	calls := map[string]func(ctx context.Context) error{
		"create tenant": func(ctx context.Context) error {
			_, err := svc.CreateTenant(ctx, directory.TenantSpec{Name: "evil"})
			return err
		},
		"list tenants": func(ctx context.Context) error { _, err := svc.Tenants(ctx); return err },
		"create user": func(ctx context.Context) error {
			_, err := svc.CreateUser(ctx, "acme", "Mallory", "")
			return err
		},
		"list users": func(ctx context.Context) error { _, err := svc.Users(ctx, "acme"); return err },
	}
	for name, call := range calls {
		for who, ctx := range map[string]context.Context{"user": user, "unknown key": nobody, "no principal": none} {
			if err := call(ctx); !errors.Is(err, ErrForbidden) {
				t.Errorf("%s as %s: err = %v, want ErrForbidden", name, who, err)
			}
		}
		if err := call(admin); err != nil && name != "create tenant" {
			t.Errorf("%s as admin: %v", name, err)
		}
	}
	// Nothing the refused calls tried was written.
	ts, _ := svc.Tenants(admin)
	us, _ := svc.Users(admin, "acme")
	if len(ts) != 2 || len(us) != 1 { // acme + evil (by admin), Mallory (by admin)
		t.Fatalf("tenants %d, users %d", len(ts), len(us))
	}
	if svc.IsAdmin(user) || !svc.IsAdmin(admin) {
		t.Fatal("IsAdmin wrong")
	}
}
