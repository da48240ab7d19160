package flagfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

type settings struct {
	Listen  string
	Max     int
	Rate    float64
	Wait    time.Duration
	Verbose bool
	Config  string
}

func flags(s *settings) *pflag.FlagSet {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.StringVar(&s.Listen, "listen", ":2222", "where to listen, with a \"quoted\" word")
	fs.IntVar(&s.Max, "max", 10, "most of them")
	fs.Float64Var(&s.Rate, "rate", 1.5, "how fast")
	fs.DurationVar(&s.Wait, "wait", time.Minute, "how long")
	fs.BoolVar(&s.Verbose, "verbose", false, "say more")
	fs.StringVar(&s.Config, "config", "", "the file")
	return fs
}

func TestApplySetsWhatNothingElseSet(t *testing.T) {
	var s settings
	fs := flags(&s)
	if err := fs.Parse([]string{"--max", "7"}); err != nil {
		t.Fatal(err)
	}
	doc := "# a comment\nlisten = \"127.0.0.1:22\"\nmax = 99\nrate = 2\nwait = \"90s\"\nverbose = true\n"
	if err := Apply(fs, "f.toml", []byte(doc), "config"); err != nil {
		t.Fatal(err)
	}
	want := settings{Listen: "127.0.0.1:22", Max: 7, Rate: 2, Wait: 90 * time.Second, Verbose: true}
	if s != want {
		t.Fatalf("got %+v, want %+v (the command line's max=7 wins)", s, want)
	}
}

func TestApplyRefusesBadFiles(t *testing.T) {
	for name, c := range map[string]struct{ doc, want string }{
		"unknown key":    {"listen = \":1\"\n\nlisten-addr = \":2\"\n", `line 3: unknown key "listen-addr"`},
		"skipped key":    {"config = \"other.toml\"\n", `line 1: unknown key "config"`},
		"bad value":      {"max = \"many\"\n", "line 1: max = many"},
		"bad duration":   {"wait = 30\n", "line 1: wait = 30"},
		"table":          {"max = 1\n[listen]\nx = 1\n", "line 2: listen: a table"},
		"list":           {"listen = [\"a\", \"b\"]\n", "line 1: listen: a list"},
		"syntax":         {"max = = 1\n", "config file f.toml"},
		"two bad keys":   {"nope = 1\nmax = \"x\"\n", `unknown key "nope"`},
		"quoted unknown": {"\"what\" = 1\n", `line 1: unknown key "what"`},
	} {
		var s settings
		err := Apply(flags(&s), "f.toml", []byte(c.doc), "config")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to contain %q", name, err, c.want)
		}
	}
}

// TestTemplateRoundTrip: the template names every flag but the skipped
// ones, and loads back to the defaults.
func TestTemplateRoundTrip(t *testing.T) {
	var def settings
	fs := flags(&def)
	tmpl := Template(fs, "header line one\nline two", "config")
	if !strings.HasPrefix(string(tmpl), "# header line one\n# line two\n") {
		t.Errorf("template does not start with the header:\n%s", tmpl)
	}
	fs.VisitAll(func(fl *pflag.Flag) {
		has := strings.Contains(string(tmpl), "\n"+fl.Name+" = ")
		if fl.Name == "config" && has {
			t.Errorf("the template sets the skipped flag %s", fl.Name)
		}
		if fl.Name != "config" && !has {
			t.Errorf("the template lacks %s:\n%s", fl.Name, tmpl)
		}
	})
	path := filepath.Join(t.TempDir(), "c.toml")
	if err := os.WriteFile(path, tmpl, 0o600); err != nil {
		t.Fatal(err)
	}
	var got settings
	gfs := flags(&got)
	// Start from other values: the file must set every one back.
	got = settings{Listen: "x", Max: 1, Rate: 9, Wait: time.Hour, Verbose: true}
	if err := Load(gfs, path, "config"); err != nil {
		t.Fatalf("load the template: %v\n%s", err, tmpl)
	}
	if got != def {
		t.Fatalf("template loaded to %+v, want the defaults %+v", got, def)
	}
}

func TestLoadMissingFile(t *testing.T) {
	var s settings
	err := Load(flags(&s), filepath.Join(t.TempDir(), "none.toml"))
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}
