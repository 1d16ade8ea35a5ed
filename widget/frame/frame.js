/*! Ringlink frame script: runs in the relay's frame page (/widget/frame?site=KEY, the relay's
 origin), which the loader on the merchant page creates. It learns the page's origin from the
 loader's first message (checked against the site's origins the relay rendered in
 data-origins), mounts the Leptos app, opens the widget socket with &parent=ORIGIN, and relays a
 small typed set of messages. The token and the password never leave this document.
 Loader -> frame: hello {lang, numbers, page, ref}, open, close, toggle, dial {number},
   call {key}, chat, invite {invite}, numbers {numbers}, layout {full}, focus.
 Frame -> loader: ready, open, close, size {height}, event {name, detail} (unread {n} is the
   chat's unread count for the bubble). With ?badge=1 (data-badge) it mounts nothing and only
   sends unread, from GET /v1/chat/unread with the visitor id it keeps.
 The app's glue and wasm have content-hashed names, which the frame page gives in data-app and
 data-wasm (and preloads). */

// A page marks at most a dozen numbers; longer strings are not phone numbers or labels.
const MAX_NUMBERS = 12;
const MAX_NUMBER_CHARS = 40;
const MAX_LABEL_CHARS = 60;
// Commands sent before the app is up wait here; a person makes a few.
const MAX_EARLY = 16;
// An agent's invitation code (CHAT-9) is 24 characters.
const MAX_INVITE_CHARS = 64;
// The page's URL and referrer, for the agent (CHAT-8).
const MAX_URL_CHARS = 2000;

const body = document.body;
const site = body.dataset.site || '';
const allowed = (body.dataset.origins || '').split(' ').filter(Boolean);
const parentWin = window.parent;
let parentOrigin = null;
let widget = null;
let lastHeight = -1;
const early = [];

function post(msg) {
  if (parentOrigin) parentWin.postMessage(Object.assign({ ringlink: 1 }, msg), parentOrigin);
}

function text(v, max) {
  return typeof v === 'string' ? v.slice(0, max) : '';
}

function cleanNumbers(list) {
  return (Array.isArray(list) ? list : []).slice(0, MAX_NUMBERS).map(function (n) {
    return {
      number: text(n && n.number, MAX_NUMBER_CHARS),
      label: text(n && n.label, MAX_LABEL_CHARS),
      button: text(n && n.button, MAX_LABEL_CHARS),
    };
  });
}

// The app's emit(type, detail): open and close move the iframe; the rest are host-page events
// (the app sends only those for calls started here).
function emit(type, detail) {
  if (type === 'open' || type === 'close') post({ type: type });
  else post({ type: 'event', name: type, detail: detail });
  if (type === 'open') requestAnimationFrame(report);
}

// The panel's first field, else the first button of its body; × only as a last resort.
// The same order as the app's own first focus: the "call me now" offer when the phone is
// missing, then the first field (whichever of the two runs last, focus ends in one place).
function firstField() {
  return document.querySelector('[data-rl=offer-call-me]') ||
    document.querySelector('.rl-body form:not([hidden]) input') ||
    document.querySelector('.rl-body button:not([hidden])') ||
    document.querySelector('.rl-panel button');
}

function command(c) {
  if (!widget) {
    if (early.length < MAX_EARLY) early.push(c);
    return;
  }
  switch (c.type) {
    case 'open': widget.open(); break;
    case 'close': widget.close(); break;
    case 'toggle': widget.toggle(); break;
    case 'dial': widget.dial(text(c.number, MAX_NUMBER_CHARS), text(c.button, MAX_LABEL_CHARS)); break;
    case 'call': widget.call(text(c.key, MAX_LABEL_CHARS)); break;
    case 'chat': widget.chat(); break;
    case 'invite': widget.invite(text(c.invite, MAX_INVITE_CHARS)); break;
    case 'numbers': widget.setNumbers(cleanNumbers(c.numbers)); break;
    case 'layout': document.documentElement.toggleAttribute('data-full', c.full === true); break;
    case 'focus': {
      // The loader focused the iframe: land on the panel's first field if nothing has focus.
      const el = document.activeElement === body || !document.activeElement ? firstField() : null;
      if (el) el.focus();
      break;
    }
  }
}

// Fetches `path` of the relay with the visitor id as bearer and saves it as `name`: a link
// could not carry the bearer, and the relay serves chat files only to their parties.
function save(path, visitor, name) {
  fetch(new URL(path, location.href), {
    headers: { Authorization: 'Bearer ' + visitor },
  }).then(function (r) {
    if (!r.ok) throw new Error('HTTP ' + r.status);
    return r.blob();
  }).then(function (b) {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(b);
    a.download = name;
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); }, 60000);
  }).catch(function (err) {
    console.error('ringlink: ' + name + ' could not be fetched', err);
  });
}

// The chat's transcript (CHAT), offered as a file.
function transcript(visitor) {
  save('../v1/chat/transcript', visitor, 'chat.txt');
}

// The file the visitor chose in the chat (`input`), uploaded; done(id) or done(null, why): the
// relay says why it refused (type, size) in words.
function attach(visitor, input, done) {
  const f = input.files && input.files[0];
  if (!f) return;
  input.value = '';
  fetch(new URL('../v1/chat/attachments?name=' + encodeURIComponent(f.name.slice(0, 200)), location.href), {
    method: 'POST',
    headers: { Authorization: 'Bearer ' + visitor },
    body: f,
  }).then(function (r) {
    return r.json().then(function (b) {
      if (r.ok) done(b.id, null);
      else done(null, b.message || 'HTTP ' + r.status);
    });
  }).catch(function (err) {
    done(null, String(err));
  });
}

// A file in the chat, saved under its name.
function file(visitor, id, name) {
  save('../v1/chat/attachments/' + encodeURIComponent(id), visitor, name);
}

// The panel's full height, so the loader can size the iframe to it.
function report() {
  const panel = document.querySelector('.rl-panel');
  const h = panel ? Math.ceil(panel.scrollHeight) : 0;
  if (h !== lastHeight) {
    lastHeight = h;
    post({ type: 'size', height: h });
    if (panel) keepFocusInView(panel);
  }
}

// When the panel reflows above the field with focus (a line wraps anew, a notice goes), the
// field moves: it is scrolled back clear of the sticky title and tabs (the panel's
// scroll-padding), never left hidden under them.
function keepFocusInView(panel) {
  const a = document.activeElement;
  if (!a || a === body || !panel.contains(a)) return;
  const top = document.querySelector('.rl-top');
  const r = a.getBoundingClientRect();
  // Only the top: a field pushed below the bottom is brought back as the loader grows the
  // frame to the panel's new height (scrolling here would leave the panel scrolled after).
  if (r.top < (top ? top.getBoundingClientRect().bottom : 0)) {
    a.scrollIntoView({ block: 'nearest' });
  }
}

function watchSize() {
  const sizes = new ResizeObserver(report);
  let watched = null;
  new MutationObserver(function () {
    const inner = document.querySelector('.rl-body');
    if (inner !== watched) {
      if (watched) sizes.unobserve(watched);
      watched = inner;
      if (inner) sizes.observe(inner);
    }
    report();
  }).observe(body, { childList: true, subtree: true, characterData: true, attributes: true });
}

async function start(hello) {
  const app = await import(body.dataset.app);
  await app.default({ module_or_path: body.dataset.wasm });
  const ws = new URL('../v1/widget/ws', location.href);
  ws.protocol = ws.protocol === 'https:' ? 'wss:' : 'ws:';
  ws.searchParams.set('site', site);
  ws.searchParams.set('parent', parentOrigin);
  widget = app.mount(body, {
    ws: ws.href,
    lang: text(hello.lang, 8),
    numbers: cleanNumbers(hello.numbers),
    page: text(hello.page, MAX_URL_CHARS),
    referrer: text(hello.ref, MAX_URL_CHARS),
    emit: emit,
    transcript: transcript,
    attach: attach,
    file: file,
  });
  watchSize();
  early.splice(0).forEach(command);
  // For the shop's (and the bench's) timing: the panel is mounted and takes input.
  requestAnimationFrame(function () { performance.mark('ringlink:usable'); });
}

// The badge frame (?badge=1, no app): after a navigation the loader shows the chat's unread
// count on the bubble from this, asked again every half minute while the page is seen.
const BADGE_EVERY_MS = 30000;
function unread() {
  let v = null;
  try { v = localStorage.getItem('ringlink.visitor'); } catch (_) { /* storage blocked */ }
  if (!v) return;
  fetch(new URL('../v1/chat/unread', location.href), {
    headers: { Authorization: 'Bearer ' + v },
  }).then(function (r) {
    return r.ok ? r.json() : null;
  }).then(function (b) {
    if (b) post({ type: 'event', name: 'unread', detail: +b.unread || 0 });
  }).catch(function () {});
}

// What Tab can land on in the panel.
const FOCUSABLE = 'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])';

// Tab and Shift+Tab wrap inside the full-screen sheet (modal: the loader makes the page inert).
function wrapTab(e) {
  const panel = document.querySelector('.rl-panel');
  if (!panel || !document.documentElement.hasAttribute('data-full')) return;
  const all = Array.prototype.filter.call(panel.querySelectorAll(FOCUSABLE), function (el) {
    return !el.disabled && !el.closest('[hidden]') && el.getClientRects().length > 0;
  });
  if (!all.length) return;
  const first = all[0], last = all[all.length - 1], at = document.activeElement;
  const inside = panel.contains(at);
  if (e.shiftKey && (at === first || !inside)) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (at === last || !inside)) {
    e.preventDefault();
    first.focus();
  }
}

// Escape closes the panel wherever focus is in the frame.
document.addEventListener('keydown', function (e) {
  if (e.key === 'Escape' && widget && widget.isOpen()) {
    e.preventDefault();
    widget.close();
  } else if (e.key === 'Tab' && widget && widget.isOpen()) wrapTab(e);
});

window.addEventListener('message', function (e) {
  const m = e.data;
  if (e.source !== parentWin || !m || m.ringlink !== 1 || typeof m.type !== 'string') return;
  if (parentOrigin === null) {
    if (allowed.indexOf(e.origin) < 0) {
      console.error('ringlink: the page ' + e.origin + " is not allowed for site '" + site +
        "'; the merchant can add it with: ringlink-relay admin site add-origin " + site + ' ' + e.origin);
      return;
    }
    if (m.type !== 'hello') return;
    parentOrigin = e.origin;
    if ('badge' in body.dataset) {
      unread();
      setInterval(function () { if (!document.hidden) unread(); }, BADGE_EVERY_MS);
      return;
    }
    start(m).catch(function (err) {
      console.error('ringlink: the widget could not start', err);
    });
    return;
  }
  if (e.origin === parentOrigin) command(m);
});

if (parentWin === window) {
  body.textContent = 'This is the Ringlink widget frame: it runs inside a merchant page that has the widget tag.';
} else {
  // Says only "I am here"; everything after goes to the origin the loader's hello comes from.
  parentWin.postMessage({ ringlink: 1, type: 'ready' }, '*');
}
