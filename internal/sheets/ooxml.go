package sheets

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"strings"
)

// checkZip refuses an archive that would unpack to more than limit bytes
// in all, has more parts than a workbook ever has, or has a large part that
// compresses better than any real sheet: a zip bomb. It reads only the ZIP
// directory. The sizes it trusts are enforced while unpacking, since
// archive/zip fails a part that grows past its declared size.
func checkZip(zr *zip.Reader, limit int64) error {
	if len(zr.File) > maxZipEntries {
		return &Error{Reason: ReasonTooLarge, Limit: maxZipEntries,
			Err: fmt.Errorf("%d parts in the archive", len(zr.File))}
	}
	var total uint64
	for _, f := range zr.File {
		size := f.UncompressedSize64
		if total += size; size > uint64(limit) || total > uint64(limit) {
			return &Error{Reason: ReasonTooLarge, Limit: limit,
				Err: fmt.Errorf("%s unpacks past the limit", f.Name)}
		}
		if size > ratioFloor && size/maxRatio > f.CompressedSize64 {
			return &Error{Reason: ReasonTooLarge, Limit: limit,
				Err: fmt.Errorf("%s unpacks %d bytes from %d", f.Name, size, f.CompressedSize64)}
		}
	}
	return nil
}

// workbook is what this package needs from an xlsx's workbook part.
type workbook struct {
	sheets   []sheetRef
	date1904 bool
	parts    map[string]*zip.File // by lower-case name: OOXML part names ignore case
}

type sheetRef struct {
	name   string
	path   string // the worksheet part, e.g. "xl/worksheets/sheet1.xml"
	hidden bool
}

// readWorkbook finds the workbook through the package relationships, as
// Excel does, and lists its sheets with the parts that hold them. A ZIP
// without a workbook (a .docx, an .ods, a .jar) or with a binary one
// (.xlsb) is ReasonFormat.
func readWorkbook(zr *zip.Reader) (*workbook, error) {
	wb := &workbook{parts: make(map[string]*zip.File, len(zr.File))}
	for _, f := range zr.File {
		wb.parts[strings.ToLower(strings.ReplaceAll(f.Name, `\`, "/"))] = f
	}
	wbPath := "xl/workbook.xml"
	var rels relationships
	if err := wb.decode("_rels/.rels", &rels); err == nil {
		for _, r := range rels.Rel {
			if strings.HasSuffix(r.Type, "/officeDocument") {
				wbPath = resolve("", r.Target)
			}
		}
	}
	var doc struct {
		Pr struct {
			Date1904 string `xml:"date1904,attr"`
		} `xml:"workbookPr"`
		Sheets []struct {
			Name  string     `xml:"name,attr"`
			State string     `xml:"state,attr"`
			Attrs []xml.Attr `xml:",any,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := wb.decode(wbPath, &doc); err != nil {
		return nil, refuse(ReasonFormat, fmt.Errorf("no workbook: %w", err))
	}
	wb.date1904 = doc.Pr.Date1904 == "1" || doc.Pr.Date1904 == "true"
	relsPath := path.Join(path.Dir(wbPath), "_rels", path.Base(wbPath)+".rels")
	rels = relationships{}
	if err := wb.decode(relsPath, &rels); err != nil {
		return nil, refuse(ReasonFormat, fmt.Errorf("workbook relationships: %w", err))
	}
	targets := make(map[string]string, len(rels.Rel))
	for _, r := range rels.Rel {
		targets[r.ID] = resolve(path.Dir(wbPath), r.Target)
	}
	for _, s := range doc.Sheets {
		var id string
		for _, a := range s.Attrs {
			// r:id, in the transitional or the strict namespace.
			if a.Name.Local == "id" && a.Name.Space != "" {
				id = a.Value
			}
		}
		wb.sheets = append(wb.sheets, sheetRef{
			name:   s.Name,
			path:   targets[id],
			hidden: s.State == "hidden" || s.State == "veryHidden",
		})
	}
	return wb, nil
}

type relationships struct {
	Rel []struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
	} `xml:"Relationship"`
}

// resolve turns a relationship target into a part name.
func resolve(dir, target string) string {
	if t, ok := strings.CutPrefix(target, "/"); ok {
		return path.Clean(t)
	}
	return path.Join(dir, target)
}

// decode unmarshals a small XML part.
func (wb *workbook) decode(name string, v any) error {
	f, ok := wb.parts[strings.ToLower(name)]
	if !ok {
		return fmt.Errorf("%s: missing", name)
	}
	b, err := readPart(f)
	if err != nil {
		return err
	}
	if err := xmlDecode(b, v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// readPart reads a small part whole: at most maxMetaPart bytes.
func readPart(f *zip.File) ([]byte, error) {
	if f.UncompressedSize64 > maxMetaPart {
		return nil, &Error{Reason: ReasonTooLarge, Limit: maxMetaPart, Err: fmt.Errorf("%s is too large", f.Name)}
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxMetaPart))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	return b, nil
}

func xmlDecode(b []byte, v any) error {
	return xml.NewDecoder(bytes.NewReader(b)).Decode(v)
}

// pick returns the sheet to read: the one named, compared exactly and
// then ignoring case, or else the first visible one.
func (wb *workbook) pick(name string) (sheetRef, error) {
	if len(wb.sheets) == 0 {
		return sheetRef{}, refuse(ReasonEmpty, fmt.Errorf("the workbook has no sheets"))
	}
	if name != "" {
		for _, s := range wb.sheets {
			if s.name == name {
				return s, nil
			}
		}
		for _, s := range wb.sheets {
			if strings.EqualFold(s.name, name) {
				return s, nil
			}
		}
		return sheetRef{}, refuse(ReasonNoSheet, fmt.Errorf("no sheet %q", name))
	}
	for _, s := range wb.sheets {
		if !s.hidden {
			return s, nil
		}
	}
	return wb.sheets[0], nil
}
