import { manifest } from "./manifest";
import type { EnvironmentConfig } from "./types";

/**
 * The values every environment starts from; `name` is the environment. Names that live in a
 * shared namespace (catalog, pool, job, experiment, secret scope, repository) carry the
 * environment so dev and prod can share one workspace, metastore and project.
 */
export function defaultsFor(name: string): EnvironmentConfig {
  return {
    name,
    runtimeMode: "container",
    gcp: {
      projectId: "",
      region: "us-central1",
      zone: "us-central1-a",
    },
    databricks: {
      workspaceHost: "",
      sparkVersion: "16.4.x-scala2.12",
      mlGpuSparkVersion: "16.4.x-gpu-ml-scala2.12",
      mlCpuSparkVersion: "16.4.x-cpu-ml-scala2.12",
    },
    catalog: {
      name: `${manifest.parameters.catalog.default}_${name}`,
      create: true,
      schema: manifest.parameters.schema.default,
    },
    pool: {
      name: "booster-train-pool",
      nodeType: "g2-standard-12",
      minIdleInstances: 0,
      maxCapacity: 2,
      idleInstanceAutoterminationMinutes: 60,
      availability: "PREEMPTIBLE_GCP",
    },
    image: {
      repositoryId: `booster-soccer-${name}`,
      imageName: "booster-rl",
      keepVersions: 10,
      deleteOlderThanDays: 30,
    },
    job: {
      name: manifest.job.name,
      cpuNodeType: "n2-standard-4",
      cpuAvailability: "ON_DEMAND_GCP",
      maxConcurrentRuns: 1,
      retryIntervalMinutes: 5,
      // The spec's expected run is about 7 h (pretrain 2-4 h, fine-tune 2-3 h, the rest under 1 h).
      runDurationWarningSeconds: 10 * 3600,
      onFailureEmails: [],
      onSuccessEmails: [],
      maxRetriesOverrides: {},
      parameterOverrides: {},
    },
    devCluster: {
      enabled: false,
      nodeType: "g2-standard-12",
      autoterminationMinutes: 60,
    },
    tracking: {
      experimentPath: `${manifest.parameters.experiment.default}_${name}`,
      secretScope: `booster-soccer-${name}`,
    },
    tags: {
      project: "booster-soccer",
      environment: name,
    },
    cost: {
      // Midpoints of the spec's task durations: ~30 min, 2-4 h, ~10 min, 2-3 h, ~5 min.
      taskHours: { setup: 0.5, pretrain: 3, convert: 10 / 60, finetune: 2.5, submit: 5 / 60 },
      // The original design's L4 figures ($8.00 vs $3.50 for 10 h).
      gpuOnDemandPerHour: 0.8,
      gpuPreemptiblePerHour: 0.35,
      // n2-standard-4 list prices, us-central1.
      cpuOnDemandPerHour: 0.19,
      cpuPreemptiblePerHour: 0.05,
      // Assumed DBU consumption and premium-tier list prices; check your account's SKUs.
      gpuDbuPerHour: 2,
      cpuDbuPerHour: 0.75,
      jobsDbuPrice: 0.15,
      allPurposeDbuPrice: 0.55,
    },
  };
}
