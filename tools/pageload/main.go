// Command pageload opens an HTML report in Chromium, offline, and says how long it took:
// to the page's load event, and until the report's charts are drawn (report.js sets
// window.etcdpmReady once ECharts has rendered them; two animation frames later they are on
// screen). For scripts/bench.sh.
//
//	go run ./tools/pageload [--chromium PATH] [--runs 3] report.html
//
// It prints one line per run and a last line "best load_ms=N ready_ms=N". The browser starts
// before the clock does; each run opens the file in a new tab.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "pageload: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	exe := flag.String("chromium", "", "Chromium binary (default: chromium, chromium-browser or google-chrome on PATH)")
	runs := flag.Int("runs", 3, "times to open the page")
	timeout := flag.Duration("timeout", 2*time.Minute, "give up on a run after this long")
	flag.Parse()
	if flag.NArg() != 1 {
		return errors.New("usage: pageload [--chromium PATH] [--runs N] report.html")
	}
	path, err := filepath.Abs(flag.Arg(0))
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err != nil {
		return err
	}
	if *exe == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				*exe = p
				break
			}
		}
		if *exe == "" {
			return errors.New("no chromium on PATH (Debian: apt-get install chromium)")
		}
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(*exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 1000),
	)...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil {
		return fmt.Errorf("starting %s: %w", *exe, err)
	}
	best := [2]time.Duration{-1, -1}
	for i := range *runs {
		load, ready, err := open(browser, "file://"+path, *timeout)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		fmt.Printf("run %d load_ms=%d ready_ms=%d\n", i+1, load.Milliseconds(), ready.Milliseconds())
		if best[1] < 0 || ready < best[1] {
			best = [2]time.Duration{load, ready}
		}
	}
	fmt.Printf("best load_ms=%d ready_ms=%d\n", best[0].Milliseconds(), best[1].Milliseconds())
	return nil
}

// open loads url in a new tab with the network off and returns the time to the load event and
// to the charts drawn.
func open(browser context.Context, url string, timeout time.Duration) (load, ready time.Duration, err error) {
	tab, cancel := chromedp.NewContext(browser)
	defer cancel()
	tab, cancelTimeout := context.WithTimeout(tab, timeout)
	defer cancelTimeout()
	if err := chromedp.Do(tab); err != nil {
		return 0, 0, err
	}
	var mu sync.Mutex
	var start, loaded time.Time
	var blocked []string
	paused := make(chan *fetch.EventRequestPaused, 64)
	if err := chromedp.Listen(tab, func(ev any) {
		switch ev := ev.(type) {
		case *page.EventLoadEventFired:
			mu.Lock()
			if loaded.IsZero() {
				loaded = time.Now()
			}
			mu.Unlock()
		case *fetch.EventRequestPaused:
			paused <- ev
		}
	}); err != nil {
		return 0, 0, err
	}
	go func() { // the page itself is let through; anything else fails as if offline
		for {
			select {
			case <-tab.Done():
				return
			case ev := <-paused:
				if ev.Request.URL == url {
					chromedp.Call(tab, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
					continue
				}
				mu.Lock()
				blocked = append(blocked, ev.Request.URL)
				mu.Unlock()
				chromedp.Call(tab, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonInternetDisconnected})
			}
		}
	}()
	for _, step := range []func() error{
		func() error { _, err := chromedp.Call(tab, page.Enable, page.EnableParams{}); return err },
		func() error { _, err := chromedp.Call(tab, network.Enable, network.EnableParams{}); return err },
		func() error {
			_, err := chromedp.Call(tab, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
				MatchedNetworkConditions: []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}},
			})
			return err
		},
		func() error {
			_, err := chromedp.Call(tab, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}})
			return err
		},
	} {
		if err := step(); err != nil {
			return 0, 0, fmt.Errorf("setting up the tab: %w", err)
		}
	}
	start = time.Now()
	if err := chromedp.Do(tab, chromedp.Navigate(url)); err != nil {
		return 0, 0, fmt.Errorf("opening %s: %w", url, err)
	}
	if _, err := chromedp.Run(tab, chromedp.Poll[chromedp.Void](`window.etcdpmReady === true`, chromedp.WithPollingTimeout(timeout))); err != nil {
		return 0, 0, fmt.Errorf("report.js did not finish: %w", err)
	}
	const painted = `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](painted, chromedp.EvalAwaitPromise)); err != nil {
		return 0, 0, fmt.Errorf("waiting for the charts to be painted: %w", err)
	}
	ready = time.Since(start)
	mu.Lock()
	defer mu.Unlock()
	if loaded.IsZero() {
		loaded = time.Now()
	}
	if len(blocked) > 0 {
		fmt.Fprintf(os.Stderr, "pageload: blocked %d requests (the report must not fetch anything), e.g. %s\n", len(blocked), blocked[0])
	}
	return loaded.Sub(start), ready, nil
}
