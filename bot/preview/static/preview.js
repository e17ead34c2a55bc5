// The preview page: it sends events to the preview server and draws the
// LINE message JSON it answers with, as the LINE app would. Nothing here
// knows the flows' content; it only reads LINE's message objects.
"use strict";

const $ = (id) => document.getElementById(id);
const chat = $("chat");
const quick = $("quick");
const clock = $("clock");
const quotes = new Map(); // quote token → the user's message element

// el makes an element with a class and, optionally, text.
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

let toastTimer;
function toast(text) {
  const t = $("toast");
  t.textContent = text;
  t.classList.add("shown");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.remove("shown"), 2500);
}

// send posts one event at the clock's time and draws the answer; before,
// if given, sees the answer first.
async function send(ev, before) {
  ev.now = clock.value;
  const res = await fetch("api/event", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(ev),
  });
  if (!res.ok) {
    chat.append(el("div", "system error", await res.text()));
    return null;
  }
  const ans = await res.json();
  if (before) before(ans);
  draw(ans);
  return ans;
}

let answers = 0; // answers drawn, for a test to wait on

function draw(ans) {
  const n = String(answers + 1);
  quick.replaceChildren();
  for (const m of ans.messages || []) {
    const row = message(m);
    row.dataset.answer = n;
    chat.append(row);
    if (m.quickReply) drawQuick(m.quickReply.items);
  }
  if (!(ans.messages || []).length) {
    // The webhook sends no reply (staff chat keeps the bot quiet): say so,
    // or the editor would wait for one.
    chat.append(el("div", "system", "（返信なし）"));
  }
  for (const r of ans.reminders || []) {
    const what = r.op === "cancel" ? "リマインド取消" : "リマインド予約";
    chat.append(el("div", "system reminder", `⏰ ${what}: ${r.due.replace("T", " ")}`));
  }
  chat.scrollTop = chat.scrollHeight;
  document.body.dataset.answers = String(++answers);
}

// userSays shows the user's own message on the right, as LINE does for a
// typed text and for a tap's displayText.
function userSays(text) {
  const row = el("div", "msg user");
  row.append(el("div", "balloon", text));
  chat.append(row);
  chat.scrollTop = chat.scrollHeight;
  return row;
}

function message(m) {
  const row = el("div", "msg bot");
  row.dataset.type = m.type;
  row.append(el("div", "avatar", "FN"));
  let body;
  switch (m.type) {
    case "text":
      body = el("div", "balloon", m.text);
      break;
    case "flex":
      body = flexContainer(m.contents);
      body.title = "altText: " + m.altText;
      break;
    default:
      body = el("div", "balloon unknown", `(${m.type} message)`);
  }
  if (m.quoteToken) {
    // LINE shows the quoted message above the reply.
    const q = el("div", "quote");
    const quoted = quotes.get(m.quoteToken);
    q.textContent = quoted ? quoted.textContent : "(quoted message)";
    body.prepend(q);
    if (quoted) quoted.closest(".msg").classList.add("quoted");
  }
  row.append(body);
  return row;
}

function flexContainer(c) {
  if (c.type === "carousel") {
    const car = el("div", "carousel");
    for (const b of c.contents) car.append(flexBubble(b));
    return car;
  }
  return flexBubble(c);
}

function flexBubble(b) {
  const bubble = el("div", "flex bubble");
  for (const part of ["header", "hero", "body", "footer"]) {
    if (!b[part]) continue;
    const block = flexComponent(b[part]);
    block.classList.add(part);
    bubble.append(block);
  }
  return bubble;
}

function flexComponent(c) {
  let e;
  switch (c.type) {
    case "box":
      e = el("div", "box " + (c.layout || "vertical"));
      for (const child of c.contents || []) e.append(flexComponent(child));
      break;
    case "text":
      e = el("div", "text" + (c.wrap ? " wrap" : ""), c.text);
      if (c.weight === "bold") e.style.fontWeight = "bold";
      if (c.color) e.style.color = c.color;
      break;
    case "button":
      e = button(c);
      break;
    case "separator":
      e = el("hr", "separator");
      break;
    case "filler":
    case "spacer":
      e = el("div", "spacer");
      break;
    default:
      e = el("div", "unknown", `(${c.type})`);
  }
  if (c.margin) e.classList.add("margin-" + c.margin);
  return e;
}

// does says what an action would do on a phone; the preview only says it.
function does(a) {
  switch (a.type) {
    case "uri":
      if (a.uri.startsWith("tel:")) return "📞 " + decodeURIComponent(a.uri.slice(4)) + " に電話";
      return "🔗 開く: " + a.uri;
    case "clipboard":
      return "コピー: " + a.clipboardText;
    case "postback":
      return "送信: " + (a.displayText || a.data);
    case "message":
      return "送信: " + a.text;
    case "datetimepicker":
      return "日時を選ぶ";
  }
  return a.type;
}

function button(c) {
  const a = c.action;
  const b = el("button", "flex-button " + (c.style || "link"));
  b.type = "button";
  b.append(el("span", "label", a.label));
  b.append(el("small", "does", does(a)));
  b.addEventListener("click", () => act(a));
  return b;
}

// act does what a tap on an action does in LINE, as far as a preview can:
// postbacks and messages go to the bot, the rest is said, not done.
function act(a) {
  switch (a.type) {
    case "postback":
      if (a.displayText) userSays(a.displayText);
      return send({ type: "postback", data: a.data });
    case "message":
      userSays(a.text);
      return send({ type: "message", text: a.text });
    case "datetimepicker":
      return openPicker(a);
    case "clipboard":
      if (navigator.clipboard) navigator.clipboard.writeText(a.clipboardText).catch(() => {});
      return toast(does(a));
    default:
      return toast(does(a));
  }
}

function drawQuick(items) {
  quick.replaceChildren();
  for (const it of items) {
    const chip = el("button", "chip", it.action.label);
    chip.type = "button";
    chip.title = does(it.action);
    chip.addEventListener("click", () => {
      quick.replaceChildren(); // LINE's quick replies vanish after a tap
      act(it.action);
    });
    quick.append(chip);
  }
}

let pickerAction = null;
function openPicker(a) {
  pickerAction = a;
  const t = $("picker-time");
  t.min = a.min || "";
  t.max = a.max || "";
  t.value = a.initial || clock.value;
  $("picker").hidden = false;
}
$("picker-ok").addEventListener("click", () => {
  const a = pickerAction;
  $("picker").hidden = true;
  send({ type: "postback", data: a.data, datetime: $("picker-time").value });
});
$("picker-cancel").addEventListener("click", () => {
  $("picker").hidden = true;
});

$("composer").addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = $("text").value.trim();
  if (!text) return;
  $("text").value = "";
  const row = userSays(text);
  const balloon = row.querySelector(".balloon");
  // Remember the quote token LINE would give this message before the
  // answer is drawn, so that a warning quoting it shows it.
  await send({ type: "message", text: text }, (ans) => {
    if (ans.quoteToken) quotes.set(ans.quoteToken, balloon);
  });
});

// The rich menu: LINE's image with the request's areas laid over it.
function drawRichMenu(rm) {
  const menu = $("richmenu");
  const bar = $("chatbar");
  const img = el("img", "menu-image");
  img.src = "richmenu.png";
  img.alt = rm.name;
  menu.append(img);
  for (const area of rm.areas) {
    const b = area.bounds;
    const btn = el("button", "area");
    btn.type = "button";
    btn.dataset.label = area.action.label;
    btn.title = area.action.label + " → " + does(area.action);
    btn.style.left = (100 * b.x) / rm.size.width + "%";
    btn.style.top = (100 * b.y) / rm.size.height + "%";
    btn.style.width = (100 * b.width) / rm.size.width + "%";
    btn.style.height = (100 * b.height) / rm.size.height + "%";
    btn.addEventListener("click", () => act(area.action));
    menu.append(btn);
  }
  bar.textContent = rm.chatBarText + " ▾";
  bar.hidden = false;
  menu.hidden = !rm.selected;
  bar.addEventListener("click", () => {
    menu.hidden = !menu.hidden;
    bar.textContent = rm.chatBarText + (menu.hidden ? " ▴" : " ▾");
  });
}

async function start() {
  const cfg = await (await fetch("api/config")).json();
  clock.value = cfg.now;
  if (cfg.richMenu) drawRichMenu(cfg.richMenu);
  await send({ type: "restart" });
}

$("restart").addEventListener("click", async () => {
  chat.replaceChildren();
  quotes.clear();
  await send({ type: "restart" });
});

start();
