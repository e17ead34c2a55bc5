package storagetest

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/alicebob/miniredis/v2/server"
	"github.com/redis/go-redis/v9"
)

// A ConfiguredRedis is an in-process Redis that answers CONFIG GET and INFO
// the way a server with the given settings would (miniredis has neither), and
// refuses writes with Redis's OOM error while OOM is set, as a full Redis
// under noeviction does; PING still answers then.
type ConfiguredRedis struct {
	Client redis.UniversalClient
	OOM    atomic.Bool
}

// errOOM is what Redis answers a write when used memory is over maxmemory.
const errOOM = "OOM command not allowed when used memory > 'maxmemory'."

// Configured starts a ConfiguredRedis. config holds the CONFIG GET answers
// (nil: CONFIG is refused, as on many managed Redis services); info is the
// text INFO answers.
func Configured(tb testing.TB, config map[string]string, info string) *ConfiguredRedis {
	tb.Helper()
	srv := miniredis.NewMiniRedis()
	if err := srv.StartAddr("127.0.0.1:0"); err != nil {
		tb.Fatal(err)
	}
	cr := &ConfiguredRedis{}
	srv.Server().SetPreHook(func(c *server.Peer, cmd string, args ...string) bool {
		switch strings.ToUpper(cmd) {
		case "CONFIG":
			if config == nil {
				c.WriteError("ERR unknown command 'CONFIG'")
				return true
			}
			if len(args) != 2 || !strings.EqualFold(args[0], "GET") {
				c.WriteError("ERR syntax error")
				return true
			}
			v, ok := config[args[1]]
			if !ok {
				c.WriteMapLen(0)
				return true
			}
			c.WriteMapLen(1)
			c.WriteBulk(args[1])
			c.WriteBulk(v)
			return true
		case "INFO":
			c.WriteBulk(info)
			return true
		case "SET", "EVAL", "EVALSHA", "HSET", "ZADD", "SADD", "EXPIRE", "PEXPIRE":
			if cr.OOM.Load() {
				c.WriteError(errOOM)
				return true
			}
		}
		return false
	})
	cr.Client = redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	tb.Cleanup(func() {
		cr.Client.Close()
		srv.Close()
	})
	return cr
}
