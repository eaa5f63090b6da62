package registry_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/registry/registrytest"
	"github.com/linli/linli/internal/testkit/dbtest"
)

// Many workers registering, correcting and reading at once: no errors but
// the expected conflicts, no duplicate ID numbers, every row readable.
func TestConcurrentRegistration(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		admin, worker := w.A.Admin.Principal(), w.A.Worker.Principal()
		hs, _, err := w.reg.Households(ctx, admin, registry.HouseholdFilter{CommunityID: w.A.ID})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for i := 0; i < 24; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				// Two goroutines share each ID number: one must get a conflict.
				id := registrytest.MakeID("130104", "19700101", fmt.Sprintf("%03d", 200+i/2))
				_, err := w.reg.Create(ctx, worker, w.A.ID, registry.Input{HouseholdID: hs[i%2].ID, Name: fmt.Sprintf("并发%d", i), IDNumber: id})
				if err != nil && !apperr.Is(err, apperr.Conflict) {
					errs <- err
				}
				if _, _, err := w.reg.List(ctx, admin, registry.Filter{CommunityID: w.A.ID}); err != nil {
					errs <- err
				}
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent: %v", err)
		}
		if n := count(t, d, "residents"); n != 2+12 {
			t.Fatalf("%d residents, want 14 (2 canaries + one per ID number)", n)
		}
	})
}
