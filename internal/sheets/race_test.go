//go:build race

package sheets

// raceEnabled: the race detector makes the million-row tests take minutes.
const raceEnabled = true
