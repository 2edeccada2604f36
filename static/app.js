// Starts GOV.UK Frontend's components (accordions, error summary focus, service navigation).
import { initAll } from "./dist/govuk-frontend.min.js";

initAll();

// Tables stack on a phone (all but those in a region that scrolls sideways, like the market
// report's): each cell is given its column's name (shown before it by the stylesheet), and every
// part its table role, which some screen readers drop once a table's rows are laid out as blocks.
for (const table of document.querySelectorAll("table.govuk-table")) {
  if (table.closest(".app-table-scroll")) continue;
  table.classList.add("app-table--stacked");
  // A column whose name is only for screen readers (a column of buttons) gets no label.
  const names = [...table.querySelectorAll("thead th")].map((th) =>
    th.querySelector(".govuk-visually-hidden")?.textContent === th.textContent ? "" : th.textContent.trim(),
  );
  table.setAttribute("role", "table");
  for (const group of table.querySelectorAll("thead, tbody")) group.setAttribute("role", "rowgroup");
  for (const row of table.querySelectorAll("tr")) {
    row.setAttribute("role", "row");
    [...row.children].forEach((cell, index) => {
      const header = cell.closest("thead") !== null;
      cell.setAttribute("role", header ? "columnheader" : cell.tagName === "TH" ? "rowheader" : "cell");
      if (!header && names[index]) cell.dataset.label = names[index];
    });
  }
}
