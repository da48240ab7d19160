package admin

import (
	"slices"

	"github.com/parley-chat/parley/store"
)

// Perm is one kind of administrative action. API key scopes are Perms.
type Perm string

// Permissions.
const (
	PermTenantsManage Perm = "tenants:manage"
	PermLicenseManage Perm = "license:manage"
	PermTenantRead    Perm = "tenant:read"
	PermTenantBrand   Perm = "tenant:brand"
	PermLicenseRead   Perm = "license:read"
	PermUsersRead     Perm = "users:read"
	PermUsersWrite    Perm = "users:write"
	PermDevicesRead   Perm = "devices:read"
	PermDevicesWrite  Perm = "devices:write"
	PermAdminsRead    Perm = "admins:read"
	PermAdminsWrite   Perm = "admins:write"
	PermGroupsRead    Perm = "groups:read"
	PermGroupsWrite   Perm = "groups:write"
	PermGroupMembers  Perm = "groups:members"
	PermAuditRead     Perm = "audit:read"
	PermExportRequest Perm = "exports:request"
	PermExportApprove Perm = "exports:approve"
	PermAPIKeysRead   Perm = "apikeys:read"
	PermAPIKeysWrite  Perm = "apikeys:write"
	PermStatsRead     Perm = "stats:read"
	PermPoliciesRead  Perm = "policies:read"
	PermPoliciesWrite Perm = "policies:write"
)

// Description says what a permission allows, for help texts and the admin guide.
func (p Perm) Description() string {
	switch p {
	case PermTenantsManage:
		return "create, list, suspend and resume tenants; add e-mail domains; set directory groups"
	case PermLicenseManage:
		return "add, extend and convert license packages, change seats"
	case PermTenantRead:
		return "read the tenant's settings"
	case PermTenantBrand:
		return "set the tenant's display name and accent colour"
	case PermLicenseRead:
		return "read license use and warnings"
	case PermUsersRead:
		return "list and show users"
	case PermUsersWrite:
		return "create, edit, delete and revoke users; re-issue activation codes; import users"
	case PermDevicesRead:
		return "list a user's devices"
	case PermDevicesWrite:
		return "remove a user's device"
	case PermAdminsRead:
		return "list the tenant's admins"
	case PermAdminsWrite:
		return "add and remove admins (owners only by owners)"
	case PermGroupsRead:
		return "list and show managed groups"
	case PermGroupsWrite:
		return "create, rename and delete managed groups"
	case PermGroupMembers:
		return "add and remove members of managed groups (group admins: their own groups only)"
	case PermAuditRead:
		return "list and verify the audit log"
	case PermExportRequest:
		return "request an export of the audit log or the users, and carry it out once approved"
	case PermExportApprove:
		return "approve another admin's export request"
	case PermAPIKeysRead:
		return "list API keys"
	case PermAPIKeysWrite:
		return "create and revoke API keys"
	case PermStatsRead:
		return "read statistics (counts only)"
	case PermPoliciesRead:
		return "show policies and quiet hours in effect, export policies"
	case PermPoliciesWrite:
		return "set and unset policies and quiet hours, import policies"
	}
	return ""
}

// rolePerms is what each tenant role may do. Instance admins may do
// everything, in every tenant.
func rolePerms(r store.Role) []Perm {
	read := []Perm{PermTenantRead, PermLicenseRead, PermUsersRead, PermDevicesRead, PermAdminsRead, PermGroupsRead, PermAuditRead,
		PermAPIKeysRead, PermStatsRead, PermPoliciesRead}
	switch r {
	case store.RoleOwner:
		return append(read, PermTenantBrand, PermUsersWrite, PermDevicesWrite, PermAdminsWrite, PermGroupsWrite,
			PermGroupMembers, PermExportRequest, PermExportApprove, PermAPIKeysWrite, PermPoliciesWrite)
	case store.RoleAdmin:
		return append(read, PermUsersWrite, PermDevicesWrite, PermAdminsWrite, PermGroupsWrite, PermGroupMembers,
			PermExportRequest, PermExportApprove, PermAPIKeysWrite, PermPoliciesWrite)
	case store.RoleAuditor:
		return append(read, PermExportRequest, PermExportApprove)
	case store.RoleGroupAdmin:
		return []Perm{PermTenantRead, PermUsersRead, PermGroupsRead, PermGroupMembers}
	}
	return nil
}

// RoleAllows reports whether a tenant role grants perm.
func RoleAllows(r store.Role, perm Perm) bool { return slices.Contains(rolePerms(r), perm) }

// APIScopes are the permissions an API key may be given: everything a
// tenant owner has except managing admins, API keys and exports, which
// stay with people.
func APIScopes() []Perm {
	return []Perm{PermTenantRead, PermLicenseRead, PermUsersRead, PermUsersWrite, PermDevicesRead, PermDevicesWrite,
		PermGroupsRead, PermGroupsWrite, PermGroupMembers, PermAuditRead, PermStatsRead, PermPoliciesRead, PermPoliciesWrite}
}

// Roles are the tenant roles, for help texts and validation.
func Roles() []store.Role {
	return []store.Role{store.RoleOwner, store.RoleAdmin, store.RoleGroupAdmin, store.RoleAuditor}
}

// Perms lists every permission, in the order the admin guide shows them.
func Perms() []Perm {
	return []Perm{PermTenantsManage, PermLicenseManage, PermTenantRead, PermTenantBrand, PermLicenseRead,
		PermUsersRead, PermUsersWrite, PermDevicesRead, PermDevicesWrite, PermAdminsRead, PermAdminsWrite,
		PermGroupsRead, PermGroupsWrite, PermGroupMembers, PermAuditRead, PermExportRequest,
		PermExportApprove, PermAPIKeysRead, PermAPIKeysWrite, PermStatsRead, PermPoliciesRead, PermPoliciesWrite}
}
