//go:build race

package flows

// raceDetector says the tests run under the race detector.
const raceDetector = true
