/* Small behaviours shared by the staff pages (no inline handlers: the CSP allows scripts from this site only). */
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-print]")) window.print();
  });

  // Destructive actions (作废, 回退, 并案) ask in a dialog; OK fills the form's `confirm`, which the server
  // requires. htmx asks through its own confirm event, so the request waits for the answer.
  var pending = null;
  function ask(form, go) {
    var modalEl = document.getElementById("confirm-modal");
    if (!modalEl || !window.tabler) return go();
    document.getElementById("confirm-text").textContent = form.getAttribute("data-confirm");
    document.getElementById("confirm-ok").textContent = form.getAttribute("data-confirm-label") || "OK";
    pending = function () {
      var field = form.querySelector("input[name=confirm]");
      if (field) field.value = "1";
      go();
    };
    window.tabler.Modal.getOrCreateInstance(modalEl).show();
  }
  document.addEventListener("click", function (e) {
    if (!e.target.closest || !e.target.closest("#confirm-ok")) return;
    var run = pending;
    pending = null;
    window.tabler.Modal.getOrCreateInstance(document.getElementById("confirm-modal")).hide();
    if (run) run();
  });
  document.addEventListener("htmx:confirm", function (e) {
    var form = e.detail.elt && e.detail.elt.closest && e.detail.elt.closest("form[data-confirm]");
    if (!form) return;
    var field = form.querySelector("input[name=confirm]");
    if (field && field.value) return;
    e.preventDefault();
    ask(form, function () { e.detail.issueRequest(true); });
  });
  // Without htmx (a plain submit), the same dialog.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("form[data-confirm]:not([hx-post])")) return;
    var field = form.querySelector("input[name=confirm]");
    if (field && field.value) return;
    e.preventDefault();
    ask(form, function () { form.submit(); });
  });

  // Toasts say that something was done, then leave by themselves.
  function toasts(root) {
    if (!window.tabler) return;
    (root || document).querySelectorAll("[data-jw-toast]").forEach(function (el) {
      el.removeAttribute("data-jw-toast");
      window.tabler.Toast.getOrCreateInstance(el, { delay: 5000 }).show();
    });
  }
  document.addEventListener("DOMContentLoaded", function () { toasts(); });
  document.addEventListener("htmx:afterSettle", function (e) { toasts(e.target); });
})();
