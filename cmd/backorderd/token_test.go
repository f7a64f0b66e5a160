package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunOnTheEmbeddedDefaultKeepsItsAdminTokenAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	file := filepath.Join(dir, "backorderd.db.admin-token")
	first := start(t, []string{"run"}, map[string]string{})
	first.waitReady(t)
	if err := first.stopped(t); err != nil {
		t.Fatal(err)
	}
	token, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("no token file beside the database: %v", err)
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode = %v, want 0600", fi.Mode().Perm())
	}
	if !strings.Contains(first.stdout.String(), string(token)) || !strings.Contains(first.stdout.String(), file) {
		t.Errorf("first run printed %q, want the new token and where it is kept", first.stdout)
	}
	second := start(t, []string{"run"}, map[string]string{})
	second.waitReady(t)
	if err := second.stopped(t); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(file)
	if string(again) != string(token) {
		t.Errorf("token after a restart = %q, want %q", again, token)
	}
	if !strings.Contains(second.stdout.String(), file) || strings.Contains(second.stdout.String(), string(token)) {
		t.Errorf("second run printed %q, want where the token is kept, not the token", second.stdout)
	}
	for _, p := range []*process{first, second} {
		if logs := p.stderr.String(); strings.Contains(logs, `"ADMIN_TOKEN":"(unset)"`) || strings.Contains(logs, string(token)) {
			t.Errorf("start-up line says the token is unset, or shows it:\n%s", logs)
		}
	}
}
