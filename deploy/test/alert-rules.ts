import { parse } from 'yaml';
import { readText } from './support';

export const ALERT_RULES_FILE = 'deploy/observability/alerts.yml';

interface RuleFile {
  groups: { name: string; rules: { alert: string; expr: string; annotations?: object }[] }[];
}

export function alertRules() {
  const file = parse(readText(ALERT_RULES_FILE)) as RuleFile;
  return file.groups.flatMap((group) => group.rules);
}

/** The metric names a PromQL expression reads (label matchers, ranges and functions taken out). */
export function metricsInExpression(expr: string): string[] {
  const bare = expr
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, ' ');
  const names = [...bare.matchAll(/\b([a-zA-Z_:][\w:]*)\b(?!\s*\()/g)].map((match) => match[1]!);
  return [...new Set(names.filter((word) => word.includes('_')))];
}

/** Every (alert, metric) pair the rules read. */
export function alertRuleMetrics(): { alert: string; metric: string }[] {
  return alertRules().flatMap((rule) =>
    metricsInExpression(rule.expr).map((metric) => ({ alert: rule.alert, metric })),
  );
}
