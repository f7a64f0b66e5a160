package main

import (
	"net/http"
	"testing"
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
