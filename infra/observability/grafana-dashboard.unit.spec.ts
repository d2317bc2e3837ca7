// The Grafana dashboard asks Prometheus only for metrics the platform registers: a metric renamed in the code
// (or misspelt in the dashboard) fails here instead of leaving a panel silently empty.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PLATFORM_GAUGES } from '../../gateways/composition/platform-metrics.ts';
import { REQUEST_DURATION_HISTOGRAM } from '../../gateways/http/request-metrics.ts';

type Target = { refId: string; expr: string };
type Panel = { id: number; type: string; title: string; gridPos: { x: number; y: number; w: number; h: number }; targets?: Target[] };
type Dashboard = { schemaVersion: number; uid: string; panels: Panel[]; templating: { list: Array<{ name: string; type: string; query: string }> } };

const dashboard = JSON.parse(readFileSync(new URL('./grafana-dashboard.json', import.meta.url), 'utf8')) as Dashboard;
const targets = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, ...target })));

// A histogram is exposed as three series: <name>_bucket, <name>_sum, <name>_count.
const registered = new Set([
  ...PLATFORM_GAUGES.map(({ name }) => name),
  ...['_bucket', '_sum', '_count'].map((suffix) => `${REQUEST_DURATION_HISTOGRAM}${suffix}`),
]);

/** The proofline metric names an expression selects. */
const metricsOf = (expr: string) => [...expr.matchAll(/\bproofline_[a-zA-Z0-9_]+/g)].map((match) => match[0]);

describe('infra/observability/grafana-dashboard.json', () => {
  it('is a dashboard of the schema it was written for, each panel with a unique id and a place on the grid', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.uid).toBe('proofline-platform');
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      expect(panel.gridPos.w, panel.title).toBeGreaterThan(0);
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
    }
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }));
  });

  it('queries only metrics the platform registers', () => {
    expect(targets.length).toBeGreaterThan(0);
    for (const { panel, refId, expr } of targets) {
      const names = metricsOf(expr);
      expect(names.length, `${panel} ${refId}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) expect(registered.has(name), `${panel} ${refId}: ${name} is not a metric of the platform`).toBe(true);
    }
  });

  it("shows every store figure `proofline status` prints, and the request rate and p99 by route", () => {
    const used = new Set(targets.flatMap(({ expr }) => metricsOf(expr)));
    for (const { name } of PLATFORM_GAUGES) expect(used.has(name), `no panel shows ${name}`).toBe(true);
    const exprs = targets.map(({ expr }) => expr.replace(/\s+/g, ''));
    expect(exprs).toContain(`sumby(route)(rate(${REQUEST_DURATION_HISTOGRAM}_count[$__rate_interval]))`);
    // Summed over every label but route and le (the gateway workers' `worker`, every instance) before the quantile.
    expect(exprs).toContain(`histogram_quantile(0.99,sumby(route,le)(rate(${REQUEST_DURATION_HISTOGRAM}_bucket[$__rate_interval])))`);
  });
});
