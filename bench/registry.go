package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/linli/linli/internal/app"
	"github.com/linli/linli/internal/config"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/demo"
	"github.com/linli/linli/internal/demo/gen"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/sheets"
	"github.com/linli/linli/internal/tenancy"
)

// Key is the master secret of every bench instance. A SQLite file kept
// with -search-db can only be reopened with it.
var Key = []byte(strings.Repeat("bench-key-", 4))

// NewApp builds a Linli with no data the way `linli import` and `linli gen`
// do: config defaults and app.New (open, migrate, check the key, build the
// services). Nothing is seeded and no background work is started. With an
// empty databaseURL the database is dir/linli.db.
func NewApp(ctx context.Context, dir, databaseURL string) (*app.App, error) {
	cfg := config.Defaults()
	cfg.DataDir = dir
	cfg.DatabaseURL = filepath.Join(dir, "linli.db")
	if databaseURL != "" {
		cfg.DatabaseURL = databaseURL
	}
	a, err := app.New(ctx, cfg, app.Options{Key: Key,
		Log: slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return nil, fmt.Errorf("bench: app.New: %w", err)
	}
	return a, nil
}

// CreateCommunity writes a street, a community with the grids named and
// the default tags on tx, as `linli gen` does for each of its communities
// (internal/cli/gen.go). It returns the community's id and its grids' ids
// in order.
func CreateCommunity(ctx context.Context, a *app.App, tx *db.Tx, code string, reg *gen.Registry, anchor time.Time) (int64, []int64, error) {
	st, err := a.Tenancy.CreateStreet(ctx, tx, tenancy.Street{Code: "bench", Name: "合成街道", District: reg.District, City: "石家庄市"}, anchor)
	if err != nil {
		return 0, nil, err
	}
	cid, err := a.Tenancy.CreateCommunity(ctx, tx, tenancy.Community{StreetID: st, Code: code, Name: reg.Community}, anchor)
	if err != nil {
		return 0, nil, err
	}
	var grids []int64
	for g, name := range reg.Grids {
		id, err := a.Tenancy.CreateGrid(ctx, tx, tenancy.Grid{CommunityID: cid, Number: g + 1, Name: name}, anchor)
		if err != nil {
			return 0, nil, err
		}
		grids = append(grids, id)
	}
	if err := registry.EnsureDefaultTags(ctx, tx, cid, anchor); err != nil {
		return 0, nil, err
	}
	return cid, grids, nil
}

// Anchor is the "today" the benchmarks generate their people as of: a day
// ago. The generator takes the date in Asia/Shanghai, while validation
// compares a birth date with the UTC clock, so between 16:00 and 24:00 UTC
// a baby born "today" would be a day in the future and its row refused
// (registry.birth.invalid). A day back keeps every generated date in the
// past whatever the hour.
func Anchor() time.Time { return time.Now().Add(-24 * time.Hour) }

// LoadCity writes each generated community into its own new community, one
// transaction each, through demo.LoadRegistry: the code path of
// `linli gen` (internal/cli/gen.go), so the rows are sealed and indexed as
// real ones. progress, if not nil, is told after each community. It
// returns the communities' ids, in city order, and the residents written.
func LoadCity(ctx context.Context, a *app.App, city []*gen.Registry, anchor time.Time, progress func(done, residents int)) ([]int64, int, error) {
	var ids []int64
	total := 0
	for i, reg := range city {
		code := fmt.Sprintf("bench-%04d", i+1)
		err := a.DB.InTx(ctx, func(tx *db.Tx) error {
			cid, grids, err := CreateCommunity(ctx, a, tx, code, reg, anchor)
			if err != nil {
				return err
			}
			ids = append(ids, cid)
			n, err := demo.LoadRegistry(ctx, a.Registry, tx, cid, reg, grids)
			total += n
			return err
		})
		if err != nil {
			return ids, total, fmt.Errorf("bench: community %s: %w", code, err)
		}
		if progress != nil {
			progress(i+1, total)
		}
	}
	return ids, total, nil
}

// SheetHeader is the header of a resident sheet: the first name of each
// registry.SheetColumns entry, as an export writes it.
func SheetHeader() []string {
	h := make([]string, len(registry.SheetColumns))
	for i, c := range registry.SheetColumns {
		h[i] = c.Names[0]
	}
	return h
}

// SheetRows turns the first n residents of a generated city into rows of
// one resident sheet, in SheetHeader's columns, household by household.
// The generator makes estate names unique across a City, so the estates
// and buildings of different source communities never meet in the one
// target community; SheetRows checks that rather than trusting it.
func SheetRows(city []*gen.Registry, n int) ([][]string, error) {
	genders := map[string]string{"M": "男", "F": "女"}
	owner := map[string]int{} // estate name -> source community
	var rows [][]string
	for k, reg := range city {
		for _, e := range reg.Estates {
			if o, dup := owner[e.Name]; dup && o != k {
				return nil, fmt.Errorf("bench: estate %s is in communities %d and %d", e.Name, o, k)
			}
			owner[e.Name] = k
		}
		buildings := map[string]gen.Building{}
		for _, b := range reg.Buildings {
			buildings[b.Key] = b
		}
		households := map[string]gen.Household{}
		for _, h := range reg.Households {
			households[h.Key] = h
		}
		for _, r := range reg.Residents {
			if len(rows) == n {
				return rows, nil
			}
			h := households[r.Household]
			b := buildings[h.Building]
			rows = append(rows, []string{b.Estate, b.Number, h.Unit, h.Room, r.Name, genders[r.Gender],
				registry.DocTypeNames[r.DocType], r.IDNumber, r.Phone, r.Birth.Format("2006-01-02"),
				r.Relation, strings.Join(r.Tags, "、"), r.Note})
		}
	}
	if len(rows) < n {
		return nil, fmt.Errorf("bench: the city has %d residents, %d wanted", len(rows), n)
	}
	return rows, nil
}

// CommunitiesFor is how many generated communities (about 4,100 residents
// each) hold at least n residents.
func CommunitiesFor(n int) int {
	return max(1, (n+4099)/4100)
}

// WriteSheet writes header and rows as a file of the format, in memory,
// with the writer an export uses.
func WriteSheet(format sheets.Format, header []string, rows [][]string) ([]byte, error) {
	var buf bytes.Buffer
	w, err := sheets.NewWriter(format, &buf)
	if err != nil {
		return nil, err
	}
	if err := w.WriteHeader(header); err != nil {
		return nil, err
	}
	for _, r := range rows {
		if err := w.WriteRow(r); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
