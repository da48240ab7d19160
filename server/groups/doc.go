// Package groups is the server's registry of group membership, acting for
// the user in the context: users create groups of their own, their group
// admins add and remove members, rename the group and appoint admins, and
// every member may leave. Managed groups (made by tenant admins through
// server/admin) are listed here too, but their membership is fixed.
//
// The registry holds who is in which group and nothing of what the group
// says: group messages stay end-to-end encrypted, once per member, and
// travel through the relay (relay.Service.SendBatch). What this package
// enforces is the policy around membership: who may create groups
// (th_disable_create_group), at most MaxMembers members, members that
// exist, are active and are reachable from the person adding them.
//
// After every change the service announces relay.EventGroups to every old
// and new member, so open clients ask again. It knows nothing about SSH,
// terminals or the client core.
package groups
