// Alerts page: a "select all" checkbox for the acknowledge form (hidden without JavaScript).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const all = document.querySelector("input.select-all");
  if (!all) return;
  const boxes = () => document.querySelectorAll('#ack-form input[type="checkbox"][name="ids"]');
  all.hidden = boxes().length === 0;
  all.addEventListener("change", () => {
    for (const box of boxes()) box.checked = all.checked;
  });
});
