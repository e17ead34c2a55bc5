package bot

import (
	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/prometheus/client_golang/prometheus"
)

// conversationMetrics are the numbers an operator watches to see where
// victims go and where they give up: entries into each flow and step,
// arrivals at each flow's summary, requests for a person. Their labels are
// flow and step ids of the flow files (the engine only ever moves to a step
// of the graph), so their number is bounded by the files; no user id or
// text is ever a label.
type conversationMetrics struct {
	flows     *prometheus.CounterVec
	steps     *prometheus.CounterVec
	summaries *prometheus.CounterVec
	person    prometheus.Counter
}

func newConversationMetrics(reg *prometheus.Registry) *conversationMetrics {
	c := &conversationMetrics{
		flows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fraudnavi_flow_entries_total",
			Help: "Moves into a flow (a situation of the flow files) from another, by flow id. A user who leaves and comes back counts again.",
		}, []string{"flow"}),
		steps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fraudnavi_step_entries_total",
			Help: "Moves onto a step from another step, by flow and step id. Compare a flow's steps to see where users stop.",
		}, []string{"flow", "step"}),
		summaries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fraudnavi_flow_summaries_total",
			Help: "Arrivals at a flow's summary step (its end), by flow id: against fraudnavi_flow_entries_total, how many finish.",
		}, []string{"flow"}),
		person: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fraudnavi_person_requests_total",
			Help: "Times a user asked for a person to talk to (the contacts command, typed or tapped in the rich menu).",
		}),
	}
	reg.MustRegister(c.flows, c.steps, c.summaries, c.person)
	return c
}

// conversation counts what one applied event did to the user's place in the
// flows: before is the state the engine was given, res what it returned.
// Called once per applied event, never for a redelivery.
func (m *Metrics) conversation(g *flows.Graph, before flows.State, res flows.Result) {
	if m == nil || m.conv == nil {
		return
	}
	c := m.conv
	if res.AskedForPerson {
		c.person.Inc()
	}
	after := res.State
	step := g.Steps[after.Step]
	if step == nil || after.Step == before.Step {
		return // no move (a command, a stale tap), or a deletion
	}
	if after.Flow != before.Flow {
		c.flows.WithLabelValues(after.Flow).Inc()
	}
	c.steps.WithLabelValues(after.Flow, after.Step).Inc()
	if step.Summary {
		c.summaries.WithLabelValues(after.Flow).Inc()
	}
}
