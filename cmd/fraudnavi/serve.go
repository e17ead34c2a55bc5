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
	"github.com/redis/go-redis/v9"
)

// drainDelay gives the load balancer time to see /readyz fail before the
// listener closes; with the rest it fits Kubernetes' 30 s grace period.
const drainDelay = 3 * time.Second

// runServe wires the components, runs them until ctx ends, and shuts them
// down in reverse order: not ready → drain → stop echo → stop the worker →
// close Redis.
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
	cal := eng.Graph().Calendar
	if p := cal.Expiry(clock()); p != nil {
		log.Warn("holiday calendar running out: refresh flows/content/syukujitsu.csv",
			"published_until", cal.PublishedUntil().Format(time.DateOnly), "days_left", cal.DaysLeft(clock()))
	}

	var rdb redis.UniversalClient
	if cfg.RedisURL == "" {
		emb, err := storage.StartEmbedded()
		if err != nil {
			return fmt.Errorf("start embedded redis: %w", err)
		}
		defer emb.Close()
		log.Warn("REDIS_URL is not set: using an in-process Redis; nothing survives a restart")
		rdb = emb.Client()
	} else {
		rdb, err = storage.Open(ctx, cfg.RedisURL)
		if err != nil {
			return err
		}
		defer rdb.Close()
	}

	metrics := bot.NewMetrics()
	if cfg.RedisURL != "" {
		if err := checkRedisDurability(ctx, rdb, cfg.AllowEviction, log, metrics); err != nil {
			return err
		}
	}
	metrics.WatchCalendar(cal, clock)
	// Keep connections to LINE open for every webhook in flight: the default
	// transport keeps two, so under load most replies would dial (and,
	// against api.line.me, handshake TLS) anew.
	lineTransport := http.DefaultTransport.(*http.Transport).Clone()
	lineTransport.MaxIdleConns = 256
	lineTransport.MaxIdleConnsPerHost = 256
	lc, err := line.NewClient(cfg.AccessToken, cfg.APIEndpoint, &http.Client{Timeout: 10 * time.Second, Transport: lineTransport})
	if err != nil {
		return err
	}
	lc.Observe = metrics.LINECall
	metrics.WatchPushQuota(func() (int64, int64, error) {
		q, err := lc.PushQuota()
		return q.Limit, q.Used, err
	}, clock, 5*time.Minute)
	users := cfg.userKeys()
	store := storage.NewStateStore(rdb, clock, storage.WithOutboxSeal([]byte(cfg.ChannelSecret)), storage.WithUserKeys(users))
	proc := &bot.Processor{
		Users:   users,
		Engine:  eng,
		Store:   store,
		LINE:    lc,
		Log:     log,
		Metrics: metrics,
		Clock:   clock,
	}
	stopReminders, err := startReminders(cfg, rdb, proc, lc, log)
	if err != nil {
		return err
	}

	// Ready only while Redis takes writes: a full Redis under noeviction
	// answers PING but refuses every event with OOM.
	ready := func(ctx context.Context) error { return storage.ProbeWritable(ctx, rdb) }
	var srv *bot.Server
	if cfg.Webhook {
		wh := &bot.Webhook{
			Secret: cfg.ChannelSecret, Processor: proc, Log: log, Metrics: metrics,
			// Per user and replica; see bot/ratelimit.go for what happens over it.
			Limit: bot.NewRateLimiter(users, clock, bot.DefaultRate, bot.DefaultBurst, bot.DefaultMaxUsers),
		}
		srv = bot.NewServer(cfg.Addr, wh, ready, metrics, log)
		if err := srv.Start(); err != nil {
			return err
		}
		log.Info("listening", "addr", srv.Addr())
		fmt.Fprintf(stdout, "fraudnavi listening on %s\n", srv.Addr())
	} else {
		// A worker-only replica still answers health and metrics.
		srv = bot.NewServer(cfg.Addr, http.NotFoundHandler(), ready, metrics, log)
		if err := srv.Start(); err != nil {
			return err
		}
	}

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case runErr = <-srv.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx, drainDelay); err != nil {
		log.Error("http shutdown", "err", err)
	}
	stopReminders()
	// Performed replies still waiting for their users' next events: clear
	// them while Redis is still open.
	if err := store.Shutdown(shutdownCtx); err != nil {
		log.Warn("clearing performed outboxes at shutdown: the rest wait for the users' next events", "err", err)
	}
	return runErr
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
