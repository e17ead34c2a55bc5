package storagetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// LogBuffer collects log output written from many goroutines (a server, a
// worker, the test itself), so a test can check what the logs reveal.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written since the last Reset.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Reset forgets what was written.
func (l *LogBuffer) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Reset()
}

// ReminderQueue returns an asynq queue name that starts with prefix and
// that no other test uses, and deletes the queue's keys when tb ends, so
// tests can share a real Redis.
func ReminderQueue(tb testing.TB, rdb redis.UniversalClient, prefix string) string {
	tb.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	q := prefix + hex.EncodeToString(b)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := DropQueue(ctx, rdb, q); err != nil {
			tb.Errorf("drop asynq queue %s: %v", q, err)
		}
	})
	return q
}

// DropQueue deletes every key of an asynq queue. The queue's keys share the
// hash tag {q}, so on a Cluster they all live on one node.
func DropQueue(ctx context.Context, rdb redis.UniversalClient, q string) error {
	keys, err := scan(ctx, rdb, "asynq:{"+q+"}:*")
	if err == nil && len(keys) > 0 {
		err = rdb.Del(ctx, keys...).Err()
	}
	return errors.Join(err, rdb.SRem(ctx, "asynq:queues", q).Err())
}

// ScanKeys lists, sorted, the keys matching any of patterns with SCAN on
// every primary of rdb (KEYS or a plain SCAN asks one node of a Cluster
// only).
func ScanKeys(tb testing.TB, rdb redis.UniversalClient, patterns ...string) []string {
	tb.Helper()
	var keys []string
	for _, pattern := range patterns {
		found, err := scan(context.Background(), rdb, pattern)
		if err != nil {
			tb.Fatalf("scan %s: %v", pattern, err)
		}
		keys = append(keys, found...)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

func scan(ctx context.Context, rdb redis.UniversalClient, pattern string) ([]string, error) {
	var (
		mu   sync.Mutex
		keys []string
	)
	scanNode := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			mu.Lock()
			keys = append(keys, iter.Val())
			mu.Unlock()
		}
		return iter.Err()
	}
	var err error
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, scanNode)
	case *redis.Client:
		err = scanNode(ctx, c)
	default:
		err = errors.New("storagetest: scan: neither a client nor a cluster client")
	}
	return keys, err
}

// WaitFor polls cond until it holds or ctx ends. It checks a state; it
// asserts nothing about how long reaching it takes.
func WaitFor(tb testing.TB, ctx context.Context, what string, cond func() bool) {
	tb.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			tb.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-tick.C:
		}
	}
}
