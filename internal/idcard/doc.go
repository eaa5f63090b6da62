package idcard

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// Codes of the identity documents the registry accepts. They are stored in
// the database and used as translation keys ("doctype.passport"), so they
// never change; the interface shows the translated name.
const (
	DocIDCard           = "id_card"           // 居民身份证 (also 港澳台居民居住证, whose numbers share the format)
	DocPassport         = "passport"          // 护照
	DocHKMOPermit       = "hk_mo_permit"      // 港澳居民来往内地通行证
	DocTWPermit         = "tw_permit"         // 台湾居民来往大陆通行证
	DocForeignPermanent = "foreign_permanent" // 外国人永久居留身份证
	DocOther            = "other"             // 其他证件 (军官证, 出生医学证明, ...)
)

// DocTypes lists the document codes in the order a form offers them.
// Treat it as read-only.
var DocTypes = []string{DocIDCard, DocPassport, DocHKMOPermit, DocTWPermit, DocForeignPermanent, DocOther}

// ValidateDoc checks a document number of the given type as of now.
func ValidateDoc(docType, number string, now time.Time) error {
	_, err := NormalizeDoc(docType, number, now)
	return err
}

// NormalizeDoc returns the number in the form to store. An id_card number
// goes through ValidateAt. The other types have formats that changed over
// the years (an old foreign permanent card has 15 characters, the 2023 one
// 18), so they are only held to 5-20 ASCII letters and digits after
// Normalize, upper-cased: enough to catch a pasted name or a phone number,
// without refusing a real document.
func NormalizeDoc(docType, number string, now time.Time) (string, error) {
	switch docType {
	case DocIDCard:
		info, err := ValidateAt(number, now)
		return info.Normalized, err
	case DocPassport, DocHKMOPermit, DocTWPermit, DocForeignPermanent, DocOther:
	default:
		return "", fail(ReasonDocType, "unknown document type")
	}
	s := Normalize(number)
	if n := utf8.RuneCountInString(s); n < 5 || n > 20 {
		return "", fail(ReasonLength, "want 5-20 characters, got "+strconv.Itoa(n))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return "", fail(ReasonChars, "only letters and digits")
		}
	}
	return s, nil
}
