// Package load drives a LINE bot's webhook the way LINE would: signed
// bodies with unique webhookEventIds, many users each walking a real
// conversation (follow, then taps on the quick replies the bot actually
// sent, now and then free text), at a fixed rate or as fast as it goes. It
// runs the strict fake LINE API the bot replies to, checks that every event
// got exactly one reply, and reports throughput, latency, Redis commands and
// memory, and the server's CPU.
//
// The same package holds the floor: the least a LINE bot can do (verify the
// signature, parse, reply one text through the SDK), loaded identically so
// fraudnavi's throughput can be read as a fraction of it.
package load

import (
	"errors"
	"fmt"
	"time"

	"github.com/fraudnavi/fraudnavi/storage"
)

// Test credentials: the fake requires the token, the server verifies with
// the secret. Neither is real.
const (
	DefaultSecret = "8c570fa6dd201bb328f1c1eac23a96d8"
	DefaultToken  = "fraudnavi-load-token"
	// UserKeySecret is the FRAUDNAVI_USER_KEY_SECRET of every bot the load
	// tool starts, so that it can name their Redis keys (UserKeys).
	UserKeySecret = "fraudnavi-load-user-key-secret"
	// DefaultRedisURL is a database of the local Redis that nothing else uses.
	DefaultRedisURL = "redis://127.0.0.1:6379/13"
)

// Hard bounds: every loop of the generator ends.
const (
	maxDuration = 10 * time.Minute
	maxEvents   = 5_000_000
	maxUsers    = 1_000_000
	maxPerBody  = 100
	// DefaultClosedUsers carries ~9,000 events/s with a 2.2 s think time.
	DefaultClosedUsers = 20_000
	// DefaultThink keeps every user under fraudnavi's per-user rate limit.
	DefaultThink = 2200 * time.Millisecond
	maxInFlight  = 8192 // open loop: bodies awaiting an answer at once
)

// Options say how to load.
type Options struct {
	// Rate > 0 is an open loop at Rate events/s; 0 is a closed loop with
	// Concurrency bodies in flight.
	Rate        float64
	Concurrency int
	// Duration bounds the measured phase; Events bounds it by count (0: no
	// bound but Duration). Warmup runs first, same load, not measured.
	Duration time.Duration
	Events   int
	Warmup   time.Duration

	Users         int     // distinct users
	EventsPerBody int     // events per webhook body, each from another user
	TextRatio     float64 // share of events (after the follow) that are typed text
	// Think is the least time between two events of one user: a person
	// reads the reply before tapping, and fraudnavi limits each user to
	// bot.DefaultRate (0.5 events/s after a burst), so a user who taps
	// faster is answered "wait a moment" instead of being served.
	Think time.Duration
	// Prime has every user follow first, unmeasured (at most 2 minutes).
	Prime         bool
	Redeliver     int // resend a body answered non-2xx up to this many times
	RedeliverWait time.Duration
	Timeout       time.Duration // per request, like LINE's 2 s but configurable
	Seed          int64

	Secret string
	Token  string
	// SchemaEvery: the fake LINE API checks the schema of one reply in this
	// many (1: all); the rest it only decodes. See linefake.CheckSchemaEvery.
	SchemaEvery int

	// RedisURL is the Redis the server uses, for commandstats and memory
	// ("" or "none": not measured).
	RedisURL string
	Flush    bool // FLUSHDB RedisURL's database first (loopback hosts only)
}

// Defaults fills unset fields.
func (o *Options) Defaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = 32
	}
	if o.Duration <= 0 && o.Events <= 0 {
		o.Duration = 10 * time.Second
	}
	if o.Duration <= 0 || o.Duration > maxDuration {
		o.Duration = maxDuration
	}
	if o.Think < 0 {
		o.Think = 0
	}
	if o.Users <= 0 {
		// Enough users that the load, not their thinking, sets the pace.
		o.Users = DefaultClosedUsers
		if o.Rate > 0 {
			o.Users = max(100, int(o.Rate*o.Think.Seconds()*2)+o.EventsPerBody)
		}
	}
	if o.EventsPerBody <= 0 {
		o.EventsPerBody = 1
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.RedeliverWait <= 0 {
		o.RedeliverWait = 100 * time.Millisecond
	}
	if o.Secret == "" {
		o.Secret = DefaultSecret
	}
	if o.Token == "" {
		o.Token = DefaultToken
	}
	if o.SchemaEvery <= 0 {
		o.SchemaEvery = 1
	}
	if o.Seed == 0 {
		o.Seed = time.Now().UnixNano()
	}
}

// Validate reports every problem at once.
func (o *Options) Validate() error {
	var errs []error
	if o.Rate < 0 {
		errs = append(errs, errors.New("--rate must not be negative"))
	}
	if o.Events < 0 || o.Events > maxEvents {
		errs = append(errs, fmt.Errorf("--events must be between 0 and %d", maxEvents))
	}
	if o.Users > maxUsers {
		errs = append(errs, fmt.Errorf("--users must be at most %d", maxUsers))
	}
	if o.EventsPerBody > maxPerBody {
		errs = append(errs, fmt.Errorf("--events-per-body must be at most %d", maxPerBody))
	}
	if o.EventsPerBody > o.Users {
		errs = append(errs, errors.New("--events-per-body must not exceed --users (the events of a body come from distinct users)"))
	}
	if o.TextRatio < 0 || o.TextRatio > 1 {
		errs = append(errs, errors.New("--text-ratio must be between 0 and 1"))
	}
	if o.Redeliver < 0 || o.Redeliver > 10 {
		errs = append(errs, errors.New("--redeliver must be between 0 and 10"))
	}
	if o.Warmup < 0 || o.Warmup > time.Minute {
		errs = append(errs, errors.New("--warmup must be between 0 and 1m"))
	}
	return errors.Join(errs...)
}

// Mode names the loop.
func (o *Options) Mode() string {
	if o.Rate > 0 {
		return "open"
	}
	return "closed"
}

// UserKeys names users the way the bots the load tool starts do.
func UserKeys() storage.UserKeys { return storage.NewUserKeys([]byte(UserKeySecret)) }
