package idcard

import "errors"

// Reasons a value is refused. They are stable, lower-case strings so a
// caller can use them directly as translation keys ("idcard.check") and as
// field-error codes in the API; never rename one once released.
const (
	ReasonLength   = "length"   // wrong number of characters (includes 15-digit first-generation numbers)
	ReasonChars    = "chars"    // a character that cannot appear there (letters, punctuation, X before the end)
	ReasonArea     = "area"     // the first two digits are not a province code
	ReasonDate     = "date"     // the birth date is not a real calendar date, or before 1900
	ReasonFuture   = "future"   // the birth date is after today (Asia/Shanghai)
	ReasonCheck    = "check"    // the ISO 7064 MOD 11-2 check character does not match: usually a typo
	ReasonDocType  = "doc_type" // not one of DocTypes
	ReasonPhone    = "phone"    // neither a mainland mobile nor a landline with area code
	ReasonBuilding = "building" // not recognisable as a building number
	ReasonUnit     = "unit"     // not recognisable as a unit (stairwell) number
	ReasonRoom     = "room"     // not recognisable as a room number
)

// Error is every failure this package returns. It never holds the input:
// ID numbers and phone numbers are personal data and errors end up in logs.
type Error struct {
	Reason string // one of the Reason constants
	Detail string // an English hint for developers, free of personal data
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return "idcard: invalid (" + e.Reason + ")"
	}
	return "idcard: invalid (" + e.Reason + "): " + e.Detail
}

// Is makes errors.Is(err, ErrCheck) match any *Error of the same reason,
// whatever its Detail.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Reason == e.Reason
}

// Sentinels for errors.Is; compare by reason, not identity.
var (
	ErrLength   = &Error{Reason: ReasonLength}
	ErrChars    = &Error{Reason: ReasonChars}
	ErrArea     = &Error{Reason: ReasonArea}
	ErrDate     = &Error{Reason: ReasonDate}
	ErrFuture   = &Error{Reason: ReasonFuture}
	ErrCheck    = &Error{Reason: ReasonCheck}
	ErrDocType  = &Error{Reason: ReasonDocType}
	ErrPhone    = &Error{Reason: ReasonPhone}
	ErrBuilding = &Error{Reason: ReasonBuilding}
	ErrUnit     = &Error{Reason: ReasonUnit}
	ErrRoom     = &Error{Reason: ReasonRoom}
)

// ReasonOf returns the reason of the first *Error in err's chain, or "" if
// there is none (so a caller can map "" to an internal error).
func ReasonOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

func fail(reason, detail string) error { return &Error{Reason: reason, Detail: detail} }
