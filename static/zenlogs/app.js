// ZenLogs front-end behaviour. No inline script anywhere (the CSP forbids it): everything
// is wired here from data- attributes, and every page works without it.
(function () {
  "use strict";

  // The console's words in the page's language, from Django's JavaScript catalogue
  // (/jsi18n/, loaded before this file); English as written here if it did not load.
  var gettext = window.gettext || function (text) { return text; };
  var ngettext = window.ngettext || function (one, other, n) { return n === 1 ? one : other; };
  var interpolate = window.interpolate || function (text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, name) { return String(values[name]); });
  };
  function grouped(n) { return n.toLocaleString("en-US"); }  // the separators the server writes

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
  // A row brought in live has its cost popover's body at data-pop-src (logs/listing/live.py):
  // it is read the first time the popover opens, by hover, focus or tap.
  function popLoad(event) {
    var pop = event.target.closest && event.target.closest(".pop");
    var panel = pop && pop.querySelector(".pop-panel[data-pop-src]");
    if (!panel) { return; }
    var src = panel.getAttribute("data-pop-src");
    panel.removeAttribute("data-pop-src");
    fetch(src, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.text();
      })
      .then(function (text) { panel.innerHTML = text; })
      .catch(function () {
        panel.setAttribute("data-pop-src", src);  // asked again the next time it opens
        panel.querySelector(".pop-note").textContent = gettext("The billing details could not be read; open Details for them.");
      });
  }
  ["mouseover", "focusin", "click"].forEach(function (kind) { document.addEventListener(kind, popLoad); });
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
    button.textContent = gettext("Copied");
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

  // A filter dropdown (or the Settings menu) closes when you click elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.multi[open], details.navmenu[open]").forEach(function (d) {
      if (!d.contains(event.target)) { d.removeAttribute("open"); }
    });
  });
  // ---------------------------------------------------------------- the live list (live=1)
  // While the results hold a [data-live] box, the list's own URL is asked every
  // data-live-ms for what was stored since (logs/listing/live.py): `after` says where the
  // last answer left off, `sums` carries the summary strip's figures for the server to add
  // the new rows' to. The answer is a partial that is read here, never shown as it is: the
  // new rows, the strip and the pager's total, and the new rows' counts per second for the
  // histogram's bars. Rows stay put while the reader is down the list or has a popover open:
  // an "N new" button brings them in then. Nothing is asked while the tab is hidden.
  var live = { timer: null, busy: false, pending: [], count: 0, reload: false };
  var SVG = "http://www.w3.org/2000/svg";

  function liveBox() { return document.querySelector("#results [data-live]"); }

  function liveSchedule() {
    clearTimeout(live.timer);
    var box = liveBox();
    if (!box || box.hasAttribute("data-live-stopped") || document.hidden) { return; }
    box.hidden = false;
    var wait = parseInt(box.getAttribute("data-live-ms"), 10) || 5000;
    live.timer = setTimeout(livePoll, wait);
  }

  function liveStopped(box, why) {
    box.setAttribute("data-live-stopped", "");
    box.classList.add("paused");
    box.querySelector("[data-live-text]").textContent = why;
  }

  function livePoll() {
    var box = liveBox();
    if (!box || live.busy || document.hidden) { return; }
    var url = new URL(box.getAttribute("data-live-url"), window.location.href);
    url.searchParams.set("after", box.getAttribute("data-live-after"));
    var strip = document.querySelector("#results section.summary[data-live-sums]");
    if (strip) { url.searchParams.set("sums", strip.getAttribute("data-live-sums")); }
    live.busy = true;
    fetch(url.toString(), { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (text) {
        if (liveBox() === box) { liveApply(box, text); }  // else the results were swapped
      }, function () {
        if (liveBox() === box) { liveStopped(box, gettext("Live stopped: the list could not be asked for new requests. Reload the page to follow it again.")); }
      })
      .then(function () { live.busy = false; liveSchedule(); });
  }

  function liveApply(box, text) {
    var holder = document.createElement("template");
    holder.innerHTML = text;
    var update = holder.content.querySelector("[data-live-update]");
    if (!update) { liveStopped(box, gettext("Live stopped: reload the page to follow the list again.")); return; }
    box.setAttribute("data-live-after", update.getAttribute("data-after"));
    [["section.summary", "#results section.summary"], [".total", "#results .pager .total"]].forEach(function (pair) {
      var fresh = update.querySelector(pair[0]), old = document.querySelector(pair[1]);
      if (fresh && old) { old.replaceWith(fresh); }
    });
    liveChart(update.getAttribute("data-seconds"));
    var count = parseInt(update.getAttribute("data-requests"), 10) || 0;
    if (!count) { return; }
    live.count += count;
    if (update.getAttribute("data-overflow")) { live.reload = true; }
    var group = null;
    // The first tbody is the rows' own: a cost popover's table sits inside a row.
    var tbody = update.querySelector("tbody");
    (tbody ? tbody.querySelectorAll(":scope > tr") : []).forEach(function (tr) {
      if (tr.id && tr.id.indexOf("g-") === 0) { group = [tr]; live.pending.push(group); }
      else if (group) { group.push(tr); }  // a search's excerpt goes with its row
    });
    if (liveReaderAway()) { liveButton(); } else { liveBringIn(); }
  }

  function liveReaderAway() {
    if (document.querySelector(".pop.open, .pop:hover, .pop:focus-within")) { return true; }
    var rows = document.querySelector("#results table.logs > tbody");
    return rows ? rows.getBoundingClientRect().top < 0 : false;
  }

  function liveButton() {
    var button = document.querySelector("#results [data-live-new]");
    if (!button) { return; }
    button.textContent = interpolate(ngettext("%(count)s new", "%(count)s new", live.count), { count: grouped(live.count) }, true);
    button.hidden = false;
  }

  function rowTime(tr) {
    var time = tr.querySelector("time");
    // Milliseconds: Date.parse reads no more digits of the microseconds.
    return time ? Date.parse(time.getAttribute("datetime").replace(/(\.\d{3})\d+/, "$1")) : 0;
  }

  function liveBringIn() {
    var box = liveBox();
    var tbody = document.querySelector("#results table.logs > tbody");
    var size = box ? parseInt(box.getAttribute("data-live-page-size"), 10) || 50 : 50;
    var shown = tbody ? tbody.querySelectorAll(":scope > tr[id^='g-']").length : 0;
    // More than a page arrived at once, or the list has grown to a few pages, or there was
    // no table yet: the newest page is read afresh (the pager's links then fit it again).
    if (live.reload || !tbody || shown + live.pending.length > 4 * size) {
      liveReset();
      if (box && window.htmx) {
        window.htmx.ajax("GET", box.getAttribute("data-live-url"), { target: "#results", swap: "innerHTML" });
      }
      return;
    }
    tbody.setAttribute("aria-live", "off");  // the status line says it, not every cell
    var older = document.querySelector("#results .pager a[rel=next]");
    live.pending.forEach(function (group) {
      if (document.getElementById(group[0].id)) { return; }  // brought in by the page already
      var at = rowTime(group[0]);
      var rows = tbody.querySelectorAll(":scope > tr[id^='g-']");
      for (var i = 0; i < rows.length; i++) {
        if (rowTime(rows[i]) < at) {
          group.forEach(function (tr) { tbody.insertBefore(tr, rows[i]); });
          return;
        }
      }
      // Older than every row shown: its place is on the older page, if there is one.
      if (!older) { group.forEach(function (tr) { tbody.appendChild(tr); }); }
    });
    var text = box && box.querySelector("[data-live-text]");
    if (text) {
      text.textContent = interpolate(ngettext(
        "Live: %(count)s new request brought in at %(time)s.",
        "Live: %(count)s new requests brought in at %(time)s.", live.count),
        { count: grouped(live.count), time: new Date().toLocaleTimeString() }, true);
    }
    liveReset();
  }

  function liveReset() {
    live.pending = [];
    live.count = 0;
    live.reload = false;
    var button = document.querySelector("#results [data-live-new]");
    if (button) { button.hidden = true; }
  }

  function niceCeiling(value) {
    var magnitude = Math.pow(10, Math.floor(Math.log10(value)));
    var multiples = [1, 2, 2.5, 5];
    for (var i = 0; i < multiples.length; i++) {
      if (multiples[i] * magnitude >= value) { return multiples[i] * magnitude; }
    }
    return 10 * magnitude;
  }

  function setRect(bar, name, x, width, y, height) {
    var rect = bar.querySelector("rect." + name);
    if (height <= 0) { if (rect) { rect.remove(); } return; }
    if (!rect) {
      rect = document.createElementNS(SVG, "rect");
      rect.setAttribute("class", name);
      bar.appendChild(rect);
    }
    rect.setAttribute("x", x); rect.setAttribute("width", width);
    rect.setAttribute("y", y.toFixed(2)); rect.setAttribute("height", height.toFixed(2));
  }

  // As logs/listing/histogram.py draws a bar: the failed part stacked on the succeeded one.
  function drawBar(svg, bar, axis) {
    var top = parseFloat(svg.getAttribute("data-top")), plot = parseFloat(svg.getAttribute("data-plot"));
    var base = top + plot;
    var n = parseInt(bar.getAttribute("data-requests"), 10), failed = parseInt(bar.getAttribute("data-failed"), 10);
    var slot = bar.querySelector("rect.slot");
    var slotX = parseFloat(slot.getAttribute("x")), slotWidth = parseFloat(slot.getAttribute("width"));
    var x = (slotX + slotWidth * 0.1).toFixed(3) + "%", width = (slotWidth * 0.8).toFixed(3) + "%";
    var total = n / axis * plot;
    if (n) { total = Math.max(total, 1); }
    var failedHeight = n ? total * failed / n : 0;
    setRect(bar, "ok", x, width, base - (total - failedHeight), total - failedHeight);
    setRect(bar, "failed", x, width, base - total, failedHeight);
    var title = bar.querySelector("title");
    // The same words as the server's (logs.listing.histogram._bar_text).
    var label = interpolate(ngettext(
      "%(span)s: %(count)s request, %(succeeded)s succeeded, %(failed)s failed",
      "%(span)s: %(count)s requests, %(succeeded)s succeeded, %(failed)s failed", n),
      { span: bar.getAttribute("data-span"), count: grouped(n), succeeded: grouped(n - failed), failed: grouped(failed) }, true);
    title.textContent = label;
    if (bar.tagName.toLowerCase() === "g" && n) {  // it has requests now: a link, as the others
      var link = document.createElementNS(SVG, "a");
      link.setAttribute("href", bar.getAttribute("data-href"));
      Array.prototype.slice.call(bar.attributes).forEach(function (a) {
        if (a.name !== "data-href") { link.setAttribute(a.name, a.value); }
      });
      while (bar.firstChild) { link.appendChild(bar.firstChild); }
      bar.replaceWith(link);
      bar = link;
    }
    if (bar.hasAttribute("aria-label")) { bar.setAttribute("aria-label", label); }
  }

  function liveChart(text) {
    var svg = document.querySelector("#results svg.histogram-chart[data-axis-max]");
    if (!svg || !text) { return; }
    var bars = Array.prototype.slice.call(svg.querySelectorAll("[data-low]"));
    if (!bars.length) { return; }
    var changed = [], beyond = false;
    text.split(" ").forEach(function (item) {
      var p = item.split(":").map(Number);  // second, requests, failed
      for (var i = bars.length - 1; i >= 0; i--) {
        var bar = bars[i];
        if (parseInt(bar.getAttribute("data-low"), 10) <= p[0]) {
          if (p[0] >= parseInt(bar.getAttribute("data-high"), 10)) { beyond = true; return; }
          bar.setAttribute("data-requests", parseInt(bar.getAttribute("data-requests"), 10) + p[1]);
          bar.setAttribute("data-failed", parseInt(bar.getAttribute("data-failed"), 10) + p[2]);
          if (changed.indexOf(bar) < 0) { changed.push(bar); }
          return;
        }
      }
    });
    var axis = parseInt(svg.getAttribute("data-axis-max"), 10);
    var most = Math.max.apply(null, bars.map(function (b) {
      return b.querySelector("rect.uncounted") ? 0 : parseInt(b.getAttribute("data-requests"), 10);
    }));
    if (most > axis) {  // taller than the axis: a new axis, and every bar drawn to it
      axis = niceCeiling(most);
      svg.setAttribute("data-axis-max", axis);
      svg.querySelector("[data-axis-label]").textContent = grouped(axis);
      changed = bars;
    }
    changed.forEach(function (bar) { drawBar(svg, bar, axis); });
    var desc = svg.querySelector("desc");
    if (desc && changed.length) {
      var all = 0, failed = 0;
      svg.querySelectorAll("[data-low]").forEach(function (b) {
        all += parseInt(b.getAttribute("data-requests"), 10);
        failed += parseInt(b.getAttribute("data-failed"), 10);
      });
      // As the server writes it (logs.listing.histogram._lay_out), from the parts it left
      // on the chart.
      var d = svg.dataset;
      desc.textContent = interpolate(ngettext(
        "%(count)s request from %(start)s to %(end)s (%(zone)s), %(failed)s of them failed " +
        "(error or cancelled), in %(bars)s bars of %(size)s. Each bar links to the list of its " +
        "time range.",
        "%(count)s requests from %(start)s to %(end)s (%(zone)s), %(failed)s of them failed " +
        "(error or cancelled), in %(bars)s bars of %(size)s. Each bar links to the list of its " +
        "time range.", all),
        { count: grouped(all), start: d.start, end: d.end, zone: d.zone, failed: grouped(failed), bars: d.bars, size: d.size },
        true) + (d.approximate ? " " + d.approximate : "");
    }
    var figure = svg.closest("figure");
    if (beyond && figure && !figure.querySelector("[data-live-beyond]")) {
      // Time has run past the chart's last bar: say so rather than leave newer rows out.
      var note = document.createElement("p");
      note.className = "note";
      note.setAttribute("data-live-beyond", "");
      note.appendChild(document.createTextNode(gettext("Newer requests are past the chart's last bar.") + " "));
      var again = document.createElement("a");
      again.href = liveBox().getAttribute("data-live-url");
      again.textContent = gettext("Redraw the chart");
      note.appendChild(again);
      figure.appendChild(note);
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-live-new]");
    if (!button) { return; }
    liveBringIn();
    var results = document.getElementById("results");
    if (results) { results.scrollIntoView({ block: "start" }); }
  });

  // Turned on, the switch follows the newest first page of a window that ends now: it clears
  // To and the sort before the form is sent (capture: htmx reads the form when it bubbles up).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!el.matches || !el.matches("[data-live-switch]") || !el.checked || !el.form) { return; }
    var to = el.form.querySelector("[name=to]");
    if (to) { to.value = ""; }
    document.querySelectorAll("input[type=hidden][name=sort][form='" + el.form.id + "']").forEach(function (input) {
      input.remove();
    });
  }, true);

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { clearTimeout(live.timer); } else { livePoll(); }
  });
  document.addEventListener("htmx:afterSettle", function () { liveReset(); liveSchedule(); });
  liveSchedule();


  // Escape closes the filter dropdowns and More filters, and the focus goes back to the
  // summary that opened the one it was in.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var open = "details.multi[open], details.more[open], details.navmenu[open]";
    document.querySelectorAll(open).forEach(function (d) {
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
          custom = new Option(gettext("Custom"), "");
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
