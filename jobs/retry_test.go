package jobs

import (
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/integrations/sendgrid"
)

func TestAccountRefusalsBackOffToAtMostFiveMinutesAndNeverExhaustRetries(t *testing.T) {
	task := asynq.NewTask(TypeSendEmail, nil)
	refused := &sendgrid.Error{Status: 401, Detail: "Maximum credits exceeded", Account: true}
	var last time.Duration
	for streak := 1; streak <= 1000; streak++ {
		err := &accountRefusal{err: refused, streak: streak}
		for _, n := range []int{0, 5, 19} { // the task's own retry count does not matter
			d := retryDelay(n, err, task)
			if d <= 0 || d > 5*time.Minute {
				t.Fatalf("streak %d, retry %d: delay %v, want within (0, 5m]", streak, n, d)
			}
			if d < last {
				t.Fatalf("streak %d: delay %v shorter than the one before (%v)", streak, d, last)
			}
			last = d
		}
	}
	if last != 5*time.Minute {
		t.Errorf("a long refusal retries every %v, want every 5m", last)
	}
	if isFailure(&accountRefusal{err: refused, streak: 1}) {
		t.Error("an account refusal counts as the task's failure: asynq would archive the message in the end")
	}
	if !isFailure(errors.New("send email 1: sendgrid: 502: bad gateway")) {
		t.Error("other errors must use up the task's retries")
	}
}
