/* The review page: a heading's box ticks or clears every row below it (a report has a hundred figures). */
(function () {
  "use strict";
  document.querySelectorAll("[data-toggle-all]").forEach(function (box) {
    var rows = function () { return document.querySelectorAll(box.dataset.toggleAll); };
    var sync = function () {
      var all = rows(), on = 0;
      all.forEach(function (b) { if (b.checked) on += 1; });
      box.checked = all.length > 0 && on === all.length;
      box.indeterminate = on > 0 && on < all.length;
    };
    box.addEventListener("change", function () {
      rows().forEach(function (b) { b.checked = box.checked; });
    });
    rows().forEach(function (b) { b.addEventListener("change", sync); });
    sync();
  });
})();
