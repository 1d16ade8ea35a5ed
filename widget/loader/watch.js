/*! Ringlink page watcher (CHAT-9); see README.md, "Agent-started chat" */
/* Imported by the loader only when the tag has data-ringlink-invite: one WebSocket per page
 view to the relay's /v1/visitor/watch, which tells the site's agents the page (URL, title, referrer,
 browser language) while the page is open, and brings an agent's invitation, which the loader
 hands to the frame (the frame's chat redeems it). No wasm, no frame, no storage, no cookies:
 only this socket. Reopened with backoff and jitter; closed on pagehide (the agent's list drops
 the page), reopened when the page comes back from the back-forward cache. */

// Reconnects wait 1 s, doubling to 60 s, each with jitter: a relay restart does not get every
// page view back in the same second.
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 60000;
// The relay drops a socket silent for three heartbeats of 25 s; a hidden tab's timers may run
// once a minute, which is still inside that.
const PING_MS = 25000;
// The relay keeps this much of a URL.
const MAX_URL_CHARS = 2000;
const PING = '{"id":1,"msg":{"type":"ping","data":{}}}';

// `base`: the loader's folder (https://relay/widget/); `invited(code)` opens the panel with it.
export function watch(base, site, invited) {
  let ws = null, tries = 0, retry = 0, ping = 0, gone = false;
  function open() {
    const u = new URL('../v1/visitor/watch', base);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    const q = u.searchParams;
    q.set('site', site);
    q.set('page', location.href.slice(0, MAX_URL_CHARS));
    if (document.title) q.set('title', document.title.slice(0, 200));
    if (document.referrer) q.set('referrer', document.referrer.slice(0, MAX_URL_CHARS));
    if (navigator.language) q.set('lang', navigator.language);
    const s = ws = new WebSocket(u, 'ringlink.v1');
    s.onopen = function () {
      tries = 0;
      ping = setInterval(function () { s.send(PING); }, PING_MS);
    };
    s.onmessage = function (e) {
      let m = null;
      try { m = JSON.parse(e.data).msg; } catch (_) { return; }
      if (m && m.type === 'invited' && m.data && typeof m.data.invite === 'string') invited(m.data.invite);
    };
    s.onclose = function () {
      clearInterval(ping);
      if (gone || s !== ws) return;
      const d = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * Math.pow(2, tries++));
      retry = setTimeout(open, d / 2 + Math.random() * d / 2);
    };
  }
  addEventListener('pagehide', function () {
    gone = true;
    clearTimeout(retry);
    if (ws) ws.close(1000);
  });
  addEventListener('pageshow', function (e) {
    if (e.persisted && gone) {
      gone = false;
      tries = 0;
      open();
    }
  });
  open();
}
