// Ferry console: progressive enhancement only; every page works without
// it. Loaded from 'self' (the CSP forbids inline script).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Forms marked data-confirm ask before they change something.
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  });
  // A run still queued or running reloads until it ends; the runs list
  // every data-refresh seconds, unless a form on it is being filled in.
  var live = document.querySelector("[data-refresh-while='live']");
  var list = document.querySelector("[data-refresh]");
  var secs = live ? 2 : (list ? parseInt(list.getAttribute("data-refresh"), 10) : 0);
  if (secs > 0) {
    window.setTimeout(function () {
      var open = document.querySelector("details[open]");
      if (!open) { window.location.reload(); }
    }, secs * 1000);
  }
});
