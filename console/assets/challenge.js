// Ferry console: a run page reloads when its run starts or stops waiting
// for a person, so that the question (and the form to answer it) comes
// and goes with it. console.js updates #run-status from the event stream;
// this watches it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var st = document.getElementById("run-status");
  if (!st || !window.MutationObserver) { return; }
  var box = document.getElementById("challenge");
  var shownOpen = box !== null && box.getAttribute("data-open") === "true";
  // An answer the run has not taken yet: the run takes it within a
  // second, then goes on or asks again (a wrong code).
  if (box !== null && box.getAttribute("data-state") === "answered") {
    window.setTimeout(function () { window.location.reload(); }, 1500);
  }
  new MutationObserver(function () {
    var waiting = st.className === "status-waiting_for_input";
    var code = document.getElementById("answer-code");
    // Never while a code is being typed in.
    if (code && code.value !== "") { return; }
    if (waiting !== shownOpen) { window.location.reload(); }
  }).observe(st, { childList: true, characterData: true, subtree: true, attributes: true });
});
