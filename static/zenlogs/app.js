// ZenLogs front-end behaviour. No inline script anywhere (the CSP forbids it): everything
// is wired here from data- attributes, and every page works without it.
(function () {
  "use strict";

  // Times are rendered server-side in the browser's zone, which the server learns from this
  // cookie; until it is set (or with JavaScript off) they are shown in UTC, and say so.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var current = document.cookie.split("; ").find(function (c) { return c.indexOf("tz=") === 0; });
    if (zone && (!current || decodeURIComponent(current.slice(3)) !== zone)) {
      document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) { /* no Intl: stay in UTC */ }

  document.documentElement.classList.add("js");

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form) {
      if (el.form.requestSubmit) { el.form.requestSubmit(); } else { el.form.submit(); }
    }
  });

  // Popovers open on hover and focus through CSS; a tap toggles them here (iOS does not
  // focus a tapped button), and Escape closes them.
  document.addEventListener("click", function (event) {
    var trigger = event.target.closest && event.target.closest(".pop-trigger");
    document.querySelectorAll(".pop.open").forEach(function (pop) {
      if (!trigger || pop !== trigger.parentElement) { pop.classList.remove("open"); }
    });
    if (trigger) { trigger.parentElement.classList.toggle("open"); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      document.querySelectorAll(".pop.open").forEach(function (pop) { pop.classList.remove("open"); });
      if (document.activeElement && document.activeElement.classList.contains("pop-trigger")) {
        document.activeElement.blur();
      }
    }
  });

  // Copy buttons: data-copy-target names a textarea whose value is the exact text to copy
  // (a textarea, so the text arrives escaped in the HTML and unescaped in .value).
  function copied(button) {
    var label = button.textContent;
    button.textContent = "Copied";
    button.classList.add("copied");
    setTimeout(function () { button.textContent = label; button.classList.remove("copied"); }, 2000);
  }
  function fallbackCopy(source) {
    var hidden = source.hidden;
    source.hidden = false;
    source.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    source.hidden = hidden;
    window.getSelection && window.getSelection().removeAllRanges();
    return ok;
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy-target]");
    if (!button) { return; }
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    if (!source) { return; }
    var text = source.value;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { copied(button); }, function () {
        if (fallbackCopy(source)) { copied(button); }
      });
    } else if (fallbackCopy(source)) {
      copied(button);
    }
  });

  // htmx swaps only the results, not the filter bar, so what the server said of the numeric
  // bounds is brought up to date here as they are typed: the "More filters (N)" count, and an
  // input marked invalid is unmarked once changed (the next answer says if it still is).
  document.addEventListener("input", function (event) {
    var more = event.target.closest && event.target.closest("details.more");
    if (!more) { return; }
    event.target.removeAttribute("aria-invalid");
    var given = Array.prototype.filter.call(more.querySelectorAll("input"), function (input) {
      return input.value !== "" || (input.validity && input.validity.badInput);
    }).length;
    more.querySelector("[data-more-count]").textContent = given ? " (" + given + ")" : "";
  });

  // A filter dropdown closes when you click elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.multi[open]").forEach(function (d) {
      if (!d.contains(event.target)) { d.removeAttribute("open"); }
    });
  });
})();
