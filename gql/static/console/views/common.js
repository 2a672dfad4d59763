// Pieces shared by the views: the status distribution bar, a counts legend, a wait's age.

import { UOW_STATUSES } from "../api.js";
import { h } from "../dom.js";

/** A bar split by status (widths set through the CSSOM: the CSP forbids style attributes). */
export function statusBar(counts) {
  const total = UOW_STATUSES.reduce((sum, s) => sum + counts[s], 0);
  const bar = h("div", { class: "status-bar", title: `${total} units of work` });
  for (const status of UOW_STATUSES) {
    if (!counts[status]) continue;
    const part = h("span", { class: `status-${status.toLowerCase()}`, title: `${status}: ${counts[status]}` });
    part.style.flexGrow = String(counts[status]);
    bar.append(part);
  }
  return bar;
}

export function statusLegend(counts) {
  return h("dl", { class: "legend" },
    UOW_STATUSES.filter((s) => counts[s]).map((s) =>
      h("div", { class: "legend-item", "data-status": s },
        h("dt", {}, h("i", { class: `dot status-${s.toLowerCase()}` }), s.replaceAll("_", " ").toLowerCase()),
        h("dd", {}, counts[s].toLocaleString()))));
}

export function total(counts) {
  return UOW_STATUSES.reduce((sum, s) => sum + counts[s], 0);
}

/** A wait in seconds as people say it ("—" when nothing waits). */
export function age(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}
