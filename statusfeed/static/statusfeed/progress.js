// Live updates for a ticket's progress page; the page works fully without this script.
"use strict";
(function () {
  const root = document.getElementById("progress");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const TITLES = {
    created: "We received your request",
    status_changed: "Status changed",
    public_reply: "Reply from our team",
    customer_reply: "You wrote",
    eta_revised: "Our estimate changed",
    public_issue_linked: "Linked to a known issue",
    public_issue_update: "Update on a known issue",
    sla_warning: "Still working on it",
    feedback_follow_up: "We followed up on your feedback",
  };

  const setTime = (wrapper, timeEl, iso) => {
    wrapper.hidden = !iso;
    timeEl.setAttribute("datetime", iso || "");
    timeEl.textContent = window.localTime(iso);
  };

  const countdown = () => {
    const iso = $("next-update-at").getAttribute("datetime");
    const out = $("next-update-countdown");
    if (!iso) { out.textContent = ""; return; }
    const ms = Date.parse(iso) - Date.now();
    if (ms <= 0) { out.textContent = "(due now)"; return; }
    const minutes = Math.floor(ms / 60000);
    const h = Math.floor(minutes / 60), m = minutes % 60;
    out.textContent = "(in " + (h ? h + " h " : "") + m + " min)";
  };

  const apply = (event) => {
    const status = $("status");
    status.textContent = event.status_label;
    status.className = "status status-" + event.status;
    setTime($("next-update"), $("next-update-at"), event.next_update_due);
    setTime($("eta"), $("eta-at"), event.eta);
    countdown();
    const item = document.createElement("li");
    item.className = "event event-" + event.kind;
    item.dataset.seq = event.seq;
    const head = document.createElement("p");
    head.className = "event-head";
    const title = document.createElement("strong");
    title.textContent = TITLES[event.kind] || "Update";
    const when = document.createElement("time");
    when.setAttribute("datetime", event.at);
    when.textContent = window.localTime(event.at);
    head.append(title, " · " + event.status_label + " · ", when);
    item.append(head);
    if (event.message) {
      const body = document.createElement("div");
      body.className = "message";
      body.textContent = event.message;  // text, never HTML
      item.append(body);
    }
    if (event.attachments && event.attachments.length) {
      const files = document.createElement("ul");
      files.className = "files";
      event.attachments.forEach((file) => {
        const link = document.createElement("a");
        link.href = "files/" + encodeURIComponent(file.id);  // relative to this page's URL
        link.setAttribute("download", "");
        link.textContent = file.name;
        const entry = document.createElement("li");
        entry.append(link, " (" + Math.max(1, Math.round(file.size / 1024)) + " KB)");
        files.append(entry);
      });
      item.append(files);
    }
    $("timeline").prepend(item);
  };

  document.querySelectorAll("time[datetime]").forEach((el) => {
    const iso = el.getAttribute("datetime");
    if (iso) el.textContent = window.localTime(iso);
  });
  countdown();
  setInterval(countdown, 15000);
  window.progressStream = window.liveStream(
    root.dataset.wsPath, parseInt(root.dataset.seq, 10) || 0, apply, $("live"));
})();
