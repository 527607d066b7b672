/* Một cửa — a receipt's PDF that is still being made (progressive enhancement).
 *
 * Just after a payment, the receipt's signed PDF is drawn in the background (a second or
 * two; docs/decisions/0014). Until then the receipt and dossier pages show "Biên lai đang
 * được tạo…" with a link that reloads the page, in regions marked data-pending-region="1".
 * Here the page asks for itself again every few seconds and, once a region is ready
 * (data-pending-region="0" in the new copy), puts the new content in its place; the region
 * is aria-live, so the link is announced. It gives up after a minute: the link stays.
 */
(function () {
  "use strict";

  var INTERVAL_MS = 2000;
  var ATTEMPTS = 30;

  function pendingRegions() {
    return Array.prototype.filter.call(
      document.querySelectorAll("[data-pending-region='1']"),
      function (region) {
        return region.id;
      }
    );
  }

  function update(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    pendingRegions().forEach(function (region) {
      var ready = fresh.getElementById(region.id);
      if (!ready || ready.getAttribute("data-pending-region") !== "0") {
        return;
      }
      var nodes = Array.prototype.map.call(ready.childNodes, function (node) {
        return document.importNode(node, true);
      });
      while (region.firstChild) {
        region.removeChild(region.firstChild);
      }
      nodes.forEach(function (node) {
        region.appendChild(node);
      });
      region.setAttribute("data-pending-region", "0");
    });
  }

  function poll(left) {
    if (!pendingRegions().length || left <= 0 || !window.fetch || !window.DOMParser) {
      return;
    }
    window.setTimeout(function () {
      fetch(window.location.href, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
        cache: "no-store",
      })
        .then(function (response) {
          return response.ok ? response.text() : "";
        })
        .then(function (html) {
          if (html) {
            update(html);
          }
          poll(left - 1);
        })
        .catch(function () {
          poll(left - 1);
        });
    }, INTERVAL_MS);
  }

  function init() {
    poll(ATTEMPTS);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
