package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Config configures a running server's backup service.
type Config struct {
	// Source is the server's store.
	Source Source
	// Options say what else the archive holds.
	Options Options
	// Authorize decides whether the caller in ctx may take a backup, and
	// records that it did (the admin service: instance admins only).
	Authorize func(ctx context.Context) error
	Logger    *slog.Logger
}

// Service takes backups of a running server for the caller in the
// context.
type Service struct{ cfg Config }

// New returns the service. Authorize is required: a backup holds every
// tenant's data.
func New(cfg Config) (*Service, error) {
	if cfg.Source == nil || cfg.Authorize == nil {
		return nil, errors.New("backup: a source and an authorizer are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{cfg: cfg}, nil
}

// Write checks the caller may take a backup, then writes one to w.
func (s *Service) Write(ctx context.Context, w io.Writer) (Manifest, error) {
	if err := s.cfg.Authorize(ctx); err != nil {
		return Manifest{}, err
	}
	began := time.Now()
	m, err := Write(ctx, w, s.cfg.Source, s.cfg.Options)
	if err != nil {
		s.cfg.Logger.Warn("backup failed", "err", err, "took", time.Since(began))
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	s.cfg.Logger.Info("backup taken", "files", len(m.Files), "bytes", m.Bytes(), "gone", len(m.Gone),
		"schema", m.Schema, "took", time.Since(began))
	return m, nil
}
