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
    var rows = "";
    for (var i = 0; i < board.called.length; i++) {
      var c = board.called[i];
      rows += "<tr><td>" + c.number + "</td><td>" + c.counter + "</td></tr>";
    }
    document.getElementById("called").innerHTML = rows;
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

  if (window.EventSource) {
    var source = new EventSource("/hang-doi/" + encodeURIComponent(agency) + "/su-kien");
    source.addEventListener("board", function (event) {
      show(JSON.parse(event.data));
    });
  } else {
    setInterval(poll, 3000);
  }
})();
