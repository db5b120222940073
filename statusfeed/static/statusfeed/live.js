// A websocket that survives: reconnects with backoff and asks for what it missed (?after=seq).
"use strict";
window.liveStream = function (path, seq, onEvent, indicator) {
  let last = seq;
  let delay = 1000;
  let stopped = false;
  const show = (text, state) => {
    indicator.hidden = false;
    indicator.textContent = text;
    indicator.dataset.state = state;
  };
  const connect = () => {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + path + "?after=" + last);
    socket.onopen = () => { delay = 1000; show("Live", "live"); };
    socket.onmessage = (message) => {
      let data;
      try { data = JSON.parse(message.data); } catch (e) { return; }
      if (data.type !== "event" || data.seq <= last) return;
      last = data.seq;
      onEvent(data);
    };
    socket.onclose = (event) => {
      if (event.code === 4404) {
        stopped = true;
        show("This link no longer works. Reload the page or use the latest link we sent you.", "dead");
        return;
      }
      if (stopped) return;
      show("Reconnecting…", "reconnecting");
      setTimeout(connect, delay + Math.random() * 500);
      delay = Math.min(delay * 2, 30000);
    };
  };
  connect();
  return { lastSeq: () => last };
};

window.localTime = function (iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString([], {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    timeZoneName: "short",
  });
};
