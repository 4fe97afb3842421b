/*
 * HelperChat widget (SPEC §7.2): a chat button and window for any page.
 *
 *   <script src="https://helpdesk.example.com/widget.js" data-site="acme" async></script>
 *
 * Optional attributes: data-lang (a language tag such as ru or pt-BR, overriding the site's
 * language: the server's own words follow it when its catalogue has the language; this UI has
 * English and Russian and shows English for any other), data-identity (a signed
 * identity from the site's server, passed through unchanged). Everything lives in a Shadow DOM
 * on one host element; the only global is window.HelperChat ({open, close, toggle}).
 * Text from the server is always inserted with textContent, never as HTML.
 */
(function () {
  "use strict";

  var STRINGS = {
    en: {
      openChat: "Open chat",
      closeChat: "Close chat",
      chatWith: "Chat with {name}",
      online: "We're online",
      offline: "We're offline",
      offlineTitle: "Nobody is online right now",
      offlineText: "Our team is away at the moment. Leave us a message and we will get back to you.",
      offlineLeave: "Leave us a message here and we will answer as soon as we can.",
      fbTitle: "Leave us a message",
      fbName: "Your name (optional)",
      fbContact: "E-mail or phone (optional)",
      fbContactHint: "So that we can answer you.",
      fbMessage: "Message",
      fbSend: "Send message",
      fbSending: "Sending…",
      fbThanks: "Thank you! Your message has been sent. We will answer as soon as we can.",
      fbAnother: "Write another message",
      fbNeedText: "Please write your message.",
      fbBadContact: "Please give an e-mail address or a phone number, or leave the field empty.",

      messages: "Messages",
      message: "Message",
      placeholder: "Write a message…",
      send: "Send",
      queue: "You are number {n} in the queue",
      queueWaiting: "Waiting for an operator…",
      typing: "{name} is typing…",
      someoneTyping: "Typing…",
      sending: "Sending",
      sent: "Sent",
      delivered: "Delivered",
      read: "Read",
      ended: "The chat has ended.",
      newChat: "Start a new chat",
      endChat: "End chat",
      close: "Close",
      you: "You",
      chooseOperator: "Talk to",
      anyone: "Anyone available",
      yourName: "Your name (optional)",
      yourEmail: "E-mail (optional)",
      namePlaceholder: "Your name",
      emailPlaceholder: "E-mail",
      joined: "{name} joined the chat",
      failed: "Could not send. Please try again.",
      tooFast: "Too many messages. Please wait {s} s and try again.",
      reconnecting: "Reconnecting…",
      greeting: "Hi! How can we help you today?"
    },
    ru: {
      openChat: "Открыть чат",
      closeChat: "Закрыть чат",
      chatWith: "Чат с {name}",
      online: "Мы на связи",
      offline: "Сейчас никого нет",
      offlineTitle: "Сейчас никого нет на связи",
      offlineText: "Наши сотрудники сейчас не в сети. Оставьте нам сообщение — мы с вами свяжемся.",
      offlineLeave: "Оставьте нам сообщение здесь — мы ответим, как только сможем.",
      fbTitle: "Оставьте нам сообщение",
      fbName: "Ваше имя (необязательно)",
      fbContact: "E-mail или телефон (необязательно)",
      fbContactHint: "Чтобы мы могли вам ответить.",
      fbMessage: "Сообщение",
      fbSend: "Отправить сообщение",
      fbSending: "Отправляется…",
      fbThanks: "Спасибо! Ваше сообщение отправлено. Мы ответим, как только сможем.",
      fbAnother: "Написать ещё одно сообщение",
      fbNeedText: "Пожалуйста, напишите сообщение.",
      fbBadContact: "Укажите адрес электронной почты или номер телефона — или оставьте поле пустым.",
      messages: "Сообщения",
      message: "Сообщение",
      placeholder: "Напишите сообщение…",
      send: "Отправить",
      queue: "Вы {n}-й в очереди",
      queueWaiting: "Ждём оператора…",
      typing: "{name} печатает…",
      someoneTyping: "Печатает…",
      sending: "Отправляется",
      sent: "Отправлено",
      delivered: "Доставлено",
      read: "Прочитано",
      ended: "Чат завершён.",
      newChat: "Начать новый чат",
      endChat: "Завершить чат",
      close: "Закрыть",
      you: "Вы",
      chooseOperator: "Кому написать",
      anyone: "Любому свободному",
      yourName: "Ваше имя (необязательно)",
      yourEmail: "E-mail (необязательно)",
      namePlaceholder: "Ваше имя",
      emailPlaceholder: "E-mail",
      joined: "{name} подключился к чату",
      failed: "Не удалось отправить. Попробуйте ещё раз.",
      tooFast: "Слишком много сообщений. Подождите {s} с и попробуйте снова.",
      reconnecting: "Переподключение…",
      greeting: "Здравствуйте! Чем можем помочь?"
    }
  };

  var TYPING_EVERY_MS = 3000;
  var PAUSED_AFTER_MS = 5000;
  var BACKOFF_MIN_MS = 1000;
  var BACKOFF_MAX_MS = 30000;
  var POLL_WAIT_S = 25;
  var WS_FAILURES_BEFORE_POLLING = 2;
  var MAX_FIELD = 2000;
  var MAX_TITLE = 200; // a `page` frame's title (§7.1): longer, the whole frame is refused
  var PAGE_CHECK_MS = 1000; // how often the address is looked at (pushState fires no event)
  var INFO_EVERY_MS = 30000;

  var script = document.currentScript || findOwnScript();
  if (!script || (window.HelperChat && window.HelperChat.version)) return;
  var SITE = script.getAttribute("data-site") || "";
  if (!/^[a-z0-9-]{1,32}$/.test(SITE)) return;
  var SRC = new URL(script.src, location.href);
  var BASE = SRC.origin + SRC.pathname.replace(/\/widget\.js$/, "");
  var API = BASE + "/api/v1";
  var LANG_ATTR = languageTag(script.getAttribute("data-lang"));
  var IDENTITY = script.getAttribute("data-identity");
  var STORE_KEY = "helperchat:" + SITE;

  function languageTag(value) {
    // "pt-BR" stays, anything that is no language tag is none ("")
    var tag = String(value || "").trim().toLowerCase();
    return /^[a-z]{2,8}(-[a-z0-9]{1,8}){0,3}$/.test(tag) && tag.length <= 16 ? tag : "";
  }

  function uiLanguage(tag) {
    var primary = String(tag || "").split("-")[0];
    return STRINGS[primary] ? primary : "en";
  }

  function findOwnScript() {
    var all = document.getElementsByTagName("script");
    for (var i = all.length - 1; i >= 0; i--) {
      var src = all[i].getAttribute("src") || "";
      if (/widget\.js([?#].*)?$/.test(src) && all[i].hasAttribute("data-site")) return all[i];
    }
    return null;
  }

  // ---- small helpers -------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "class") node.className = attrs[key];
      else if (attrs[key] === true) node.setAttribute(key, "");
      else if (attrs[key] !== false && attrs[key] != null) node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(child);
    });
    return node;
  }

  var SVG_NS = "http://www.w3.org/2000/svg";
  function icon(paths, size) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", size || 24);
    svg.setAttribute("height", size || 24);
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    paths.forEach(function (d) {
      var path = document.createElementNS(SVG_NS, "path");
      path.setAttribute("d", d);
      svg.appendChild(path);
    });
    return svg;
  }
  var ICON_CHAT = ["M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"];
  var ICON_CLOSE = ["M6 6l12 12M18 6L6 18"];
  var ICON_SEND = ["M3 20l18-8L3 4l3 8-3 8z", "M6 12h8"];

  function load() {
    try {
      var stored = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
      // anything else under our key (another script's, an old version's) is no chat of ours
      if (!stored || typeof stored !== "object" || Array.isArray(stored)) return {};
      if (typeof stored.chat !== "string" || typeof stored.token !== "string") {
        delete stored.chat;
        delete stored.token;
      }
      return stored;
    } catch (e) {
      return {};
    }
  }
  function save(state) {
    try {
      sessionStorage.setItem(STORE_KEY, JSON.stringify(state));
    } catch (e) {
      /* private mode: the chat lasts as long as the page */
    }
  }

  function request(method, path, body, token) {
    var headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = "Bearer " + token;
    return fetch(API + path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      mode: "cors",
      credentials: "omit"
    }).then(function (answer) {
      var retryAfter = Number(answer.headers.get("Retry-After")) || 0;
      if (answer.status === 204) return { status: 204, body: null, retryAfter: 0 };
      return answer.json().then(
        function (json) { return { status: answer.status, body: json, retryAfter: retryAfter }; },
        function () { return { status: answer.status, body: null, retryAfter: retryAfter }; }
      );
    });
  }

  function backoff(attempt) {
    // jittered within [ceiling/2, ceiling]: 1–2 s first, doubling up to 15–30 s
    var ceiling = Math.min(BACKOFF_MAX_MS, 2 * BACKOFF_MIN_MS * Math.pow(2, attempt));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  function clip(text, limit) {
    return String(text || "").slice(0, limit || MAX_FIELD);
  }

  // A contact as the server takes it (component/contacts.py): an e-mail address, or a phone
  // number of 7 to 15 digits with the usual separators.
  function validContact(text) {
    if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text)) return true;
    var digits = text.replace(/[^0-9]/g, "").length;
    return /^\+?[0-9 ().\/-]+$/.test(text) && digits >= 7 && digits <= 15;
  }

  // ---- the widget ----------------------------------------------------------------------------

  function Widget() {
    this.stored = load(); // {chat, token, seq, open, closed}
    this.info = null;
    this.wanted = LANG_ATTR; // the visitor's language, told to the server (the site's if none)
    this.lang = uiLanguage(LANG_ATTR); // this UI's own strings: English where it lacks one
    this.shown = {}; // seq -> bubble, for kept events already on screen
    this.pending = []; // the visitor's bubbles waiting for their seq
    this.operatorName = "";
    this.socket = null;
    this.polling = false;
    this.wsFailures = 0;
    this.attempt = 0;
    this.retryTimer = null;
    this.generation = 0; // bumps when a chat ends or starts: late answers of the old one are dropped
    this.lastComposing = 0;
    this.pausedTimer = null;
    this.composing = false;
    this.starting = false; // a start request is on its way
    this.replayedTo = 0; // a reload replays the chat's events up to this seq: old, not news
    this.build();
  }

  Widget.prototype.t = function (key, values) {
    var text = (STRINGS[this.lang] || STRINGS.en)[key] || STRINGS.en[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(values[name]);
    });
    return text;
  };

  Widget.prototype.build = function () {
    var self = this;
    this.host = document.createElement("helperchat-widget");
    this.host.setAttribute("data-site", SITE);
    this.root = this.host.attachShadow({ mode: "open" });
    this.root.appendChild(el("style", { text: ":host{display:none!important}" }));
    var css = el("link", { rel: "stylesheet", href: BASE + "/widget.css" });
    var reveal = function () {
      var hide = self.root.querySelector("style");
      if (hide) hide.remove();
    };
    css.addEventListener("load", reveal);
    css.addEventListener("error", reveal);
    this.root.appendChild(css);

    this.launcher = el("button", { class: "hc-launcher", type: "button", "aria-expanded": "false",
      "aria-controls": "hc-window" }, [icon(ICON_CHAT, 28), icon(ICON_CLOSE, 26)]);
    this.avatar = el("img", { class: "hc-avatar", alt: "", hidden: true });
    this.avatarFallback = el("span", { class: "hc-avatar hc-avatar-letter", "aria-hidden": "true" });
    this.title = el("h2", { class: "hc-title", id: "hc-title" });
    this.operatorLine = el("p", { class: "hc-operator", hidden: true });
    this.statusText = el("span", { class: "hc-status-text" });
    this.status = el("p", { class: "hc-status" }, [el("span", { class: "hc-dot" }), this.statusText]);
    this.endButton = el("button", { class: "hc-end", type: "button", hidden: true });
    this.closeButton = el("button", { class: "hc-close", type: "button" }, [icon(ICON_CLOSE, 20)]);
    var header = el("header", { class: "hc-header" }, [
      el("div", { class: "hc-face" }, [this.avatar, this.avatarFallback]),
      el("div", { class: "hc-titles" }, [this.title, this.operatorLine, this.status]),
      this.endButton,
      this.closeButton
    ]);

    this.welcome = el("div", { class: "hc-msg hc-from-operator hc-welcome" });
    this.log = el("div", { class: "hc-log", role: "log", "aria-live": "polite" }, [this.welcome]);
    this.typingLine = el("div", { class: "hc-typing", hidden: true }, [
      el("span", { class: "hc-dots", "aria-hidden": "true" }, [el("i"), el("i"), el("i")]),
      el("span", { class: "hc-typing-text" })
    ]);
    this.queueLine = el("div", { class: "hc-notice hc-queue", role: "status", hidden: true });
    this.offlineTitle = el("p", { class: "hc-offline-title" });
    this.offlineText = el("p", { class: "hc-offline-text" });
    this.offlineBox = el("div", { class: "hc-offline", hidden: true }, [
      this.offlineTitle, this.offlineText, this.feedbackSlot = el("div", { class: "hc-feedback-slot" })
    ]);
    this.endedText = el("p");
    this.newChatButton = el("button", { class: "hc-new", type: "button" });
    this.endedBox = el("div", { class: "hc-ended", hidden: true }, [this.endedText, this.newChatButton]);
    this.errorLine = el("div", { class: "hc-error", role: "alert", hidden: true });
    var body = el("div", { class: "hc-body" }, [
      this.offlineBox, this.log, this.typingLine, this.queueLine, this.endedBox
    ]);

    this.choice = el("select", { class: "hc-choice", id: "hc-choice" });
    this.choiceLabel = el("label", { for: "hc-choice" });
    this.choiceRow = el("div", { class: "hc-field hc-choice-row", hidden: true }, [this.choiceLabel, this.choice]);
    this.nameInput = el("input", { class: "hc-input", type: "text", autocomplete: "name", maxlength: "200" });
    this.emailInput = el("input", { class: "hc-input", type: "email", autocomplete: "email", maxlength: "254" });
    this.intro = el("div", { class: "hc-intro", hidden: true }, [
      this.choiceRow,
      el("div", { class: "hc-pair" }, [this.nameInput, this.emailInput])
    ]);
    this.textarea = el("textarea", { class: "hc-text", rows: "1", maxlength: "4000" });
    this.sendButton = el("button", { class: "hc-send", type: "submit" }, [icon(ICON_SEND, 20)]);
    this.form = el("form", { class: "hc-compose", novalidate: true }, [
      this.errorLine, this.intro, el("div", { class: "hc-row" }, [this.textarea, this.sendButton])
    ]);

    this.window = el("section", { class: "hc-window", id: "hc-window", role: "dialog",
      "aria-modal": "false", hidden: true }, [header, body, this.form]);
    this.frame = el("div", { class: "hc-frame" }, [this.window, this.launcher]);
    this.root.appendChild(this.frame);

    this.launcher.addEventListener("click", function () { self.toggle(true); });
    this.closeButton.addEventListener("click", function () { self.close(true); });
    this.endButton.addEventListener("click", function () { self.endChat(); });
    this.newChatButton.addEventListener("click", function () { self.newChat(); });
    this.window.addEventListener("keydown", function (e) {
      if (e.key === "Escape") {
        e.stopPropagation();
        self.close(true);
      }
    });
    this.form.addEventListener("submit", function (e) {
      e.preventDefault();
      self.send();
    });
    this.textarea.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        self.send();
      }
    });
    this.textarea.addEventListener("input", function () {
      self.autosize();
      self.typed();
    });
    window.addEventListener("popstate", function () { self.sendPage(); });
    window.addEventListener("hashchange", function () { self.sendPage(); });
    // Single-page sites change pages by history.pushState, which fires no event; rather than
    // patch the page's history object, the address is looked at once a second (a string compare).
    window.setInterval(function () { self.sendPage(); }, PAGE_CHECK_MS);
    this.applyLanguage();
  };

  // The feedback form (SPEC §6), shown in the offline notice while nobody is online and the
  // site's form is on: name, e-mail or phone, message; checked here and by the server. Made the
  // first time it is needed (a site without the form never has it on the page).
  Widget.prototype.ensureFeedback = function () {
    if (!this.feedbackForm) {
      this.buildFeedback().forEach(function (node) { this.feedbackSlot.appendChild(node); }, this);
      this.feedbackTexts();
    }
  };

  Widget.prototype.buildFeedback = function () {
    var self = this;
    function field(id, control, hint) {
      var error = el("p", { class: "hc-field-error", id: id + "-error", role: "alert", hidden: true });
      control.id = id;
      control.setAttribute("aria-describedby", (hint ? id + "-hint " : "") + id + "-error");
      var label = el("label", { class: "hc-fb-label", for: id });
      var parts = [label, control, hint ? el("p", { class: "hc-fb-hint", id: id + "-hint" }) : null, error];
      return { row: el("div", { class: "hc-fb-field" }, parts), label: label, error: error, control: control };
    }
    this.fbName = field("hc-fb-name", el("input", { class: "hc-input", type: "text", autocomplete: "name",
      maxlength: "200" }));
    this.fbContact = field("hc-fb-contact", el("input", { class: "hc-input", type: "text", autocomplete: "email",
      maxlength: "254", spellcheck: "false" }), true);
    this.fbText = field("hc-fb-text", el("textarea", { class: "hc-input hc-fb-text", rows: "3", maxlength: "4000",
      "aria-required": "true" }));
    this.fbTitle = el("h3", { class: "hc-fb-title", id: "hc-fb-title" });
    this.fbError = el("p", { class: "hc-error hc-fb-error", role: "alert", hidden: true });
    this.fbSend = el("button", { class: "hc-new hc-fb-send", type: "submit" });
    this.feedbackForm = el("form", { class: "hc-feedback", novalidate: true, "aria-labelledby": "hc-fb-title",
      hidden: true }, [this.fbTitle, this.fbName.row, this.fbContact.row, this.fbText.row, this.fbError, this.fbSend]);
    this.fbThanksText = el("p");
    this.fbAnother = el("button", { class: "hc-new", type: "button" });
    this.thanks = el("div", { class: "hc-thanks", role: "status", tabindex: "-1", hidden: true },
      [this.fbThanksText, this.fbAnother]);
    this.feedbackForm.addEventListener("submit", function (e) {
      e.preventDefault();
      self.sendFeedback();
    });
    this.fbAnother.addEventListener("click", function () {
      self.feedbackSent = false;
      self.updateStatus();
      self.fbName.control.focus();
    });
    return [this.feedbackForm, this.thanks];
  };

  Widget.prototype.fieldError = function (field, message) {
    field.control.setAttribute("aria-invalid", message ? "true" : "false");
    field.error.textContent = message;
    field.error.hidden = !message;
    return !message;
  };

  Widget.prototype.sendFeedback = function () {
    var self = this;
    if (this.fbSending) return;
    var name = this.fbName.control.value.trim();
    var contact = this.fbContact.control.value.trim();
    var text = this.fbText.control.value.trim();
    this.fbError.hidden = true;
    var contactOk = this.fieldError(this.fbContact, contact && !validContact(contact) ? this.t("fbBadContact") : "");
    var textOk = this.fieldError(this.fbText, text ? "" : this.t("fbNeedText"));
    if (!contactOk || !textOk) return (contactOk ? this.fbText : this.fbContact).control.focus();
    var body = { text: text, page: clip(location.href), lang: this.lang };
    if (name) body.name = name;
    if (contact) body.contact = contact;
    this.fbSending = true;
    this.fbSend.disabled = true;
    this.fbSend.textContent = this.t("fbSending");
    var done = function () {
      self.fbSending = false;
      self.fbSend.disabled = false;
      self.fbSend.textContent = self.t("fbSend");
    };
    request("POST", "/sites/" + SITE + "/feedback", body).then(function (answer) {
      done();
      if (answer.status === 201) return self.feedbackDone();
      var error = answer.body && answer.body.error;
      self.fbError.textContent = (error && error.message) || self.t("failed");
      self.fbError.hidden = false;
      if (error && error.code === "invalid_contact") self.fbContact.control.focus();
      if (error && error.code === "feedback_off") self.loadInfo(); // the chat is back instead
    }, function () {
      done();
      self.fbError.textContent = self.t("failed");
      self.fbError.hidden = false;
    });
  };

  Widget.prototype.feedbackDone = function () {
    [this.fbName, this.fbContact, this.fbText].forEach(function (field) {
      field.control.value = "";
      this.fieldError(field, "");
    }, this);
    this.feedbackSent = true;
    this.updateStatus();
    this.thanks.focus();
  };

  Widget.prototype.applyLanguage = function () {
    var name = (this.info && this.info.name) || "";
    this.window.setAttribute("lang", this.lang);
    this.launcher.setAttribute("lang", this.lang);
    this.title.textContent = name;
    this.window.setAttribute("aria-label", this.t("chatWith", { name: name }));
    this.closeButton.setAttribute("aria-label", this.t("close"));
    this.closeButton.title = this.t("close");
    this.endButton.textContent = this.t("endChat");
    this.log.setAttribute("aria-label", this.t("messages"));
    this.textarea.setAttribute("aria-label", this.t("message"));
    this.textarea.placeholder = this.t("placeholder");
    this.sendButton.setAttribute("aria-label", this.t("send"));
    this.sendButton.title = this.t("send");
    this.choiceLabel.textContent = this.t("chooseOperator");
    this.nameInput.placeholder = this.t("namePlaceholder");
    this.nameInput.setAttribute("aria-label", this.t("yourName"));
    this.emailInput.placeholder = this.t("emailPlaceholder");
    this.emailInput.setAttribute("aria-label", this.t("yourEmail"));
    this.offlineTitle.textContent = this.t("offlineTitle");
    if (this.feedbackForm) this.feedbackTexts();
    this.offlineText.textContent = this.t(this.info && this.info.feedback_form ? "offlineText" : "offlineLeave");
    this.endedText.textContent = this.t("ended");
    this.newChatButton.textContent = this.t("newChat");
    this.welcome.textContent = (this.info && this.info.welcome) || this.t("greeting");
    this.avatarFallback.textContent = (name.trim()[0] || "?").toUpperCase();
    this.updateLauncher();
    this.updateStatus();
  };

  Widget.prototype.feedbackTexts = function () {
    this.fbTitle.textContent = this.t("fbTitle");
    this.fbName.label.textContent = this.t("fbName");
    this.fbContact.label.textContent = this.t("fbContact");
    this.fbContact.row.querySelector(".hc-fb-hint").textContent = this.t("fbContactHint");
    this.fbText.label.textContent = this.t("fbMessage");
    if (!this.fbSending) this.fbSend.textContent = this.t("fbSend");
    this.fbThanksText.textContent = this.t("fbThanks");
    this.fbAnother.textContent = this.t("fbAnother");
  };

  Widget.prototype.updateLauncher = function () {
    var open = !this.window.hidden;
    this.launcher.setAttribute("aria-expanded", open ? "true" : "false");
    this.launcher.setAttribute("aria-label", this.t(open ? "closeChat" : "openChat"));
    this.frame.classList.toggle("hc-is-open", open);
  };

  Widget.prototype.updateStatus = function () {
    var online = !!(this.info && this.info.online);
    var inChat = this.hasChat();
    // The site's state (its info, kept up to date by the operator's own words), except for a chat
    // passed on to an operator who was away when it started.
    var shownOnline = online && !(inChat && this.stored.away);
    this.status.classList.toggle("hc-online", shownOnline);
    this.statusText.textContent = this.t(shownOnline ? "online" : "offline");
    this.operatorLine.hidden = !(inChat && this.operatorName);
    this.operatorLine.textContent = this.operatorName;
    var nobody = !!(this.info && !online && !inChat);
    // Nobody online: with the site's feedback form on, the form's slot takes the composer's place
    // (a chat would be refused with 409); without it, a message is passed on to an operator who
    // answers later (SPEC §4.2), so the composer stays, under a notice that says so.
    var away = nobody && !!this.info.feedback_form;
    this.offlineText.textContent = this.t(away ? "offlineText" : "offlineLeave");
    this.offlineBox.hidden = !nobody;
    if (away) this.ensureFeedback();
    if (this.feedbackForm) {
      this.feedbackForm.hidden = !away || !!this.feedbackSent;
      this.thanks.hidden = !away || !this.feedbackSent;
    }
    this.window.classList.toggle("hc-away", away);
    this.welcome.hidden = away;
    this.form.hidden = away || !!this.stored.closed;
    this.endButton.hidden = !inChat || !!this.stored.closed;
    var firstMessage = !inChat;
    this.intro.hidden = !firstMessage;
    var operators = (this.info && this.info.operators) || [];
    this.choiceRow.hidden = !(firstMessage && operators.length);
  };

  Widget.prototype.hasChat = function () {
    return !!(this.stored.chat && this.stored.token);
  };

  // ---- site info -----------------------------------------------------------------------------

  Widget.prototype.loadInfo = function () {
    var self = this;
    return request("GET", "/sites/" + SITE).then(function (answer) {
      if (answer.status !== 200 || !answer.body) return;
      self.info = answer.body;
      if (!LANG_ATTR) {
        self.wanted = languageTag(self.info.lang);
        self.lang = uiLanguage(self.wanted);
      }
      self.fillChoice(self.info.operators || []);
      self.showAvatar(self.info.avatar);
      self.applyLanguage();
    }, function () { /* the API is unreachable: the launcher still works, sending retries */ });
  };

  Widget.prototype.showAvatar = function (url) {
    if (typeof url !== "string" || !/^https?:/.test(url) || this.avatar.src === url) return;
    this.avatar.src = url;
    this.avatar.hidden = false;
    this.avatarFallback.hidden = true;
  };

  Widget.prototype.fillChoice = function (operators) {
    var chosen = this.choice.value;
    this.choice.textContent = "";
    this.choice.appendChild(el("option", { value: "", text: this.t("anyone") }));
    operators.forEach(function (op) {
      this.choice.appendChild(el("option", { value: String(op.id), text: op.name }));
    }, this);
    this.choice.value = chosen;
    if (this.choice.value !== chosen) this.choice.value = "";
  };

  // ---- opening and closing -------------------------------------------------------------------

  Widget.prototype.toggle = function (focus) {
    if (this.window.hidden) this.open(focus);
    else this.close(focus);
  };

  Widget.prototype.open = function (focus) {
    var self = this;
    this.window.hidden = false;
    this.stored.open = true;
    save(this.stored);
    this.updateLauncher();
    this.scrollDown();
    if (focus !== false) this.focusInside();
    if (this.info && !this.hasChat()) this.loadInfo();
    clearInterval(this.infoTimer); // while the window is open, who is online stays current
    this.infoTimer = setInterval(function () {
      if (!self.hasChat()) self.loadInfo();
    }, INFO_EVERY_MS);
  };

  Widget.prototype.focusInside = function () {
    if (!this.form.hidden) this.textarea.focus();
    else if (this.feedbackForm && !this.feedbackForm.hidden) this.fbName.control.focus();
    else if (this.feedbackForm && !this.thanks.hidden) this.thanks.focus();
    else if (!this.endedBox.hidden) this.newChatButton.focus();
    else this.closeButton.focus();
  };

  Widget.prototype.close = function (focus) {
    clearInterval(this.infoTimer);
    var hadFocus = !!this.root.activeElement && this.root.activeElement !== this.launcher;
    this.window.hidden = true;
    this.stored.open = false;
    save(this.stored);
    this.updateLauncher();
    if (focus || hadFocus) this.launcher.focus(); // a hidden window would drop it on the page
  };

  Widget.prototype.autosize = function () {
    this.textarea.style.height = "auto";
    this.textarea.style.height = Math.min(this.textarea.scrollHeight, 120) + "px";
  };

  Widget.prototype.scrollDown = function () {
    this.log.scrollTop = this.log.scrollHeight;
  };

  // ---- rendering messages --------------------------------------------------------------------

  Widget.prototype.time = function (at) {
    var when = at ? new Date(at) : new Date();
    if (isNaN(when.getTime())) when = new Date();
    try {
      return when.toLocaleTimeString(this.lang, { hour: "numeric", minute: "2-digit" });
    } catch (e) {
      return "";
    }
  };

  Widget.prototype.bubble = function (from, text, at, author) {
    var meta = el("span", { class: "hc-meta" }, [el("span", { class: "hc-time", text: this.time(at) })]);
    var node = el("div", { class: "hc-msg hc-from-" + from }, [
      author ? el("span", { class: "hc-author", text: author }) : null,
      el("span", { class: "hc-text-body", text: text }),
      from === "system" ? null : meta
    ]);
    if (from === "visitor") {
      node.tick = el("span", { class: "hc-tick" });
      meta.appendChild(node.tick);
    }
    this.log.appendChild(node);
    this.scrollDown();
    return node;
  };

  Widget.prototype.setTick = function (node, state) {
    if (!node || !node.tick) return;
    var order = { sending: 0, sent: 1, delivered: 2, read: 3 };
    if (node.tickState && order[node.tickState] >= order[state]) return;
    node.tickState = state;
    node.tick.className = "hc-tick hc-tick-" + state;
    node.tick.textContent = "";
    var marks = state === "sending" ? "…" : state === "read" || state === "delivered" ? "✓✓" : "✓";
    node.tick.appendChild(el("span", { "aria-hidden": "true", text: marks }));
    node.tick.appendChild(el("span", { class: "hc-sr", text: this.t(state) }));
    node.tick.title = this.t(state);
  };

  Widget.prototype.bind = function (node, seq) {
    node.seq = seq;
    this.shown[seq] = node;
    this.setTick(node, "sent");
  };

  // ---- events --------------------------------------------------------------------------------

  Widget.prototype.onEvent = function (event) {
    if (!event || typeof event.type !== "string") return;
    var kept = { message: 1, queue: 1, operator: 1, closed: 1 }[event.type];
    if (kept && typeof event.seq === "number") {
      if (event.seq > (this.stored.seq || 0)) { // even when shown already (bound by its answer)
        this.stored.seq = event.seq;
        save(this.stored);
      }
      if (this.shown[event.seq]) return; // seen already: nothing twice
      this.shown[event.seq] = true;
    }
    var handler = this["on_" + event.type];
    if (handler) handler.call(this, event);
  };

  Widget.prototype.on_message = function (event) {
    var text = String(event.text || "");
    if (event.from === "visitor") {
      var index = this.pending.findIndex(function (node) { return node.sentText === text; });
      var node = index >= 0 ? this.pending.splice(index, 1)[0] : this.bubble("visitor", text, event.at);
      this.bind(node, event.seq);
      return;
    }
    if (event.from === "operator") {
      this.hideTyping();
      var news = event.seq > this.replayedTo; // an answer seen before the reload says nothing now
      if (news && (this.stored.away || (this.info && !this.info.online))) { // someone is here now
        this.stored.away = false;
        save(this.stored);
        if (this.info) this.info.online = true;
        this.updateStatus();
      }
      if (event.operator) this.setOperator(String(event.operator));
      this.bubble("operator", text, event.at, event.operator ? String(event.operator) : "");
    } else {
      this.bubble("system", text, event.at);
    }
  };

  Widget.prototype.on_queue = function (event) {
    var position = Number(event.position) || 0;
    this.queueLine.textContent = position > 0 ? this.t("queue", { n: position }) : this.t("queueWaiting");
    this.queueLine.hidden = false;
  };

  Widget.prototype.on_operator = function (event) {
    this.queueLine.hidden = true;
    this.showAvatar(event.avatar);
    if (event.name) this.setOperator(String(event.name));
  };

  Widget.prototype.on_typing = function (event) {
    if (event.state === "composing") this.showTyping();
    else this.hideTyping();
  };

  Widget.prototype.on_receipt = function (event) {
    var of = Number(event.of);
    if (event.state === "delivered") {
      var node = this.shown[of];
      if (node && node.tick) this.setTick(node, "delivered");
    } else if (event.state === "read") { // a read mark (XEP-0333) covers every message before it
      Object.keys(this.shown).forEach(function (seq) {
        var earlier = this.shown[seq];
        if (Number(seq) <= of && earlier && earlier.tick) this.setTick(earlier, "read");
      }, this);
    }
  };

  Widget.prototype.on_closed = function () {
    this.stored.closed = true;
    save(this.stored);
    this.stopConnection();
    this.hideTyping();
    this.queueLine.hidden = true;
    this.endedBox.hidden = false;
    var hadFocus = this.form.contains(this.root.activeElement); // the composer is about to hide
    this.updateStatus();
    if (hadFocus) this.newChatButton.focus();
    this.scrollDown();
  };

  Widget.prototype.setOperator = function (name) {
    this.queueLine.hidden = true;
    this.operatorName = name;
    this.updateStatus();
  };

  Widget.prototype.showTyping = function () {
    var self = this;
    this.typingLine.lastChild.textContent = this.operatorName
      ? this.t("typing", { name: this.operatorName }) : this.t("someoneTyping");
    this.typingLine.hidden = false;
    this.scrollDown();
    clearTimeout(this.typingTimeout);
    this.typingTimeout = setTimeout(function () { self.hideTyping(); }, 30000);
  };

  Widget.prototype.hideTyping = function () {
    this.typingLine.hidden = true;
    clearTimeout(this.typingTimeout);
  };

  // ---- sending -------------------------------------------------------------------------------

  Widget.prototype.send = function () {
    var text = this.textarea.value.trim();
    // while the chat is being started, the next text waits in the box (no second chat)
    if (!text || this.stored.closed || this.starting) return;
    this.textarea.value = "";
    this.autosize();
    this.errorLine.hidden = true;
    var node = this.bubble("visitor", text);
    node.sentText = text;
    this.setTick(node, "sending");
    this.pending.push(node);
    if (!this.hasChat()) this.start(text, node);
    else this.write(text, node);
  };

  Widget.prototype.failed = function (node, text, answer) {
    var index = this.pending.indexOf(node);
    if (index >= 0) this.pending.splice(index, 1);
    node.remove();
    if (!this.textarea.value) this.textarea.value = text;
    var wait = answer && answer.status === 429 ? answer.retryAfter : 0;
    this.errorLine.textContent = wait ? this.t("tooFast", { s: wait }) : this.t("failed");
    this.errorLine.hidden = false;
  };

  Widget.prototype.start = function (text, node) {
    var self = this;
    var body = { text: text, page: clip(location.href), lang: this.wanted || this.lang };
    if (document.referrer) body.referrer = clip(document.referrer);
    if (this.nameInput.value.trim()) body.name = this.nameInput.value.trim().slice(0, 200);
    if (this.emailInput.value.trim()) body.email = this.emailInput.value.trim().slice(0, 254);
    if (this.choice.value && !this.choiceRow.hidden) body.operator = Number(this.choice.value);
    if (IDENTITY) body.identity = IDENTITY;
    this.starting = true;
    this.sendButton.disabled = true;
    request("POST", "/sites/" + SITE + "/chats", body).then(function (answer) {
      self.starting = false;
      self.sendButton.disabled = false;
      if (answer.status === 409 && answer.body && answer.body.error && answer.body.error.code === "offline") {
        self.failed(node, text);
        self.errorLine.hidden = true;
        if (self.info) {
          self.info.online = false;
          self.info.feedback_form = true; // the server answers 409 only when the form is on
        }
        self.ensureFeedback();
        if (!self.fbText.control.value) { // what they wrote becomes the form's message
          self.fbText.control.value = text;
          self.textarea.value = "";
        }
        self.updateStatus();
        if (!self.window.hidden) self.focusInside();
        return;
      }
      if (answer.status !== 201 || !answer.body) return self.failed(node, text, answer);
      var started = answer.body;
      self.replayedTo = 0;
      self.stored = { chat: started.chat, token: started.token, seq: 0, open: true, closed: false,
        away: started.state === "offline" }; // passed on to an operator who is not online
      save(self.stored);
      self.generation++;
      if (started.operator && started.operator.name) self.setOperator(String(started.operator.name));
      if (started.operator) self.showAvatar(started.operator.avatar);
      if (started.state === "queued") self.on_queue({ position: started.position });
      if (started.state === "offline" && self.info) self.info.online = false;
      self.updateStatus();
      self.connect();
    }, function () {
      self.starting = false;
      self.sendButton.disabled = false;
      self.failed(node, text);
    });
  };

  Widget.prototype.write = function (text, node) {
    // over HTTP even with a socket open: its answer (the seq, or why not) belongs to this message
    var self = this;
    this.stopComposing();
    var generation = this.generation;
    request("POST", "/chats/" + this.stored.chat + "/messages", { text: text }, this.stored.token)
      .then(function (answer) {
        if (generation !== self.generation) return;
        if (answer.status === 202 && answer.body) {
          var index = self.pending.indexOf(node);
          if (index >= 0) self.pending.splice(index, 1);
          if (node.seq) return; // its event came first and bound it
          if (self.shown[answer.body.seq]) node.remove();
          else self.bind(node, answer.body.seq);
        } else if (answer.status === 409) {
          self.failed(node, text, answer);
          self.on_closed();
        } else {
          self.failed(node, text, answer);
        }
      }, function () { self.failed(node, text); });
  };

  Widget.prototype.typed = function () {
    var self = this;
    if (!this.hasChat() || this.stored.closed) return;
    var now = Date.now();
    if (now - this.lastComposing >= TYPING_EVERY_MS) {
      this.lastComposing = now;
      this.composing = true;
      this.sendTyping("composing");
    }
    clearTimeout(this.pausedTimer);
    this.pausedTimer = setTimeout(function () {
      if (self.composing) {
        self.composing = false;
        self.lastComposing = 0;
        self.sendTyping("paused");
      }
    }, PAUSED_AFTER_MS);
  };

  Widget.prototype.stopComposing = function () {
    clearTimeout(this.pausedTimer);
    if (this.composing) {
      this.composing = false;
      this.lastComposing = 0;
      this.sendTyping("active");
    }
  };

  Widget.prototype.sendTyping = function (state) {
    if (this.socket && this.socket.readyState === 1) {
      this.socket.send(JSON.stringify({ type: "typing", state: state }));
    } else if (this.hasChat()) {
      request("POST", "/chats/" + this.stored.chat + "/typing", { state: state }, this.stored.token)
        .catch(function () { /* typing is best effort */ });
    }
  };

  // The page the visitor is on, once per change (and once per socket, which may be a new page
  // load); several events for one change (popstate and hashchange) send it once.
  Widget.prototype.sendPage = function (again) {
    if (!this.socket || this.socket.readyState !== 1) return;
    var page = { type: "page", url: clip(location.href), title: clip(document.title, MAX_TITLE) };
    var told = JSON.stringify(page);
    if (told === this.toldPage && !again) return;
    this.toldPage = told;
    this.socket.send(told);
  };

  // ---- ending and starting again -------------------------------------------------------------

  Widget.prototype.endChat = function () {
    var self = this;
    if (!this.hasChat()) return;
    var chat = this.stored.chat;
    var token = this.stored.token;
    request("POST", "/chats/" + chat + "/close", undefined, token).then(function (answer) {
      if (answer.status === 204 && self.stored.chat === chat) self.on_closed();
    }, function () { /* the button stays: try again */ });
  };

  Widget.prototype.newChat = function (focus) {
    this.stopConnection();
    this.generation++;
    this.stored = { open: true };
    save(this.stored);
    this.shown = {};
    this.pending = [];
    this.operatorName = "";
    this.wsFailures = 0;
    this.polling = false;
    var keep = this.welcome;
    this.log.textContent = "";
    this.log.appendChild(keep);
    this.endedBox.hidden = true;
    this.queueLine.hidden = true;
    this.updateStatus();
    this.loadInfo();
    if (focus !== false && !this.window.hidden) this.focusInside();
  };

  // ---- the connection: WebSocket, else long polling ------------------------------------------

  Widget.prototype.connect = function () {
    if (!this.hasChat() || this.stored.closed) return;
    if (this.polling) this.poll();
    else this.openSocket();
  };

  Widget.prototype.stopConnection = function () {
    this.generation++;
    clearTimeout(this.retryTimer);
    if (this.socket) {
      var socket = this.socket;
      this.socket = null;
      socket.onclose = socket.onerror = socket.onmessage = null;
      try { socket.close(); } catch (e) { /* closed already */ }
    }
  };

  Widget.prototype.retry = function () {
    var self = this;
    var generation = this.generation;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(function () {
      if (generation === self.generation) self.connect();
    }, backoff(this.attempt++));
  };

  Widget.prototype.openSocket = function () {
    var self = this;
    var url = API.replace(/^http/, "ws") + "/chats/" + this.stored.chat + "/live";
    var opened = false;
    var openedAt = 0;
    var socket;
    try {
      socket = new WebSocket(url);
    } catch (e) {
      return this.socketFailed();
    }
    this.socket = socket;
    var after = this.stored.seq || 0;
    var resumed = this.resumePending;
    this.resumePending = false;
    socket.onopen = function () {
      opened = true;
      openedAt = Date.now();
      self.wsFailures = 0;
      socket.send(JSON.stringify({ type: "hello", token: self.stored.token, after: after }));
      if (resumed) self.sendPage(true);
    };
    socket.onmessage = function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      if (event && event.type !== "error") self.onEvent(event);
    };
    socket.onerror = function () { /* onclose follows */ };
    socket.onclose = function (closing) {
      if (self.socket !== socket) return;
      self.socket = null;
      if (closing.code === 4401 || closing.code === 4403) return self.forget();
      if (self.stored.closed) return;
      if (!opened) return self.socketFailed();
      // only a socket that lasted restarts the back-off: one the server drops at once is a failure
      if (Date.now() - openedAt >= BACKOFF_MAX_MS) self.attempt = 0;
      self.retry();
    };
  };

  Widget.prototype.socketFailed = function () {
    // a socket that never opened counts towards long polling only while the API answers over
    // HTTP: else the server is just away (restarting, the network down) and sockets come back
    var self = this;
    var generation = this.generation;
    this.socket = null;
    request("GET", "/sites/" + SITE).then(function () {
      if (generation !== self.generation) return;
      self.wsFailures++;
      if (self.wsFailures >= WS_FAILURES_BEFORE_POLLING) {
        self.polling = true;
        self.attempt = 0;
        return self.poll();
      }
      self.retry();
    }, function () {
      if (generation === self.generation) self.retry();
    });
  };

  Widget.prototype.poll = function () {
    var self = this;
    var generation = this.generation;
    var path = "/chats/" + this.stored.chat + "/events?after=" + (this.stored.seq || 0) + "&wait=" + POLL_WAIT_S;
    request("GET", path, undefined, this.stored.token).then(function (answer) {
      if (generation !== self.generation) return;
      if (answer.status === 401 || answer.status === 403 || answer.status === 404) return self.forget();
      if (answer.status !== 200 || !answer.body) return self.retry();
      self.attempt = 0;
      (answer.body.events || []).forEach(function (event) { self.onEvent(event); });
      if (!self.stored.closed) self.poll();
    }, function () {
      if (generation === self.generation) self.retry();
    });
  };

  Widget.prototype.forget = function () {
    // the token is no longer good (the chat is gone): start afresh, without taking the focus
    this.newChat(false);
  };

  // ---- start-up ------------------------------------------------------------------------------

  Widget.prototype.mount = function () {
    var self = this;
    (document.body || document.documentElement).appendChild(this.host);
    var wasOpen = !!this.stored.open;
    this.loadInfo().then(function () {
      if (self.hasChat()) {
        self.resumePending = true;
        self.replayedTo = self.stored.seq || 0;
        self.stored.seq = 0; // the history once, from the start; `shown` keeps it single
        if (self.stored.closed) self.resumeClosed();
        else self.connect();
      }
      self.updateStatus();
      if (wasOpen) self.open(false);
    });
  };

  Widget.prototype.resumeClosed = function () {
    var self = this;
    this.stored.closed = false;
    var path = "/chats/" + this.stored.chat + "/events?after=0&wait=0";
    request("GET", path, undefined, this.stored.token).then(function (answer) {
      if (answer.status !== 200 || !answer.body) return self.newChat(false);
      (answer.body.events || []).forEach(function (event) { self.onEvent(event); });
      self.on_closed();
    }, function () { self.on_closed(); });
  };

  var widget = new Widget();
  window.HelperChat = Object.freeze({
    version: 1,
    open: function () { widget.open(true); },
    close: function () { widget.close(false); },
    toggle: function () { widget.toggle(true); }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { widget.mount(); });
  } else {
    widget.mount();
  }
})();
