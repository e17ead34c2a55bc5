package faults

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fraudnavi/fraudnavi/cmd/fraudnavi-load/internal/load"
)

// The fault tests run only with FRAUDNAVI_FAULTS=1: they need redis-server,
// build the binary and take tens of seconds each. .ci/faults runs them.
const gate = "FRAUDNAVI_FAULTS"

// testTimeout bounds one test from start to end, well under 2 minutes.
const testTimeout = 100 * time.Second

var (
	buildOnce sync.Once
	buildDir  string
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// harness is what every fault test has: the fake LINE API, a private
// redis-server with AOF, a client on it, and the fraudnavi binary.
type harness struct {
	t     *testing.T
	ctx   context.Context
	bin   string
	fake  *load.Fake
	redis *Redis
	rdb   *redis.Client
	seed  uint64
	keep  string // directory kept after the test, or ""
}

// setup skips the test unless FRAUDNAVI_FAULTS=1, builds fraudnavi if
// withBin (once per test binary, before the test's time starts), and
// starts the fake LINE API and a private redis-server.
func setup(t *testing.T, withBin bool) *harness {
	t.Helper()
	if os.Getenv(gate) != "1" {
		t.Skipf("fault test: needs redis-server and builds fraudnavi; set %s=1 or run .ci/faults", gate)
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("%s=1 but no redis-server on PATH", gate)
	}
	var bin string
	if withBin {
		buildOnce.Do(func() {
			buildDir, buildErr = os.MkdirTemp("", "fraudnavi-faults-")
			if buildErr == nil {
				binPath, buildErr = Build(context.Background(), buildDir)
			}
		})
		if buildErr != nil {
			t.Fatal(buildErr)
		}
		bin = binPath
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	h := &harness{t: t, ctx: ctx, bin: bin, seed: uint64(time.Now().UnixNano())}
	if s := os.Getenv("FRAUDNAVI_FAULTS_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("FRAUDNAVI_FAULTS_SEED=%q: %v", s, err)
		}
		h.seed = n
	}
	t.Logf("seed %d (FRAUDNAVI_FAULTS_SEED=%d repeats the script's choices)", h.seed, h.seed)
	fake, err := load.StartFake("127.0.0.1:0", load.DefaultToken, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fake.Close() })
	h.fake = fake
	dir := t.TempDir()
	if os.Getenv("FRAUDNAVI_FAULTS_KEEP") == "1" {
		// Keep Redis's data (the AOF shows every write) and the bots' logs
		// for a post-mortem.
		var err error
		if dir, err = os.MkdirTemp("", "fraudnavi-faults-"+t.Name()+"-"); err != nil {
			t.Fatal(err)
		}
		h.keep = dir
		t.Logf("FRAUDNAVI_FAULTS_KEEP=1: Redis data and bot logs stay in %s", dir)
	}
	r, err := StartRedis(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	h.redis = r
	h.rdb = redis.NewClient(&redis.Options{Addr: r.Addr()})
	t.Cleanup(func() { h.rdb.Close() })
	return h
}

// botEnv is how to start a bot on a free address.
func (h *harness) botEnv() BotEnv {
	if h.bin == "" {
		h.t.Fatal("setup without the binary")
	}
	port, err := FreePort()
	if err != nil {
		h.t.Fatal(err)
	}
	return BotEnv{
		Bin:      h.bin,
		Addr:     "127.0.0.1:" + strconv.Itoa(port),
		RedisURL: h.redis.URL(),
		FakeURL:  h.fake.URL(),
		Secret:   load.DefaultSecret,
		Token:    load.DefaultToken,
	}
}

// baseOptions is the mix every test sends: per user a follow, then taps on
// the quick replies of the bot's last reply, some typed text; about a
// third of the users accept every reminder offered. At most 18 events a
// user keeps clear of the bot's per-user rate limit (a burst of 20).
func (h *harness) baseOptions() Options {
	return Options{
		Users:            150,
		Events:           2000,
		PerUser:          18,
		Workers:          16,
		PerBody:          3,
		TextRatio:        0.15,
		ReminderShare:    0.35,
		Timeout:          2 * time.Second, // LINE gives up on an answer after about 2 s
		RedeliverWait:    100 * time.Millisecond,
		RedeliverMaxWait: time.Second,
		RedeliverFor:     30 * time.Second,
		Duration:         80 * time.Second,
		Seed:             h.seed,
		Secret:           load.DefaultSecret,
	}
}

// report logs and prints the counts and fails the test on a broken
// guarantee. strayOK allows reminder tasks no state holds (see the test).
func (h *harness) report(c Counts, res *Result, strayOK bool, extra string, logs func() string) {
	t := h.t
	t.Logf("first deliveries: %d bodies: %s", res.Bodies, StatusSummary(res.First))
	t.Logf("redeliveries: %d bodies: %s", res.Resent, StatusSummary(res.Again))
	t.Logf("events: sent %d, applied %d, redelivered %d, lost %d, duplicated %d (applied twice %d, replies twice %d, unknown tokens %d), undelivered %d",
		c.Sent, c.Applied, c.Redelivered, c.Lost, c.Duplicated(), c.DupApplied, c.RepliesDup, c.RepliesStranger, c.Undelivered)
	t.Logf("replies: exactly once %d, missing %d (of them in a crash window %d), late %d, pending outboxes %d",
		c.Replied, c.RepliesMissing, c.RepliesMissingCrash, c.Late, c.PendingOutboxes)
	t.Logf("reminders: accept taps %d, held by the final states %d, scheduled %d, missing %d, stray %d; queue: %s",
		c.ReminderTaps, c.RemindersHeld, c.RemindersScheduled, c.RemindersMissing, c.RemindersStray, c.RemindersOther)
	if extra != "" {
		t.Log(extra)
	}
	for _, p := range c.Problems {
		t.Log(p)
	}
	fmt.Println(c.Line())
	failed := c.Failed() || (!strayOK && c.RemindersStray > 0)
	if c.ReminderTaps == 0 || c.RemindersHeld == 0 {
		t.Errorf("no reminder was accepted: the reminder check proved nothing")
	}
	if h.keep != "" && logs != nil {
		_ = os.WriteFile(filepath.Join(h.keep, "bot.log"), []byte(logs()), 0o644)
	}
	if failed {
		t.Errorf("guarantee broken: %s", c.Line())
		if logs != nil {
			t.Logf("end of the bot's log:\n%s", lastBytes(logs(), 4000))
		}
	}
}

// TestFaultRedisRestart restarts Redis twice in the middle of the load:
// first a clean stop (SIGTERM: Redis flushes the AOF and exits) with Redis
// gone for 4 s, longer than go-redis keeps retrying (under a second against
// a refused port) and than LINE's 2 s time-out, so the bot answers 503 and
// the driver redelivers; then a crash (SIGKILL) started again at once,
// which go-redis's own retries mostly hide from the bot. With appendfsync always
// neither loses a write Redis acknowledged (see Redis).
func TestFaultRedisRestart(t *testing.T) {
	h := setup(t, true)
	env := h.botEnv()
	b, err := StartBot(h.ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Kill() })
	opts := h.baseOptions()
	d := NewDriver(opts, b.URL(), h.fake)

	var faults []Window
	var faultErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i, f := range []struct {
			at   int
			sig  syscall.Signal
			down time.Duration
		}{
			{opts.Events * 3 / 10, syscall.SIGTERM, 4 * time.Second},
			{opts.Events * 6 / 10, syscall.SIGKILL, 0},
		} {
			d.WaitSent(h.ctx, f.at)
			if d.Sent() < f.at {
				faultErr = fmt.Errorf("the load ended before fault %d", i+1)
				return
			}
			w := Window{What: fmt.Sprintf("redis restart %d (%v)", i+1, f.sig), From: time.Now()}
			if err := h.redis.Restart(h.ctx, f.sig, f.down); err != nil {
				faultErr = err
				return
			}
			w.To = time.Now()
			t.Logf("%s after %d events sent: Redis away for %v", w.What, f.at, w.To.Sub(w.From).Round(time.Millisecond))
			faults = append(faults, w)
		}
	}()
	res := d.Run(h.ctx)
	<-done
	if faultErr != nil {
		t.Fatal(faultErr)
	}
	extra := fmt.Sprintf("bot: %v events seen again (redeliveries of applied events), %v version conflicts retried",
		b.Metric("fraudnavi_events_total", `result="duplicate"`), b.Metric("fraudnavi_state_conflicts_total", ""))
	if err := b.Stop(); err != nil {
		t.Error(err) // a bot that does not shut down cleanly loses what its shutdown finishes
	}
	c, err := Verify(h.ctx, "redis-restart", h.rdb, h.fake, res, faults)
	if err != nil {
		t.Fatal(err)
	}
	h.report(c, res, false, extra, b.Logs)
}

// TestFaultBotKill kills the bot with SIGKILL twice in the middle of the
// load and starts it again on the same address and Redis. Requests in
// flight get no answer; every one that got none, or a non-2xx, is
// redelivered, also while the bot is down (connection refused).
func TestFaultBotKill(t *testing.T) {
	h := setup(t, true)
	env := h.botEnv()
	var mu sync.Mutex
	cur, err := StartBot(h.ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	current := func() *Bot { mu.Lock(); defer mu.Unlock(); return cur }
	t.Cleanup(func() { _ = current().Kill() })
	var killedLogs strings.Builder

	opts := h.baseOptions()
	d := NewDriver(opts, "http://"+env.Addr+"/callback", h.fake)
	var crashes []Window
	var faultErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i, at := range []int{opts.Events * 3 / 10, opts.Events * 6 / 10} {
			d.WaitSent(h.ctx, at)
			if d.Sent() < at {
				faultErr = fmt.Errorf("the load ended before kill %d", i+1)
				return
			}
			old := current()
			w := Window{What: fmt.Sprintf("SIGKILL %d", i+1), From: time.Now(), Excuses: true}
			if err := old.Kill(); err != nil {
				faultErr = err
				return
			}
			w.To = time.Now()
			crashes = append(crashes, w)
			killedLogs.WriteString(lastBytes(old.Logs(), 2000))
			nb, err := StartBot(h.ctx, env)
			if err != nil {
				faultErr = err
				return
			}
			mu.Lock()
			cur = nb
			mu.Unlock()
			t.Logf("%s after %d events sent; back after %v", w.What, at, time.Since(w.From).Round(time.Millisecond))
		}
	}()
	res := d.Run(h.ctx)
	<-done
	if faultErr != nil {
		t.Fatal(faultErr)
	}
	b := current()
	extra := fmt.Sprintf("last bot: %v events seen again (redeliveries of applied events), %v version conflicts retried",
		b.Metric("fraudnavi_events_total", `result="duplicate"`), b.Metric("fraudnavi_state_conflicts_total", ""))
	if err := b.Stop(); err != nil {
		t.Error(err) // a bot that does not shut down cleanly loses what its shutdown finishes
	}
	c, err := Verify(h.ctx, "bot-sigkill", h.rdb, h.fake, res, crashes)
	if err != nil {
		t.Fatal(err)
	}
	h.report(c, res, false, extra, func() string { return killedLogs.String() + "\n--- last process ---\n" + b.Logs() })
}

// TestFaultTwoReplicas runs two fraudnavi serve on one Redis behind a
// round-robin proxy. After the follow, a user's events go out 1–3 at once,
// each in a body of its own, so events of one user are in flight together
// on both replicas and race for the state version: every conflict must be
// retried until each event is applied exactly once.
//
// Stray reminder tasks (scheduled, but held by no state) are allowed here
// and reported: when a later event of the same user performs an earlier
// event's outbox and then cancels the reminder, the earlier event's own,
// slower perform may schedule it again. The push re-reads the state and
// sends nothing for a reminder the state no longer holds (design.md,
// Reminders), so a stray costs a no-op task, not a message.
func TestFaultTwoReplicas(t *testing.T) {
	h := setup(t, true)
	a, err := StartBot(h.ctx, h.botEnv())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Kill() })
	b, err := StartBot(h.ctx, h.botEnv())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Kill() })
	p, err := StartProxy(a.Base(), b.Base())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)

	opts := h.baseOptions()
	opts.Users = 120
	opts.Workers = 12
	opts.PerBody = 1
	opts.Burst = 3
	opts.ReminderShare = 0.5 // a burst moves a user one step: more of them must aim for the offers
	d := NewDriver(opts, p.URL(), h.fake)
	res := d.Run(h.ctx)

	conflicts := a.Metric("fraudnavi_state_conflicts_total", "") + b.Metric("fraudnavi_state_conflicts_total", "")
	dups := a.Metric("fraudnavi_events_total", `result="duplicate"`) + b.Metric("fraudnavi_events_total", `result="duplicate"`)
	counts := p.Counts()
	extra := fmt.Sprintf("proxy: %d and %d requests to the two replicas; %v version conflicts retried by the replicas (all resolved if lost=0 and duplicated=0); %v events seen again",
		counts[0], counts[1], conflicts, dups)
	var wg sync.WaitGroup
	for _, x := range []*Bot{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = x.Stop() }()
	}
	wg.Wait()
	c, err := Verify(h.ctx, "two-replicas", h.rdb, h.fake, res, nil)
	if err != nil {
		t.Fatal(err)
	}
	if conflicts <= 0 {
		t.Logf("note: no version conflict happened; the race was not exercised this run")
	}
	h.report(c, res, true, extra, func() string { return a.Logs() + "\n--- replica 2 ---\n" + b.Logs() })
}

func lastBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
