// Document page: a filter box over the table of contents (hidden without JavaScript).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const filter = document.querySelector("input.toc-filter");
  const items = document.querySelectorAll(".toc-list li");
  if (!filter || items.length === 0) return;
  filter.hidden = false;
  filter.addEventListener("input", () => {
    const wanted = filter.value.trim().toLowerCase();
    for (const item of items) {
      item.hidden = wanted !== "" && !item.textContent.toLowerCase().includes(wanted);
    }
  });
});
