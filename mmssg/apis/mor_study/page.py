# Copyright (c) mmssg contributors. All rights reserved.
"""The ranking page: one self-contained HTML document (styles and script inline).

Kept in a Python module so that it installs with the package like any code.
The page talks to :mod:`mmssg.apis.mor_study.server` through three calls:
``GET /api/task`` (the next image of a participant), ``GET /api/output`` and
``/api/reference`` (the pictures) and ``POST /api/submit`` (a ranking, which
returns the next task only once it is committed). Method names never reach
the page: outputs are addressed by their slot (A, B, ...) in the
participant's shuffled order.
"""

PAGE_HTML = r"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Image quality study</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0; color: #1d232a; background: #f4f5f7; }
  header { background: #1f3b57; color: #fff; padding: 10px 20px; display: flex;
           align-items: center; gap: 20px; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; font-weight: 600; }
  #who { opacity: .85; }
  #progress { flex: 1; min-width: 200px; height: 10px; background: #ffffff40; border-radius: 5px; }
  #bar { height: 100%; width: 0; background: #7fd18b; border-radius: 5px; transition: width .3s; }
  main { padding: 12px 20px 24px; }
  .instructions { margin: 0 0 8px; }
  .toolbar { display: flex; gap: 6px; align-items: center; margin-bottom: 10px; }
  button { font: inherit; border: 1px solid #9aa7b4; background: #fff; border-radius: 4px;
           padding: 3px 10px; cursor: pointer; }
  button.active { background: #1f3b57; color: #fff; border-color: #1f3b57; }
  button:disabled { opacity: .45; cursor: default; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 12px; }
  figure { margin: 0; background: #fff; border: 2px solid #d5dbe1; border-radius: 6px;
           padding: 6px; }
  figure.reference { border-style: dashed; background: #eef1f4; }
  figure.ranked { border-color: #3c8d4f; }
  .viewport { position: relative; overflow: hidden; cursor: zoom-in; background: #000; }
  .viewport.locked { cursor: crosshair; outline: 2px solid #e0a100; }
  .viewport img { display: block; width: 100%; transform-origin: 50% 50%; }
  .viewport img.zoomed { image-rendering: pixelated; }
  figure.reference img { image-rendering: pixelated; }
  .badge { position: absolute; top: 6px; left: 6px; background: #1f3b57e0; color: #fff;
           padding: 1px 8px; border-radius: 10px; font-weight: 600; pointer-events: none; }
  figcaption { display: flex; align-items: center; gap: 6px; margin-top: 6px; flex-wrap: wrap; }
  figcaption .label { font-weight: 600; margin-right: auto; }
  .actions { margin-top: 14px; display: flex; gap: 14px; align-items: center; }
  #submit { padding: 6px 18px; font-weight: 600; }
  #error { color: #b00020; font-weight: 600; }
</style>
</head>
<body>
<header>
  <h1>Image quality study</h1>
  <span id="who"></span>
  <div id="progress" role="progressbar" aria-valuemin="0"><div id="bar"></div></div>
  <span id="progress-text"></span>
</header>
<main>
  <section id="start" hidden>
    <form id="start-form">
      <label>Participant id
        <input id="participant-input" required maxlength="64"
               pattern="[A-Za-z0-9][A-Za-z0-9_.@\-]{0,63}"></label>
      <button type="submit">Start or continue</button>
    </form>
    <p>Enter the same id later to continue where you stopped.</p>
  </section>
  <section id="study" hidden>
    <p class="instructions">Rank the images by <b>overall quality</b>: give <b>1st</b> to the
      best. Hover over any image to zoom in: every image shows the same region. Click to hold
      the zoom in place, click again to let go.</p>
    <div class="toolbar">Zoom
      <button data-zoom="1">off</button><button data-zoom="2">2x</button>
      <button data-zoom="4" class="active">4x</button><button data-zoom="8">8x</button>
    </div>
    <div id="panels" class="grid"></div>
    <div class="actions">
      <button id="submit" disabled>Submit ranking and continue</button>
      <span id="status"></span>
    </div>
  </section>
  <section id="finished" hidden>
    <h2>Thank you!</h2>
    <p>You have ranked all <span id="total"></span> images. You can close this page.</p>
  </section>
  <p id="error" role="alert" hidden></p>
</main>
<script>
"use strict";
const state = {participant: null, task: null, ranks: {}, zoom: 4, focus: null, locked: false,
               busy: false};
const $ = (id) => document.getElementById(id);
const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

function ordinal(n) {
  const suffix = ["th", "st", "nd", "rd"], v = n % 100;
  return n + (suffix[(v - 20) % 10] || suffix[v] || suffix[0]);
}

async function api(path, options) {
  let response;
  try {
    response = await fetch(path, options);
  } catch (error) {
    throw new Error("The study server cannot be reached; try again in a moment.");
  }
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function show(section) {
  for (const id of ["start", "study", "finished"]) $(id).hidden = id !== section;
}

function showError(message) {
  $("error").textContent = message || "";
  $("error").hidden = !message;
}

function setProgress(done, total) {
  $("bar").style.width = (100 * done / total) + "%";
  $("progress").setAttribute("aria-valuemax", total);
  $("progress").setAttribute("aria-valuenow", done);
  $("progress-text").textContent = done + " of " + total + " images ranked";
}

function makePanel(src, label, className) {
  const figure = document.createElement("figure");
  figure.className = className;
  const viewport = document.createElement("div");
  viewport.className = "viewport";
  const img = document.createElement("img");
  img.src = src;
  img.alt = label;
  viewport.appendChild(img);
  viewport.addEventListener("mousemove", (event) => moveZoom(event, viewport, false));
  viewport.addEventListener("click", (event) => moveZoom(event, viewport, true));
  viewport.addEventListener("mouseleave", () => { if (!state.locked) setFocus(null); });
  const caption = document.createElement("figcaption");
  const name = document.createElement("span");
  name.className = "label";
  name.textContent = label;
  caption.appendChild(name);
  figure.append(viewport, caption);
  return figure;
}

function render(task) {
  state.task = task;
  state.ranks = {};
  state.locked = false;
  state.focus = null;
  setProgress(task.done, task.total);
  if (task.finished) {
    $("total").textContent = task.total;
    show("finished");
    return;
  }
  const panels = $("panels");
  panels.replaceChildren();
  if (task.reference) {
    panels.appendChild(makePanel(task.reference, "Low-resolution input (reference)",
                                 "reference"));
  }
  task.outputs.forEach((src, slot) => {
    const figure = makePanel(src, "Image " + LETTERS[slot], "output");
    figure.dataset.slot = slot;
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.hidden = true;
    figure.querySelector(".viewport").appendChild(badge);
    for (let rank = 1; rank <= task.outputs.length; rank++) {
      const button = document.createElement("button");
      button.className = "rank";
      button.dataset.rank = rank;
      button.textContent = ordinal(rank);
      button.addEventListener("click", () => assign(slot, rank));
      figure.querySelector("figcaption").appendChild(button);
    }
    panels.appendChild(figure);
  });
  $("status").textContent = "";
  show("study");
  updateRanks();
  applyZoom();
}

function assign(slot, rank) {
  for (const other of Object.keys(state.ranks)) {
    if (state.ranks[other] === rank) delete state.ranks[other];
  }
  state.ranks[slot] = rank;
  updateRanks();
}

function updateRanks() {
  for (const figure of document.querySelectorAll("figure.output")) {
    const rank = state.ranks[figure.dataset.slot];
    figure.classList.toggle("ranked", rank !== undefined);
    const badge = figure.querySelector(".badge");
    badge.hidden = rank === undefined;
    badge.textContent = rank === undefined ? "" : ordinal(rank);
    for (const button of figure.querySelectorAll("button.rank")) {
      button.classList.toggle("active", Number(button.dataset.rank) === rank);
    }
  }
  const complete = Object.keys(state.ranks).length === state.task.outputs.length;
  $("submit").disabled = !complete || state.busy;
}

function moveZoom(event, viewport, clicked) {
  if (clicked) state.locked = !state.locked;
  else if (state.locked) return;
  const box = viewport.getBoundingClientRect();
  setFocus({u: (event.clientX - box.left) / box.width, v: (event.clientY - box.top) / box.height});
}

function setFocus(focus) {
  state.focus = focus;
  applyZoom();
}

function applyZoom() {
  // The same relative point of every picture stays under the pointer: one region everywhere.
  const active = state.focus !== null && state.zoom > 1;
  for (const viewport of document.querySelectorAll(".viewport")) {
    viewport.classList.toggle("locked", state.locked && active);
    const img = viewport.querySelector("img");
    img.classList.toggle("zoomed", active);
    img.style.transform = active ? "scale(" + state.zoom + ")" : "none";
    if (active) {
      img.style.transformOrigin = (100 * state.focus.u) + "% " + (100 * state.focus.v) + "%";
    }
  }
}

async function submitRanking() {
  const slots = Object.keys(state.ranks).map(Number);
  slots.sort((a, b) => state.ranks[a] - state.ranks[b]);
  state.busy = true;
  updateRanks();
  $("status").textContent = "Saving...";
  try {
    const reply = await api("/api/submit", {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({participant: state.participant, image: state.task.image,
                            ranking: slots.map((slot) => [slot])}),
    });
    showError("");
    render(reply.task);  // only now: the answer is committed
  } catch (error) {
    $("status").textContent = "";
    showError("Not saved: " + error.message);
  } finally {
    state.busy = false;
    if (state.task && !state.task.finished) updateRanks();
  }
}

async function start(participant) {
  state.participant = participant;
  $("who").textContent = "Participant " + participant;
  try {
    render(await api("/api/task?participant=" + encodeURIComponent(participant)));
    showError("");
  } catch (error) {
    show("start");
    showError(error.message);
  }
}

for (const button of document.querySelectorAll("button[data-zoom]")) {
  button.addEventListener("click", () => {
    state.zoom = Number(button.dataset.zoom);
    for (const other of document.querySelectorAll("button[data-zoom]")) {
      other.classList.toggle("active", other === button);
    }
    applyZoom();
  });
}
$("submit").addEventListener("click", submitRanking);
$("start-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const participant = $("participant-input").value.trim();
  history.replaceState(null, "", "?participant=" + encodeURIComponent(participant));
  start(participant);
});
const fromUrl = new URLSearchParams(location.search).get("participant");
if (fromUrl) start(fromUrl); else show("start");
</script>
</body>
</html>
"""
