/*
 * careerbot chat widget. Embed with one tag:
 *   <script src="https://BOT_HOST/widget.js" defer></script>
 * Optional attributes on that tag: data-title, data-greeting, data-accent (a CSS colour),
 * data-position ("right" | "left"), data-open ("true" opens the panel on load).
 *
 * Rules this file keeps:
 * - Everything lives in a shadow root, styled from inside it, so the host page's CSS cannot reach in
 *   and ours cannot leak out.
 * - Text from users, answers and articles only ever goes into the DOM through textContent, never as
 *   HTML, so a question or article containing markup shows that markup as text.
 * - Nothing loads from anywhere but the bot's own host.
 */
(function () {
  "use strict";

  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!script || window.__careerbotWidget) return; // one widget per page even if the tag is pasted twice
  window.__careerbotWidget = true;

  var API = new URL(script.src, location.href).origin;
  var STORE_KEY = "careerbot-widget:" + API;
  var SERVER = /* settings: filled in by the server */ {};
  var MAX_STORED_MESSAGES = 100;
  // Icons (SVG paths) are drawn rather than emoji: many systems (headless Linux among them) have no emoji font.
  var CHAT_ICON = "M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2zM6 9h12v2H6zm8 5H6v-2h8zm4-6H6V6h12z";
  var THUMB_ICON = "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 " +
    "7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z";

  var config = {
    title: script.getAttribute("data-title") || "Career questions",
    greeting: script.getAttribute("data-greeting") ||
      "Hi! Ask me about careers in machine learning. Every answer cites the articles it comes from.",
    accent: safeColour(script.getAttribute("data-accent")) || "#4f46e5",
    position: script.getAttribute("data-position") === "left" ? "left" : "right",
    openOnLoad: script.getAttribute("data-open") === "true"
  };

  var STYLE = [
    ":host { all: initial !important; position: fixed !important; bottom: 20px !important; z-index: 2147483000 !important;",
    "  display: block !important; visibility: visible !important; opacity: 1 !important; }",
    ":host([data-position=right]) { right: 20px !important; left: auto !important; }",
    ":host([data-position=left]) { left: 20px !important; right: auto !important; }",
    "* { box-sizing: border-box; }",
    ".root { font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1f2937; }",
    ".launcher { width: 56px; height: 56px; border-radius: 50%; border: none; cursor: pointer; display: flex;",
    "  align-items: center; justify-content: center; background: var(--accent); color: #fff; font-size: 26px;",
    "  box-shadow: 0 4px 14px rgba(0,0,0,.25); margin-left: auto; }",
    ":host([data-position=left]) .launcher { margin-left: 0; }",
    ".launcher:focus-visible, button:focus-visible, textarea:focus-visible, a:focus-visible, summary:focus-visible {",
    "  outline: 3px solid #f59e0b; outline-offset: 2px; }",
    ".panel { width: 370px; height: min(560px, calc(100vh - 110px)); margin-bottom: 12px; background: #fff;",
    "  border-radius: 14px; box-shadow: 0 10px 40px rgba(0,0,0,.25); display: flex; flex-direction: column;",
    "  overflow: hidden; }",
    ".panel[hidden] { display: none; }",
    ".header { background: var(--accent); color: #fff; padding: 12px 14px; display: flex; align-items: center; gap: 8px; }",
    ".header h2 { font-size: 16px; font-weight: 600; line-height: 1.2; margin: 0; flex: 1; color: inherit; }",
    ".close { background: transparent; border: none; color: #fff; font-size: 22px; line-height: 1; cursor: pointer;",
    "  padding: 4px 8px; border-radius: 6px; }",
    ".log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 10px; background: #f9fafb; }",
    ".msg { max-width: 88%; padding: 8px 11px; border-radius: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }",
    ".user { align-self: flex-end; background: var(--accent); color: #fff; border-bottom-right-radius: 4px; }",
    ".bot { align-self: flex-start; background: #fff; border: 1px solid #e5e7eb; border-bottom-left-radius: 4px; }",
    ".bot.pending .text:empty::after { content: '\u2026'; }",
    ".notice { font-style: italic; color: #6b7280; margin-top: 6px; }",
    ".error { align-self: stretch; background: #fef2f2; color: #991b1b; border: 1px solid #fecaca; }",
    ".sources { margin-top: 8px; padding-top: 6px; border-top: 1px solid #e5e7eb; font-size: 13px; white-space: normal; }",
    ".sources h3 { font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; color: #6b7280; margin: 0 0 4px; }",
    ".sources ol { margin: 0; padding-left: 20px; }",
    ".sources li { margin: 3px 0; }",
    ".sources a { color: var(--accent); }",
    ".sources summary { cursor: pointer; color: #4b5563; font-size: 12px; }",
    ".sources blockquote { margin: 4px 0; padding: 4px 8px; border-left: 3px solid #d1d5db; color: #374151;",
    "  white-space: pre-wrap; background: #f3f4f6; }",
    ".chips { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; }",
    ".log > .chips { align-self: flex-start; margin-top: -4px; }",
    ".chip { font: inherit; font-size: 13px; line-height: 1.3; text-align: left; color: var(--accent); background: #fff;",
    "  border: 1px solid var(--accent); border-radius: 14px; padding: 4px 10px; cursor: pointer; }",
    ".chip:hover { background: #f5f5ff; }",
    ".feedback { display: flex; flex-wrap: wrap; align-items: center; gap: 4px; margin-top: 6px; white-space: normal; }",
    ".thumb { background: transparent; border: 1px solid transparent; border-radius: 6px; padding: 2px 4px;",
    "  cursor: pointer; color: #9ca3af; line-height: 0; }",
    ".thumb:hover { color: #4b5563; }",
    ".thumb[aria-pressed=true] { color: var(--accent); border-color: var(--accent); }",
    ".reason { display: flex; gap: 4px; flex-basis: 100%; }",
    ".reason input { flex: 1; font: inherit; font-size: 13px; padding: 3px 6px; border: 1px solid #d1d5db; border-radius: 6px; }",
    ".reason button { font: inherit; font-size: 13px; border: 1px solid #d1d5db; background: #fff; border-radius: 6px; cursor: pointer; }",
    ".feedback .status { font-size: 12px; color: #6b7280; }",
    "form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #e5e7eb; background: #fff; }",
    "textarea { flex: 1; resize: none; font: inherit; color: inherit; padding: 8px 10px; border: 1px solid #d1d5db;",
    "  border-radius: 10px; height: 42px; max-height: 120px; background: #fff; }",
    ".send { background: var(--accent); color: #fff; border: none; border-radius: 10px; padding: 0 14px; font: inherit; font-weight: 600;",
    "  cursor: pointer; }",
    ".send:disabled { opacity: .6; cursor: default; }",
    ".sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }",
    /* Phone-sized screens: the open panel takes the whole viewport. */
    "@media (max-width: 480px) {",
    "  .panel { position: fixed; inset: 0; width: 100vw; height: 100vh; height: 100dvh; margin: 0; border-radius: 0; }",
    "  :host(.open) .launcher { display: none; }",
    "}"
  ].join("\n");

  var state = loadState();
  var busy = false;
  var ui = build();
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start); // the tag was put in <head> without defer

  function start() {
    document.body.appendChild(ui.host);
    renderHistory();
    if (state.open || config.openOnLoad) setOpen(true, false);
  }

  // --- state kept across page loads in this tab ---------------------------------------------------

  function loadState() {
    var fallback = { conversationId: newConversationId(), messages: [], open: false };
    try {
      var saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
      if (saved && typeof saved.conversationId === "string" && Array.isArray(saved.messages)) return saved;
    } catch (e) { /* storage blocked or corrupt: start afresh */ }
    return fallback;
  }

  function saveState() {
    state.messages = state.messages.slice(-MAX_STORED_MESSAGES); // sessionStorage is small (~5 MB per site)
    try { sessionStorage.setItem(STORE_KEY, JSON.stringify(state)); } catch (e) { /* private mode, quota */ }
  }

  function newConversationId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }

  // --- DOM -----------------------------------------------------------------------------------------

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function build() {
    var host = el("careerbot-widget", { "data-position": config.position });
    var shadow = host.attachShadow({ mode: "open" });
    adoptStyle(shadow);
    var root = el("div", { "class": "root" });
    root.style.setProperty("--accent", config.accent);

    var panel = el("div", { "class": "panel", role: "dialog", "aria-label": config.title, id: "careerbot-panel", hidden: "" });
    var header = el("div", { "class": "header" });
    header.appendChild(el("h2", {}, config.title));
    var close = el("button", { "class": "close", type: "button", "aria-label": "Close chat" }, "\u00d7");
    header.appendChild(close);
    var log = el("div", { "class": "log", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
    var form = el("form", {});
    var label = el("label", { "class": "sr-only", "for": "careerbot-input" }, "Your question");
    var input = el("textarea", { id: "careerbot-input", rows: "1", maxlength: String(SERVER.maxMessageChars),
      placeholder: "Ask a question\u2026", "aria-label": "Your question" });
    var send = el("button", { "class": "send", type: "submit", "aria-label": "Send" }, "Send");
    form.appendChild(label);
    form.appendChild(input);
    form.appendChild(send);
    panel.appendChild(header);
    panel.appendChild(log);
    panel.appendChild(form);

    var launcher = el("button", { "class": "launcher", type: "button", "aria-label": "Open chat: " + config.title,
      "aria-expanded": "false", "aria-controls": "careerbot-panel" });
    launcher.appendChild(icon(CHAT_ICON, 26));
    root.appendChild(panel);
    root.appendChild(launcher);
    shadow.appendChild(root);

    launcher.addEventListener("click", function () { setOpen(panel.hidden, true); });
    close.addEventListener("click", function () { setOpen(false, true); });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); setOpen(false, true); }
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); submit(); }
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); submit(); });
    return { host: host, panel: panel, launcher: launcher, log: log, input: input, send: send };
  }

  // Drawn rather than emoji (see the icons at the top).
  function icon(pathData, size, flipped) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", String(size));
    svg.setAttribute("height", String(size));
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", pathData);
    if (flipped) path.setAttribute("transform", "rotate(180 12 12)");
    svg.appendChild(path);
    return svg;
  }

  // A constructed stylesheet, where supported, is not an inline <style>, so a customer page whose CSP
  // forbids inline styles still gets a styled widget.
  function adoptStyle(shadow) {
    if ("adoptedStyleSheets" in shadow && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(STYLE);
      shadow.adoptedStyleSheets = [sheet];
    } else {
      shadow.appendChild(el("style", {}, STYLE));
    }
  }

  function setOpen(open, moveFocus) {
    ui.panel.hidden = !open;
    ui.host.classList.toggle("open", open);
    ui.launcher.setAttribute("aria-expanded", String(open));
    ui.launcher.setAttribute("aria-label", (open ? "Close chat: " : "Open chat: ") + config.title);
    state.open = open;
    saveState();
    if (!moveFocus) return;
    if (open) ui.input.focus(); else ui.launcher.focus();
  }

  function scrollDown() { ui.log.scrollTop = ui.log.scrollHeight; }

  function renderHistory() {
    ui.log.appendChild(el("div", { "class": "msg bot greeting" }, config.greeting));
    state.messages.forEach(function (m) {
      if (m.role === "user") addUser(m.text);
      else if (m.role === "assistant") fillAnswer(addBot(), m);
      else addError(m.text);
    });
    var offered = ui.log.querySelectorAll(".chips");
    for (var i = 0; i < offered.length - 1; i++) offered[i].remove(); // only the newest answer's suggestions
    if (!state.messages.length) showStarters();
    scrollDown();
  }

  // Starter questions from the server (built from its articles), under the greeting of an empty chat.
  function showStarters() {
    fetch(API + "/api/starters").then(function (response) {
      return response.ok ? response.json() : { questions: [] };
    }).then(function (body) {
      if (state.messages.length || !body.questions || !body.questions.length) return;
      ui.log.querySelector(".greeting").after(chips(body.questions, "starters"));
    }).catch(function () { /* no starters: the greeting alone still invites a question */ });
  }

  // Questions offered as buttons; a click asks one.
  function chips(questions, kind) {
    var box = el("div", { "class": "chips " + kind, role: "group", "aria-label": "Suggested questions" });
    questions.forEach(function (question) {
      var chip = el("button", { "class": "chip", type: "button" }, question);
      chip.addEventListener("click", function () { if (!busy) ask(question); });
      box.appendChild(chip);
    });
    return box;
  }

  function removeChips() {
    var offered = ui.log.querySelectorAll(".chips");
    for (var i = 0; i < offered.length; i++) offered[i].remove();
  }

  function addUser(text) {
    ui.log.appendChild(el("div", { "class": "msg user" }, text));
  }

  function addBot() {
    var bubble = el("div", { "class": "msg bot pending" });
    bubble.appendChild(el("div", { "class": "text" }));
    ui.log.appendChild(bubble);
    return bubble;
  }

  function addError(text) {
    ui.log.appendChild(el("div", { "class": "msg error", role: "alert" }, text));
    scrollDown();
  }

  function fillAnswer(bubble, answer) {
    bubble.classList.remove("pending");
    bubble.querySelector(".text").textContent = answer.text;
    if (answer.notice) bubble.appendChild(el("div", { "class": "notice" }, answer.notice));
    if (answer.sources && answer.sources.length) bubble.appendChild(sourceList(answer.sources));
    if (SERVER.feedback && answer.exchangeId) bubble.appendChild(feedbackBar(answer));
    if (answer.suggestions && answer.suggestions.length) bubble.after(chips(answer.suggestions, "suggestions"));
  }

  // --- feedback: thumbs under an answer, and an optional reason after a thumbs-down -------------------

  function feedbackBar(answer) {
    var bar = el("div", { "class": "feedback", role: "group", "aria-label": "Was this answer helpful?" });
    [["up", "Helpful", false], ["down", "Not helpful", true]].forEach(function (kind) {
      var thumb = el("button", { "class": "thumb " + kind[0], type: "button", "aria-label": kind[1],
        "aria-pressed": String(answer.rating === kind[0]) });
      thumb.appendChild(icon(THUMB_ICON, 16, kind[2]));
      thumb.addEventListener("click", function () {
        rate(answer, bar, kind[0], null);
        if (kind[0] === "down") askReason(answer, bar);
      });
      bar.appendChild(thumb);
    });
    bar.appendChild(el("span", { "class": "status", role: "status" }));
    return bar;
  }

  function askReason(answer, bar) {
    if (bar.querySelector(".reason")) return;
    var box = el("div", { "class": "reason" });
    var input = el("input", { type: "text", maxlength: String(SERVER.maxFeedbackChars),
      placeholder: "What was wrong? (optional)", "aria-label": "What was wrong? (optional)" });
    var send = el("button", { type: "button" }, "Send");
    function submitReason() {
      var reason = input.value.trim();
      if (reason) rate(answer, bar, "down", reason);
      box.remove();
    }
    send.addEventListener("click", submitReason);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.isComposing) { event.preventDefault(); submitReason(); }
    });
    box.appendChild(input);
    box.appendChild(send);
    bar.appendChild(box);
    input.focus();
  }

  // Rating again replaces the earlier rating on the server, so a changed mind is just another POST.
  function rate(answer, bar, rating, reason) {
    answer.rating = rating;
    saveState();
    var thumbs = bar.querySelectorAll(".thumb");
    for (var i = 0; i < thumbs.length; i++) {
      thumbs[i].setAttribute("aria-pressed", String(thumbs[i].classList.contains(rating)));
    }
    var status = bar.querySelector(".status");
    fetch(API + "/api/feedback", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ exchange_id: answer.exchangeId, rating: rating, reason: reason })
    }).then(function (response) {
      status.textContent = response.ok ? "Thanks for your feedback." : "Sorry, your feedback couldn't be saved.";
    }, function () {
      status.textContent = "Sorry, your feedback couldn't be saved.";
    });
  }

  function sourceList(sources) {
    var box = el("div", { "class": "sources" });
    box.appendChild(el("h3", {}, "Sources"));
    var list = el("ol", {});
    sources.forEach(function (s) {
      var item = el("li", { value: String(s.n) });
      var link = httpUrl(s.url);
      var title = link ? el("a", { href: link, target: "_blank", rel: "noopener noreferrer" }, s.title)
                       : el("strong", {}, s.title);
      title.classList.add("source-title");
      item.appendChild(title);
      var quotes = s.quotes && s.quotes.length ? s.quotes : [{ text: s.text }];
      var quote = el("details", {});
      quote.appendChild(el("summary", {}, quotes.length > 1 ? quotes.length + " quoted passages" : "Quoted passage"));
      quotes.forEach(function (q) { quote.appendChild(el("blockquote", {}, q.text)); });
      item.appendChild(quote);
      list.appendChild(item);
    });
    box.appendChild(list);
    return box;
  }

  // Only http(s) links: a javascript: URL in an article's metadata must not become a clickable link.
  function httpUrl(url) {
    if (typeof url !== "string") return null;
    try {
      var parsed = new URL(url);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (e) { return null; }
  }

  function safeColour(value) {
    return value && window.CSS && window.CSS.supports("color", value) ? value : null;
  }

  // --- asking --------------------------------------------------------------------------------------

  function submit() {
    var question = ui.input.value.trim();
    if (!question || busy) return;
    ui.input.value = "";
    ask(question);
  }

  function history() {
    return state.messages
      .filter(function (m) { return (m.role === "user" && !m.unanswered) || m.role === "assistant"; })
      .slice(-SERVER.maxHistoryTurns)
      .map(function (m) { return { role: m.role, content: m.text }; });
  }

  function ask(question) {
    removeChips();
    var turns = history();
    addUser(question);
    state.messages.push({ role: "user", text: question });
    saveState();
    var bubble = addBot();
    scrollDown();
    setBusy(true);
    var finished = false;
    stream(question, turns, {
      token: function (data) {
        bubble.querySelector(".text").textContent += data.text;
        scrollDown();
      },
      sources: function (data) {
        finished = true;
        var answer = { role: "assistant", text: data.answer, sources: data.sources || [], notice: data.notice || null,
          suggestions: data.suggestions || [], exchangeId: data.exchange_id || null };
        fillAnswer(bubble, answer);
        state.messages.push(answer);
        saveState();
        scrollDown();
      },
      error: function (data) { fail(bubble, data.error || "Sorry, the answer failed. Please try again."); }
    }).then(function () {
      if (!finished && bubble.parentNode && bubble.classList.contains("pending")) {
        fail(bubble, "Sorry, the answer was cut off. Please try again.");
      }
    }, function (err) {
      fail(bubble, err.message);
    }).then(function () { setBusy(false); });
  }

  function fail(bubble, message) {
    if (bubble.parentNode) bubble.parentNode.removeChild(bubble);
    // The unanswered question stays on screen but leaves the history sent with the next question.
    var asked = state.messages[state.messages.length - 1];
    if (asked && asked.role === "user") asked.unanswered = true;
    state.messages.push({ role: "error", text: message });
    saveState();
    addError(message);
  }

  function setBusy(value) {
    busy = value;
    ui.send.disabled = value;
    ui.log.setAttribute("aria-busy", String(value));
  }

  function stream(question, turns, handlers) {
    return fetch(API + "/api/chat/stream", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Conversation-Id": state.conversationId,
        "X-Careerbot-Channel": "widget" },
      body: JSON.stringify({ message: question, history: turns })
    }).catch(function () {
      // A refused origin looks exactly like a network failure to us: the browser hides the 403.
      throw new Error("Couldn't reach the assistant. It may be offline, or not enabled for this website.");
    }).then(function (response) {
      if (!response.ok) return response.json().catch(function () { return {}; }).then(function (body) {
        throw new Error(friendlyError(response, body));
      });
      return readEvents(response.body.getReader(), handlers);
    });
  }

  function friendlyError(response, body) {
    if (response.status === 429) {
      var wait = parseInt(response.headers.get("Retry-After") || body.retry_after || "0", 10);
      return "You're sending messages faster than I can answer. Please wait" +
        (wait > 0 ? " " + wait + " second" + (wait === 1 ? "" : "s") : " a moment") + " and try again.";
    }
    if (response.status === 413) return "That message is too long. Please shorten it and try again.";
    if (response.status === 403) return "The assistant is not enabled for this website.";
    if (response.status === 503) return "The assistant is starting up. Please try again in a minute.";
    return "Sorry, something went wrong (" + response.status + "). Please try again.";
  }

  // Server-Sent Events over fetch: EventSource can't POST. Events are separated by a blank line.
  function readEvents(reader, handlers) {
    var decoder = new TextDecoder();
    var buffer = "";
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) return;
        buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n/g, "\n");
        var boundary;
        while ((boundary = buffer.indexOf("\n\n")) !== -1) {
          dispatch(buffer.slice(0, boundary), handlers);
          buffer = buffer.slice(boundary + 2);
        }
        return pump();
      });
    }
    return pump();
  }

  function dispatch(block, handlers) {
    var name = "message";
    var data = [];
    block.split("\n").forEach(function (line) {
      if (line.indexOf("event:") === 0) name = line.slice(6).trim();
      else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
    });
    if (!handlers[name]) return;
    var payload;
    try { payload = JSON.parse(data.join("\n") || "{}"); } catch (e) { return; /* malformed event: skip it */ }
    handlers[name](payload);
  }
})();
