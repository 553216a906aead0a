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
  // An answer the run has not taken yet: it does within a second, then
  // goes on or asks again (a wrong code).
  if (document.querySelector("#challenge[data-state='answered']")) {
    window.setTimeout(function () { window.location.reload(); }, 1500);
  }
  // A live run follows its steps over server-sent events: rows are built
  // with textContent, never markup, so a step's text cannot run.
  var run = document.querySelector("#run[data-events]");
  var events = run ? run.getAttribute("data-events") : "";
  if (events && window.EventSource) {
    followRun(events);
    return;
  }
  // Without event streams: a run still queued or running reloads until it
  // ends; the runs list every data-refresh seconds, unless a form on it is
  // being filled in.
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

function followRun(url) {
  var body = document.getElementById("steps");
  var es = new EventSource(url);
  es.addEventListener("step", function (e) {
    var s = JSON.parse(e.data);
    var empty = document.getElementById("no-steps");
    if (empty) { empty.remove(); }
    var tr = document.createElement("tr");
    tr.className = "status-" + s.status;
    [s.attempt, s.seq, s.action, s.element || "", s.way || "", s.status, s.duration, s.detail || ""].forEach(function (v) {
      var td = document.createElement("td");
      td.textContent = String(v);
      tr.appendChild(td);
    });
    body.appendChild(tr);
  });
  es.addEventListener("run", function (e) {
    var r = JSON.parse(e.data);
    var st = document.getElementById("run-status");
    // A run that starts or stops waiting for a person: the page reloads
    // with the question (and the form to answer it) or without it.
    if ((st.className === "status-waiting_for_input") !== (r.status === "waiting_for_input")) { window.location.reload(); return; }
    st.textContent = r.status + (r.class ? " (" + r.class + ")" : "");
    st.className = "status-" + r.status;
    document.getElementById("run-error").textContent = r.error || "";
    document.getElementById("run-summary").textContent = r.summary || "";
  });
  es.addEventListener("end", function () {
    es.close();
    // The finished run's statements and artifacts come with the page.
    window.location.reload();
  });
}
