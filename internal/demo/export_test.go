package demo

// The request photos' drawing, for the external tests.
var (
	DrawRequestPhoto = demoRequestPhoto
	RequestShots     = []string{shotStain, shotDry, shotRadiator, shotFixture}
)
