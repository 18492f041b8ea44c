// TaskApp front end: plain JavaScript, no build step. Talks to /api/tasks on the same origin.
"use strict";

const API = "/api/tasks";
const PAGE = 100;
const $ = (id) => document.getElementById(id);
let nextPage = null;

class ApiError extends Error {}

async function api(path, options = {}) {
  const init = { ...options, headers: { Accept: "application/json" } };
  if (options.body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError("The server cannot be reached. Check your connection and try again.");
  }
  if (response.ok) {
    return { response, data: response.status === 204 ? null : await response.json() };
  }
  let message = `The server answered ${response.status}.`;
  try {
    // The server writes `detail` for people ("Title cannot be empty."); `errors` is for programs.
    const problem = await response.json();
    message = problem.detail || problem.title || message;
  } catch { /* not a problem document: keep the status line */ }
  throw new ApiError(message);
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = false;
}

function clearError() {
  $("error").hidden = true;
  $("error").textContent = "";
}

function showNotice(message) {
  $("notice").textContent = message;
  $("notice").hidden = !message;
}

function announce(message) {
  $("status").textContent = message;
}

async function guarded(action) {
  try {
    clearError();
    await action();
  } catch (error) {
    showError(error instanceof ApiError ? error.message : String(error));
  }
}

function filterValue() {
  return document.querySelector('input[name="filter"]:checked').value;
}

function nextLink(response) {
  const link = response.headers.get("Link") || "";
  const match = link.match(/<([^>]+)>;\s*rel="next"/);
  return match ? match[1] : null;
}

function render(task) {
  const item = document.createElement("li");
  item.dataset.id = task.id;
  item.classList.toggle("done", task.completed);

  const box = document.createElement("input");
  box.type = "checkbox";
  box.id = `done-${task.id}`;
  box.checked = task.completed;
  const title = document.createElement("label");
  title.className = "title";
  title.htmlFor = box.id;
  title.textContent = task.title;
  box.addEventListener("change", () => guarded(async () => {
    let data;
    try {
      ({ data } = await api(`${API}/${task.id}`, { method: "PATCH", body: { completed: box.checked } }));
    } catch (error) {
      box.checked = !box.checked;
      throw error;
    }
    const fresh = render(data);
    item.replaceWith(fresh);
    fresh.querySelector("input").focus();
    announce(`${data.title} marked ${data.completed ? "done" : "not done"}.`);
  }));

  const rename = document.createElement("button");
  rename.type = "button";
  rename.textContent = "Rename";
  rename.setAttribute("aria-label", `Rename ${task.title}`);
  rename.addEventListener("click", () => startRename(item, task));

  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "delete";
  remove.textContent = "Delete";
  remove.setAttribute("aria-label", `Delete ${task.title}`);
  remove.addEventListener("click", () => guarded(async () => {
    await api(`${API}/${task.id}`, { method: "DELETE" });
    const next = item.nextElementSibling || item.previousElementSibling;
    item.remove();
    updateEmpty();
    announce(`${task.title} deleted.`);
    (next ? next.querySelector("button, input") : $("new-title")).focus();
  }));

  item.append(box, title, rename, remove);
  return item;
}

function startRename(item, task) {
  const form = document.createElement("form");
  const label = document.createElement("label");
  label.className = "visually-hidden";
  label.htmlFor = `rename-${task.id}`;
  label.textContent = `New title for ${task.title}`;
  const input = document.createElement("input");
  input.type = "text";
  input.id = `rename-${task.id}`;
  input.value = task.title;
  input.setAttribute("aria-describedby", "error");
  const save = document.createElement("button");
  save.type = "submit";
  save.textContent = "Save";
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.textContent = "Cancel";
  form.append(label, input, save, cancel);

  const original = [...item.childNodes];
  const restore = (node) => { item.replaceWith(node); node.querySelector("button").focus(); };
  cancel.addEventListener("click", () => { clearError(); item.replaceChildren(...original); original[2].focus(); });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(async () => {
      const { data } = await api(`${API}/${task.id}`, { method: "PATCH", body: { title: input.value } });
      restore(render(data));
      announce(`Renamed to ${data.title}.`);
    });
  });
  form.addEventListener("keydown", (event) => { if (event.key === "Escape") cancel.click(); });
  item.replaceChildren(form);
  input.focus();
  input.select();
}

const EMPTY = { "": "No tasks yet.", false: "No open tasks.", true: "No done tasks." };

function updateEmpty() {
  $("empty").textContent = EMPTY[filterValue()];
  $("empty").hidden = $("tasks").children.length > 0;
}

async function load(url) {
  const { response, data } = await api(url);
  for (const task of data) $("tasks").append(render(task));
  nextPage = nextLink(response);
  $("more").hidden = !nextPage;
  updateEmpty();
}

function reload() {
  const filter = filterValue();
  showNotice("");
  $("tasks").replaceChildren();
  return guarded(() => load(`${API}?limit=${PAGE}${filter ? `&completed=${filter}` : ""}`));
}

document.addEventListener("DOMContentLoaded", () => {
  const add = $("add-form").querySelector("button[type=submit]");
  $("add-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (add.disabled) return; // a double click, or Enter pressed twice: one task, not two
    const input = $("new-title");
    add.disabled = true;
    guarded(async () => {
      const { data } = await api(API, { method: "POST", body: { title: input.value } });
      input.value = "";
      if (filterValue() === "true") {
        // A new task is open: say where it went rather than let it vanish.
        showNotice(`Added ${data.title}. It is not shown while "Done" is selected.`);
      } else {
        showNotice("");
        $("tasks").prepend(render(data));
      }
      updateEmpty();
      announce(`Added ${data.title}.`);
    }).finally(() => { add.disabled = false; });
  });
  $("more").addEventListener("click", () => guarded(() => load(nextPage)));
  for (const radio of document.querySelectorAll('input[name="filter"]')) {
    radio.addEventListener("change", reload);
  }
  reload();
});
