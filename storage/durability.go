package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Durability is what a Redis server does when it is full and whether it
// keeps its data across a restart. Exactly-once rests on both: an evicted
// seen set lets an applied event apply again, an evicted state loses a
// user's progress, and every key fraudnavi writes has a TTL, so even the
// volatile-* policies evict it.
type Durability struct {
	EvictionPolicy string // maxmemory-policy, e.g. "noeviction" or "allkeys-lru"
	AOF            bool   // appendonly yes
	RDB            bool   // save has at least one rule; false when read from INFO, which does not say
	Source         string // "config" (CONFIG GET) or "info" (CONFIG is not allowed, e.g. on a managed Redis)
}

// Evicts reports whether the server may delete fraudnavi's keys when full.
func (d Durability) Evicts() bool { return d.EvictionPolicy != "noeviction" }

// Persists reports whether the server is known to keep data across a restart.
func (d Durability) Persists() bool { return d.AOF || d.RDB }

// ReadDurability asks Redis for its eviction policy and persistence, with
// CONFIG GET where allowed and INFO otherwise. On a cluster it asks every
// primary and reports the weakest: evicting if any evicts, persistent only
// if all persist.
func ReadDurability(ctx context.Context, rdb redis.UniversalClient) (Durability, error) {
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		d, err := readNodeDurability(ctx, rdb)
		if err != nil {
			return Durability{}, wrapErr("read durability", err)
		}
		return d, nil
	}
	var (
		mu    sync.Mutex
		worst *Durability
	)
	err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		d, err := readNodeDurability(ctx, c)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if worst == nil {
			worst = &d
			return nil
		}
		if d.Evicts() && !worst.Evicts() {
			worst.EvictionPolicy = d.EvictionPolicy
		}
		worst.AOF = worst.AOF && d.AOF
		worst.RDB = worst.RDB && d.RDB
		if d.Source == "info" {
			worst.Source = "info"
		}
		return nil
	})
	if err != nil {
		return Durability{}, wrapErr("read durability", err)
	}
	if worst == nil {
		return Durability{}, wrapErr("read durability", errors.New("cluster has no nodes"))
	}
	return *worst, nil
}

func readNodeDurability(ctx context.Context, c redis.Cmdable) (Durability, error) {
	cfg, err := c.ConfigGet(ctx, "maxmemory-policy").Result()
	if err == nil && cfg["maxmemory-policy"] != "" {
		d := Durability{EvictionPolicy: cfg["maxmemory-policy"], Source: "config"}
		aof, err1 := c.ConfigGet(ctx, "appendonly").Result()
		save, err2 := c.ConfigGet(ctx, "save").Result()
		if err := errors.Join(err1, err2); err != nil {
			return Durability{}, err
		}
		d.AOF = aof["appendonly"] == "yes"
		d.RDB = strings.TrimSpace(save["save"]) != ""
		return d, nil
	}
	if unavailable(err) {
		return Durability{}, err
	}
	// CONFIG is renamed or refused (managed Redis): INFO says the policy and
	// whether AOF is on, though not whether RDB snapshots are taken.
	info, ierr := c.Info(ctx, "memory", "persistence").Result()
	if ierr != nil {
		return Durability{}, fmt.Errorf("CONFIG GET: %v; INFO: %w", err, ierr)
	}
	fields := infoFields(info)
	policy, ok := fields["maxmemory_policy"]
	if !ok {
		return Durability{}, fmt.Errorf("CONFIG GET: %v; INFO has no maxmemory_policy", err)
	}
	return Durability{EvictionPolicy: policy, AOF: fields["aof_enabled"] == "1", Source: "info"}, nil
}

// infoFields splits INFO's "key:value" lines.
func infoFields(info string) map[string]string {
	fields := map[string]string{}
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && !strings.HasPrefix(k, "#") {
			fields[k] = v
		}
	}
	return fields
}

// readyKey is written by ProbeWritable.
const readyKey = "fraudnavi:readyz"

// ProbeWritable writes a short-lived key: a Redis that is up but refuses
// writes (out of memory under noeviction, a read-only replica) answers PING
// yet cannot apply a single event, so readiness must ask for a write.
func ProbeWritable(ctx context.Context, rdb redis.UniversalClient) error {
	if err := rdb.Set(ctx, readyKey, "1", 10*time.Second).Err(); err != nil {
		return wrapErr("probe write", err)
	}
	return nil
}
