package cli

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/linli/linli/internal/config"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/demo"
	"github.com/linli/linli/internal/demo/gen"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/tenancy"
)

// genCmd writes a synthetic city — N communities shaped like the demo one,
// about 4,100 residents each — for scale tests and benchmarks. Each
// community is loaded in its own transaction through the registry's
// loader, so the data is sealed and indexed exactly like real data.
func genCmd(ctx context.Context, e Env, args []string) error {
	var n int
	var seed int64
	c, pos, err := settings(e, "gen", args, func(fs *flag.FlagSet, c *config.Config) {
		fs.IntVar(&n, "communities", 10, "how many communities (about 4,100 residents each)")
		fs.Int64Var(&seed, "seed", 1, "seed of the generated data")
	})
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("gen takes no arguments")
	}
	if n < 1 || n > 2000 {
		return usagef("--communities must be from 1 to 2000")
	}
	a, err := openApp(ctx, e, c)
	if err != nil {
		return err
	}
	defer a.Close()
	anchor := time.Now()
	start := time.Now()
	city := gen.City(n, seed, anchor)
	total := 0
	for i, reg := range city {
		code := fmt.Sprintf("gen-%d-%04d", seed, i+1)
		err := a.DB.InTx(ctx, func(tx *db.Tx) error {
			st, err := a.Tenancy.CreateStreet(ctx, tx, tenancy.Street{Code: fmt.Sprintf("gen-%d", seed), Name: "合成街道", District: reg.District, City: "石家庄市"}, anchor)
			if err != nil {
				return err
			}
			cid, err := a.Tenancy.CreateCommunity(ctx, tx, tenancy.Community{StreetID: st, Code: code, Name: reg.Community}, anchor)
			if err != nil {
				return err
			}
			var gridIDs []int64
			for g, name := range reg.Grids {
				id, err := a.Tenancy.CreateGrid(ctx, tx, tenancy.Grid{CommunityID: cid, Number: g + 1, Name: name}, anchor)
				if err != nil {
					return err
				}
				gridIDs = append(gridIDs, id)
			}
			if err := registry.EnsureDefaultTags(ctx, tx, cid, anchor); err != nil {
				return err
			}
			added, err := demo.LoadRegistry(ctx, a.Registry, tx, cid, reg, gridIDs)
			total += added
			return err
		})
		if err != nil {
			return fmt.Errorf("community %s: %w", code, err)
		}
		fmt.Fprintf(e.Stderr, "\r%d/%d communities, %d residents", i+1, n, total)
	}
	fmt.Fprintf(e.Stderr, "\n")
	fmt.Fprintf(e.Stdout, "generated %d communities with %d residents in %s\n", n, total, time.Since(start).Round(time.Millisecond))
	return nil
}
