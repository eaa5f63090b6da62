package web_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/linli/linli/internal/registry/registrytest"
	"github.com/linli/linli/internal/testkit/server"
)

func upload(t *testing.T, b *browser, name, content string, opts map[string]string) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	io.WriteString(fw, content)
	for k, v := range opts {
		mw.WriteField(k, v)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", b.s.URL+"/residents/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

func TestImportUploadAndExportDownload(t *testing.T) {
	s := server.Start(t, server.Options{Registry: true})
	b := newBrowser(t, s)
	if st, _ := b.login("worker", server.Password); st != http.StatusSeeOther {
		t.Fatal("login")
	}
	good := registrytest.MakeID("130104", "19600505", "955")
	csv := "小区,楼号,单元,房号,姓名,身份证号\n平安小区,1号楼,1,101,新来的," + good + "\n平安小区,1栋,1,101,错的,130104196005059550\n"
	st, page := upload(t, b, "new.csv", csv, nil)
	if st != 422 || !strings.Contains(page, "第 3 行") || !strings.Contains(page, "校验位") || !strings.Contains(page, "未写入任何数据") {
		t.Fatalf("bad upload: %d %s", st, page)
	}
	st, page = upload(t, b, "new.csv", csv, map[string]string{"skip_bad": "1"})
	if st != 200 || !strings.Contains(page, "新增 1 人") || !strings.Contains(page, "/residents/import/bad/") {
		t.Fatalf("skip-bad upload: %d %s", st, page)
	}
	// The rows to fix come down once, then are gone.
	i := strings.Index(page, "/residents/import/bad/")
	link := page[i : i+strings.IndexByte(page[i:], '"')]
	if st, _, body := b.do("GET", link, nil, nil); st != 200 || !strings.HasPrefix(body, "PK") {
		t.Fatalf("bad rows download: %d", st)
	}
	if st, _, _ := b.do("GET", link, nil, nil); st != 404 {
		t.Fatalf("second bad rows download: %d", st)
	}
	st, page = upload(t, b, "x.xlsx", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old excel", nil)
	if st != 422 || !strings.Contains(page, ".xls") {
		t.Fatalf("xls upload: %d", st)
	}
	// 25 MB of noise posing as a workbook: refused as too large, nothing read.
	if st, _ := upload(t, b, "big.xlsx", "PK\x03\x04"+strings.Repeat("\x9c", 25<<20), nil); st != 413 {
		t.Fatalf("25 MB upload: %d", st)
	}
	// Export: masked by default; unmasked needs a reason.
	st, _, body := b.do("POST", "/residents/export", url.Values{"format": {"csv"}}, nil)
	if st != 200 || !strings.Contains(body, "新来的") || strings.Contains(body, good) || !strings.Contains(body, "1301**********") {
		t.Fatalf("masked export: %d %.300s", st, body)
	}
	st, _, body = b.do("POST", "/residents/export", url.Values{"format": {"csv"}, "reveal": {"1"}}, nil)
	if st != 422 {
		t.Fatalf("unmasked export without reason: %d", st)
	}
	st, _, body = b.do("POST", "/residents/export", url.Values{"format": {"csv"}, "reveal": {"1"}, "reason": {"报送街道"}}, nil)
	if st != 200 || !strings.Contains(body, good) {
		t.Fatalf("unmasked export: %d", st)
	}
	// A volunteer can do neither.
	v := newBrowser(t, s)
	v.login("volunteer", server.Password)
	if st, _, _ := v.do("POST", "/residents/export", url.Values{"format": {"csv"}}, nil); st != 403 {
		t.Fatalf("volunteer export: %d", st)
	}
	if st, _ := upload(t, v, "new.csv", csv, nil); st != 403 {
		t.Fatalf("volunteer import: %d", st)
	}
}

func TestResidentForms(t *testing.T) {
	s := server.Start(t, server.Options{})
	ctx := t.Context()
	cs, _ := s.Tenancy.Communities(ctx, 0)
	grids, _ := s.Tenancy.Grids(ctx, cs[0].ID)
	adult, child, err := registrytest.SeedCanaries(ctx, s.Registry, s.DB, s.Clock.Now(), cs[0].ID, grids[0].ID, grids[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, s)
	b.login("worker", server.Password)
	st, _, page := b.do("GET", "/residents/"+itoa(adult)+"/edit", nil, nil)
	if st != 200 || strings.Contains(page, registrytest.CanaryID) || strings.Contains(page, registrytest.CanaryPhone) || !strings.Contains(page, registrytest.CanaryName) {
		t.Fatalf("edit form: %d", st)
	}
	// Correct the relation only; the sealed fields stay.
	st, loc, _ := b.do("POST", "/residents/"+itoa(adult), url.Values{"name": {registrytest.CanaryName}, "relation": {"其他"},
		"household_id": {householdOf(t, s, adult)}, "doc_type": {"id_card"}}, nil)
	if st != 303 {
		t.Fatalf("update: %d", st)
	}
	_, _, page = b.do("GET", loc, nil, nil)
	if !strings.Contains(page, "其他") || !strings.Contains(page, "1301**********") || !strings.Contains(page, "139****5678") {
		t.Fatalf("after update the sealed fields changed: %.2000s", page)
	}
	// A child's hidden name survives an edit that does not send it.
	st, _, _ = b.do("POST", "/residents/"+itoa(child), url.Values{"relation": {"孙子女"}, "household_id": {householdOf(t, s, child)}, "doc_type": {"id_card"}}, nil)
	if st != 303 {
		t.Fatalf("child update: %d", st)
	}
	if v, err := s.Registry.Reveal(ctx, consoleP(), child, "name", "测试"); err != nil || v != registrytest.CanaryChild {
		t.Fatalf("child's name after edit: %q %v", v, err)
	}
	// New member with a bad ID: the form comes back with the reason.
	st, _, page = b.do("POST", "/residents", url.Values{"name": {"新成员"}, "household_id": {householdOf(t, s, adult)}, "doc_type": {"id_card"},
		"id_number": {"130104195803027719"}}, nil)
	if st != 422 || !strings.Contains(page, "校验位") {
		t.Fatalf("bad new member: %d", st)
	}
}
