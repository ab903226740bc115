import { manifest } from "../config/manifest";
import type { EnvironmentConfig } from "../config/types";

export interface CostBreakdown {
  readonly vmUsd: number;
  readonly dbuUsd: number;
  readonly totalUsd: number;
}

export interface RunCostEstimate {
  readonly environment: string;
  readonly gpuHours: number;
  readonly cpuHours: number;
  /** As configured: the pool's availability, jobs compute. */
  readonly configured: CostBreakdown;
  /** The same run with on-demand nodes. */
  readonly onDemand: CostBreakdown;
  /** The same hours on on-demand all-purpose compute (running it by hand on a dev cluster). */
  readonly allPurposeOnDemand: CostBreakdown;
  /** GPU node price saved by preemptible nodes (the design's 56-70 %). */
  readonly gpuNodeSavingPercent: number;
  /** Whole run, configured versus on demand. */
  readonly runSavingPercent: number;
}

const preemptible = (availability: string): boolean => availability !== "ON_DEMAND_GCP";

/**
 * The estimated cost of one pipeline run from configuration alone: hours per task (by the
 * manifest's compute kind) times node price plus DBUs. A preemptible-with-fallback pool is priced
 * as preemptible, i.e. the best case.
 */
export function estimateRunCost(config: EnvironmentConfig): RunCostEstimate {
  const { cost } = config;
  const hoursOf = (compute: "cpu" | "gpu"): number =>
    manifest.tasks.filter((task) => task.compute === compute).reduce((sum, task) => sum + (cost.taskHours[task.key] ?? 0), 0);
  const gpuHours = hoursOf("gpu");
  const cpuHours = hoursOf("cpu");
  const dbus = gpuHours * cost.gpuDbuPerHour + cpuHours * cost.cpuDbuPerHour;
  const breakdown = (gpuPrice: number, cpuPrice: number, dbuPrice: number): CostBreakdown => {
    const vmUsd = gpuHours * gpuPrice + cpuHours * cpuPrice;
    const dbuUsd = dbus * dbuPrice;
    return { vmUsd, dbuUsd, totalUsd: vmUsd + dbuUsd };
  };
  const configured = breakdown(
    preemptible(config.pool.availability) ? cost.gpuPreemptiblePerHour : cost.gpuOnDemandPerHour,
    preemptible(config.job.cpuAvailability) ? cost.cpuPreemptiblePerHour : cost.cpuOnDemandPerHour,
    cost.jobsDbuPrice,
  );
  const onDemand = breakdown(cost.gpuOnDemandPerHour, cost.cpuOnDemandPerHour, cost.jobsDbuPrice);
  const allPurposeOnDemand = breakdown(cost.gpuOnDemandPerHour, cost.cpuOnDemandPerHour, cost.allPurposeDbuPrice);
  const saving = (part: number, whole: number): number => (whole > 0 ? (1 - part / whole) * 100 : 0);
  return {
    environment: config.name,
    gpuHours,
    cpuHours,
    configured,
    onDemand,
    allPurposeOnDemand,
    gpuNodeSavingPercent: saving(cost.gpuPreemptiblePerHour, cost.gpuOnDemandPerHour),
    runSavingPercent: saving(configured.totalUsd, onDemand.totalUsd),
  };
}

const usd = (value: number): string => `$${value.toFixed(2)}`;

/** A short table for the terminal. */
export function formatRunCost(estimate: RunCostEstimate, availability: string): string {
  const row = (label: string, c: CostBreakdown): string =>
    `  ${label.padEnd(44)} ${usd(c.totalUsd).padStart(8)}  (nodes ${usd(c.vmUsd)}, DBUs ${usd(c.dbuUsd)})`;
  return [
    `cost of one pipeline run, environment "${estimate.environment}" (${estimate.gpuHours.toFixed(2)} GPU h, ${estimate.cpuHours.toFixed(2)} CPU h):`,
    row(`as configured (pool ${availability}, jobs)`, estimate.configured),
    row("on-demand nodes, jobs compute", estimate.onDemand),
    row("on-demand nodes, all-purpose compute", estimate.allPurposeOnDemand),
    `  preemptible GPU nodes save ${estimate.gpuNodeSavingPercent.toFixed(0)}% of the node price; this run saves ${estimate.runSavingPercent.toFixed(0)}% overall`,
  ].join("\n");
}
