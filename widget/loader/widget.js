/*! Ringlink loader: draws the call bubble at once in a Shadow DOM; loads the app when the
 visitor reaches for it. No cookies, no storage until then. Tag:
 <script src="https://RELAY/widget/widget.js" data-site="KEY" async></script>
 Options: data-lang="zh|en" data-position="right|left" data-z-index="N" data-tel="enhance".
 Marks: data-ringlink-dial="+86…" (dial from the member's phone), data-ringlink-call="sales"
 (call me now: the relay calls the member, then the number behind the merchant's button key).
 API: window.ringlink.push(['open'] | ['close'] | ['toggle'] | ['dial', '+8613800138000'] |
 ['call', 'sales']); events on window: ringlink:open, ringlink:close, ringlink:call-state,
 ringlink:call-progress (detail). */
(function (w, d) {
  var s = d.currentScript;
  if (!s || d.getElementById('ringlink-host')) return;
  var o = s.dataset;
  var base = s.src.replace(/[?#].*$/, '').replace(/[^\/]*$/, ''); // https://relay/widget/
  var ws = new URL('../v1/widget/ws?site=' + encodeURIComponent(o.site || ''), base).href
    .replace(/^http/, 'ws');
  var zh = /^zh/i.test(/^(zh|en)/i.test(o.lang) ? o.lang : navigator.language || '');
  var label = zh ? '用您的手机拨打电话' : 'Call from your phone';
  var sel = '[data-ringlink-dial]' + (o.tel === 'enhance' ? ',a[href^="tel:"]' : '');
  var marks = '[data-ringlink-dial],[data-ringlink-call]';

  var host = d.createElement('div');
  host.id = 'ringlink-host';
  host.setAttribute('data-pos', o.position === 'left' ? 'left' : 'right');
  host.style.cssText = 'position:fixed;bottom:0;left:0;width:0;height:0;z-index:' +
    (parseInt(o.zIndex, 10) || 2147483000);
  var root = host.attachShadow({ mode: 'open' });
  var ico = function (p) {
    return '<svg viewBox="0 0 24 24" aria-hidden="true" class="i-' + p[0] + '"><path d="' + p[1] + '"/></svg>';
  };
  root.innerHTML = '<style>:host{all:initial}' +
    '[data-rl=bubble]{position:fixed;bottom:20px;right:20px;width:56px;height:56px;border-radius:50%;' +
    'border:0;padding:0;margin:0;background:#0b7a4b;color:#fff;cursor:pointer;display:grid;place-items:center;' +
    'box-shadow:0 4px 14px rgba(0,0,0,.28);transition:transform .15s}' +
    ':host([data-pos=left]) [data-rl=bubble]{right:auto;left:20px}' +
    '[data-rl=bubble]:hover{transform:scale(1.06)}' +
    '[data-rl=bubble]:focus-visible{outline:3px solid #8fd3b0;outline-offset:3px}' +
    '[data-rl=bubble] svg{width:26px;height:26px;fill:currentColor}' +
    '[aria-expanded=true] .i-c,[aria-expanded=false] .i-x{display:none}' +
    '[aria-busy=true]{opacity:.75;cursor:progress}</style>' +
    '<button type="button" data-rl="bubble" aria-haspopup="dialog" aria-expanded="false" aria-label="' +
    label + '" title="' + label + '">' +
    ico(['c', 'M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1z']) +
    ico(['x', 'M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7l-1.4-1.4L9.2 12 2.9 5.7l1.4-1.4 6.3 6.3 6.3-6.3z']) +
    '</button>';
  var bubble = root.querySelector('[data-rl=bubble]');
  (d.body || d.documentElement).appendChild(host);

  var loading, mounting, styled, handle;
  // Fetches and compiles the app; touches no storage and opens no connection.
  function load() {
    return loading || (loading = import(base + 'ringlink_widget.js').then(function (m) {
      return m.default({ module_or_path: base + 'ringlink_widget_bg.wasm' }).then(function () { return m; });
    }));
  }
  function css() {
    return styled || (styled = new Promise(function (done) {
      var l = d.createElement('link');
      l.rel = 'stylesheet';
      l.href = base + 'widget.css';
      l.onload = l.onerror = done;
      root.appendChild(l);
      setTimeout(done, 4000);
    }));
  }
  // Mounts the app (which connects to the relay) the first time the visitor asks for it.
  function app() {
    return mounting || (mounting = Promise.all([load(), css()]).then(function (r) {
      handle = r[0].mount(root, { ws: ws, lang: o.lang || '', numbers: numbers(), emit: emit });
      return handle;
    }));
  }
  // Opens the panel: with a number to dial, for a call button's key, or as it was.
  function show(number, button) {
    bubble.setAttribute('aria-busy', 'true');
    app().then(function (h) {
      bubble.removeAttribute('aria-busy');
      h.setNumbers(numbers());
      if (button) h.call(button); else if (number) h.dial(number); else h.open();
    }, function (e) {
      bubble.removeAttribute('aria-busy');
      loading = mounting = null; // try again on the next click
      console.error('ringlink: the widget could not load from ' + base, e);
    });
  }
  function emit(type, detail) {
    if (type === 'open' || type === 'close') {
      bubble.setAttribute('aria-expanded', type === 'open');
      // Escape or the close button: focus goes back to the bubble.
      if (type === 'close' && root.activeElement && root.activeElement !== bubble) bubble.focus();
    }
    w.dispatchEvent(new CustomEvent('ringlink:' + type, { detail: detail }));
  }
  function numberOf(el) {
    return el.getAttribute('data-ringlink-dial') ||
      decodeURIComponent((el.getAttribute('href') || '').slice(4)).split(/[;?,]/)[0];
  }
  // The page's marked numbers and their labels, for the panel's quick-dial buttons.
  function numbers() {
    var out = [], els = d.querySelectorAll(sel);
    for (var i = 0; i < els.length && out.length < 12; i++) {
      var el = els[i], n = numberOf(el).trim();
      var t = el.getAttribute('data-ringlink-label') || el.getAttribute('title') ||
        el.getAttribute('aria-label') || (el.textContent || '').trim();
      if (n) out.push({ number: n, label: /^[\d\s+().\/-]*$/.test(t) ? '' : t.slice(0, 60) });
    }
    return out;
  }
  function run(c) {
    var n = c && c[0];
    if (n === 'open') show();
    else if (n === 'dial') show(String(c[1] || ''));
    else if (n === 'call') show('', String(c[1] || ''));
    else if (n === 'close') { if (handle) handle.close(); }
    else if (n === 'toggle') { if (handle && handle.isOpen()) handle.close(); else show(); }
  }

  bubble.addEventListener('click', function () { run(['toggle']); });
  bubble.addEventListener('pointerenter', load);
  bubble.addEventListener('focus', load);
  (w.requestIdleCallback || function (f) { setTimeout(f, 3000); })(function () { load(); css(); });

  // Marked numbers (and tel: links with data-tel="enhance") and call buttons open the panel.
  function pick(el) { show(numberOf(el), el.getAttribute('data-ringlink-call')); }
  d.addEventListener('click', function (e) {
    var el = !e.defaultPrevented && e.target.closest && e.target.closest(sel + ',[data-ringlink-call]');
    if (!el) return;
    e.preventDefault();
    pick(el);
  });
  d.addEventListener('keydown', function (e) {
    var el = (e.key === 'Enter' || e.key === ' ') && e.target.closest && e.target.closest(marks);
    if (!el || /^(A|BUTTON)$/.test(el.tagName)) return; // those click on their own
    e.preventDefault();
    pick(el);
  });
  var marked = d.querySelectorAll(marks);
  for (var i = 0; i < marked.length; i++) {
    if (!/^(A|BUTTON)$/.test(marked[i].tagName) && !marked[i].hasAttribute('tabindex')) {
      marked[i].tabIndex = 0;
      marked[i].setAttribute('role', 'button');
    }
  }

  // The command queue: what was pushed before we arrived runs now, later pushes at once.
  var q = w.ringlink;
  if (!Array.isArray(q)) q = w.ringlink = [];
  var early = q.splice(0);
  q.push = function () {
    for (var i = 0; i < arguments.length; i++) run(arguments[i]);
    return 0;
  };
  early.forEach(run);
})(window, document);
