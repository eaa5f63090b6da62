// Package e2e drives the whole Linli in a real Chromium, as a person
// would: sign in, switch language and text size, sign out. Its tests save
// screenshots for review (see browser_test.go); the package has no code
// of its own.
package e2e
