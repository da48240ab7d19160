package httpapi_test

import (
	"strings"
	"testing"
)

// policyValue is one element of GET /api/v1/policies, and the answer of
// PUT and DELETE (with tenant and user).
type policyValue struct {
	Tenant string `json:"tenant"`
	User   string `json:"user"`
	Key    string `json:"key"`
	Value  any    `json:"value"`
	Source string `json:"source"`
}

func findPolicy(t *testing.T, vs []policyValue, key string) policyValue {
	t.Helper()
	for _, v := range vs {
		if v.Key == key {
			return v
		}
	}
	t.Fatalf("no %s in %+v", key, vs)
	return policyValue{}
}

// TestPolicyRoutes sets, reads and removes policies, global and per user,
// with JSON values of every kind.
func TestPolicyRoutes(t *testing.T) {
	e := newEnv(t)
	ada := e.ada.String()
	n := e.auditCount(t)
	steps := []struct {
		method, path string
		body         any
		want         int
		check        func(t *testing.T, r response)
	}{
		{"GET", "/api/v1/policies", nil, 200, func(t *testing.T, r response) {
			var vs []policyValue
			r.decode(t, &vs)
			if v := findPolicy(t, vs, "th_block_unknown"); v.Value != false || v.Source != "default" {
				t.Errorf("th_block_unknown = %+v, want the default false as a JSON boolean", v)
			}
			if v := findPolicy(t, vs, "parley_retention_days"); v.Value != float64(30) {
				t.Errorf("parley_retention_days = %#v, want the number 30", v.Value)
			}
		}},
		{"PUT", "/api/v1/policies/th_block_unknown", map[string]any{"value": true}, 200, func(t *testing.T, r response) {
			var v policyValue
			r.decode(t, &v)
			if v != (policyValue{Tenant: "acme", Key: "th_block_unknown", Value: true, Source: "global"}) {
				t.Errorf("set = %+v", v)
			}
		}},
		{"PUT", "/api/v1/policies/parley_retention_days", map[string]any{"value": 7}, 200, func(t *testing.T, r response) {
			var v policyValue
			r.decode(t, &v)
			if v.Value != float64(7) || v.Source != "global" {
				t.Errorf("set = %+v", v)
			}
		}},
		{"PUT", "/api/v1/policies/th_block_unknown", map[string]any{"value": "false", "user": ada}, 200, func(t *testing.T, r response) {
			var v policyValue
			r.decode(t, &v)
			if v != (policyValue{Tenant: "acme", User: ada, Key: "th_block_unknown", Value: false, Source: "individual"}) {
				t.Errorf("set for Ada = %+v", v)
			}
		}},
		{"GET", "/api/v1/policies?user=" + ada, nil, 200, func(t *testing.T, r response) {
			var vs []policyValue
			r.decode(t, &vs)
			if v := findPolicy(t, vs, "th_block_unknown"); v.Value != false || v.Source != "individual" {
				t.Errorf("Ada's th_block_unknown = %+v", v)
			}
			if v := findPolicy(t, vs, "parley_retention_days"); v.Value != float64(7) || v.Source != "global" {
				t.Errorf("Ada's parley_retention_days = %+v", v)
			}
		}},
		{"DELETE", "/api/v1/policies/th_block_unknown?user=" + ada, nil, 200, func(t *testing.T, r response) {
			var v policyValue
			r.decode(t, &v)
			if v.Value != true || v.Source != "global" || v.User != ada {
				t.Errorf("after unset for Ada = %+v, want the global true", v)
			}
		}},
		{"DELETE", "/api/v1/policies/parley_retention_days", nil, 200, func(t *testing.T, r response) {
			var v policyValue
			r.decode(t, &v)
			if v.Value != float64(30) || v.Source != "default" {
				t.Errorf("after unset = %+v, want the default", v)
			}
		}},
	}
	for _, s := range steps {
		r := e.do(t, s.method, s.path, e.all, s.body)
		if r.code != s.want {
			t.Fatalf("%s %s: %d %s, want %d", s.method, s.path, r.code, r.body, s.want)
		}
		s.check(t, r)
	}
	if got := e.auditCount(t); got != n+5 {
		t.Errorf("audit entries: %d, want %d", got-n, 5)
	}
}

// TestPolicyErrors: bad input is refused with the expected type and its
// status, and changes nothing; another tenant's user is not found.
func TestPolicyErrors(t *testing.T) {
	e := newEnv(t)
	n := e.auditCount(t)
	for _, c := range []struct {
		method, path string
		key          string
		body         any
		want         int
		msg          string
	}{
		{"PUT", "/api/v1/policies/th_block_unknown", e.all, map[string]any{"value": "maybe"}, 422, "th_block_unknown takes a bool: true or false"},
		{"PUT", "/api/v1/policies/th_block_unknown", e.all, map[string]any{"value": 1.5}, 422, "takes a bool"},
		{"PUT", "/api/v1/policies/parley_retention_days", e.all, map[string]any{"value": 1.5}, 422, "takes an int from 1 to 3650"},
		{"PUT", "/api/v1/policies/th_no_such", e.all, map[string]any{"value": true}, 422, `unknown policy key "th_no_such"`},
		{"PUT", "/api/v1/policies/parley_retention_days", e.all, map[string]any{"value": 5, "user": e.ada.String()}, 422, "applies to the whole tenant"},
		{"PUT", "/api/v1/policies/th_block_unknown", e.all, map[string]any{"value": nil}, 400, `field "value" is required`},
		{"PUT", "/api/v1/policies/th_block_unknown", e.all, map[string]any{}, 400, `field "value" is required`},
		{"PUT", "/api/v1/policies/th_block_unknown", e.all, map[string]any{"value": []int{1}}, 400, "must be a boolean, a number or a string"},
		{"PUT", "/api/v1/policies/th_block_unknown", e.all, map[string]any{"value": true, "colour": "red"}, 400, "unknown field"},
		{"PUT", "/api/v1/policies/th_block_unknown", e.all, map[string]any{"value": true, "user": e.gil.String()}, 404, "no such user"},
		{"PUT", "/api/v1/policies/th_block_unknown", e.all, map[string]any{"value": true, "user": "nope"}, 404, "not a Parley ID"},
		{"GET", "/api/v1/policies?user=" + e.gil.String(), e.all, nil, 404, "no such user"},
		{"GET", "/api/v1/policies?colour=red", e.all, nil, 400, "unknown query parameter"},
		{"DELETE", "/api/v1/policies/th_block_unknown?user=" + e.gil.String(), e.all, nil, 404, "no such user"},
		{"PUT", "/api/v1/policies/parley_cross_tenant", e.all, map[string]any{"value": "acme"}, 422, "cannot list itself"},
		{"GET", "/api/v1/policies", e.readOnly, nil, 403, "scopes (users:read) do not allow this"},
		{"PUT", "/api/v1/policies/th_block_unknown", e.readOnly, map[string]any{"value": true}, 403, "permission denied"},
		{"POST", "/api/v1/policies", e.all, nil, 405, "use GET, HEAD"},
	} {
		r := e.do(t, c.method, c.path, c.key, c.body)
		var got struct{ Error string }
		r.decode(t, &got)
		if r.code != c.want || !strings.Contains(got.Error, c.msg) {
			t.Errorf("%s %s %v: %d %s, want %d with %q", c.method, c.path, c.body, r.code, r.body, c.want, c.msg)
		}
	}
	if got := e.auditCount(t); got != n {
		t.Errorf("refused requests wrote %d audit entries", got-n)
	}
	// globex's key sees globex's values only.
	if r := e.do(t, "PUT", "/api/v1/policies/th_csi", e.globex, map[string]any{"value": "G-1"}); r.code != 200 {
		t.Fatalf("globex set: %d %s", r.code, r.body)
	}
	var vs []policyValue
	e.do(t, "GET", "/api/v1/policies", e.all, nil).decode(t, &vs)
	if v := findPolicy(t, vs, "th_csi"); v.Value != "" || v.Source != "default" {
		t.Errorf("acme sees globex's value: %+v", v)
	}
}
