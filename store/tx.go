package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/parley-chat/parley/crypto"
)

// Bucket names of schema version 1; see the package doc.
const (
	bMeta        = "meta"
	bTenants     = "tenants"
	bTenantNames = "tenant_names"
	bDomains     = "domains"
	bUsers       = "users"
	bUserEmails  = "user_emails"
	bTenantUsers = "tenant_users"
	bActivations = "activations"
	bDevices     = "devices"
	bUserDevices = "user_devices"
	bAdmins      = "admins"
	bMailbox     = "mailbox"
	bDevStore    = "devstore"
	// Schema 2.
	bLicenses     = "licenses"
	bGroups       = "groups"
	bAudit        = "audit"
	bAPIKeys      = "apikeys"
	bAPIKeyHashes = "apikey_hashes" //nolint:gosec // a bucket name, not a credential
	bExports      = "exports"
	bTOTP         = "totp"
	bStats        = "stats"
	// Schema 5.
	bCursors  = "cursors"
	bMailAcks = "mail_acks"
)

// recordVersion prefixes every JSON record.
const recordVersion = 1

// Mailbox entry versions: 1 stored the arrival time in Unix milliseconds,
// 2 (written now) in Unix nanoseconds.
const (
	deliveryV1      = 1
	deliveryVersion = 2
)

type boltTx struct {
	tx  *bolt.Tx
	idx *mailIndex
	// Mailbox changes of this transaction, applied to idx after it commits.
	adds, dels []mailRef
	// standing says the transaction wrote a tenant, license, user or
	// device: what decides whether an open session may go on (Standing).
	standing bool
}

var errReadOnly = errors.New("write in a read-only transaction")

var _ Tx = (*boltTx)(nil)

func (t *boltTx) bucket(name string) *bolt.Bucket {
	b := t.tx.Bucket([]byte(name))
	if b == nil {
		// Buckets are created by the initial migration; their absence means
		// the file is not a Parley database of this schema.
		panic(fmt.Sprintf("store: bucket %q missing", name))
	}
	return b
}

func encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	return append([]byte{recordVersion}, b...), nil
}

func decode(b []byte, v any) error {
	if len(b) < 2 || b[0] != recordVersion {
		return fmt.Errorf("record version: %w", ErrCorrupt)
	}
	if err := json.Unmarshal(b[1:], v); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return nil
}

func (t *boltTx) get(bucket string, key []byte, v any) error {
	b := t.bucket(bucket).Get(key)
	if b == nil {
		return ErrNotFound
	}
	return decode(b, v)
}

func (t *boltTx) put(bucket string, key []byte, v any) error {
	b, err := encode(v)
	if err != nil {
		return err
	}
	return t.bucket(bucket).Put(key, b)
}

// --- tenants ---

func (t *boltTx) Tenant(id string) (Tenant, error) {
	var v Tenant
	return v, t.get(bTenants, []byte(id), &v)
}

func (t *boltTx) TenantByName(name string) (Tenant, error) {
	id := t.bucket(bTenantNames).Get([]byte(strings.ToLower(name)))
	if id == nil {
		return Tenant{}, ErrNotFound
	}
	return t.Tenant(string(id))
}

func (t *boltTx) TenantOfDomain(domain string) (string, error) {
	id := t.bucket(bDomains).Get([]byte(strings.ToLower(domain)))
	if id == nil {
		return "", ErrNotFound
	}
	return string(id), nil
}

func (t *boltTx) Tenants() ([]Tenant, error) {
	var out []Tenant
	err := t.bucket(bTenants).ForEach(func(_, v []byte) error {
		var tn Tenant
		if err := decode(v, &tn); err != nil {
			return err
		}
		out = append(out, tn)
		return nil
	})
	return out, err
}

func (t *boltTx) PutTenant(tn Tenant) error {
	t.standing = true
	if old, err := t.Tenant(tn.ID); err == nil {
		if err := t.bucket(bTenantNames).Delete([]byte(strings.ToLower(old.Name))); err != nil {
			return err
		}
		for _, d := range old.Domains {
			if err := t.bucket(bDomains).Delete([]byte(strings.ToLower(d))); err != nil {
				return err
			}
		}
	}
	if err := t.put(bTenants, []byte(tn.ID), tn); err != nil {
		return err
	}
	if err := t.bucket(bTenantNames).Put([]byte(strings.ToLower(tn.Name)), []byte(tn.ID)); err != nil {
		return err
	}
	for _, d := range tn.Domains {
		if err := t.bucket(bDomains).Put([]byte(strings.ToLower(d)), []byte(tn.ID)); err != nil {
			return err
		}
	}
	return nil
}

// --- users ---

func (t *boltTx) User(id crypto.ID) (User, error) {
	var v User
	return v, t.get(bUsers, id[:], &v)
}

func (t *boltTx) UserByEmail(email string) (User, error) {
	id := t.bucket(bUserEmails).Get([]byte(strings.ToLower(email)))
	if id == nil {
		return User{}, ErrNotFound
	}
	uid, err := crypto.IDFromBytes(id)
	if err != nil {
		return User{}, fmt.Errorf("e-mail index: %w", ErrCorrupt)
	}
	return t.User(uid)
}

func tenantUserKey(tenantID string, id crypto.ID) []byte {
	k := make([]byte, 0, len(tenantID)+1+crypto.IDLen)
	k = append(k, tenantID...)
	k = append(k, 0)
	return append(k, id[:]...)
}

func (t *boltTx) UsersOfTenant(tenantID string) ([]User, error) {
	prefix := append([]byte(tenantID), 0)
	var out []User
	c := t.bucket(bTenantUsers).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		id, err := crypto.IDFromBytes(k[len(prefix):])
		if err != nil {
			return nil, fmt.Errorf("tenant index: %w", ErrCorrupt)
		}
		u, err := t.User(id)
		if err != nil {
			return nil, fmt.Errorf("tenant index %s: %w", id, err)
		}
		out = append(out, u)
	}
	return out, nil
}

func (t *boltTx) PutUser(u User) error {
	t.standing = true
	if old, err := t.User(u.ID); err == nil {
		if old.Email != "" && !strings.EqualFold(old.Email, u.Email) {
			if err := t.bucket(bUserEmails).Delete([]byte(strings.ToLower(old.Email))); err != nil {
				return err
			}
		}
		if old.TenantID != u.TenantID {
			if err := t.bucket(bTenantUsers).Delete(tenantUserKey(old.TenantID, u.ID)); err != nil {
				return err
			}
		}
	}
	if err := t.put(bUsers, u.ID[:], u); err != nil {
		return err
	}
	if u.Email != "" {
		if err := t.bucket(bUserEmails).Put([]byte(strings.ToLower(u.Email)), u.ID[:]); err != nil {
			return err
		}
	}
	return t.bucket(bTenantUsers).Put(tenantUserKey(u.TenantID, u.ID), nil)
}

// --- activation codes ---

func (t *boltTx) Activation(hash []byte) (Activation, error) {
	var v Activation
	return v, t.get(bActivations, hash, &v)
}

func (t *boltTx) PutActivation(hash []byte, a Activation) error {
	return t.put(bActivations, hash, a)
}

func (t *boltTx) DeleteActivation(hash []byte) error {
	return t.bucket(bActivations).Delete(hash)
}

// --- devices ---

func (t *boltTx) Device(fp string) (Device, error) {
	var v Device
	return v, t.get(bDevices, []byte(fp), &v)
}

func userDeviceKey(id crypto.ID, fp string) []byte {
	return append(append(append([]byte(nil), id[:]...), 0), fp...)
}

func (t *boltTx) DevicesOfUser(id crypto.ID) ([]Device, error) {
	prefix := append(append([]byte(nil), id[:]...), 0)
	var out []Device
	c := t.bucket(bUserDevices).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		d, err := t.Device(string(k[len(prefix):]))
		if err != nil {
			return nil, fmt.Errorf("device index: %w", err)
		}
		out = append(out, d)
	}
	return out, nil
}

func (t *boltTx) PutDevice(d Device) error {
	t.standing = true
	if err := t.put(bDevices, []byte(d.Fingerprint), d); err != nil {
		return err
	}
	return t.bucket(bUserDevices).Put(userDeviceKey(d.UserID, d.Fingerprint), nil)
}

func (t *boltTx) DeleteDevice(fp string) error {
	t.standing = true
	d, err := t.Device(fp)
	if err != nil {
		return err
	}
	if err := t.bucket(bUserDevices).Delete(userDeviceKey(d.UserID, fp)); err != nil {
		return err
	}
	// The device's delivery cursor goes with it.
	if err := t.DropCursor(d.UserID, KeyCursor(fp)); err != nil {
		return err
	}
	return t.bucket(bDevices).Delete([]byte(fp))
}

// --- admins ---

func adminKey(fp, tenantID string) []byte {
	return append(append([]byte(fp), 0), tenantID...)
}

func (t *boltTx) AdminRoles(fp string) ([]Admin, error) {
	prefix := append([]byte(fp), 0)
	var out []Admin
	c := t.bucket(bAdmins).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var a Admin
		if err := decode(v, &a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func (t *boltTx) AdminsOfTenant(tenantID string) ([]Admin, error) {
	all, err := t.Admins()
	if err != nil {
		return nil, err
	}
	var out []Admin
	for _, a := range all {
		if a.TenantID == tenantID {
			out = append(out, a)
		}
	}
	return out, nil
}

func (t *boltTx) Admins() ([]Admin, error) {
	var out []Admin
	err := t.bucket(bAdmins).ForEach(func(_, v []byte) error {
		var a Admin
		if err := decode(v, &a); err != nil {
			return err
		}
		out = append(out, a)
		return nil
	})
	return out, err
}

func (t *boltTx) PutAdmin(a Admin) error {
	return t.put(bAdmins, adminKey(a.Fingerprint, a.TenantID), a)
}

func (t *boltTx) DeleteAdmin(fp, tenantID string) error {
	return t.bucket(bAdmins).Delete(adminKey(fp, tenantID))
}

// --- second factors ---

func (t *boltTx) TOTP(fp string) (TOTP, error) {
	var v TOTP
	return v, t.get(bTOTP, []byte(fp), &v)
}

func (t *boltTx) PutTOTP(v TOTP) error { return t.put(bTOTP, []byte(v.Fingerprint), v) }

func (t *boltTx) DeleteTOTP(fp string) error { return t.bucket(bTOTP).Delete([]byte(fp)) }

// --- per-tenant records keyed tenant 0x00 id ---

func tenantKey(tenantID, id string) []byte {
	return append(append([]byte(tenantID), 0), id...)
}

func scanTenant[T any](t *boltTx, bucket, tenantID string) ([]T, error) {
	prefix := append([]byte(tenantID), 0)
	var out []T
	c := t.bucket(bucket).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var r T
		if err := decode(v, &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (t *boltTx) License(tenantID, id string) (License, error) {
	var v License
	return v, t.get(bLicenses, tenantKey(tenantID, id), &v)
}

func (t *boltTx) LicensesOfTenant(tenantID string) ([]License, error) {
	return scanTenant[License](t, bLicenses, tenantID)
}

func (t *boltTx) PutLicense(l License) error {
	t.standing = true
	return t.put(bLicenses, tenantKey(l.TenantID, l.ID), l)
}

func (t *boltTx) Group(tenantID, id string) (Group, error) {
	var v Group
	return v, t.get(bGroups, tenantKey(tenantID, id), &v)
}

func (t *boltTx) GroupsOfTenant(tenantID string) ([]Group, error) {
	return scanTenant[Group](t, bGroups, tenantID)
}

// PutGroup and DeleteGroup keep the group indexes: see groups.go.

// --- audit log ---

const auditHeadKey = "audit_head"

func (t *boltTx) AuditHead() (uint64, []byte, error) {
	v := t.bucket(bMeta).Get([]byte(auditHeadKey))
	if v == nil {
		return 0, nil, nil
	}
	if len(v) < 8 {
		return 0, nil, fmt.Errorf("audit head: %w", ErrCorrupt)
	}
	return binary.BigEndian.Uint64(v[:8]), append([]byte(nil), v[8:]...), nil
}

func (t *boltTx) PutAudit(e AuditEntry) error {
	head, _, err := t.AuditHead()
	if err != nil {
		return err
	}
	if e.Seq != head+1 {
		return fmt.Errorf("audit entry %d after head %d: %w", e.Seq, head, ErrCorrupt)
	}
	if err := t.put(bAudit, seqKey(e.Seq), e); err != nil {
		return err
	}
	v := binary.BigEndian.AppendUint64(nil, e.Seq)
	return t.bucket(bMeta).Put([]byte(auditHeadKey), append(v, e.Hash...))
}

func (t *boltTx) Audit(from uint64, fn func(e AuditEntry, key, raw []byte) bool) error {
	c := t.bucket(bAudit).Cursor()
	k, v := c.Seek(seqKey(from))
	if from == 0 {
		k, v = c.First() // from 0 means every key, even a malformed one that sorts first
	}
	for ; k != nil; k, v = c.Next() {
		var e AuditEntry
		if err := decode(v, &e); err != nil {
			e = AuditEntry{} // let the caller see the raw bytes and report
		}
		if !fn(e, k, v) {
			return nil
		}
	}
	return nil
}

// --- API keys ---

func (t *boltTx) APIKey(id string) (APIKey, error) {
	var v APIKey
	return v, t.get(bAPIKeys, []byte(id), &v)
}

func (t *boltTx) APIKeyByHash(hash []byte) (APIKey, error) {
	id := t.bucket(bAPIKeyHashes).Get(hash)
	if id == nil {
		return APIKey{}, ErrNotFound
	}
	return t.APIKey(string(id))
}

func (t *boltTx) APIKeysOfTenant(tenantID string) ([]APIKey, error) {
	var out []APIKey
	err := t.bucket(bAPIKeys).ForEach(func(_, v []byte) error {
		var k APIKey
		if err := decode(v, &k); err != nil {
			return err
		}
		if k.TenantID == tenantID {
			out = append(out, k)
		}
		return nil
	})
	return out, err
}

func (t *boltTx) PutAPIKey(k APIKey) error {
	if err := t.put(bAPIKeys, []byte(k.ID), k); err != nil {
		return err
	}
	return t.bucket(bAPIKeyHashes).Put(k.Hash, []byte(k.ID))
}

// --- four-eyes exports ---

func (t *boltTx) Export(id string) (Export, error) {
	var v Export
	return v, t.get(bExports, []byte(id), &v)
}

func (t *boltTx) PutExport(e Export) error { return t.put(bExports, []byte(e.ID), e) }

func (t *boltTx) ExportsOfTenant(tenantID string) ([]Export, error) {
	var out []Export
	err := t.bucket(bExports).ForEach(func(_, v []byte) error {
		var e Export
		if err := decode(v, &e); err != nil {
			return err
		}
		if e.TenantID == tenantID {
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// --- statistics ---

func (t *boltTx) AddMessages(tenantID, day string, n uint64) error {
	b := t.bucket(bStats)
	k := tenantKey(tenantID, "msgs/"+day)
	var cur uint64
	if v := b.Get(k); len(v) == 8 {
		cur = binary.BigEndian.Uint64(v)
	}
	return b.Put(k, binary.BigEndian.AppendUint64(nil, cur+n))
}

func (t *boltTx) MessagesPerDay(tenantID, from, to string) (map[string]uint64, error) {
	out := map[string]uint64{}
	prefix := tenantKey(tenantID, "msgs/")
	c := t.bucket(bStats).Cursor()
	for k, v := c.Seek(append(prefix, from...)); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		day := string(k[len(prefix):])
		if day > to {
			break
		}
		if len(v) == 8 {
			out[day] = binary.BigEndian.Uint64(v)
		}
	}
	return out, nil
}

// --- mailbox ---

func (t *boltTx) AppendMailbox(recipient crypto.ID, received time.Time, env []byte) (uint64, error) {
	if !t.tx.Writable() {
		return 0, errReadOnly
	}
	b := t.bucket(bMailbox)
	// Keys only grow: pack leaves instead of splitting them in half.
	b.FillPercent = 1.0
	seq, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	v := make([]byte, logHeader, logHeader+len(env))
	v[0] = deliveryVersion
	copy(v[1:], recipient[:])
	binary.BigEndian.PutUint64(v[1+crypto.IDLen:logHeader], uint64(received.UnixNano()))
	v = append(v, env...)
	if err := b.Put(seqKey(seq), v); err != nil {
		return 0, err
	}
	t.adds = append(t.adds, mailRef{rcpt: recipient, seq: seq})
	return seq, nil
}

func (t *boltTx) Mailbox(recipient crypto.ID, after uint64, limit int) ([]Delivery, error) {
	b := t.bucket(bMailbox)
	var out []Delivery
	for _, seq := range t.idx.after(recipient, after, 0) {
		if limit > 0 && len(out) >= limit {
			break
		}
		v := b.Get(seqKey(seq))
		if v == nil {
			continue // deleted in this transaction, or after this snapshot began
		}
		e, err := decodeLogEntry(seqKey(seq), v)
		if err != nil {
			return nil, err
		}
		if e.rcpt != recipient {
			return nil, fmt.Errorf("mailbox index points at another recipient: %w", ErrCorrupt)
		}
		out = append(out, Delivery{
			Seq:      seq,
			Received: unixNano(e.received),
			Envelope: append([]byte(nil), e.envelope...),
		})
	}
	// Entries appended earlier in this same transaction are not indexed yet.
	for _, a := range t.adds {
		if a.rcpt != recipient || a.seq <= after || (limit > 0 && len(out) >= limit) {
			continue
		}
		v := b.Get(seqKey(a.seq))
		if v == nil {
			continue
		}
		e, err := decodeLogEntry(seqKey(a.seq), v)
		if err != nil {
			return nil, err
		}
		out = append(out, Delivery{Seq: a.seq, Received: unixNano(e.received),
			Envelope: append([]byte(nil), e.envelope...)})
	}
	return out, nil
}

func (t *boltTx) DeleteMailbox(recipient crypto.ID, seq uint64) (bool, error) {
	if !t.tx.Writable() {
		return false, errReadOnly
	}
	b := t.bucket(bMailbox)
	k := seqKey(seq)
	v := b.Get(k)
	if v == nil {
		return false, nil
	}
	e, err := decodeLogEntry(k, v)
	if err != nil {
		return false, err
	}
	if e.rcpt != recipient {
		return false, nil // not this recipient's: nothing of theirs to delete
	}
	if err := b.Delete(k); err != nil {
		return false, err
	}
	if err := deleteAcks(t.bucket(bMailAcks), seq); err != nil {
		return false, err
	}
	t.dels = append(t.dels, e.mailRef)
	return true, nil
}

func (t *boltTx) ExpireMailbox(cutoff time.Time, limit int) (int, error) {
	if !t.tx.Writable() {
		return 0, errReadOnly
	}
	b := t.bucket(bMailbox)
	c := b.Cursor()
	ns := uint64(cutoff.UnixNano())
	var doomed []mailRef
	// The log is in arrival order: stop at the first entry young enough to keep.
	for k, v := c.First(); k != nil && len(doomed) < limit; k, v = c.Next() {
		e, err := decodeLogEntry(k, v)
		if err != nil {
			return 0, err
		}
		if e.received >= ns {
			break
		}
		doomed = append(doomed, e.mailRef)
	}
	acks := t.bucket(bMailAcks)
	for _, d := range doomed {
		if err := b.Delete(seqKey(d.seq)); err != nil {
			return 0, err
		}
		if err := deleteAcks(acks, d.seq); err != nil {
			return 0, err
		}
	}
	t.dels = append(t.dels, doomed...)
	return len(doomed), nil
}

// --- device store ---

func (t *boltTx) Space(user crypto.ID, name string) Space {
	return &boltSpace{tx: t.tx, user: user, name: []byte(name)}
}

type boltSpace struct {
	tx   *bolt.Tx
	user crypto.ID
	name []byte
}

// bucket returns the space's bucket, creating it in writable transactions.
func (s *boltSpace) bucket(create bool) (*bolt.Bucket, error) {
	root := s.tx.Bucket([]byte(bDevStore))
	if root == nil {
		return nil, fmt.Errorf("devstore bucket: %w", ErrCorrupt)
	}
	ub := root.Bucket(s.user[:])
	if ub == nil {
		if !create {
			return nil, nil
		}
		var err error
		if ub, err = root.CreateBucket(s.user[:]); err != nil {
			return nil, err
		}
	}
	b := ub.Bucket(s.name)
	if b == nil && create {
		return ub.CreateBucket(s.name)
	}
	return b, nil
}

func (s *boltSpace) Get(key []byte) ([]byte, error) {
	b, err := s.bucket(false)
	if err != nil || b == nil {
		return nil, err
	}
	v := b.Get(key)
	if v == nil {
		return nil, nil
	}
	return append([]byte(nil), v...), nil
}

func (s *boltSpace) Put(key, value []byte) error {
	b, err := s.bucket(true)
	if err != nil {
		return err
	}
	return b.Put(key, value)
}

func (s *boltSpace) Delete(key []byte) error {
	b, err := s.bucket(false)
	if err != nil || b == nil {
		return err
	}
	return b.Delete(key)
}

func (s *boltSpace) Scan(prefix, start []byte, reverse bool, fn func(k, v []byte) bool) error {
	b, err := s.bucket(false)
	if err != nil || b == nil {
		return err
	}
	c := b.Cursor()
	var k, v []byte
	switch {
	case !reverse && start != nil:
		k, v = c.Seek(start)
	case !reverse:
		k, v = c.Seek(prefix)
	default:
		// Position after the last key ≤ start (or after the prefix range).
		upper := start
		if upper == nil {
			upper = prefixEnd(prefix)
		} else {
			upper = append(append([]byte(nil), upper...), 0) // inclusive start
		}
		if upper == nil {
			k, v = c.Last()
		} else if k, _ = c.Seek(upper); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	}
	for k != nil && bytes.HasPrefix(k, prefix) {
		if !fn(k, v) {
			return nil
		}
		if reverse {
			k, v = c.Prev()
		} else {
			k, v = c.Next()
		}
	}
	return nil
}

// prefixEnd returns the smallest key greater than every key with prefix, or
// nil when there is none (prefix empty or all 0xff).
func prefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// unixNano turns a stored arrival time back into a time.
func unixNano(ns uint64) time.Time {
	return time.Unix(0, int64(min(ns, math.MaxInt64))).UTC() //nolint:gosec // bounded above
}
