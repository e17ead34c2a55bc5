package load

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Report is what loading one target measured. Counts and rates are of the
// measured phase; Replies covers every event of the run, warm-up included.
type Report struct {
	Target        string  `json:"target"`
	Mode          string  `json:"mode"` // "open" or "closed"
	Rate          float64 `json:"rate,omitempty"`
	Concurrency   int     `json:"concurrency,omitempty"`
	EventsPerBody int     `json:"events_per_body"`
	Users         int     `json:"users"`
	TextRatio     float64 `json:"text_ratio"`
	ThinkSeconds  float64 `json:"think_seconds"`
	Redeliver     int     `json:"redeliver"`
	WarmupSeconds float64 `json:"warmup_seconds"`

	Seconds         float64        `json:"seconds"`
	Events          int            `json:"events"`
	EventTypes      map[string]int `json:"event_types"` // follow, postback, message (typed text)
	Bodies          int            `json:"bodies"`
	EventsPerSecond float64        `json:"events_per_second"`
	// Latency of the first delivery of each body: from its scheduled time in
	// an open loop, from its send in a closed loop.
	Latency Latency `json:"latency_ms"`
	// Status counts the answers to first deliveries ("200", "503", "error: timeout").
	Status       map[string]int `json:"status"`
	Non2xx       int            `json:"non_2xx"`
	Redeliveries map[string]int `json:"redeliveries"`
	BodiesFailed int            `json:"bodies_failed"` // still non-2xx after all redeliveries
	GeneratorLag float64        `json:"generator_lag_max_ms"`
	Stalls       int            `json:"generator_stalls"`

	Replies ReplyCheck  `json:"replies"`
	Redis   *RedisStats `json:"redis,omitempty"`
	CPU     CPUStats    `json:"cpu_seconds_per_1000_events"`
	Targets []Check     `json:"targets"`
	Notes   []string    `json:"notes,omitempty"`
	Machine Machine     `json:"machine"`
}

// Latency percentiles in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// CPUStats are CPU seconds per 1,000 events of the measured phase.
type CPUStats struct {
	Server   *float64 `json:"server"`    // nil when unknown
	Redis    *float64 `json:"redis"`     // nil when not measured
	LoadTool float64  `json:"load_tool"` // generator + fake LINE API
}

// Check is one target of issue 5, judged on a run.
type Check struct {
	Target string `json:"target"`
	Got    string `json:"got"`
	Met    bool   `json:"met"`
}

// judge checks the targets that the run's configuration speaks to; ratio
// is fraudnavi's throughput over the floor's, when known.
func judge(r *Report, ratio *float64) []Check {
	if r.Target != "fraudnavi" && ratio == nil {
		return nil
	}
	var cs []Check
	clean := r.Non2xx == 0 && r.Replies.Missing == 0 && r.Replies.Duplicated == 0 && len(r.Replies.Rejected) == 0
	errs := fmt.Sprintf("%d non-2xx, %d missing, %d duplicated, %d refused replies",
		r.Non2xx, r.Replies.Missing, r.Replies.Duplicated, sum(r.Replies.Rejected))
	if r.Mode == "open" && r.Rate >= 500 {
		cs = append(cs, Check{
			Target: "500 events/s open loop: p99 ≤ 10 ms, no errors",
			Got:    fmt.Sprintf("%.0f events/s, p99 %.2f ms, %s", r.EventsPerSecond, r.Latency.P99, errs),
			Met:    r.Latency.P99 <= 10 && clean && r.EventsPerSecond >= 0.97*r.Rate,
		})
	}
	if r.Mode == "closed" {
		cs = append(cs, Check{
			Target: "as fast as it goes: ≥ 2,000 events/s",
			Got:    fmt.Sprintf("%.0f events/s, %s", r.EventsPerSecond, errs),
			Met:    r.EventsPerSecond >= 2000 && clean,
		})
		if ratio != nil {
			cs = append(cs, Check{
				Target: "≥ 80% of the floor's throughput in the same run (issue 13)",
				Got:    fmt.Sprintf("%.1f%%", *ratio*100),
				Met:    *ratio >= 0.8,
			})
		}
	}
	if r.Redis != nil && r.Redis.RoundTripsEvents > 0 {
		cs = append(cs, Check{
			Target: "≤ 1 Redis round trip per event (issue 13)",
			Got: fmt.Sprintf("%.3f (%s; MONITOR over %d warm-up events)",
				r.Redis.RoundTripsPerEvent, perEvent(r.Redis.RoundTripsBy), r.Redis.RoundTripsEvents),
			Met: r.Redis.RoundTripsPerEvent <= 1.005,
		})
	}
	if r.Redis != nil {
		if m := r.Redis.Memory; m != nil && m.Sampled > 0 {
			cs = append(cs, Check{
				Target: "≤ 1 KiB Redis memory per user at rest",
				Got:    fmt.Sprintf("%.0f B (%s)", m.AtRestPerUser, m.AtRestMeaning),
				Met:    m.AtRestPerUser <= 1024,
			})
		}
	}
	return cs
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// WriteJSON writes v (a *Report or *Comparison) as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteText writes the report for people.
func WriteText(w io.Writer, r *Report) {
	p := func(label, format string, a ...any) {
		fmt.Fprintf(w, "  %-14s %s\n", label, fmt.Sprintf(format, a...))
	}
	loop := fmt.Sprintf("closed loop, %d bodies in flight", r.Concurrency)
	if r.Mode == "open" {
		loop = fmt.Sprintf("open loop at %g events/s", r.Rate)
	}
	fmt.Fprintf(w, "%s: %s, %d event(s)/body, %d users thinking %.1f s, text %.0f%%, redeliver %d, warm-up %.1f s\n",
		r.Target, loop, r.EventsPerBody, r.Users, r.ThinkSeconds, r.TextRatio*100, r.Redeliver, r.WarmupSeconds)
	p("throughput", "%.1f events/s (%d events in %d bodies, %.2f s)", r.EventsPerSecond, r.Events, r.Bodies, r.Seconds)
	p("events", "%s", counts(r.EventTypes))
	p("latency", "p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms  (mean %.2f ms)",
		r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.Max, r.Latency.Mean)
	p("answers", "%s", counts(r.Status))
	p("non-2xx", "%d", r.Non2xx)
	if r.Redeliver > 0 || len(r.Redeliveries) > 0 {
		p("redeliveries", "%s; %d bodies still failed", counts(r.Redeliveries), r.BodiesFailed)
	}
	if r.Mode == "open" {
		p("generator", "lag max %.2f ms, %d stalls", r.GeneratorLag, r.Stalls)
	}
	rc := r.Replies
	p("replies", "%d events checked: %d exactly one, %d missing, %d duplicated, %d refused%s",
		rc.Expected, rc.Replied, rc.Missing, rc.Duplicated, sum(rc.Rejected), unexpected(rc.Unexpected))
	for _, k := range slices.Sorted(maps.Keys(rc.Rejected)) {
		p("", "refused %d× %s", rc.Rejected[k], k)
	}
	if rs := r.Redis; rs != nil {
		var top []string
		for _, k := range slices.Sorted(maps.Keys(rs.PerEvent)) {
			top = append(top, fmt.Sprintf("%s %.3f", k, rs.PerEvent[k]))
		}
		if rs.RoundTripsEvents > 0 {
			p("redis", "%.3f round trips/event (%s), MONITOR over %d warm-up events",
				rs.RoundTripsPerEvent, perEvent(rs.RoundTripsBy), rs.RoundTripsEvents)
		}
		p("redis", "%.3f commands/event incl. those scripts run (evalsha %.3f, eval %.4f), %d commands; redis %s",
			rs.CommandsPerEvent, rs.EvalshaPerEvent, rs.EvalPerEvent, rs.Commands, rs.Version)
		if len(top) > 0 {
			p("", "per event: %s", strings.Join(top, ", "))
		}
		if m := rs.Memory; m != nil {
			p("redis memory", "%d users: used_memory +%d B = %.0f B/user; dataset +%d B = %.0f B/user",
				m.Users, m.UsedMemoryDelta, m.UsedMemoryPerUser, m.DatasetDelta, m.DatasetPerUser)
			if m.Sampled > 0 {
				p("", "MEMORY USAGE of %d users: state %.0f B (TTL %.0f h) + seen %.0f B (TTL %.0f h)",
					m.Sampled, m.StateBytes, m.StateTTLHours, m.SeenBytes, m.SeenTTLHours)
				p("", "at rest %.0f B/user: %s", m.AtRestPerUser, m.AtRestMeaning)
				p("", "recently active %.0f B/user: %s", m.RecentPerUser, m.RecentMeaning)
			}
		}
	}
	cpu := func(v *float64) string {
		if v == nil {
			return "n/a"
		}
		return fmt.Sprintf("%.3f", *v)
	}
	p("cpu s/1000 ev", "server %s, redis %s, load tool (generator + fake LINE) %.3f",
		cpu(r.CPU.Server), cpu(r.CPU.Redis), r.CPU.LoadTool)
	mc := r.Machine
	p("machine", "%d × %s, %s; load average %s before, %s after the measured phase",
		mc.CPUs, mc.CPUModel, mc.GoVersion, mc.LoadBefore, mc.LoadAfter)
	for _, n := range r.Notes {
		p("note", "%s", n)
	}
	writeChecks(w, r.Targets)
}

// WriteComparisonText writes both reports and the ratio.
func WriteComparisonText(w io.Writer, c *Comparison) {
	WriteText(w, withoutChecks(c.Fraudnavi))
	fmt.Fprintln(w)
	WriteText(w, c.Floor)
	fmt.Fprintln(w)
	fmt.Fprintf(w, "fraudnavi / floor: %.1f / %.1f events/s = %.1f%% of the floor\n",
		c.Fraudnavi.EventsPerSecond, c.Floor.EventsPerSecond, c.Ratio*100)
	writeChecks(w, c.Targets)
}

func withoutChecks(r *Report) *Report {
	c := *r
	c.Targets = nil
	return &c
}

func writeChecks(w io.Writer, cs []Check) {
	if len(cs) == 0 {
		return
	}
	fmt.Fprintln(w, "  targets:")
	for _, c := range cs {
		mark := "NOT MET"
		if c.Met {
			mark = "met"
		}
		fmt.Fprintf(w, "    [%s] %s: %s\n", mark, c.Target, c.Got)
	}
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s: %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func perEvent(m map[string]float64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %.3f", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func unexpected(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d replies to tokens never issued", n)
}
