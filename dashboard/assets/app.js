// shoplake dashboard: reads /api/snapshot and draws it. No library: DOM
// and inline SVG.
//
// Every number the page shows is a <data> element tagged with where it
// comes from: data-mart (the mart, or the health source), data-field (the
// column), data-key (the row: a date, "date/step", ...), data-kind (int,
// money, rate) and data-value (the value as the mart holds it: an integer,
// money with two decimals, a rate with four). Its text is data-value
// formatted: digits grouped by commas, a rate as a percentage with two
// decimals. Other digits are dates (<time>, data-date), positions on an
// axis (data-axis), text from the warehouse (data-text) or the page's own
// (data-chrome). The browser test holds the page to this.
'use strict';
(() => {
  const SVGNS = 'http://www.w3.org/2000/svg';
  const PALETTE = ['#0b57d0', '#b3261e', '#146c2e', '#6b3fa0', '#8a5300', '#00696e'];
  const $ = (id) => document.getElementById(id);

  // --- DOM helpers -------------------------------------------------------

  function setAttrs(e, attrs) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
  }
  function append(e, ...kids) {
    for (const k of kids.flat(Infinity)) {
      if (k === null || k === undefined || k === false) continue;
      e.append(typeof k === 'string' ? document.createTextNode(k) : k);
    }
    return e;
  }
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    setAttrs(e, attrs);
    return append(e, kids);
  }
  function svg(tag, attrs, ...kids) {
    const e = document.createElementNS(SVGNS, tag);
    setAttrs(e, attrs);
    return append(e, kids);
  }
  function fill(id, ...kids) {
    const e = $(id);
    e.replaceChildren();
    append(e, kids);
  }

  // --- numbers -------------------------------------------------------------

  // group puts commas between thousands of a decimal integer string.
  function group(s) {
    const neg = s.startsWith('-');
    const d = neg ? s.slice(1) : s;
    return (neg ? '-' : '') + d.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  }
  // moneyText is a JSON money number as the mart holds it: two decimals.
  // Exact for any amount below 2^53 cents.
  function moneyText(v) { return Number(v).toFixed(2); }
  function fmtMoney(s) {
    const [i, f] = s.split('.');
    return group(i) + '.' + f;
  }
  // fmtRate is a four-decimal rate as a percentage with two decimals,
  // moved by text (no floating point): "0.0375" is "3.75%".
  function fmtRate(s) {
    const neg = s.startsWith('-');
    const [i, f = ''] = (neg ? s.slice(1) : s).split('.');
    const digits = (i + (f + '0000').slice(0, 4)).replace(/^0+(?=\d{3})/, '');
    const p = digits.padStart(3, '0');
    return (neg ? '-' : '') + group(p.slice(0, -2)) + '.' + p.slice(-2) + '%';
  }
  // num is a number of the page: value as the JSON holds it (null: none).
  function num(kind, mart, field, key, value) {
    let raw = '';
    let text = '—';
    if (value !== null && value !== undefined) {
      if (kind === 'money') { raw = moneyText(value); text = fmtMoney(raw); }
      else if (kind === 'rate') { raw = String(value); text = fmtRate(raw); }
      else { raw = String(value); text = group(raw); }
    }
    return el('data', {
      value: raw, 'data-mart': mart, 'data-field': field, 'data-key': key,
      'data-kind': kind, 'data-value': raw, text,
    });
  }
  const asNumber = (kind, v) => (v === null || v === undefined ? null : Number(v));

  // --- dates ---------------------------------------------------------------

  const day = (iso) => (iso ? iso.slice(0, 10) : '');
  function dateEl(iso) { return el('time', { class: 'date', datetime: day(iso), text: day(iso) }); }
  function instant(iso) {
    if (!iso) return el('span', { class: 'empty', text: 'none yet' });
    const d = new Date(iso);
    const text = d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC').replace('Z', ' UTC');
    return el('time', { datetime: d.toISOString(), text });
  }
  function age(iso) {
    if (!iso) return null;
    let s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    const parts = [];
    for (const [n, u] of [[86400, 'd'], [3600, 'h'], [60, 'min']]) {
      if (s >= n) { parts.push(Math.floor(s / n) + ' ' + u); s %= n; }
      if (parts.length === 2) break;
    }
    if (!parts.length) parts.push(s + ' s');
    return el('span', { class: 'note', 'data-chrome': true, text: parts.join(' ') + ' ago' });
  }
  const stepName = (s) => s.replace(/_/g, ' ');

  // --- state ---------------------------------------------------------------

  const state = {
    snap: null,
    renderedReadAt: null,
    paused: false,
    timer: null,
    failingSince: null, // the server itself did not answer (client clock)
    granularity: 'month',
    funnelDate: null,
  };

  async function poll() {
    clearTimeout(state.timer);
    let next = 5000;
    try {
      const r = await fetch('/api/snapshot', { cache: 'no-store' });
      const s = await r.json();
      if (s.refresh_seconds > 0) next = s.refresh_seconds * 1000;
      state.failingSince = null;
      show(s);
    } catch (e) {
      if (!state.failingSince) state.failingSince = new Date();
      showServerDown(e);
    }
    if (!state.paused) state.timer = setTimeout(poll, next);
  }

  function show(s) {
    state.snap = s;
    const status = $('status');
    status.replaceChildren();
    if (s.read_at && !s.read_at.startsWith('0001-')) {
      append(status, 'Read at ', instant(s.read_at), ' from ', el('span', { 'data-text': true, text: s.source || 'the warehouse' }),
        state.paused ? '. Auto-refresh paused.' : ['. Refreshes every ', el('span', { 'data-chrome': true, text: String(s.refresh_seconds) }), ' s.']);
    } else {
      append(status, 'Nothing read yet from ', el('span', { 'data-text': true, text: s.source || 'the warehouse' }), '.');
    }
    const stale = $('stale');
    if (s.stale) {
      stale.hidden = false;
      stale.replaceChildren();
      const why = s.stale.busy ? 'another process is writing the warehouse (a transform?); it is read again when it finishes' : s.stale.reason;
      append(stale, 'Stale since ', instant(s.stale.since), ': ', el('span', { 'data-text': true, text: why }), '. ',
        s.read_at && !s.read_at.startsWith('0001-') ? ['Showing the data read at ', instant(s.read_at), '.'] : 'No data to show yet.');
    } else {
      stale.hidden = true;
      stale.replaceChildren();
    }
    if (s.read_at !== state.renderedReadAt) {
      state.renderedReadAt = s.read_at;
      renderAll();
    }
  }

  function showServerDown(e) {
    const stale = $('stale');
    stale.hidden = false;
    stale.replaceChildren();
    append(stale, 'Stale since ', instant(state.failingSince.toISOString()), ': the dashboard server does not answer (',
      el('span', { 'data-text': true, text: String(e.message || e) }), ').', state.snap ? ' Showing the last data read.' : '');
  }

  // renderAll redraws every section, keeping which details are open and
  // which control has the focus.
  function renderAll() {
    const focused = document.activeElement && document.activeElement.id;
    const open = [...document.querySelectorAll('details[open]')].map((d) => d.id);
    const s = state.snap;
    renderHealth(s.health || {});
    renderKPIs(s);
    renderTrend(s);
    renderFunnel(s.session_funnel || []);
    renderRetention(s.cohort_retention || []);
    renderLTV(s.cohort_ltv || []);
    renderTop(s.top_products || [], s.top_categories || []);
    renderRecon(s.purchase_reconciliation || []);
    renderActive(s.active_users || [], s.earlier_signups || 0);
    renderChannels(s.traffic_channels || []);
    renderHours(s.traffic_hours || []);
    renderAbandonment(s.checkout_abandonment || []);
    renderCustomers(s.top_customers || [], s.customers || 0);
    renderAttribution(s.attribution_channels || []);
    renderConversion(s);
    for (const id of open) { const d = $(id); if (d) d.open = true; }
    if (focused && $(focused) && document.activeElement !== $(focused)) $(focused).focus();
  }

  // --- health --------------------------------------------------------------

  function dl(...pairs) {
    return el('dl', {}, pairs.map(([k, v]) => [el('dt', { text: k }), el('dd', {}, v)]));
  }

  function renderHealth(h) {
    const f = h.freshness || {};
    const run = h.last_run || {};
    const cards = [];
    cards.push(el('div', { class: 'card' }, el('h3', { text: 'Freshness' }), dl(
      ['Newest event in CORE', [instant(f.newest_event_time), ' ', age(f.newest_event_time)]],
      ['Newest arrival', instant(f.newest_ingestion_time)],
      ['Watermark', instant(f.watermark)],
      ['Marts as of run', f.last_promoted ? num('int', 'freshness', 'last_promoted_run', '', f.last_promoted.run_id) : el('span', { class: 'empty', text: 'none promoted' })],
    )));

    const runCard = el('div', { class: 'card' }, el('h3', { text: 'Last transform and data quality' }));
    if (!run.run_id) {
      append(runCard, el('p', { class: 'empty', text: 'No transform run recorded yet: run shoplake transform (or shoplake demo).' }));
    } else {
      const counts = { pass: 0, warn: 0, fail: 0, skipped: 0 };
      for (const c of run.results || []) counts[c.status] = (counts[c.status] || 0) + 1;
      append(runCard, dl(
        ['Run', [num('int', 'last_run', 'run_id', '', run.run_id), ' ', el('span', { class: 'status-' + run.status, text: run.status })]],
        ['Finished', instant(run.finished_at)],
        ['Checks passed', num('int', 'check_counts', 'pass', '', counts.pass)],
        ['Warnings', num('int', 'check_counts', 'warn', '', counts.warn)],
        ['Failed', num('int', 'check_counts', 'fail', '', counts.fail)],
        ['Skipped', num('int', 'check_counts', 'skipped', '', counts.skipped)],
      ));
      if (run.error) append(runCard, el('p', { class: 'note' }, 'Error: ', el('span', { 'data-text': true, text: run.error })));
      const rows = (run.results || []).map((c) => el('tr', {},
        el('th', { scope: 'row', 'data-text': true, text: c.check }),
        el('td', { text: c.severity }),
        el('td', { class: 'status-' + c.status, text: c.status }),
        el('td', { class: 'n' }, num('int', 'check_results', 'failures', c.check, c.failures)),
        el('td', { class: 'note', 'data-text': true, text: c.detail || '' })));
      append(runCard, el('details', { id: 'd-checks' }, el('summary', { id: 's-checks', text: 'Check results' }),
        el('div', { class: 'scroll' }, el('table', {},
          el('caption', { text: 'Data-quality checks of the last run: rows offending each' }),
          el('thead', {}, el('tr', {}, ['Check', 'Severity', 'Status', 'Rows', 'Detail'].map((t, i) => el('th', { scope: 'col', class: i === 3 ? 'n' : null, text: t })))),
          el('tbody', {}, rows)))));
    }
    cards.push(runCard);

    const k = h.kept_out;
    cards.push(el('div', { class: 'card' }, el('h3', { text: 'Kept out of CORE' }), k ? dl(
      ['Events quarantined at load', num('int', 'kept_out', 'quarantined_events', '', k.quarantined_events)],
      ['Source rows quarantined', num('int', 'kept_out', 'quarantined_source_rows', '', k.quarantined_source_rows)],
      ['Rows rejected by models', num('int', 'kept_out', 'rejected_rows', '', k.rejected_rows)],
      ['RAW objects set aside', num('int', 'kept_out', 'objects_set_aside', '', k.objects_set_aside)],
      ['Event ids with conflicting versions', num('int', 'kept_out', 'conflicting_events', '', k.conflicting_events)],
    ) : el('p', { class: 'empty', text: 'Nothing recorded before the first run.' })));

    const lag = h.consumer_lag || {};
    const lagCard = el('div', { class: 'card' }, el('h3', { text: 'Consumer lag' }));
    if (!lag.available) {
      append(lagCard, el('p', {}, el('strong', { text: 'n/a' })), el('p', { class: 'note', 'data-text': true, text: lag.why || '' }));
    } else {
      append(lagCard, el('table', {}, el('caption', { text: 'Checkpoint of each shard' }),
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Shard' }), el('th', { scope: 'col', text: 'Behind the tip' }), el('th', { scope: 'col', text: 'Checkpointed' }))),
        el('tbody', {}, (lag.shards || []).map((sh) => el('tr', {},
          el('th', { scope: 'row', 'data-text': true, text: sh.shard_id }),
          el('td', { 'data-text': true, text: sh.iterator_age_seconds == null ? 'n/a' : sh.iterator_age_seconds.toFixed(0) + ' s' }),
          el('td', {}, instant(sh.checkpointed_at), ' ', age(sh.checkpointed_at)))))));
    }
    cards.push(lagCard);
    fill('health', cards);
  }

  // --- charts --------------------------------------------------------------

  // sparkline draws values (nulls skipped) as a line; label is its text.
  function sparkline(values, label) {
    const w = 160;
    const h = 36;
    const pts = values.map((v, i) => [i, v]).filter(([, v]) => v !== null);
    const s = svg('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-label': label, preserveAspectRatio: 'none' }, svg('title', { text: label }));
    if (!pts.length) return s;
    const max = Math.max(...pts.map(([, v]) => v));
    const min = Math.min(0, ...pts.map(([, v]) => v));
    const x = (i) => (values.length === 1 ? w / 2 : (i / (values.length - 1)) * (w - 4) + 2);
    const y = (v) => h - 3 - ((v - min) / (max - min || 1)) * (h - 6);
    append(s, svg('polyline', { points: pts.map(([i, v]) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' '), fill: 'none', stroke: PALETTE[0], 'stroke-width': 2, 'vector-effect': 'non-scaling-stroke' }));
    const [li, lv] = pts[pts.length - 1];
    append(s, svg('circle', { cx: x(li).toFixed(1), cy: y(lv).toFixed(1), r: 2.5, fill: PALETTE[0] }));
    return s;
  }

  function describeRange(label, dates, values, kind) {
    const vs = values.filter((v) => v !== null);
    if (!vs.length) return `${label}: no values yet`;
    const fmt = (v) => (kind === 'money' ? fmtMoney(moneyText(v)) : kind === 'rate' ? fmtRate(Number(v).toFixed(4)) : group(String(v)));
    return `${label} by day, ${day(dates[0])} to ${day(dates[dates.length - 1])}: lowest ${fmt(Math.min(...vs))}, highest ${fmt(Math.max(...vs))}, latest ${fmt(vs[vs.length - 1])}`;
  }

  // chart draws series over the ordinal x axis xs (labels at both ends);
  // a series is {name, values, kind: 'line'|'bar'}. yMax is the <data>
  // labelling the top of the scale (the largest value, tagged).
  function chart(xs, series, opts) {
    const w = 520;
    const h = 200;
    const m = { l: 64, r: 10, t: 12, b: 26 };
    const all = series.flatMap((s) => s.values.filter((v) => v !== null));
    const max = Math.max(0, ...all);
    const min = Math.min(0, ...all);
    const n = xs.length;
    const band = (w - m.l - m.r) / Math.max(n, 1);
    const x = (i) => m.l + band * (i + 0.5);
    const y = (v) => m.t + (1 - (v - min) / (max - min || 1)) * (h - m.t - m.b);
    const g = svg('svg', { class: 'chart', viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-label': opts.label }, svg('title', { text: opts.label }));
    append(g, svg('line', { x1: m.l, x2: w - m.r, y1: y(0), y2: y(0), stroke: '#8a8f98' }));
    append(g, svg('line', { x1: m.l, x2: m.l, y1: m.t, y2: h - m.b, stroke: '#8a8f98' }));
    const bars = series.filter((s) => s.kind === 'bar');
    series.forEach((s, si) => {
      const color = PALETTE[si % PALETTE.length];
      if (s.kind === 'bar') {
        const bi = bars.indexOf(s);
        const bw = Math.max(1, (band * 0.7) / bars.length);
        s.values.forEach((v, i) => {
          if (v === null) return;
          const x0 = x(i) - (band * 0.35) + bi * bw;
          append(g, svg('rect', { x: x0.toFixed(1), y: Math.min(y(v), y(0)).toFixed(1), width: bw.toFixed(1), height: Math.abs(y(0) - y(v)).toFixed(1), fill: color }));
        });
      } else {
        let d = '';
        s.values.forEach((v, i) => {
          if (v === null) return;
          d += (d ? ' L' : 'M') + x(i).toFixed(1) + ',' + y(v).toFixed(1);
        });
        // Every other line dashed, so that two equal series both show.
        if (d) append(g, svg('path', { d, fill: 'none', stroke: color, 'stroke-width': 2, 'stroke-dasharray': si % 2 ? '6 4' : null }));
        s.values.forEach((v, i) => { if (v !== null) append(g, svg('circle', { cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 2.5, fill: color })); });
      }
    });
    if (n) {
      for (const i of n > 1 ? [0, n - 1] : [0]) {
        const label = opts.xLabel(xs[i]);
        append(g, svg('text', { x: x(i), y: h - 8, 'text-anchor': 'middle', 'data-axis': label, text: label }));
      }
    }
    const top = el('div', { class: 'note' }, 'Top of the scale: ', opts.yMax || '—');
    return [top, g];
  }

  // maxData is the <data> of the largest value of field over rows.
  function maxData(kind, mart, field, rows, key) {
    let best = null;
    for (const r of rows) {
      const v = asNumber(kind, r[field]);
      if (v !== null && (best === null || v > asNumber(kind, best[field]))) best = r;
    }
    return best ? num(kind, mart, field, key(best), best[field]) : null;
  }

  function legend(names) {
    return el('ul', { class: 'legend' }, names.map((nm, i) => el('li', {}, el('span', { class: 'swatch s' + i, 'aria-hidden': 'true' }), nm)));
  }

  // --- KPI tiles -----------------------------------------------------------

  function renderKPIs(s) {
    const kpis = s.daily_kpis || [];
    const revenue = s.revenue_daily || [];
    const orders = s.orders_daily || [];
    const tiles = [
      ['Sessions', 'daily_kpis', kpis, 'sessions', 'int'],
      ['Completed orders', 'daily_kpis', kpis, 'orders', 'int'],
      ['Revenue', 'daily_kpis', kpis, 'revenue', 'money'],
      ['Average order value', 'daily_kpis', kpis, 'avg_order_value', 'money'],
      ['Conversion rate', 'daily_kpis', kpis, 'conversion_rate', 'rate'],
      ['Net sales', 'revenue_daily', revenue, 'net_sales', 'money'],
      ['New customers', 'orders_daily', orders, 'new_customers', 'int'],
      ['Returning customers', 'orders_daily', orders, 'returning_customers', 'int'],
    ];
    const latest = kpis.length ? kpis[kpis.length - 1].date : null;
    fill('kpi-date', latest ? ['on ', dateEl(latest)] : '');
    if (!kpis.length && !revenue.length && !orders.length) {
      fill('kpis', el('p', { class: 'empty', text: 'No marts yet: they appear after the first promoted transform.' }));
      return;
    }
    fill('kpis', tiles.map(([label, mart, rows, field, kind]) => {
      const last = rows.length ? rows[rows.length - 1] : null;
      const values = rows.map((r) => asNumber(kind, r[field]));
      return el('div', { class: 'tile' },
        el('p', { class: 'label', text: label }),
        el('p', { class: 'value' }, last ? num(kind, mart, field, day(last.date), last[field]) : '—'),
        last && day(last.date) !== day(latest) ? el('p', { class: 'note' }, 'on ', dateEl(last.date)) : null,
        sparkline(values, describeRange(label, rows.map((r) => r.date), rows.map((r) => (r[field] === null ? null : r[field])), kind)));
    }));
  }

  // --- revenue and orders over time ----------------------------------------

  function renderTrend(s) {
    const revenue = s.revenue_daily || [];
    const kpis = s.daily_kpis || [];
    const orders = s.orders_daily || [];
    if (!revenue.length && !kpis.length) {
      fill('trend', el('p', { class: 'empty', text: 'No days yet.' }));
      return;
    }
    const rdates = revenue.map((r) => r.date);
    const kdates = kpis.map((r) => r.date);
    const revFig = el('figure', {}, el('figcaption', { text: 'Sales by the date they happened (revenue_daily)' }),
      legend(['Gross sales', 'Net sales']),
      chart(rdates, [
        { name: 'gross', kind: 'line', values: revenue.map((r) => Number(r.gross_sales)) },
        { name: 'net', kind: 'line', values: revenue.map((r) => Number(r.net_sales)) },
      ], {
        label: describeRange('Gross sales', rdates, revenue.map((r) => r.gross_sales), 'money') + '; ' +
          describeRange('net sales', rdates, revenue.map((r) => r.net_sales), 'money') + '. Every value is in the table below.',
        xLabel: day,
        yMax: maxData('money', 'revenue_daily', 'gross_sales', revenue, (r) => day(r.date)),
      }));
    const ordFig = el('figure', {}, el('figcaption', { text: 'Completed orders by day (daily_kpis)' }),
      legend(['Completed orders']),
      chart(kdates, [{ name: 'orders', kind: 'bar', values: kpis.map((r) => r.orders) }], {
        label: describeRange('Completed orders', kdates, kpis.map((r) => r.orders), 'int') + '. Every value is in the table below.',
        xLabel: day,
        yMax: maxData('int', 'daily_kpis', 'orders', kpis, (r) => day(r.date)),
      }));
    const dates = [...new Set([...rdates, ...kdates, ...orders.map((r) => r.date)].map(day))].sort();
    const by = (rows) => new Map(rows.map((r) => [day(r.date), r]));
    const R = by(revenue);
    const K = by(kpis);
    const O = by(orders);
    const cols = [
      ['Gross sales', R, 'revenue_daily', 'gross_sales', 'money'],
      ['Cancelled', R, 'revenue_daily', 'cancelled_sales', 'money'],
      ['Refunds', R, 'revenue_daily', 'refunds', 'money'],
      ['Net sales', R, 'revenue_daily', 'net_sales', 'money'],
      ['Orders placed', R, 'revenue_daily', 'orders_placed', 'int'],
      ['Completed orders', K, 'daily_kpis', 'orders', 'int'],
      ['Revenue (completed)', K, 'daily_kpis', 'revenue', 'money'],
      ['Sessions', K, 'daily_kpis', 'sessions', 'int'],
      ['Conversion', K, 'daily_kpis', 'conversion_rate', 'rate'],
      ['New customers', O, 'orders_daily', 'new_customers', 'int'],
      ['Returning customers', O, 'orders_daily', 'returning_customers', 'int'],
    ];
    const table = el('table', {},
      el('caption', { text: 'Every day: revenue_daily, daily_kpis and orders_daily' }),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Date' }), cols.map(([t]) => el('th', { scope: 'col', class: 'n', text: t })))),
      el('tbody', {}, dates.map((d) => el('tr', {}, el('th', { scope: 'row' }, dateEl(d)),
        cols.map(([, M, mart, field, kind]) => el('td', { class: 'n' }, M.has(d) ? num(kind, mart, field, d, M.get(d)[field]) : '—'))))));
    fill('trend', revFig, ordFig,
      el('details', { id: 'd-trend' }, el('summary', { id: 's-trend', text: 'Table: revenue, orders and customers by day' }), el('div', { class: 'scroll' }, table)));
  }

  // --- funnel --------------------------------------------------------------

  function renderFunnel(rows) {
    const select = $('funnel-date');
    const dates = [...new Set(rows.map((r) => day(r.date)))].sort().reverse();
    if (!dates.includes(state.funnelDate)) state.funnelDate = dates[0] || null;
    select.replaceChildren(...dates.map((d) => el('option', { value: d, 'data-date': true, text: d, selected: d === state.funnelDate })));
    select.disabled = !dates.length;
    drawFunnel(rows);
  }

  function drawFunnel(rows) {
    const d = state.funnelDate;
    const steps = rows.filter((r) => day(r.date) === d).sort((a, b) => a.step_order - b.step_order);
    if (!steps.length) {
      fill('funnel', el('p', { class: 'empty', text: 'No sessions yet.' }));
      return;
    }
    const max = Math.max(1, ...steps.map((r) => r.sessions));
    fill('funnel', el('table', { class: 'funnel' },
      el('caption', {}, 'Sessions reaching each step on ', dateEl(d), ', and the share of the step before (session_funnel)'),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Step' }), el('th', { scope: 'col', text: 'Sessions' }),
        el('th', { scope: 'col', class: 'n', text: 'Sessions' }), el('th', { scope: 'col', class: 'n', text: 'Of the step before' }))),
      el('tbody', {}, steps.map((r) => {
        const bar = el('div', { class: 'bar' });
        bar.style.width = (100 * r.sessions / max).toFixed(1) + '%';
        return el('tr', {},
          el('th', { scope: 'row', text: stepName(r.step) }),
          el('td', { class: 'bar-cell', 'aria-hidden': 'true' }, el('div', { class: 'bar-track' }, bar)),
          el('td', { class: 'n' }, num('int', 'session_funnel', 'sessions', d + '/' + r.step, r.sessions)),
          el('td', { class: 'n' }, num('rate', 'session_funnel', 'conversion_from_previous', d + '/' + r.step, r.conversion_from_previous)));
      }))));
    for (const td of document.querySelectorAll('#funnel td.bar-cell')) td.style.width = '50%';
  }

  // --- retention heatmap ---------------------------------------------------

  function lum(hex) {
    const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }
  function mix(a, b, t) {
    const p = (h, i) => parseInt(h.slice(i, i + 2), 16);
    return '#' + [1, 3, 5].map((i) => Math.round(p(a, i) + (p(b, i) - p(a, i)) * t).toString(16).padStart(2, '0')).join('');
  }
  // heat is a cell's background for rate (0..1) and the text colour with
  // the higher contrast on it: white or black, one of which always has at
  // least 4.58:1 (the worst background, of luminance 0.18, between them).
  function heat(rate) {
    const bg = mix('#eef3fb', '#0b3d91', Math.sqrt(Math.max(0, Math.min(1, rate))));
    const L = lum(bg);
    const white = 1.05 / (L + 0.05);
    const black = (L + 0.05) / 0.05;
    return [bg, white >= black ? '#ffffff' : '#000000'];
  }

  function renderRetention(rows) {
    const g = state.granularity;
    const mine = rows.filter((r) => r.granularity === g);
    if (!mine.length) {
      fill('retention', el('p', { class: 'empty', text: `No ${g}ly cohorts yet.` }));
      return;
    }
    const cohorts = [...new Set(mine.map((r) => day(r.cohort_start)))].sort();
    const offsets = [...new Set(mine.map((r) => r.period_offset))].sort((a, b) => a - b);
    const cell = new Map(mine.map((r) => [day(r.cohort_start) + '/' + r.period_offset, r]));
    const unit = g === 'month' ? 'Month' : 'Week';
    fill('retention', el('p', { class: 'note', text: 'A dashed cell is a period not over yet.' }), el('table', { class: 'heat' },
      el('caption', { text: `Customers by the ${g} of their first completed order, and the share of them with a completed order in each ${g} since (cohort_retention)` }),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Cohort' }), el('th', { scope: 'col', class: 'n', text: 'Customers' }),
        offsets.map((o) => el('th', { scope: 'col', class: 'n' }, unit + ' ', el('span', { 'data-axis': String(o), text: String(o) }))))),
      el('tbody', {}, cohorts.map((c) => {
        const first = mine.find((r) => day(r.cohort_start) === c);
        return el('tr', {},
          el('th', { scope: 'row' }, dateEl(c)),
          el('td', { class: 'n' }, num('int', 'cohort_retention', 'cohort_size', g + '/' + c, first.cohort_size)),
          offsets.map((o) => {
            const r = cell.get(c + '/' + o);
            if (!r) return el('td', { class: 'cell' });
            const td = el('td', { class: 'cell' + (r.period_complete ? '' : ' partial') },
              num('rate', 'cohort_retention', 'retention_rate', `${g}/${c}/${o}`, r.retention_rate),
              r.period_complete ? null : el('span', { class: 'sr-only', text: ' (period not over)' }));
            const [bg, fg] = heat(Number(r.retention_rate));
            td.style.background = bg;
            td.style.color = fg;
            return td;
          }));
      }))));
  }

  // --- LTV -----------------------------------------------------------------

  function renderLTV(rows) {
    if (!rows.length) {
      fill('ltv', el('p', { class: 'empty', text: 'No cohorts yet.' }));
      return;
    }
    const cohorts = [...new Set(rows.map((r) => day(r.cohort_month)))].sort();
    const horizons = [...new Set(rows.map((r) => r.horizon_days))].sort((a, b) => a - b);
    const matured = rows.filter((r) => r.avg_revenue !== null);
    const parts = [];
    if (!matured.length) {
      parts.push(el('p', { class: 'empty', text: 'No cohort has lived through its first window yet: an average appears once every customer of the cohort has had the whole window.' }));
    } else {
      const series = cohorts.map((c) => ({
        name: c, kind: 'line',
        values: horizons.map((h) => {
          const r = rows.find((x) => day(x.cohort_month) === c && x.horizon_days === h);
          return r && r.avg_revenue !== null ? Number(r.avg_revenue) : null;
        }),
      })).filter((s) => s.values.some((v) => v !== null)).slice(0, PALETTE.length);
      parts.push(legend(series.map((s) => ['Cohort ', dateEl(s.name)])));
      parts.push(chart(horizons, series, {
        label: 'Average revenue per customer of each monthly cohort after each window (cohort_ltv); every value is in the table below.',
        xLabel: (h) => h + ' days',
        yMax: maxData('money', 'cohort_ltv', 'avg_revenue', matured, (r) => day(r.cohort_month) + '/' + r.horizon_days),
      }));
    }
    const table = el('table', {},
      el('caption', { text: 'Revenue of each monthly cohort within each window after each customer\'s first order, and its average once every customer has had the whole window (cohort_ltv)' }),
      el('thead', {}, el('tr', {}, ['Cohort', 'Window (days)', 'Customers', 'Matured', 'Revenue', 'Average per matured customer']
        .map((t, i) => el('th', { scope: 'col', class: i ? 'n' : null, text: t })))),
      el('tbody', {}, rows.map((r) => {
        const k = day(r.cohort_month) + '/' + r.horizon_days;
        return el('tr', {},
          el('th', { scope: 'row' }, dateEl(r.cohort_month)),
          el('td', { class: 'n' }, num('int', 'cohort_ltv', 'horizon_days', k, r.horizon_days)),
          el('td', { class: 'n' }, num('int', 'cohort_ltv', 'cohort_customers', k, r.cohort_customers)),
          el('td', { class: 'n' }, num('int', 'cohort_ltv', 'matured_customers', k, r.matured_customers)),
          el('td', { class: 'n' }, num('money', 'cohort_ltv', 'revenue', k, r.revenue)),
          el('td', { class: 'n' }, num('money', 'cohort_ltv', 'avg_revenue', k, r.avg_revenue)));
      })));
    parts.push(el('details', { id: 'd-ltv', open: !matured.length }, el('summary', { id: 's-ltv', text: 'Table: LTV by cohort and window' }), el('div', { class: 'scroll' }, table)));
    fill('ltv', parts);
  }

  // --- top products and categories -----------------------------------------

  function topTable(caption, rows, mart, keyOf, nameCells, nameHead) {
    if (!rows.length) return el('p', { class: 'empty', text: 'No sales yet.' });
    const max = Math.max(1, ...rows.map((r) => Math.abs(Number(r.net_sales))));
    return el('div', { class: 'scroll' }, el('table', {},
      el('caption', { text: caption }),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', class: 'n', text: 'Rank' }), nameHead.map((t) => el('th', { scope: 'col', text: t })),
        ['Net units', 'Gross sales', 'Cancelled', 'Refunds', 'Net sales'].map((t) => el('th', { scope: 'col', class: 'n', text: t })),
        el('th', { 'aria-hidden': 'true' }))),
      el('tbody', {}, rows.map((r) => {
        const k = keyOf(r);
        const bar = el('div', { class: 'bar inline' });
        bar.style.width = (100 * Math.max(0, Number(r.net_sales)) / max).toFixed(1) + '%';
        return el('tr', {},
          el('td', { class: 'n' }, num('int', mart, 'net_sales_rank', k, r.net_sales_rank)),
          nameCells(r, k),
          el('td', { class: 'n' }, num('int', mart, 'net_units', k, r.net_units)),
          el('td', { class: 'n' }, num('money', mart, 'gross_sales', k, r.gross_sales)),
          el('td', { class: 'n' }, num('money', mart, 'cancelled_sales', k, r.cancelled_sales)),
          el('td', { class: 'n' }, num('money', mart, 'refunds', k, r.refunds)),
          el('td', { class: 'n' }, num('money', mart, 'net_sales', k, r.net_sales)),
          el('td', { 'aria-hidden': 'true', class: 'bar-cell' }, el('div', { class: 'bar-track' }, bar)));
      }))));
  }

  function renderTop(products, categories) {
    const category = (c) => (c === '' ? el('span', { class: 'empty', text: '(none)' }) : el('span', { 'data-text': true, text: c }));
    fill('top',
      el('div', {}, el('h3', { text: 'Products' }), topTable('Products by net sales over every date (product_sales)', products, 'top_products',
        (r) => String(r.product_id),
        (r, k) => [el('td', {}, 'Product ', num('int', 'top_products', 'product_id', k, r.product_id)), el('td', {}, category(r.category))],
        ['Product', 'Category'])),
      el('div', {}, el('h3', { text: 'Categories' }), topTable('Categories by net sales over every date (category_sales)', categories, 'top_categories',
        (r) => r.category,
        (r) => el('td', {}, category(r.category)),
        ['Category'])));
  }

  // --- reconciliation ------------------------------------------------------

  function renderRecon(rows) {
    if (!rows.length) {
      fill('recon', el('p', { class: 'empty', text: 'No days yet.' }));
      return;
    }
    const cols = [
      ['Orders', 'orders', 'int'], ['Tracked', 'tracked_orders', 'int'], ['Untracked', 'untracked_orders', 'int'],
      ['Purchase events', 'purchase_events', 'int'], ['Orphan purchase events', 'orphan_purchase_events', 'int'],
      ['Tracking loss', 'tracking_loss_rate', 'rate'],
    ];
    fill('recon', el('table', {},
      el('caption', { text: 'Orders of each day with and without a purchase event, and purchase events without an order, newest day first (purchase_reconciliation)' }),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Date' }), cols.map(([t]) => el('th', { scope: 'col', class: 'n', text: t })))),
      el('tbody', {}, [...rows].reverse().map((r) => el('tr', {}, el('th', { scope: 'row' }, dateEl(r.date)),
        cols.map(([, f, kind]) => el('td', { class: 'n' }, num(kind, 'purchase_reconciliation', f, day(r.date), r[f]))))))));
  }

  // --- active users --------------------------------------------------------

  // chrome is a figure of the page's own text (a window's length), not a
  // mart's.
  const chrome = (t) => el('span', { 'data-chrome': true, text: t });

  // table is a <table> with caption, the column heads cols ([title,
  // numeric?]) and the rows of cells rows (each: [row head, ...cells]).
  function table(caption, cols, rows) {
    return el('table', {},
      el('caption', {}, caption),
      el('thead', {}, el('tr', {}, cols.map(([t, n]) => el('th', { scope: 'col', class: n ? 'n' : null }, t)))),
      el('tbody', {}, rows.map(([head, ...cells]) => el('tr', {}, el('th', { scope: 'row' }, head),
        cells.map((c) => (c && c.tagName === 'TD' ? c : el('td', { class: 'n' }, c)))))));
  }

  function renderActive(rows, earlier) {
    const parts = [];
    if (!rows.length) {
      fill('active', el('p', { class: 'empty', text: 'No users yet.' }));
      return;
    }
    const dates = rows.map((r) => r.date);
    const series = [['Daily active users', 'dau', 'Daily active users'], [['Weekly (', chrome('7'), ' days)'], 'wau', 'Weekly active users'],
      [['Monthly (', chrome('30'), ' days)'], 'mau', 'Monthly active users']];
    parts.push(el('figure', {}, el('figcaption', {}, 'Distinct users with a session on the day, in the ', chrome('7'), ' and in the ', chrome('30'), ' days ending on it (active_users)'),
      legend(series.map(([t]) => t)),
      chart(dates, series.map(([, f]) => ({ name: f, kind: 'line', values: rows.map((r) => r[f]) })), {
        label: series.map(([, f, t]) => describeRange(t, dates, rows.map((r) => r[f]), 'int')).join('; ') + '. Every value is in the table below.',
        xLabel: day,
        yMax: maxData('int', 'active_users', 'mau', rows, (r) => day(r.date)),
      })));
    if (earlier) {
      parts.push(el('p', { class: 'note' }, 'From the first day with an active user; ',
        num('int', 'active_users', 'earlier_signups', '', earlier), ' users signed up before it.'));
    }
    const cols = [['DAU', 'dau', 'int'], ['WAU', 'wau', 'int'], ['MAU', 'mau', 'int'], ['Sign-ups', 'signups', 'int'], ['Stickiness (DAU/MAU)', 'stickiness', 'rate']];
    parts.push(el('details', { id: 'd-active' }, el('summary', { id: 's-active', text: 'Table: active users and sign-ups by day' }),
      el('div', { class: 'scroll tall' }, table('Active users, sign-ups and stickiness of each day, newest first (active_users)',
        [['Date'], ...cols.map(([t]) => [t, true])],
        [...rows].reverse().map((r) => [dateEl(r.date), ...cols.map(([, f, kind]) => num(kind, 'active_users', f, day(r.date), r[f]))])))));
    fill('active', parts);
  }

  // --- traffic by channel and by hour ----------------------------------------

  function barCell(value, max) {
    const bar = el('div', { class: 'bar inline' });
    bar.style.width = (100 * Math.max(0, value) / Math.max(1, max)).toFixed(1) + '%';
    return el('td', { 'aria-hidden': 'true', class: 'bar-cell' }, el('div', { class: 'bar-track' }, bar));
  }

  function renderChannels(rows) {
    if (!rows.length) {
      fill('channels', el('p', { class: 'empty', text: 'No sessions yet.' }));
      return;
    }
    const cols = [['Sessions', 'sessions', 'int'], ['Product view', 'reached_product_view', 'int'], ['Cart', 'reached_add_to_cart', 'int'],
      ['Checkout', 'reached_begin_checkout', 'int'], ['Purchase', 'reached_purchase', 'int'], ['Conversion', 'funnel_conversion', 'rate']];
    fill('channels', el('div', { class: 'scroll' }, table(
      'Sessions of every date by the channel of their first event, most sessions first, the sessions among them that reached each funnel step, and the share that reached the purchase (traffic_sources)',
      [['Channel'], ...cols.map(([t]) => [t, true])],
      rows.map((r) => [el('span', { 'data-text': true, text: r.channel }),
        ...cols.map(([, f, kind]) => num(kind, 'traffic_channels', f, r.channel, r[f]))]))));
  }

  const hourName = (h) => String(h).padStart(2, '0') + ':00';

  function renderHours(rows) {
    if (!rows.some((r) => r.sessions || r.orders)) {
      fill('hours', el('p', { class: 'empty', text: 'No sessions yet.' }));
      return;
    }
    const busiest = rows.reduce((a, b) => (b.sessions > a.sessions ? b : a));
    const quietest = rows.reduce((a, b) => (b.sessions < a.sessions ? b : a));
    const label = `Sessions by the hour of the day they started, summed over every date: busiest ${hourName(busiest.hour)} with ${group(String(busiest.sessions))}, ` +
      `quietest ${hourName(quietest.hour)} with ${group(String(quietest.sessions))}. Every value is in the table below.`;
    const cols = [['Sessions', 'sessions', 'int'], ['Converting sessions', 'converting_sessions', 'int'], ['Orders', 'orders', 'int'], ['Revenue', 'revenue', 'money']];
    fill('hours',
      el('figure', {}, el('figcaption', { text: 'Sessions by hour of the day, every date (traffic_by_hour)' }),
        chart(rows.map((r) => r.hour), [{ name: 'sessions', kind: 'bar', values: rows.map((r) => r.sessions) }], {
          label, xLabel: hourName, yMax: maxData('int', 'traffic_hours', 'sessions', rows, (r) => String(r.hour)),
        })),
      el('details', { id: 'd-hours' }, el('summary', { id: 's-hours', text: 'Table: sessions and orders by hour' }),
        el('div', { class: 'scroll' }, table('Sessions by the hour they started and completed orders by the hour they were placed, summed over every date; hours in the business time zone (traffic_by_hour)',
          [['Hour'], ...cols.map(([t]) => [t, true])],
          rows.map((r) => [el('span', { 'data-axis': String(r.hour), text: hourName(r.hour) }),
            ...cols.map(([, f, kind]) => num(kind, 'traffic_hours', f, String(r.hour), r[f]))])))));
  }

  // --- checkout abandonment --------------------------------------------------

  function renderAbandonment(rows) {
    if (!rows.length) {
      fill('abandonment', el('p', { class: 'empty', text: 'No sessions yet.' }));
      return;
    }
    const dates = rows.map((r) => r.date);
    const rate = (f) => rows.map((r) => (r[f] === null ? null : Number(r[f])));
    const cols = [['Sessions', 'sessions', 'int'], ['Carts', 'carts', 'int'], ['Checkouts', 'checkouts', 'int'], ['Purchases', 'purchases', 'int'],
      ['Cart abandonment', 'cart_abandonment_rate', 'rate'], ['Checkout abandonment', 'checkout_abandonment_rate', 'rate']];
    fill('abandonment',
      el('figure', {}, el('figcaption', { text: 'Share of the sessions that reached the cart, or the checkout, and left without buying (checkout_abandonment)' }),
        legend(['Cart abandonment', 'Checkout abandonment']),
        chart(dates, [{ name: 'cart', kind: 'line', values: rate('cart_abandonment_rate') }, { name: 'checkout', kind: 'line', values: rate('checkout_abandonment_rate') }], {
          label: describeRange('Cart abandonment', dates, rate('cart_abandonment_rate'), 'rate') + '; ' +
            describeRange('checkout abandonment', dates, rate('checkout_abandonment_rate'), 'rate') + '. Every value is in the table below.',
          xLabel: day,
          yMax: maxData('rate', 'checkout_abandonment', 'cart_abandonment_rate', rows, (r) => day(r.date)),
        })),
      el('details', { id: 'd-abandonment' }, el('summary', { id: 's-abandonment', text: 'Table: carts, checkouts and purchases by day' }),
        el('div', { class: 'scroll tall' }, table('Sessions of each day reaching the cart, the checkout and the purchase, and the shares abandoned, newest first (checkout_abandonment)',
          [['Date'], ...cols.map(([t]) => [t, true])],
          [...rows].reverse().map((r) => [dateEl(r.date), ...cols.map(([, f, kind]) => num(kind, 'checkout_abandonment', f, day(r.date), r[f]))])))));
  }

  // --- customers and attribution ----------------------------------------------

  function renderCustomers(rows, total) {
    if (!rows.length) {
      fill('customers', el('p', { class: 'empty', text: 'No customers yet.' }));
      return;
    }
    const win = (n) => ['First ', chrome(n), ' days'];
    const cols = [['Orders', 'orders', 'int'], ['Revenue to date', 'revenue', 'money'], [win('30'), 'revenue_30d', 'money'],
      [win('90'), 'revenue_90d', 'money'], [win('365'), 'revenue_365d', 'money']];
    fill('customers', el('div', { class: 'scroll' }, table(
      ['The ', num('int', 'top_customers', 'shown', '', rows.length), ' customers with the highest revenue to date, of ',
        num('int', 'customer_ltv', 'customers', '', total), ', and their revenue within each window after their first order; — while the window has not elapsed (customer_ltv)'],
      [['Customer'], ['First order'], ...cols.map(([t]) => [t, true])],
      rows.map((r) => {
        const k = String(r.user_id);
        return [['User ', num('int', 'top_customers', 'user_id', k, r.user_id)], el('td', {}, dateEl(r.first_order_date)),
          ...cols.map(([, f, kind]) => num(kind, 'top_customers', f, k, r[f]))];
      }))));
  }

  function renderAttribution(rows) {
    if (!rows.length) {
      fill('attribution', el('p', { class: 'empty', text: 'No completed orders yet.' }));
      return;
    }
    const cols = [['First touch: orders', 'first_touch_orders', 'int'], ['First touch: revenue', 'first_touch_revenue', 'money'],
      ['Last touch: orders', 'last_touch_orders', 'int'], ['Last touch: revenue', 'last_touch_revenue', 'money']];
    const max = Math.max(...rows.map((r) => Number(r.last_touch_revenue)));
    fill('attribution', el('div', { class: 'scroll' }, table(
      ['Completed orders of every date credited to each channel: first touch is the customer\'s earliest session in the ',
        el('span', { 'data-chrome': true, text: '30' }), ' days before the order, last touch the session of the purchase; most last-touch revenue first (order_attribution)'],
      [['Channel'], ...cols.map(([t]) => [t, true]), ['']],
      rows.map((r) => [el('span', { 'data-text': true, text: r.channel }),
        ...cols.map(([, f, kind]) => num(kind, 'attribution_channels', f, r.channel, r[f])), barCell(Number(r.last_touch_revenue), max)]))));
    for (const th of document.querySelectorAll('#attribution thead th:last-child')) th.setAttribute('aria-hidden', 'true');
  }

  // --- product and category conversion ---------------------------------------

  function renderConversion(s) {
    const cols = [['Viewed', 'view_sessions', 'int'], ['Carted', 'cart_sessions', 'int'], ['Purchased', 'purchase_sessions', 'int'],
      ['View to cart', 'view_to_cart_rate', 'rate'], ['View to purchase', 'view_to_purchase_rate', 'rate']];
    const part = (title, rows, total, mart, totalMart, what, keyOf, name) => el('div', {}, el('h3', { text: title }), rows.length
      ? el('div', { class: 'scroll' }, table(
        ['The ', num('int', mart, 'shown', '', rows.length), ` ${what} viewed in the most sessions over every date, of `,
          num('int', totalMart, what, '', total), ` ${what} viewed, carted or purchased: sessions of each, and the shares of viewing sessions that carted and purchased (${totalMart})`],
        [[title.replace(/s$/, '')], ...cols.map(([t]) => [t, true])],
        rows.map((r) => [name(r, keyOf(r)), ...cols.map(([, f, kind]) => num(kind, mart, f, keyOf(r), r[f]))])))
      : el('p', { class: 'empty', text: 'No sessions yet.' }));
    fill('conversion',
      part('Products', s.top_product_conversion || [], s.conversion_products || 0, 'top_product_conversion', 'product_conversion', 'products',
        (r) => String(r.product_id), (r, k) => ['Product ', num('int', 'top_product_conversion', 'product_id', k, r.product_id)]),
      part('Categories', s.top_category_conversion || [], s.conversion_categories || 0, 'top_category_conversion', 'category_conversion', 'categories',
        (r) => r.category, (r) => (r.category === '' ? el('span', { class: 'empty', text: '(none)' }) : el('span', { 'data-text': true, text: r.category }))));
  }

  // --- controls --------------------------------------------------------------

  function setPaused(p) {
    state.paused = p;
    const b = $('pause');
    b.setAttribute('aria-pressed', String(p));
    b.textContent = p ? 'Resume auto-refresh' : 'Pause auto-refresh';
    clearTimeout(state.timer);
    if (!p) poll();
    else if (state.snap) show(state.snap);
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('pause').addEventListener('click', () => setPaused(!state.paused));
    $('refresh-now').addEventListener('click', () => poll());
    $('funnel-date').addEventListener('change', (e) => {
      state.funnelDate = e.target.value;
      if (state.snap) drawFunnel(state.snap.session_funnel || []);
    });
    for (const r of document.querySelectorAll('input[name="granularity"]')) {
      r.addEventListener('change', (e) => {
        state.granularity = e.target.value;
        if (state.snap) renderRetention(state.snap.cohort_retention || []);
      });
    }
    poll();
  });
})();
