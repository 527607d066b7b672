// The calling screen (/hang-doi/{agency}): live by server-sent events; a browser without
// EventSource polls the JSON board; without JavaScript the page refreshes itself (noscript).
(function () {
  "use strict";
  var body = document.body;
  var agency = body.getAttribute("data-agency");
  var version = body.getAttribute("data-version");

  function show(board) {
    if (!board || board.version === version) return;
    version = board.version;
    var tbody = document.getElementById("called");
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    for (var i = 0; i < board.called.length; i++) {
      var row = document.createElement("tr");
      var number = document.createElement("td");
      var counter = document.createElement("td");
      number.textContent = board.called[i].number;
      counter.textContent = String(board.called[i].counter);
      row.appendChild(number);
      row.appendChild(counter);
      tbody.appendChild(row);
    }
    document.getElementById("waiting").textContent = String(board.waiting);
    if (board.called.length) {
      document.getElementById("announcement").textContent = board.called[0].announcement;
    }
  }

  function poll() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", "/api/v1/queues/" + encodeURIComponent(agency));
    xhr.onload = function () {
      if (xhr.status === 200) show(JSON.parse(xhr.responseText));
    };
    xhr.send();
  }

  var timer = null;
  function startPolling() {
    if (!timer) timer = setInterval(poll, 3000);
  }

  if (window.EventSource) {
    var source = new EventSource("/hang-doi/" + encodeURIComponent(agency) + "/su-kien");
    source.addEventListener("board", function (event) {
      show(JSON.parse(event.data));
    });
    source.onerror = function () {
      // A proxy that does not pass event streams: the browser gives up, so poll instead.
      if (source.readyState === 2) startPolling();
    };
  } else {
    startPolling();
  }
})();
