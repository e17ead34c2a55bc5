package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/fraudnavi/fraudnavi/bot"
	"github.com/fraudnavi/fraudnavi/bot/line"
	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/storage"
)

// drainDelay gives the load balancer time to see /readyz fail before the
// listener closes; with the rest it fits Kubernetes' 30 s grace period.
const drainDelay = 3 * time.Second

// runServe wires the components, runs them until ctx ends, and shuts them
// down in reverse order of their start: not ready → drain → stop echo →
// stop the worker → close Redis.
func runServe(ctx context.Context, args []string, getenv func(string) string, clock flows.Clock, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))

	eng, err := loadEngine("", getenv)
	if err != nil {
		return err
	}
	warnCalendarEnding(eng.Graph().Calendar, clock, log)

	var (
		running    components
		closeRedis func() error
	)
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if serr := running.shutdown(shutdownCtx); serr != nil {
			log.Error("shutdown", "err", serr)
		}
		// Only once every component stopped: the reminder worker's
		// subscription dies with the client (asynq then panics on the
		// closed channel), and the store clears outboxes at its shutdown.
		if closeRedis != nil {
			_ = closeRedis()
		}
	}()
	rdb, err := openRedis(ctx, cfg, &running, log)
	if err != nil {
		return err
	}
	if cfg.RedisURL != "" {
		closeRedis = rdb.Close
	}

	metrics := bot.NewMetrics()
	if cfg.RedisURL != "" {
		if err := checkRedisDurability(ctx, rdb, cfg.AllowEviction, log, metrics); err != nil {
			return err
		}
	}
	metrics.WatchCalendar(eng.Graph().Calendar, clock)
	lc, err := newLINEClient(cfg, metrics, clock)
	if err != nil {
		return err
	}
	users := cfg.userKeys()
	store := storage.NewStateStore(rdb, clock, storage.WithOutboxSeal([]byte(cfg.ChannelSecret)), storage.WithUserKeys(users))
	// A component for its shutdown, after the server and the worker, before
	// Redis: it clears the outboxes of performed replies still waiting for
	// their users' next events.
	if err := running.start(ctx, "state store", store); err != nil {
		return err
	}
	proc := &bot.Processor{
		Users:   users,
		Engine:  eng,
		Store:   store,
		LINE:    lc,
		Log:     log,
		Metrics: metrics,
		Clock:   clock,
	}
	if w := wireReminders(cfg, rdb, proc, lc); w != nil {
		if err := running.start(ctx, "reminder worker", w); err != nil {
			return err
		}
		log.Info("reminder worker started")
	}
	srv := newHTTPServer(cfg, rdb, proc, log)
	if err := running.start(ctx, "http server", srv); err != nil {
		return err
	}
	if cfg.Webhook {
		log.Info("listening", "addr", srv.Addr())
		fmt.Fprintf(stdout, "fraudnavi listening on %s\n", srv.Addr())
	}

	select {
	case <-ctx.Done():
		log.Info("shutting down")
		return nil
	case err := <-srv.Done():
		return err
	}
}

// shutdownTimeout bounds the whole shutdown; with drainDelay and the
// worker's own timeout it fits Kubernetes' 30 s grace period.
const shutdownTimeout = 25 * time.Second

// warnCalendarEnding warns while the holiday calendar is about to run out:
// after its last published day, every day counts as a working day.
func warnCalendarEnding(cal *flows.Calendar, clock flows.Clock, log *slog.Logger) {
	if p := cal.Expiry(clock()); p != nil {
		log.Warn("holiday calendar running out: refresh flows/content/syukujitsu.csv",
			"published_until", cal.PublishedUntil().Format(time.DateOnly), "days_left", cal.DaysLeft(clock()))
	}
}

// openRedis connects to REDIS_URL, or starts an in-process Redis among
// the running components when it is not set.
func openRedis(ctx context.Context, cfg config, running *components, log *slog.Logger) (storage.Client, error) {
	if cfg.RedisURL != "" {
		return storage.Open(ctx, cfg.RedisURL)
	}
	emb := storage.NewEmbedded()
	if err := running.start(ctx, "embedded redis", emb); err != nil {
		return nil, err
	}
	log.Warn("REDIS_URL is not set: using an in-process Redis; nothing survives a restart")
	return emb.Client(), nil
}

// newLINEClient is the client for LINE's API, its calls and the push quota
// watched by metrics.
func newLINEClient(cfg config, metrics *bot.Metrics, clock flows.Clock) (*line.Client, error) {
	// Keep connections to LINE open for every webhook in flight: the default
	// transport keeps two, so under load most replies would dial (and,
	// against api.line.me, handshake TLS) anew.
	lineTransport := http.DefaultTransport.(*http.Transport).Clone()
	lineTransport.MaxIdleConns = 256
	lineTransport.MaxIdleConnsPerHost = 256
	lc, err := line.NewClient(cfg.AccessToken, cfg.APIEndpoint, &http.Client{Timeout: 10 * time.Second, Transport: lineTransport})
	if err != nil {
		return nil, err
	}
	lc.Observe = metrics.LINECall
	metrics.WatchPushQuota(func() (int64, int64, error) {
		q, err := lc.PushQuota()
		return q.Limit, q.Used, err
	}, clock, 5*time.Minute)
	return lc, nil
}

// newHTTPServer is the HTTP server: the webhook for the webhook role, and
// health and metrics for every role.
func newHTTPServer(cfg config, rdb storage.Client, proc *bot.Processor, log *slog.Logger) *bot.Server {
	// Ready only while Redis takes writes: a full Redis under noeviction
	// answers PING but refuses every event with OOM.
	ready := func(ctx context.Context) error { return storage.ProbeWritable(ctx, rdb) }
	// A worker-only replica still answers health and metrics.
	var handler http.Handler = http.NotFoundHandler()
	if cfg.Webhook {
		handler = &bot.Webhook{
			Secret: cfg.ChannelSecret, Processor: proc, Log: log, Metrics: proc.Metrics,
			// Per user and replica; see bot/ratelimit.go for what happens over it.
			Limit: bot.NewRateLimiter(proc.Users, proc.Clock, bot.DefaultRate, bot.DefaultBurst, bot.DefaultMaxUsers),
		}
	}
	srv := bot.NewServer(cfg.Addr, handler, ready, proc.Metrics, log)
	srv.DrainDelay = drainDelay
	return srv
}

// runHealthcheck asks a running server's /healthz: the container image has
// no shell or curl, so the binary checks itself.
func runHealthcheck(ctx context.Context, getenv func(string) string) error {
	addr := getenv("ADDR")
	if addr == "" {
		addr = ":8080"
	}
	host, port, err := splitAddr(addr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+":"+port+bot.PathHealthz, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: status %d", res.StatusCode)
	}
	return nil
}
