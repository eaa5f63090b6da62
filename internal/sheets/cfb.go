package sheets

import (
	"fmt"
	"io"

	"github.com/richardlehane/mscfb"
)

// classifyCFB explains why a Compound File (the container of Office
// 97-2003 documents and of password-protected OOXML) is refused: a
// password-protected workbook holds an "EncryptedPackage" stream; an .xls
// holds "Workbook" (or "Book" before Excel 97); a Word or PowerPoint file is
// simply not a spreadsheet. A container too damaged to list is most likely
// an .xls: the advice to save it again as .xlsx fits.
func classifyCFB(r io.ReaderAt, size int64) error {
	doc, err := mscfb.New(io.NewSectionReader(r, 0, size))
	if err != nil {
		return refuse(ReasonXLS, fmt.Errorf("compound file: %w", err))
	}
	reason := ReasonXLS
	for _, f := range doc.File {
		switch f.Name {
		case "EncryptedPackage", "EncryptionInfo":
			return refuse(ReasonEncrypted, nil)
		case "WordDocument", "PowerPoint Document":
			reason = ReasonFormat
		}
	}
	return refuse(reason, nil)
}
