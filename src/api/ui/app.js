// polycart dashboard: a small script over the scoped JSON API. The API key lives in
// sessionStorage (this tab only) and goes out as a bearer token; every value from the
// API reaches the page as text (never as HTML).
"use strict";

const KEY = "polycart.key";
const REFRESH_MS = 2000;
let timer = null;
let overviewCache = null;

// --- DOM helpers
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
function svg(tag, attrs, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
const $ = (id) => document.getElementById(id);
function status(text) { $("status").textContent = text; }

// --- formatting
function ago(iso) {
  if (!iso) return "never";
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  return duration(s) + " ago";
}
function duration(s) {
  if (s === null || s === undefined) return "—";
  if (s < 1) return "<1 s";
  if (s < 90) return Math.round(s) + " s";
  if (s < 5400) return Math.round(s / 60) + " min";
  if (s < 172800) return Math.round(s / 3600) + " h";
  return Math.round(s / 86400) + " d";
}
function num(n, digits) {
  if (n === null || n === undefined) return "—";
  return Number(n).toLocaleString("en-US", { maximumFractionDigits: digits || 0 });
}
function stateBadge(state) { return h("span", { class: "state " + state }, state.replace("_", " ")); }

// --- API
class Unauthorized extends Error {}
async function api(path, options) {
  const key = sessionStorage.getItem(KEY);
  const opts = Object.assign({ headers: {} }, options || {});
  opts.headers = Object.assign({ Authorization: "Bearer " + key, Accept: "application/json" }, opts.headers);
  if (opts.json !== undefined) {
    opts.body = JSON.stringify(opts.json);
    opts.headers["Content-Type"] = "application/json";
    delete opts.json;
  }
  const res = await fetch(path, opts);
  if (res.status === 401) throw new Unauthorized("the API key was refused");
  if (res.status === 204) return null;
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const msg = body && body.error ? body.error.message : res.status + " " + res.statusText;
    const err = new Error(msg);
    err.status = res.status;
    throw err;
  }
  return body;
}

// --- login
function showLogin(message) {
  sessionStorage.removeItem(KEY);
  stop();
  $("nav").hidden = true;
  $("view").replaceChildren();
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  $("key").focus();
}
async function login(ev) {
  ev.preventDefault();
  const key = $("key").value.trim();
  if (!key) return;
  sessionStorage.setItem(KEY, key);
  try {
    await api("/v1/overview");
  } catch (e) {
    showLogin(e instanceof Unauthorized ? "That API key was refused." : "Cannot reach the API: " + e.message);
    return;
  }
  $("key").value = "";
  $("login").hidden = true;
  $("nav").hidden = false;
  route();
}

// --- routing
function stop() { if (timer) { clearTimeout(timer); timer = null; } }
function route() {
  stop();
  if (!sessionStorage.getItem(KEY)) { showLogin(); return; }
  $("login").hidden = true;
  $("nav").hidden = false;
  const hash = location.hash || "#/";
  const store = hash.match(/^#\/stores\/([^/]+)$/);
  let page;
  if (store) page = () => storePage(decodeURIComponent(store[1]));
  else if (hash === "#/keys") page = keysPage;
  else page = overviewPage;
  const tick = async (first) => {
    try {
      await page(first);
      status("Updated " + new Date().toLocaleTimeString());
    } catch (e) {
      if (e instanceof Unauthorized) { showLogin("The API key was refused; log in again."); return; }
      status("Update failed: " + e.message);
    }
    if (page !== keysPage) timer = setTimeout(() => tick(false), REFRESH_MS);
  };
  tick(true);
}

// Replaces the view's content, keeping focus on the element with the same id.
function render(...nodes) {
  const focused = document.activeElement && document.activeElement.id;
  $("view").replaceChildren(...nodes);
  if (focused) { const again = document.getElementById(focused); if (again) again.focus(); }
}

async function syncNow(storeId, button) {
  button.disabled = true;
  try {
    await api("/v1/stores/" + encodeURIComponent(storeId) + "/sync", { method: "POST" });
    status("Sync of " + storeId + " requested");
  } catch (e) {
    status("Sync request failed: " + e.message);
  } finally {
    button.disabled = false;
  }
}

// --- overview
function budgetCell(b) {
  if (!b || b.window_secs === 0) return h("span", { class: "muted" }, "no requests yet");
  const allowed = Math.max(b.allowed, b.spent, 1);
  const label = num(b.spent) + " spent, refill allows " + num(b.allowed) + " in " + duration(b.window_secs) +
    (b.throttled_429 ? ", " + b.throttled_429 + "×429" : "");
  return h("span", {},
    h("meter", { min: 0, max: allowed, value: b.spent, high: allowed * 0.9, "aria-label": "rate budget: " + label }),
    " ", h("span", { class: b.throttled_429 ? "error" : "" }, label));
}

function storesTable(stores) {
  return h("table", { id: "stores" },
    h("caption", { class: "muted" }, stores.length + " store" + (stores.length === 1 ? "" : "s")),
    h("thead", {}, h("tr", {},
      ["Store", "Platform", "State", "Last successful sync", "Lag", "Records", "Rate budget (last minute)", "Last error", ""]
        .map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, stores.map((s) => h("tr", { "data-store": s.id },
      h("td", {}, h("a", { href: "#/stores/" + encodeURIComponent(s.id), class: "store-link", id: "open-" + s.id }, s.name), h("br"), h("span", { class: "muted" }, s.id)),
      h("td", {}, s.platform),
      h("td", {}, stateBadge(s.state), s.syncing ? h("span", { class: "muted" }, " syncing") : null,
        s.failures ? h("div", { class: "muted" }, s.failures + " failure" + (s.failures === 1 ? "" : "s")) : null,
        s.retry_at ? h("div", { class: "muted" }, "retry " + new Date(s.retry_at).toLocaleTimeString()) : null),
      h("td", {}, ago(s.last_success_at)),
      h("td", {}, s.lag_secs === null ? "—" : duration(s.lag_secs)),
      h("td", {}, Object.entries(s.records).map(([e, n]) => h("div", {}, e + ": " + num(n)))),
      h("td", {}, budgetCell(s.budget)),
      h("td", { class: "err" }, s.last_error || ""),
      h("td", {}, h("button", { type: "button", class: "secondary sync", id: "sync-" + s.id, "aria-label": "Sync " + s.name + " now", onclick: (e) => syncNow(s.id, e.currentTarget) }, "Sync now"))))));
}

function jobsTable(jobs) {
  if (!jobs.length) return h("p", { class: "muted" }, "No job running or due.");
  return h("table", { id: "jobs" },
    h("thead", {}, h("tr", {}, ["Store", "Entity", "Status", "Worker", "Due"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, jobs.map((j) => h("tr", {},
      h("td", {}, j.store_id), h("td", {}, j.entity), h("td", {}, stateBadge(j.status)),
      h("td", {}, j.worker || "—"), h("td", {}, ago(j.due_at))))));
}

function feedList(changes) {
  if (!changes.length) return h("p", { class: "muted" }, "The feed is empty.");
  return h("ul", { class: "feed", id: "feed" }, changes.map((c) => h("li", {},
    "#" + c.seq + " ", h("strong", {}, c.kind), " " + c.entity + " " + c.platform_id + " ",
    h("span", { class: "muted" }, c.store_id + " · " + ago(c.at)))));
}

function subscriptionsTable(subs) {
  if (!subs.length) return h("p", { class: "muted" }, "No subscription.");
  return h("table", { id: "subscriptions" },
    h("thead", {}, h("tr", {}, ["URL", "Scope", "Delivered through", "Backlog", "Recent deliveries", "Last error"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, subs.map((s) => {
      const total = s.delivered_ok + s.delivered_failed;
      return h("tr", {},
        h("td", {}, s.url), h("td", {}, s.store_id || "every store"), h("td", { class: "num" }, "#" + s.last_seq),
        h("td", { class: "num" }, num(s.backlog)),
        h("td", {}, total ? Math.round((100 * s.delivered_ok) / total) + "% ok of " + total : "none yet"),
        h("td", { class: "err" }, s.last_error || ""));
    })));
}

async function driftPanel() {
  let body;
  try {
    const d = await api("/v1/drift");
    const rows = (d.drift || []).slice(0, 50);
    const deps = (d.deprecations || []).slice(0, 20);
    body = [
      rows.length ? h("table", { id: "drift" },
        h("thead", {}, h("tr", {}, ["Platform", "Entity", "API version", "Field", "Kind", "Seen", "Expected", "Count", "Last seen"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows.map((r) => h("tr", {},
          h("td", {}, r.platform), h("td", {}, r.entity), h("td", {}, r.api_version || "—"), h("td", {}, r.field),
          h("td", {}, r.kind), h("td", {}, r.seen_type || "—"), h("td", {}, r.expected_type || "—"),
          h("td", { class: "num" }, num(r.count)), h("td", {}, ago(r.last_seen))))))
        : h("p", { class: "muted" }, "No schema drift seen."),
      deps.length ? h("ul", {}, deps.map((x) => h("li", {}, x.platform + " " + (x.api_version || "") + ": " + x.reason + (x.sunset ? " (sunset " + x.sunset + ")" : "")))) : null,
    ];
  } catch (e) {
    if (e instanceof Unauthorized) throw e;
    body = [h("p", { class: "muted", id: "drift-na" }, "Schema drift: not available on this server.")];
  }
  return h("section", { class: "panel", "aria-labelledby": "drift-title" }, h("h2", { id: "drift-title" }, "Schema drift"), body);
}

async function overviewPage() {
  const [o, drift] = await Promise.all([api("/v1/overview"), driftPanel()]);
  overviewCache = o;
  document.title = "Overview · polycart";
  render(
    h("section", { class: "panel", "aria-labelledby": "stores-title" }, h("h2", { id: "stores-title" }, "Stores"), storesTable(o.stores)),
    h("div", { class: "grid" },
      h("section", { class: "panel", "aria-labelledby": "jobs-title" }, h("h2", { id: "jobs-title" }, "Jobs"), jobsTable(o.jobs)),
      h("section", { class: "panel", "aria-labelledby": "feed-title" }, h("h2", { id: "feed-title" }, "Change feed"), feedList(o.changes))),
    h("section", { class: "panel", "aria-labelledby": "subs-title" }, h("h2", { id: "subs-title" }, "Subscriptions"), subscriptionsTable(o.subscriptions)),
    drift);
}

// --- store page
// A small bar chart of (time, value) points; labelled for screen readers.
function barChart(id, title, points, color, unit) {
  const W = 400, H = 130, L = 40, B = 20, T = 16;
  const max = Math.max(1, ...points.map((p) => p.v));
  const t0 = points.length ? points[0].t : 0, t1 = points.length ? points[points.length - 1].t : 1;
  const span = Math.max(1, t1 - t0);
  const x = (t) => L + ((t - t0) / span) * (W - L - 10);
  const y = (v) => H - B - (v / max) * (H - B - T);
  const bw = Math.max(2, Math.min(14, (W - L) / Math.max(points.length, 1) - 1));
  const total = points.reduce((a, p) => a + p.v, 0);
  return h("figure", {},
    h("figcaption", {}, h("h3", {}, title)),
    svg("svg", { class: "chart", id, viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", role: "img",
      "aria-label": `${title}: ${points.length} points, peak ${num(max, 1)} ${unit}, total ${num(total, 1)}` },
      svg("line", { x1: L, y1: H - B, x2: W, y2: H - B, stroke: "#8a8f99" }),
      svg("text", { x: 4, y: T + 4 }, num(max, 1)),
      svg("text", { x: 4, y: H - B }, "0"),
      points.length ? svg("text", { x: L, y: H - 4 }, new Date(t0).toLocaleTimeString()) : svg("text", { x: L, y: H / 2 }, "no data yet"),
      points.length ? svg("text", { x: W - 62, y: H - 4 }, new Date(t1).toLocaleTimeString()) : null,
      points.map((p) => svg("rect", { x: x(p.t) - bw / 2, y: y(p.v), width: bw, height: Math.max(0, H - B - y(p.v)), fill: color },
        svg("title", {}, new Date(p.t).toLocaleTimeString() + ": " + num(p.v, 1) + " " + unit)))));
}

async function storePage() {
  const id = decodeURIComponent(location.hash.slice("#/stores/".length));
  const path = "/v1/stores/" + encodeURIComponent(id);
  const [store, hist] = await Promise.all([api(path), api(path + "/history?limit=100")]);
  document.title = store.name + " · polycart";
  const running = hist.runs.filter((r) => r.state === "running");
  const runs = hist.runs.filter((r) => r.finished_at);
  const rate = runs.map((r) => ({ t: Date.parse(r.finished_at), v: r.records_per_sec || 0 }));
  const reqs = hist.samples.map((s) => ({ t: Date.parse(s.at), v: s.seconds ? s.requests / s.seconds : 0 }));
  const t429 = hist.samples.map((s) => ({ t: Date.parse(s.at), v: s.throttled_429 }));
  const spent = hist.samples.reduce((a, s) => a + s.spent, 0);
  const allowed = hist.samples.reduce((a, s) => a + s.allowed, 0);
  const progress = running.length
    ? "Syncing " + running.map((r) => r.entity + " (" + num(r.records) + " records, " + r.pages + " pages so far)").join(", ")
    : "Idle";
  render(
    h("p", {}, h("a", { href: "#/", id: "back" }, "← Overview")),
    h("h2", { id: "store-title" }, store.name),
    h("dl", { class: "kv" },
      h("dt", {}, "Store id"), h("dd", {}, store.id),
      h("dt", {}, "Platform"), h("dd", {}, store.platform + " · " + store.base_url),
      h("dt", {}, "State"), h("dd", {}, stateBadge(store.state), store.failures ? " " + store.failures + " failures" : ""),
      h("dt", {}, "Last error"), h("dd", { class: store.last_error ? "err" : "", id: "store-error" }, store.last_error || "none"),
      h("dt", {}, "Sync interval"), h("dd", {}, duration(store.interval_secs)),
      h("dt", {}, "Rate budget"), h("dd", {}, hist.samples.length ? num(spent) + " spent, refill allows " + num(allowed) + " over " + duration(hist.samples.reduce((a, s) => a + s.seconds, 0)) : "no requests from this process yet"),
      h("dt", {}, "Progress"), h("dd", { id: "progress", "aria-live": "polite" }, progress)),
    h("div", { class: "actions" },
      h("button", { type: "button", id: "sync-now", onclick: (e) => syncNow(id, e.currentTarget) }, "Sync now"),
      h("span", { class: "muted" }, (store.disabled_features || []).map((d) => d.feature + " off: " + d.reason).join("; "))),
    h("section", { class: "panel", "aria-labelledby": "history-title" },
      h("h2", { id: "history-title" }, "Sync history"),
      h("div", { class: "grid" },
        barChart("chart-records", "Records per second, per run", rate, "#3a6fd8", "records/s"),
        barChart("chart-requests", "Platform requests per second", reqs, "#6b4bc4", "requests/s"),
        barChart("chart-429", "429 answers per sample", t429, "#b3261e", "429s")),
      h("h3", {}, "Latest runs"),
      h("table", { id: "runs" },
        h("thead", {}, h("tr", {}, ["Started", "Entity", "Kind", "Worker", "State", "Records", "Changed", "Duration", "Records/s", "Error"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, hist.runs.slice(-25).reverse().map((r) => h("tr", {},
          h("td", {}, r.started_at ? new Date(r.started_at).toLocaleTimeString() : "—"), h("td", {}, r.entity), h("td", {}, r.kind),
          h("td", {}, r.worker), h("td", {}, stateBadge(r.state)), h("td", { class: "num" }, num(r.records)),
          h("td", { class: "num" }, num(r.changed)), h("td", { class: "num" }, duration(r.duration_secs)),
          h("td", { class: "num" }, num(r.records_per_sec, 1)), h("td", { class: "err" }, r.error || "")))))));
}

// --- API keys
async function keysPage() {
  document.title = "API keys · polycart";
  const o = overviewCache || (await api("/v1/overview"));
  if (!o.can_manage_keys) {
    render(h("h2", {}, "API keys"), h("p", {}, "This key sees only some stores; only a key over every store manages keys."));
    return;
  }
  const keys = await api("/v1/keys");
  const created = h("div", { id: "created", "aria-live": "polite" });
  const onCreate = async (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    const name = form.elements["key-name"].value.trim();
    const scope = Array.from(form.querySelectorAll("input[name=scope]:checked")).map((c) => c.value);
    try {
      const r = await api("/v1/keys", { method: "POST", json: { name, store_ids: scope.length ? scope : null } });
      await keysPage();
      $("created").replaceChildren(h("p", {}, "Key " + r.key.id + " created. Copy it now; it is not shown again:"), h("p", { class: "secret" }, r.secret));
    } catch (e) {
      if (e instanceof Unauthorized) throw e;
      created.replaceChildren(h("p", { class: "error", role: "alert" }, e.message));
    }
  };
  const onRevoke = async (k, button) => {
    if (!confirm("Revoke key " + k.name + " (" + k.id + ")? Requests with it will be refused.")) return;
    button.disabled = true;
    try { await api("/v1/keys/" + encodeURIComponent(k.id), { method: "DELETE" }); await keysPage(); status("Key " + k.id + " revoked"); }
    catch (e) { if (e instanceof Unauthorized) throw e; status("Revoke failed: " + e.message); button.disabled = false; }
  };
  render(
    h("h2", {}, "API keys"),
    h("table", { id: "keys" },
      h("thead", {}, h("tr", {}, ["Name", "Id", "Sees", "Created", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, keys.data.map((k) => h("tr", {},
        h("td", {}, k.name), h("td", {}, k.id), h("td", {}, k.store_ids ? k.store_ids.join(", ") : "every store"),
        h("td", {}, ago(k.created_at)),
        h("td", {}, h("button", { type: "button", class: "danger", id: "revoke-" + k.id, "aria-label": "Revoke key " + k.name, onclick: (e) => onRevoke(k, e.currentTarget) }, "Revoke")))))),
    h("section", { class: "panel", "aria-labelledby": "new-key" },
      h("h2", { id: "new-key" }, "Create a key"),
      h("form", { onsubmit: onCreate },
        h("label", { for: "key-name" }, "Name"),
        h("input", { id: "key-name", name: "key-name", required: true, maxlength: 100 }),
        h("fieldset", {}, h("legend", {}, "Stores it may see (none checked: every store, and it may manage keys)"),
          o.stores.map((s) => h("label", { class: "muted" }, h("input", { type: "checkbox", name: "scope", value: s.id }), " " + s.name + " (" + s.id + ")"))),
        h("p", {}, h("button", { type: "submit", id: "create-key" }, "Create key")))),
    created);
}

// --- start
document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", () => showLogin("Logged out."));
  window.addEventListener("hashchange", route);
  route();
});
