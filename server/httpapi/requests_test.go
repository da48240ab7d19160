package httpapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/parley-chat/parley/server/logctx"
)

type seenRequest struct {
	route string
	code  int
}

type fakeObserver struct{ seen []seenRequest }

func (o *fakeObserver) ObserveHTTP(route string, code int, _ time.Duration) {
	o.seen = append(o.seen, seenRequest{route, code})
}

// TestRequestID: every response carries a fresh X-Request-Id (the
// client's is ignored), the request line carries the same req with the
// route pattern (not the path) and the status, and the observer counts it.
func TestRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(logctx.NewHandler(slog.NewJSONHandler(&buf, nil)))
	obs := &fakeObserver{}
	h := Handler(Deps{Logger: log, Observer: obs})
	req := httptest.NewRequest("GET", "/secret-looking/ABCD1234", nil)
	req.Header.Set("X-Request-Id", "client-chosen")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	id := rec.Header().Get("X-Request-Id")
	if !regexp.MustCompile(`^[A-Z2-7]{12}$`).MatchString(id) {
		t.Fatalf("X-Request-Id = %q, want a fresh 12-character ID", id)
	}
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log %q: %v", buf.String(), err)
	}
	for k, want := range map[string]any{"msg": "http request", "req": id, "front": "http", "route": "/",
		"method": "GET", "status": float64(404)} {
		if got := line[k]; got != want {
			t.Errorf("log %s = %v, want %v", k, got, want)
		}
	}
	if bytes.Contains(buf.Bytes(), []byte("ABCD1234")) || bytes.Contains(buf.Bytes(), []byte("client-chosen")) {
		t.Errorf("the log holds the raw path or the client's ID: %s", buf.String())
	}
	if len(obs.seen) != 1 || obs.seen[0] != (seenRequest{"/", 404}) {
		t.Errorf("observed %v, want one request of route / with 404", obs.seen)
	}
}
