package bot

import (
	"github.com/fraudnavi/fraudnavi/flows"

	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are fraudnavi's Prometheus metrics, on a private registry so
// nothing global leaks in. No label ever holds a user id or text.
type Metrics struct {
	Registry  *prometheus.Registry
	events    *prometheus.CounterVec
	latency   prometheus.Histogram
	conflicts prometheus.Counter
	panics    *prometheus.CounterVec
	lineCalls *prometheus.CounterVec
	Reminders *prometheus.CounterVec
	QuotaHits prometheus.Counter
	conv      *conversationMetrics
}

// NewMetrics registers every metric on a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fraudnavi_events_total",
			Help: "LINE webhook events by type and result.",
		}, []string{"type", "result"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "fraudnavi_webhook_duration_seconds",
			Help:    "Time to answer a webhook request.",
			Buckets: []float64{.001, .002, .005, .01, .02, .05, .1, .2, .5, 1, 2, 5},
		}),
		conflicts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fraudnavi_state_conflicts_total",
			Help: "State writes retried because another event of the same user won.",
		}),
		panics: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fraudnavi_panics_total",
			Help: "Events whose handling panicked (a bug), by where it was caught: engine or webhook. Each was answered with an apology and not redelivered.",
		}, []string{"where"}),
		lineCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fraudnavi_line_api_calls_total",
			Help: "Calls to the LINE Messaging API by endpoint and HTTP status (0: no answer).",
		}, []string{"endpoint", "status"}),
		Reminders: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fraudnavi_reminders_total",
			Help: "Reminders by outcome: scheduled, cancelled, sent, stale, failed.",
		}, []string{"result"}),
		QuotaHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fraudnavi_push_quota_exceeded_total",
			Help: "Pushes refused because the channel's monthly message quota is used up.",
		}),
	}
	m.Registry.MustRegister(m.events, m.latency, m.conflicts, m.panics, m.lineCalls, m.Reminders, m.QuotaHits,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.conv = newConversationMetrics(m.Registry)
	return m
}

// The methods accept a nil *Metrics, so tests and tools may leave it out.

func (m *Metrics) event(result string) { m.eventOf("", result) }

func (m *Metrics) eventOf(typ, result string) {
	if m != nil {
		if typ == "" {
			typ = "any"
		}
		m.events.WithLabelValues(typ, result).Inc()
	}
}

func (m *Metrics) panicked(where string) {
	if m != nil {
		m.panics.WithLabelValues(where).Inc()
	}
}

func (m *Metrics) conflict() {
	if m != nil {
		m.conflicts.Inc()
	}
}

func (m *Metrics) observeLatency(seconds float64) {
	if m != nil {
		m.latency.Observe(seconds)
	}
}

// LINECall counts one call to LINE; pass it to line.Client.Observe.
func (m *Metrics) LINECall(endpoint string, status int) {
	if m != nil {
		m.lineCalls.WithLabelValues(endpoint, strconv.Itoa(status)).Inc()
	}
}

func (m *Metrics) reminder(result string) {
	if m != nil {
		m.Reminders.WithLabelValues(result).Inc()
	}
}

// WatchCalendar exports how many days of the published holiday list remain
// on clock, so an operator can alert before it runs out.
func (m *Metrics) WatchCalendar(cal *flows.Calendar, clock flows.Clock) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "fraudnavi_holiday_calendar_days_left",
		Help: "Days left in the published national holiday list (flows/content/syukujitsu.csv); after it the bot uses a provisional calendar.",
	}, func() float64 { return float64(cal.DaysLeft(clock())) }))
}

// RedisDurability exports Redis's eviction policy and persistence as read at
// start-up, so an operator can alert on a server that would lose state.
func (m *Metrics) RedisDurability(policy string, evicts, aof, rdb bool) {
	if m == nil {
		return
	}
	policyInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "fraudnavi_redis_eviction_policy",
		Help: "Redis's maxmemory-policy at start-up (1 for the policy in force); evicting=1 if it may delete fraudnavi's keys, which all have a TTL.",
	}, []string{"policy", "evicting"})
	policyInfo.WithLabelValues(policy, strconv.FormatBool(evicts)).Set(1)
	persistence := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "fraudnavi_redis_persistence",
		Help: "Whether Redis keeps data across a restart, by kind (aof, rdb) at start-up: 1 on, 0 off or unknown.",
	}, []string{"kind"})
	persistence.WithLabelValues("aof").Set(boolGauge(aof))
	persistence.WithLabelValues("rdb").Set(boolGauge(rdb))
	m.Registry.MustRegister(policyInfo, persistence)
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// WatchPushQuota exports the month's push quota and its use, asking fetch
// (line.Client.PushQuota) at most once per maxAge: a scrape every few
// seconds must not become LINE API calls. A failed fetch keeps the last
// values and is retried at the next scrape.
func (m *Metrics) WatchPushQuota(fetch func() (limit, used int64, err error), clock func() time.Time, maxAge time.Duration) {
	var (
		mu          sync.Mutex
		at          time.Time
		limit, used float64
	)
	get := func(limitNotUsed bool) float64 {
		mu.Lock()
		defer mu.Unlock()
		if now := clock(); at.IsZero() || now.Sub(at) >= maxAge {
			if l, u, err := fetch(); err == nil {
				limit, used, at = float64(l), float64(u), now
			}
		}
		if limitNotUsed {
			return limit
		}
		return used
	}
	m.Registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "fraudnavi_push_quota_messages",
			Help: "The channel's message quota this month (LINE's quota endpoint; -1: no limit). Cached.",
		}, func() float64 { return get(true) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "fraudnavi_push_quota_used_messages",
			Help: "Messages of the quota used this month (LINE's consumption endpoint). Cached.",
		}, func() float64 { return get(false) }),
	)
}
