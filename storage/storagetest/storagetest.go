// Package storagetest provides the Redis backends that tests of fraudnavi run
// against: always an in-process Redis, plus a real server and a Redis
// Cluster when the environment names them.
//
//	FRAUDNAVI_TEST_REDIS_URL      a Redis URL, e.g. redis://127.0.0.1:6379/15
//	FRAUDNAVI_TEST_REDIS_CLUSTER  comma-separated seed nodes, e.g. 127.0.0.1:7101,127.0.0.1:7102
//
// Tests share the real servers with each other and with whatever else uses
// them, so they must use fresh user ids (UserID). When a test ends, the keys
// with the fraudnavi: prefix that its commands named are deleted; nothing
// else is touched, in particular no database is flushed.
//
// It also holds the helpers that tests of several packages share (helpers.go):
// a locked log buffer, an asynq queue of a test's own, listing keys on every
// node, waiting for a state.
package storagetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fraudnavi/fraudnavi/storage"
)

// Environment variables naming the optional backends.
const (
	EnvRedisURL     = "FRAUDNAVI_TEST_REDIS_URL"
	EnvRedisCluster = "FRAUDNAVI_TEST_REDIS_CLUSTER"
)

// A Backend is one Redis deployment to run a test against.
type Backend struct {
	Name   string // "embedded", "redis" or "cluster"; usable as a subtest name
	Client redis.UniversalClient
}

// Embedded starts an in-process Redis that is shut down when tb ends.
func Embedded(tb testing.TB) *storage.Embedded {
	tb.Helper()
	emb := storage.NewEmbedded()
	if err := emb.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = emb.Shutdown(context.Background()) })
	return emb
}

// Backends returns the backends configured for this run, each with a client
// that is closed, and whose keys are removed, when tb ends. The embedded
// Redis is fresh for every call. A configured backend that cannot be reached
// fails the test rather than being skipped.
func Backends(tb testing.TB) []Backend {
	tb.Helper()
	emb := Embedded(tb)
	backends := []Backend{{Name: "embedded", Client: emb.Client()}}

	if u := os.Getenv(EnvRedisURL); u != "" {
		backends = append(backends, Backend{Name: "redis", Client: open(tb, u)})
	}
	if seeds := os.Getenv(EnvRedisCluster); seeds != "" {
		backends = append(backends, Backend{Name: "cluster", Client: open(tb, "redis+cluster://"+seeds)})
	}
	return backends
}

// Run runs f as a subtest of t for each configured backend.
func Run(t *testing.T, f func(t *testing.T, b Backend)) {
	t.Helper()
	for _, b := range Backends(t) {
		t.Run(b.Name, func(t *testing.T) { f(t, b) })
	}
}

// open connects to a shared server and arranges for the keys the test
// touched to be deleted at the end.
func open(tb testing.TB, rawURL string) redis.UniversalClient {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rdb, err := storage.Open(ctx, rawURL)
	if err != nil {
		tb.Fatal(err)
	}
	rec := &keyRecorder{keys: make(map[string]bool)}
	rdb.AddHook(rec)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// One key per DEL: on a Cluster the keys may live in different slots.
		for _, k := range rec.recorded() {
			if err := rdb.Del(ctx, k).Err(); err != nil {
				tb.Errorf("storagetest: delete %s: %v", k, err)
			}
		}
		rdb.Close()
	})
	return rdb
}

// UserID returns a LINE-style user id that no other test uses.
func UserID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "U" + hex.EncodeToString(b)
}

// Unreachable returns a client for a loopback port nobody listens on, for
// testing how code behaves when Redis is down.
func Unreachable(tb testing.TB) redis.UniversalClient {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	rdb := redis.NewClient(&redis.Options{
		Addr:          addr,
		MaxRetries:    -1, // fail at once instead of backing off
		DialerRetries: 1,
		DialTimeout:   time.Second,
	})
	tb.Cleanup(func() { rdb.Close() })
	return rdb
}

// keyRecorder is a go-redis hook remembering every argument that names a
// fraudnavi key, which is all storage ever writes.
type keyRecorder struct {
	mu   sync.Mutex
	keys map[string]bool
}

func (r *keyRecorder) record(cmds ...redis.Cmder) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, cmd := range cmds {
		for _, a := range cmd.Args() {
			if s, ok := a.(string); ok && strings.HasPrefix(s, "fraudnavi:") {
				r.keys[s] = true
			}
		}
	}
}

func (r *keyRecorder) recorded() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := make([]string, 0, len(r.keys))
	for k := range r.keys {
		keys = append(keys, k)
	}
	return keys
}

func (r *keyRecorder) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *keyRecorder) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.record(cmd)
		return next(ctx, cmd)
	}
}

func (r *keyRecorder) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.record(cmds...)
		return next(ctx, cmds)
	}
}

// ClientOptions returns a copy of the options rdb was made with, to open
// another client to the same server. go-redis stores a client's push
// notification processor back in its options; a second client sharing it
// could not register its own handlers ("cannot overwrite existing handler"),
// so the copy has none and the new client makes its own.
func ClientOptions(rdb *redis.Client) *redis.Options {
	opt := *rdb.Options()
	opt.PushNotificationProcessor = nil
	return &opt
}

// ClusterOptions is ClientOptions for a Cluster client.
func ClusterOptions(rdb *redis.ClusterClient) *redis.ClusterOptions {
	opt := *rdb.Options()
	opt.PushNotificationProcessor = nil
	return &opt
}

// UserKeySecret is the user key secret (FRAUDNAVI_USER_KEY_SECRET) of every
// test, so that a test can name the keys of the bot it runs.
const UserKeySecret = "fraudnavi test user key secret"

// UserKeys returns the UserKeys of UserKeySecret.
func UserKeys() storage.UserKeys { return storage.NewUserKeys([]byte(UserKeySecret)) }

// StateKey and SeenKey are the Redis keys of userID's state and seen set
// under UserKeys.
func StateKey(userID string) string { return "fraudnavi:{u:" + UserKeys().Key(userID) + "}:state" }
func SeenKey(userID string) string  { return "fraudnavi:{u:" + UserKeys().Key(userID) + "}:seen" }

// LegacyUserKey is the user key storage used before keys were keyed: the
// first 128 bits of the unsalted SHA-256 of the LINE user id. Tests use it
// to write data as an older release left it, and check it is migrated.
func LegacyUserKey(userID string) string {
	sum := sha256.Sum256([]byte(userID))
	return hex.EncodeToString(sum[:16])
}
