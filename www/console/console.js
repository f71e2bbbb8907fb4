// webhook console: a little progressive enhancement, nothing required.
// Times are written in UTC by the server; show them in local time too,
// submit the filters when a choice changes, and ask before an action.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("time[datetime]").forEach(function (t) {
    var d = new Date(t.getAttribute("datetime"));
    if (!isNaN(d)) {
      t.title = t.textContent;
      t.textContent = d.toLocaleString();
    }
  });
  document.querySelectorAll("form.filters select").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
  document.querySelectorAll("form[method=post] button").forEach(function (b) {
    b.addEventListener("click", function (e) {
      if (!window.confirm(b.textContent + "?")) e.preventDefault();
    });
  });
});
