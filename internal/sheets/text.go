package sheets

import (
	"bytes"
	"errors"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

const chunk = 64 << 10

// sniffText decides how a text file is encoded: UTF-8 if every byte after
// an optional BOM is valid UTF-8, else GB18030 (a superset of GBK and
// GB2312, what Excel and WPS on Chinese Windows write as "CSV") if it
// decodes without a replacement character. Anything with a NUL byte, a
// UTF-16 BOM, or text valid in neither is ReasonFormat. It returns the
// encoding's name and the length of the BOM to skip.
func sniffText(r io.ReaderAt, size int64) (string, int64, error) {
	head := make([]byte, 3)
	n, _ := r.ReadAt(head, 0)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, utf8BOM):
		ok, err := validUTF8(io.NewSectionReader(r, 3, size-3))
		if err != nil || !ok {
			return "", 0, formatErr(err, "not UTF-8 after a UTF-8 BOM")
		}
		return "utf-8", 3, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return "", 0, refuse(ReasonFormat, errors.New("UTF-16 text; save as CSV UTF-8"))
	}
	ok, err := validUTF8(io.NewSectionReader(r, 0, size))
	if err != nil {
		return "", 0, err
	}
	if ok {
		return "utf-8", 0, nil
	}
	dec := transform.NewReader(io.NewSectionReader(r, 0, size), simplifiedchinese.GB18030.NewDecoder())
	if err := validDecoded(dec); err != nil {
		return "", 0, err
	}
	return "gb18030", 0, nil
}

// validUTF8 reports whether r is UTF-8 text; a NUL byte, the mark of a
// binary file, is an *Error.
func validUTF8(r io.Reader) (bool, error) {
	buf := make([]byte, chunk+utf8.UTFMax)
	carry := 0
	for {
		n, err := io.ReadFull(r, buf[carry:carry+chunk])
		b := buf[:carry+n]
		if bytes.IndexByte(b, 0) >= 0 {
			return false, refuse(ReasonFormat, errors.New("binary content"))
		}
		eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !eof {
			return false, err
		}
		cut := len(b)
		if !eof {
			cut = completeRunes(b)
		}
		if !utf8.Valid(b[:cut]) {
			return false, nil
		}
		if eof {
			return true, nil
		}
		carry = copy(buf, b[cut:])
	}
}

// completeRunes returns the length of b without a rune cut at its end.
func completeRunes(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return i
			}
			break
		}
	}
	return len(b)
}

// validDecoded reads decoded text and refuses it if the decoder had to
// replace a byte sequence (U+FFFD) or if it holds NUL.
func validDecoded(r io.Reader) error {
	const fffd = "\uFFFD"
	buf := make([]byte, chunk+len(fffd))
	carry := 0
	for {
		n, err := io.ReadFull(r, buf[carry:carry+chunk])
		b := buf[:carry+n]
		if bytes.Contains(b, []byte(fffd)) || bytes.IndexByte(b, 0) >= 0 {
			return refuse(ReasonFormat, errors.New("neither UTF-8 nor GB18030 text"))
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil
		}
		if err != nil {
			return err
		}
		carry = copy(buf, b[len(b)-(len(fffd)-1):])
	}
}

func formatErr(err error, msg string) error {
	if err != nil {
		return err
	}
	return refuse(ReasonFormat, errors.New(msg))
}
