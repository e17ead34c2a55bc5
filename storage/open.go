package storage

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Client is a connection to Redis as Open returns it: one server, a
// Sentinel-managed failover or a Cluster. The wiring holds it under this
// name, so that only storage imports go-redis.
type Client = redis.UniversalClient

// Open connects to the Redis named by rawURL (see the package documentation
// for the accepted forms) and pings it once. Errors name the URL with its
// passwords redacted; a server that does not answer gives an error wrapping
// ErrUnavailable.
func Open(ctx context.Context, rawURL string) (redis.UniversalClient, error) {
	cfg, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	rdb := cfg.newClient()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, wrapErr("open "+redactURL(rawURL), err)
	}
	return rdb, nil
}

// clientConfig holds the options of exactly one kind of client.
type clientConfig struct {
	simple   *redis.Options
	failover *redis.FailoverOptions
	cluster  *redis.ClusterOptions
}

func (c *clientConfig) newClient() redis.UniversalClient {
	// Let a context's deadline reach the socket: without it, go-redis waits
	// for its read time-out (seconds) and retries, whatever the caller's
	// deadline, and a hung Redis holds a webhook past LINE's 2 s.
	switch {
	case c.failover != nil:
		c.failover.ContextTimeoutEnabled = true
	case c.cluster != nil:
		c.cluster.ContextTimeoutEnabled = true
	default:
		c.simple.ContextTimeoutEnabled = true
	}
	switch {
	case c.failover != nil:
		return redis.NewFailoverClient(c.failover)
	case c.cluster != nil:
		return redis.NewClusterClient(c.cluster)
	default:
		return redis.NewClient(c.simple)
	}
}

// parseURL turns a REDIS_URL into client options. It splits off the
// credentials and the host list itself, then hands a well-formed URL to the
// go-redis parsers, which know all the query options. Errors never contain
// the password.
func parseURL(rawURL string) (*clientConfig, error) {
	if rawURL == "" {
		return nil, errors.New("storage: empty redis URL")
	}
	cfg, err := parseURLParts(rawURL)
	if err != nil {
		return nil, fmt.Errorf("storage: redis URL %s: %w", redactURL(rawURL), err)
	}
	return cfg, nil
}

// urlParts is a Redis URL split the way parseURLParts reads it, before any
// go-redis parser sees it.
type urlParts struct {
	scheme   string // as written, e.g. "rediss+sentinel"
	base     string // "redis" or "rediss"
	user     *url.Userinfo
	hostList string // comma-separated, ports optional
	path     string // after the first '/', without it
	query    url.Values
}

func parseURLParts(rawURL string) (*clientConfig, error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, errors.New("missing scheme (redis://, rediss://, redis+sentinel://, redis+cluster://)")
	}
	if scheme == "unix" {
		opt, err := redis.ParseURL(rawURL)
		if err != nil {
			return nil, scrub(err, rawURL)
		}
		return &clientConfig{simple: opt}, nil
	}

	base, kind, _ := strings.Cut(scheme, "+")
	if base != "redis" && base != "rediss" {
		return nil, fmt.Errorf("unsupported scheme %q", scheme)
	}
	p, err := splitURL(scheme, base, rest)
	if err != nil {
		return nil, err
	}
	switch kind {
	case "":
		return p.simpleConfig()
	case "sentinel":
		return p.sentinelConfig()
	case "cluster":
		return p.clusterConfig()
	}
	return nil, fmt.Errorf("unsupported scheme %q", scheme)
}

// splitURL splits what follows "scheme://" into credentials, hosts, path
// and query.
func splitURL(scheme, base, rest string) (*urlParts, error) {
	// The query starts at the first '?'; the credentials end at the last '@'
	// before it, so an unescaped '/' in a password cannot be taken for the path.
	rest, query, _ := strings.Cut(rest, "?")
	query, _, _ = strings.Cut(query, "#")
	var userinfo string
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		userinfo, rest = rest[:i], rest[i+1:]
	}
	hostList, path, _ := strings.Cut(rest, "/")
	user, err := parseUserinfo(userinfo)
	if err != nil {
		return nil, err
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, errors.New("malformed query")
	}
	return &urlParts{scheme: scheme, base: base, user: user, hostList: hostList, path: path, query: q}, nil
}

// simpleConfig is a single server: redis://[user:pass@]host[:port][/db].
func (p *urlParts) simpleConfig() (*clientConfig, error) {
	hosts, err := splitHosts(p.hostList, "6379")
	if err != nil {
		return nil, err
	}
	if len(hosts) > 1 {
		return nil, fmt.Errorf("several hosts need %s+cluster:// or %s+sentinel://", p.base, p.base)
	}
	u := &url.URL{Scheme: p.base, User: p.user, Host: hosts[0], Path: "/" + p.path, RawQuery: p.query.Encode()}
	opt, err := redis.ParseURL(u.String())
	if err != nil {
		return nil, scrub(err, u.String())
	}
	return &clientConfig{simple: opt}, nil
}

// sentinelConfig is a primary found through Sentinels:
// redis+sentinel://[user:pass@]host[:port][,host[:port]]/master[/db].
func (p *urlParts) sentinelConfig() (*clientConfig, error) {
	hosts, err := splitHosts(p.hostList, "26379")
	if err != nil {
		return nil, err
	}
	master, db, _ := strings.Cut(p.path, "/")
	if master, err = url.PathUnescape(master); err != nil || master == "" {
		return nil, errors.New("missing master name: " + p.scheme + "://host:port[,host:port]/master[/db]")
	}
	q := p.query
	// go-redis's failover URL takes the Sentinels' credentials from the
	// user info and the servers' from the query, the other way round.
	if p.user != nil {
		q.Set("username", p.user.Username())
		pw, _ := p.user.Password()
		q.Set("password", pw)
	}
	var sentinelUser *url.Userinfo
	if q.Has("sentinel_username") || q.Has("sentinel_password") {
		sentinelUser = url.UserPassword(q.Get("sentinel_username"), q.Get("sentinel_password"))
		q.Del("sentinel_username")
		q.Del("sentinel_password")
	}
	q.Set("master_name", master)
	for _, h := range hosts[1:] {
		q.Add("addr", h)
	}
	if db != "" {
		if _, err := strconv.Atoi(db); err != nil {
			return nil, fmt.Errorf("invalid database number %q", db)
		}
		q.Set("db", db)
	}
	u := &url.URL{Scheme: p.base, User: sentinelUser, Host: hosts[0], RawQuery: q.Encode()}
	opt, err := redis.ParseFailoverURL(u.String())
	if err != nil {
		return nil, scrub(err, u.String())
	}
	clearServerName(opt.TLSConfig)
	return &clientConfig{failover: opt}, nil
}

// clusterConfig is a Redis Cluster from seed nodes:
// redis+cluster://[user:pass@]host[:port][,host[:port]].
func (p *urlParts) clusterConfig() (*clientConfig, error) {
	hosts, err := splitHosts(p.hostList, "6379")
	if err != nil {
		return nil, err
	}
	if p.path != "" {
		return nil, errors.New("a Redis Cluster has only database 0; drop the path")
	}
	q := p.query
	for _, h := range hosts[1:] {
		q.Add("addr", h)
	}
	u := &url.URL{Scheme: p.base, User: p.user, Host: hosts[0], RawQuery: q.Encode()}
	opt, err := redis.ParseClusterURL(u.String())
	if err != nil {
		return nil, scrub(err, u.String())
	}
	clearServerName(opt.TLSConfig)
	return &clientConfig{cluster: opt}, nil
}

// parseUserinfo decodes "[user][:password]", percent-encoded.
func parseUserinfo(s string) (*url.Userinfo, error) {
	if s == "" {
		return nil, nil
	}
	name, pw, hasPW := strings.Cut(s, ":")
	name, err1 := url.PathUnescape(name)
	pw, err2 := url.PathUnescape(pw)
	if err1 != nil || err2 != nil {
		// Do not quote the offending escape: it is part of the password.
		return nil, errors.New("malformed user or password (percent-encode reserved characters)")
	}
	if !hasPW {
		return url.User(name), nil
	}
	return url.UserPassword(name, pw), nil
}

// splitHosts splits "h1[:p1],h2[:p2]" and adds the default port.
func splitHosts(list, defaultPort string) ([]string, error) {
	if list == "" {
		return nil, errors.New("missing host")
	}
	var hosts []string
	for h := range strings.SplitSeq(list, ",") {
		host, port, err := net.SplitHostPort(h)
		if err != nil {
			// No port: "host", "[::1]" or a bare IPv6 address.
			host, port = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), defaultPort
		}
		if host == "" {
			return nil, fmt.Errorf("invalid host %q", h)
		}
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("invalid port in %q", h)
		}
		hosts = append(hosts, net.JoinHostPort(host, port))
	}
	return hosts, nil
}

// clearServerName lets every TLS connection verify the host it dials:
// go-redis sets the name of the first host only, and Sentinels, masters and
// cluster nodes all have names of their own.
func clearServerName(c *tls.Config) {
	if c != nil {
		c.ServerName = ""
		c.MinVersion = max(c.MinVersion, tls.VersionTLS12)
	}
}

// scrub returns err with the URL it was parsed from removed: url.Parse
// quotes the whole URL, credentials included.
func scrub(err error, rawURL string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	if u, perr := url.Parse(rawURL); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return errors.New(msg)
}

var passwordParam = regexp.MustCompile(`(?i)([?&](?:sentinel_)?password=)[^&#]*`)

// redactURL hides the passwords in a Redis URL, even one that does not parse.
func redactURL(rawURL string) string {
	s := passwordParam.ReplaceAllString(rawURL, "${1}xxxxx")
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		if strings.Contains(s, "@") {
			return "(unparsable URL)"
		}
		return s
	}
	head, query, hasQuery := strings.Cut(rest, "?")
	i := strings.LastIndex(head, "@")
	if i < 0 {
		return s
	}
	userinfo := head[:i]
	if name, _, ok := strings.Cut(userinfo, ":"); ok {
		userinfo = name + ":xxxxx"
	} else {
		// A lone user name may well be a password put in the wrong place.
		userinfo = "xxxxx"
	}
	s = scheme + "://" + userinfo + head[i:]
	if hasQuery {
		s += "?" + query
	}
	return s
}
