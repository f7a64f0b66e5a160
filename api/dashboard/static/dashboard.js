// Progressive enhancement only: every page works without this script.
// Sortable tables sort in place (the headings are links that sort on the
// server otherwise), and the shop picker submits when it changes.
(function () {
  "use strict";

  function key(cell) {
    var v = cell.getAttribute("data-sort");
    return v === null ? cell.textContent.trim() : v;
  }

  function compare(a, b, numeric) {
    if (numeric) return parseFloat(a) - parseFloat(b);
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }

  function sortBy(table, th) {
    var ths = Array.prototype.slice.call(th.parentNode.children);
    var index = ths.indexOf(th);
    var descending = th.getAttribute("aria-sort") === "ascending" ||
      (!th.hasAttribute("aria-sort") && th.classList.contains("num"));
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var numeric = rows.every(function (r) {
      var v = key(r.cells[index]);
      return v !== "" && !isNaN(parseFloat(v)) && isFinite(v);
    });
    rows.sort(function (a, b) {
      var c = compare(key(a.cells[index]), key(b.cells[index]), numeric);
      return descending ? -c : c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    ths.forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
    var link = th.querySelector("a");
    if (link && window.history && history.replaceState) {
      // The address keeps the order, so a reload or a shared link shows it.
      var param = new URL(link.href).searchParams;
      var url = new URL(window.location.href);
      param.forEach(function (v, k) { url.searchParams.set(k, v); });
      var name = Array.from(param.keys()).find(function (k) { return /sort$/.test(k); });
      if (name) url.searchParams.set(name, (descending ? "-" : "") + th.getAttribute("data-key"));
      history.replaceState(null, "", url);
    }
  }

  document.addEventListener("click", function (e) {
    var link = e.target.closest("table.sortable th[data-key] a");
    if (!link || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    var th = link.closest("th");
    sortBy(th.closest("table"), th);
  });

  document.addEventListener("change", function (e) {
    if (e.target.matches("select[data-autosubmit]")) e.target.form.submit();
  });
})();
