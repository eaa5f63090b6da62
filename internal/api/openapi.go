package api

import (
	_ "embed"
	"net/http"

	"github.com/linli/linli/internal/accounts"
)

// openapi.json is written by hand, as a contract for client authors; a
// test checks that its paths and methods equal the registered routes.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the document.
func OpenAPI() []byte { return openAPIDoc }

func (a *API) openAPI(w http.ResponseWriter, r *http.Request, _ *accounts.Principal) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, err := w.Write(openAPIDoc)
	return err
}
