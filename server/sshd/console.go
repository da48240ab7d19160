package sshd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"github.com/charmbracelet/colorprofile"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/audit"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/server/quiet"
	"github.com/parley-chat/parley/store"
	adminui "github.com/parley-chat/parley/tui/admin"
	"github.com/parley-chat/parley/tui/term"
)

// consoleAuditLimit bounds the audit entries the console lists.
const consoleAuditLimit = 500

// console runs the admin console on an interactive session and returns
// the exit status.
func (s *Server) console(sess ssh.Session, p *auth.Principal) int {
	ctx := auth.With(sess.Context(), p)
	pty, windows, _ := sess.Pty()
	env := append(sess.Environ(), "TERM="+pty.Term)
	var prog *term.Program[ssh.Window]
	var once sync.Once
	model := adminui.New(adminui.Options{
		Service:         &consoleAdapter{svc: s.deps.Admin},
		Theme:           s.theme,
		Context:         ctx,
		SSHCommand:      s.sshCommand(""),
		ActivateCommand: s.sshCommand("-t"),
		Location:        sessionZone(sess.Environ()),
		After: func(d time.Duration, msg tea.Msg) {
			time.AfterFunc(d, func() { prog.Send(msg) }) // a no-op once the session ended
		},
	})
	prog = term.New(model, term.Options{
		Input:   sess,
		Output:  sess,
		Size:    term.Size{Width: pty.Window.Width, Height: pty.Window.Height},
		Profile: colorprofile.Env(env),
		Close: func(err error) {
			once.Do(func() {
				if err != nil {
					s.log.WarnContext(sess.Context(), "console session ended with an error", "err", err, "session", p.Session)
					fmt.Fprintf(sess.Stderr(), "Session ended: %v\n", err)
					_ = sess.Exit(1)
					return
				}
				_ = sess.Exit(0)
			})
		},
		Logger: s.log,
	}, windows, func(w ssh.Window) term.Size { return term.Size{Width: w.Width, Height: w.Height} })
	if err := prog.Run(ctx); err != nil {
		return 1
	}
	return 0
}

// consoleAdapter is the console's port onto the admin service. It
// translates types and nothing else: every rule is the service's.
type consoleAdapter struct {
	svc *admin.Service
}

var _ adminui.Service = (*consoleAdapter)(nil)

func (a *consoleAdapter) SecondFactorRequired(ctx context.Context) (bool, error) {
	return a.svc.SecondFactorRequired(ctx)
}

func (a *consoleAdapter) ProveSecondFactor(ctx context.Context, code string) error {
	err := a.svc.ProveSecondFactor(ctx, code)
	if errors.Is(err, admin.ErrBadCode) {
		return fmt.Errorf("%w: %w", adminui.ErrBadCode, err)
	}
	return err
}

func (a *consoleAdapter) Tenants(ctx context.Context) ([]adminui.Tenant, error) {
	toUI := func(t store.Tenant, role store.Role) adminui.Tenant {
		return adminui.Tenant{Name: t.Name, DisplayName: t.DisplayName, Accent: t.Accent, Role: string(role), Suspended: t.Suspended}
	}
	if auth.From(ctx).IsInstanceAdmin() {
		ts, err := a.svc.Tenants(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]adminui.Tenant, 0, len(ts))
		for _, t := range ts {
			out = append(out, toUI(t, store.RoleInstance))
		}
		slices.SortFunc(out, func(x, y adminui.Tenant) int { return strings.Compare(x.Name, y.Name) })
		return out, nil
	}
	trs, err := a.svc.MyTenants(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]adminui.Tenant, 0, len(trs))
	for _, tr := range trs {
		out = append(out, toUI(tr.Tenant, tr.Role))
	}
	return out, nil
}

// consolePerms are the permissions the console greys actions out by.
func consolePerms() []adminui.Perm {
	return []adminui.Perm{adminui.PermUsersWrite, adminui.PermDevicesWrite, adminui.PermAdminsWrite, adminui.PermGroupsWrite,
		adminui.PermGroupMembers, adminui.PermAuditRead, adminui.PermAPIKeysWrite, adminui.PermPoliciesWrite}
}

func (a *consoleAdapter) Permissions(ctx context.Context, tenant string) (adminui.Perms, error) {
	want := make([]admin.Perm, 0, len(consolePerms()))
	for _, perm := range consolePerms() {
		want = append(want, admin.Perm(perm))
	}
	// The service decides, on the roles the store holds now.
	got, err := a.svc.Allows(ctx, tenant, want...)
	if err != nil {
		return nil, err
	}
	out := adminui.Perms{}
	for _, perm := range consolePerms() {
		out[perm] = got[admin.Perm(perm)]
	}
	return out, nil
}

// lastDay is the date of the last day a package that ends at end is valid.
func lastDay(end time.Time) time.Time {
	if end.IsZero() {
		return time.Time{}
	}
	d, _ := time.Parse(time.DateOnly, admin.LastDay(end))
	return d
}

func (a *consoleAdapter) License(ctx context.Context, tenant string) (adminui.License, error) {
	r, err := a.svc.License(ctx, tenant)
	if err != nil {
		return adminui.License{}, err
	}
	l := adminui.License{Seats: r.Usage.Seats, ActiveUsers: r.Usage.ActiveUsers, Devices: r.Usage.Devices,
		LastDay: lastDay(r.ValidUntil), NoEnd: !r.Expired && r.ValidUntil.IsZero(), Expired: r.Expired, Warnings: r.Warnings}
	for _, p := range r.Packages {
		l.Packages = append(l.Packages, adminui.Package{ID: p.ID, Plan: p.Plan, Seats: p.Seats, LastDay: lastDay(p.ValidUntil), Trial: p.Trial})
	}
	return l, nil
}

func (a *consoleAdapter) UsersPage(ctx context.Context, tenant string, f adminui.UserFilter, after crypto.ID) ([]adminui.User, crypto.ID, error) {
	us, next, err := a.svc.UsersPage(ctx, tenant, directory.UserFilter{Name: f.Name, Tag: f.Tag}, admin.UserPage{After: after})
	if err != nil {
		return nil, crypto.ID{}, err
	}
	out := make([]adminui.User, 0, len(us))
	for _, u := range us {
		out = append(out, uiUser(u.User, len(u.Devices)))
	}
	return out, next, nil
}

func uiUser(u store.User, devices int) adminui.User {
	return adminui.User{ID: u.ID, Name: u.Name, Email: u.Email, Status: string(u.Status), Tags: u.Tags, Devices: devices, Created: u.CreatedAt}
}

func (a *consoleAdapter) User(ctx context.Context, tenant string, id crypto.ID) (adminui.UserDetail, error) {
	d, err := a.svc.User(ctx, tenant, id)
	if err != nil {
		return adminui.UserDetail{}, err
	}
	out := adminui.UserDetail{User: uiUser(d.User, len(d.Devices)), FirstName: d.FirstName, LastName: d.LastName,
		Nickname: d.Nickname, Category: d.Category, Activated: d.ActivatedAt, Removed: d.RemovedAt}
	for _, dv := range d.Devices {
		out.Devices = append(out.Devices, adminui.Device{Fingerprint: dv.Fingerprint, Added: dv.AddedAt, LastSeen: dv.LastSeen})
	}
	return out, nil
}

// devices counts a user's devices after a change, for the console's lists.
func (a *consoleAdapter) devices(ctx context.Context, tenant string, id crypto.ID) int {
	d, err := a.svc.User(ctx, tenant, id)
	if err != nil {
		return 0
	}
	return len(d.Devices)
}

func (a *consoleAdapter) CreateUser(ctx context.Context, tenant string, spec adminui.UserSpec) (adminui.NewUser, error) {
	nu, err := a.svc.CreateUser(ctx, tenant, directory.UserSpec{Name: spec.Name, Email: spec.Email, Tags: spec.Tags})
	if err != nil {
		return adminui.NewUser{}, err
	}
	return adminui.NewUser{User: uiUser(nu.User, 0), Code: nu.Code.Code, ExpiresAt: nu.Code.ExpiresAt}, nil
}

func (a *consoleAdapter) EditUser(ctx context.Context, tenant string, id crypto.ID, c adminui.UserChange) (adminui.User, error) {
	u, err := a.svc.EditUser(ctx, tenant, id, directory.ProfileChange{Name: c.Name, Email: c.Email, Tags: c.Tags})
	if err != nil {
		return adminui.User{}, err
	}
	return uiUser(u, a.devices(ctx, tenant, id)), nil
}

func (a *consoleAdapter) ReissueCode(ctx context.Context, tenant string, id crypto.ID) (adminui.NewUser, error) {
	u, c, err := a.svc.ReissueCode(ctx, tenant, id)
	if err != nil {
		return adminui.NewUser{}, err
	}
	return adminui.NewUser{User: uiUser(u, a.devices(ctx, tenant, id)), Code: c.Code, ExpiresAt: c.ExpiresAt}, nil
}

func (a *consoleAdapter) RevokeUser(ctx context.Context, tenant string, id crypto.ID) (adminui.User, error) {
	u, err := a.svc.RevokeUser(ctx, tenant, id)
	if err != nil {
		return adminui.User{}, err
	}
	return uiUser(u, a.devices(ctx, tenant, id)), nil
}

func (a *consoleAdapter) DeleteUser(ctx context.Context, tenant string, id crypto.ID, keepID, keepApp bool) (adminui.User, error) {
	u, err := a.svc.DeleteUser(ctx, tenant, id, keepID, keepApp)
	if err != nil {
		return adminui.User{}, err
	}
	return uiUser(u, a.devices(ctx, tenant, id)), nil
}

func (a *consoleAdapter) RemoveDevice(ctx context.Context, tenant string, id crypto.ID, fingerprint string) error {
	return a.svc.RemoveDevice(ctx, tenant, id, fingerprint)
}

func (a *consoleAdapter) Admins(ctx context.Context, tenant string) ([]adminui.Admin, error) {
	as, err := a.svc.AdminDetails(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]adminui.Admin, 0, len(as))
	for _, ad := range as {
		out = append(out, adminui.Admin{Fingerprint: ad.Fingerprint, Role: string(ad.Role), Label: ad.Label,
			Groups: ad.GroupNames, TwoFactor: ad.TwoFactor, Added: ad.AddedAt})
	}
	return out, nil
}

func (a *consoleAdapter) RemoveAdmin(ctx context.Context, tenant, fingerprint string) error {
	_, err := a.svc.RemoveAdmin(ctx, tenant, fingerprint)
	return err
}

func (a *consoleAdapter) Audit(ctx context.Context, tenant string, f adminui.AuditFilter) ([]adminui.AuditEntry, error) {
	es, err := a.svc.Audit(ctx, tenant, audit.Filter{Action: f.Action, Actor: f.Actor, Target: f.Target, Limit: consoleAuditLimit})
	if err != nil {
		return nil, err
	}
	out := make([]adminui.AuditEntry, 0, len(es))
	for i := len(es) - 1; i >= 0; i-- { // newest first
		e := es[i]
		out = append(out, adminui.AuditEntry{Seq: e.Seq, Time: e.Time, Actor: e.Actor, Label: e.Label, Action: e.Action,
			Target: e.Target, Before: compactJSON(e.Before), After: compactJSON(e.After)})
	}
	return out, nil
}

// compactJSON shows a stored JSON value on one line.
func compactJSON(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return string(b)
	}
	return string(out)
}

func (a *consoleAdapter) VerifyAudit(ctx context.Context, tenant string) (adminui.AuditReport, error) {
	r, err := a.svc.VerifyAudit(ctx, tenant)
	if err != nil {
		return adminui.AuditReport{}, err
	}
	return adminui.AuditReport{OK: r.OK, Entries: r.Entries, BadSeq: r.BadSeq, Problem: r.Problem}, nil
}

func uiAPIKey(k store.APIKey) adminui.APIKey {
	return adminui.APIKey{ID: k.ID, Label: k.Label, Scopes: k.Scopes, Created: k.CreatedAt, LastUsed: k.LastUsed, Revoked: k.RevokedAt}
}

func (a *consoleAdapter) APIKeys(ctx context.Context, tenant string) ([]adminui.APIKey, error) {
	ks, err := a.svc.APIKeys(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]adminui.APIKey, 0, len(ks))
	for _, k := range ks {
		out = append(out, uiAPIKey(k))
	}
	return out, nil
}

func (a *consoleAdapter) APIScopes() []string {
	var out []string
	for _, p := range admin.APIScopes() {
		out = append(out, string(p))
	}
	return out
}

func (a *consoleAdapter) CreateAPIKey(ctx context.Context, tenant, label string, scopes []string) (adminui.NewAPIKey, error) {
	nk, err := a.svc.CreateAPIKey(ctx, tenant, scopes, label)
	if err != nil {
		return adminui.NewAPIKey{}, err
	}
	return adminui.NewAPIKey{Key: uiAPIKey(nk.Key), Secret: nk.Secret}, nil
}

func (a *consoleAdapter) RevokeAPIKey(ctx context.Context, tenant, id string) error {
	_, err := a.svc.RevokeAPIKey(ctx, tenant, id)
	return err
}

func (a *consoleAdapter) Stats(ctx context.Context, tenant string, days int) (adminui.Stats, error) {
	st, err := a.svc.Stats(ctx, tenant, days)
	if err != nil {
		return adminui.Stats{}, err
	}
	out := adminui.Stats{ActiveUsers: st.ActiveUsers, PendingUsers: st.PendingUsers, Devices: st.Devices}
	for _, d := range st.Messages {
		day, err := time.Parse(time.DateOnly, d.Day)
		if err != nil {
			return adminui.Stats{}, fmt.Errorf("stats: day %q: %w", d.Day, err)
		}
		out.Messages = append(out.Messages, adminui.DayCount{Day: day, Messages: d.Messages})
	}
	return out, nil
}

// memberNames maps the tenant's users to their names, for group members;
// empty when the caller may not list users.
func (a *consoleAdapter) memberNames(ctx context.Context, tenant string, gs []store.Group) map[crypto.ID]string {
	names := map[crypto.ID]string{}
	var ids []crypto.ID
	for _, g := range gs {
		ids = append(ids, g.Members...)
	}
	us, err := a.svc.UsersByID(ctx, tenant, ids)
	if err != nil {
		return names
	}
	for id, u := range us {
		names[id] = u.Name
	}
	return names
}

func uiGroup(g store.Group, names map[crypto.ID]string) adminui.Group {
	out := adminui.Group{ID: g.ID, Name: g.Name, Created: g.CreatedAt, Members: make([]adminui.Member, 0, len(g.Members))}
	for _, id := range g.Members {
		out.Members = append(out.Members, adminui.Member{ID: id, Name: names[id]})
	}
	return out
}

func (a *consoleAdapter) Groups(ctx context.Context, tenant string) ([]adminui.Group, error) {
	gs, err := a.svc.Groups(ctx, tenant)
	if err != nil {
		return nil, err
	}
	names := a.memberNames(ctx, tenant, gs)
	out := make([]adminui.Group, 0, len(gs))
	for _, g := range gs {
		out = append(out, uiGroup(g, names))
	}
	return out, nil
}

func (a *consoleAdapter) CreateGroup(ctx context.Context, tenant, name string) (adminui.Group, error) {
	g, err := a.svc.CreateGroup(ctx, tenant, name)
	if err != nil {
		return adminui.Group{}, err
	}
	return uiGroup(g, nil), nil
}

func (a *consoleAdapter) RenameGroup(ctx context.Context, tenant, groupID, name string) (adminui.Group, error) {
	g, err := a.svc.RenameGroup(ctx, tenant, groupID, name)
	if err != nil {
		return adminui.Group{}, err
	}
	return uiGroup(g, nil), nil
}

func (a *consoleAdapter) DeleteGroup(ctx context.Context, tenant, groupID string) error {
	_, err := a.svc.DeleteGroup(ctx, tenant, groupID)
	return err
}

func (a *consoleAdapter) AddGroupMembers(ctx context.Context, tenant, groupID string, ids []crypto.ID) (adminui.Group, error) {
	g, err := a.svc.AddGroupMembers(ctx, tenant, groupID, ids)
	if err != nil {
		return adminui.Group{}, err
	}
	return uiGroup(g, nil), nil
}

func (a *consoleAdapter) RemoveGroupMembers(ctx context.Context, tenant, groupID string, ids []crypto.ID) (adminui.Group, error) {
	g, err := a.svc.RemoveGroupMembers(ctx, tenant, groupID, ids)
	if err != nil {
		return adminui.Group{}, err
	}
	return uiGroup(g, nil), nil
}

// openConsole runs the console for `ssh -t host admin` or `console`: it
// needs a terminal and an admin key.
func (s *Server) openConsole(sess ssh.Session, p *auth.Principal, hasPty bool) int {
	switch {
	case !hasPty:
		fmt.Fprintf(sess.Stderr(), "error: the console needs a terminal: %s admin\n", s.sshCommand("-t"))
		return 1
	case !s.deps.Admin.IsAdmin(auth.With(sess.Context(), p)):
		fmt.Fprintf(sess.Stderr(), "error: %v: the console is for admin keys\n", admin.ErrForbidden)
		return 1
	}
	return s.console(sess, p)
}

// --- policies and quiet hours ---

func (a *consoleAdapter) PolicyKeys() []adminui.PolicyKey {
	reg := policy.Registry()
	out := make([]adminui.PolicyKey, 0, len(reg))
	for _, k := range reg {
		out = append(out, adminui.PolicyKey{Name: k.Name, Type: string(k.Type), Default: k.Default, Description: k.Description,
			PerUser: k.PerUser, Enum: k.Enum})
	}
	return out
}

func uiPolicyValue(v policy.Value) adminui.PolicyValue {
	return adminui.PolicyValue{Key: v.Key, Value: v.Raw, Source: string(v.Source)}
}

func (a *consoleAdapter) Policies(ctx context.Context, tenant string, user *crypto.ID) ([]adminui.PolicyValue, error) {
	vs, err := a.svc.Policies(ctx, tenant, user)
	if err != nil {
		return nil, err
	}
	out := make([]adminui.PolicyValue, 0, len(vs))
	for _, v := range vs {
		out = append(out, uiPolicyValue(v))
	}
	return out, nil
}

func (a *consoleAdapter) SetPolicy(ctx context.Context, tenant string, user *crypto.ID, key, value string) (adminui.PolicyValue, error) {
	v, err := a.svc.SetPolicy(ctx, tenant, user, key, value)
	if err != nil {
		return adminui.PolicyValue{}, err
	}
	return uiPolicyValue(v), nil
}

func (a *consoleAdapter) UnsetPolicy(ctx context.Context, tenant string, user *crypto.ID, key string) error {
	return a.svc.UnsetPolicy(ctx, tenant, user, key)
}

// uiQuiet shows a status with its times in the schedule's own zone.
func uiQuiet(st admin.QuietStatus) adminui.QuietStatus {
	loc := time.UTC
	if l, err := time.LoadLocation(st.Zone); err == nil && st.Zone != "" {
		loc = l
	}
	out := adminui.QuietStatus{Schedule: st.Schedule, Zone: st.Zone, Source: string(st.Source), QuietNow: st.QuietNow,
		Next: uiChanges(st.Next, loc)}
	if !st.NextChange.IsZero() {
		out.NextChange = st.NextChange.In(loc)
	}
	return out
}

func (a *consoleAdapter) QuietHours(ctx context.Context, tenant string, user *crypto.ID) (adminui.QuietStatus, error) {
	st, err := a.svc.QuietHours(ctx, tenant, user)
	if err != nil {
		return adminui.QuietStatus{}, err
	}
	return uiQuiet(st), nil
}

func (a *consoleAdapter) SetQuietHours(ctx context.Context, tenant string, user *crypto.ID, zone, spec string) (adminui.QuietStatus, error) {
	st, err := a.svc.SetQuietHours(ctx, tenant, user, zone, spec)
	if err != nil {
		return adminui.QuietStatus{}, err
	}
	return uiQuiet(st), nil
}

func (a *consoleAdapter) UnsetQuietHours(ctx context.Context, tenant string, user *crypto.ID) error {
	return a.svc.UnsetQuietHours(ctx, tenant, user)
}

// consolePreviewChanges is how many changes a preview lists.
const consolePreviewChanges = 8

func (a *consoleAdapter) PreviewQuietHours(zone, spec string) ([]adminui.QuietChange, error) {
	s, err := quiet.Parse(zone, spec)
	if err != nil {
		return nil, err
	}
	return uiChanges(s.Changes(time.Now(), consolePreviewChanges), s.Zone()), nil
}

// uiChanges shows a schedule's changes in its own time zone.
func uiChanges(cs []quiet.Change, loc *time.Location) []adminui.QuietChange {
	out := make([]adminui.QuietChange, 0, len(cs))
	for _, c := range cs {
		out = append(out, adminui.QuietChange{At: c.At.In(loc), Quiet: c.Quiet})
	}
	return out
}
