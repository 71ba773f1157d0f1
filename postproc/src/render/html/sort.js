// Sorts the connection table by a column when its heading is clicked; a second click reverses.
// Cells carry their sort key in data-sort; empty keys (absent values) always go last.
"use strict";
for (const table of document.querySelectorAll("table.sortable")) {
  const headings = Array.from(table.tHead.rows[0].cells);
  headings.forEach((heading, column) => {
    heading.querySelector("button").addEventListener("click", () => {
      const ascending = heading.getAttribute("aria-sort") !== "ascending";
      for (const other of headings) other.removeAttribute("aria-sort");
      heading.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const compare = heading.dataset.sortAs === "number"
        ? (a, b) => Number(a) - Number(b)
        : (a, b) => a.localeCompare(b, undefined, { numeric: true });
      const body = table.tBodies[0];
      const keyed = Array.from(body.rows, (row) => [row.cells[column].dataset.sort, row]);
      keyed.sort(([a], [b]) => {
        if (a === "" || b === "") return (a === "") - (b === "");
        return ascending ? compare(a, b) : compare(b, a);
      });
      // One fragment: a single reflow however many rows there are.
      const sorted = document.createDocumentFragment();
      for (const [, row] of keyed) sorted.append(row);
      body.append(sorted);
    });
  });
}
