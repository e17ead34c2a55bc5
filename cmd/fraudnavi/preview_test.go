package main

import (
	"errors"
	"testing"

	"github.com/fraudnavi/fraudnavi/bot/preview"
)

// TestPreviewRefusesEveryInterface: `fraudnavi preview --addr` takes a
// loopback address only; the conversation is not served to the network.
func TestPreviewRefusesEveryInterface(t *testing.T) {
	for _, addr := range []string{":8090", "0.0.0.0:8090", "192.0.2.1:8090"} {
		_, _, err := runCmd(t, "", nil, "preview", "--addr", addr)
		if !errors.Is(err, preview.ErrNotLoopback) {
			t.Errorf("preview --addr %s: %v, want it refused as not loopback", addr, err)
		}
	}
}
