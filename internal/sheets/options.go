package sheets

// Format is a spreadsheet file format.
type Format string

const (
	XLSX Format = "xlsx"
	CSV  Format = "csv"
)

// Extension is the file name extension for the format, with its dot.
func (f Format) Extension() string { return "." + string(f) }

// ContentType is the media type to send with a download in this format.
func (f Format) ContentType() string {
	if f == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// Default limits. They are generous for a community registry (a few
// thousand to a few tens of thousands of residents) and small enough that
// one upload cannot exhaust a small server.
const (
	DefaultMaxBytes      = 20 << 20  // file as uploaded
	DefaultMaxUnzipBytes = 256 << 20 // all parts of an xlsx, unpacked
	DefaultMaxRows       = 200_000   // data rows, not counting the header or empty rows
	DefaultMaxColumns    = 100
	DefaultMaxCellRunes  = 1000
)

// Limits that do not need to be configurable.
const (
	// maxZipEntries: a workbook has tens of parts; thousands is a bomb.
	maxZipEntries = 10_000
	// maxRatio is the compression ratio above which a part larger than
	// ratioFloor is taken for a zip bomb. Real sheets compress 5-30 times.
	maxRatio   = 100
	ratioFloor = 1 << 20
	// maxMetaPart bounds workbook.xml and the .rels parts, which this
	// package reads whole.
	maxMetaPart = 8 << 20
)

// ReadOptions limit what Open accepts. The zero value means the defaults;
// a field left at zero takes its default.
type ReadOptions struct {
	// Sheet is the name of the sheet to read from an xlsx; "" means the
	// first visible sheet. Ignored for CSV.
	Sheet string
	// MaxBytes is the largest file accepted (DefaultMaxBytes).
	MaxBytes int64
	// MaxUnzipBytes is the largest total size of an xlsx's parts once
	// unpacked (DefaultMaxUnzipBytes). It is checked against the sizes in
	// the ZIP directory before anything is unpacked; archive/zip refuses
	// to unpack more than a part declares.
	MaxUnzipBytes int64
	// MaxRows is the most non-empty data rows (DefaultMaxRows).
	MaxRows int
	// MaxColumns is the most columns a header or row may use
	// (DefaultMaxColumns).
	MaxColumns int
	// MaxCellRunes is the longest cell, in characters; longer cells are cut
	// and flagged ReasonTooLong (DefaultMaxCellRunes).
	MaxCellRunes int
}

func (o ReadOptions) withDefaults() ReadOptions {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxUnzipBytes <= 0 {
		o.MaxUnzipBytes = DefaultMaxUnzipBytes
	}
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultMaxRows
	}
	if o.MaxColumns <= 0 {
		o.MaxColumns = DefaultMaxColumns
	}
	if o.MaxCellRunes <= 0 {
		o.MaxCellRunes = DefaultMaxCellRunes
	}
	return o
}
