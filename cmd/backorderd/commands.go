package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/backorderd/backorderd/config"
)

// migrate applies the schema to DATABASE_URL (or the embedded SQLite file)
// and exits: the one step that changes the schema for `serve` and `work`.
func migrate(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	st, cfg, err := storeFromEnv(getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("DATABASE_URL (%s): %w", cfg.Database(), err)
	}
	_, err = fmt.Fprintf(stdout, "database schema (%s) at version %d in %s\n", st.Engine(), v, cfg.Database())
	return err
}

// healthcheck asks the process listening on HTTP_ADDR for /healthz and
// fails unless it answers 200: a container's HEALTHCHECK (distroless images
// have no curl).
func healthcheck(ctx context.Context, getenv func(string) string) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	host, port, _ := net.SplitHostPort(cfg.HTTPAddr) // Load validated it
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %s", resp.Status)
	}
	return nil
}
