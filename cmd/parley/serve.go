package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	gossh "golang.org/x/crypto/ssh"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/backup"
	"github.com/parley-chat/parley/server/blobs"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/groups"
	"github.com/parley-chat/parley/server/hosted"
	"github.com/parley-chat/parley/server/httpapi"
	"github.com/parley-chat/parley/server/lifecycle"
	"github.com/parley-chat/parley/server/logctx"
	"github.com/parley-chat/parley/server/metrics"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/server/relay"
	"github.com/parley-chat/parley/server/sshd"
	"github.com/parley-chat/parley/store"
)

// serveConfig is everything `parley serve` can be told, by flag, by the
// PARLEY_* environment variable of the same name, or by the key of the
// same name in the config file (config.go).
type serveConfig struct {
	Data       string
	SSHListen  string
	HTTPListen string
	// HTTPMaxConns, HTTPMaxConnsPerSource and HTTPHeaderTimeout bound
	// what slow HTTP clients can hold.
	HTTPMaxConns          int
	HTTPMaxConnsPerSource int
	HTTPHeaderTimeout     time.Duration
	// AdminTwoFactorWindow is how long an admin key needs no second code
	// after proving one (0: every session needs its code).
	AdminTwoFactorWindow time.Duration
	BootstrapAdmin       string
	PublicHost           string
	PublicPort           int
	IdleTimeout          time.Duration
	MaxSessions          int
	// HandshakeTimeout, MaxStartups and MaxStartupsPerSource bound
	// connections that have not shown an enrolled key.
	HandshakeTimeout     time.Duration
	MaxStartups          int
	MaxStartupsPerSource int
	Rate                 float64
	Retention            time.Duration
	// The operator's ceilings over tenant policy (0: none).
	MaxAttachmentMiB  int64
	MaxQuotaMiB       int64
	MaxFileStorageGiB int64
	MaxRetentionDays  int
	LogFormat         string
	LogLevel          string
	DebugListen       string
	KDFMemoryMiB      uint32
	KDFTime           uint32
	// ShutdownTimeout bounds a shutdown: sessions and writes under way
	// get this long to end.
	ShutdownTimeout time.Duration
}

func serveCmd() *cobra.Command {
	var c serveConfig
	var configPath string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Parley server (relay, directory, SSH and HTTP fronts)",
		Long: `Run the Parley server: the relay and directory on an embedded database in
the data directory, the SSH front (chat UI, commands, enrolment) and the HTTP
front. Every flag can also be set with an environment variable (--ssh-listen
is PARLEY_SSH_LISTEN, and so on) and with the key of the same name in the
TOML file --config names (ssh-listen = "..."). The command line wins over the
environment, the environment over the file. SIGHUP reads the file and the
environment again and applies what can change while running.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rl := &reloader{path: configPath, cmdline: commandLine(cmd.Flags())}
			wrote, err := rl.ensureFile()
			if err != nil {
				return err
			}
			if c, err = rl.load(); err != nil {
				return err
			}
			rl.wroteTemplate = wrote
			return serve(cmd.Context(), c, rl)
		},
	}
	bindServeFlags(cmd.Flags(), &c)
	cmd.Flags().StringVar(&configPath, configFlag, "",
		"TOML file of settings, keys named like these flags (written with every default if missing; see `parley config init`)")
	return cmd
}

// bindServeFlags defines serve's flags on fs, bound to c. The config file
// template is made from the same set (config.go).
func bindServeFlags(f *pflag.FlagSet, c *serveConfig) {
	f.StringVar(&c.Data, "data", "./data", "data directory (database, host key)")
	f.StringVar(&c.SSHListen, "ssh-listen", ":2222", "SSH listen address")
	f.StringVar(&c.HTTPListen, "http-listen", "127.0.0.1:8080", "HTTP listen address (/healthz and the admin API under /api/v1/); plain HTTP, loopback by default: put a TLS proxy in front")
	f.IntVar(&c.HTTPMaxConns, "http-max-conns", httpapi.DefaultMaxConns, "most open HTTP connections (0: no limit)")
	f.IntVar(&c.HTTPMaxConnsPerSource, "http-max-conns-per-source", httpapi.DefaultMaxConnsPerSource,
		"most open HTTP connections from one IPv4 address or IPv6 /64 (0: no limit; behind a proxy every client has its address)")
	f.DurationVar(&c.HTTPHeaderTimeout, "http-header-timeout", httpapi.DefaultHeaderTimeout, "time a client has to send a request's headers (0: the default)")
	f.StringVar(&c.BootstrapAdmin, "bootstrap-admin-key", "", "OpenSSH public key file whose keys become instance admins")
	f.StringVar(&c.PublicHost, "public-host", "", "host name shown in instructions (default: this machine's name)")
	f.IntVar(&c.PublicPort, "public-port", 0, "SSH port shown in instructions (default: the port listened on)")
	f.DurationVar(&c.IdleTimeout, "idle-timeout", time.Hour, "close SSH connections idle this long (0: never)")
	f.IntVar(&c.MaxSessions, "max-sessions", 10000, "most concurrent SSH sessions")
	f.DurationVar(&c.HandshakeTimeout, "handshake-timeout", sshd.DefaultHandshakeTimeout,
		"time to authenticate and start a session, and to start another after one ends")
	f.DurationVar(&c.AdminTwoFactorWindow, "admin-2fa-window", 10*time.Minute,
		"after an admin key proved its two-factor code, how long its further sessions need none (0: every session needs one); `admin logout` ends it")
	f.IntVar(&c.MaxStartups, "max-startups", 100,
		"most connections without an enrolled key at once (in the handshake, or with an unknown key); at most half of --max-sessions")
	f.IntVar(&c.MaxStartupsPerSource, "max-startups-per-source", 10,
		"most such connections from one IPv4 address or IPv6 /64")
	f.Float64Var(&c.Rate, "rate", 100, "messages per second one SSH key may send, burst 10x (0: unlimited)")
	f.DurationVar(&c.Retention, "retention", 30*24*time.Hour, "how long undelivered messages wait")
	f.Int64Var(&c.MaxAttachmentMiB, "max-attachment-mib", 1024,
		"ceiling on parley_max_attachment_mib: the largest file any tenant may allow (0: none)")
	f.Int64Var(&c.MaxQuotaMiB, "max-quota-mib", 10240,
		"ceiling on parley_storage_quota_mib: the most file storage any tenant may give a user (0: none)")
	f.Int64Var(&c.MaxFileStorageGiB, "max-file-storage-gib", 0,
		"the most file storage all users together may take; uploads beyond it are refused (0: none)")
	f.IntVar(&c.MaxRetentionDays, "max-retention-days", 0,
		"ceiling on parley_retention_days: the longest any tenant may keep messages and files waiting (0: none)")
	f.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	f.StringVar(&c.DebugListen, "debug-listen", "", "serve Go's pprof here (keep it on loopback; empty: off)")
	f.Uint32Var(&c.KDFMemoryMiB, "kdf-memory", crypto.DefaultKDFParams().MemoryKiB>>10, "Argon2id memory (MiB) for new passphrases")
	f.Uint32Var(&c.KDFTime, "kdf-time", crypto.DefaultKDFParams().Time, "Argon2id passes for new passphrases")
	f.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second,
		"on SIGTERM, how long open sessions and pending writes get to finish before the server closes what is left and exits")
}

// bindEnv sets every flag not given on the command line from PARLEY_<NAME>.
func bindEnv(fs *pflag.FlagSet) error {
	var errs []error
	fs.VisitAll(func(fl *pflag.Flag) {
		if fl.Changed {
			return
		}
		env := "PARLEY_" + strings.ToUpper(strings.ReplaceAll(fl.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			if err := fs.Set(fl.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", env, v, err))
			}
		}
	})
	return errors.Join(errs...)
}

// newLogger builds the server's logger; its level is lv's, which a reload
// may change.
func newLogger(format string, lv *slog.LevelVar) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	// logctx adds the request ID (and front, key, user) of a line logged
	// with a request's context.
	case "text":
		return slog.New(logctx.NewHandler(slog.NewTextHandler(os.Stderr, opts))), nil
	case "json":
		return slog.New(logctx.NewHandler(slog.NewJSONHandler(os.Stderr, opts))), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

func parseLevel(level string) (slog.Level, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return 0, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	return lv, nil
}

// validate checks the settings that need no I/O, naming the flag at fault;
// a start and a reload both run it.
func validate(c *serveConfig) error {
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("--log-format %q: want text or json", c.LogFormat)
	}
	if c.KDFMemoryMiB > 1024 {
		return fmt.Errorf("--kdf-memory %d: at most 1024 MiB", c.KDFMemoryMiB)
	}
	for _, l := range []struct {
		flag   string
		v, max int64
	}{{"--max-attachment-mib", c.MaxAttachmentMiB, 1 << 30}, {"--max-quota-mib", c.MaxQuotaMiB, 1 << 30},
		{"--max-file-storage-gib", c.MaxFileStorageGiB, 1 << 30}, {"--max-retention-days", int64(c.MaxRetentionDays), 36500}} {
		if l.v < 0 || l.v > l.max {
			return fmt.Errorf("%s %d: want 0 (no ceiling) to %d", l.flag, l.v, l.max)
		}
	}
	if c.HTTPHeaderTimeout == 0 {
		c.HTTPHeaderTimeout = httpapi.DefaultHeaderTimeout
	}
	if c.HTTPHeaderTimeout < 0 {
		return fmt.Errorf("--http-header-timeout %v: want a positive duration (0: the default)", c.HTTPHeaderTimeout)
	}
	if c.HTTPMaxConns < 0 || c.HTTPMaxConnsPerSource < 0 {
		return errors.New("--http-max-conns, --http-max-conns-per-source: want 0 (no limit) or more")
	}
	if c.ShutdownTimeout <= 0 {
		return fmt.Errorf("--shutdown-timeout %v: want a positive duration", c.ShutdownTimeout)
	}
	for flag, addr := range map[string]string{"--ssh-listen": c.SSHListen, "--http-listen": c.HTTPListen} {
		if err := checkAddr(addr); err != nil {
			return fmt.Errorf("%s %q: %w", flag, addr, err)
		}
	}
	kdf := crypto.KDFParams{Time: c.KDFTime, MemoryKiB: c.KDFMemoryMiB << 10, Threads: 2}
	if err := kdf.Validate(); err != nil {
		return fmt.Errorf("--kdf-memory/--kdf-time: %w", err)
	}
	return nil
}

// checkAddr checks that addr is host:port with a port from 0 to 65535,
// without looking the host up.
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port: %w", err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q: want 0 to 65535", port)
	}
	return nil
}

// serve runs the server until ctx ends or a component fails. rl, when
// not nil, re-reads the settings on SIGHUP.
func serve(ctx context.Context, c serveConfig, rl *reloader) error {
	if err := validate(&c); err != nil {
		return err
	}
	level, _ := parseLevel(c.LogLevel)
	lv := new(slog.LevelVar)
	lv.Set(level)
	log, err := newLogger(c.LogFormat, lv)
	if err != nil {
		return err
	}
	if rl != nil && rl.wroteTemplate {
		log.Info("wrote a config file with every setting at its default", "path", rl.path)
	}
	var adminKeys []gossh.PublicKey
	if c.BootstrapAdmin != "" {
		if adminKeys, err = readAuthorizedKeys(c.BootstrapAdmin); err != nil {
			return err
		}
	}
	kdf := crypto.KDFParams{Time: c.KDFTime, MemoryKiB: c.KDFMemoryMiB << 10, Threads: 2}

	// The parts of the server, in the order they start; they stop in the
	// reverse order: no longer ready, fronts stop accepting and end their
	// sessions, background work ends, the store drains its commit loop.
	var (
		mtr       = metrics.New()
		db        *store.Bolt
		dir       *directory.Service
		hub       = relay.NewHub(0)
		rel       *relay.Service
		grp       *groups.Service
		fileStore *blobs.Store
		keyring   *hosted.Keyring
		adm       *admin.Service
		bak       *backup.Service
		policies  = policy.NewBus() // the directory drops cached values, open sessions re-read theirs
		ssh       *sshd.Server
		ready     atomic.Bool // both fronts serve; false again once shutting down
		admins    = map[string]bool{}
	)
	g := lifecycle.New(log)
	g.Add(lifecycle.Component{Name: "store",
		Start: func(ctx context.Context) error {
			if db, err = store.Open(c.Data, store.Options{Logger: log, OnCommit: mtr.ObserveCommit}); err != nil {
				return err
			}
			dir = directory.New(db, directory.Config{KDF: kdf, Logger: log, Policies: policies})
			if err := ensureAdmins(ctx, dir, adminKeys, admins, log); err != nil {
				_ = db.Close()
				return err
			}
			rel = relay.New(db, dir, hub, relay.Config{Rate: relayRate(c.Rate), Burst: relayBurst(c.Rate), Retention: c.Retention,
				MaxRetention: time.Duration(c.MaxRetentionDays) * 24 * time.Hour, Logger: log})
			// The group registry: membership on the server, messages end to end.
			grp = groups.New(db, dir, hub, groups.Config{})
			// Files: their ciphertext beside the database; the keys of the unlock
			// window (scp, files) only in memory, wiped at shutdown.
			fileStore, err = blobs.Open(db, blobs.Config{Dir: filepath.Join(c.Data, "blobs"), Retention: c.Retention,
				MaxFile: c.MaxAttachmentMiB << 20, MaxQuota: c.MaxQuotaMiB << 20, MaxTotal: c.MaxFileStorageGiB << 30,
				MaxRetention: time.Duration(c.MaxRetentionDays) * 24 * time.Hour, Logger: log})
			if err != nil {
				_ = db.Close()
				return err
			}
			keyring = hosted.NewKeyring()
			// One policy bus: admin publishes every committed change, sessions
			// subscribe to apply it live.
			adm = admin.New(db, dir, admin.Config{Logger: log, Messages: rel, Policies: policies,
				Ceilings: map[string]int64{policy.MaxAttachmentMiB: c.MaxAttachmentMiB, policy.StorageQuotaMiB: c.MaxQuotaMiB,
					policy.RetentionDays: int64(c.MaxRetentionDays)},
				SecondFactorWindow: c.AdminTwoFactorWindow,
				GroupsChanged: func(users []crypto.ID) {
					for _, id := range users {
						hub.Publish(id, relay.Event{Kind: relay.EventGroups})
					}
				}})
			// Online backups: instance admins only, recorded in the audit log.
			if bak, err = backup.New(backup.Config{Source: db, Authorize: adm.AuthorizeBackup, Logger: log,
				Options: backup.Options{DataDir: c.Data, Extra: backupExtra, Version: buildVersion()}}); err != nil {
				_ = db.Close()
				return err
			}
			return nil
		},
		Stop: func(ctx context.Context) error {
			keyring.Close()
			// Messages counted after RunStats stopped (sessions closing) still count.
			flushCtx, done := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer done()
			if err := rel.FlushStats(flushCtx); err != nil {
				log.Error("message statistics lost", "err", err)
			}
			log.Info("draining the store's pending writes")
			return db.Close()
		}})
	g.Add(lifecycle.Component{Name: "mailbox expiry", Run: func(ctx context.Context) error { rel.RunExpiry(ctx, time.Hour); return nil }})
	g.Add(lifecycle.Component{Name: "file expiry", Run: func(ctx context.Context) error { fileStore.RunExpiry(ctx, time.Hour); return nil }})
	g.Add(lifecycle.Component{Name: "message statistics", Run: func(ctx context.Context) error {
		rel.RunStats(ctx, relay.DefaultStatsInterval)
		return nil
	}})
	var sshLn net.Listener
	g.Add(lifecycle.Component{Name: "ssh",
		Start: func(context.Context) error {
			if sshLn, err = net.Listen("tcp", c.SSHListen); err != nil {
				return fmt.Errorf("--ssh-listen: %w", err)
			}
			publicHost := c.PublicHost
			if publicHost == "" {
				publicHost, _ = os.Hostname()
			}
			publicPort := c.PublicPort
			if publicPort == 0 {
				publicPort = sshLn.Addr().(*net.TCPAddr).Port
			}
			ssh, err = sshd.New(sshd.Config{
				DataDir:              c.Data,
				PublicHost:           publicHost,
				PublicPort:           publicPort,
				IdleTimeout:          c.IdleTimeout,
				MaxSessions:          c.MaxSessions,
				HandshakeTimeout:     c.HandshakeTimeout,
				MaxStartups:          c.MaxStartups,
				MaxStartupsPerSource: c.MaxStartupsPerSource,
				Version:              buildVersion(),
				Logger:               log,
				Errors:               mtr,
			}, sshd.Deps{
				Directory: dir,
				Admin:     adm,
				Hosted:    hosted.Deps{DB: db, Relay: rel, Directory: dir, Bus: hub, Blobs: fileStore, Keyring: keyring, Groups: grp, Logger: log},
				Policies:  policies,
				Backup:    bak,
			})
			if err != nil {
				_ = sshLn.Close()
				return err
			}
			mtr.Watch(metrics.Sources{
				Sessions: func() (int64, map[string]int) { st := ssh.Stats(); return st.Conns, st.Sessions },
				Refused:  func() map[string]uint64 { return ssh.Stats().Refused },
				Relay:    rel.Counts,
				KDF:      dir.KDFLoad,
			})
			log.Info("listening", "front", "ssh", "addr", sshLn.Addr().String())
			return nil
		},
		Run: func(context.Context) error { return ssh.Serve(sshLn) },
		Stop: func(ctx context.Context) error {
			// Open chats, consoles, subsystems and sftp sessions are told
			// the server is shutting down; commands under way may finish.
			if n := ssh.Sessions(); n > 0 {
				log.Info("waiting for open SSH sessions to end", "sessions", n)
			}
			// Closed here too: Serve may not have begun yet (a later
			// component failed to start), and would then accept on it.
			_ = sshLn.Close()
			return ssh.Shutdown(ctx)
		}})
	var httpSrv *http.Server
	var httpLn net.Listener
	g.Add(lifecycle.Component{Name: "http",
		Start: func(context.Context) error {
			if httpLn, err = net.Listen("tcp", c.HTTPListen); err != nil {
				return fmt.Errorf("--http-listen: %w", err)
			}
			httpLn = httpapi.LimitListener(httpLn, httpapi.Limits{MaxConns: c.HTTPMaxConns, MaxConnsPerSource: c.HTTPMaxConnsPerSource}, log)
			if a, ok := httpLn.Addr().(*net.TCPAddr); ok && !a.IP.IsLoopback() {
				log.Warn("the HTTP listener (plain HTTP, with the admin API) is reachable beyond this machine: put a TLS proxy in front",
					"addr", httpLn.Addr().String())
			}
			httpSrv = &http.Server{
				Handler: httpapi.Handler(httpapi.Deps{DB: db, Admin: adm, Logger: log,
					Metrics: mtr.Handler(), Ready: ready.Load, Observer: mtr}),
				ReadHeaderTimeout: c.HTTPHeaderTimeout,
				ReadTimeout:       c.HTTPHeaderTimeout + 30*time.Second, // the headers, then a body of at most MaxBodyBytes
				WriteTimeout:      c.HTTPHeaderTimeout + 2*time.Minute,
				IdleTimeout:       2 * time.Minute,
				MaxHeaderBytes:    httpapi.MaxHeaderBytes,
			}
			log.Info("listening", "front", "http", "addr", httpLn.Addr().String())
			return nil
		},
		Run: func(context.Context) error {
			if err := httpSrv.Serve(httpLn); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
		Stop: func(ctx context.Context) error {
			if err := httpSrv.Shutdown(ctx); err != nil {
				return httpSrv.Close()
			}
			return nil
		}})
	if c.DebugListen != "" {
		g.Add(debugComponent(c.DebugListen, log))
	}
	g.Add(lifecycle.Component{Name: "readiness",
		Start: func(context.Context) error {
			ready.Store(true)
			log.Info("parley is running", "version", buildVersion(), "data", c.Data)
			return nil
		},
		Stop: func(context.Context) error { ready.Store(false); return nil }})
	if rl != nil {
		g.Add(lifecycle.Component{Name: "config reload", Run: func(ctx context.Context) error {
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			running := c
			for {
				select {
				case <-ctx.Done():
					return nil
				case <-hup:
				}
				running = rl.reload(ctx, running, live{log: log, level: lv, dir: dir, rel: rel, files: fileStore, admins: admins})
			}
		}})
		stopSecond := exitOnSecondSignal(ctx, log)
		defer stopSecond()
	}
	return g.Run(ctx, c.ShutdownTimeout)
}

// exitOnSecondSignal ends the process at once on a SIGINT or SIGTERM that
// arrives once ctx ended (the first one started the shutdown). The
// returned func stops watching.
func exitOnSecondSignal(ctx context.Context, log *slog.Logger) func() {
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-done:
			return
		}
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(sig)
		select {
		case s := <-sig:
			log.Warn("second signal during shutdown: exiting now", "signal", s.String())
			os.Exit(1)
		case <-done:
		}
	}()
	return func() { close(done) }
}

// ensureAdmins makes every key an instance admin and notes it in known;
// keys already known are left alone (an admin may have removed them since).
func ensureAdmins(ctx context.Context, dir *directory.Service, keys []gossh.PublicKey, known map[string]bool, log *slog.Logger) error {
	for _, k := range keys {
		fp := gossh.FingerprintSHA256(k)
		if known[fp] {
			continue
		}
		ak := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(k)))
		if err := dir.EnsureInstanceAdmin(ctx, fp, ak); err != nil {
			return err
		}
		known[fp] = true
		log.Info("bootstrap admin key", "key", fp)
	}
	return nil
}

// relayRate and relayBurst turn --rate into the relay's limits.
func relayRate(r float64) float64 {
	if r <= 0 {
		return -1 // unlimited
	}
	return r
}

func relayBurst(r float64) int { return int(10 * max(r, 1)) }

// readAuthorizedKeys reads an authorized_keys-style file: one key per line,
// blank lines and # comments ignored.
func readAuthorizedKeys(path string) ([]gossh.PublicKey, error) {
	f, err := os.Open(path) //nolint:gosec // the operator names the file
	if err != nil {
		return nil, fmt.Errorf("--bootstrap-admin-key: %w", err)
	}
	defer func() { _ = f.Close() }()
	var keys []gossh.PublicKey
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		k, _, _, _, err := gossh.ParseAuthorizedKey([]byte(text))
		if err != nil {
			return nil, fmt.Errorf("--bootstrap-admin-key %s line %d: not an OpenSSH public key", path, line)
		}
		keys = append(keys, k)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--bootstrap-admin-key %s: %w", path, err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("--bootstrap-admin-key %s: no public key in the file", path)
	}
	return keys, nil
}

// debugComponent serves Go's pprof on addr; it is off unless asked for.
func debugComponent(addr string, log *slog.Logger) lifecycle.Component {
	var ln net.Listener
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return lifecycle.Component{Name: "debug",
		Start: func(context.Context) error {
			var err error
			if ln, err = net.Listen("tcp", addr); err != nil {
				return fmt.Errorf("--debug-listen: %w", err)
			}
			log.Info("listening", "front", "debug", "addr", ln.Addr().String())
			return nil
		},
		Run: func(context.Context) error {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
		Stop: func(context.Context) error { return srv.Close() }}
}
