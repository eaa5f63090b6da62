package sheets

// Column is a column a caller expects in a sheet.
type Column struct {
	// Key is the caller's name for the column, the key of MatchHeader's
	// map. A header cell holding the Key itself matches too, so a sheet
	// exported with keys as headings imports again.
	Key string
	// Names are the headings users write for it, in Chinese and English:
	// "身份证号", "身份证", "公民身份号码", "ID number". They are compared
	// as MatchHeader describes, so "id_number" and "ID Number" need not
	// both be listed.
	Names []string
	// Required columns are reported when the header lacks them.
	Required bool
}

// Reasons for a HeaderProblem.
const (
	// A required column is not in the header.
	ReasonMissingColumn Reason = "missing_column"
	// Two header cells name the same column; the first one is used.
	ReasonDuplicateColumn Reason = "duplicate_column"
	// A header cell names no known column; its values are ignored.
	ReasonUnknownColumn Reason = "unknown_column"
)

// HeaderProblem is one finding of MatchHeader.
type HeaderProblem struct {
	Reason Reason
	// Index is the header cell's position (0-based), or -1 for a missing
	// column.
	Index int
	// Name is the header cell as written, "" for a missing column.
	Name string
	// Key is the Column.Key concerned, "" for an unknown column.
	Key string
}

// MatchHeader finds each column in header and returns, for every Key it
// found, the index of its header cell. Headings are compared ignoring
// case, spaces, underscores, full-width forms, zero-width characters and
// the BOM, a leading "*" and a trailing "*", "(必填)" or "(选填)": so
// "＊身份证号（必填）" matches "身份证号" and "Id_Number " matches "ID
// number".
//
// Problems list duplicate and unknown header cells, in header order, then
// missing required columns, in columns order. The caller decides which
// problems are fatal: typically missing and duplicate columns are, and
// unknown columns are shown as a warning. Empty header cells are ignored.
func MatchHeader(header []string, columns []Column) (map[string]int, []HeaderProblem) {
	byName := make(map[string]string)
	for _, c := range columns {
		for _, n := range append([]string{c.Key}, c.Names...) {
			if k := headerKey(n); k != "" {
				if _, taken := byName[k]; !taken {
					byName[k] = c.Key
				}
			}
		}
	}
	found := make(map[string]int)
	var problems []HeaderProblem
	for i, h := range header {
		k := headerKey(h)
		if k == "" {
			continue
		}
		key, ok := byName[k]
		switch {
		case !ok:
			problems = append(problems, HeaderProblem{Reason: ReasonUnknownColumn, Index: i, Name: h})
		case hasKey(found, key):
			problems = append(problems, HeaderProblem{Reason: ReasonDuplicateColumn, Index: i, Name: h, Key: key})
		default:
			found[key] = i
		}
	}
	for _, c := range columns {
		if _, ok := found[c.Key]; c.Required && !ok {
			problems = append(problems, HeaderProblem{Reason: ReasonMissingColumn, Index: -1, Key: c.Key})
		}
	}
	return found, problems
}

func hasKey(m map[string]int, k string) bool {
	_, ok := m[k]
	return ok
}
