package registry_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/linli/linli/internal/db"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/registry/registrytest"
	"github.com/linli/linli/internal/sheets"
	"github.com/linli/linli/internal/testkit/dbtest"
)

var header = []string{"小区", "楼号", "单元", "房号", "姓名", "性别", "身份证号", "联系电话", "出生日期", "与户主关系", "标签", "备注"}

// sheet builds an xlsx (or, with csvEnc set, a CSV) from rows.
func sheet(t *testing.T, format sheets.Format, head []string, rows [][]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := sheets.NewWriter(format, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteHeader(head); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.WriteRow(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func parse(t *testing.T, name string, b []byte, _ any) ([]registry.SheetRow, []registry.Problem, error) {
	t.Helper()
	rd, err := sheets.Open(name, bytes.NewReader(b), int64(len(b)), sheets.ReadOptions{})
	if err != nil {
		return nil, nil, err
	}
	defer rd.Close()
	return registry.ParseSheet(rd, testNow)
}

func keys(ps []registry.Problem) string {
	var out []string
	for _, p := range ps {
		out = append(out, strings.Join([]string{itoa(p.Row), p.Column, p.Key}, ":"))
	}
	return strings.Join(out, " ")
}

func itoa(n int) string { return fmt.Sprintf("%03d", n) }

var testNow = time.Now()

func sortProblems(ps []registry.Problem) []registry.Problem {
	out := append([]registry.Problem(nil), ps...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Row != out[j].Row {
			return out[i].Row < out[j].Row
		}
		return out[i].Column < out[j].Column
	})
	return out
}

// sameSheet compares the worksheet XML of two xlsx files.
func sameSheet(t *testing.T, a, b []byte) bool {
	t.Helper()
	part := func(x []byte) string {
		z, err := zip.NewReader(bytes.NewReader(x), int64(len(x)))
		if err != nil {
			t.Fatal(err)
		}
		f, err := z.Open("xl/worksheets/sheet1.xml")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		body, _ := io.ReadAll(f)
		return string(body)
	}
	return part(a) == part(b)
}

// Checks that need only the file come first, and name the sheet's row.
func TestParseSheetReportsEveryBadRow(t *testing.T) {
	good := registrytest.MakeID("130104", "19580302", "773")
	rows := [][]string{
		{"测试小区", "91号楼", "1单元", "101", "张好", "男", good, "13800138000", "1958-03-02", "户主", "", ""},
		{"测试小区", "91", "1", "102", "李坏", "", good[:17] + "0", "", "", "", "", ""},     // check digit
		{"测试小区", "91", "1", "103", "赵日", "", "", "", "1990-02-30", "", "", ""},        // impossible date
		{"测试小区", "91", "1", "104", "钱重", "", good, "", "", "", "", ""},                // duplicate of row 2
		{"测试小区", "91", "1", "105", "孙式", "", "", "=HYPERLINK(\"x\")", "", "", "", ""}, // not a phone
		{"", "91", "1", "106", "", "", "", "", "", "", "", ""},                        // required cells
		{"测试小区", "91", "1", "107", "周关", "男", "", "", "", "邻居", "", ""},               // relation
	}
	got, problems, err := parse(t, "r.xlsx", sheet(t, sheets.XLSX, header, rows), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 7 {
		t.Fatalf("%d rows", len(got))
	}
	want := "003:id_number:idcard.check 004:birth_date:registry.birth.invalid 005:id_number:import.duplicate_in_file " +
		"006:phone:registry.phone.invalid 007:estate:import.required 007:name:registry.name.invalid 008:relation:registry.relation.invalid"
	if k := keys(sortProblems(problems)); k != want {
		t.Fatalf("problems\n got %s\nwant %s", k, want)
	}
	if got[0].Building != "91" || got[0].Unit != "1" || got[0].Input.Gender != "M" {
		t.Fatalf("row 2 normalised to %+v", got[0])
	}
}

func TestImportAllOrNothingAndSkipBad(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		admin := w.A.Admin.Principal()
		before := count(t, d, "residents")
		rows := [][]string{
			{"测试小区", "91", "1", "201", "新住户", "女", registrytest.MakeID("130104", "19700101", "124"), "", "", "户主", "低保", "需要关注"},
			{"测试小区", "99", "1", "101", "错楼", "", "", "", "", "", "", ""},                    // unknown building
			{"测试小区", "91", "1", "202", "冒名", "", registrytest.CanaryID, "", "", "", "", ""}, // the canary's ID, another name
		}
		b := sheet(t, sheets.XLSX, header, rows)
		parsed, problems, err := parse(t, "r.xlsx", b, nil)
		if err != nil || len(problems) != 0 {
			t.Fatalf("parse: %v %v", problems, err)
		}
		rep, err := w.reg.Import(ctx, admin, parsed, problems, registry.ImportOptions{CommunityID: w.A.ID})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Applied || len(rep.Problems) != 2 || count(t, d, "residents") != before {
			t.Fatalf("a sheet with bad rows was applied: %+v", rep)
		}
		if k := keys(rep.Problems); k != "003:building:import.unknown_building 004:id_number:import.id_other_person" {
			t.Fatalf("db problems: %s", k)
		}
		parsed, problems, _ = parse(t, "r.xlsx", b, nil)
		rep, err = w.reg.Import(ctx, admin, parsed, problems, registry.ImportOptions{CommunityID: w.A.ID, SkipBad: true})
		if err != nil || !rep.Applied || rep.Created != 1 || rep.Skipped != 2 || len(rep.Bad) != 2 {
			t.Fatalf("skip-bad: %+v %v", rep, err)
		}
		if count(t, d, "residents") != before+1 {
			t.Fatal("skip-bad did not write the good row")
		}
		// Importing the same sheet again updates, never duplicates.
		parsed, problems, _ = parse(t, "r.xlsx", b, nil)
		rep, _ = w.reg.Import(ctx, admin, parsed, problems, registry.ImportOptions{CommunityID: w.A.ID, SkipBad: true})
		if rep.Created != 0 || rep.Updated != 1 || count(t, d, "residents") != before+1 {
			t.Fatalf("re-import: %+v", rep)
		}
		// Workers of another community, and volunteers, cannot import here.
		if _, err := w.reg.Import(ctx, w.B.Admin.Principal(), parsed, problems, registry.ImportOptions{CommunityID: w.A.ID}); err == nil {
			t.Fatal("another community's admin imported")
		}
		if _, err := w.reg.Import(ctx, w.A.Grid.Principal(), parsed, problems, registry.ImportOptions{CommunityID: w.A.ID}); err == nil {
			t.Fatal("a grid worker imported")
		}
	})
}

// Export then import gives back the same sheet, exactly (unmasked export),
// in both formats; a GB18030 CSV reads the same as UTF-8.
func TestExportImportRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := setup(t, d)
		ctx := context.Background()
		admin := w.A.Admin.Principal()
		for _, format := range []sheets.Format{sheets.XLSX, sheets.CSV} {
			var first bytes.Buffer
			if _, err := w.reg.Export(ctx, admin, registry.ExportOptions{Filter: registry.Filter{CommunityID: w.A.ID}, Format: format,
				Reveal: true, Reason: "年度核对"}, &first); err != nil {
				t.Fatal(err)
			}
			parsed, problems, err := parse(t, "e"+format.Extension(), first.Bytes(), nil)
			if err != nil || len(problems) != 0 {
				t.Fatalf("%s: parse export: %v %v", format, keys(problems), err)
			}
			rep, err := w.reg.Import(ctx, admin, parsed, problems, registry.ImportOptions{CommunityID: w.A.ID})
			if err != nil || !rep.Applied || rep.Created != 0 || rep.Updated != 2 {
				t.Fatalf("%s: re-import: %+v %v", format, rep, err)
			}
			var second bytes.Buffer
			w.reg.Export(ctx, admin, registry.ExportOptions{Filter: registry.Filter{CommunityID: w.A.ID}, Format: format, Reveal: true, Reason: "年度核对"}, &second)
			if format == sheets.CSV && first.String() != second.String() {
				t.Fatalf("csv round trip differs:\n%s\n%s", first.String(), second.String())
			}
			if format == sheets.XLSX && !sameSheet(t, first.Bytes(), second.Bytes()) {
				t.Fatal("xlsx round trip differs")
			}
			if !strings.Contains(first.String(), registrytest.CanaryNote) && format == sheets.CSV {
				t.Fatal("unmasked export lacks the note")
			}
		}
		// A masked export shows no sensitive value.
		var masked bytes.Buffer
		w.reg.Export(ctx, admin, registry.ExportOptions{Filter: registry.Filter{CommunityID: w.A.ID}, Format: sheets.CSV}, &masked)
		for _, c := range []string{registrytest.CanaryID, registrytest.CanaryPhone, registrytest.CanaryNote, registrytest.CanaryChild, "低保"} {
			if strings.Contains(masked.String(), c) {
				t.Fatalf("masked export contains %q", c)
			}
		}
		// GB18030: the same rows encoded the way Excel saves a Chinese CSV.
		var plain bytes.Buffer
		cw := csv.NewWriter(&plain)
		cw.Write(header)
		cw.Write([]string{"测试小区", "91", "1", "301", "郭国", "男", "", "", "1950-01-01", "户主", "", "老人，独居"})
		cw.Flush()
		gb, _ := simplifiedchinese.GB18030.NewEncoder().Bytes(plain.Bytes())
		parsed, problems, err := parse(t, "gb.csv", gb, nil)
		if err != nil || len(problems) != 0 || parsed[0].Input.Name != "郭国" || parsed[0].Input.Notes != "老人，独居" {
			t.Fatalf("gb18030: %+v %v %v", parsed, problems, err)
		}
	})
}

// Files that are not sheets are refused with a reason, before anything.
func TestImportRefusesNonSheets(t *testing.T) {
	for name, b := range map[string][]byte{
		"random.xlsx": bytes.Repeat([]byte{0x50, 0x4b, 0x03, 0x04, 0xde, 0xad}, 1000),
		"old.xlsx":    append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 1024)...),
		"empty.csv":   {},
		"binary.csv":  {0x00, 0x01, 0x02, 0xff, 0xfe, 0x00, 0x9c},
	} {
		if _, _, err := parse(t, name, b, nil); err == nil || sheets.ReasonOf(err) == "" {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A header without the required columns reports them all, no rows.
	_, problems, err := parse(t, "h.csv", sheet(t, sheets.CSV, []string{"姓名", "备注"}, [][]string{{"张", ""}}), nil)
	if err != nil || len(problems) != 4 {
		t.Fatalf("missing columns: %v %v", keys(problems), err)
	}
}
