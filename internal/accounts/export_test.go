package accounts

// The tests of this package hash hundreds of passwords; with the
// production cost (19 MiB, 2 passes: ~40 ms, several times that under
// -race) the suite crawled. They use a tiny cost instead. productionParams
// keeps the real values so that TestProductionHashParams can check them,
// and a hash made with them still verifies (verifyPassword reads the cost
// from the hash itself).
var productionParams = defaultParams

func init() {
	defaultParams = hashParams{memory: 64, time: 1, threads: 1}
	h, err := hashPassword("linli-dummy-password", defaultParams)
	if err != nil {
		panic(err)
	}
	dummyHash = h
}
