package main

// The dashboard and the monitor in a real browser: headless Chromium
// driven over the DevTools protocol (chromedp), against `run` with a kettle
// sale behind it. Screenshots of each page go to the test's artifact
// directory (kept with `go test -artifacts`), their paths logged.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/backorderd/backorderd/api"
	"github.com/backorderd/backorderd/jobs"
)

// chromium finds the browser: Debian's chromium, or CHROMIUM_PATH. In CI a
// missing browser fails the test; elsewhere it skips.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	needTool(t, "chromium (apt-get install chromium)")
	return ""
}

// browser is one headless Chromium for the test, and where its
// screenshots go.
type browser struct {
	t   *testing.T
	ctx context.Context
	dir string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path),
		chromedp.NoSandbox, // root in a container
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	// Start the browser and its tab on this context: the steps' shorter
	// contexts must not own them.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	b := &browser{t: t, ctx: ctx, dir: t.ArtifactDir()}
	t.Logf("browser %s; screenshots in %s", path, b.dir)
	return b
}

// stepTimeout bounds each step: a page that never shows what a step waits
// for fails the step, not the whole test at its deadline.
const stepTimeout = 30 * time.Second

// do runs the steps, failing the test with what it was doing (and a
// screenshot of where it stopped).
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		b.t.Fatalf("%s: %v", what, err)
	}
}

// read runs one action that returns a value.
func read[T any](b *browser, what string, action chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		b.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// text is the visible text of the element sel selects.
func (b *browser) text(sel chromedp.CSS) string {
	b.t.Helper()
	return read(b, "read "+string(sel), chromedp.Text(sel))
}

// shot saves the whole page as name.png.
func (b *browser) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(path, png, 0o600); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

// queueRow reads the monitor's row of a queue as heading → cell text.
const queueRow = `(() => {
	for (const table of document.querySelectorAll("table")) {
		const heads = [...table.querySelectorAll("thead th")].map(th => th.innerText.trim());
		for (const row of table.querySelectorAll("tbody tr")) {
			const cells = [...row.querySelectorAll("th, td")].map(c => c.innerText.trim());
			if (cells[0] === %q) {
				const out = {};
				heads.forEach((h, i) => { out[h] = cells[i]; });
				return out;
			}
		}
	}
	return null;
})()`

func TestInABrowserTheMerchantLogsInSeesTheSaleActsOnABackorderAndTheOperatorSeesTheQueues(t *testing.T) {
	b := newBrowser(t)
	t.Chdir(t.TempDir())
	inspector, redisAt := testRedis(t)
	p, sale := startSale(t, map[string]string{"REDIS_URL": redisAt})
	// Over the last week, so that the demand chart draws them.
	sale.start, sale.every = time.Now().Add(-7*24*time.Hour), 20*time.Hour
	sale.orders(1, 8)
	sale.waitApplied(8) // 16 kettles ordered, 9 in stock: 7 wait, over orders 5 to 8
	base := "http://" + p.addr

	// The dashboard sends a browser without a session to the login.
	b.do("open the dashboard", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("password")))
	if url := read(b, "location", chromedp.Location()); !strings.HasPrefix(url, base+"/login?next=") {
		t.Fatalf("without a session the dashboard went to %s, want the login", url)
	}
	b.shot("login")
	b.do("log in",
		chromedp.SendKeys(chromedp.ID("password"), monitorToken),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.ID("units-waiting")))
	units, item := b.text("#units-waiting"), b.text("#items tbody tr:first-child")
	if units != "7" || !strings.Contains(item, kettleSKU) || !strings.Contains(item, "\t4\t") {
		t.Errorf("dashboard shows %s units waiting and the first item %q, want 7, and the kettle with its 4 orders", units, item)
	}
	if chart := b.text(".chart figcaption"); !strings.Contains(chart, "16 units ordered over the last 30 days, 7 of them backordered") {
		t.Errorf("the demand chart says %q, want the sale's 16 kettles, 7 backordered", chart)
	}
	b.shot("dashboard")

	// On a phone the page fits the screen's width: wide tables scroll
	// inside their box, not the page.
	b.do("view on a phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.ID("units-waiting")))
	if !read(b, "measure", chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`)) {
		t.Error("on a 390 px wide phone the dashboard is wider than the screen")
	}
	b.shot("dashboard-phone")
	b.do("back to a laptop", chromedp.EmulateViewport(1280, 900), chromedp.Reload(),
		chromedp.WaitVisible(chromedp.ID("units-waiting")))

	// The operator's monitor takes the same login, and shows the intake
	// queue with the counts Redis holds.
	info, err := inspector.GetQueueInfo(jobs.QueueIntake)
	if err != nil {
		t.Fatal(err)
	}
	b.do("open the monitor", chromedp.Navigate(base+"/monitor/"))
	row := read(b, "find the intake queue", chromedp.Poll[map[string]string](fmt.Sprintf(queueRow, jobs.QueueIntake),
		chromedp.WithPollingTimeout(30*time.Second)))
	b.shot("monitor-queues")
	if row["Size"] != strconv.Itoa(info.Size) || row["Processed"] != strconv.Itoa(info.Processed) || info.Processed < 10 {
		t.Errorf("the monitor's intake row = %v, want size %d and %d processed (Redis), at least the 10 deliveries",
			row, info.Size, info.Processed)
	}

	// From the item to its newest backorder, and cancel it.
	b.do("open the kettle's backorders",
		chromedp.Navigate(base+"/"),
		chromedp.Click(chromedp.CSS(`#items a[href^="/backorders?"]`)),
		chromedp.WaitVisible(chromedp.ID("backorders")))
	b.shot("backorders")
	b.do("open the newest backorder",
		chromedp.Click(chromedp.CSS(`#backorders tbody tr:first-child a`)),
		chromedp.WaitVisible(chromedp.ID("status")))
	if status, h1 := b.text("#status"), b.text("h1"); status != "waiting" || !strings.Contains(h1, "#S8") {
		t.Fatalf("the newest backorder = %q, %q, want order #S8 waiting", h1, status)
	}
	b.shot("backorder")
	b.do("serve it first",
		chromedp.SendKeys(chromedp.ID("first-reason"), "Their wedding is on Saturday."),
		chromedp.Submit(chromedp.ID("first-reason")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	if flash, trail := b.text(".flash"), b.text("#trail"); !strings.Contains(flash, "Moved to the front") ||
		!strings.Contains(trail, "prioritized") || !strings.Contains(trail, "Their wedding is on Saturday.") {
		t.Errorf("after serving it first: %q, trail:\n%s\nwant it said, and the reason in the trail", flash, trail)
	}
	b.do("cancel it",
		chromedp.SendKeys(chromedp.ID("reason"), "Out of copper until spring; refunded in full."),
		chromedp.Submit(chromedp.ID("reason")),
		// The page before had a flash too: wait for the cancelled one.
		chromedp.WaitVisible(chromedp.CSS("#status.st-cancelled")))
	b.shot("backorder-cancelled")
	if status, waiting, trail := b.text("#status"), b.text("#waiting"), b.text("#trail"); status != "cancelled" ||
		waiting != "0" || !strings.Contains(trail, "Out of copper until spring") {
		t.Errorf("after cancelling: status %q, waiting %q, trail:\n%s\nwant cancelled, none waiting, the reason in the trail",
			status, waiting, trail)
	}

	// Its two units went to the next in line: once the kettle's reconcile
	// ran, five wait.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		b.do("reload the dashboard", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("units-waiting")))
		units = b.text("#units-waiting")
		if units == "5" {
			break
		}
		if time.Now().After(deadline) {
			b.shot("dashboard-after-cancel")
			t.Fatalf("after cancelling 2 of 7, the dashboard shows %s units waiting, want 5", units)
		}
	}
	b.shot("dashboard-after-cancel")

	// Log out: the browser is back at the login, and a copy of its cookie
	// taken before opens nothing.
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	jar, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/"}})
	if err != nil {
		t.Fatal(err)
	}
	var copied *http.Cookie
	for _, c := range jar.Cookies {
		if c.Name == api.SessionCookie {
			copied = &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	if copied == nil {
		t.Fatalf("the browser holds no %s cookie: %v", api.SessionCookie, jar.Cookies)
	}
	b.do("log out", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.ID("password")))
	b.shot("logged-out")
	for _, path := range []string{"/", "/api/v1/backorders"} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		req.AddCookie(copied)
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s with a copy of the logged-out cookie = %d, want 401", path, res.StatusCode)
		}
	}
}
