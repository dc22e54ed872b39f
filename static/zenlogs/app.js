// ZenLogs front-end behaviour. No inline script anywhere (the CSP forbids it): everything
// is wired here from data- attributes.
(function () {
  "use strict";

  // Times are rendered server-side in the browser's zone, which the server learns from this
  // cookie. Set it on first visit and reload once so the first page is right too.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var current = document.cookie.split("; ").find(function (c) { return c.indexOf("tz=") === 0; });
    if (zone && (!current || decodeURIComponent(current.slice(3)) !== zone)) {
      document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) { /* no Intl: times stay in UTC, and say so */ }

  document.documentElement.classList.add("js");

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form) {
      el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
    }
  });
})();
