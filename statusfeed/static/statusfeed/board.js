// Live updates for the public board.
"use strict";
(function () {
  const root = document.getElementById("board");
  if (!root) return;
  const apply = (event) => {
    const issue = event.issue || {};
    const card = document.getElementById("issue-" + issue.id);
    if (!card) {
      const note = document.getElementById("live");
      note.textContent = "A new issue was posted. Reload to see it.";
      return;
    }
    card.querySelector(".issue-status").textContent = issue.status_label;
    const item = document.createElement("li");
    const head = document.createElement("p");
    head.className = "event-head";
    const strong = document.createElement("strong");
    strong.textContent = issue.status_label;
    head.append(strong, " · " + window.localTime(event.at));
    const body = document.createElement("div");
    body.className = "message";
    body.textContent = event.message || "";
    item.append(head, body);
    card.querySelector(".timeline").prepend(item);
  };
  window.liveStream(root.dataset.wsPath, parseInt(root.dataset.seq, 10) || 0, apply,
    document.getElementById("live"));
})();
