package report

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/etcdpm/etcdpm/analysis"
)

// The browser harness: headless Chromium through chromedp, the report opened
// offline as a file:// page, and what the page did.

// chromium finds the browser: $ETCDPM_CHROMIUM, else chromium on PATH
// (Debian's package). Without one the test skips, except under CI=true,
// where it fails: CI must run it.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("ETCDPM_CHROMIUM"); p != "" {
		return p
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	const msg = "no chromium: install it (apt-get install chromium) or set ETCDPM_CHROMIUM"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// browserPage is a report opened in headless Chromium with every network
// request failed, and what the page did.
type browserPage struct {
	ctx context.Context
	url string

	mu       sync.Mutex
	requests []string // every request the page made (the report itself aside)
	problems []string // console errors and warnings, exceptions, log entries
	dialogs  []string // alert, confirm, prompt
	loadTime time.Duration
}

type openOpts struct {
	width, height int64
	bypassCSP     bool // prove the escaping holds without the CSP
}

// openReport writes html to a file and opens it as file://, offline, and
// waits for report.js to finish.
func openReport(t *testing.T, html []byte, o openOpts) *browserPage {
	t.Helper()
	exe := chromium(t)
	path := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(path, html, 0o644); err != nil {
		t.Fatal(err)
	}
	if o.width == 0 {
		o.width, o.height = 1280, 1000
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // tests run as root in containers
		chromedp.DisableGPU,
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(int(o.width), int(o.height)),
	)...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	p := &browserPage{ctx: ctx, url: "file://" + path}

	paused := make(chan *fetch.EventRequestPaused, 64)
	dialogs := make(chan struct{}, 8)
	err := chromedp.Listen(ctx, func(ev any) {
		p.mu.Lock()
		defer p.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			if ev.Request.URL != p.url {
				p.requests = append(p.requests, ev.Request.URL)
			}
		case *fetch.EventRequestPaused:
			select {
			case paused <- ev:
			default:
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				p.problems = append(p.problems, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			p.problems = append(p.problems, fmt.Sprintf("exception at %d:%d: %s", d.LineNumber, d.ColumnNumber, msg))
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError || ev.Entry.Level == cdplog.EntryLevelWarning {
				p.problems = append(p.problems, fmt.Sprintf("log %s/%s: %s %s", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL))
			}
		case *page.EventJavascriptDialogOpening:
			p.dialogs = append(p.dialogs, string(ev.Type)+": "+ev.Message)
			select {
			case dialogs <- struct{}{}:
			default:
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	// Fail every request but the report itself; dismiss every dialog.
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-paused:
				if ev.Request.URL == p.url {
					chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
					continue
				}
				p.mu.Lock()
				p.requests = append(p.requests, ev.Request.URL)
				p.mu.Unlock()
				chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonInternetDisconnected})
			case <-dialogs:
				chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}
		}
	}()

	steps := []func() error{
		func() error { _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); return err },
		func() error {
			_, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: true, DownloadThroughput: -1, UploadThroughput: -1})
			return err
		},
		func() error {
			_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
				MatchedNetworkConditions: []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}},
			})
			return err
		},
		func() error {
			_, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}})
			return err
		},
		func() error { _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); return err },
		func() error {
			_, err := chromedp.Call(ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: o.bypassCSP})
			return err
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("setting up the tab: %v", err)
		}
	}
	start := time.Now()
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(o.width, o.height),
		chromedp.Navigate(p.url),
	); err != nil {
		t.Fatalf("opening the report: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void]("window.etcdpmReady === true", chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		t.Fatalf("report.js did not finish: %v (problems: %q)", err, p.problems)
	}
	p.loadTime = time.Since(start)
	return p
}

// eval runs JavaScript in the page and decodes its result.
func eval[T any](t *testing.T, p *browserPage, js string) T {
	t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluating %.80q: %v", js, err)
	}
	return v
}

// checkClean fails the test if the page made a request, logged an error or
// a warning, threw, or opened a dialog.
func (p *browserPage) checkClean(t *testing.T) {
	t.Helper()
	// Give late events (a deferred request, an async error) a moment.
	time.Sleep(300 * time.Millisecond)
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.requests) > 0 {
		t.Errorf("the page made %d requests, want none: %q", len(p.requests), p.requests)
	}
	if len(p.problems) > 0 {
		t.Errorf("console problems: %q", p.problems)
	}
	if len(p.dialogs) > 0 {
		t.Errorf("dialogs opened: %q", p.dialogs)
	}
}

// screenshot saves the viewport as a PNG in the test's artifact directory
// (go test -artifacts keeps it), and, for docs, in the repository's docs/
// with -update.
func (p *browserPage) screenshot(t *testing.T, name string, docs bool) []byte {
	t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("screenshot is not a PNG")
	}
	dir := t.ArtifactDir()
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", filepath.Join(dir, name), len(png))
	if *update && docs {
		if err := os.WriteFile(filepath.Join("..", "docs", name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return png
}

// pointAt moves the mouse over chart id at time abs (Unix ms) and the
// middle of its height, and returns the readout's text.
func (p *browserPage) pointAt(t *testing.T, id string, abs float64) string {
	t.Helper()
	xy := eval[[]float64](t, p, fmt.Sprintf(`(() => {
		const el = document.getElementById(%q);
		const c = echarts.getInstanceByDom(el);
		const r = el.getBoundingClientRect();
		return [r.left + c.convertToPixel({xAxisIndex: 0}, %f), r.top + r.height / 2];
	})()`, id, abs))
	if err := chromedp.Do(p.ctx, chromedp.MouseEvent("mouseMoved", xy[0], xy[1])); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	return eval[string](t, p, "document.getElementById('readout').textContent")
}

func renderHTML(t testing.TB, res *analysis.Result, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := HTML(&buf, res, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
