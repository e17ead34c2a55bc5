package storage_test

import (
	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/flows/flowstest"
)

// testClock is the clock of the state tests that do not step time: a Tuesday
// night, as in the other packages' tests.
var testClock = flows.FixedClock(flowstest.JST(2026, 11, 24, 23, 30))
