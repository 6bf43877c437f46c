package debughttp_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/debughttp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func get(t *testing.T, url, accept string) (string, *http.Response) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp
}

func TestListenRefusesRemoteAddresses(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "example.com:80"} {
		if _, err := debughttp.Listen(addr); !errors.Is(err, debughttp.ErrNotLoopback) {
			t.Errorf("Listen(%q) = %v, want ErrNotLoopback", addr, err)
		}
	}
	// With AllowRemote, Listen tries the address, which no interface here
	// has (192.0.2.0/24 is for documentation): the tests listen on loopback
	// only.
	if _, err := debughttp.Listen("192.0.2.1:0", debughttp.AllowRemote()); err == nil || errors.Is(err, debughttp.ErrNotLoopback) {
		t.Errorf("Listen with AllowRemote = %v, want the error of listening", err)
	}
}

func TestServesTaskTrees(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	loopCh := make(chan *asyncio.Loop)
	release := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		asyncio.Run(func(ctx context.Context) (int, error) {
			var q asyncio.Queue[int]
			asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return q.Get(ctx) }, asyncio.WithName("consumer"))
			end := asyncio.CreateFuture[int](ctx)
			l, _ := asyncio.GetRunningLoop(ctx)
			go func() {
				<-release
				l.CallSoonThreadsafe(func() { end.SetResult(0) })
			}()
			loopCh <- l
			return asyncio.Await(ctx, end)
		})
	}()
	l := <-loopCh
	defer func() { close(release); <-done; http.DefaultClient.CloseIdleConnections() }()

	tempEnv(t, false)
	srv, err := debughttp.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr, err := os.ReadFile(debughttp.AddrFile(os.Getpid()))
	if err != nil || strings.TrimSpace(string(addr)) != srv.Addr() {
		t.Errorf("address file holds %q (%v), want %s", addr, err, srv.Addr())
	}
	base := "http://" + srv.Addr() + "/"

	text, _ := get(t, base, "")
	for _, want := range []string{"(running, 2 tasks", "Task-1 ", "awaiting a future", "└── consumer ", "awaiting Queue.Get"} {
		if !strings.Contains(text, want) {
			t.Errorf("text dump lacks %q:\n%s", want, text)
		}
	}

	body, resp := get(t, base+"?format=json", "")
	var infos []asyncio.LoopInfo
	if err := json.Unmarshal([]byte(body), &infos); err != nil || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("JSON dump: %v\n%s", err, body)
	}
	found := false
	for _, info := range infos {
		if info.ID == l.ID() {
			found = true
			if !info.Running || len(info.Tasks) != 2 || info.Tasks[1].Name != "consumer" || info.Tasks[1].Awaiting != "Queue.Get" {
				t.Errorf("JSON loop info = %+v", info)
			}
		}
	}
	if !found {
		t.Errorf("loop %d missing from %s", l.ID(), body)
	}
	if _, resp := get(t, base, "application/json"); resp.Header.Get("Content-Type") != "application/json" {
		t.Error("Accept: application/json did not select JSON")
	}

	resp, err = http.Post(base, "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST = %s, want 405: the server is read-only", resp.Status)
	}
}

func TestBlockedLoopIsReported(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	unblock := make(chan struct{})
	loopCh := make(chan *asyncio.Loop)
	done := make(chan struct{})
	go func() {
		defer close(done)
		asyncio.Run(func(ctx context.Context) (int, error) {
			l, _ := asyncio.GetRunningLoop(ctx)
			loopCh <- l
			<-unblock // a blocking call on the loop: the bug to find
			return 0, nil
		})
	}()
	l := <-loopCh
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := l.Snapshot(ctx)
	close(unblock)
	<-done
	if err == nil || !strings.Contains(err.Error(), "did not answer") {
		t.Errorf("Snapshot of a blocked loop = %v", err)
	}
}

func TestNotRunningLoop(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	l := asyncio.NewLoop()
	defer l.Close()
	info, err := l.Snapshot(context.Background())
	if err != nil || info.Running || info.Tasks != nil {
		t.Errorf("Snapshot of an idle loop = %+v, %v", info, err)
	}
	if !strings.Contains(debughttp.Format([]asyncio.LoopInfo{info}, []error{nil}), "not running") {
		t.Error("Format does not say the loop is not running")
	}
}

// A web page can point a name of its own at 127.0.0.1 (DNS rebinding) and
// read what a loopback server answers; the Host header gives it away.
func TestHandlerServesOnlyLoopbackHosts(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, c := range []struct {
		host string
		ok   bool
	}{
		{"127.0.0.1:6060", true},
		{"127.0.0.1", true},
		{"127.8.9.10:80", true},
		{"[::1]:6060", true},
		{"[::1]", true},
		{"localhost:6060", true},
		{"localhost", true},
		{"LocalHost:6060", true},
		{"rebind.example:6060", false},
		{"rebind.example", false},
		{"localhost.rebind.example:6060", false},
		{"127.0.0.1.nip.io:6060", false},
		{"192.0.2.1:6060", false},
		{"[2001:db8::1]:6060", false},
		{"0.0.0.0:6060", false},
		{"", false},
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Host = c.host
		rec := httptest.NewRecorder()
		debughttp.Handler().ServeHTTP(rec, req)
		body := rec.Body.String()
		switch {
		case c.ok && rec.Code != http.StatusOK:
			t.Errorf("Host %q: %d %q, want 200", c.host, rec.Code, body)
		case !c.ok && (rec.Code != http.StatusForbidden || !strings.Contains(body, "not a loopback host")):
			t.Errorf("Host %q: %d %q, want 403 saying the host is not a loopback host", c.host, rec.Code, body)
		}
	}
}

func TestAllowRemoteAnswersAnyHost(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	req := httptest.NewRequest("GET", "/", nil)
	req.Host = "debug.example:6060"
	rec := httptest.NewRecorder()
	debughttp.NewHandler(debughttp.AllowRemote()).ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("NewHandler(AllowRemote()): %d %q, want 200", rec.Code, rec.Body.String())
	}

	tempEnv(t, false)
	defer http.DefaultClient.CloseIdleConnections()
	for _, c := range []struct {
		opts []debughttp.Option
		want int
	}{
		{nil, http.StatusForbidden},
		{[]debughttp.Option{debughttp.AllowRemote()}, http.StatusOK},
	} {
		srv, err := debughttp.Listen("127.0.0.1:0", c.opts...)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("GET", "http://"+srv.Addr()+"/", nil)
		req.Host = "debug.example"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		srv.Close()
		if resp.StatusCode != c.want {
			t.Errorf("Listen with %d options answered Host debug.example with %s, want %d", len(c.opts), resp.Status, c.want)
		}
	}
}

// A dump shows at most ?limit= tasks of each loop, the oldest, and says how
// many it leaves out.
func TestServeLimit(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := startParkedLoop(t, 5) // and the main task: 6 tasks
	defer p.finish()
	srv := httptest.NewServer(debughttp.Handler())
	defer srv.Close()
	defer http.DefaultClient.CloseIdleConnections()
	for _, c := range []struct {
		query string
		code  int
		want  []string
		not   string
	}{
		{"?limit=2", 200, []string{"(running, 6 tasks", "Task-1 ", "└── Task-2 ", "(4 more tasks not shown)"}, "Task-3 "},
		{"?limit=0", 200, []string{"(running, 6 tasks", "(6 more tasks not shown)"}, "Task-1 "},
		{"?limit=6", 200, []string{"(running, 6 tasks", "└── Task-6 "}, "not shown"},
		{"?limit=all", 200, []string{"(running, 6 tasks", "└── Task-6 "}, "not shown"},
		{"?limit=-1", 400, []string{"debughttp: limit"}, "Task-1"},
		{"?limit=many", 400, []string{"debughttp: limit"}, "Task-1"},
	} {
		body, resp := get(t, srv.URL+"/"+c.query, "")
		ok := resp.StatusCode == c.code && !strings.Contains(body, c.not)
		for _, w := range c.want {
			ok = ok && strings.Contains(body, w)
		}
		if !ok {
			t.Errorf("%s: %s\n%s\nwant %d with %q, without %q", c.query, resp.Status, body, c.code, c.want, c.not)
		}
	}

	body, _ := get(t, srv.URL+"/?format=json&limit=2", "")
	info := loopInfo(t, body, p.loop)
	if info.Total != 6 || len(info.Tasks) != 2 || !info.Truncated {
		t.Errorf("JSON with limit=2: total %d, %d tasks, truncated %v; want 6, 2, true", info.Total, len(info.Tasks), info.Truncated)
	}
}

// Without ?limit=, a dump shows 10,000 tasks of each loop: a loop with a
// great many would otherwise be held up while they are all taken, and the
// dump would be too big to read.
func TestServeDefaultLimit(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := startParkedLoop(t, 10_005)
	defer p.finish()
	srv := httptest.NewServer(debughttp.Handler())
	defer srv.Close()
	defer http.DefaultClient.CloseIdleConnections()
	text, _ := get(t, srv.URL+"/", "")
	if !strings.Contains(text, "(running, 10006 tasks") || !strings.Contains(text, "(6 more tasks not shown)") {
		t.Errorf("text dump of 10,006 tasks does not say that 6 are not shown:\n%.300s\n…\n%s", text, text[max(0, len(text)-300):])
	}
	body, _ := get(t, srv.URL+"/?format=json", "")
	if info := loopInfo(t, body, p.loop); info.Total != 10006 || len(info.Tasks) != 10000 || !info.Truncated {
		t.Errorf("JSON: total %d, %d tasks, truncated %v; want 10006, 10000, true", info.Total, len(info.Tasks), info.Truncated)
	}
}

// loopInfo finds l in a JSON dump.
func loopInfo(t *testing.T, body string, l *asyncio.Loop) asyncio.LoopInfo {
	t.Helper()
	var infos []asyncio.LoopInfo
	if err := json.Unmarshal([]byte(body), &infos); err != nil {
		t.Fatalf("JSON dump: %v\n%.300s", err, body)
	}
	for _, info := range infos {
		if info.ID == l.ID() {
			return info
		}
	}
	t.Fatalf("loop %d missing from the JSON dump", l.ID())
	return asyncio.LoopInfo{}
}

// A request whose client goes away while the loop is held up is dropped and
// leaves nothing behind; the next request is answered.
func TestAbandonedRequest(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := startParkedLoop(t, 3)
	defer p.finish()
	entered := make(chan struct{}, 1)
	h := debughttp.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	defer http.DefaultClient.CloseIdleConnections()

	hold := make(chan struct{})
	p.loop.CallSoonThreadsafe(func() { <-hold })
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/", nil)
	errc := make(chan error)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	<-entered
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("abandoned request: %v", err)
	}
	close(hold)
	if text, _ := get(t, srv.URL+"/", ""); !strings.Contains(text, "(running, 4 tasks") {
		t.Errorf("the request after an abandoned one got\n%s", text)
	}
}
