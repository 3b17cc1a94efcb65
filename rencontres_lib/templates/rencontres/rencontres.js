// Sortable tables (click a header), keyboard access to tables wider than the page: no external resource.
document.querySelectorAll("table.triable").forEach(function (table) {
  table.querySelectorAll("thead th").forEach(function (th, col) {
    th.setAttribute("tabindex", "0");
    th.setAttribute("aria-sort", "none");
    function sort() {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].textContent.trim(), y = b.cells[col].textContent.trim();
        var nx = parseFloat(x.replace(/\s/g, "").replace(",", ".")), ny = parseFloat(y.replace(/\s/g, "").replace(",", "."));
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y, "fr");
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
      table.querySelectorAll("thead th").forEach(function (h) { h.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(); } });
  });
});

// A table wider than its column scrolls sideways: make it reachable and scrollable with the
// keyboard (focusable group named by its caption), as WCAG 2.1.1 asks. A group rather than a
// region: several tables share a caption and landmarks must have unique names.
function regionsDefilantes() {
  document.querySelectorAll(".tableau-conteneur").forEach(function (box) {
    if (box.scrollWidth > box.clientWidth + 1) {
      var caption = box.querySelector("caption");
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", caption ? caption.textContent.trim() : "Tableau");
    } else if (box.getAttribute("role") === "group") {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  });
}
regionsDefilantes();
window.addEventListener("resize", regionsDefilantes);
