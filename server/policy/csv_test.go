package policy_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/policy"
)

func TestCSVRoundTrip(t *testing.T) {
	ada := mustID(t, "ADA00001")
	rows := []policy.Row{
		{User: crypto.ID{}, Key: policy.BlockUnknown, Value: "true"},
		{User: crypto.ID{}, Key: policy.CrossTenant, Value: "globex,initech"},
		{User: ada, Key: policy.Nickname, Value: "=cmd|' /C calc'!A0"},
		{User: ada, Key: policy.FirstName, Value: `Ada "the first", Countess`},
	}
	var buf bytes.Buffer
	if err := policy.WriteCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "user,key,value\n") {
		t.Errorf("export starts %q, want the header", buf.String())
	}
	if !strings.Contains(buf.String(), "'=cmd") {
		t.Errorf("a formula cell was written as it is:\n%s", buf.String())
	}
	got, err := policy.ParseCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		rows[i].Line = i + 2
	}
	if diff := cmp.Diff(rows, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestParseCSVProblems(t *testing.T) {
	for _, c := range []struct {
		name string
		in   string
		want []string // problems, by line
	}{
		{"empty", "", []string{"the file is empty"}},
		{"bad header", "user,key,colour\n", []string{`line 1: unknown column "colour"`}},
		{"missing column", "key,value\n", []string{"line 1: column user is missing"}},
		{"column twice", "user,key,key\n", []string{"line 1: column key appears twice"}},
		{"bad rows", "user,key,value\n" +
			",th_block_unknown,maybe\n" +
			",th_no_such,true\n" +
			"ADA00001,parley_retention_days,7\n" +
			"not-an-id,th_nickname,x\n" +
			",th_block_unknown,false\n" +
			"ADA00001,th_nickname\n",
			[]string{
				`line 2: th_block_unknown takes a bool: true or false (got "maybe")`,
				`line 3: unknown policy key "th_no_such"`,
				"line 4: parley_retention_days applies to the whole tenant",
				`line 5: user "not-an-id" is not a Parley ID`,
				"line 7: 2 cells, but the first line names 3 columns",
			}},
		{"twice", "user,key,value\n,th_csi,a\nADA00001,th_csi,b\n,th_csi,c\n",
			[]string{"line 4: th_csi is set twice for the tenant (first on line 2)"}},
		{"broken quotes", "user,key,value\n,th_csi,\"a\n", []string{"line 2:"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rows, err := policy.ParseCSV(strings.NewReader(c.in))
			if err == nil {
				t.Fatalf("ParseCSV accepted the file: %+v", rows)
			}
			if !errors.Is(err, policy.ErrInvalid) {
				t.Errorf("%v is not ErrInvalid", err)
			}
			var ce *policy.CSVError
			if len(c.want) == 1 && !errors.As(err, &ce) {
				if !strings.Contains(err.Error(), c.want[0]) {
					t.Errorf("error %q, want %q", err, c.want[0])
				}
				return
			}
			if !errors.As(err, &ce) {
				t.Fatalf("%v is not a *CSVError", err)
			}
			if len(ce.Problems) != len(c.want) {
				t.Fatalf("problems %q, want %d", err, len(c.want))
			}
			for i, p := range ce.Problems {
				if !strings.Contains(p.Error(), c.want[i]) {
					t.Errorf("problem %d = %q, want %q", i, p.Error(), c.want[i])
				}
			}
		})
	}
}

func TestParseCSVColumnsAnyOrder(t *testing.T) {
	rows, err := policy.ParseCSV(strings.NewReader("\uFEFFValue,Key,User\r\nYES,th_block_unknown,\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []policy.Row{{Line: 2, Key: policy.BlockUnknown, Value: "true"}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseCSVLimits(t *testing.T) {
	big := "user,key,value\n" + strings.Repeat(",th_csi,x\n", policy.MaxCSVRows+1)
	if _, err := policy.ParseCSV(strings.NewReader(big)); err == nil || !strings.Contains(err.Error(), "split the file") {
		t.Errorf("too many rows: %v", err)
	}
	many := "user,key,value\n" + strings.Repeat(",th_nope,x\n", policy.MaxCSVProblems+5)
	_, err := policy.ParseCSV(strings.NewReader(many))
	var ce *policy.CSVError
	if !errors.As(err, &ce) || len(ce.Problems) != policy.MaxCSVProblems || !ce.More {
		t.Errorf("many problems: %v", err)
	}
}
