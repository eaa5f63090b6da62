package web

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"

	"github.com/linli/linli/internal/accounts"
	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/audit"
	"github.com/linli/linli/internal/files"
	"github.com/linli/linli/internal/httpx"
	"github.com/linli/linli/internal/i18n"
	"github.com/linli/linli/internal/registry"
	"github.com/linli/linli/internal/sheets"
)

type importData struct {
	DryRun    bool
	Report    *registry.ImportReport
	Lines     []string
	BadFile   string
	FileError string
}

func (w *Web) importPage(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	return w.render(rw, http.StatusOK, "import", w.view(rw, r, p, "registry", "import.title", importData{DryRun: true}))
}

// importUpload checks and applies an uploaded sheet with the same rules
// and report as `linli import residents`.
func (w *Web) importUpload(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := registryCommunity(p)
	if err != nil {
		return err
	}
	lang := httpx.Lang(r, p)
	f, fh, err := r.FormFile("file")
	if err != nil {
		if strings.Contains(err.Error(), "too large") {
			return apperr.Wrap(err, apperr.TooLarge, "error.too_large")
		}
		return apperr.New(apperr.Invalid, "error.invalid").Field("file", "import.no_file", nil)
	}
	defer f.Close()
	d := importData{DryRun: r.FormValue("dry_run") == "1"}
	body, err := io.ReadAll(io.LimitReader(f, sheets.DefaultMaxBytes+1))
	if err != nil {
		return formError(err)
	}
	rd, err := sheets.Open(path.Base(fh.Filename), bytes.NewReader(body), int64(len(body)), sheets.ReadOptions{})
	if err != nil {
		if sheets.ReasonOf(err) == "" {
			return err
		}
		d.FileError = i18n.T(lang, "sheets."+string(sheets.ReasonOf(err)), nil)
		return w.render(rw, http.StatusUnprocessableEntity, "import", w.view(rw, r, p, "registry", "import.title", d))
	}
	defer rd.Close()
	rows, problems, err := registry.ParseSheet(rd, w.Clock.Now())
	if err != nil {
		if sheets.ReasonOf(err) == "" {
			return err
		}
		d.FileError = i18n.T(lang, "sheets."+string(sheets.ReasonOf(err)), nil)
		return w.render(rw, http.StatusUnprocessableEntity, "import", w.view(rw, r, p, "registry", "import.title", d))
	}
	rep, err := w.Registry.Import(r.Context(), p, rows, problems, registry.ImportOptions{CommunityID: cid, DryRun: d.DryRun,
		SkipBad: r.FormValue("skip_bad") == "1", CreateBuildings: r.FormValue("create_buildings") == "1"})
	if err != nil {
		return err
	}
	d.Report = rep
	for i, pr := range rep.Problems {
		if i == 200 {
			d.Lines = append(d.Lines, i18n.T(lang, "import.more_problems", map[string]any{"n": len(rep.Problems) - 200}))
			break
		}
		d.Lines = append(d.Lines, problemLine(lang, pr))
	}
	if rep.Applied && len(rep.Bad) > 0 {
		if d.BadFile, err = w.saveBadRows(r, cid, rd.Header(), rep.Bad); err != nil {
			return err
		}
	}
	status := http.StatusOK
	if !rep.Applied && !d.DryRun {
		status = http.StatusUnprocessableEntity
	}
	return w.render(rw, status, "import", w.view(rw, r, p, "registry", "import.title", d))
}

// problemLine: "第 5 行，身份证号：校验位不对".
func problemLine(lang string, pr registry.Problem) string {
	where := i18n.T(lang, "import.row", map[string]any{"n": pr.Row})
	if pr.Row == 0 {
		where = i18n.T(lang, "import.file", nil)
	}
	for _, c := range registry.SheetColumns {
		if c.Key == pr.Column {
			name := c.Names[0]
			if lang == "en" {
				name = c.Names[len(c.Names)-1]
			}
			return where + "，" + name + "：" + i18n.T(lang, pr.Key, pr.Args)
		}
	}
	return where + "：" + i18n.T(lang, pr.Key, pr.Args)
}

// saveBadRows keeps the rows to fix — they hold ID numbers and phones —
// sealed under the data folder, bound to the community: only its import
// staff can fetch them, once.
func (w *Web) saveBadRows(r *http.Request, cid int64, header []string, rows [][]string) (string, error) {
	var buf bytes.Buffer
	sw, err := sheets.NewWriter(sheets.XLSX, &buf)
	if err != nil {
		return "", err
	}
	if err := sw.WriteHeader(header); err != nil {
		return "", err
	}
	for _, row := range rows {
		if err := sw.WriteRow(row); err != nil {
			return "", err
		}
	}
	if err := sw.Close(); err != nil {
		return "", err
	}
	sealed, err := w.Keys.Encrypt(base64.StdEncoding.EncodeToString(buf.Bytes()), badRowsAAD(cid))
	if err != nil {
		return "", err
	}
	name, _, _, err := w.Files.Save(r.Context(), strings.NewReader(sealed), 128<<20)
	return name, err
}

func badRowsAAD(cid int64) string { return fmt.Sprintf("import.bad_rows:%d", cid) }

func (w *Web) badRows(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	cid, err := registryCommunity(p)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	if !files.ValidName(name) {
		return apperr.NotFoundErr()
	}
	f, err := w.Files.Open(name)
	if err != nil {
		return apperr.NotFoundErr()
	}
	sealed, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return err
	}
	// Another community's file does not open with this community's
	// binding: it does not exist for this actor.
	plain, err := w.Keys.Decrypt(string(sealed), badRowsAAD(cid))
	if err != nil {
		return apperr.NotFoundErr()
	}
	body, err := base64.StdEncoding.DecodeString(plain)
	if err != nil {
		return err
	}
	e := p.Audit(w.Clock.Now(), "registry.import_bad_rows", cid)
	e.ObjectType, e.ObjectID = "file", name
	if err := audit.Record(r.Context(), w.DB, e); err != nil {
		return err
	}
	if err := w.Files.Remove(name); err != nil {
		return err
	}
	rw.Header().Set("Content-Type", sheets.XLSX.ContentType())
	rw.Header().Set("Content-Disposition", `attachment; filename="rows-to-fix.xlsx"`)
	rw.Header().Set("Cache-Control", "no-store")
	_, err = rw.Write(body)
	return err
}

// exportResidents downloads the residents of the list's filter as a sheet.
// Unmasked only for a role that may reveal, with a reason (audited).
func (w *Web) exportResidents(rw http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	if err := r.ParseForm(); err != nil {
		return formError(err)
	}
	cid, err := registryCommunity(p)
	if err != nil {
		return err
	}
	format := sheets.Format(r.PostForm.Get("format"))
	if format != sheets.XLSX && format != sheets.CSV {
		return apperr.New(apperr.Invalid, "error.invalid").Field("format", "registry.format.invalid", nil)
	}
	var buf bytes.Buffer
	_, err = w.Registry.Export(r.Context(), p, registry.ExportOptions{Filter: registry.Filter{CommunityID: cid, Tag: r.PostForm.Get("tag")},
		Format: format, Reveal: r.PostForm.Get("reveal") == "1", Reason: r.PostForm.Get("reason")}, &buf)
	if err != nil {
		return err
	}
	rw.Header().Set("Content-Type", format.ContentType())
	rw.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="residents-%s%s"`, w.Clock.Now().Format("20060102"), format.Extension()))
	rw.Header().Set("Cache-Control", "no-store")
	_, err = rw.Write(buf.Bytes())
	return err
}
