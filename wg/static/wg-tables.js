/* wg: on a phone, tables read as stacked rows. Each body cell gets its column's name in data-label, which
   wg.css shows before the cell at narrow widths (and hides from screen readers, which have the real headers). */
(function () {
  "use strict";

  function columnNames(table) {
    var names = [];
    var row = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!row) { return names; }
    Array.prototype.forEach.call(row.cells, function (cell) {
      for (var i = 0; i < (cell.colSpan || 1); i += 1) { names.push(cell.textContent.replace(/\s+/g, " ").trim()); }
    });
    return names;
  }

  function label(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var tables = Array.prototype.slice.call(scope.querySelectorAll("table"));
    if (scope.tagName === "TABLE") { tables.push(scope); }
    tables.forEach(function (table) {
      var names = columnNames(table);
      if (!names.length) { return; }
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (row) {
          var column = 0;
          Array.prototype.forEach.call(row.cells, function (cell) {
            var span = cell.colSpan || 1;
            if (span === 1 && names[column] && !cell.hasAttribute("data-label")) {
              cell.setAttribute("data-label", names[column]);
            }
            column += span;
          });
        });
      });
      table.classList.add("stackable");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { label(document); });
  } else {
    label(document);
  }
  // htmx swaps in fresh tables (the exports list refreshes itself): label those too.
  document.addEventListener("htmx:load", function (event) { label(event.target); });
}());
