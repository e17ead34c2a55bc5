package storage_test

import (
	"context"
	"errors"
	"testing"

	"github.com/fraudnavi/fraudnavi/storage"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

func TestReadDurability(t *testing.T) {
	tests := []struct {
		name          string
		config        map[string]string
		info          string
		want          storage.Durability
		evicts, keeps bool
	}{
		{
			name:   "noeviction with AOF",
			config: map[string]string{"maxmemory-policy": "noeviction", "appendonly": "yes", "save": ""},
			want:   storage.Durability{EvictionPolicy: "noeviction", AOF: true, Source: "config"},
			keeps:  true,
		},
		{
			name:   "allkeys-lru with RDB only",
			config: map[string]string{"maxmemory-policy": "allkeys-lru", "appendonly": "no", "save": "3600 1 300 100"},
			want:   storage.Durability{EvictionPolicy: "allkeys-lru", RDB: true, Source: "config"},
			evicts: true, keeps: true,
		},
		{
			// Every fraudnavi key has a TTL, so volatile-* evicts them too.
			name:   "volatile-lru without persistence",
			config: map[string]string{"maxmemory-policy": "volatile-lru", "appendonly": "no", "save": ""},
			want:   storage.Durability{EvictionPolicy: "volatile-lru", Source: "config"},
			evicts: true,
		},
		{
			name:   "CONFIG refused: INFO",
			info:   "# Memory\r\nused_memory:1000\r\nmaxmemory_policy:volatile-ttl\r\n\r\n# Persistence\r\nloading:0\r\naof_enabled:1\r\n",
			want:   storage.Durability{EvictionPolicy: "volatile-ttl", AOF: true, Source: "info"},
			evicts: true, keeps: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := storagetest.Configured(t, tt.config, tt.info)
			got, err := storage.ReadDurability(context.Background(), r.Client)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ReadDurability = %+v, want %+v", got, tt.want)
			}
			if got.Evicts() != tt.evicts || got.Persists() != tt.keeps {
				t.Errorf("Evicts, Persists = %v, %v; want %v, %v", got.Evicts(), got.Persists(), tt.evicts, tt.keeps)
			}
		})
	}
}

func TestReadDurabilityNeitherConfigNorInfo(t *testing.T) {
	r := storagetest.Configured(t, nil, "# Server\r\nredis_version:7.0.0\r\n")
	if _, err := storage.ReadDurability(context.Background(), r.Client); err == nil {
		t.Error("ReadDurability with no policy anywhere: err = nil, want an error")
	}
}

// TestReadDurabilityRealServers reads whatever the configured real servers
// say; it only checks that it can, since their settings are shared.
func TestReadDurabilityRealServers(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		if b.Name == "embedded" {
			t.Skip("miniredis has no CONFIG or INFO memory section")
		}
		d, err := storage.ReadDurability(context.Background(), b.Client)
		if err != nil {
			t.Fatal(err)
		}
		if d.EvictionPolicy == "" || d.Source != "config" {
			t.Errorf("ReadDurability = %+v, want a policy read with CONFIG GET", d)
		}
	})
}

func TestProbeWritableFailsWhileRedisIsOutOfMemory(t *testing.T) {
	r := storagetest.Configured(t, map[string]string{}, "")
	ctx := context.Background()
	if err := storage.ProbeWritable(ctx, r.Client); err != nil {
		t.Fatalf("ProbeWritable = %v, want nil", err)
	}
	r.OOM.Store(true)
	if err := r.Client.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING while OOM = %v: the fake must answer it as Redis does", err)
	}
	if err := storage.ProbeWritable(ctx, r.Client); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("ProbeWritable while OOM = %v, want ErrUnavailable", err)
	}
	r.OOM.Store(false)
	if err := storage.ProbeWritable(ctx, r.Client); err != nil {
		t.Errorf("ProbeWritable after OOM = %v, want nil", err)
	}
}
