package desktop

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestLoaderHandler(t *testing.T) {
	rec := httptest.NewRecorder()
	LoaderHandler("http://127.0.0.1:11435").ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	body, _ := io.ReadAll(rec.Result().Body)
	if !strings.Contains(string(body), `location.replace("http://127.0.0.1:11435/" + location.hash)`) {
		t.Fatalf("loader does not go to the server:\n%s", body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("content type %q", ct)
	}

	// A hostile URL cannot break out of the script or the attribute.
	rec = httptest.NewRecorder()
	LoaderHandler(`http://x/</script><script>alert(1)</script>"`).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	body, _ = io.ReadAll(rec.Result().Body)
	if strings.Count(string(body), "</script>") != 1 || strings.Contains(string(body), `alert(1)</script>"">`) {
		t.Fatalf("URL not escaped:\n%s", body)
	}
}

func TestShimNamesMatchController(t *testing.T) {
	for _, ev := range []string{EventBlur, EventEscape, EventHide, EventHidden, EventVisible, EventDetach, EventAttach, EventOpen} {
		if !strings.Contains(ShimJS, "'"+ev+"'") {
			t.Errorf("the shim never sends %q", ev)
		}
	}
	if !strings.Contains(SelfTestJS(`a"b`), `model: "a\"b"`) {
		t.Error("self-test model name not quoted")
	}
}
