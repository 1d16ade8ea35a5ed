/*! Ringlink loader; see README.md, "Embedding the widget" */
/* Ringlink loader: draws the call bubble at once in a Shadow DOM; when the visitor reaches
 for it (pointer over it, focus, click) it opens an iframe of the relay's origin, which holds the
 app, the sign-in, the socket and the token. Nothing else loads before that, no cookies, no
 wasm on this page; the only storage is a flag in sessionStorage once the tab has a chat, so the
 next page shows its unread count (a hidden frame without the app asks the relay). Tag:
 <script src="https://RELAY/widget/widget.js" data-site="KEY" async></script>
 Options: data-lang="zh|en" data-position="right|left" data-z-index="N" data-tel="enhance"
 data-preload="idle" (open the frame when the page is idle instead of on intent)
 data-call="sales" (the default "call me now" button, offered for a number when the member's
 phone is not connected). data-tel="enhance" leaves tel: links native on a phone (it dials by
 itself) unless the member signed in and chose the widget in its panel.
 Marks: data-ringlink-dial="+86…" (dial from the member's phone), data-ringlink-call="sales"
 (call me now: the relay calls the member, then the number behind the merchant's button key),
 data-ringlink-button="sales" on a number (its "call me now" button), data-ringlink-chat (opens the chat).
 data-ringlink-invite: agents see this page view and may invite the visitor to chat (watch.js).
 The chat's unread count shows on the bubble (data-unread) and comes as ringlink:unread.
 API: window.ringlink.push(['open'] | ['close'] | ['toggle'] | ['dial', '+8613800138000'] |
 ['call', 'sales'] | ['chat']); events on window: ringlink:open, ringlink:close, ringlink:call-state,
 ringlink:call-progress (detail), the last two only for calls started on this page. */
(function (w, d) {
  var s = d.currentScript;
  if (!s || d.getElementById('ringlink-host')) return;
  var o = s.dataset;
  var base = s.src.replace(/[?#].*$/, '').replace(/[^\/]*$/, ''); // https://relay/widget/
  var relay = new URL(base).origin; // the only origin the frame's messages may come from
  var frameUrl = base + 'frame?site=' + encodeURIComponent(o.site || '');
  var zh = /^zh/i.test(/^(zh|en)/i.test(o.lang) ? o.lang : navigator.language || '');
  var label = zh ? '用您的手机拨打电话' : 'Call from your phone';
  var sel = '[data-ringlink-dial]' + (o.tel === 'enhance' ? ',a[href^="tel:"]' : '');
  var marks = '[data-ringlink-dial],[data-ringlink-call],[data-ringlink-chat]';

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
    '[aria-busy=true]{opacity:.75;cursor:progress}' +
    '[data-unread]:after{content:attr(data-unread);position:absolute;top:-4px;right:-4px;min-width:20px;' +
    'border-radius:10px;background:#b3261e;font:600 12px/20px system-ui}' +
    '[data-rl=frame]{position:fixed;border:0;margin:0;padding:0;background:transparent;visibility:hidden;' +
    'width:344px;height:0;bottom:88px;right:20px;border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.28)}' +
    ':host([data-pos=left]) [data-rl=frame]{right:auto;left:20px}' +
    '[data-rl=frame][data-open]{visibility:visible}' +
    '[data-rl=frame][data-full]{top:0;right:0;bottom:0;left:0;width:100%;height:100%!important;border-radius:0}</style>' +
    '<button type="button" data-rl="bubble" aria-haspopup="dialog" aria-expanded="false" aria-label="' +
    label + '" title="' + label + '">' +
    ico(['c', 'M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1z']) +
    ico(['x', 'M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7l-1.4-1.4L9.2 12 2.9 5.7l1.4-1.4 6.3 6.3 6.3-6.3z']) +
    '</button>';
  var bubble = root.querySelector('[data-rl=bubble]');
  (d.body || d.documentElement).appendChild(host);

  var frame, ready = false, isOpen = false, full = false, height = 0, queue = [], waiting;
  // The frame says only this about the member: signed in and chose the widget for tel: links.
  var telWidget = false, opener = null, inerted = [];
  // Room left above the panel for the shop's own header: the panel never grows over it.
  var HEADER_ROOM = 96;
  // Messages for the frame wait here until it says it is ready; a person makes a few.
  var MAX_QUEUED = 16;
  // The frame must answer within this; else the bubble works again and the console says why.
  var READY_WITHIN_MS = 15000;
  function post(m) {
    m.ringlink = 1;
    frame.contentWindow.postMessage(m, relay);
  }
  function send(m) {
    if (ready) post(m);
    else if (queue.length < MAX_QUEUED) queue.push(m);
  }
  // Creates the iframe (the visitor reached for the bubble): the only fetch after this script.
  function ensure() {
    if (frame) return;
    if (badge) { badge.remove(); badge = null; }
    frame = d.createElement('iframe');
    frame.setAttribute('data-rl', 'frame');
    frame.title = label;
    frame.src = frameUrl;
    root.appendChild(frame);
    waiting = setTimeout(function () {
      if (ready) return;
      bubble.removeAttribute('aria-busy');
      console.error('ringlink: the widget frame did not load from ' + frameUrl +
        ': check data-site, and that this page\'s origin is on the site\'s list');
    }, READY_WITHIN_MS);
  }
  // The iframe takes the panel's place: a desktop panel above the bubble, or the whole screen
  // on a narrow one.
  function place() {
    if (!frame) return;
    var nowFull = w.innerWidth <= 480;
    if (nowFull !== full && ready) post({ type: 'layout', full: nowFull });
    full = nowFull;
    frame.toggleAttribute('data-open', isOpen);
    frame.toggleAttribute('data-full', isOpen && full);
    frame.style.height = isOpen ? Math.min(height || 480, w.innerHeight - 88 - HEADER_ROOM) + 'px' : '';
    modal(isOpen && full);
  }
  // The full-screen sheet is modal: the page behind it (and the bubble under it) is inert, so
  // focus cannot leave the frame; the frame wraps Tab inside itself.
  function modal(on) {
    if (on === inerted.length > 0) return;
    if (on) {
      var kids = (d.body || d.documentElement).children;
      for (var i = 0; i < kids.length; i++) {
        if (kids[i] !== host && !kids[i].inert) { kids[i].inert = true; inerted.push(kids[i]); }
      }
      bubble.inert = true;
      inerted.push(bubble);
    } else inerted.splice(0).forEach(function (el) { el.inert = false; });
  }
  // A phone dials a tel: link by itself: coarse pointer or a small screen.
  function phone() {
    return w.matchMedia('(pointer: coarse)').matches || w.innerWidth <= 480;
  }
  function setOpen(open) {
    bubble.removeAttribute('aria-busy');
    // Escape or the close button inside the frame: focus goes back to what opened the panel
    // (a number on the page, a call button), else the bubble.
    var inFrame = root.activeElement === frame;
    isOpen = open;
    bubble.setAttribute('aria-expanded', open);
    place();
    if (open) {
      frame.focus();
      send({ type: 'focus' });
    } else if (inFrame) {
      var back = opener && opener.isConnected && !opener.inert ? opener : bubble;
      back.focus();
    }
    if (!open) opener = null;
    emit(open ? 'open' : 'close');
  }
  // The chat's unread count on the bubble. A tab with a chat keeps one flag (no id, no token)
  // so that after a navigation a hidden badge frame, without the app, asks the relay for it.
  var CHAT_FLAG = 'ringlink.chat', badge = null;
  function unread(n) {
    if (n > 0) bubble.setAttribute('data-unread', +n);
    else bubble.removeAttribute('data-unread');
    emit('unread', n);
  }
  try {
    if (w.sessionStorage.getItem(CHAT_FLAG)) {
      badge = d.createElement('iframe');
      badge.hidden = true;
      badge.setAttribute('data-rl', 'badge');
      badge.src = frameUrl + '&badge=1';
      root.appendChild(badge);
    }
  } catch (_) { /* storage blocked: no count until the panel opens */ }
  w.addEventListener('message', function (e) {
    var m = e.data;
    if (badge && e.source === badge.contentWindow && e.origin === relay && m && m.ringlink === 1) {
      if (m.type === 'ready') badge.contentWindow.postMessage({ ringlink: 1, type: 'hello' }, relay);
      else if (m.name === 'unread') unread(m.detail);
      return;
    }
    if (!frame || e.source !== frame.contentWindow || e.origin !== relay || !m || m.ringlink !== 1) return;
    if (m.type === 'ready') {
      ready = true;
      clearTimeout(waiting);
      full = w.innerWidth <= 480;
      post({ type: 'hello', lang: o.lang || '', numbers: numbers(), page: d.URL, ref: d.referrer });
      post({ type: 'layout', full: full });
      queue.splice(0).forEach(post);
    } else if (m.type === 'open' || m.type === 'close') setOpen(m.type === 'open');
    else if (m.type === 'size') {
      height = Math.max(0, Math.min(+m.height || 0, 4000));
      place();
    } else if (m.type === 'event' && m.name === 'tel') telWidget = m.detail === true;
    else if (m.type === 'event' && /^call-(state|progress)$/.test(m.name)) emit(m.name, m.detail);
    else if (m.type === 'event' && m.name === 'unread') {
      unread(m.detail);
      try { w.sessionStorage.setItem(CHAT_FLAG, '1'); } catch (_) { /* storage blocked */ }
    }
  });
  w.addEventListener('resize', place);
  // Opens the panel: with a number to dial, for a call button's key, or as it was.
  // `offer`: the "call me now" button for `number`, when its phone is not connected.
  function show(number, button, offer, chat) {
    ensure();
    if (!isOpen) {
      bubble.setAttribute('aria-busy', 'true');
      var a = d.activeElement;
      opener = a && a !== host && a !== d.body ? a : null;
    }
    send({ type: 'numbers', numbers: numbers() });
    if (chat) send(chat === 1 ? { type: 'chat' } : { type: 'invite', invite: chat });
    else if (button) send({ type: 'call', key: button });
    else if (number) send({ type: 'dial', number: number, button: offer || o.call || '' });
    else send({ type: 'open' });
  }
  function emit(type, detail) {
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
      if (n) out.push({ number: n, label: /^[\d\s+().\/-]*$/.test(t) ? '' : t.slice(0, 60),
        button: el.getAttribute('data-ringlink-button') || o.call || '' });
    }
    return out;
  }
  function run(c) {
    var n = c && c[0];
    if (n === 'open') show();
    else if (n === 'dial') show(String(c[1] || ''));
    else if (n === 'call') show('', String(c[1] || ''));
    else if (n === 'chat') show(0, 0, 0, 1);
    else if (n === 'close') { if (frame) send({ type: 'close' }); }
    else if (n === 'toggle') { if (isOpen) send({ type: 'close' }); else show(); }
  }

  bubble.addEventListener('click', function () { run(['toggle']); });
  bubble.addEventListener('pointerenter', ensure);
  bubble.addEventListener('focus', ensure);
  bubble.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && isOpen) send({ type: 'close' });
  });
  // data-ringlink-invite (CHAT-9): watch.js (built under the app's version) keeps one socket
  // that shows this page to the site's agents; an invitation opens the chat with it.
  if ('ringlinkInvite' in o) import(base + 'v/RINGLINK_VERSION/watch.js').then(function (m) {
    m.watch(base, o.site || '', function (code) { show(0, 0, 0, code); });
  });
  if (o.preload === 'idle') (w.requestIdleCallback || function (f) { setTimeout(f, 3000); })(ensure);

  // Marked numbers (and tel: links with data-tel="enhance") and call buttons open the panel.
  function pick(el) {
    if (el.hasAttribute('data-ringlink-chat')) show(0, 0, 0, 1);
    else show(numberOf(el), el.getAttribute('data-ringlink-call'), el.getAttribute('data-ringlink-button'));
  }
  d.addEventListener('click', function (e) {
    var el = !e.defaultPrevented && e.target.closest && e.target.closest(sel + ',' + marks);
    if (!el) return;
    // A plain tel: link on a phone dials natively, untouched, unless the member chose the widget.
    var plainTel = !el.matches(marks);
    if (plainTel && phone() && !telWidget) return;
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
