// The ipywidgets embed manager typesets widget labels with MathJax 2's MathJax.Hub.Queue, and
// this book loads MathJax 3, which has no Hub: every labelled widget threw a TypeError. Give
// each object assigned to window.MathJax (the config first, then MathJax 3 itself) a Hub whose
// Queue forwards ["Typeset", Hub, element] jobs to MathJax 3's typesetPromise.
(function () {
  "use strict";
  function queue() {
    for (const job of arguments) {
      const element = Array.isArray(job) ? job[2] : null;
      const mathjax = window.MathJax;
      if (element && mathjax && typeof mathjax.typesetPromise === "function") {
        mathjax.typesetPromise([element]).catch(function () {});
      }
    }
  }
  function withHub(value) {
    if (value && typeof value === "object" && !("Hub" in value)) {
      Object.defineProperty(value, "Hub", {value: {Queue: queue}, enumerable: false, configurable: true});
    }
    return value;
  }
  let current = withHub(window.MathJax);
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    get: function () { return current; },
    set: function (value) { current = withHub(value); },
  });
})();
