import { manifest } from "./manifest";
import type { EnvironmentOverrides } from "./types";

/** Production: the manifest's catalog and experiment names, a nightly schedule, two runs at once (the pool's capacity). */
export const prod: EnvironmentOverrides = {
  name: "prod",
  // Replace with your project, workspace and service principal.
  gcp: { projectId: "booster-soccer-prod", region: "us-central1", zone: "us-central1-a" },
  databricks: {
    workspaceHost: "https://1234567890123456.7.gcp.databricks.com",
    runAsServicePrincipal: "00000000-0000-0000-0000-000000000000",
  },
  catalog: { name: manifest.parameters.catalog.default, readersGroup: "booster-soccer-readers" },
  tracking: { experimentPath: manifest.parameters.experiment.default },
  image: { pullerMember: "serviceAccount:databricks-compute@booster-soccer-prod.iam.gserviceaccount.com" },
  job: {
    maxConcurrentRuns: 2,
    onFailureEmails: ["ml-platform@example.com"],
    onSuccessEmails: ["ml-platform@example.com"],
    schedule: { quartzCron: "0 0 2 * * ?", timezone: "UTC", paused: false },
  },
};
