import { ApiError, get, key, query } from './api.js';
import { h, replace, select } from './dom.js';
import { httpLanguage, intlLocale, t } from './i18n.js';

// The reports dashboard (issue 18): performance indicators and outcomes of a month or quarter as hand-drawn SVG bar
// charts — nothing is fetched from elsewhere — each with a <title>/<desc>, role="img" and a table holding the same
// numbers. Requests go one after another: report queries are limited per caller (Reports:ConcurrentQueriesPerKey).

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  for (const child of children) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return element;
}

/** The periods offered: the last four quarters and the last twelve months, newest first. */
function periods(now = new Date()) {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth(); // 0-based
  const quarters = [];
  for (let i = 0; i < 4; i++) {
    const q = Math.floor(month / 3) - i;
    const y = year + Math.floor(q / 4);
    quarters.push(`${y}-Q${((q % 4) + 4) % 4 + 1}`);
  }
  const months = [];
  for (let i = 0; i < 12; i++) {
    const d = new Date(Date.UTC(year, month - i, 1));
    months.push(`${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`);
  }
  return [...quarters, ...months];
}

/** The months of the quarter a period lies in (a month's own quarter). */
export function monthsOfQuarter(period) {
  const [year, rest] = period.split('-');
  const quarter = rest.startsWith('Q') ? Number(rest.slice(1)) : Math.floor((Number(rest) - 1) / 3) + 1;
  return [0, 1, 2].map((i) => `${year}-${String(3 * (quarter - 1) + 1 + i).padStart(2, '0')}`);
}

const number = (value, digits = 1) => new Intl.NumberFormat(intlLocale(), { maximumFractionDigits: digits }).format(value);

/**
 * A horizontal bar chart and its table. `items` are { label, value } (value a number); `format` shows a value.
 * The SVG is sized from its items; each bar has a <title> of its own for pointer users.
 */
function barChart(id, { title, desc, items, format, column }) {
  // Drawn at about the size a card shows it (≈ 360 px wide), so its 12 px text stays 12 px.
  const labelWidth = 150;
  const width = 360;
  const barHeight = 26;
  const max = Math.max(...items.map((i) => i.value), 0) || 1;
  const titleId = `${id}-title`;
  const descId = `${id}-desc`;
  const chart = svg('svg', {
    role: 'img', 'aria-labelledby': `${titleId} ${descId}`, viewBox: `0 0 ${width} ${items.length * barHeight + 8}`,
    width: '100%', class: 'chart', id,
  }, svg('title', { id: titleId }, title), svg('desc', { id: descId }, desc));
  items.forEach((item, index) => {
    const y = index * barHeight + 4;
    const length = Math.max(2, ((width - labelWidth - 60) * item.value) / max);
    // A long name is cut in the chart; the bar's own <title> and the table give it whole.
    const short = item.label.length > 16 ? `${item.label.slice(0, 15)}…` : item.label;
    chart.append(
      svg('text', { x: labelWidth - 8, y: y + 17, 'text-anchor': 'end', class: 'chart-label', 'data-label': item.label }, short),
      svg('rect', { x: labelWidth, y: y + 3, width: length, height: barHeight - 8, class: 'chart-bar' }, svg('title', {}, `${item.label}: ${format(item.value)}`)),
      svg('text', { x: labelWidth + length + 6, y: y + 17, class: 'chart-value' }, format(item.value)),
    );
  });
  const table = h('table', { className: 'chart-table', id: `${id}-table` },
    h('caption', {}, title),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, column), h('th', { scope: 'col' }, t('dashValue')))),
    h('tbody', {}, items.map((item) => h('tr', {}, h('th', { scope: 'row' }, item.label), h('td', {}, format(item.value))))));
  return h('section', { className: 'chart-card', 'aria-labelledby': `${id}-heading` },
    h('h3', { id: `${id}-heading` }, title),
    items.length ? [chart, table] : h('p', { className: 'muted' }, t('dashNoData')));
}

const outcomeLabel = (code) => {
  for (const candidate of [`outcome.${code}`, `status.${code}`, `dash.${code}`]) {
    const text = t(candidate);
    if (text !== candidate) return text;
  }
  return code;
};

/** Downloads an export with the caller's credentials (key or session cookie); the server audits it. */
async function download(path, filename, say) {
  const headers = { 'Accept-Language': httpLanguage() };
  if (key()) headers.Authorization = `Bearer ${key()}`;
  const response = await fetch(`/api/v1${path}`, { headers });
  if (!response.ok) {
    const problem = await response.json().catch(() => null);
    say(problem?.detail || problem?.title || `HTTP ${response.status}`, 'error');
    return;
  }
  const url = URL.createObjectURL(await response.blob());
  const link = h('a', { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  say(t('dashExported'));
}

export async function renderDashboard(main, say, chosen) {
  const options = periods();
  const period = options.includes(chosen) ? chosen : options[0];
  const picker = select(options.map((p) => [p, p]), { value: period, name: 'period' });
  picker.id = 'dash-period';
  picker.addEventListener('change', () => { location.hash = `#/dashboard/${picker.value}`; });
  const exportButton = (report, format) => h('button', {
    type: 'button', className: 'button', id: `export-${report}-${format}`,
    onclick: () => download(report === 'indicators'
      ? `/reports/indicators${query({ period, groupBy: 'organisation', format })}`
      : `/statistics/referrals${query({ period, groupBy: 'outcome', format })}`, `${report}-${period}.${format}`, say),
  }, t(`dashExport.${report}`, { format: format.toUpperCase() }));

  const indicators = await get(`/reports/indicators${query({ period, groupBy: 'organisation' })}`);
  const monthly = [];
  for (const month of monthsOfQuarter(period)) monthly.push([month, await get(`/reports/indicators${query({ period: month, groupBy: 'organisation' })}`)]);
  let outcomes = null;
  try { outcomes = await get(`/statistics/referrals${query({ period, groupBy: 'outcome' })}`); } catch (error) { if (!(error instanceof ApiError)) throw error; }

  const name = (row) => row.name ?? row.key;
  const acknowledge = indicators.rows.filter((r) => r.timeToAcknowledge.medianHours !== null)
    .map((r) => ({ label: name(r), value: r.timeToAcknowledge.medianHours }));
  const onTime = indicators.rows.filter((r) => r.onTimeShareByDuty.acknowledge !== undefined)
    .map((r) => ({ label: name(r), value: r.onTimeShareByDuty.acknowledge * 100 }));
  const breaches = monthly.map(([month, report]) => ({
    label: month, value: report.rows.reduce((sum, r) => sum + Object.values(r.breachesByDuty).reduce((a, b) => a + b, 0), 0),
  }));
  const outcomeItems = (outcomes?.cells ?? []).map((c) => ({ label: outcomeLabel(c.key), value: c.count }));

  replace(main,
    h('h2', {}, t('dashboard')),
    h('p', { className: 'muted' }, t(indicators.scope === 'network' ? 'dashScopeNetwork' : 'dashScopeOwn'), ' ', t('dashSuppressed', { k: indicators.suppressionThreshold })),
    h('div', { className: 'dash-controls' },
      h('label', { for: picker.id }, t('dashPeriod')), picker,
      exportButton('indicators', 'csv'), exportButton('indicators', 'xlsx'), exportButton('statistics', 'csv'), exportButton('statistics', 'xlsx')),
    h('div', { className: 'dash-grid' },
      barChart('chart-acknowledge', {
        title: t('dashAcknowledge'), desc: t('dashAcknowledgeDesc', { period }), items: acknowledge, column: t('dashOrganisation'),
        format: (v) => t('dashHours', { n: number(v) }),
      }),
      barChart('chart-ontime', {
        title: t('dashOnTime'), desc: t('dashOnTimeDesc', { period }), items: onTime, column: t('dashOrganisation'), format: (v) => `${number(v, 0)} %`,
      }),
      barChart('chart-breaches', {
        title: t('dashBreaches'), desc: t('dashBreachesDesc', { months: monthsOfQuarter(period).join(', ') }), items: breaches, column: t('dashMonth'),
        format: (v) => number(v, 0),
      }),
      barChart('chart-outcomes', {
        title: t('dashOutcomes'), desc: t('dashOutcomesDesc', { period }), items: outcomeItems, column: t('dashOutcome'), format: (v) => number(v, 0),
      })));
}
