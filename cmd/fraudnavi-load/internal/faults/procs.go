package faults

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
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

// child is a process this package started, with the end of its output.
type child struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
	logs   *load.TailBuffer
}

func startChild(name, bin string, args, env []string, stdout io.Writer) (*child, error) {
	c := &child{name: name, exited: make(chan struct{}), logs: &load.TailBuffer{Max: 1 << 20}}
	c.cmd = exec.Command(bin, args...)
	c.cmd.Env = env
	c.cmd.Stderr = c.logs
	c.cmd.Stdout = c.logs
	if stdout != nil {
		c.cmd.Stdout = io.MultiWriter(c.logs, stdout)
	}
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { _ = c.cmd.Wait(); close(c.exited) }()
	return c, nil
}

// signal sends sig and waits up to wait for the exit; then SIGKILL.
func (c *child) signal(sig syscall.Signal, wait time.Duration) error {
	select {
	case <-c.exited:
		return nil
	default:
	}
	_ = c.cmd.Process.Signal(sig)
	select {
	case <-c.exited:
		return nil
	case <-time.After(wait):
		_ = c.cmd.Process.Kill()
		<-c.exited
		return fmt.Errorf("%s did not exit within %v of %v; killed", c.name, wait, sig)
	}
}

func (c *child) alive() bool {
	select {
	case <-c.exited:
		return false
	default:
		return true
	}
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
	c  *child
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
	c, err := startChild("redis-server", r.bin, args, os.Environ(), nil)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.c = c
	r.mu.Unlock()
	if err := waitRedis(ctx, r.Addr(), c, 15*time.Second); err != nil {
		_ = c.signal(syscall.SIGKILL, 5*time.Second)
		return fmt.Errorf("%w\n%s", err, c.logs.String())
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
	if err := c.signal(sig, 15*time.Second); err != nil {
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
		_ = c.signal(syscall.SIGTERM, 10*time.Second)
	}
}

func waitRedis(ctx context.Context, addr string, c *child, limit time.Duration) error {
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second, PoolSize: 1})
	defer rdb.Close()
	deadline := time.Now().Add(limit)
	for {
		err := rdb.Ping(ctx).Err()
		if err == nil {
			return nil
		}
		if !c.alive() {
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
	c   *child
}

// StartBot starts fraudnavi serve and waits until its /readyz answers 200.
func StartBot(ctx context.Context, env BotEnv) (*Bot, error) {
	vars := []string{
		"LINE_CHANNEL_SECRET=" + env.Secret,
		"FRAUDNAVI_USER_KEY_SECRET=" + load.UserKeySecret,
		"LINE_CHANNEL_ACCESS_TOKEN=" + env.Token,
		"LINE_API_ENDPOINT=" + env.FakeURL,
		"REDIS_URL=" + env.RedisURL,
		"ADDR=" + env.Addr,
		"LOG_LEVEL=" + cmp.Or(env.LogLevel, "warn"),
		"FRAUDNAVI_ROLE=" + cmp.Or(env.Role, "all"),
	}
	vars = append(vars, env.Extra...)
	banner := &bannerWriter{prefix: "fraudnavi listening on ", found: make(chan struct{})}
	c, err := startChild("fraudnavi serve", env.Bin, []string{"serve"}, append(childEnv(), vars...), banner)
	if err != nil {
		return nil, err
	}
	b := &Bot{env: env, c: c}
	fail := func(err error) (*Bot, error) {
		_ = c.signal(syscall.SIGKILL, 5*time.Second)
		return nil, fmt.Errorf("fraudnavi serve on %s: %w\n%s", env.Addr, err, c.logs.String())
	}
	select {
	case <-banner.found:
	case <-c.exited:
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
func (b *Bot) Kill() error { return b.c.signal(syscall.SIGKILL, 10*time.Second) }

// Stop shuts the bot down gracefully (SIGTERM; it drains for a few seconds).
func (b *Bot) Stop() error { return b.c.signal(syscall.SIGTERM, 30*time.Second) }

// Alive reports whether the process still runs.
func (b *Bot) Alive() bool { return b.c.alive() }

// Logs is the end of the bot's output.
func (b *Bot) Logs() string { return b.c.logs.String() }

// PeakRSS is the most memory the process has held resident so far (VmHWM in
// /proc/<pid>/status), in bytes.
func (b *Bot) PeakRSS() (int64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", b.c.cmd.Process.Pid))
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

// childEnv is this process's environment without what the bot is given
// explicitly, so a stray REDIS_URL in the shell cannot redirect it.
func childEnv() []string {
	drop := map[string]bool{
		"LINE_CHANNEL_SECRET": true, "LINE_CHANNEL_ACCESS_TOKEN": true, "LINE_API_ENDPOINT": true,
		"ADDR": true, "LOG_LEVEL": true, "FRAUDNAVI_ROLE": true, "REDIS_URL": true, "FLOWS_DIR": true,
		"FRAUDNAVI_USER_KEY_SECRET": true,
	}
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			out = append(out, kv)
		}
	}
	return out
}

// bannerWriter closes found when a line starting with prefix goes by.
type bannerWriter struct {
	prefix string
	found  chan struct{}
	once   sync.Once
	line   []byte
}

func (w *bannerWriter) Write(p []byte) (int, error) {
	for _, c := range p {
		if c != '\n' {
			if len(w.line) < 4096 {
				w.line = append(w.line, c)
			}
			continue
		}
		if strings.HasPrefix(string(w.line), w.prefix) {
			w.once.Do(func() { close(w.found) })
		}
		w.line = w.line[:0]
	}
	return len(p), nil
}
