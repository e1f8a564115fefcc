// The toolweave trace viewer: runs list, one run's steps and timeline, live over SSE.
// Plain JS, no build step. Everything from the server is shown as text (textContent), never
// as HTML: questions, thoughts and tool output are untrusted.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { key: sessionStorage.getItem("toolweave-key") || "", runId: null,
                trace: null, tasks: {}, follow: null, view: "steps", listTimer: null };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

// --- API -----------------------------------------------------------------------------------
function headers(extra = {}) {
  return state.key ? { ...extra, Authorization: `Bearer ${state.key}` } : extra;
}

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: headers(options.headers) });
  if (response.status === 401) {
    $("key-form").hidden = false;
    throw new Error("this server needs an API key");
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText);
  return body;
}

// Server-sent events read with fetch (EventSource cannot send the Authorization header).
async function followEvents(runId, onEvent, signal) {
  const response = await fetch(`/v1/runs/${encodeURIComponent(runId)}/events`,
                               { headers: headers(), signal });
  if (!response.ok) throw new Error(`events: ${response.status}`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let kind = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) kind = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trim());
      }
      if (data.length) onEvent(kind, JSON.parse(data.join("\n")));
    }
  }
}

// --- runs list -----------------------------------------------------------------------------
function age(seconds) {
  const s = Math.max(0, Date.now() / 1000 - seconds);
  if (s < 60) return `${Math.round(s)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return new Date(seconds * 1000).toLocaleString();
}

async function refreshRuns() {
  const status = $("status-filter").value;
  const { runs } = await api(`/v1/runs?limit=200${status ? `&status=${status}` : ""}`);
  const list = $("runs");
  list.replaceChildren(...runs.map((run) => {
    const item = el("li", { "data-run": run.id, class: run.id === state.runId ? "selected" : "" },
      el("span", { class: "q", text: run.question }),
      el("span", { class: "meta" }, el("span", { class: `status ${run.status}`, text: run.status }),
         ` ${run.agent} · ${age(run.created_at)}`));
    item.addEventListener("click", () => { location.hash = `run=${run.id}`; });
    return item;
  }));
}

// --- one run -------------------------------------------------------------------------------
function fmt(seconds) { return seconds >= 10 ? `${seconds.toFixed(1)} s` : `${(seconds * 1000).toFixed(0)} ms`; }

function renderFacts(record) {
  const trace = state.trace;
  const facts = [el("span", { class: `status ${record.status}`, id: "run-status", text: record.status }),
                 el("span", { text: `agent ${record.agent}` })];
  if (trace) {
    facts.push(el("span", { text: `${trace.strategy} on ${trace.model}` }));
    const end = trace.ended_at || Date.now() / 1000;
    facts.push(el("span", { text: `${trace.steps.length} steps · ${fmt(end - trace.started_at)}` }));
    if (trace.stop_reason) facts.push(el("span", { text: `stopped: ${trace.stop_reason}` }));
  }
  if (record.error) facts.push(el("span", { class: "obs failed", text: record.error }));
  $("run-facts").replaceChildren(...facts);
  $("run-answer").textContent = record.answer || (trace && trace.answer) || "";
  $("cancel").hidden = !["running", "queued"].includes(record.status);
}

function renderStep(step) {
  const usage = step.completion ? step.completion.usage : null;
  const timing = step.completion ? step.completion.timings : null;
  const head = el("div", { class: "step-head" }, el("b", { text: `Step ${step.index + 1}` }),
    el("span", { text: step.kind }),
    step.ended_at ? el("span", { text: fmt(step.ended_at - step.started_at) }) : null,
    timing ? el("span", { text: `model ${fmt(timing.total_s)}` }) : null,
    // other runs' turns on the same model came first
    timing && timing.queued_s >= 0.05
      ? el("span", { text: `waited for the model ${fmt(timing.queued_s)}` }) : null);
  const card = el("li", { class: "step", "data-index": String(step.index) }, head);
  if (step.thought) card.append(el("div", { class: "thought", text: step.thought }));
  step.calls.forEach((call, i) => {
    const obs = step.observations[i];
    const box = el("div", { class: "call" },
      el("code", { text: `${call.name}(${JSON.stringify(call.arguments)})` }));
    if (obs) {
      const took = obs.ended_at && obs.started_at ? ` (${fmt(obs.ended_at - obs.started_at)})` : "";
      box.append(el("div", { class: obs.ok ? "obs" : "obs failed",
        text: `→ ${obs.ok ? "" : `${obs.error || "error"}: `}${obs.content}${took}` }));
    }
    card.append(box);
  });
  if (step.error) card.append(el("div", { class: "obs failed", text: step.error }));
  if (usage) {
    card.append(el("div", { class: "tokens", text:
      `tokens: ${usage.prompt_tokens} prompt sent, ${usage.prompt_tokens_evaluated} evaluated, ` +
      `${usage.completion_tokens} generated` }));
  }
  return card;
}

function renderSteps() {
  const cards = state.trace ? state.trace.steps.map(renderStep) : [];
  if (state.pending != null) {
    cards.push(el("li", { class: "step pending" },
      el("div", { class: "step-head" }, el("b", { text: `Step ${state.pending + 1}` }),
         el("span", { text: "running…" }))));
  }
  $("steps").replaceChildren(...cards);
  if (state.view === "timeline") renderTimeline();
  renderPlan();
}

// A DAG run's plan: each task with its live state (task events), or, replayed, the state its
// observation shows.
function renderPlan() {
  const lines = state.trace && state.trace.meta ? state.trace.meta.plan : null;
  $("tab-plan").hidden = !lines;
  if (!lines) return;
  const acts = state.trace.steps.filter((s) => s.kind === "act");
  const ran = acts.length ? acts[acts.length - 1].observations : [];
  $("plan").replaceChildren(...lines.map((line, i) => {
    const id = i + 1;
    let task = state.tasks[id];
    if (!task && ran[i]) task = { state: ran[i].ok ? "done" : "failed", content: ran[i].content };
    task = task || { state: "planned", content: "" };
    return el("li", { class: "task", "data-state": task.state },
      el("code", { text: line.replace(/^\d+\.\s*/, "") }),
      el("span", { class: `status task-state ${task.state}`, text: task.state }),
      task.content ? el("span", { class: "obs", text: ` → ${task.content}` }) : null);
  }));
}

// A Gantt chart: one lane per step, the model's turn and each tool call as bars.
function renderTimeline() {
  const trace = state.trace;
  const box = $("timeline");
  if (!trace || !trace.steps.length) { box.replaceChildren(el("p", { text: "No steps yet." })); return; }
  const t0 = trace.started_at;
  const t1 = Math.max(trace.ended_at || 0, ...trace.steps.map((s) => s.ended_at || s.started_at));
  const span = Math.max(t1 - t0, 1e-3);
  const pct = (t) => `${(100 * (t - t0)) / span}%`;
  const bar = (cls, start, end, title) => {
    const b = el("div", { class: `bar ${cls}`, title });
    b.style.left = pct(start);
    b.style.width = `${(100 * Math.max(end - start, 0)) / span}%`;
    return b;
  };
  const lanes = [];
  for (const step of trace.steps) {
    const track = el("div", { class: "lane-track" });
    const model = step.completion ? step.completion.timings.total_s : 0;
    if (model) track.append(bar("model", step.started_at, step.started_at + model, `model turn ${fmt(model)}`));
    for (const obs of step.observations) {
      if (obs.started_at) track.append(bar(obs.ok ? "tool" : "tool failed", obs.started_at, obs.ended_at, `${obs.tool} ${fmt(obs.ended_at - obs.started_at)}`));
    }
    lanes.push(el("div", { class: "lane" }, el("span", { class: "lane-label", text: `${step.index + 1} ${step.kind}` }), track));
  }
  box.replaceChildren(...lanes, el("div", { class: "axis" }, el("span", { text: "0" }), el("span", { text: fmt(span) })));
}

async function openRun(runId) {
  if (state.follow) state.follow.abort();
  state.runId = runId;
  state.trace = null;
  state.pending = null;
  state.tasks = {};
  if (state.view === "plan") setView("steps");  // the next run may have no plan
  $("placeholder").hidden = true;
  $("run").hidden = false;
  $("steps").replaceChildren();
  refreshRuns().catch(() => {});  // a run just started is listed at once, not at the next poll
  let record = await api(`/v1/runs/${encodeURIComponent(runId)}`);
  $("run-question").textContent = record.question;
  renderFacts(record);
  const follow = (state.follow = new AbortController());
  try {
    await followEvents(runId, (kind, event) => {
      if (state.runId !== runId) return;
      if (kind === "start") { state.trace = { ...event.trace, steps: [] }; record.status = "running"; }
      else if (kind === "step_start") state.pending = event.index;
      else if (kind === "task_start") state.tasks[event.id] = { state: "running", content: "" };
      else if (kind === "task_end") state.tasks[event.id] = { state: event.ok ? "done" : "failed", content: event.content };
      else if (kind === "step" && state.trace) { state.trace.steps.push(event.step); state.pending = null; }
      else if (kind === "meta" && state.trace) Object.assign(state.trace.meta, event.meta);
      else if (kind === "end" && state.trace) {
        Object.assign(state.trace, { answer: event.answer, stop_reason: event.stop_reason, ended_at: event.ended_at });
        state.pending = null;
      } else if (kind === "done") record.status = event.status;
      renderFacts(record);
      renderSteps();
    }, follow.signal);
  } catch (error) {
    if (error.name !== "AbortError") showError(error.message);
    return;
  }
  if (state.runId === runId) {
    record = await api(`/v1/runs/${encodeURIComponent(runId)}`);
    state.trace = record.trace || state.trace;
    state.pending = null;
    renderFacts(record);
    renderSteps();
    refreshRuns().catch(() => {});
  }
}

function setView(view) {
  state.view = view;
  $("tab-steps").classList.toggle("active", view === "steps");
  $("tab-timeline").classList.toggle("active", view === "timeline");
  $("tab-plan").classList.toggle("active", view === "plan");
  $("steps").hidden = view !== "steps";
  $("timeline").hidden = view !== "timeline";
  $("plan").hidden = view !== "plan";
  if (view === "timeline") renderTimeline();
}

// --- wiring --------------------------------------------------------------------------------
function route() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.get("key")) {  // a key handed over in the fragment: kept for this tab, then hidden
    state.key = params.get("key");
    sessionStorage.setItem("toolweave-key", state.key);
    params.delete("key");
    history.replaceState(null, "", `#${params}`);
  }
  const runId = params.get("run");
  if (runId && runId !== state.runId) openRun(runId).catch((e) => showError(e.message));
}

async function start() {
  $("tab-steps").addEventListener("click", () => setView("steps"));
  $("tab-timeline").addEventListener("click", () => setView("timeline"));
  $("tab-plan").addEventListener("click", () => setView("plan"));
  $("status-filter").addEventListener("change", () => refreshRuns().catch((e) => showError(e.message)));
  $("cancel").addEventListener("click", () => api(`/v1/runs/${state.runId}/cancel`, { method: "POST" }).catch((e) => showError(e.message)));
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.key = $("key").value.trim();
    sessionStorage.setItem("toolweave-key", state.key);
    $("key-form").hidden = true;
    boot();
  });
  $("start-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const run = await api("/v1/runs", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ question: $("question").value, agent: $("agent").value || null }) });
      $("question").value = "";
      await refreshRuns();
      location.hash = `run=${run.id}`;
    } catch (error) { showError(error.message); }
  });
  window.addEventListener("hashchange", route);
  route();
  boot();
}

async function boot() {
  try {
    const agents = await api("/v1/agents");
    $("agent").replaceChildren(...agents.map((a) => el("option", { value: a.name, text: a.name })));
    showError("");
    await refreshRuns();
    clearInterval(state.listTimer);
    state.listTimer = setInterval(() => refreshRuns().catch(() => {}), 2000);
    route();
  } catch (error) { showError(error.message); }
}

start();
