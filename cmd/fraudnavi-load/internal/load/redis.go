package load

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisProbe reads a Redis server's statistics. Commands it sends itself
// (INFO, MEMORY, PTTL, FLUSHDB, PING, SELECT) are left out of the counts.
type redisProbe struct {
	rdb *redis.Client
}

// ownCommands are sent by the probe, not by the server under load.
var ownCommands = map[string]bool{"info": true, "memory|usage": true, "memory": true, "pttl": true, "flushdb": true, "ping": true, "select": true, "client|setinfo": true, "hello": true}

func openProbe(ctx context.Context, rawURL string) (*redisProbe, error) {
	if rawURL == "" || rawURL == "none" {
		return nil, nil
	}
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redis stats need a single-server redis:// URL: %w", err)
	}
	opt.PoolSize = 2
	rdb := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("redis %s: %w", storageRedact(rawURL), err)
	}
	return &redisProbe{rdb: rdb}, nil
}

func storageRedact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable)"
	}
	return u.Redacted()
}

func (p *redisProbe) close() {
	if p != nil {
		p.rdb.Close()
	}
}

// flush empties the URL's database, and refuses to unless Redis is on this
// machine.
func (p *redisProbe) flush(ctx context.Context) error {
	host, _, err := net.SplitHostPort(p.rdb.Options().Addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("refusing to flush a Redis that is not on loopback (%s)", host)
	}
	return p.rdb.FlushDB(ctx).Err()
}

// redisSnapshot is what INFO says at one moment.
type redisSnapshot struct {
	calls      map[string]int64 // commandstats calls by command
	usedMemory int64
	dataset    int64   // used_memory_dataset: used_memory less the server's overhead (clients, scripts)
	cpu        float64 // used_cpu_sys + used_cpu_user, seconds
	version    string
}

func (p *redisProbe) snapshot(ctx context.Context) (redisSnapshot, error) {
	s := redisSnapshot{calls: map[string]int64{}}
	info, err := p.rdb.Info(ctx, "commandstats", "memory", "cpu", "server").Result()
	if err != nil {
		return s, err
	}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(key, "cmdstat_"):
			// cmdstat_evalsha:calls=3,usec=...
			for _, f := range strings.Split(val, ",") {
				if n, ok := strings.CutPrefix(f, "calls="); ok {
					c, _ := strconv.ParseInt(n, 10, 64)
					s.calls[strings.TrimPrefix(key, "cmdstat_")] = c
				}
			}
		case key == "used_memory":
			s.usedMemory, _ = strconv.ParseInt(val, 10, 64)
		case key == "used_memory_dataset":
			s.dataset, _ = strconv.ParseInt(val, 10, 64)
		case key == "used_cpu_sys", key == "used_cpu_user":
			f, _ := strconv.ParseFloat(val, 64)
			s.cpu += f
		case key == "redis_version":
			s.version = val
		}
	}
	if len(s.calls) == 0 && s.usedMemory == 0 {
		return s, errors.New("INFO has no commandstats or memory section")
	}
	return s, nil
}

// RedisStats is the Redis side of a run.
type RedisStats struct {
	Version string `json:"version"`
	// Commands are those the server sent during the measured phase.
	Commands         int64              `json:"commands"`
	CommandsPerEvent float64            `json:"commands_per_event"`
	EvalshaPerEvent  float64            `json:"evalsha_per_event"`
	EvalPerEvent     float64            `json:"eval_per_event"`
	PerEvent         map[string]float64 `json:"per_event_by_command"`
	CPUPer1000       float64            `json:"cpu_seconds_per_1000_events"`
	// RoundTripsPerEvent counts the commands clients sent (not those run by
	// scripts) per event, from MONITOR during the warm-up; 0 when not
	// measured.
	RoundTripsPerEvent float64            `json:"round_trips_per_event"`
	RoundTripsBy       map[string]float64 `json:"round_trips_per_event_by_command,omitempty"`
	RoundTripsEvents   int                `json:"round_trips_events"`
	Memory             *MemoryStats       `json:"memory,omitempty"`
}

// MemoryStats is what the users cost in Redis after the run.
type MemoryStats struct {
	Users int `json:"users"`
	// UsedMemoryDelta is INFO used_memory after the run minus before it.
	UsedMemoryDelta   int64   `json:"used_memory_delta_bytes"`
	UsedMemoryPerUser float64 `json:"used_memory_per_user_bytes"`
	// From MEMORY USAGE on a sample of users' keys.
	Sampled       int     `json:"sampled_users"`
	StateBytes    float64 `json:"state_key_bytes"`
	SeenBytes     float64 `json:"seen_key_bytes"`
	StateTTLHours float64 `json:"state_ttl_hours"`
	SeenTTLHours  float64 `json:"seen_ttl_hours"`
	AtRestPerUser float64 `json:"at_rest_per_user_bytes"`
	AtRestMeaning string  `json:"at_rest_meaning"`
	RecentPerUser float64 `json:"recent_per_user_bytes"`
	RecentMeaning string  `json:"recent_meaning"`
	SampleMissing int     `json:"sample_users_without_state"`
	// DatasetDelta is the growth of used_memory_dataset, which leaves out
	// client buffers and the script cache.
	DatasetDelta   int64   `json:"dataset_delta_bytes"`
	DatasetPerUser float64 `json:"dataset_per_user_bytes"`
	datasetNow     int64
}

func (p *redisProbe) stats(before, after redisSnapshot, events int) *RedisStats {
	rs := &RedisStats{Version: after.version, PerEvent: map[string]float64{}}
	for cmd, n := range after.calls {
		d := n - before.calls[cmd]
		if d <= 0 || ownCommands[cmd] {
			continue
		}
		rs.Commands += d
		if events > 0 {
			rs.PerEvent[cmd] = float64(d) / float64(events)
		}
	}
	if events > 0 {
		rs.CommandsPerEvent = float64(rs.Commands) / float64(events)
		rs.EvalshaPerEvent = rs.PerEvent["evalsha"]
		rs.EvalPerEvent = rs.PerEvent["eval"]
		rs.CPUPer1000 = (after.cpu - before.cpu) * 1000 / float64(events)
	}
	return rs
}

// memory measures what the users hold after the run: the used_memory
// growth per user, and MEMORY USAGE of the keys of up to sample users.
func (p *redisProbe) memory(ctx context.Context, before int64, users []*user, sample int) (*MemoryStats, error) {
	now, err := p.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	m := &MemoryStats{Users: len(users), UsedMemoryDelta: now.usedMemory - before, datasetNow: now.dataset}
	if len(users) > 0 {
		m.UsedMemoryPerUser = float64(m.UsedMemoryDelta) / float64(len(users))
	}
	step := max(1, len(users)/max(1, sample))
	var stateSum, seenSum int64
	var stateTTL, seenTTL time.Duration
	for i := 0; i < len(users) && m.Sampled < sample; i += step {
		tag := "fraudnavi:{u:" + UserKeys().Key(users[i].id) + "}"
		st, err := p.rdb.MemoryUsage(ctx, tag+":state", 0).Result()
		if errors.Is(err, redis.Nil) {
			m.SampleMissing++
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("MEMORY USAGE: %w", err)
		}
		seen, err := p.rdb.MemoryUsage(ctx, tag+":seen", 0).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("MEMORY USAGE: %w", err)
		}
		stateSum += st
		seenSum += seen
		if m.Sampled == 0 {
			stateTTL, _ = p.rdb.PTTL(ctx, tag+":state").Result()
			seenTTL, _ = p.rdb.PTTL(ctx, tag+":seen").Result()
		}
		m.Sampled++
	}
	if m.Sampled == 0 {
		return m, nil
	}
	m.StateBytes = float64(stateSum) / float64(m.Sampled)
	m.SeenBytes = float64(seenSum) / float64(m.Sampled)
	m.StateTTLHours = stateTTL.Hours()
	m.SeenTTLHours = seenTTL.Hours()
	m.RecentPerUser = m.StateBytes + m.SeenBytes
	m.RecentMeaning = "state hash + seen set (a user active within the seen window)"
	if seenTTL > 0 && seenTTL < stateTTL {
		m.AtRestPerUser = m.StateBytes
		m.AtRestMeaning = fmt.Sprintf("state hash only: the seen set expires after %.0f h without events", m.SeenTTLHours)
	} else {
		m.AtRestPerUser = m.StateBytes + m.SeenBytes
		m.AtRestMeaning = "state hash + seen set: both live as long as the state"
	}
	return m, nil
}

// monitor counts, with MONITOR, the commands clients send to one database,
// apart from those scripts run: each is one round trip (no pipelining on
// the request path). MONITOR costs Redis time, so it only watches the
// warm-up, never the measured phase.
type monitor struct {
	conn   net.Conn
	db     string
	mu     sync.Mutex
	client map[string]int64
	script map[string]int64
	setup  int64 // commands that set a new connection up, not per event
	done   chan struct{}
}

// connectionSetup are sent once per new connection (go-redis: HELLO,
// CLIENT SETINFO, SELECT), not per event.
var connectionSetup = map[string]bool{"hello": true, "auth": true, "select": true, "client": true}

func (p *redisProbe) monitor(ctx context.Context) (*monitor, error) {
	opt := p.rdb.Options()
	d := net.Dialer{Timeout: 3 * time.Second}
	conn, err := d.DialContext(ctx, opt.Network, opt.Addr)
	if err != nil {
		return nil, err
	}
	rd := bufio.NewReaderSize(conn, 64<<10)
	send := func(args ...string) error {
		var b strings.Builder
		fmt.Fprintf(&b, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
		}
		if _, err := conn.Write([]byte(b.String())); err != nil {
			return err
		}
		line, err := rd.ReadString('\n')
		if err != nil {
			return err
		}
		if !strings.HasPrefix(line, "+") {
			return fmt.Errorf("%s: %s", args[0], strings.TrimSpace(line))
		}
		return nil
	}
	_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
	if opt.Password != "" {
		args := []string{"AUTH", opt.Password}
		if opt.Username != "" {
			args = []string{"AUTH", opt.Username, opt.Password}
		}
		if err := send(args...); err != nil {
			conn.Close()
			return nil, err
		}
	}
	if err := send("MONITOR"); err != nil {
		conn.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	m := &monitor{conn: conn, db: strconv.Itoa(opt.DB), client: map[string]int64{}, script: map[string]int64{}, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				return
			}
			m.count(line)
		}
	}()
	return m, nil
}

// count reads one MONITOR line:
// +1732456789.123456 [13 127.0.0.1:53210] "evalsha" "…" …   (a client)
// +1732456789.123470 [13 lua] "hget" "…" …                  (a script)
func (m *monitor) count(line string) {
	i := strings.Index(line, " [")
	if i < 0 {
		return
	}
	rest := line[i+2:]
	j := strings.Index(rest, "] \"")
	if j < 0 {
		return
	}
	db, src, _ := strings.Cut(rest[:j], " ")
	if db != m.db {
		return
	}
	name, _, _ := strings.Cut(rest[j+3:], "\"")
	name = strings.ToLower(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if connectionSetup[name] {
		m.setup++
		return
	}
	if src == "lua" {
		m.script[name]++
	} else {
		m.client[name]++
	}
}

// stop ends the monitor and returns the counts by command: sent by clients,
// and run by scripts.
func (m *monitor) stop() (client, script map[string]int64) {
	time.Sleep(100 * time.Millisecond) // let the last lines arrive
	m.conn.Close()
	<-m.done
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.client, m.script
}
