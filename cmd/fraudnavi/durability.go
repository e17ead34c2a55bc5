package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/fraudnavi/fraudnavi/bot"
	"github.com/fraudnavi/fraudnavi/storage"
)

// checkRedisDurability reads Redis's eviction policy and persistence, exports
// them, and refuses an evicting policy unless allowEviction: an evicted seen
// set applies events twice and an evicted state loses a user's progress,
// with nothing in the logs. No persistence is allowed, loudly: a restart of
// such a Redis forgets every user.
func checkRedisDurability(ctx context.Context, rdb storage.Client, allowEviction bool, log *slog.Logger, m *bot.Metrics) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	d, err := storage.ReadDurability(ctx, rdb)
	if err != nil {
		return fmt.Errorf("redis: cannot read maxmemory-policy and persistence: %w", err)
	}
	m.RedisDurability(d.EvictionPolicy, d.Evicts(), d.AOF, d.RDB)
	switch {
	case d.Evicts() && !allowEviction:
		return fmt.Errorf("redis maxmemory-policy is %q: Redis may delete fraudnavi's keys (all have a TTL) when full, "+
			"which loses users' progress and applies events twice; set maxmemory-policy noeviction, "+
			"or FRAUDNAVI_ALLOW_EVICTION=true to start anyway", d.EvictionPolicy)
	case d.Evicts():
		log.Warn("REDIS MAY EVICT KEYS: exactly-once is not guaranteed (FRAUDNAVI_ALLOW_EVICTION is set)",
			"maxmemory_policy", d.EvictionPolicy)
	}
	if !d.Persists() {
		log.Warn("REDIS HAS NO PERSISTENCE known: a restart of Redis forgets every user's progress and seen events; turn on appendonly",
			"maxmemory_policy", d.EvictionPolicy, "aof", d.AOF, "rdb", d.RDB, "read_with", d.Source)
	}
	return nil
}
