// Command fraudnavi-load drives a fraudnavi webhook the way LINE would and
// reports how fast, how much, and how far from the floor.
//
//	fraudnavi-load [flags]                      spawn fraudnavi serve and load it
//	fraudnavi-load --compare [flags]            load fraudnavi, then the floor, and compare
//	fraudnavi-load --floor [flags]              load only the floor
//	fraudnavi-load --server-addr HOST:PORT ...  load a server that is already running
//
// It serves the strict fake LINE API on loopback and points the server at it
// (LINE asks bots not to load-test through LINE). See BENCHMARKS.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/fraudnavi/fraudnavi/cmd/fraudnavi-load/internal/load"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "fraudnavi-load:", err)
		}
		os.Exit(1)
	}
}

// multi is a repeatable NAME=value flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == load.FloorCommand {
		return load.RunFloor(ctx, getenv, stdout, stderr)
	}

	var (
		o                        load.Options
		jsonOut, floor, compare  bool
		spawnRedis               bool
		serverBin, serverAddr    string
		serverRole, fakeAddr     string
		serverLogLevel, redisBin string
		serverEnv                multi
		cpuProfile               string
	)
	fs := flag.NewFlagSet("fraudnavi-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Float64Var(&o.Rate, "rate", 0, "open loop: events per second on a fixed timetable (0: closed loop)")
	fs.IntVar(&o.Concurrency, "concurrency", 32, "closed loop: bodies in flight")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "measured phase: at most this long (at most 10m)")
	fs.IntVar(&o.Events, "events", 0, "measured phase: at most this many events (0: --duration only)")
	fs.DurationVar(&o.Warmup, "warmup", time.Second, "unmeasured warm-up with the same load first")
	fs.IntVar(&o.Users, "users", 0, "distinct users, each walking a conversation (0: rate × think × 2 in an open loop, 20000 in a closed one)")
	fs.BoolVar(&o.Prime, "prime", true, "have every user follow first, unmeasured, so the measured events are conversations under way")
	fs.DurationVar(&o.Think, "think", load.DefaultThink, "least time between two events of one user (fraudnavi limits a user to 0.5 events/s)")
	fs.IntVar(&o.EventsPerBody, "events-per-body", 1, "events per webhook body, each from another user")
	fs.Float64Var(&o.TextRatio, "text-ratio", 0.1, "share of events after the follow that are typed text rather than taps")
	fs.IntVar(&o.Redeliver, "redeliver", 0, "resend a body answered non-2xx up to N times, like LINE (same ids, isRedelivery)")
	fs.DurationVar(&o.RedeliverWait, "redeliver-wait", 100*time.Millisecond, "pause before a redelivery")
	fs.DurationVar(&o.Timeout, "timeout", 5*time.Second, "per request")
	fs.Int64Var(&o.Seed, "seed", 0, "random seed (0: from the clock)")
	fs.StringVar(&o.Secret, "secret", load.DefaultSecret, "channel secret the bodies are signed with")
	fs.StringVar(&o.Token, "token", load.DefaultToken, "channel access token the fake LINE API requires")
	fs.IntVar(&o.SchemaEvery, "schema-every", 16, "the fake LINE API checks the schema of one reply body in N (1: every one; the strict check of every body costs the machine more CPU than the server under test)")
	fs.StringVar(&o.RedisURL, "redis-url", load.DefaultRedisURL, `Redis the server uses, and that commandstats and memory are read from ("none": do not measure)`)
	fs.BoolVar(&o.Flush, "flush", true, "FLUSHDB the --redis-url database before the run (loopback only)")
	fs.BoolVar(&spawnRedis, "spawn-redis", false, "start a private redis-server on a free loopback port and use it (isolated figures)")
	fs.StringVar(&redisBin, "redis-server-bin", "redis-server", "redis-server for --spawn-redis")
	fs.StringVar(&serverBin, "server-bin", "", "fraudnavi binary to spawn (default: go build ./cmd/fraudnavi into a temporary directory)")
	fs.StringVar(&serverAddr, "server-addr", "", "load an already running server at HOST:PORT instead of spawning one (point its LINE_API_ENDPOINT at --fake-addr)")
	fs.StringVar(&serverRole, "server-role", "webhook", "FRAUDNAVI_ROLE of the spawned server (webhook: no reminder worker polling Redis in the background, so Redis figures are per event; all: what a single replica runs)")
	fs.StringVar(&serverLogLevel, "server-log-level", "warn", "LOG_LEVEL of the spawned server")
	fs.Var(&serverEnv, "server-env", "NAME=value for the spawned server and floor (repeatable), e.g. GOMAXPROCS=2")
	fs.StringVar(&fakeAddr, "fake-addr", "127.0.0.1:0", "listen address of the fake LINE API")
	fs.BoolVar(&floor, "floor", false, "load the floor (the least a LINE bot can do) instead of fraudnavi")
	fs.BoolVar(&compare, "compare", false, "load fraudnavi, then the floor, the same way, and report the ratio")
	fs.BoolVar(&jsonOut, "json", false, "write the report as JSON")
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write this tool's CPU profile (generator and fake LINE API) to the file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if floor && compare {
		return errors.New("--floor and --compare exclude each other")
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	if spawnRedis && !floor && serverAddr == "" {
		url, stopRedis, err := load.StartRedis(ctx, redisBin)
		if err != nil {
			return err
		}
		defer stopRedis()
		fmt.Fprintf(stderr, "private redis-server at %s\n", url)
		o.RedisURL = url
	}
	if floor {
		o.RedisURL, o.Flush = "", false
	}

	self, err := os.Executable()
	if err != nil {
		return err
	}
	floorStarter := load.SpawnFloor(self, o.Secret, o.Token, serverEnv...)
	var fraudStarter load.Starter
	switch {
	case serverAddr != "":
		fraudStarter = load.External("fraudnavi", serverAddr)
		if floor {
			floorStarter = load.External("floor", serverAddr)
		}
	case !floor:
		if serverBin == "" {
			dir, err := os.MkdirTemp("", "fraudnavi-load-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			if serverBin, err = build(ctx, dir, stderr); err != nil {
				return err
			}
		}
		redisURL := o.RedisURL
		if redisURL == "none" {
			redisURL = ""
		}
		fraudStarter = load.SpawnServer(load.ServerEnv{
			Bin: serverBin, RedisURL: redisURL, Role: serverRole, LogLevel: serverLogLevel,
			Secret: o.Secret, Token: o.Token, Extra: serverEnv,
		})
	}

	switch {
	case compare:
		c, err := load.Compare(ctx, o, fakeAddr, fraudStarter, floorStarter, stderr)
		if err != nil {
			return err
		}
		if jsonOut {
			return load.WriteJSON(stdout, c)
		}
		load.WriteComparisonText(stdout, c)
	default:
		start := fraudStarter
		if floor {
			start = floorStarter
		}
		r, err := load.Run(ctx, o, fakeAddr, start, stderr)
		if err != nil {
			return err
		}
		if jsonOut {
			return load.WriteJSON(stdout, r)
		}
		load.WriteText(stdout, r)
	}
	return nil
}

// build compiles fraudnavi into dir; it must run inside the module.
func build(ctx context.Context, dir string, stderr io.Writer) (string, error) {
	bin := filepath.Join(dir, "fraudnavi")
	fmt.Fprintln(stderr, "building fraudnavi (go build ./cmd/fraudnavi)")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/fraudnavi/fraudnavi/cmd/fraudnavi")
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build fraudnavi (run inside the repository, or pass --server-bin): %w", err)
	}
	return bin, nil
}
