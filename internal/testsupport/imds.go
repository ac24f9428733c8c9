package testsupport

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// IMDSv1Only is an EC2 instance metadata endpoint on 127.0.0.1 that
// refuses IMDSv2 session tokens (403 to the token PUT) and knows nothing
// (404), so that the AWS SDK falls back to IMDSv1, warns, and finds no
// credentials. It returns the endpoint's URL, for
// AWS_EC2_METADATA_SERVICE_ENDPOINT; it stops when the test ends.
func IMDSv1Only(t testing.TB) string {
	t.Helper()
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut { // the IMDSv2 token
			w.WriteHeader(http.StatusForbidden)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(imds.Close)
	return imds.URL
}
