//go:build race

package loadgen

// raceEnabled: the race detector makes stacks and objects larger.
const raceEnabled = true
