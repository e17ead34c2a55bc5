package faults

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fraudnavi/fraudnavi/cmd/fraudnavi-load/internal/load"
	"github.com/redis/go-redis/v9"
)

// Build compiles `fraudnavi` into dir. It must run inside the module.
func Build(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "fraudnavi")
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/fraudnavi/fraudnavi/cmd/fraudnavi")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/fraudnavi: %w\n%s", err, out)
	}
	return bin, nil
}

// FreePort returns a loopback port nothing listens on right now.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Redis is a private redis-server on a loopback port with the append-only
// file on and fsynced on every write. It can be stopped and started again on
// the same port and data directory.
//
// appendfsync always: Redis writes and fsyncs the AOF before it answers a
// write, so a restart (even a crash) loses nothing Redis acknowledged, and
// the tests can demand that not one event is lost. With everysec, Redis's
// usual setting, up to about one second of acknowledged writes could be
// lost if the process or the machine died; that is Redis's durability,
// which no client can make up for, not something the bot could be tested
// for. (A clean SHUTDOWN or SIGTERM flushes the AOF with either setting.)
type Redis struct {
	bin, dir string
	port     int

	mu sync.Mutex
	c  *load.Child
}

// StartRedis starts redis-server (bin; "" for the one on PATH) with its data
// in dir.
func StartRedis(ctx context.Context, bin, dir string) (*Redis, error) {
	if bin == "" {
		bin = "redis-server"
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	r := &Redis{bin: bin, dir: dir, port: port}
	if err := r.start(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// URL is what REDIS_URL is set to.
func (r *Redis) URL() string { return "redis://" + r.Addr() + "/0" }

// Addr is host:port.
func (r *Redis) Addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

func (r *Redis) start(ctx context.Context) error {
	args := []string{
		"--bind", "127.0.0.1", "--port", strconv.Itoa(r.port), "--dir", r.dir,
		"--appendonly", "yes", "--appendfsync", "always",
		"--save", "", "--daemonize", "no", "--protected-mode", "yes",
		"--loglevel", "warning", "--logfile", "",
	}
	c, err := load.StartChild("redis-server", r.bin, args, os.Environ(), 1<<20, nil)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.c = c
	r.mu.Unlock()
	if err := waitRedis(ctx, r.Addr(), c, 15*time.Second); err != nil {
		_ = c.Signal(syscall.SIGKILL, 5*time.Second)
		return fmt.Errorf("%w\n%s", err, c.Logs())
	}
	return nil
}

// Restart stops Redis with sig (SIGTERM: a clean shutdown; SIGKILL: a
// crash), waits for the exit, pauses for down, and starts it again on the
// same port and data directory. It returns when Redis answers PING again.
func (r *Redis) Restart(ctx context.Context, sig syscall.Signal, down time.Duration) error {
	r.mu.Lock()
	c := r.c
	r.mu.Unlock()
	if err := c.Signal(sig, 15*time.Second); err != nil {
		return err
	}
	if down > 0 {
		select {
		case <-time.After(down):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return r.start(ctx)
}

// Close stops Redis.
func (r *Redis) Close() {
	r.mu.Lock()
	c := r.c
	r.mu.Unlock()
	if c != nil {
		_ = c.Signal(syscall.SIGTERM, 10*time.Second)
	}
}

func waitRedis(ctx context.Context, addr string, c *load.Child, limit time.Duration) error {
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second, PoolSize: 1})
	defer rdb.Close()
	deadline := time.Now().Add(limit)
	for {
		err := rdb.Ping(ctx).Err()
		if err == nil {
			return nil
		}
		if !c.Alive() {
			return fmt.Errorf("redis-server on %s exited: %v", addr, err)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("redis-server on %s did not answer within %v: %v", addr, limit, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BotEnv is what a `fraudnavi serve` is started with.
type BotEnv struct {
	Bin      string
	Addr     string // host:port to listen on
	RedisURL string
	FakeURL  string // LINE_API_ENDPOINT
	Secret   string
	Token    string
	Role     string   // FRAUDNAVI_ROLE; "" for all
	LogLevel string   // "" for warn
	Extra    []string // further NAME=value variables (GOMEMLIMIT)
}

// Bot is one `fraudnavi serve` process.
type Bot struct {
	env BotEnv
	c   *load.Child
}

// StartBot starts fraudnavi serve and waits until its /readyz answers 200.
func StartBot(ctx context.Context, env BotEnv) (*Bot, error) {
	vars := load.ServerEnv{
		RedisURL: env.RedisURL, Role: env.Role, LogLevel: env.LogLevel,
		Secret: env.Secret, Token: env.Token, Extra: env.Extra,
	}.Vars(env.Addr, env.FakeURL)
	listening := make(chan string, 1)
	banner := &load.BannerWriter{Banner: load.ServerBanner, Found: listening}
	c, err := load.StartChild("fraudnavi serve", env.Bin, []string{"serve"}, append(load.ChildEnv("FLOWS_DIR"), vars...), 1<<20, banner)
	if err != nil {
		return nil, err
	}
	b := &Bot{env: env, c: c}
	fail := func(err error) (*Bot, error) {
		_ = c.Signal(syscall.SIGKILL, 5*time.Second)
		return nil, fmt.Errorf("fraudnavi serve on %s: %w\n%s", env.Addr, err, c.Logs())
	}
	select {
	case <-listening:
	case <-c.Exited():
		return fail(errors.New("exited before listening"))
	case <-time.After(30 * time.Second):
		return fail(errors.New("no listening line within 30 s"))
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	if err := load.WaitReady(ctx, "http://"+env.Addr+"/readyz", 30*time.Second); err != nil {
		return fail(err)
	}
	return b, nil
}

// URL is the webhook URL.
func (b *Bot) URL() string { return "http://" + b.env.Addr + "/callback" }

// Base is http://host:port.
func (b *Bot) Base() string { return "http://" + b.env.Addr }

// Kill sends SIGKILL and waits for the process to be gone.
func (b *Bot) Kill() error { return b.c.Signal(syscall.SIGKILL, 10*time.Second) }

// Stop shuts the bot down gracefully (SIGTERM; it drains for a few seconds).
func (b *Bot) Stop() error { return b.c.Stop(30 * time.Second) }

// Alive reports whether the process still runs.
func (b *Bot) Alive() bool { return b.c.Alive() }

// Logs is the end of the bot's output.
func (b *Bot) Logs() string { return b.c.Logs() }

// PeakRSS is the most memory the process has held resident so far (VmHWM in
// /proc/<pid>/status), in bytes.
func (b *Bot) PeakRSS() (int64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", b.c.Pid()))
	if err != nil {
		return 0, fmt.Errorf("peak RSS: %w", err)
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("peak RSS: %q: %w", line, err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("peak RSS: no VmHWM in /proc/<pid>/status")
}

// Metric reads the sum of a counter's samples (all label sets whose text
// contains match) from the bot's /metrics; -1 if it cannot.
func (b *Bot) Metric(name, match string) float64 {
	c := &http.Client{Timeout: 3 * time.Second}
	res, err := c.Get(b.Base() + "/metrics")
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	sum := 0.0
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) || !strings.Contains(line, match) {
			continue
		}
		rest := strings.TrimPrefix(line, name)
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		f := strings.Fields(line)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			sum += v
		}
	}
	return sum
}
