package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestParleyBench: `parley bench` loads a running server in both modes
// over real SSH, reports latency, throughput and the server's cost, writes
// its HTML report, and cleans up: its users are gone, its tenant suspended.
func TestParleyBench(t *testing.T) {
	dir := t.TempDir()
	root := newKey(t, dir, "root")
	srv := startServer(t, filepath.Join(dir, "data"), "--bootstrap-admin-key", root.path+".pub", "--rate", "0")
	for _, mode := range []string{"hosted", "local"} {
		report := filepath.Join(dir, mode+".html")
		cmd := exec.Command(binary, "bench", "--addr", srv.sshAddr, "--admin-key", root.path, "--mode", mode,
			"--users", "6", "--active", "4", "--rate", "4", "--duration", "3s", "--html", report,
			"--server-pid", strconv.Itoa(srv.cmd.Process.Pid))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("parley bench --mode %s: %v\n%s", mode, err, out)
		}
		text := string(out)
		m := regexp.MustCompile(`messages:\s+(\d+) sent, (\d+) delivered, (\d+) missing, (\d+) errors`).FindStringSubmatch(text)
		if m == nil || m[1] == "0" || m[1] != m[2] || m[3] != "0" || m[4] != "0" {
			t.Fatalf("--mode %s: want every message delivered:\n%s", mode, text)
		}
		for _, want := range []string{"latency:     p50", "CPU per delivered message", mode + " mode"} {
			if !strings.Contains(text, want) {
				t.Errorf("--mode %s: the report lacks %q:\n%s", mode, want, text)
			}
		}
		page, err := os.ReadFile(report)
		if err != nil || !strings.Contains(string(page), "<svg") {
			t.Fatalf("--mode %s: HTML report: %v", mode, err)
		}
	}
	tenants := srv.mustSSH(root, "", "tenant", "list")
	if n := strings.Count(tenants, "bench-"); n != 2 || strings.Count(tenants, "suspended") < 2 {
		t.Fatalf("after two runs, want two suspended bench tenants:\n%s", tenants)
	}
	for _, name := range regexp.MustCompile(`bench-[0-9a-f]{8}`).FindAllString(tenants, -1) {
		var users []struct {
			Name      string `json:"name"`
			Devices   int    `json:"devices"`
			RemovedAt string `json:"removed_at"`
		}
		mustJSON(t, srv.mustSSH(root, "", "user", "list", "--tenant", name, "--json"), &users)
		if len(users) != 6 {
			t.Fatalf("%s lists %d users, want the run's 6, removed", name, len(users))
		}
		for _, u := range users {
			if u.RemovedAt == "" || u.Devices != 0 {
				t.Fatalf("%s: %s was not removed (%+v)", name, u.Name, u)
			}
		}
	}
}
