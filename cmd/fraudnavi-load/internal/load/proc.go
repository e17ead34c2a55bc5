package load

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
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Target is a webhook under load.
type Target struct {
	Name string // "fraudnavi" or "floor"
	// URL is where webhooks go (…/callback).
	URL string
	// CPU returns the CPU seconds the target used so far; nil when unknown.
	CPU func() (float64, error)
	// Stop ends the target if this tool started it.
	Stop func() error
	// Logs returns the end of the target's log, for errors.
	Logs func() string
}

// A Starter starts a target that replies through the fake LINE API at
// fakeURL.
type Starter func(ctx context.Context, fakeURL string) (*Target, error)

// ServerEnv is what a spawned fraudnavi serve is given.
type ServerEnv struct {
	Bin      string // the fraudnavi binary
	RedisURL string // "" for the embedded Redis
	Role     string // FRAUDNAVI_ROLE
	LogLevel string
	Secret   string
	Token    string
	// Extra are more NAME=value pairs (GOMAXPROCS, GOGC, ...).
	Extra []string
}

// ServerBanner starts the line fraudnavi serve prints once it listens.
const ServerBanner = "fraudnavi listening on "

// Vars is the environment of a fraudnavi serve listening on addr and
// replying through the LINE API at fakeURL.
func (env ServerEnv) Vars(addr, fakeURL string) []string {
	vars := []string{
		"LINE_CHANNEL_SECRET=" + env.Secret,
		"FRAUDNAVI_USER_KEY_SECRET=" + UserKeySecret,
		"LINE_CHANNEL_ACCESS_TOKEN=" + env.Token,
		"LINE_API_ENDPOINT=" + fakeURL,
		"ADDR=" + addr,
		"LOG_LEVEL=" + cmp.Or(env.LogLevel, "warn"),
		"FRAUDNAVI_ROLE=" + cmp.Or(env.Role, "all"),
	}
	if env.RedisURL != "" {
		vars = append(vars, "REDIS_URL="+env.RedisURL)
	}
	return append(vars, env.Extra...)
}

// SpawnServer starts `fraudnavi serve` as a child process on a free
// loopback port.
func SpawnServer(env ServerEnv) Starter {
	return func(ctx context.Context, fakeURL string) (*Target, error) {
		return spawn(ctx, "fraudnavi", env.Bin, []string{"serve"}, env.Vars("127.0.0.1:0", fakeURL), ServerBanner)
	}
}

// SpawnFloor starts the floor (bin floor-server, normally this very
// binary) as a child process.
func SpawnFloor(bin, secret, token string, extra ...string) Starter {
	return func(ctx context.Context, fakeURL string) (*Target, error) {
		vars := append([]string{
			"LINE_CHANNEL_SECRET=" + secret,
			"LINE_CHANNEL_ACCESS_TOKEN=" + token,
			"LINE_API_ENDPOINT=" + fakeURL,
			"ADDR=127.0.0.1:0",
		}, extra...)
		return spawn(ctx, "floor", bin, []string{FloorCommand}, vars, FloorBanner)
	}
}

// External is a server this tool did not start, at addr (host:port). Its
// CPU comes from process_cpu_seconds_total on /metrics, if it has that.
func External(name, addr string) Starter {
	return func(ctx context.Context, fakeURL string) (*Target, error) {
		base := "http://" + addr
		if err := WaitReady(ctx, base+"/readyz", 30*time.Second); err != nil {
			return nil, err
		}
		return &Target{
			Name: name,
			URL:  base + "/callback",
			CPU:  metricsCPU(base + "/metrics"),
			Stop: func() error { return nil },
			Logs: func() string { return "" },
		}, nil
	}
}

// spawn runs bin with args and the environment (this process's, plus vars),
// waits for banner+address on its stdout, then for /readyz.
func spawn(ctx context.Context, name, bin string, args, vars []string, banner string) (*Target, error) {
	addrCh := make(chan string, 1)
	c, err := StartChild(name, bin, args, append(ChildEnv(), vars...), 64<<10, &BannerWriter{Banner: banner, Found: addrCh})
	if err != nil {
		return nil, err
	}
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() {
			if err := c.Signal(syscall.SIGTERM, 15*time.Second); err != nil {
				stopErr = err
			}
		})
		return stopErr
	}
	fail := func(err error) (*Target, error) {
		_ = c.Signal(syscall.SIGKILL, 5*time.Second)
		return nil, fmt.Errorf("%s: %w\n%s", name, err, c.Logs())
	}

	var addr string
	select {
	case addr = <-addrCh:
	case <-c.Exited():
		return nil, fmt.Errorf("%s exited before listening:\n%s", name, c.Logs())
	case <-time.After(30 * time.Second):
		return fail(errors.New("no listening line within 30 s"))
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	base := "http://" + dialAddr(addr)
	if err := WaitReady(ctx, base+"/readyz", 30*time.Second); err != nil {
		return fail(err)
	}
	pid := c.Pid()
	return &Target{
		Name: name,
		URL:  base + "/callback",
		CPU:  func() (float64, error) { return procCPU(pid) },
		Stop: stop,
		Logs: c.Logs,
	}, nil
}

func dialAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// WaitReady polls url until it answers 200.
func WaitReady(ctx context.Context, url string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	c := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		res, err := c.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w", url, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// procCPU reads utime+stime of a process from /proc/<pid>/stat.
func procCPU(pid int) (float64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	return parseProcStat(string(b))
}

// clockTicks is USER_HZ, which Linux fixes at 100 for /proc.
const clockTicks = 100

func parseProcStat(s string) (float64, error) {
	// The command name may contain spaces and parentheses: fields start
	// after the last ')'.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("unreadable /proc stat")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return float64(ut+st) / clockTicks, nil
}

// metricsCPU reads process_cpu_seconds_total from a Prometheus endpoint.
func metricsCPU(url string) func() (float64, error) {
	c := &http.Client{Timeout: 3 * time.Second}
	return func() (float64, error) {
		res, err := c.Get(url)
		if err != nil {
			return 0, err
		}
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "process_cpu_seconds_total "); ok {
				return strconv.ParseFloat(strings.TrimSpace(v), 64)
			}
		}
		return 0, errors.New("no process_cpu_seconds_total in " + url)
	}
}

// selfCPU is this process's CPU: the generator and the fake LINE API.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// StartRedis starts a private redis-server on a free loopback port, without
// persistence, for measurements no other client disturbs.
func StartRedis(ctx context.Context, bin string) (url string, stop func(), err error) {
	if bin == "" {
		bin = "redis-server"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	args := []string{"--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning"}
	c, err := StartChild(bin, bin, args, os.Environ(), 16<<10, nil)
	if err != nil {
		return "", nil, err
	}
	stop = func() { _ = c.Signal(syscall.SIGTERM, 5*time.Second) }
	url = "redis://127.0.0.1:" + port + "/0"
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := openProbe(ctx, url)
		if err == nil {
			p.close()
			return url, stop, nil
		}
		if !c.Alive() {
			return "", nil, fmt.Errorf("%s exited:\n%s", bin, c.Logs())
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			stop()
			return "", nil, fmt.Errorf("%s on port %s did not answer: %v\n%s", bin, port, err, c.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TailBuffer keeps the last Max bytes written to it: a child process's
// output, for the error message when it dies.
type TailBuffer struct {
	mu  sync.Mutex
	Max int
	b   []byte
}

func (t *TailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.Max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *TailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
