/* Helpdesk feedback widget. Embed with one tag:
 *   <script src="https://HELPDESK/static/feedback/widget.js" async></script>
 * optional: data-audience="customer|employee|candidate", data-touchpoint="checkout", data-label="Feedback".
 * It adds a button that opens a small form inside a shadow root (so the host page's styles
 * neither leak in nor out) and posts JSON to the helpdesk's POST /api/v1/feedback/.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__helpdeskFeedbackWidget) return;
  window.__helpdeskFeedbackWidget = true;

  var endpoint = new URL("/api/v1/feedback/", script.src).href;
  var options = script.dataset;
  var CSS = [
    ":host { all: initial; position: fixed; right: 1rem; bottom: 1rem; z-index: 2147483647;",
    "  font: 15px/1.4 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1b1f24; }",
    "button { font: inherit; cursor: pointer; border-radius: .35rem; border: 1px solid #0a58ca;",
    "  background: #0a58ca; color: #fff; padding: .5rem 1rem; }",
    "button.secondary { background: #fff; color: #0a58ca; }",
    "button:focus-visible, input:focus-visible, textarea:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }",
    "form, .done { width: 20rem; max-width: calc(100vw - 2rem); background: #fff; border: 1px solid #d0d7de;",
    "  border-radius: .5rem; padding: 1rem; box-shadow: 0 .5rem 1.5rem rgba(0,0,0,.15); margin-bottom: .5rem; }",
    "h2 { font-size: 1rem; margin: 0 0 .5rem; }",
    "label { display: block; font-weight: 600; margin: .5rem 0 .25rem; }",
    "input, textarea { box-sizing: border-box; width: 100%; font: inherit; padding: .4rem;",
    "  border: 1px solid #d0d7de; border-radius: .25rem; }",
    ".error { color: #cf222e; font-size: .875rem; margin: .25rem 0 0; }",
    ".actions { display: flex; gap: .5rem; margin-top: .75rem; }",
    "a { color: #0a58ca; overflow-wrap: anywhere; }",
    "[hidden] { display: none !important; }",
  ].join("\n");

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    (children || []).forEach(function (child) {
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  var host = el("div", { "data-helpdesk-feedback": "" });
  var root = host.attachShadow({ mode: "open" });
  if (window.CSSStyleSheet && "adoptedStyleSheets" in root) {
    // A constructed sheet also works on host pages whose CSP forbids inline styles.
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    var style = el("style");
    style.textContent = CSS;
    root.append(style);
  }

  var fields = {};
  var errors = {};
  function field(name, label, input) {
    fields[name] = input;
    errors[name] = el("p", { class: "error", id: "hf-" + name + "-error", role: "alert", hidden: "" });
    input.id = "hf-" + name;
    input.name = name;
    input.setAttribute("aria-describedby", errors[name].id);
    return [el("label", { for: input.id }, [label]), input, errors[name]];
  }

  var status = el("p", { class: "error", role: "alert", hidden: "" });
  var send = el("button", { type: "submit" }, ["Send"]);
  var cancel = el("button", { type: "button", class: "secondary" }, ["Close"]);
  var form = el("form", { hidden: "", "aria-label": "Send feedback", novalidate: "" }, [].concat(
    [el("h2", {}, ["Send us feedback"])],
    field("subject", "Subject", el("input", { type: "text", maxlength: "200", required: "" })),
    field("message", "Message", el("textarea", { rows: "4", maxlength: "10000", required: "" })),
    field("email", "Your email", el("input", { type: "email", maxlength: "254", required: "" })),
    [status, el("div", { class: "actions" }, [send, cancel])]
  ));
  var done = el("div", { class: "done", hidden: "", role: "status" });
  var toggle = el("button", { type: "button", "aria-expanded": "false" }, [options.label || "Feedback"]);
  root.append(form, done, toggle);

  var key = newKey();

  function open(show) {
    form.hidden = !show;
    done.hidden = true;
    toggle.setAttribute("aria-expanded", String(show));
    if (show) fields.subject.focus();
  }

  function showErrors(body) {
    Object.keys(errors).forEach(function (name) {
      var messages = body[name];
      errors[name].hidden = !messages;
      errors[name].textContent = messages ? [].concat(messages).join(" ") : "";
    });
    var other = Object.keys(body).filter(function (name) { return !errors[name]; });
    status.hidden = other.length === 0;
    status.textContent = other.map(function (name) { return [].concat(body[name]).join(" "); }).join(" ");
  }

  function showDone(body) {
    var children = [el("h2", {}, ["Thank you"])];
    if (body.status_url) {
      children.push(
        el("p", {}, ["Your reference is ", el("strong", { class: "reference" }, [body.reference]), "."]),
        el("p", {}, [el("a", { href: body.status_url, target: "_blank", rel: "noopener noreferrer" },
          ["Follow its progress"])])
      );
    } else {
      children.push(el("p", {}, [body.detail || "We added this to your open request " + body.reference + "."]));
    }
    done.replaceChildren.apply(done, children);
    form.hidden = true;
    done.hidden = false;
    form.reset();
    key = newKey();
  }

  function payload() {
    var data = {
      subject: fields.subject.value,
      message: fields.message.value,
      email: fields.email.value,
      channel: "widget",
      audience: options.audience || "customer",
    };
    if (options.touchpoint) data.touchpoint = options.touchpoint;
    return data;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    send.disabled = true;
    showErrors({});
    fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": key },
      body: JSON.stringify(payload()),
      credentials: "omit",
    }).then(function (response) {
      if (response.status === 429) {
        var wait = response.headers.get("Retry-After") || "60";
        showErrors({ detail: "Too many messages from here. Please try again in " + wait + " seconds." });
        return;
      }
      return response.json().then(function (body) {
        if (response.ok) showDone(body);
        else showErrors(body);
      });
    }).catch(function () {
      showErrors({ detail: "We could not send this. Check your connection and try again." });
    }).finally(function () {
      send.disabled = false;
    });
  });
  cancel.addEventListener("click", function () { open(false); toggle.focus(); });
  toggle.addEventListener("click", function () { open(form.hidden); });
  root.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !form.hidden) { open(false); toggle.focus(); }
  });

  function mount() { document.body.append(host); }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
