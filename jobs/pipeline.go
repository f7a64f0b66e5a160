package jobs

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/backorderd/backorderd/store/groupcommit"
)

// ScriptPipelining is how PipelineScripts groups script calls: a few
// pipelines in flight, each of up to 128 calls.
var ScriptPipelining = groupcommit.Config{MaxBatch: 128, Flushes: 2}

// pipelinedRedis is a Redis client whose EVALSHA calls made at the same
// time go to Redis together, in one pipeline.
type pipelinedRedis struct {
	redis.UniversalClient
	queue *groupcommit.Queue[scriptCall, *redis.Cmd]
}

// scriptCall is one EVALSHA.
type scriptCall struct {
	ctx  context.Context
	sha  string
	keys []string
	args []any
}

// PipelineScripts wraps c so that the script calls that concurrent callers
// make — asynq's enqueue is one script call per task, and asynq's Client
// has no batch of its own — travel in one pipeline, grouped as cfg says
// (package groupcommit): while a pipeline is in flight, the calls that
// arrive queue for the next. Each caller gets its own reply; a lone call
// goes at once, as without the wrapper. A script Redis does not hold yet
// (NOSCRIPT) is loaded by the caller's own EVAL, as go-redis does.
func PipelineScripts(c redis.UniversalClient, cfg groupcommit.Config) redis.UniversalClient {
	p := &pipelinedRedis{UniversalClient: c}
	p.queue = groupcommit.New(cfg, p.exec)
	return p
}

// EvalSha queues the call for the next pipeline and returns its reply.
func (p *pipelinedRedis) EvalSha(ctx context.Context, sha1 string, keys []string, args ...any) *redis.Cmd {
	cmd, err := p.queue.Do(scriptCall{ctx: ctx, sha: sha1, keys: keys, args: args})
	if err != nil {
		cmd = redis.NewCmd(ctx)
		cmd.SetErr(err)
	}
	return cmd
}

// exec sends calls: one alone as it is, more in one pipeline, within the
// earliest of their deadlines; one caller's cancellation does not cancel the
// others'. Each reply carries its own error.
func (p *pipelinedRedis) exec(calls []scriptCall) ([]*redis.Cmd, error) {
	if len(calls) == 1 {
		c := calls[0]
		return []*redis.Cmd{p.UniversalClient.EvalSha(c.ctx, c.sha, c.keys, c.args...)}, nil
	}
	ctx := context.WithoutCancel(calls[0].ctx)
	var deadline time.Time
	for _, c := range calls {
		if d, ok := c.ctx.Deadline(); ok && (deadline.IsZero() || d.Before(deadline)) {
			deadline = d
		}
	}
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	pipe := p.Pipeline()
	cmds := make([]*redis.Cmd, len(calls))
	for i, c := range calls {
		cmds[i] = pipe.EvalSha(ctx, c.sha, c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx) // each command holds its own reply or error
	return cmds, nil
}
