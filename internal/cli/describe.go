package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/linli/linli/internal/apperr"
	"github.com/linli/linli/internal/i18n"
)

// describe turns a domain error into a line for the terminal, in Chinese
// with the English after it, naming each field's problem.
func describe(err error) error {
	e := apperr.From(err)
	if e.Code == apperr.Internal {
		return err
	}
	msg := i18n.T("zh-CN", e.Key, e.Args) + " / " + i18n.T("en", e.Key, e.Args)
	var fields []string
	for f, fe := range e.Fields {
		fields = append(fields, fmt.Sprintf("%s: %s / %s", f, i18n.T("zh-CN", fe.Key, fe.Args), i18n.T("en", fe.Key, fe.Args)))
	}
	sort.Strings(fields)
	if len(fields) > 0 {
		msg += "\n  " + strings.Join(fields, "\n  ")
	}
	return fmt.Errorf("%s", msg)
}
