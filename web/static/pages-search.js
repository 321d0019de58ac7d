// Progressive enhancement for forms with <select class="autosubmit">: submit on change.
// The pages work without it (every form has a submit button).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select.autosubmit")) {
    select.addEventListener("change", () => {
      if (select.form) select.form.requestSubmit();
    });
  }
});
