package web_test

import (
	"fmt"
	"testing"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/testkit/server"
)

func itoa(n int64) string { return fmt.Sprint(n) }

func consoleP() *accounts.Principal { return accounts.Console("test") }

func householdOf(t *testing.T, s *server.Server, rid int64) string {
	t.Helper()
	r, err := s.Registry.Get(t.Context(), consoleP(), rid)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(r.HouseholdID)
}
