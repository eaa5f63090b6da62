package activities

// SetGap makes s call f between a method's first reads and its
// transaction (see Service.gap), so a test can run a rival change there.
func SetGap(s *Service, f func(at string)) { s.gap = f }
