package storage_test

import (
	"context"
	"errors"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/fraudnavi/fraudnavi/storage"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url   string
		check func(t *testing.T, s *redis.Options, f *redis.FailoverOptions, c *redis.ClusterOptions)
	}{
		{"redis://h:6380/3?dial_timeout=2s", func(t *testing.T, s *redis.Options, _ *redis.FailoverOptions, _ *redis.ClusterOptions) {
			if s == nil || s.Addr != "h:6380" || s.DB != 3 || s.DialTimeout != 2*time.Second || s.TLSConfig != nil {
				t.Errorf("got %+v", s)
			}
		}},
		{"redis://localhost", func(t *testing.T, s *redis.Options, _ *redis.FailoverOptions, _ *redis.ClusterOptions) {
			if s == nil || s.Addr != "localhost:6379" || s.DB != 0 {
				t.Errorf("got %+v", s)
			}
		}},
		{"rediss://app:p%40ss@cache.example:6380/1", func(t *testing.T, s *redis.Options, _ *redis.FailoverOptions, _ *redis.ClusterOptions) {
			if s == nil || s.Addr != "cache.example:6380" || s.Username != "app" || s.Password != "p@ss" || s.DB != 1 ||
				s.TLSConfig == nil || s.TLSConfig.ServerName != "cache.example" {
				t.Errorf("got %+v", s)
			}
		}},
		{"redis://:pa/ss@h:1/2", func(t *testing.T, s *redis.Options, _ *redis.FailoverOptions, _ *redis.ClusterOptions) {
			// An unescaped '/' in the password is not taken for the path.
			if s == nil || s.Addr != "h:1" || s.Password != "pa/ss" || s.DB != 2 {
				t.Errorf("got %+v", s)
			}
		}},
		{"redis://[::1]:7000", func(t *testing.T, s *redis.Options, _ *redis.FailoverOptions, _ *redis.ClusterOptions) {
			if s == nil || s.Addr != "[::1]:7000" {
				t.Errorf("got %+v", s)
			}
		}},
		{"unix:///run/redis.sock?db=2", func(t *testing.T, s *redis.Options, _ *redis.FailoverOptions, _ *redis.ClusterOptions) {
			if s == nil || s.Network != "unix" || s.Addr != "/run/redis.sock" || s.DB != 2 {
				t.Errorf("got %+v", s)
			}
		}},
		{"redis+sentinel://:secret@s1:26380,s2/mymaster/2?sentinel_password=spw&dial_timeout=2s", func(t *testing.T, _ *redis.Options, f *redis.FailoverOptions, _ *redis.ClusterOptions) {
			if f == nil || !slices.Equal(f.SentinelAddrs, []string{"s1:26380", "s2:26379"}) || f.MasterName != "mymaster" ||
				f.DB != 2 || f.Password != "secret" || f.SentinelPassword != "spw" || f.DialTimeout != 2*time.Second || f.TLSConfig != nil {
				t.Errorf("got %+v", f)
			}
		}},
		{"rediss+sentinel://s1,s2/mymaster", func(t *testing.T, _ *redis.Options, f *redis.FailoverOptions, _ *redis.ClusterOptions) {
			// Each node verifies its own name, not the first Sentinel's.
			if f == nil || f.MasterName != "mymaster" || f.DB != 0 || f.Password != "" || f.SentinelPassword != "" ||
				f.TLSConfig == nil || f.TLSConfig.ServerName != "" {
				t.Errorf("got %+v", f)
			}
		}},
		{"redis+cluster://:secret@n1:7001,n2:7002,[::1]:7003?read_only=true", func(t *testing.T, _ *redis.Options, _ *redis.FailoverOptions, c *redis.ClusterOptions) {
			if c == nil || !slices.Equal(c.Addrs, []string{"n1:7001", "n2:7002", "[::1]:7003"}) ||
				c.Password != "secret" || !c.ReadOnly || c.TLSConfig != nil {
				t.Errorf("got %+v", c)
			}
		}},
		{"rediss+cluster://n1:7001?addr=n2:7002", func(t *testing.T, _ *redis.Options, _ *redis.FailoverOptions, c *redis.ClusterOptions) {
			if c == nil || !slices.Equal(c.Addrs, []string{"n1:7001", "n2:7002"}) || c.TLSConfig == nil || c.TLSConfig.ServerName != "" {
				t.Errorf("got %+v", c)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			s, f, c, err := storage.ParseURL(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s, f, c)
		})
	}
}

func TestParseURLErrors(t *testing.T) {
	const secret = "s3cr3t"
	tests := []string{
		"",
		"localhost:6379",
		"redis:/:" + secret + "@h",
		"ftp://:" + secret + "@h",
		"redis://:" + secret + "@h:badport",
		"redis://:" + secret + "@h:99999",
		"redis://:" + secret + "@:6379",
		"redis://:" + secret + "@h/notadb",
		"redis://:" + secret + "@h1,h2",
		"redis://:" + secret + "@h?bogus=1",
		"redis://:" + secret + "%zz@h",
		"redis+sentinel://:" + secret + "@s1:26379",
		"redis+sentinel://:" + secret + "@s1:26379/m/x",
		"redis+sentinel://s1/m?sentinel_password=" + secret + "&bogus=1",
		"redis+cluster://:" + secret + "@n1:7001/3",
		"redis+cluster://" + secret + "@n1:7001?pool_size=x",
	}
	for _, url := range tests {
		_, _, _, err := storage.ParseURL(url)
		if err == nil {
			t.Errorf("ParseURL(%q): no error", url)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("ParseURL(%q): error reveals the password: %v", url, err)
		}
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"redis://h:6379/0", "redis://h:6379/0"},
		{"redis://:pw@h:6379", "redis://:xxxxx@h:6379"},
		{"rediss://app:pw@h/1?dial_timeout=1s", "rediss://app:xxxxx@h/1?dial_timeout=1s"},
		{"redis://pw@h", "redis://xxxxx@h"},
		{"redis://:p/w@h/1", "redis://:xxxxx@h/1"},
		{"redis+sentinel://s1/m?sentinel_password=pw&db=1", "redis+sentinel://s1/m?sentinel_password=xxxxx&db=1"},
		{"redis:/:pw@h", "(unparsable URL)"},
	}
	for _, tt := range tests {
		if got := storage.RedactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	srv := miniredis.RunT(t)
	srv.RequireAuth("s3cr3t")

	rdb, err := storage.Open(ctx, "redis://:s3cr3t@"+srv.Addr()+"/0")
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}

	_, err = storage.Open(ctx, "redis://:wr0ng@"+srv.Addr())
	if err == nil || strings.Contains(err.Error(), "wr0ng") {
		t.Errorf("Open with a wrong password: err = %v, want an error without the password", err)
	}
	if errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Open with a wrong password: %v is not an outage", err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	_, err = storage.Open(ctx, "redis://:s3cr3t@"+closed+"?max_retries=-1")
	if !errors.Is(err, storage.ErrUnavailable) || strings.Contains(err.Error(), "s3cr3t") || !strings.Contains(err.Error(), closed) {
		t.Errorf("Open of a closed port: err = %v, want ErrUnavailable naming the address but not the password", err)
	}

	_, err = storage.Open(ctx, "redis://:s3cr3t@"+srv.Addr()+"?bogus=1")
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("Open with a bad option: err = %v, want an error without the password", err)
	}
}

// TestOpenConfigured opens the servers named in the environment with the
// URL forms the service uses.
func TestOpenConfigured(t *testing.T) {
	urls := map[string]string{"redis": os.Getenv(storagetest.EnvRedisURL)}
	if seeds := os.Getenv(storagetest.EnvRedisCluster); seeds != "" {
		urls["cluster"] = "redis+cluster://" + seeds
	}
	for name, u := range urls {
		t.Run(name, func(t *testing.T) {
			if u == "" {
				t.Skip("not configured")
			}
			rdb, err := storage.Open(context.Background(), u)
			if err != nil {
				t.Fatal(err)
			}
			defer rdb.Close()
			_, isCluster := rdb.(*redis.ClusterClient)
			if isCluster != (name == "cluster") {
				t.Errorf("Open(%q) returned a %T", u, rdb)
			}
		})
	}
}

func TestEmbedded(t *testing.T) {
	emb := storagetest.Embedded(t)
	if host, _, err := net.SplitHostPort(emb.Addr()); err != nil || host != "127.0.0.1" {
		t.Errorf("Addr() = %q, want a loopback address", emb.Addr())
	}
	// The embedded server is reachable by URL too, as a stand-in REDIS_URL.
	rdb, err := storage.Open(context.Background(), "redis://"+emb.Addr())
	if err != nil {
		t.Fatal(err)
	}
	rdb.Close()
	if err := emb.Client().Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
}
