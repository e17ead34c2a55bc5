package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/fraudnavi/fraudnavi/bot"
	"github.com/fraudnavi/fraudnavi/flows"
	dto "github.com/prometheus/client_model/go"
)

// TestServeWarnsWhileTheCalendarRunsOut: serve warns at start-up while the
// published holiday list is about to end, and /metrics counts its days down,
// so an operator is told before weekday-only lines would show as open on a
// holiday (issue 10, 3).
func TestServeWarnsWhileTheCalendarRunsOut(t *testing.T) {
	g, err := flows.Load(flows.Content())
	if err != nil {
		t.Fatal(err)
	}
	end := g.Calendar.PublishedUntil()
	for _, tt := range []struct {
		name     string
		daysLeft int
		warns    bool
	}{
		{"200 days left", 200, false},
		{"30 days left", 30, true},
		{"ended 10 days ago", -10, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock := flows.FixedClock(end.AddDate(0, 0, -tt.daysLeft))
			var logs bytes.Buffer
			warnCalendarEnding(g.Calendar, clock, slog.New(slog.NewJSONHandler(&logs, nil)))
			if got := strings.Contains(logs.String(), "holiday calendar running out"); got != tt.warns {
				t.Errorf("warned %v, want %v: %s", got, tt.warns, logs.String())
			}
			m := bot.NewMetrics()
			m.WatchCalendar(g.Calendar, clock)
			families, err := m.Registry.Gather()
			if err != nil {
				t.Fatal(err)
			}
			if got := gauge(families, "fraudnavi_holiday_calendar_days_left"); got != float64(tt.daysLeft) {
				t.Errorf("fraudnavi_holiday_calendar_days_left = %v, want %d", got, tt.daysLeft)
			}
		})
	}
}

func gauge(families []*dto.MetricFamily, name string) float64 {
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	return -1e9
}
