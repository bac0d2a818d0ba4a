/* A person's page: the full record on request (the server audits each reveal); a confirmation before a form
   that cannot be undone from the page (注销). */
(function () {
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.dataset.confirm)) e.preventDefault();
    });
  });
  var b = document.getElementById("reveal");
  if (!b) return;
  b.addEventListener("click", function () {
    var m = document.cookie.match(/csrftoken=([^;]+)/);
    fetch(b.dataset.url, {method: "POST", credentials: "same-origin", headers: {"X-CSRFToken": m ? m[1] : ""}})
      .then(function (r) { return r.json(); })
      .then(function (d) {
        if (d.error) { b.textContent = d.error; return; }
        document.getElementById("f-name").textContent = d.name;
        document.getElementById("person-name").textContent = d.name;
        document.getElementById("f-id").textContent = d.id_number || "—";
        document.getElementById("f-phone").textContent = d.phone || "—";
        b.disabled = true;
      });
  });
})();
