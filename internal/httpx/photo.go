package httpx

import (
	"io"
	"net/http"
	"time"
)

// ServeJPEG writes a stored photo. Stored photos are always re-encoded
// JPEGs, so the type is fixed and never sniffed; the sandbox keeps a
// browser from running anything even if it tried. What a viewer may see
// depends on who they are and on consents that can be withdrawn, so a
// signed-in answer is never cached and a public one only briefly.
func ServeJPEG(w http.ResponseWriter, r *http.Request, f io.ReadSeeker, modified time.Time, signedIn bool) {
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	if signedIn {
		w.Header().Set("Cache-Control", "private, no-store")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=300")
	}
	http.ServeContent(w, r, "", modified, f)
}
