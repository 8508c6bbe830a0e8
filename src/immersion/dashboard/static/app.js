/* Immersion dashboard: pages, routing and data loading.
 *
 * Every number shown comes from the JSON API (docs/dashboard.md). In a report file the same
 * API responses are embedded as JSON in the script element #embedded-data, keyed
 * by the API path that produced them, and nothing is fetched.
 */
(function () {
  "use strict";

  const C = window.ImmersionCharts;
  const { h } = C;
  const embeddedNode = document.getElementById("embedded-data");
  const REPORT = embeddedNode ? JSON.parse(embeddedNode.textContent) : null;
  const $ = (id) => document.getElementById(id);

  async function load(path) {
    if (REPORT) {
      if (Object.prototype.hasOwnProperty.call(REPORT.data, path)) return REPORT.data[path];
      throw new Error("this report does not include " + path + "; open the live dashboard");
    }
    const response = await fetch(path, { headers: { Accept: "application/json" } });
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) throw new Error((body && body.error) || response.status + " " + response.statusText);
    return body;
  }

  function notice(message) {
    $("notice").textContent = message || "";
    $("notice").hidden = !message;
  }

  /* ---------------------------------------------------------------- overview */

  function card(stat, value, text, label) {
    return h("div", { class: "card", "data-stat": stat, "data-value": value },
      h("div", { class: "value" }, text), h("div", { class: "label" }, label));
  }

  const days = (n) => n + (n === 1 ? " day" : " days");

  async function overviewPage() {
    const [ov, cal, daily, recent] = await Promise.all([load("/api/overview"),
      load("/api/calendar?days=365"), load("/api/daily?days=30"), load("/api/sessions?limit=8")]);
    const o = ov.overview;
    if (!REPORT) $("stamp").textContent = "Today: " + ov.today + " · read-only";
    $("empty-store").hidden = o.total_sessions > 0;
    $("cards").replaceChildren(
      card("today_active_min", o.today_active_min, C.fmtMin(o.today_active_min), "watched today"),
      card("today_cards", o.today_cards, C.fmtInt(o.today_cards), "cards today"),
      card("current_streak_days", o.current_streak_days, days(o.current_streak_days),
        "current streak"),
      card("longest_streak_days", o.longest_streak_days, days(o.longest_streak_days),
        "longest streak"),
      card("all_time_hours", o.all_time_hours, C.fmtNum(o.all_time_hours, 1) + " h",
        "all-time active"),
      card("active_days", o.active_days, C.fmtInt(o.active_days), "active days"),
      card("total_sessions", o.total_sessions, C.fmtInt(o.total_sessions), "sessions"),
      card("words_seen", o.words_seen, C.fmtInt(o.words_seen), "words read"),
      card("cards_mined", o.cards_mined, C.fmtInt(o.cards_mined), "cards mined"));
    C.calendar($("chart-calendar"), cal.days);
    C.stackedBars($("chart-daily"), daily.days, daily.shows,
      "No watch time in the last 30 days.");
    $("recent-sessions").replaceChildren(sessionTable(recent.sessions, false));
  }

  /* ---------------------------------------------------------------- trends */

  async function trendsPage() {
    const range = REPORT ? REPORT.range : $("trend-range").value;
    const groupBy = REPORT ? REPORT.group_by : $("trend-group").value;
    const t = await load("/api/trends?range=" + encodeURIComponent(range) +
      "&group_by=" + encodeURIComponent(groupBy));
    $("trend-span").textContent = t.start + " to " + t.end;
    const keys = t.activity.map((b) => b.key);
    const none = "No activity in this range.";
    C.barChart($("chart-activity"), keys, "active", t.activity.map((b) => b.active_min), none);
    C.lineChart($("chart-cumulative"), keys, [
      { label: "hours", values: t.cumulative.map((b) => b.active_min / 60), scale: "h", digits: 1 },
      { label: "words", values: t.cumulative.map((b) => b.words_seen), scale: "n", digits: 0 },
      { label: "cards", values: t.cumulative.map((b) => b.cards_mined), scale: "c", digits: 0 },
    ], none);
    C.lineChart($("chart-wpm"), keys,
      [{ label: "words/min", values: t.ratios.map((b) => b.words_per_min), digits: 1 }], none);
    C.lineChart($("chart-cph"), keys,
      [{ label: "cards/hour", values: t.ratios.map((b) => b.cards_per_hour), digits: 2 }], none);
    C.lineChart($("chart-lookups"), keys, [{ label: "lookups/100 tokens",
      values: t.ratios.map((b) => b.lookups_per_100_tokens), digits: 2 }], none);
    C.categoryBars($("chart-weekday"), C.WEEKDAYS, t.by_weekday, none);
    C.categoryBars($("chart-hour"), t.by_hour.map((v, i) => String(i).padStart(2, "0")),
      t.by_hour, none);
    // the store sends the top videos (20) and how many there are; the rest are one click
    // away in the Library
    const TOP = 20;
    const more = t.video_count > TOP ?
      h("p", { class: "hint" }, "and " + (t.video_count - TOP) + " more videos") : "";
    $("trend-videos").replaceChildren(C.table([
      { label: "Video", cell: (v) => h("span", { title: v.video_key }, v.title) },
      { label: "Sessions", num: true, cell: (v) => C.fmtInt(v.sessions) },
      { label: "Active", num: true, cell: (v) => C.fmtMin(v.active_min) },
      { label: "Words", num: true, cell: (v) => C.fmtInt(v.words_seen) },
      { label: "Cards", num: true, cell: (v) => C.fmtInt(v.cards_mined) },
    ], t.videos.slice(0, TOP), none), more);
  }

  /* ---------------------------------------------------------------- sessions */

  function sessionTable(sessions, full) {
    const title = (s) => (REPORT ? s.title :
      h("a", { href: "#sessions/" + encodeURIComponent(s.session_uuid) }, s.title));
    const columns = [
      { label: "Started", cell: (s) => C.fmtTime(s.started_at_ms) },
      { label: "Video", cell: title },
      { label: "Active", num: true, cell: (s) => C.fmtMs(s.active_watched_ms) },
      { label: "Lines", num: true, cell: (s) => C.fmtInt(s.lines_seen) },
      { label: "Words", num: true, cell: (s) => C.fmtInt(s.words_seen) },
      { label: "Cards", num: true, cell: (s) => C.fmtInt(s.cards_mined) },
    ];
    if (full) {
      columns.push({ label: "Lookups", num: true, cell: (s) => C.fmtInt(s.dictionary_lookups) },
        { label: "Pauses", num: true, cell: (s) => C.fmtInt(s.pause_count) },
        { label: "Status", cell: (s) => (s.ended_at_ms === null ? "watching" : "ended") });
    }
    return C.table(columns, sessions, "No sessions yet.");
  }

  const LANES = [
    { label: "pause", types: ["pause_start", "pause_end"] },
    { label: "seek", types: ["seek_forward", "seek_backward"] },
    { label: "card", types: ["card_mined"] },
    { label: "lookup", types: ["lookup", "dictionary_lookup"] },
    { label: "buffer", types: ["media_buffer"] },
  ];

  async function sessionDetail(uuid) {
    const d = await load("/api/sessions/" + encodeURIComponent(uuid));
    const s = d.session, c = s.counters;
    $("session-title").textContent = d.title;
    $("session-cards").replaceChildren(
      card("started_at_ms", s.started_at_ms, C.fmtTime(s.started_at_ms), "started"),
      card("active_watched_ms", c.active_watched_ms, C.fmtMs(c.active_watched_ms), "active"),
      card("lines_seen", c.lines_seen, C.fmtInt(c.lines_seen), "lines"),
      card("words_seen", c.words_seen, C.fmtInt(c.words_seen), "words"),
      card("cards_mined", c.cards_mined, C.fmtInt(c.cards_mined), "cards"),
      card("dictionary_lookups", c.dictionary_lookups, C.fmtInt(c.dictionary_lookups), "lookups"),
      card("pause_count", c.pause_count, C.fmtInt(c.pause_count), "pauses"),
      card("seeks", c.seek_forward_count + c.seek_backward_count,
        C.fmtInt(c.seek_forward_count + c.seek_backward_count), "seeks"));
    // Both charts span the whole session, so their time axes line up.
    const end = Math.max(s.ended_at_ms || s.last_sample_ms || 0, s.started_at_ms + 1000);
    const span = [s.started_at_ms, end];
    const times = d.timeline.map((p) => p.sample_ms);
    C.timelineChart($("chart-timeline"), times, span, [
      { label: "active", scale: "min", format: C.fmtMin,
        values: d.timeline.map((p) => p.counters.active_watched_ms / 60000) },
      { label: "words", scale: "n", format: C.fmtInt,
        values: d.timeline.map((p) => p.counters.words_seen) },
      { label: "cards", scale: "n", format: C.fmtInt,
        values: d.timeline.map((p) => p.counters.cards_mined) },
    ], "No telemetry kept for this session (samples are kept for 30 days).");
    const lanes = LANES.map((lane) => ({ label: lane.label,
      times: d.events.filter((e) => lane.types.includes(e.event_type)).map((e) => e.ts_ms) }));
    C.laneChart($("chart-events"), lanes, span,
      "No events kept for this session (events are kept for 7 days).");
  }

  async function sessionsPage(uuid) {
    $("session-detail").hidden = !uuid;
    $("session-list").hidden = Boolean(uuid);
    if (uuid) return sessionDetail(uuid);
    const list = await load(REPORT ? "/api/sessions?limit=50" : "/api/sessions?limit=200");
    $("sessions-table").replaceChildren(sessionTable(list.sessions, true));
  }

  /* ---------------------------------------------------------------- library */

  async function libraryPage() {
    const lib = await load("/api/library");
    $("library-table").replaceChildren(C.table([
      { label: "Video", cell: (v) => h("span", { title: v.video_key }, v.title) },
      { label: "Sessions", num: true, cell: (v) => C.fmtInt(v.sessions) },
      { label: "Active", num: true, cell: (v) => C.fmtMs(v.active_watched_ms) },
      { label: "Lines", num: true, cell: (v) => C.fmtInt(v.lines_seen) },
      { label: "Words", num: true, cell: (v) => C.fmtInt(v.words_seen) },
      { label: "Cards", num: true, cell: (v) => C.fmtInt(v.cards_mined) },
      { label: "Days", num: true, cell: (v) => C.fmtInt(v.active_days) },
      { label: "Last watched", cell: (v) => C.fmtTime(v.last_watched_ms) },
    ], lib.videos, "No videos yet."));
  }

  /* ---------------------------------------------------------------- routing */

  const PAGES = { overview: overviewPage, trends: trendsPage, sessions: sessionsPage,
    library: libraryPage };

  function hashParts() {
    try {
      return decodeURIComponent(location.hash.slice(1)).split(/\/(.*)/s);
    } catch (error) { // a malformed %-escape typed by hand
      return ["overview"];
    }
  }

  async function route() {
    const [name, arg] = hashParts();
    const page = PAGES[name] ? name : "overview";
    for (const key of Object.keys(PAGES)) {
      $("page-" + key).hidden = key !== page;
      document.querySelector('[data-tab="' + key + '"]').classList.toggle("active", key === page);
    }
    document.body.dataset.ready = "";
    notice("");
    try {
      await PAGES[page](arg || "");
      document.body.dataset.ready = page;
    } catch (error) {
      notice("Could not load this page: " + error.message);
      document.body.dataset.ready = "error";
    }
  }

  function start() {
    if (REPORT) {
      document.body.classList.add("report");
      $("stamp").textContent = "Report of " + REPORT.generated + " · trends: " + REPORT.range +
        " by " + REPORT.group_by;
      $("trend-range").value = REPORT.range;
      $("trend-group").value = REPORT.group_by;
      for (const id of ["trend-range", "trend-group"]) $(id).disabled = true;
    } else {
      for (const id of ["trend-range", "trend-group"]) $(id).addEventListener("change", route);
    }
    window.addEventListener("hashchange", route);
    route();
  }

  start();
})();
