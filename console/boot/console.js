/*! Ringlink console boot script: the relay's /console page names the app's content-hashed
 glue and wasm in data-app and data-wasm; this loads them (no inline script under the page's
 CSP). The app mounts itself (wasm_bindgen start). */
const b = document.body.dataset;
import(b.app)
  .then(function (m) { return m.default({ module_or_path: b.wasm }); })
  .catch(function (e) {
    document.body.textContent = 'The console could not load: ' + e + '. Reload the page.';
  });
