package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRunRejectsBadFlags(t *testing.T) {
	tests := map[string][]string{
		"floor and compare": {"--floor", "--compare"},
		"stray argument":    {"extra"},
		"unknown flag":      {"--no-such-flag"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if err := run(context.Background(), args, func(string) string { return "" }, nil, &out, &errOut); err == nil {
				t.Fatalf("run(%q) succeeded", args)
			}
			if out.Len() > 0 {
				t.Errorf("wrote a report on bad flags: %s", out.String())
			}
		})
	}
}

func TestFloorServerNeedsItsEnvironment(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"floor-server"}, func(string) string { return "" }, nil, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "LINE_CHANNEL_SECRET") {
		t.Fatalf("floor-server without its environment: %v", err)
	}
}
