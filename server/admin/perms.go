package admin

import (
	"slices"

	"github.com/parley-chat/parley/store"
)

// Perm is one kind of administrative action. API key scopes are Perms.
type Perm string

// Permissions.
const (
	PermTenantsManage  Perm = "tenants:manage" // create, list, suspend tenants (instance admins)
	PermLicenseManage  Perm = "license:manage" // add, extend, convert license packages (instance admins)
	PermTenantRead     Perm = "tenant:read"    // the tenant's own settings and license state
	PermTenantBrand    Perm = "tenant:brand"   // display name and accent colour
	PermUsersRead      Perm = "users:read"
	PermUsersWrite     Perm = "users:write" // create, edit, delete, revoke, codes, devices, import
	PermAdminsRead     Perm = "admins:read"
	PermAdminsWrite    Perm = "admins:write"
	PermGroupsRead     Perm = "groups:read"
	PermGroupsWrite    Perm = "groups:write"   // create, rename, delete managed groups, name group admins
	PermGroupMembers   Perm = "groups:members" // add and remove members (group admins: their groups only)
	PermAuditRead      Perm = "audit:read"
	PermExportRequest  Perm = "exports:request"
	PermExportApprove  Perm = "exports:approve"
	PermAPIKeysRead    Perm = "apikeys:read"
	PermAPIKeysWrite   Perm = "apikeys:write"
	PermStatsRead      Perm = "stats:read"
	PermPoliciesRead   Perm = "policies:read"
	PermPoliciesWrite  Perm = "policies:write"
	PermLicenseRead    Perm = "license:read"
	PermDevicesRead    Perm = "devices:read"
	PermDevicesWrite   Perm = "devices:write"
	PermGroupAdminRead Perm = "groups:admins:read"
)

// rolePerms is what each tenant role may do. Instance admins may do
// everything, in every tenant.
func rolePerms(r store.Role) []Perm {
	read := []Perm{PermTenantRead, PermLicenseRead, PermUsersRead, PermDevicesRead, PermAdminsRead, PermGroupsRead,
		PermGroupAdminRead, PermAuditRead, PermAPIKeysRead, PermStatsRead, PermPoliciesRead}
	switch r {
	case store.RoleOwner:
		return append(read, PermTenantBrand, PermUsersWrite, PermDevicesWrite, PermAdminsWrite, PermGroupsWrite,
			PermGroupMembers, PermExportRequest, PermExportApprove, PermAPIKeysWrite, PermPoliciesWrite)
	case store.RoleAdmin:
		return append(read, PermUsersWrite, PermDevicesWrite, PermGroupsWrite, PermGroupMembers,
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
