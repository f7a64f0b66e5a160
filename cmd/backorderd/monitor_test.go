package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestMonitorRefusesACrossSiteFormPostThatCarriesTheOperatorsCredentials(t *testing.T) {
	t.Chdir(t.TempDir())
	inspector, redisAt := testRedis(t)
	p := start(t, []string{"run"}, map[string]string{"ADMIN_TOKEN": monitorToken, "REDIS_URL": redisAt})
	p.waitReady(t)
	self := "http://" + p.addr
	tests := []struct {
		name    string
		headers map[string]string
		want    int
		paused  bool
	}{
		{"cross-site form post", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden, false},
		{"same-site sibling", map[string]string{"Origin": "https://shop.localhost", "Sec-Fetch-Site": "same-site"}, http.StatusForbidden, false},
		{"foreign origin without fetch metadata", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden, false},
		{"opaque origin", map[string]string{"Origin": "null"}, http.StatusForbidden, false},
		{"the monitor's own page", map[string]string{"Origin": self, "Sec-Fetch-Site": "same-origin"}, http.StatusNoContent, true},
		{"a script (no browser headers)", nil, http.StatusNoContent, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pauseIntake(t, p.addr, tt.headers); got != tt.want {
				t.Errorf("POST pause = %d, want %d", got, tt.want)
			}
			if got := intakePaused(inspector); got != tt.paused {
				t.Errorf("intake paused = %v, want %v", got, tt.paused)
			}
		})
	}
}

func TestReadOnlyMonitorRefusesToPauseAQueue(t *testing.T) {
	t.Chdir(t.TempDir())
	inspector, redisAt := testRedis(t)
	p := start(t, []string{"run"}, map[string]string{"ADMIN_TOKEN": monitorToken, "REDIS_URL": redisAt,
		"MONITOR_READ_ONLY": "true"})
	p.waitReady(t)
	if got := pauseIntake(t, p.addr, map[string]string{"Origin": "http://" + p.addr, "Sec-Fetch-Site": "same-origin"}); got < 400 {
		t.Errorf("POST pause on a read-only monitor = %d, want a refusal", got)
	}
	if intakePaused(inspector) {
		t.Error("a read-only monitor paused intake")
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+p.addr+"/monitor/api/queues", nil)
	req.SetBasicAuth("operator", monitorToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET queues on a read-only monitor = %d, want 200", resp.StatusCode)
	}
}

// TestMonitorManifestNeedsNoTokenAndTheSchedulersPageListsThePeriodicWork:
// a browser fetches the monitor's manifest without credentials, so it is
// served without the token (and logged as an ordinary request, not a
// refusal); nothing else is. The Schedulers page lists every periodic task.
func TestMonitorManifestNeedsNoTokenAndTheSchedulersPageListsThePeriodicWork(t *testing.T) {
	t.Chdir(t.TempDir())
	_, redisAt := testRedis(t)
	p := start(t, []string{"run"}, map[string]string{"ADMIN_TOKEN": monitorToken, "REDIS_URL": redisAt})
	p.waitReady(t)
	base := "http://" + p.addr
	for _, tt := range []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/monitor/manifest.json", http.StatusOK},
		{http.MethodHead, "/monitor/manifest.json", http.StatusOK},
		{http.MethodPost, "/monitor/manifest.json", http.StatusUnauthorized},
		{http.MethodGet, "/monitor", http.StatusUnauthorized},
		{http.MethodGet, "/monitor/api/queues", http.StatusUnauthorized},
		{http.MethodGet, "/monitor/manifest.json/../api/queues", http.StatusUnauthorized},
		{http.MethodGet, "/monitor/asset-manifest.json", http.StatusUnauthorized},
	} {
		req, _ := http.NewRequest(tt.method, base+tt.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s without a token = %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
		}
		if tt.want == http.StatusOK && tt.method == http.MethodGet && !strings.Contains(string(body), `"short_name"`) {
			t.Errorf("manifest body = %.200s, want the web app manifest", body)
		}
	}
	for _, line := range strings.Split(p.stderr.String(), "\n") {
		if strings.Contains(line, `"path":"/monitor/manifest.json"`) && strings.Contains(line, `"method":"GET"`) &&
			!strings.Contains(line, `"level":"INFO"`) {
			t.Errorf("the manifest's fetch was logged as %s", line)
		}
	}

	// asynq's scheduler writes its entries every 10 s.
	want := []string{"periodic:relay", "periodic:full-check", "periodic:messages", "periodic:supply", "periodic:store-poll-due"}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var entries struct {
			Entries []struct {
				TaskType string `json:"task_type"`
				Spec     string `json:"spec"`
				Payload  string `json:"task_payload"`
			} `json:"entries"`
		}
		req, _ := http.NewRequest(http.MethodGet, base+"/monitor/api/scheduler_entries", nil)
		req.SetBasicAuth("operator", monitorToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&entries)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, e := range entries.Entries {
			got[e.TaskType] = true
			if !strings.Contains(e.Payload, `"every"`) {
				t.Fatalf("entry %s payload %q, want readable JSON", e.TaskType, e.Payload)
			}
		}
		missing := 0
		for _, typ := range want {
			if !got[typ] {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("scheduler entries %+v, want each of %v", entries.Entries, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
