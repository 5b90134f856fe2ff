// Package proxy is a TCP proxy for one etcd member's peer port that can cut the member off the
// network: it learns which member opened a connection from the X-Server-From header that
// rafthttp puts on its stream, pipeline and snapshot requests, and closes what it is told to cut.
package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// DialTimeout bounds how long the proxy waits to reach its target for one accepted connection.
const DialTimeout = 2 * time.Second

// maxHeader is the largest request header block the proxy inspects. rafthttp's headers take well
// under 1 KiB; a connection with a larger header is spliced without being classified.
const maxHeader = 8 << 10

// Proxy forwards every connection accepted on its listener to a target address. Connections
// start unclassified; the proxy reads each HTTP request header the client sends until one carries
// X-Server-From, records that sender, and from then on splices bytes without looking at them.
// Responses (target to client) are always spliced untouched.
//
// A Proxy is safe for concurrent use.
type Proxy struct {
	addr   string // listening address, kept across Down and Up
	target string

	mu       sync.Mutex
	ln       net.Listener        // nil while down
	cutAll   bool                // refuse and cut every connection (the member behind is isolated)
	cutFrom  map[uint64]struct{} // refuse and cut connections whose sender is one of these
	conns    map[*conn]struct{}
	closed   bool
	handlers sync.WaitGroup
}

// conn is one proxied client connection and its connection to the target.
type conn struct {
	client, server net.Conn
	sender         uint64 // 0 until a request carried X-Server-From; guarded by Proxy.mu
}

func (c *conn) close() {
	c.client.Close()
	c.server.Close()
}

// Listen starts a proxy listening on addr (e.g. "127.0.0.1:0") that forwards to target.
func Listen(addr, target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("proxy listen %s: %w", addr, err)
	}
	p := &Proxy{
		addr:    ln.Addr().String(),
		target:  target,
		ln:      ln,
		cutFrom: make(map[uint64]struct{}),
		conns:   make(map[*conn]struct{}),
	}
	p.handlers.Add(1)
	go p.accept(ln)
	return p, nil
}

// Addr is the proxy's listening address as host:port, also while it is down.
func (p *Proxy) Addr() string { return p.addr }

// Down makes the proxy look like a stopped member: it stops listening, so that dials are refused
// ("connection refused", not a connection that closes at once), and closes every connection.
// Cuts are kept. Down on a proxy that is down does nothing.
func (p *Proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.close()
	}
}

// Up listens again on the proxy's address after Down. Up on a proxy that is up does nothing.
func (p *Proxy) Up() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("proxy is closed")
	}
	if p.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return fmt.Errorf("proxy listen %s again: %w", p.addr, err)
	}
	p.ln = ln
	p.handlers.Add(1)
	go p.accept(ln)
	return nil
}

// Target is the address the proxy forwards to.
func (p *Proxy) Target() string { return p.target }

// CutAll closes every open connection and refuses new ones until Heal: nothing reaches the target.
func (p *Proxy) CutAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutAll = true
	for c := range p.conns {
		c.close()
	}
}

// CutFrom closes the open connections whose sender is the member with this raft ID and refuses
// that sender's new connections until Heal. Connections whose sender is not yet known are cut as
// soon as one of their requests names the sender.
func (p *Proxy) CutFrom(senderID uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutFrom[senderID] = struct{}{}
	for c := range p.conns {
		if c.sender == senderID {
			c.close()
		}
	}
}

// Heal lifts every cut: new connections are forwarded again. Closed connections stay closed;
// etcd redials them.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutAll = false
	clear(p.cutFrom)
}

// Close stops accepting, closes every connection and waits for the proxy's goroutines to end.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	var err error
	if p.ln != nil {
		err = p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.close()
	}
	p.mu.Unlock()
	p.handlers.Wait()
	return err
}

// isCutLocked reports whether a connection from sender (0: unknown) must not pass: the proxy is
// closed, down, cut off entirely, or cuts that sender. p.mu is held.
func (p *Proxy) isCutLocked(sender uint64) bool {
	if p.cutAll || p.closed || p.ln == nil {
		return true
	}
	if sender == 0 {
		return false
	}
	_, cut := p.cutFrom[sender]
	return cut
}

// accept serves one listener until it is closed.
func (p *Proxy) accept(ln net.Listener) {
	defer p.handlers.Done()
	for {
		client, err := ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil { // e.g. out of file descriptors: back off, keep serving
			time.Sleep(10 * time.Millisecond)
			continue
		}
		p.handlers.Add(1)
		go p.handle(client)
	}
}

func (p *Proxy) handle(client net.Conn) {
	defer p.handlers.Done()
	p.mu.Lock()
	refuse := p.isCutLocked(0)
	p.mu.Unlock()
	if refuse {
		client.Close()
		return
	}
	server, err := net.DialTimeout("tcp", p.target, DialTimeout)
	if err != nil {
		client.Close() // the member is down: the client sees the refusal it would see without us
		return
	}
	c := &conn{client: client, server: server}
	p.mu.Lock()
	if p.isCutLocked(0) { // cut while we were dialing
		p.mu.Unlock()
		c.close()
		return
	}
	p.conns[c] = struct{}{}
	p.mu.Unlock()

	done := make(chan struct{})
	go func() {
		io.Copy(client, server) // splices on Linux
		c.close()
		close(done)
	}()
	p.forwardRequests(c)
	c.close()
	<-done

	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, maxHeader) }}

// forwardRequests copies client to server. It inspects request headers until one names the
// sender, then copies the rest of the stream unexamined. It returns when either side closes.
func (p *Proxy) forwardRequests(c *conn) {
	r := readerPool.Get().(*bufio.Reader)
	r.Reset(c.client)
	defer func() {
		r.Reset(nil)
		readerPool.Put(r)
	}()
	for {
		header, err := peekHeader(r)
		if err != nil {
			if errors.Is(err, errHeaderTooLarge) {
				break // cannot classify; pass it on as is
			}
			return
		}
		h := parseHeader(header)
		if h.sender != 0 {
			p.mu.Lock()
			c.sender = h.sender
			cut := p.isCutLocked(h.sender)
			p.mu.Unlock()
			if cut {
				return
			}
			break
		}
		if h.chunked || h.contentLength < 0 {
			break // body framing we do not follow; stop classifying
		}
		if _, err := io.CopyN(c.server, r, int64(len(header))+h.contentLength); err != nil {
			return
		}
	}
	r.WriteTo(c.server) // buffered bytes, then the rest of the connection
}

var errHeaderTooLarge = errors.New("request header larger than the proxy inspects")

// peekHeader returns the next request's header block, up to and including the blank line,
// without consuming it.
func peekHeader(r *bufio.Reader) ([]byte, error) {
	for {
		buf, _ := r.Peek(r.Buffered())
		if i := bytes.Index(buf, []byte("\r\n\r\n")); i >= 0 {
			return buf[:i+4], nil
		}
		if _, err := r.Peek(len(buf) + 1); err != nil { // wait for more bytes
			if errors.Is(err, bufio.ErrBufferFull) {
				return nil, errHeaderTooLarge
			}
			return nil, err
		}
	}
}

// requestHeader is what the proxy needs from one request header.
type requestHeader struct {
	sender        uint64 // X-Server-From as a raft ID; 0 when absent or malformed
	contentLength int64  // -1 when malformed
	chunked       bool
}

// parseHeader reads the fields the proxy needs from a request header block (request line,
// header lines, blank line). It does not allocate.
func parseHeader(block []byte) requestHeader {
	var h requestHeader
	_, rest, _ := bytes.Cut(block, []byte("\r\n")) // skip the request line
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("X-Server-From")):
			if id, ok := parseUint(value, 16); ok {
				h.sender = id
			}
		case bytes.EqualFold(name, []byte("Content-Length")):
			h.contentLength = -1
			if n, ok := parseUint(value, 10); ok && n <= 1<<62 {
				h.contentLength = int64(n)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			h.chunked = !bytes.EqualFold(value, []byte("identity"))
		}
	}
	return h
}

// parseUint parses an unsigned number in base 10 or 16 (either case) without allocating.
func parseUint(b []byte, base uint64) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		var d uint64
		switch {
		case '0' <= c && c <= '9':
			d = uint64(c - '0')
		case 'a' <= c && c <= 'f':
			d = uint64(c-'a') + 10
		case 'A' <= c && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return 0, false
		}
		if d >= base || n > (^uint64(0)-d)/base {
			return 0, false
		}
		n = n*base + d
	}
	return n, true
}
