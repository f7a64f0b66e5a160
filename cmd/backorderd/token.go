package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/backorderd/backorderd/config"
)

// adminTokenFile is where `run` on the embedded default keeps the admin
// token it generated: beside the SQLite file (or, on PostgreSQL with the
// embedded Redis, in the working directory).
func adminTokenFile(cfg config.Config) string {
	path := config.DefaultSQLitePath
	if cfg.DatabaseURL != "" {
		engine, dsn, err := config.ParseDatabaseURL(cfg.DatabaseURL)
		if err != nil || engine != "sqlite" {
			dsn = "backorderd"
		}
		path = dsn
	}
	if abs, err := filepath.Abs(path + ".admin-token"); err == nil {
		return abs
	}
	return path + ".admin-token"
}

// adminToken is the token that guards the admin API and the monitor:
// ADMIN_TOKEN, or, for `run` on the embedded default, one generated once and
// kept (mode 0600) so that a restart does not change the password the
// browser remembers. It prints the new token once, and where it is kept
// every time; shown is what the start-up line says of it.
func adminToken(cfg config.Config, r role, stdout io.Writer) (token, shown string, err error) {
	if cfg.AdminToken != "" || r != roleRun || !cfg.Embedded() {
		return cfg.AdminToken, "", nil
	}
	file := adminTokenFile(cfg)
	shown = "(generated, kept in " + file + ")"
	if b, err := os.ReadFile(file); err == nil && len(strings.TrimSpace(string(b))) >= 16 { //nolint:gosec // beside the configured database
		_, err = fmt.Fprintf(stdout, "admin token: in %s (set ADMIN_TOKEN to choose one)\n", file)
		return strings.TrimSpace(string(b)), shown, err
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", "", fmt.Errorf("read the admin token: %w", err)
	}
	token = randomToken()
	if err := os.WriteFile(file, []byte(token), 0o600); err != nil {
		return "", "", fmt.Errorf("keep the admin token: %w", err)
	}
	_, err = fmt.Fprintf(stdout, "admin token (new; kept in %s, set ADMIN_TOKEN to choose one): %s\n", file, token)
	return token, shown, err
}

func randomToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
