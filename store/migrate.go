package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations
var migrations embed.FS

// ErrSchemaMismatch is returned by CheckSchema when the database's schema is
// not the one this binary was built for.
var ErrSchemaMismatch = errors.New("schema mismatch")

// migrator returns goose's provider; locked takes PostgreSQL's advisory
// lock around its work, which only a migration needs: goose retries a lock
// another process holds every 5 s, so serve and work processes started
// together, each checking the schema, waited 5 s on each other.
func (s *Store) migrator(locked bool) (*goose.Provider, error) {
	dir, err := fs.Sub(migrations, "migrations/"+string(s.engine))
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", s.engine, err)
	}
	dialect := goose.DialectSQLite3
	var opts []goose.ProviderOption
	if s.engine == Postgres {
		dialect = goose.DialectPostgres
	}
	if s.engine == Postgres && locked {
		// Several processes may run `migrate` at once; PostgreSQL's advisory
		// lock lets one of them apply the schema. SQLite has one writer.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, s.db.DB, dir, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", s.engine, err)
	}
	return p, nil
}

// Migrate applies every embedded migration the database lacks and returns
// the schema version it ends on.
func (s *Store) Migrate(ctx context.Context) (int64, error) {
	p, err := s.migrator(true)
	if err != nil {
		return 0, err
	}
	if _, err := p.Up(ctx); err != nil {
		return 0, fmt.Errorf("migrate %s: %w", s.engine, err)
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// CheckSchema returns nil when the database's schema is exactly the newest
// one embedded in this binary, and an error wrapping ErrSchemaMismatch that
// says what to do when it is older or newer. `serve` and `work` call it
// instead of migrating: one process, `migrate`, changes the schema.
func (s *Store) CheckSchema(ctx context.Context) error {
	p, err := s.migrator(false)
	if err != nil {
		return err
	}
	sources := p.ListSources()
	want := sources[len(sources)-1].Version
	got, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case got <= 0:
		return fmt.Errorf("%w: the database has no backorderd schema; run `backorderd migrate` first", ErrSchemaMismatch)
	case got < want:
		return fmt.Errorf("%w: the database schema is at version %d and this binary needs %d; run `backorderd migrate`", ErrSchemaMismatch, got, want)
	case got > want:
		return fmt.Errorf("%w: the database schema is at version %d, newer than this binary knows (%d); upgrade backorderd", ErrSchemaMismatch, got, want)
	}
	return nil
}
