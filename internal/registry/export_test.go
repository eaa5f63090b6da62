package registry

// SetImportBatch sets the rows an import's multi-row INSERT carries, for
// tests that cross batch boundaries with small sheets; it returns a
// function that restores the default.
func SetImportBatch(n int) (restore func()) {
	old := importBatch
	importBatch = n
	return func() { importBatch = old }
}
