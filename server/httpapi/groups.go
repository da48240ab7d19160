package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/apijson"
	"github.com/parley-chat/parley/store"
)

// groupNameJSON is the body of POST /api/v1/groups and PATCH
// /api/v1/groups/{ref}.
type groupNameJSON struct {
	Name *string `json:"name"`
}

// membersJSON is the body of POST and DELETE /api/v1/groups/{ref}/members.
type membersJSON struct {
	Members []string `json:"members"`
}

// groupDetail is a group with its members' names and states; without
// users:read the names stay empty.
func (a *api) groupDetail(ctx context.Context, g store.Group) apijson.GroupDetail {
	out := apijson.GroupDetail{Group: apijson.ToGroup(g, a.tenantName(ctx)), MemberList: []apijson.GroupMember{}}
	if len(g.Members) == 0 {
		return out
	}
	users, err := a.admin.UsersByID(ctx, keyTenant, g.Members)
	if err != nil {
		users = nil // without users:read the names stay empty
	}
	for _, id := range g.Members {
		u := users[id]
		out.MemberList = append(out.MemberList, apijson.GroupMember{ID: id.String(), Name: u.Name, Status: string(u.Status)})
	}
	return out
}

// GET /api/v1/groups
func (a *api) listGroups(w http.ResponseWriter, r *http.Request) error {
	if _, err := query(r); err != nil {
		return err
	}
	gs, err := a.admin.Groups(r.Context(), keyTenant)
	if err != nil {
		return err
	}
	tenant := a.tenantName(r.Context())
	out := make([]apijson.Group, 0, len(gs))
	for _, g := range gs {
		out = append(out, apijson.ToGroup(g, tenant))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// POST /api/v1/groups
func (a *api) createGroup(w http.ResponseWriter, r *http.Request) error {
	if _, err := query(r); err != nil {
		return err
	}
	var in groupNameJSON
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Name == nil {
		return invalid("give the group's name: {\"name\": \"...\"}")
	}
	g, err := a.admin.CreateGroup(r.Context(), keyTenant, *in.Name)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/groups/"+g.ID)
	writeJSON(w, http.StatusCreated, a.groupDetail(r.Context(), g))
	return nil
}

// GET /api/v1/groups/{ref}: ref is the group's ID or its name.
func (a *api) getGroup(w http.ResponseWriter, r *http.Request) error {
	if _, err := query(r); err != nil {
		return err
	}
	g, err := a.admin.Group(r.Context(), keyTenant, r.PathValue("ref"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.groupDetail(r.Context(), g))
	return nil
}

// PATCH /api/v1/groups/{ref}: renames the group.
func (a *api) renameGroup(w http.ResponseWriter, r *http.Request) error {
	if _, err := query(r); err != nil {
		return err
	}
	var in groupNameJSON
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Name == nil {
		return invalid("nothing to change: give the group's new name: {\"name\": \"...\"}")
	}
	g, err := a.admin.RenameGroup(r.Context(), keyTenant, r.PathValue("ref"), *in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.groupDetail(r.Context(), g))
	return nil
}

// DELETE /api/v1/groups/{ref}: answers the deleted group.
func (a *api) deleteGroup(w http.ResponseWriter, r *http.Request) error {
	if _, err := query(r); err != nil {
		return err
	}
	g, err := a.admin.DeleteGroup(r.Context(), keyTenant, r.PathValue("ref"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.groupDetail(r.Context(), g))
	return nil
}

// POST /api/v1/groups/{ref}/members
func (a *api) addMembers(w http.ResponseWriter, r *http.Request) error {
	return a.changeMembers(w, r, a.admin.AddGroupMembers)
}

// DELETE /api/v1/groups/{ref}/members
func (a *api) removeMembers(w http.ResponseWriter, r *http.Request) error {
	return a.changeMembers(w, r, a.admin.RemoveGroupMembers)
}

// changeMembers reads {"members": [IDs]} and applies change, all or none.
func (a *api) changeMembers(w http.ResponseWriter, r *http.Request,
	change func(ctx context.Context, tenant, ref string, ids []crypto.ID) (store.Group, error)) error {
	if _, err := query(r); err != nil {
		return err
	}
	var in membersJSON
	if err := decode(r, &in); err != nil {
		return err
	}
	if len(in.Members) == 0 {
		return invalid("give the members: {\"members\": [\"PARLEYID\", ...]}")
	}
	if len(in.Members) > admin.MaxGroupMembers {
		return invalid(fmt.Sprintf("at most %d members at once", admin.MaxGroupMembers))
	}
	ids := make([]crypto.ID, 0, len(in.Members))
	for _, m := range in.Members {
		id, err := crypto.ParseID(m)
		if err != nil {
			return invalid(fmt.Sprintf("members: %q is not a Parley ID (8 characters A-Z, 0-9)", clip(m)))
		}
		ids = append(ids, id)
	}
	g, err := change(r.Context(), keyTenant, r.PathValue("ref"), ids)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.groupDetail(r.Context(), g))
	return nil
}

// GET /api/v1/stats?days=N
func (a *api) stats(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "days")
	if err != nil {
		return err
	}
	days := 0
	if v := q.Get("days"); v != "" {
		if days, err = strconv.Atoi(v); err != nil || days < 1 || days > admin.MaxStatsDays {
			return invalid(fmt.Sprintf("days=%q: give a number from 1 to %d", clip(v), admin.MaxStatsDays))
		}
	}
	st, err := a.admin.Stats(r.Context(), keyTenant, days)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apijson.ToStats(st, a.tenantName(r.Context())))
	return nil
}
