// The sandbox dashboard (/__mock/ui). It acts only through the admin API under /__mock/,
// so it can do nothing that curl cannot. No framework, no build step: the DOM is built
// with textContent only (what the journal shows came from clients and is never markup).
"use strict";

(() => {
  const TOKEN_KEY = "mockserver.adminToken"; // sessionStorage: this tab only
  const SESSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
  const DEFAULT_SESSION = "default";
  const POLL_MS = 1000; // the journal's refresh
  const HEALTH_EVERY = 5; // polls between count refreshes when nothing arrives
  const MAX_ENTRIES = 500; // the journal rows this page keeps

  const state = {
    session: DEFAULT_SESSION,
    adminToken: sessionStorage.getItem(TOKEN_KEY) || "",
    personas: [],
    rights: [],
    operations: [],
    maxDelayMs: 0,
    entries: [], // newest first
    newest: 0, // the newest journal id seen
    rules: [],
    editing: null, // the operation of the rule being edited
    generation: 0, // bumped on each session change: late answers for the old one are dropped
    timer: null,
    polls: 0,
    uptime: null,
    waitingForToken: false,
    opener: null, // what had the focus when the exchange opened
  };

  const $ = (selector) => document.querySelector(selector);

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key in node && typeof value !== "string") node[key] = value;
      else node.setAttribute(key, value);
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // --- talking to the admin API -----------------------------------------------------------

  class Refused extends Error {
    constructor(status, body) {
      super((body && body.message) || `HTTP ${status}`);
      this.status = status;
      this.body = body;
    }
  }

  async function call(method, path, options = {}) {
    const headers = { Accept: "application/json" };
    if (state.session !== DEFAULT_SESSION) headers["X-Mock-Session"] = state.session;
    if (state.adminToken) headers["X-Mock-Admin-Token"] = state.adminToken;
    if (method === "POST" || method === "PUT") headers["Content-Type"] = "application/json";
    Object.assign(headers, options.headers || {});
    const url = new URL(path, window.location.origin);
    for (const [key, value] of Object.entries(options.query || {})) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
    }
    const response = await fetch(url, {
      method,
      headers,
      cache: "no-store",
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    let body = null;
    if (text && (response.headers.get("Content-Type") || "").includes("json")) {
      try {
        body = JSON.parse(text);
      } catch (_) {
        body = null;
      }
    }
    if (response.status === 401) {
      askForToken(body && body.message);
      throw new Refused(401, body);
    }
    if (!response.ok) throw new Refused(response.status, body);
    return body;
  }

  function say(text) {
    const box = $("#message");
    box.textContent = text;
    box.hidden = !text;
  }

  function failed(error) {
    if (error instanceof Refused && error.status === 401) return; // the token form asks
    say(error instanceof Refused ? `${error.status}: ${error.message}` : String(error));
  }

  function showProblems(list, error) {
    const target = $(list);
    target.replaceChildren();
    if (!(error instanceof Refused)) {
      if (error) target.append(el("li", {}, String(error)));
      return;
    }
    if (error.status === 401) return;
    const problems = (error.body && error.body.errors) || [];
    target.append(el("li", { class: "summary" }, `${error.status}: ${error.message}`));
    for (const p of problems) target.append(el("li", {}, `${p.in} ${p.name || "(body)"}: ${p.reason}`));
  }

  // --- the admin token --------------------------------------------------------------------

  function askForToken(reason) {
    const form = $("#token-form");
    const first = form.hidden;
    state.waitingForToken = true;
    clearTimeout(state.timer);
    form.hidden = false;
    $("#token-state").textContent = state.adminToken
      ? `The token was refused. ${reason || ""}`
      : reason || "";
    if (first) $("#admin-token").focus();
  }

  $("#token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.adminToken = $("#admin-token").value.trim();
    sessionStorage.setItem(TOKEN_KEY, state.adminToken);
    $("#admin-token").value = "";
    $("#token-form").hidden = true;
    state.waitingForToken = false;
    start();
  });

  // --- the session ------------------------------------------------------------------------

  function strongestPersona() {
    return state.personas.reduce((best, p) => (!best || p.rights.length > best.rights.length ? p : best), null);
  }

  async function useSession(raw) {
    const name = raw.trim() || DEFAULT_SESSION;
    if (!SESSION_PATTERN.test(name)) {
      $("#session-state").textContent = `"${name}" is not a session name: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.`;
      return;
    }
    state.session = name;
    state.generation += 1;
    state.entries = [];
    state.newest = 0;
    state.uptime = null;
    clearTimeout(state.timer);
    closeExchange();
    renderJournal();
    $("#session-name").value = name === DEFAULT_SESSION ? "" : name;
    const url = new URL(window.location.href);
    if (name === DEFAULT_SESSION) url.searchParams.delete("session");
    else url.searchParams.set("session", name);
    window.history.replaceState(null, "", url);
    const generation = state.generation;
    try {
      const health = await call("GET", "/__mock/health");
      if (generation !== state.generation) return;
      let note = `${name}: in use`;
      if (!health.session_exists) {
        // Made as the API makes sessions: by a first request that says who sends it.
        const persona = strongestPersona();
        const headers = state.adminToken || !persona ? {} : { Authorization: `Bearer ${persona.token}` };
        await call("GET", "/__mock/faults", { headers });
        note = `${name}: new, made from the baseline`;
      }
      $("#session-state").textContent = note;
      await Promise.all([loadFaults(), refreshCounts()]);
      say("");
      poll();
    } catch (error) {
      if (generation === state.generation) failed(error);
    }
  }

  $("#session-form").addEventListener("submit", (event) => {
    event.preventDefault();
    useSession($("#session-name").value);
  });

  // --- the journal ------------------------------------------------------------------------

  async function poll() {
    const generation = state.generation;
    clearTimeout(state.timer);
    try {
      const body = await call("GET", "/__mock/requests", { query: { after: state.newest } });
      if (generation !== state.generation) return;
      state.polls += 1;
      if (body.requests.length) {
        state.entries = body.requests.concat(state.entries).slice(0, MAX_ENTRIES);
        state.newest = body.requests[0].id;
        renderJournal();
        await refreshCounts();
      } else if (state.polls % HEALTH_EVERY === 0) {
        await refreshCounts();
      }
    } catch (error) {
      if (generation !== state.generation) return;
      if (error instanceof Refused && error.status === 404) {
        // The session is gone (unused too long); made again, its journal starts over.
        state.entries = [];
        state.newest = 0;
        renderJournal();
      }
      failed(error);
    } finally {
      if (generation === state.generation && $("#journal-live").checked && !state.waitingForToken) {
        state.timer = setTimeout(poll, POLL_MS);
      }
    }
  }

  function statusClass(entry) {
    return entry.status === null ? "dropped" : String(entry.status)[0];
  }

  function renderJournal() {
    const wantedStatus = $("#filter-status").value;
    const wantedOperation = $("#filter-operation").value;
    const shown = state.entries.filter((e) =>
      (wantedStatus === "" || statusClass(e) === wantedStatus) &&
      (wantedOperation === "" || (e.operation_id || "-") === wantedOperation));
    $("#journal-table tbody").replaceChildren(...shown.map(journalRow));
    $("#journal-count").textContent = state.entries.length
      ? `${shown.length} shown of ${state.entries.length}` : "";
    $("#journal-empty").hidden = state.entries.length > 0;
  }

  // The query as people read it ("filters[status]=answered"), the raw form in the title.
  function readable(query) {
    try {
      return decodeURIComponent(query.replace(/\+/g, " "));
    } catch (_) {
      return query;
    }
  }

  function targetOf(entry) {
    return entry.path + (entry.query ? `?${readable(entry.query)}` : "");
  }

  function journalRow(entry) {
    const problems = entry.errors.map((p) => `${p.in} ${p.name}: ${p.reason}`).join("; ");
    const open = () => openExchange(entry);
    return el("tr", { class: `status-${statusClass(entry)}`, dataset: { id: entry.id }, onclick: open },
      el("td", {}, el("button", { type: "button", class: "open", "aria-label": `Open request ${entry.id}`,
        onclick: (event) => { event.stopPropagation(); open(); } }, `#${entry.id}`)),
      el("td", { class: "time" }, timeOf(entry.at)),
      el("td", { class: "request" },
        el("span", { class: "target", title: entry.query ? `${entry.path}?${entry.query}` : entry.path },
          el("b", {}, entry.method), " ", targetOf(entry)),
        problems ? el("div", { class: "problems" }, problems) : null),
      el("td", { class: "persona" }, entry.persona || "-"),
      el("td", { class: "status" }, entry.status === null ? "dropped" : entry.status,
        entry.fault ? el("span", { class: "fault" }, ` (${entry.fault})`) : null),
      el("td", { class: "duration" }, entry.duration_ms.toFixed(1)),
      el("td", { class: "operation" }, entry.operation_id || "-"));
  }

  function timeOf(at) {
    const when = new Date(at);
    return Number.isNaN(when.getTime()) ? at : when.toLocaleTimeString([], { hour12: false }) +
      `.${String(when.getMilliseconds()).padStart(3, "0")}`;
  }

  function pretty(text, truncated) {
    if (text === null) return "(none)";
    if (!truncated) {
      try {
        return JSON.stringify(JSON.parse(text), null, 2);
      } catch (_) { /* not JSON: as sent */ }
    }
    return truncated ? `${text}\n… (cut: only the start is kept)` : text;
  }

  function headerList(headers) {
    const names = Object.keys(headers);
    if (!names.length) return el("p", { class: "empty" }, "(none)");
    return el("dl", { class: "headers" }, names.map((n) => [el("dt", {}, n), el("dd", {}, headers[n])]));
  }

  function openExchange(entry) {
    const response = entry.response;
    state.opener = document.activeElement;
    $("#exchange-id").textContent = `#${entry.id}`;
    $("#exchange-body").replaceChildren(
      el("p", { class: "line" }, el("b", {}, entry.method), " ", targetOf(entry), " → ",
        entry.status === null ? "connection dropped" : String(entry.status),
        entry.fault ? ` (fault: ${entry.fault})` : "",
        ` · ${entry.duration_ms.toFixed(1)} ms · ${entry.operation_id || "no operation"}`,
        ` · persona ${entry.persona || "none"} · ${entry.at}`),
      entry.errors.length ? el("h3", {}, "Problems") : null,
      entry.errors.length ? el("ul", { class: "problems" },
        entry.errors.map((p) => el("li", {}, `${p.in} ${p.name}: ${p.reason}`))) : null,
      el("h3", {}, "Request headers"), headerList(entry.headers),
      el("h3", {}, "Request body"), el("pre", { class: "request-body" }, pretty(entry.body, entry.body_truncated)),
      el("h3", {}, "Response headers"),
      response ? headerList(response.headers) : el("p", { class: "empty" }, "(no response)"),
      el("h3", {}, "Response body"),
      el("pre", { class: "response-body" }, response ? pretty(response.body, response.body_truncated) : "(no response)"));
    $("#exchange").hidden = false;
    $("#exchange-title").focus();
  }

  function closeExchange() {
    if ($("#exchange").hidden) return;
    $("#exchange").hidden = true;
    if (state.opener && state.opener.isConnected) state.opener.focus(); // back where it was
    state.opener = null;
  }

  $("#exchange-close").addEventListener("click", closeExchange);
  $("#exchange").addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeExchange();
  });
  $("#filter-status").addEventListener("change", renderJournal);
  $("#filter-operation").addEventListener("change", renderJournal);
  $("#journal-live").addEventListener("change", () => {
    if ($("#journal-live").checked) poll();
    else clearTimeout(state.timer);
  });
  $("#journal-clear").addEventListener("click", async () => {
    try {
      await call("DELETE", "/__mock/requests");
      state.entries = [];
      renderJournal();
      closeExchange();
    } catch (error) {
      failed(error);
    }
  });

  // --- faults -----------------------------------------------------------------------------

  async function loadFaults() {
    const faults = await call("GET", "/__mock/faults");
    state.rules = faults.rules;
    renderFaults();
  }

  function describeDelay(rule) {
    if (!rule.delay) return "-";
    const { min_ms: low, max_ms: high } = rule.delay;
    return high === undefined || high === low ? `${low} ms` : `${low}–${high} ms`;
  }

  function percent(probability) {
    return `${Math.round(probability * 1000) / 10}%`;
  }

  function renderFaults() {
    const rows = state.rules.map((rule) => el("tr", { dataset: { operation: rule.operation } },
      el("td", {}, rule.operation),
      el("td", {}, describeDelay(rule)),
      el("td", {}, rule.error ? `${rule.error.status} at ${percent(rule.error.probability)}` : "-"),
      el("td", {}, rule.drop ? percent(rule.drop.probability) : "-"),
      el("td", { class: "actions" },
        el("button", { type: "button", "aria-label": `Edit the rule for ${rule.operation}`,
          onclick: () => editRule(rule) }, "Edit"),
        el("button", { type: "button", "aria-label": `Remove the rule for ${rule.operation}`,
          onclick: () => putRules(state.rules.filter((r) => r.operation !== rule.operation)) }, "Remove"))));
    $("#faults-table tbody").replaceChildren(...rows);
    $("#faults-none").hidden = state.rules.length > 0;
    $("#faults-table").hidden = state.rules.length === 0;
  }

  function fillStatuses(selected) {
    const choice = state.operations.find((o) => o.operation === $("#fault-operation").value);
    const statuses = choice ? choice.error_statuses : [];
    $("#fault-error-status").replaceChildren(el("option", { value: "" }, "none"),
      ...statuses.map((s) => el("option", { value: String(s) }, String(s))));
    $("#fault-error-status").value = statuses.includes(selected) ? String(selected) : "";
  }

  function renderFaultOptions() {
    const select = $("#fault-operation");
    select.replaceChildren(...state.operations.map((o) => el("option", { value: o.operation },
      o.operation === "*" ? "* (every operation)" : `${o.operation} (${o.method} ${o.path})`)));
    fillStatuses(null);
    for (const input of ["#fault-delay-min", "#fault-delay-max"]) $(input).max = String(state.maxDelayMs);
    $("#fault-hint").textContent = `Delays up to ${state.maxDelayMs} ms (--max-delay-ms). ` +
      "An error or a drop replaces the operation: nothing changes.";
    const filter = $("#filter-operation");
    filter.replaceChildren(el("option", { value: "" }, "all"),
      ...state.operations.filter((o) => o.operation !== "*").map((o) => el("option", { value: o.operation }, o.operation)),
      el("option", { value: "-" }, "(no operation)"));
  }

  function editRule(rule) {
    state.editing = rule.operation;
    $("#fault-legend").textContent = `Edit the rule for ${rule.operation}`;
    $("#fault-operation").value = rule.operation;
    fillStatuses(rule.error ? rule.error.status : null);
    $("#fault-delay-min").value = rule.delay ? rule.delay.min_ms : "";
    $("#fault-delay-max").value = rule.delay && rule.delay.max_ms !== undefined ? rule.delay.max_ms : "";
    $("#fault-error-probability").value = rule.error ? rule.error.probability : 1;
    $("#fault-drop-probability").value = rule.drop ? rule.drop.probability : "";
    $("#fault-cancel").hidden = false;
    $("#fault-operation").focus();
  }

  function resetFaultForm() {
    state.editing = null;
    $("#fault-form").reset();
    $("#fault-legend").textContent = "Add a rule";
    $("#fault-cancel").hidden = true;
    fillStatuses(null);
  }

  function ruleFromForm() {
    const rule = { operation: $("#fault-operation").value };
    const low = $("#fault-delay-min").value;
    const high = $("#fault-delay-max").value;
    if (low !== "" || high !== "") {
      rule.delay = { min_ms: Number(low || 0) };
      if (high !== "") rule.delay.max_ms = Number(high);
    }
    const status = $("#fault-error-status").value;
    if (status !== "") {
      const probability = $("#fault-error-probability").value;
      rule.error = { status: Number(status), probability: probability === "" ? 1 : Number(probability) };
    }
    const drop = $("#fault-drop-probability").value;
    if (drop !== "") rule.drop = { probability: Number(drop) };
    return rule;
  }

  async function putRules(rules) {
    try {
      const faults = await call("PUT", "/__mock/faults", { body: { rules } });
      state.rules = faults.rules;
      renderFaults();
      $("#fault-problems").replaceChildren();
      return true;
    } catch (error) {
      showProblems("#fault-problems", error);
      return false;
    }
  }

  $("#fault-operation").addEventListener("change", () => fillStatuses(null));
  $("#fault-cancel").addEventListener("click", resetFaultForm);
  $("#fault-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const rule = ruleFromForm();
    const others = state.rules.filter((r) => r.operation !== rule.operation && r.operation !== state.editing);
    if (await putRules([...others, rule])) resetFaultForm();
  });
  $("#faults-clear").addEventListener("click", async () => {
    try {
      await call("DELETE", "/__mock/faults");
      await loadFaults();
      resetFaultForm();
    } catch (error) {
      showProblems("#fault-problems", error);
    }
  });

  // --- data -------------------------------------------------------------------------------

  async function refreshCounts() {
    const generation = state.generation;
    const health = await call("GET", "/__mock/health");
    if (generation !== state.generation) return;
    if (state.uptime !== null && health.uptime_seconds < state.uptime) {
      state.entries = []; // the server restarted: its journal ids start again
      state.newest = 0;
      renderJournal();
    }
    state.uptime = health.uptime_seconds;
    renderCounts(health.counts);
  }

  function renderCounts(counts) {
    const labels = { call_trackings: "call trackings", users: "users", leads: "leads", properties: "properties" };
    $("#counts").replaceChildren(...Object.entries(labels).map(([key, label]) =>
      el("div", { dataset: { count: key } }, el("dt", {}, label), el("dd", {}, String(counts[key])))));
  }

  function numberOrUndefined(selector) {
    const value = $(selector).value;
    return value === "" ? undefined : Number(value);
  }

  $("#reset-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {};
    const seed = numberOrUndefined("#reset-seed");
    const count = numberOrUndefined("#reset-count");
    if (seed !== undefined) body.seed = seed;
    if (count !== undefined) body.count = count;
    try {
      const result = await call("POST", "/__mock/reset", { body });
      renderCounts(result.counts);
      $("#data-state").textContent = `Reset ${result.session}: seed ${result.seed}, ${result.counts.call_trackings} call trackings.`;
    } catch (error) {
      failed(error);
      $("#data-state").textContent = error instanceof Refused && error.body && error.body.errors
        ? error.body.errors.map((p) => `${p.name}: ${p.reason}`).join("; ") : String(error.message);
    }
  });

  $("#export").addEventListener("click", async () => {
    try {
      const data = await call("GET", "/__mock/state");
      const blob = new Blob([JSON.stringify(data, null, 2) + "\n"], { type: "application/json" });
      const link = el("a", { href: URL.createObjectURL(blob), download: `state-${state.session}.json` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60000);
      $("#data-state").textContent = `Exported ${data.call_trackings.length} call trackings.`;
    } catch (error) {
      failed(error);
    }
  });

  // "call_trackings/3/user/id" -> "call_trackings[3] (id 17), field user.id"
  function importProblem(problem, documentBody) {
    const parts = problem.name.split("/");
    const [collection, index, ...field] = parts;
    const records = documentBody && Array.isArray(documentBody[collection]) ? documentBody[collection] : null;
    if (records && /^\d+$/.test(index || "")) {
      const record = records[Number(index)];
      const id = record && typeof record === "object" && "id" in record ? ` (id ${record.id})` : "";
      return el("li", {}, el("b", { class: "record" }, `${collection}[${index}]${id}`),
        field.length ? [", field ", el("code", { class: "field" }, field.join("."))] : null,
        `: ${problem.reason}`);
    }
    return el("li", {}, el("code", { class: "field" }, problem.name || "(the document)"), `: ${problem.reason}`);
  }

  $("#import-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const list = $("#import-problems");
    list.replaceChildren();
    $("#data-state").textContent = "";
    const file = $("#import-file").files[0];
    if (!file) return;
    let documentBody;
    try {
      documentBody = JSON.parse(await file.text());
    } catch (error) {
      list.append(el("li", {}, `${file.name} is not JSON: ${error.message}`));
      return;
    }
    try {
      const result = await call("PUT", "/__mock/state", { body: documentBody });
      renderCounts(result.counts);
      $("#data-state").textContent = `Imported ${file.name}: ${result.counts.call_trackings} call trackings.`;
    } catch (error) {
      if (!(error instanceof Refused) || error.status === 401) return failed(error);
      list.append(el("li", { class: "summary" }, `${error.status}: ${error.message}`));
      for (const p of (error.body && error.body.errors) || []) list.append(importProblem(p, documentBody));
      $("#data-state").textContent = "Nothing was changed.";
    }
  });

  // --- personas and tokens ----------------------------------------------------------------

  function renderPersonas() {
    $("#personas-table tbody").replaceChildren(...state.personas.map((p) => el("tr", { dataset: { persona: p.name } },
      el("th", { scope: "row" }, p.name, el("small", {}, p.description ? ` ${p.description}` : "")),
      el("td", {}, String(p.user_id)),
      el("td", { class: "rights" }, p.rights.length
        ? p.rights.map((r, i) => [el("span", { class: "right" }, r + (i < p.rights.length - 1 ? "," : "")), " "])
        : "-"),
      el("td", {}, el("code", {}, p.token), " ",
        el("button", { type: "button", "aria-label": `Copy the token of ${p.name}`,
          onclick: () => copy(p.token, $("#minted-state")) }, "Copy")))));
    $("#mint-users").replaceChildren(...state.personas.map((p) =>
      el("option", { value: String(p.user_id) }, `${p.name}'s user`)));
    $("#mint-rights").replaceChildren(...state.rights.map((right) =>
      el("label", { class: "check" }, el("input", { type: "checkbox", value: right, name: "right" }), ` ${right}`)));
  }

  async function copy(text, status) {
    try {
      await navigator.clipboard.writeText(text);
      status.textContent = "Copied.";
    } catch (_) {
      const area = $("#minted-token");
      area.value = text;
      $("#minted").hidden = false;
      area.select();
      status.textContent = "Select and copy it (this browser does not let the page copy).";
    }
  }

  $("#mint-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const roles = [...document.querySelectorAll("#mint-rights input:checked")].map((i) => i.value)
      .concat($("#mint-extra").value.split(",").map((r) => r.trim()).filter(Boolean));
    const body = { user: Number($("#mint-user").value), roles };
    const lifetime = $("#mint-lifetime").value;
    if (lifetime !== "") body.lifetime_seconds = Number(lifetime);
    try {
      const minted = await call("POST", "/__mock/tokens", { body });
      $("#mint-problems").replaceChildren();
      $("#minted-token").value = minted.access_token;
      $("#minted-state").textContent = `Expires ${minted.expires_at}; roles ${roles.join(", ") || "none"}.`;
      $("#minted").hidden = false;
    } catch (error) {
      showProblems("#mint-problems", error);
    }
  });
  $("#minted-copy").addEventListener("click", () => copy($("#minted-token").value, $("#minted-state")));

  // --- start ------------------------------------------------------------------------------

  async function start() {
    try {
      const [personas, options] = await Promise.all([
        call("GET", "/__mock/personas"), call("GET", "/__mock/faults/options")]);
      state.personas = personas.personas;
      state.rights = personas.rights;
      state.operations = options.operations;
      state.maxDelayMs = options.max_delay_ms;
      renderPersonas();
      renderFaultOptions();
      $("#token-form").hidden = true;
      state.waitingForToken = false;
      await useSession(new URL(window.location.href).searchParams.get("session") || $("#session-name").value);
    } catch (error) {
      failed(error);
    }
  }

  renderJournal();
  start();
})();
