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

  // Escape closes the filter dropdowns and More filters, and the focus goes back to the
  // summary that opened the one it was in.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    document.querySelectorAll("details.multi[open], details.more[open]").forEach(function (d) {
      var inside = d.contains(document.activeElement);
      d.removeAttribute("open");
      if (inside) { d.querySelector("summary").focus(); }
    });
  });

  // The same for the checkbox dropdowns as for More filters: the count on each one's button,
  // as the server draws it on a full load, follows the boxes ticked.
  document.addEventListener("change", function (event) {
    var multi = event.target.closest && event.target.closest("details.multi");
    var badge = multi && multi.querySelector("[data-filter-count]");
    if (!badge) { return; }
    var ticked = multi.querySelectorAll("input[type=checkbox]:checked").length;
    badge.textContent = ticked ? String(ticked) : "";
  });

  // The Time select says "Custom" while From/To set the window (they win over it). Picking a
  // range clears the dates; a date picks Custom; clearing both goes back to the default range.
  // In the capture phase, so the form's values are right before htmx reads them to send.
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    var range = form && form.elements.namedItem("range");
    var from = form && form.elements.namedItem("from");
    var to = form && form.elements.namedItem("to");
    if (!range || !from || !to || range.tagName !== "SELECT") { return; }
    var custom = range.querySelector("option[data-custom]");
    if (event.target === range && range.value !== "") {
      from.value = "";
      to.value = "";
      if (custom) { custom.remove(); }
    } else if (event.target === from || event.target === to) {
      if (from.value || to.value) {
        if (!custom) {
          custom = new Option("Custom", "");
          custom.setAttribute("data-custom", "");
          range.insertBefore(custom, range.firstChild);
        }
        custom.selected = true;
      } else if (custom) {
        custom.remove();
        range.value = range.getAttribute("data-default");
      }
    }
  }, true);

  // Short URLs: a GET a form sends through htmx (and so the URL it pushes) leaves out the
  // empty fields and those at their default (a control's data-default), as the server's links
  // do (logs.listing.filters.short_query): one filter is `?model=x`, not every field.
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt;
    var data = event.detail.formData;
    if (event.detail.verb !== "get" || !data || !form.matches || !form.matches("form")) { return; }
    var names = [];
    data.forEach(function (value, name) { if (names.indexOf(name) < 0) { names.push(name); } });
    names.forEach(function (name) {
      var control = form.elements.namedItem(name);
      var fallback = control && control.getAttribute ? control.getAttribute("data-default") : null;
      var values = data.getAll(name);
      var kept = values.filter(function (v) { return v !== "" && v !== fallback; });
      if (kept.length !== values.length) {
        data.delete(name);
        kept.forEach(function (v) { data.append(name, v); });
      }
    });
  });

  // Paging brings the reader to the top of the new page: the results' top, when it has gone
  // off the top of the screen (a click on the pager below the table), and the focus there, as
  // the link that had it went with the old page.
  document.addEventListener("htmx:afterSwap", function (event) {
    var config = event.detail.requestConfig;
    var link = config && config.elt;
    var results = event.detail.target;
    if (!link || !link.hasAttribute || !link.hasAttribute("data-page-link") || !results) { return; }
    if (results.getBoundingClientRect().top < 0) { results.scrollIntoView({ block: "start" }); }
    if (!document.activeElement || document.activeElement === document.body) {
      results.focus({ preventScroll: true });
    }
  });

  // An error page's "Back to the previous page", when it came from one of ours (the
  // Referrer-Policy sends the referrer only within the site; a new tab has none).
  var cameFromHere = document.referrer.indexOf(window.location.origin + "/") === 0;
  if (cameFromHere) {
    document.querySelectorAll("a[data-back]").forEach(function (back) { back.hidden = false; });
  }
  document.addEventListener("click", function (event) {
    var back = event.target.closest && event.target.closest("a[data-back]");
    if (back && cameFromHere) {
      event.preventDefault();
      window.history.back();
    }
  });
})();
