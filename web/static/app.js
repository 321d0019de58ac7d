// sepwatch: small progressive enhancements; every page works without JavaScript.
"use strict";

// The CSRF token of this page, for fetch() calls that change state: header X-CSRF-Token.
window.sepwatchCsrf = function () {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute("content") : "";
};

document.addEventListener("DOMContentLoaded", function () {
  // <form data-confirm="question">: ask before a destructive submit.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  });
  // <button data-copy="element-id">: copy that element's text to the clipboard.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      const source = document.getElementById(button.getAttribute("data-copy"));
      if (!source || !navigator.clipboard) {
        return;
      }
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.classList.add("copied");
      });
    });
  });
});
