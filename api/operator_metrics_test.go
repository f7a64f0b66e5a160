package api_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/backorderd/backorderd/api"
)

// TestOperatorActionsAreCountedByActionAndOutcomeOnceTheGuardLetsThemIn:
// an action the guard refuses is no operator's action and is not counted;
// the others count as done (2xx, or the dashboard's redirect), refused
// (4xx) or failed (5xx), under a fixed list of actions, all there from the
// start at zero.
func TestOperatorActionsAreCountedByActionAndOutcomeOnceTheGuardLetsThemIn(t *testing.T) {
	gin.SetMode(gin.TestMode)
	reg := prometheus.NewRegistry()
	r := gin.New()
	g := r.Group("", api.NewOperatorActions(reg).Use, api.RequireToken(adminToken))
	answer := func(c *gin.Context) {
		status, _ := strconv.Atoi(c.Query("status"))
		c.Status(status)
	}
	g.POST("/backorders/:id/cancel", api.Acts("cancel"), answer)
	g.POST("/inbox/:id/replay", api.Acts("replay"), answer)

	for _, tt := range []struct {
		path  string
		token bool
	}{
		{"/backorders/1/cancel?status=200", true},
		{"/backorders/1/cancel?status=303", true},
		{"/backorders/1/cancel?status=409", true},
		{"/backorders/1/cancel?status=200", false}, // 401: not counted
		{"/inbox/2/replay?status=404", true},
		{"/inbox/2/replay?status=503", true},
	} {
		req := httptest.NewRequest(http.MethodPost, tt.path, nil)
		if tt.token {
			req.Header.Set("Authorization", "Bearer "+adminToken)
		}
		serve(r, req)
	}
	for _, tt := range []struct {
		action, outcome string
		want            float64
	}{
		{"cancel", "done", 2}, {"cancel", "refused", 1}, {"cancel", "failed", 0},
		{"replay", "done", 0}, {"replay", "refused", 1}, {"replay", "failed", 1},
		{"shop_update", "done", 0},
	} {
		if got := counterValue(t, reg, tt.action, tt.outcome); got != tt.want {
			t.Errorf("operator actions {%s, %s} = %v, want %v", tt.action, tt.outcome, got, tt.want)
		}
	}
	if n := testutil.CollectAndCount(reg, "backorderd_operator_actions_total"); n != 3*len(api.OperatorActionNames) {
		t.Errorf("%d series, want every action and outcome from the start (%d)", n, 3*len(api.OperatorActionNames))
	}
	defer func() {
		if recover() == nil {
			t.Error("api.Acts of an action not in the list did not panic: a label value from nowhere")
		}
	}()
	api.Acts("drop_tables")
}

func counterValue(t *testing.T, reg *prometheus.Registry, action, outcome string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if mf.GetName() == "backorderd_operator_actions_total" && labels["action"] == action && labels["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no series {%s, %s}", action, outcome)
	return 0
}
