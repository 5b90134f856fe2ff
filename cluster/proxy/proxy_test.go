package proxy

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"
)

// backend is an HTTP server standing in for an etcd peer listener: /stream answers with a
// never-ending body (a rafthttp stream), everything else echoes the method, sender and body.
func backend(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stream" {
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			for {
				select {
				case <-r.Context().Done():
					return
				case <-time.After(10 * time.Millisecond):
					if _, err := io.WriteString(w, "tick\n"); err != nil {
						return
					}
					w.(http.Flusher).Flush()
				}
			}
		}
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s from=%s body=%s", r.Method, r.Header.Get("X-Server-From"), body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func startProxy(t *testing.T, target string) *Proxy {
	t.Helper()
	p, err := Listen("127.0.0.1:0", target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// rawConn is one client TCP connection on which the test writes requests by hand, so that it
// controls which requests share a connection.
type rawConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, p *Proxy) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c, r: bufio.NewReader(c)}
}

// do sends one request and returns the response body, or an error when the connection is cut.
func (rc *rawConn) do(method, path, sender, body string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: peer\r\n", method, path)
	if sender != "" {
		fmt.Fprintf(&b, "X-Server-From: %s\r\n", sender)
	}
	if body != "" {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n" + body)
	rc.c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(rc.c, b.String()); err != nil {
		return "", err
	}
	if path == "/stream" { // read the raw response up to the first streamed line
		for {
			line, err := rc.r.ReadString('\n')
			if err != nil || line == "tick\n" {
				return line, err
			}
		}
	}
	req, _ := http.NewRequest(method, "http://peer"+path, nil)
	resp, err := http.ReadResponse(rc.r, req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	return string(got), err
}

// readsUntilCut reports whether reading from a stream connection fails within a second.
func (rc *rawConn) readsUntilCut() bool {
	rc.c.SetReadDeadline(time.Now().Add(time.Second))
	buf := make([]byte, 512)
	for {
		if _, err := rc.r.Read(buf); err != nil {
			ne, ok := err.(net.Error)
			return !ok || !ne.Timeout()
		}
	}
}

func TestForwardsKeepAliveRequestsAndBodies(t *testing.T) {
	p := startProxy(t, backend(t).Listener.Addr().String())
	rc := dial(t, p)
	for _, tc := range []struct{ method, sender, body, want string }{
		{"GET", "", "", "GET from= body="},
		{"POST", "", "hello", "POST from= body=hello"},
		{"POST", "abc", "msg", "POST from=abc body=msg"},
		{"POST", "abc", "more", "POST from=abc body=more"},
	} {
		got, err := rc.do(tc.method, "/raft", tc.sender, tc.body)
		if err != nil || got != tc.want {
			t.Fatalf("%s sender=%q: got %q, %v; want %q", tc.method, tc.sender, got, err, tc.want)
		}
	}
}

func TestCutFromClosesOnlyThatSender(t *testing.T) {
	p := startProxy(t, backend(t).Listener.Addr().String())
	fromA, fromB := dial(t, p), dial(t, p)
	if _, err := fromA.do("GET", "/stream", "a1", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := fromB.do("GET", "/stream", "b2", ""); err != nil {
		t.Fatal(err)
	}
	unknown := dial(t, p)
	if _, err := unknown.do("GET", "/probe", "", ""); err != nil {
		t.Fatal(err)
	}

	p.CutFrom(0xa1)
	if !fromA.readsUntilCut() {
		t.Error("stream from a1 still open after CutFrom(a1)")
	}
	if fromB.readsUntilCut() {
		t.Error("stream from b2 cut by CutFrom(a1)")
	}
	if _, err := dial(t, p).do("POST", "/raft", "a1", "x"); err == nil {
		t.Error("new connection from a1 forwarded while cut")
	}
	if _, err := dial(t, p).do("POST", "/raft", "B2", "x"); err != nil { // IDs are hex, any case
		t.Errorf("new connection from b2 refused: %v", err)
	}
	// A connection opened by an anonymous probe is cut once a request on it names a1.
	if _, err := unknown.do("GET", "/probe", "", ""); err != nil {
		t.Fatalf("anonymous request refused: %v", err)
	}
	if _, err := unknown.do("POST", "/raft", "a1", "x"); err == nil {
		t.Error("request naming a1 forwarded on a reused connection while a1 is cut")
	}

	p.Heal()
	if got, err := dial(t, p).do("POST", "/raft", "a1", "x"); err != nil || got != "POST from=a1 body=x" {
		t.Errorf("after Heal: got %q, %v", got, err)
	}
}

func TestCutAllRefusesEverythingUntilHeal(t *testing.T) {
	p := startProxy(t, backend(t).Listener.Addr().String())
	stream := dial(t, p)
	if _, err := stream.do("GET", "/stream", "a1", ""); err != nil {
		t.Fatal(err)
	}
	idle := dial(t, p)
	if _, err := idle.do("GET", "/probe", "", ""); err != nil {
		t.Fatal(err)
	}

	p.CutAll()
	if !stream.readsUntilCut() {
		t.Error("stream still open after CutAll")
	}
	if !idle.readsUntilCut() {
		t.Error("idle anonymous connection still open after CutAll")
	}
	if _, err := dial(t, p).do("GET", "/probe", "", ""); err == nil {
		t.Error("new connection forwarded after CutAll")
	}

	p.Heal()
	if _, err := dial(t, p).do("GET", "/probe", "", ""); err != nil {
		t.Errorf("after Heal: %v", err)
	}
}

func TestDownRefusesDialsUntilUp(t *testing.T) {
	p := startProxy(t, backend(t).Listener.Addr().String())
	addr := p.Addr()
	stream := dial(t, p)
	if _, err := stream.do("GET", "/stream", "a1", ""); err != nil {
		t.Fatal(err)
	}

	p.Down()
	p.Down() // idempotent
	if !stream.readsUntilCut() {
		t.Error("stream still open after Down")
	}
	if c, err := net.Dial("tcp", addr); !errors.Is(err, syscall.ECONNREFUSED) {
		if c != nil {
			c.Close()
		}
		t.Fatalf("dial while down: %v, want connection refused", err)
	}

	if err := p.Up(); err != nil {
		t.Fatal(err)
	}
	if err := p.Up(); err != nil { // idempotent
		t.Fatal(err)
	}
	if p.Addr() != addr {
		t.Errorf("Addr() = %s after Up, want %s", p.Addr(), addr)
	}
	if got, err := dial(t, p).do("POST", "/raft", "a1", "x"); err != nil || got != "POST from=a1 body=x" {
		t.Errorf("after Up: got %q, %v", got, err)
	}
}

func TestCloseEndsConnections(t *testing.T) {
	p := startProxy(t, backend(t).Listener.Addr().String())
	stream := dial(t, p)
	if _, err := stream.do("GET", "/stream", "a1", ""); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return with a stream open")
	}
	if !stream.readsUntilCut() {
		t.Error("stream open after Close")
	}
}

func TestParseHeader(t *testing.T) {
	for _, tc := range []struct {
		block string
		want  requestHeader
	}{
		{"GET /raft/probing HTTP/1.1\r\nHost: x\r\n\r\n", requestHeader{}},
		{"GET /raft/stream/message/a1 HTTP/1.1\r\nX-Server-From: 6291d99b6e411a8b\r\nX-Raft-To: a1\r\n\r\n",
			requestHeader{sender: 0x6291d99b6e411a8b}},
		{"POST /raft HTTP/1.1\r\nx-server-from:a1\r\ncontent-length: 12\r\n\r\n", requestHeader{sender: 0xa1, contentLength: 12}},
		{"POST /raft/snapshot HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", requestHeader{chunked: true}},
		{"POST / HTTP/1.1\r\nContent-Length: -3\r\nX-Server-From: zz\r\n\r\n", requestHeader{contentLength: -1}},
		{"POST / HTTP/1.1\r\nX-Server-From: 1ffffffffffffffff\r\n\r\n", requestHeader{}}, // overflows uint64
	} {
		if got := parseHeader([]byte(tc.block)); got != tc.want {
			t.Errorf("parseHeader(%q) = %+v, want %+v", tc.block, got, tc.want)
		}
	}
}

func TestParseHeaderDoesNotAllocate(t *testing.T) {
	block := []byte("POST /raft HTTP/1.1\r\nHost: 127.0.0.1:2380\r\nContent-Length: 120\r\nContent-Type: application/protobuf\r\n" +
		"X-Etcd-Cluster-Id: c0a2f96dbf3f1c52\r\nX-Server-From: 6291d99b6e411a8b\r\nX-Server-Version: 3.6.16\r\n\r\n")
	if n := testing.AllocsPerRun(100, func() { parseHeader(block) }); n != 0 {
		t.Errorf("parseHeader allocates %v times per call", n)
	}
}
