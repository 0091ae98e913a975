/* orgsite widget. Paste <div data-orgsite-widget data-cause="…" data-near="…"></div> and this
   script; each such element becomes a sandboxed frame with a search for local groups, as tall
   as its results. One global (OrgsiteWidget); no cookies; no request but to this file's site. */
(function (window, document) {
  "use strict";
  if (window.OrgsiteWidget) {
    window.OrgsiteWidget.init();
    return;
  }

  var SANDBOX = "allow-scripts allow-same-origin allow-popups allow-popups-to-escape-sandbox allow-forms";
  // Presets read from data-* attributes; true marks a list (commas or spaces between items).
  var PRESETS = {
    cause: true, near: false, radius: false, lang: false, q: false, coverage: true,
    accent: false, theme: false, layout: false, max: false, locale: false, ref: false
  };
  var MAX_HEIGHT = 20000;
  var frames = [];
  var seen = typeof WeakSet === "function" ? new WeakSet() : null;

  function scriptUrl() {
    var script = document.currentScript;
    if (script && script.src) return script.src;
    var scripts = document.querySelectorAll("script[src]");
    for (var i = scripts.length - 1; i >= 0; i--) {
      if (/\/widget(\.[0-9a-f]{12})?\.js(\?|$)/.test(scripts[i].src)) return scripts[i].src;
    }
    return null;
  }
  var base = scriptUrl();

  function frameUrl(element) {
    var url = new URL("embed/", base);
    Object.keys(PRESETS).forEach(function (key) {
      var value = element.getAttribute("data-" + key);
      if (value === null) return;
      (PRESETS[key] ? value.split(/[\s,]+/) : [value]).forEach(function (item) {
        item = item.trim();
        if (item) url.searchParams.append(key, item.slice(0, 200));
      });
    });
    return url.href;
  }

  function build(element) {
    if (!seen || seen.has(element)) return;
    seen.add(element);
    var frame = document.createElement("iframe");
    frame.src = frameUrl(element);
    // The builder's snippet names the frame in the widget's language (data-title).
    frame.title = element.getAttribute("data-title") || "Local groups to join";
    frame.setAttribute("sandbox", SANDBOX);
    frame.setAttribute("loading", "lazy");
    frame.setAttribute("width", "100%");
    // CSSOM, not a style attribute: a host page's strict CSP allows it.
    frame.style.display = "block";
    frame.style.width = "100%";
    frame.style.height = "480px";
    frame.style.border = "0";
    while (element.firstChild) element.removeChild(element.firstChild);
    element.appendChild(frame);
    frames.push(frame);
  }

  // Only a message from one of our frames' own windows, shaped exactly
  // {type: "orgsite:height", height: <whole number>}, changes anything: that frame's height.
  function onMessage(event) {
    if (!event.source) return;
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow !== event.source) continue;
      var data = event.data;
      if (
        data && typeof data === "object" && !Array.isArray(data) &&
        Object.keys(data).length === 2 && data.type === "orgsite:height" &&
        typeof data.height === "number" && data.height % 1 === 0 &&
        data.height > 0 && data.height <= MAX_HEIGHT
      ) {
        frames[i].style.height = data.height + "px";
      }
      return;
    }
  }

  function init() {
    if (!base) return;
    frames = frames.filter(function (frame) { return frame.isConnected; });
    var elements = document.querySelectorAll("[data-orgsite-widget]");
    for (var i = 0; i < elements.length; i++) build(elements[i]);
  }

  window.addEventListener("message", onMessage);
  window.OrgsiteWidget = Object.freeze({ version: 1, init: init });
  init();
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
})(window, document);
