package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/app"
	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/demo/gen"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/sheets"
	"github.com/linli/linli/internal/testkit/dbtest"
)

// In-process benchmarks of the registry's import and search, for profiling
// what cmd/benchregistry measures at full scale:
//
//	go test ./bench -run '^$' -bench 'Import|Insert|Parse|Search' -benchtime 5x -cpuprofile /tmp/reg.prof
//
// An import op is a sheet of importRows rows into a new community; the
// searches run in one community of about 4,100 residents. Set
// LINLI_TEST_DATABASE_URL to also run the PostgreSQL variants.

const importRows = 2000

// registryFixture is one empty Linli per database plus the rows and file
// of a sheet, and a loaded community to search; built on first use.
type registryFixture struct {
	app       *app.App
	bare      *db.DB
	rows      [][]string
	file      []byte
	cid       int64 // the loaded community
	names     []string
	ids       []string
	bareTable int
}

var (
	registryMu       sync.Mutex
	registryFixtures = map[string]*registryFixture{}
)

func registrySetup(b *testing.B, engine string) *registryFixture {
	b.Helper()
	registryMu.Lock()
	defer registryMu.Unlock()
	if f := registryFixtures[engine]; f != nil {
		return f
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "linli-bench-registry-")
	if err != nil {
		b.Fatal(err)
	}
	closers := []func(){func() { os.RemoveAll(dir) }}
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	locs := []string{dir + "/linli.db", dir + "/bare.db"}
	if engine == "postgres" {
		base := os.Getenv(dbtest.EnvPostgres)
		if base == "" {
			closeAll()
			b.Skipf("%s not set", dbtest.EnvPostgres)
		}
		for i := range locs {
			u, drop, err := PostgresSchema(ctx, base)
			if err != nil {
				closeAll()
				b.Fatal(err)
			}
			closers = append(closers, drop)
			locs[i] = u
		}
	}
	fail := func(err error) {
		closeAll()
		b.Fatal(err)
	}
	a, err := NewApp(ctx, dir, locs[0])
	if err != nil {
		fail(err)
	}
	closers = append(closers, func() { a.Close() })
	bare, err := db.Open(ctx, locs[1])
	if err != nil {
		fail(err)
	}
	closers = append(closers, func() { bare.Close() })
	anchor := Anchor()
	city := gen.City(2, 1, anchor)
	f := &registryFixture{app: a, bare: bare}
	if f.rows, err = SheetRows(city[1:], importRows); err != nil {
		fail(err)
	}
	if f.file, err = WriteSheet(sheets.XLSX, SheetHeader(), f.rows); err != nil {
		fail(err)
	}
	ids, _, err := LoadCity(ctx, a, city[:1], anchor, nil)
	if err != nil {
		fail(err)
	}
	f.cid = ids[0]
	for _, r := range city[0].Residents {
		f.names = append(f.names, string([]rune(r.Name)[:1]))
		if len(r.IDNumber) == 18 && r.DocType == "id_card" {
			f.ids = append(f.ids, r.IDNumber)
		}
	}
	registryFixtures[engine] = f
	fixtures["registry-"+engine] = &fixture{close: closeAll} // closed by TestMain
	return f
}

// BenchmarkParseSheet is the file's share of an import: sheets.Open and
// registry.ParseSheet of importRows rows (no database).
func BenchmarkParseSheet(b *testing.B) {
	f := registrySetup(b, "sqlite")
	b.ReportAllocs()
	for b.Loop() {
		rd, err := sheets.Open("r.xlsx", bytes.NewReader(f.file), int64(len(f.file)), sheets.ReadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if _, ps, err := registry.ParseSheet(rd, time.Now()); err != nil || len(ps) > 0 {
			b.Fatal(err, ps)
		}
		rd.Close()
	}
	b.ReportMetric(float64(importRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkImport is Service.Import of the parsed rows into a new, empty
// community (made outside the timer).
func BenchmarkImport(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			f := registrySetup(b, engine)
			ctx := context.Background()
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				n++
				rd, err := sheets.Open("r.xlsx", bytes.NewReader(f.file), int64(len(f.file)), sheets.ReadOptions{})
				if err != nil {
					b.Fatal(err)
				}
				rows, ps, err := registry.ParseSheet(rd, time.Now())
				rd.Close()
				if err != nil {
					b.Fatal(err)
				}
				var cid int64
				err = f.app.DB.InTx(ctx, func(tx *db.Tx) error {
					cid, _, err = CreateCommunity(ctx, f.app, tx, fmt.Sprintf("import-%d", n), &gen.Registry{Community: "导入社区", District: "桥西区"}, time.Now())
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				rep, err := f.app.Registry.Import(ctx, accounts.Console("bench"), rows, ps, registry.ImportOptions{CommunityID: cid, CreateBuildings: true})
				if err != nil || rep.Created != importRows {
					b.Fatal(err, rep.Problems)
				}
			}
			b.ReportMetric(float64(importRows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkBareInsert is the baseline of BenchmarkImport: the same rows as
// text into a plain table, one transaction, one prepared INSERT.
func BenchmarkBareInsert(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			f := registrySetup(b, engine)
			ctx := context.Background()
			cols := make([]string, len(registry.SheetColumns))
			for i, c := range registry.SheetColumns {
				cols[i] = c.Key
			}
			f.bareTable++
			table := fmt.Sprintf("bare_residents_%d", f.bareTable)
			if _, err := f.bare.Exec(ctx, `CREATE TABLE `+table+` (`+strings.Join(cols, " TEXT NOT NULL, ")+` TEXT NOT NULL)`); err != nil {
				b.Fatal(err)
			}
			insert := db.Rebind(f.bare.Dialect(), `INSERT INTO `+table+` (`+strings.Join(cols, ", ")+`) VALUES (?`+strings.Repeat(", ?", len(cols)-1)+`)`)
			args := make([]any, len(cols))
			b.ReportAllocs()
			for b.Loop() {
				tx, err := f.bare.SQL().BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				st, err := tx.PrepareContext(ctx, insert)
				if err != nil {
					b.Fatal(err)
				}
				for _, r := range f.rows {
					for i := range args {
						args[i] = r[i]
					}
					if _, err := st.ExecContext(ctx, args...); err != nil {
						b.Fatal(err)
					}
				}
				st.Close()
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(importRows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkSearch is Service.List by an admin of a community of about
// 4,100 residents: by a surname (the widest name prefix) and by a whole ID
// number.
func BenchmarkSearch(b *testing.B) {
	for _, kind := range []string{"name", "id"} {
		for _, engine := range []string{"sqlite", "postgres"} {
			b.Run(kind+"/"+engine, func(b *testing.B) {
				f := registrySetup(b, engine)
				ctx := context.Background()
				actor := &accounts.Principal{AccountID: 1, Grants: []accounts.Grant{{Role: accounts.Admin, CommunityID: f.cid}}}
				qs := f.names
				if kind == "id" {
					qs = f.ids
				}
				i := 0
				b.ReportAllocs()
				for b.Loop() {
					i++
					if _, _, err := f.app.Registry.List(ctx, actor, registry.Filter{CommunityID: f.cid, Query: qs[i*7919%len(qs)], Limit: 30}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
