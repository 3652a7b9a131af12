package desktop

import (
	"encoding/json"
	"html"
	"net/http"
	"strings"
)

// EventPrefix starts the names of the window events the page sends to the shell.
const EventPrefix = "perch:"

// loaderHTML is the only page the Wails asset server serves: it sends the window on to the
// Perch server, so the UI runs with the server's origin exactly as in a browser (relative
// URLs, SSE, the Host/Origin checks) and no data crosses the Wails bridge. The hash is kept so
// a route asked for before the load (Settings) survives.
const loaderHTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>Perch</title>
<meta name="color-scheme" content="light dark">
<style>html,body{height:100%;margin:0}body{display:grid;place-items:center;font:13px system-ui,sans-serif;color:#888}</style>
</head><body><p>Starting Perch…</p>
<script>location.replace(%s + location.hash)</script>
<noscript><a href="%s">Open Perch</a></noscript>
</body></html>`

// LoaderHandler serves the loader page for serverURL (http://127.0.0.1:11435).
func LoaderHandler(serverURL string) http.Handler {
	js, _ := json.Marshal(strings.TrimSuffix(serverURL, "/") + "/") // a string always marshals
	// json.Marshal escapes <, > and & so the URL cannot end the script element.
	page := strings.Replace(loaderHTML, "%s", string(js), 1)
	page = strings.Replace(page, "%s", html.EscapeString(serverURL), 1)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(page))
	})
}

// ShimJS is run in the page after every load. It gives the UI window management and nothing
// else, through the WebView's script-message handler that Wails registers ("external"; on
// Windows chrome.webview), with Wails' event message format ("EE" + JSON). The UI uses:
//
//	window.perchDesktop?.detach()  // make the popover a normal resizable window
//	window.perchDesktop?.attach()  // back to the popover under the tray icon
//	window.perchDesktop?.hide()    // hide the window
//
// window.perchDesktop exists only inside the desktop window (the UI hides its detach control
// elsewhere); a "perchdesktop" event is dispatched on window when it appears, since the
// script runs after the page's own. The script also reports focus loss, Esc (unless the UI
// called preventDefault on it, e.g. to close a dialog), page visibility, and opens links to
// other origins in the default browser instead of navigating the window away from the UI.
// While a file chooser is open the window keeps itself shown.
const ShimJS = `(() => {
  if (window.perchDesktop) return;
  const post = (name, arg) => {
    const msg = 'EE' + JSON.stringify({name: 'perch:' + name, data: arg === undefined ? [] : [String(arg)]});
    const wk = window.webkit && window.webkit.messageHandlers && window.webkit.messageHandlers.external;
    if (wk) wk.postMessage(msg);
    else if (window.chrome && window.chrome.webview) window.chrome.webview.postMessage(msg);
  };
  let choosingFile = false;
  window.perchDesktop = Object.freeze({
    detach: () => post('detach'),
    attach: () => post('attach'),
    hide: () => post('hide'),
  });
  // Esc hides on release, not press: a window hidden on the press never sees the release,
  // and WebKit then takes the next press, shown again, for a held key (a repeat).
  let escArmed = false;
  window.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !e.repeat) escArmed = !e.defaultPrevented && !e.isComposing;
  });
  window.addEventListener('keyup', (e) => {
    if (e.key === 'Escape' && escArmed) { escArmed = false; post('escape'); }
  });
  window.addEventListener('blur', () => { if (!choosingFile) post('blur'); });
  window.addEventListener('focus', () => { choosingFile = false; });
  document.addEventListener('visibilitychange', () => post(document.visibilityState === 'hidden' ? 'hidden' : 'visible'));
  document.addEventListener('click', (e) => {
    const t = e.target instanceof Element ? e.target : null;
    if (!t) return;
    if (t.closest('input[type=file]')) { choosingFile = true; return; }
    const a = t.closest('a[href]');
    if (!a || e.defaultPrevented) return;
    const u = new URL(a.href, location.href);
    if (u.origin !== location.origin && (u.protocol === 'http:' || u.protocol === 'https:')) {
      e.preventDefault();
      post('open', u.href);
    }
  }, true);
  window.dispatchEvent(new Event('perchdesktop'));
  post('ready', location.origin);
})();`

// SelfTestJS streams a short chat answer from the server inside the window, the way the UI
// does (fetch + SSE), then detaches and attaches the window, and reports what arrived and the
// window's sizes as a "selftest" event. It runs once, when the
// window is first shown, and only when PERCH_DESKTOP_SELFTEST names a model (the desktop test
// sets it).
func SelfTestJS(model string) string {
	m, _ := json.Marshal(model)
	return `(async () => {
  const post = (arg) => {
    const msg = 'EE' + JSON.stringify({name: 'perch:selftest', data: [arg]});
    const wk = window.webkit && window.webkit.messageHandlers && window.webkit.messageHandlers.external;
    if (wk) wk.postMessage(msg); else if (window.chrome && window.chrome.webview) window.chrome.webview.postMessage(msg);
  };
  if (location.protocol !== 'http:' && location.protocol !== 'https:') {
    post(JSON.stringify({ok: false, error: 'the UI has not loaded yet: ' + location.href}));
    return;
  }
  const t0 = performance.now();
  let first = 0, reads = 0, events = 0, text = '', buf = '';
  try {
    const r = await fetch('/v1/chat/completions', {method: 'POST', headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({model: ` + string(m) + `, stream: true, max_tokens: 24, temperature: 0,
        messages: [{role: 'user', content: 'Once upon a time'}]})});
    const rd = r.body.getReader(), dec = new TextDecoder();
    for (;;) {
      const {done, value} = await rd.read();
      if (done) break;
      reads++;
      if (!first) first = performance.now() - t0;
      buf += dec.decode(value, {stream: true});
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const ev = buf.slice(0, i); buf = buf.slice(i + 2);
        if (!ev.startsWith('data: ') || ev === 'data: [DONE]') continue;
        events++;
        try { text += JSON.parse(ev.slice(6)).choices[0].delta.content || ''; } catch (e) {}
      }
    }
    const result = {ok: r.ok, status: r.status, origin: location.origin, type: r.headers.get('content-type'),
      events, reads, firstChunkMs: Math.round(first), totalMs: Math.round(performance.now() - t0), text: text.slice(0, 60)};
    // Detach and attach again, as the UI's control does; report the window's size in each.
    const size = () => innerWidth + 'x' + innerHeight;
    // Wait for the resize (up to 5 s on a busy machine), then let it settle.
    const settle = () => new Promise((ok) => {
      const done = () => setTimeout(ok, 300);
      const t = setTimeout(done, 5000);
      addEventListener('resize', () => { clearTimeout(t); done(); }, {once: true});
    });
    result.popover = size();
    window.perchDesktop.detach();
    await settle();
    result.detached = size();
    window.perchDesktop.attach();
    await settle();
    result.attached = size();
    post(JSON.stringify(result));
  } catch (e) {
    post(JSON.stringify({ok: false, error: String(e)}));
  }
})();`
}
