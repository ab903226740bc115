import { dev } from "../config/dev";
import { prod } from "../config/prod";
import { estimateRunCost, formatRunCost } from "../stacks/cost-estimate";
import { configWith } from "./helpers";

describe("cost estimate", () => {
  it("prices GPU tasks at the preemptible L4 rate: the design's 56% saving at $0.35 vs $0.80", () => {
    const estimate = estimateRunCost(configWith({}, dev));
    expect(estimate.gpuNodeSavingPercent).toBeCloseTo(56.25, 2);
    expect(estimate.gpuHours).toBeCloseTo(5.5, 5);
    expect(estimate.cpuHours).toBeCloseTo(0.75, 5);
    // 5.5 GPU h x $0.35 + 0.75 CPU h x $0.19 (on-demand CPU) = $2.0675 of nodes.
    expect(estimate.configured.vmUsd).toBeCloseTo(5.5 * 0.35 + 0.75 * 0.19, 6);
    expect(estimate.onDemand.vmUsd).toBeCloseTo(5.5 * 0.8 + 0.75 * 0.19, 6);
    expect(estimate.configured.totalUsd).toBeLessThan(estimate.onDemand.totalUsd);
    expect(estimate.onDemand.totalUsd).toBeLessThan(estimate.allPurposeOnDemand.totalUsd);
  });

  it("reaches the design's 70% when spot is 70% cheaper", () => {
    const estimate = estimateRunCost(configWith({ cost: { ...configWith().cost, gpuPreemptiblePerHour: 0.24 } }, dev));
    expect(estimate.gpuNodeSavingPercent).toBeCloseTo(70, 6);
  });

  it("changes with configuration: hours, prices and availability", () => {
    const base = estimateRunCost(configWith({}, dev)).configured.totalUsd;
    const longer = estimateRunCost(
      configWith({ cost: { ...configWith().cost, taskHours: { ...configWith().cost.taskHours, pretrain: 4 } } }, dev),
    );
    expect(longer.configured.totalUsd).toBeGreaterThan(base);
    const pricier = estimateRunCost(configWith({ cost: { ...configWith().cost, jobsDbuPrice: 0.3 } }, dev));
    expect(pricier.configured.dbuUsd).toBeCloseTo(2 * estimateRunCost(configWith({}, dev)).configured.dbuUsd, 6);
    const onDemandPool = estimateRunCost(configWith({ pool: { availability: "ON_DEMAND_GCP" } }, dev));
    expect(onDemandPool.configured.totalUsd).toBeCloseTo(onDemandPool.onDemand.totalUsd, 6);
    expect(onDemandPool.runSavingPercent).toBeCloseTo(0, 6);
  });

  it("prints one report per environment with the saving", () => {
    const report = formatRunCost(estimateRunCost(configWith({}, prod)), "PREEMPTIBLE_GCP");
    expect(report).toMatch(/environment "prod"/);
    expect(report).toMatch(/preemptible GPU nodes save 56% of the node price/);
    expect(report).toMatch(/as configured \(pool PREEMPTIBLE_GCP, jobs\)\s+\$\d+\.\d\d/);
  });
});
