/* Small behaviours shared by the staff pages (no inline handlers: the CSP allows scripts from this site only). */
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-print]")) window.print();
  });
})();
