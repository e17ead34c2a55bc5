package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"

	"github.com/fraudnavi/fraudnavi/storage"
)

// config is what `fraudnavi serve` reads from the environment.
type config struct {
	ChannelSecret string
	// UserKeySecret keys the user keys (FRAUDNAVI_USER_KEY_SECRET); empty:
	// derived from the channel secret (see userKeys).
	UserKeySecret string
	AccessToken   string
	APIEndpoint   string
	RedisURL      string
	Addr          string
	LogLevel      slog.Level
	// Roles: the webhook and the reminder worker, together by default.
	Webhook bool
	Worker  bool
	// AllowEviction starts the service on a Redis whose maxmemory-policy may
	// delete keys, which breaks exactly-once; for a deliberate choice only.
	AllowEviction bool
}

// envVars are every variable the code reads, documented in the README and
// deploy/.env.example (a test keeps the three in step).
var envVars = []string{
	"LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "LINE_API_ENDPOINT",
	"REDIS_URL", "ADDR", "LOG_LEVEL", "FRAUDNAVI_ROLE", "FLOWS_DIR",
	"FRAUDNAVI_ALLOW_EVICTION", "FRAUDNAVI_USER_KEY_SECRET",
	"LINE_API_DATA_ENDPOINT", "RICHMENU_FONT", // richmenu apply and image
	"FRAUDNAVI_STAFF_HOURS", "FRAUDNAVI_STAFF_QUIET_FOR", // staff chat (staff.go)
}

// runtimeEnvVars are variables the Go runtime reads, which deploy/ sets:
// GOMEMLIMIT, the soft memory limit, from the container's limit.
var runtimeEnvVars = []string{"GOMEMLIMIT"}

// loadConfig reads the environment and reports every problem at once, so an
// operator fixes them in one go. Secrets never appear in the errors.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		ChannelSecret: getenv("LINE_CHANNEL_SECRET"),
		UserKeySecret: getenv("FRAUDNAVI_USER_KEY_SECRET"),
		AccessToken:   getenv("LINE_CHANNEL_ACCESS_TOKEN"),
		APIEndpoint:   getenv("LINE_API_ENDPOINT"),
		RedisURL:      getenv("REDIS_URL"),
		Addr:          getenv("ADDR"),
	}
	var errs []error
	if c.ChannelSecret == "" {
		errs = append(errs, errors.New("LINE_CHANNEL_SECRET is not set (Messaging API channel → Basic settings → Channel secret)"))
	}
	if c.AccessToken == "" {
		errs = append(errs, errors.New("LINE_CHANNEL_ACCESS_TOKEN is not set (Messaging API tab → Channel access token)"))
	}
	if c.APIEndpoint != "" {
		if u, err := url.Parse(c.APIEndpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("LINE_API_ENDPOINT %q is not an http(s) URL", redactURL(c.APIEndpoint)))
		}
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || u.Scheme == "" {
			errs = append(errs, fmt.Errorf("REDIS_URL %q is not a URL", redactURL(c.RedisURL)))
		}
	}
	if c.Addr == "" {
		c.Addr = ":8080"
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("ADDR %q is not host:port", c.Addr))
	}
	if lv := getenv("LOG_LEVEL"); lv != "" {
		if err := c.LogLevel.UnmarshalText([]byte(lv)); err != nil {
			errs = append(errs, fmt.Errorf("LOG_LEVEL %q is not debug, info, warn or error", lv))
		}
	}
	switch v := strings.ToLower(getenv("FRAUDNAVI_ALLOW_EVICTION")); v {
	case "", "0", "false", "no":
	case "1", "true", "yes":
		c.AllowEviction = true
	default:
		errs = append(errs, fmt.Errorf("FRAUDNAVI_ALLOW_EVICTION %q is not true or false", v))
	}
	switch role := strings.ToLower(getenv("FRAUDNAVI_ROLE")); role {
	case "", "all":
		c.Webhook, c.Worker = true, true
	case "webhook":
		c.Webhook = true
	case "worker":
		c.Worker = true
	default:
		errs = append(errs, fmt.Errorf("FRAUDNAVI_ROLE %q is not all, webhook or worker", role))
	}
	return c, errors.Join(errs...)
}

// redactURL hides a password in a URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable)"
	}
	return u.Redacted()
}

// splitAddr turns a listen address into one to dial: ":8080" is this host.
func splitAddr(addr string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(addr)
	if err != nil {
		return "", "", fmt.Errorf("ADDR %q: %w", addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return host, port, nil
}

// userKeys is how users are named in Redis keys, task ids and logs: keyed
// by FRAUDNAVI_USER_KEY_SECRET, or else by a key derived from the channel
// secret, so a deployment needs no new setting (but rotating the channel
// secret then changes every user's key).
func (c config) userKeys() storage.UserKeys {
	if c.UserKeySecret != "" {
		return storage.NewUserKeys([]byte(c.UserKeySecret))
	}
	return storage.UserKeysFromChannelSecret([]byte(c.ChannelSecret))
}
