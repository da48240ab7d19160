package quiet

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		zone, spec string
		want       string // canonical form
	}{
		{"Europe/Zurich", "Mon-Fri 18:00-08:00; Sat,Sun all-day", "Mon-Fri 18:00-08:00; Sat,Sun all-day"},
		{"UTC", "mon-fri 22:00-06:00", "Mon-Fri 22:00-06:00"},
		{"UTC", "MONDAY 12:00-13:00, 18:00-23:59", "Mon 12:00-13:00, 18:00-23:59"},
		{"UTC", "Mon 18:00-23:59; Mon 12:00-13:00", "Mon 12:00-13:00, 18:00-23:59"},
		{"UTC", "Fri-Mon 20:00-24:00", "Mon,Fri-Sun 20:00-24:00"},
		{"UTC", "Mon-Fri 00:00-08:00, 18:00-24:00; Sat,Sun all-day", "Mon-Fri 00:00-08:00, 18:00-24:00; Sat,Sun all-day"},
		{"UTC", "Mon-Fri 18:00-08:00; Sat 00:00-10:00", "Mon-Fri 18:00-08:00; Sat 00:00-10:00"},
		{"UTC", "Mon,Wed-Fri 9:00-10:00", "Mon,Wed-Fri 09:00-10:00"},
		{"UTC", "Sat, Sun all-day", "Sat,Sun all-day"},
		{"UTC", "Sat , Sun ALL-DAY;", "Sat,Sun all-day"},
		{"UTC", "Tue 00:00-24:00", "Tue all-day"},
		{"UTC", "Tue 22:00-00:00", "Tue 22:00-24:00"},
		{"UTC", "Tue 22:00 - 06:00", "Tue 22:00-06:00"},
		{"UTC", "Tue 22:00–06:00", "Tue 22:00-06:00"},
		{"UTC", "Mon 22:00-24:00; Tue 00:00-06:00", "Mon 22:00-24:00; Tue 00:00-06:00"},
		{"UTC", "Sun 22:00-06:00; Mon 06:00-07:00", "Mon 06:00-07:00; Sun 22:00-06:00"},
		{"UTC", "Mon-Sun 12:00-11:00", "Mon-Sun 12:00-11:00"},
		{"UTC", "Mon,Tue,Thu 08:00-09:00", "Mon,Tue,Thu 08:00-09:00"},
		{"Asia/Kolkata", "wednesday all-day", "Wed all-day"},
	}
	for _, tt := range tests {
		s, err := Parse(tt.zone, tt.spec)
		if err != nil {
			t.Errorf("Parse(%q, %q): %v", tt.zone, tt.spec, err)
			continue
		}
		if got := s.String(); got != tt.want {
			t.Errorf("Parse(%q, %q).String() = %q, want %q", tt.zone, tt.spec, got, tt.want)
		}
		if got, want := s.Value(), tt.zone+" "+tt.want; got != want {
			t.Errorf("Value() = %q, want %q", got, want)
		}
		back, err := ParseValue(s.Value())
		if err != nil || !back.Equal(s) {
			t.Errorf("ParseValue(%q) = %v, %v; want the schedule back", s.Value(), back, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		zone, spec string
		want       []string // substrings of the error
	}{
		{"Europe/Zurch", "Mon all-day", []string{`unknown time zone "Europe/Zurch"`}},
		{"", "Mon all-day", []string{"missing time zone"}},
		{"Local", "Mon all-day", []string{`"Local"`}},
		{"UTC", "", []string{"empty schedule"}},
		{"UTC", " ; ", []string{"empty schedule"}},
		{"UTC", "Mox 10:00-11:00", []string{"column 1:", `unknown day "Mox"`}},
		{"UTC", "Mon-Fry 10:00-11:00", []string{"column 5:", `unknown day "Fry"`}},
		{"UTC", "Mon 10:00-11:00; Tue 1000-11:00", []string{"column 22:", `malformed time "1000"`}},
		{"UTC", "Mon 25:00-11:00", []string{"column 5:", `"25:00" is not a time of day`}},
		{"UTC", "Mon 10:60-11:00", []string{`"10:60" is not a time of day: minutes`}},
		{"UTC", "Mon 24:00-11:00", []string{"24:00 only ends a range"}},
		{"UTC", "Mon 10:00-10:00", []string{"column 5:", `empty range "10:00-10:00"`}},
		{"UTC", "Mon 00:00-00:00", []string{"empty range"}},
		{"UTC", "Mon", []string{"column 1:", "has no times"}},
		{"UTC", "Mon 10:00", []string{`malformed time range "10:00"`}},
		{"UTC", "Mon 10:00-11:00 12:00-13:00", []string{"malformed time"}},
		{"UTC", "Mon Tue 10:00-11:00", []string{"separate days with commas"}},
		{"UTC", "Mon,,Tue all-day", []string{"missing day"}},
		{"UTC", "Mon 10:00-11:00,", []string{"missing time range"}},
		{"UTC", "Mon-Fri,Wed 10:00-11:00", []string{"Wed is given twice"}},
		{"UTC", "Mon 10:00-12:00, 11:00-13:00", []string{"overlapping ranges", "Mon 10:00-12:00", "Mon 11:00-13:00", "both cover Mon 11:00-12:00"}},
		{"UTC", "Mon-Fri 22:00-06:00; Wed 05:00-07:00", []string{"column 22:", "overlapping ranges",
			`Tue 22:00-06:00 (from "Mon-Fri 22:00-06:00" at column 1)`, `"Wed 05:00-07:00" (column 22)`, "both cover Wed 05:00-06:00"}},
		{"UTC", "Sun 22:00-02:00; Mon 01:00-03:00", []string{"overlapping ranges", "both cover Mon 01:00-02:00"}},
		{"UTC", "Mon 22:00-03:00; Mon 23:00-02:00", []string{"both cover Mon 23:00-24:00"}},
		{"UTC", "Sat,Sun all-day; Sun 10:00-11:00", []string{"overlapping ranges"}},
		{"UTC", "Mon-Fri 18:00-08:00; Sat 06:00-10:00", []string{"overlapping ranges", "both cover Sat 06:00-08:00"}},
		{"UTC", "Fri 18:00-08:00; Sat 00:00-07:00", []string{"overlapping ranges", "both cover Sat 00:00-07:00"}},
		{"UTC", strings.Repeat("Mon 10:00-11:00;", 200), []string{"too long"}},
	}
	for _, tt := range tests {
		_, err := Parse(tt.zone, tt.spec)
		if err == nil {
			t.Errorf("Parse(%q, %q): no error, want one with %q", tt.zone, tt.spec, tt.want)
			continue
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q, %q) = %v: want errors.Is ErrInvalid", tt.zone, tt.spec, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Parse(%q, %q) error = %q, want it to contain %q", tt.zone, tt.spec, err, w)
			}
		}
	}
}

func TestParseValue(t *testing.T) {
	s, err := ParseValue("")
	if err != nil || !s.IsZero() || s.Value() != "" || s.Quiet(fixed) {
		t.Errorf(`ParseValue("") = %v, %v; want the zero schedule`, s, err)
	}
	s, err = ParseValue("  America/New_York\tMon 09:00-10:00 ")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Value(), "America/New_York Mon 09:00-10:00"; got != want {
		t.Errorf("Value() = %q, want %q", got, want)
	}
	if got, want := s.Zone().String(), "America/New_York"; got != want {
		t.Errorf("Zone() = %q, want %q", got, want)
	}
	if _, err := ParseValue("Europe/Zurich"); err == nil {
		t.Error(`ParseValue("Europe/Zurich"): no error, want "empty schedule"`)
	}
	if _, err := ParseValue("Mon-Fri 18:00-08:00"); err == nil || !strings.Contains(err.Error(), `unknown time zone "Mon-Fri"`) {
		t.Errorf("ParseValue without zone = %v, want an unknown zone", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"Mon-Fri 18:00-08:00; Sat,Sun all-day", "Fri-Mon 22:00-06:00", "Mon 12:00-13:00, 18:00-24:00",
		"Mon,Wed-Fri 9:00-10:00", "Sun 22:00-02:00; Mon 01:00-03:00", "Mon 25:00-11:00", "Sat , Sun ALL-DAY;", "Tue 22:00–06:00"} {
		f.Add("Europe/Zurich", s)
	}
	f.Add("America/New_York", "monday 00:00-24:00")
	f.Add("Bad/Zone", "Mon all-day")
	f.Fuzz(func(t *testing.T, zone, spec string) {
		s, err := Parse(zone, spec)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse error %v does not wrap ErrInvalid", err)
			}
			return
		}
		back, err := Parse(s.Zone().String(), s.String())
		if err != nil {
			t.Fatalf("Parse(String() = %q): %v", s.String(), err)
		}
		if !back.Equal(s) || back.String() != s.String() {
			t.Fatalf("Parse(String()) = %q, want %q", back.String(), s.String())
		}
		v, err := ParseValue(s.Value())
		if err != nil || !v.Equal(s) {
			t.Fatalf("ParseValue(Value() = %q) = %v, %v", s.Value(), v, err)
		}
		s.Quiet(fixed)
		s.Changes(fixed, 3)
	})
}
